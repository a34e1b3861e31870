"""What the lists of declarations (and the inspectors' queue) export and may be sorted by
(lims.web.Listing): the same rows as their pages."""

from django.utils.translation import gettext_lazy as _

from lims.web import Column, Listing

_COLUMNS = [
    Column(_("Declaration"), "number"),
    Column(_("Declarant"), "declarant"),
    Column(_("Exporter"), "exporter.name"),
    Column(_("Lot"), "lot.lot_number"),
    Column(_("Customs office"), "customs_office.name"),
    Column(_("HS code"), "hs_code"),
    Column(_("Declared on"), "declared_on"),
    Column(_("Dry mass (t)"), "dry_mass_t"),
    Column(_("Value"), "value"),
    Column(_("Currency"), "currency"),
    Column(_("Status"), "get_status_display"),
    Column(_("Blocking findings"), "blocking"),
    Column(_("Filed"), "filed_at"),
    Column(_("Filed by"), "filed_by"),
    Column(_("Decided by"), "decided_by"),
    Column(_("Decided"), "decided_at"),
]
_SORTS = {
    "number": ["number"],
    "exporter": ["exporter__name"],
    "lot": ["lot__lot_number"],
    "mass": ["dry_mass_t"],
    "value": ["value"],
    "status": ["status"],
    "filed": ["filed_at"],
}

DECLARATIONS = Listing("declarations", columns=_COLUMNS, sorts=_SORTS)
DECLARATION_QUEUE = Listing("declarations-to-review", columns=_COLUMNS, sorts=_SORTS)
