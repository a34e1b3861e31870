"""What the lists of lots, samples and nonconformances export and may be sorted by (lims.web.Listing):
the same rows as their pages, every column a person may want in a spreadsheet."""

from django.utils.translation import gettext_lazy as _

from lims.web import Column, Listing


def _custodian(sample) -> str:
    custodian = sample.current_custodian
    return custodian.party_label if custodian is not None else str(_("outside carrier"))


LOTS = Listing(
    "lots",
    columns=[
        Column(_("Lot number"), "lot_number"),
        Column(_("Exporter"), "exporter.name"),
        Column(_("Material"), "material.display_name"),
        Column(_("HS code"), "hs_code"),
        Column(_("Origin"), "origin"),
        Column(_("Wet mass (t)"), "wet_mass_t"),
        Column(_("Destination"), "destination_country.name"),
        Column(_("Contract reference"), "contract_reference"),
        Column(_("Export licence"), "export_licence_number"),
        Column(_("Samples"), "sample_count"),
        Column(_("Status"), "get_status_display"),
        Column(_("Priority"), "get_priority_display"),
        Column(_("Due date"), "due_date"),
        Column(_("Registered"), "registered_at"),
    ],
    sorts={
        "number": ["lot_number"],
        "exporter": ["exporter__name"],
        "material": ["material__name"],
        "mass": ["wet_mass_t"],
        "destination": ["destination_country"],
        "samples": ["sample_count"],
        "status": ["status"],
        "registered": ["registered_at"],
    },
)

SAMPLES = Listing(
    "samples",
    columns=[
        Column(_("Code"), "code"),
        Column(_("Lot"), "lot.lot_number"),
        Column(_("Exporter"), "lot.exporter.name"),
        Column(_("Split of"), "parent.code"),
        Column(_("Purpose"), "get_purpose_display"),
        Column(_("Mass (g)"), "mass_g"),
        Column(_("Seal number"), "seal_number"),
        Column(_("Status"), "get_status_display"),
        Column(_("Custodian"), _custodian),
        Column(_("Priority"), "get_priority_display"),
        Column(_("Due date"), "due_date"),
        Column(_("Collected"), "collected_at"),
    ],
    sorts={
        "code": ["code"],
        "lot": ["lot__lot_number"],
        "purpose": ["purpose"],
        "mass": ["mass_g"],
        "seal": ["seal_number"],
        "status": ["status"],
        "collected": ["collected_at"],
    },
)

NONCONFORMANCES = Listing(
    "nonconformances",
    columns=[
        Column(_("Sample"), "sample.code"),
        Column(_("Lot"), "sample.lot.lot_number"),
        Column(_("Problem"), "get_kind_display"),
        Column(_("Description"), "description"),
        Column(_("Status"), "get_status_display"),
        Column(_("Raised"), "raised_at"),
        Column(_("Raised by"), "raised_by"),
        Column(_("Resolution"), "resolution"),
        Column(_("Resolved by"), "resolved_by"),
        Column(_("Resolved"), "resolved_at"),
    ],
    sorts={
        "sample": ["sample__code"],
        "problem": ["kind"],
        "status": ["status"],
        "raised": ["raised_at"],
        "resolved": ["resolved_at"],
    },
)
