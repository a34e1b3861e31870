"""Open statistics: what was declared for export through this system, with what certified composition.

It reads customs declarations and the certificates they cite, so it sits above customs in the order
of dependency (lims <- samples <- assays <- certificates <- customs <- public <- desk): it imports
certificates and customs, and neither imports it. It writes one thing, its own publications
(public.models.Publication), from a Celery worker or an operator's command, which alone hold the log
key that signs them. public.statistics states how the figures are counted and suppressed.
"""
