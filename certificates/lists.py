"""What the list of certificates exports and may be sorted by (lims.web.Listing): the register's row of
each certificate the user may see, never its contents (the snapshot stays deferred)."""

from django.utils.translation import gettext_lazy as _

from lims.web import Column, Listing

CERTIFICATES = Listing(
    "certificates",
    columns=[
        Column(_("Number"), "number"),
        Column(_("Lot"), "sample.lot.lot_number"),
        Column(_("Exporter"), "sample.lot.exporter.name"),
        Column(_("Sample"), "sample.code"),
        Column(_("Status"), "get_status_display"),
        Column(_("Requested"), "requested_at"),
        Column(_("Issued"), "issued_at"),
        Column(_("Amends"), "supersedes.number"),
        Column(_("Amended by"), "superseded_by_number"),
        Column(_("Revoked"), "revoked_at"),
    ],
    sorts={
        "number": ["number"],
        "lot": ["sample__lot__lot_number"],
        "exporter": ["sample__lot__exporter__name"],
        "sample": ["sample__code"],
        "status": ["status"],
        "issued": ["issued_at"],
    },
)
