"""What the lists of batches, runs and results (and the reviewer's queue) export and may be sorted by
(lims.web.Listing): the same rows as their pages, as plain values (numbers as numbers)."""

from django.utils.translation import gettext_lazy as _

from lims.web import Column, Listing

BATCHES = Listing(
    "batches",
    columns=[
        Column(_("Batch"), "pk"),
        Column(_("Method"), "method.code"),
        Column(_("Instrument"), "instrument.name"),
        Column(_("Samples"), "sample_count"),
        Column(_("Positions"), "position_count"),
        Column(_("Reference material"), "reference_material"),
        Column(_("Status"), "get_status_display"),
        Column(_("Built"), "created_at"),
        Column(_("Built by"), "created_by"),
    ],
    sorts={
        "batch": ["pk"],
        "method": ["method__code"],
        "instrument": ["instrument__name"],
        "samples": ["sample_count"],
        "positions": ["position_count"],
        "status": ["status"],
        "built": ["created_at"],
    },
)

RUNS = Listing(
    "runs",
    columns=[
        Column(_("Run"), "pk"),
        Column(_("File"), "filename"),
        Column(_("Instrument"), "instrument.name"),
        Column(_("Method"), "method.code"),
        Column(_("Readings"), "reading_count"),
        Column(_("Status"), "get_status_display"),
        Column(_("QC"), "get_qc_status_display"),
        Column(_("Imported"), "imported_at"),
        Column(_("Operator"), "operator"),
        Column(_("Accepted by"), "accepted_by"),
    ],
    sorts={
        "run": ["pk"],
        "file": ["filename"],
        "instrument": ["instrument__name"],
        "method": ["method__code"],
        "readings": ["reading_count"],
        "status": ["status"],
        "qc": ["qc_status"],
        "imported": ["imported_at"],
    },
)

# A result as stored: its value on its basis in the panel's unit, with what qualifies it. The pages
# round it for reading (assays.precision); a spreadsheet gets the figure itself.
_RESULT_COLUMNS = [
    Column(_("Sample"), "sample.code"),
    Column(_("Lot"), "sample.lot.lot_number"),
    Column(_("Analyte"), "analyte.symbol"),
    Column(_("Qualifier"), "qualifier"),
    Column(_("Value"), "value"),
    Column(_("Detection limit"), "detection_limit"),
    Column(_("Uncertainty"), "uncertainty"),
    Column(_("Unit"), "unit"),
    Column(_("Basis"), "get_basis_display"),
    Column(_("As received"), "value_as_received"),
    Column(_("Method"), "method.code"),
    Column(_("Run"), "run_id"),
    Column(_("Status"), "get_status_display"),
    Column(_("Entered by"), "entered_by"),
    Column(_("Entered"), "entered_at"),
]
_RESULT_SORTS = {
    "sample": ["sample__code"],
    "analyte": ["analyte__symbol"],
    "value": ["value"],
    "method": ["method__code"],
    "status": ["status"],
    "entered": ["entered_at"],
}

RESULTS = Listing(
    "results",
    columns=[*_RESULT_COLUMNS, Column(_("Decided by"), "decided_by"), Column(_("Reason"), "reason")],
    sorts=_RESULT_SORTS,
)

# All awaiting review: neither a status nor an entry date to sort by on the reviewer's page.
REVIEW = Listing(
    "results-to-review",
    columns=_RESULT_COLUMNS,
    sorts={key: fields for key, fields in _RESULT_SORTS.items() if key in ("sample", "analyte", "value", "method")},
)
