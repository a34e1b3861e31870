"""The desk: what is waiting for each person (the dashboard), finding any object by its identifier
(search), and how long certification takes (the turnaround report).

It reads every other app and is read by none, so it sits at the top of the dependency order:
lims <- samples <- assays <- certificates <- customs <- desk. It writes nothing: every query goes
through the apps' selectors and lims.permissions, so it shows a user exactly what their pages show.
"""
