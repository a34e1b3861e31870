"""The machine interface for customs information systems (issue 15): a customs system is a client,
not a person. It authenticates with OAuth 2.0 client credentials, reads a certificate's signed
record by number and the exporter's BIN, and receives pushed status changes (revoked, superseded).

It sits at the top of the dependency order (lims <- samples <- assays <- certificates <- customs
<- exchange): it reads certificates and nothing below imports it. It learns of certificate events
by reading the append-only certificate event table after a stored cursor (exchange.outbox), so no
lower app calls it.
"""
