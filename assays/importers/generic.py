"""Generic long CSV ("generic_long"): our own layout, for any instrument or spreadsheet the other importers do
not read. One line per reading, the first line the header. The page /runs/formats/generic/
(templates/assays/generic_csv.html) says the same to people in their language: change the two together.

Encoding UTF-8 (a BOM is fine) or Windows-1252; separator `,`, `;` or tab; decimal point, never a comma.

Required columns, in any order, names in lower case:

    sample           the sample or QC name as written on the run ("CU-2024-0117", "OREAS 991", "BLK")
    analyte          element symbol: Cu, Au, La (any case)
    value            number (-0.003 is fine); empty when qualifier is <, OR or NA; for > the value exceeded
    unit             ppb, ppm, ppt, ug/L, mg/L, ng/L, mg/kg, ug/kg, g/t, %, cps (µg/L is read as ug/L)
    qualifier        empty, < (below detection limit), > (above), OR (over range), NA (not reported)
    detection_limit  number, or empty

Optional columns:

    type             sample, cal_blank, cal_std, icv, ccv, ccb, method_blank, crm, duplicate, spike, other;
                     when absent or empty the sample name decides (see vocabulary). A CRM name makes the row a
                     CRM whatever the type says. dnu marks a row not to use: it is kept on the run, never used
                     for QC or results, and its name decides what it was (DNU in the name does the same).
    dilution_factor  number, already applied to value (recorded, never applied again)
    isotope          mass (63) or wavelength (324.754)
    acquired_at      local date and time in ISO 8601, no zone: 2024-05-01T10:32:00 or 2024-05-01 10:32

A spreadsheet formula in value, detection_limit, dilution_factor or isotope is refused; sample and the other
text cells are kept as written, whatever they start with.

Any other named column is refused, so that a misspelt optional column cannot be dropped silently; columns
without a name (a trailing separator) are ignored. The value column may also hold the censored forms the
instruments print (`<0.004`, `N/A`, `OR`); they must agree with qualifier and detection_limit when those are
filled. An empty value with an empty qualifier is NA, as in every format. Consecutive lines of the same sample,
type and time are one measurement (`run_row`).

Example:

    sample,analyte,value,unit,qualifier,detection_limit,type,isotope,acquired_at
    CU-2024-0117,Cu,23.41,%,,,sample,63,2024-05-01T10:32:00
    CU-2024-0117,Au,,g/t,<,0.02,sample,197,2024-05-01T10:32:00
    OREAS 991,Cu,20.61,%,,,crm,63,2024-05-01T10:40:00
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays.importers.base import (
    Channel,
    Format,
    Qualifier,
    RunBuilder,
    RunRow,
    Sheet,
    Table,
    cell_value,
    make_channel,
    number,
    value_message,
)
from assays.importers.vocabulary import GENERIC_TYPES

REQUIRED = ("sample", "analyte", "value", "unit", "qualifier", "detection_limit")
OPTIONAL = ("type", "dilution_factor", "isotope", "acquired_at")
# Enough to recognise the layout, so a file missing qualifier or detection_limit is told what it lacks.
_SIGNATURE = frozenset(("sample", "analyte", "value", "unit"))
_QUALIFIERS = {qualifier.value.casefold(): qualifier for qualifier in Qualifier if qualifier is not Qualifier.NONE}


def _header_position(sheet: Sheet) -> int | None:
    """The first line with any text: the header, when the file is in this format."""
    return next((position for position, (_row, cells) in enumerate(sheet.rows) if any(c.strip() for c in cells)), None)


def sniff(sheet: Sheet) -> bool:
    position = _header_position(sheet)
    return position is not None and {cell.strip().casefold() for cell in sheet.rows[position][1]} >= _SIGNATURE


def read(table: Table, sheet: Sheet, run: RunBuilder) -> None:
    position = _header_position(sheet)
    if position is None:
        run.problem(
            None,
            "",
            _("No generic header: the first line must name the columns %(columns)s.")
            % {"columns": ", ".join(REQUIRED)},
        )
        return
    columns = _columns(sheet, position, run)
    if columns is None:
        return
    rows: list[RunRow] = []
    results: list[tuple[Channel, str, tuple[Decimal | None, Qualifier, Decimal | None]]] = []
    for row_number, cells in sheet.rows[position + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        fields = {name: (cells[index].strip() if index < len(cells) else "") for name, index in columns.items()}
        line = _line(row_number, fields, columns["value"], run)
        if line is not None:
            row, channel, result = line
            rows.append(row)
            results.append((channel, cells[columns["value"]] if columns["value"] < len(cells) else "", result))
    run.prepare(rows, types=GENERIC_TYPES, name_column="sample", date_column="acquired_at", group_consecutive=True)
    for row, (channel, raw, result) in zip(rows, results, strict=True):
        run.add(row, channel, raw, *result)


def _columns(sheet: Sheet, position: int, run: RunBuilder) -> dict[str, int] | None:
    header_row, header = sheet.rows[position]
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip().casefold()
        if not name:
            continue
        if name not in REQUIRED and name not in OPTIONAL:
            run.problem(
                header_row,
                cell.strip() or sheet.letter(index),
                _("Unknown column; the columns are %(columns)s.") % {"columns": ", ".join(REQUIRED + OPTIONAL)},
            )
        elif name in columns:
            run.problem(header_row, name, _("The column appears twice; keep one."))
        else:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    for name in missing:
        run.problem(header_row, name, _("The column is missing."))
    return None if missing else columns


def _line(
    row_number: int, fields: dict[str, str], value_index: int, run: RunBuilder
) -> tuple[RunRow, Channel, tuple[Decimal | None, Qualifier, Decimal | None]] | None:
    """The measurement, channel and (value, qualifier, limit) of one line, or None after recording its problems."""
    problems = len(run.problems)
    isotope = fields.get("isotope", "")
    if isotope and number(isotope) is None:
        message = _("“%(text)s” is not a mass or a wavelength.") % {"text": isotope}
        run.problem(row_number, "isotope", value_message(isotope, message))
    channel = make_channel(
        run,
        row_number,
        "value",
        value_index,
        fields["analyte"],
        isotope,
        "",
        fields["unit"],
        symbol_column="analyte",
        unit_column="unit",
    )
    row_type = fields.get("type", "")
    if row_type and row_type.casefold() not in GENERIC_TYPES:
        run.problem(row_number, "type", _("Unknown type; use one of %(types)s.") % {"types": ", ".join(GENERIC_TYPES)})
    acquired = fields.get("acquired_at", "")
    if acquired and not (acquired[:4].isdigit() and acquired[4:5] == "-"):
        run.problem(row_number, "acquired_at", _("Write the date and time as ISO 8601, such as 2024-05-01T10:32:00."))
    dilution = _optional_number(row_number, "dilution_factor", fields.get("dilution_factor", ""), run)
    limit = _optional_number(row_number, "detection_limit", fields["detection_limit"], run)
    result = _result(row_number, fields["value"], fields["qualifier"], limit, run)
    if channel is None or result is None or len(run.problems) > problems:
        return None
    row = RunRow(row_number, fields["sample"], vendor_type=row_type, acquired=acquired, dilution_factor=dilution)
    return row, channel, result


def _optional_number(row_number: int, column: str, text: str, run: RunBuilder) -> Decimal | None:
    value = number(text) if text else None
    if text and value is None:
        run.problem(row_number, column, value_message(text, _("“%(text)s” is not a number.") % {"text": text[:40]}))
    return value


def _result(
    row_number: int, value_text: str, qualifier_text: str, limit: Decimal | None, run: RunBuilder
) -> tuple[Decimal | None, Qualifier, Decimal | None] | None:
    """(value, qualifier, detection limit) from the value cell and the qualifier and limit columns."""
    try:
        value, qualifier, stated_limit = cell_value(value_text)
    except ValueError as error:
        run.cell_problem(row_number, "value", value_text, str(error))
        return None
    if stated_limit is not None and limit is not None and stated_limit != limit:
        run.problem(row_number, "detection_limit", _("The limit differs from the one in the value cell."))
        return None
    limit = stated_limit if stated_limit is not None else limit
    if not qualifier_text:
        return value, qualifier, limit
    declared = _QUALIFIERS.get(qualifier_text.casefold())
    if declared is None:
        run.problem(row_number, "qualifier", _("Unknown qualifier; use <, >, OR, NA or leave it empty."))
        return None
    if declared is Qualifier.ABOVE and qualifier is Qualifier.NONE:
        return value, declared, limit
    if declared is Qualifier.ABOVE:
        run.problem(row_number, "value", _("With qualifier > give the value that was exceeded."))
        return None
    if not value_text or qualifier is declared:
        return None, declared, limit
    run.problem(
        row_number,
        "value",
        _("With qualifier %(qualifier)s leave the value empty; a detection limit goes in detection_limit.")
        % {"qualifier": declared.value},
    )
    return None


FORMAT = Format(
    name="generic_long",
    description=gettext_lazy(
        "generic long CSV: a header line with sample, analyte, value, unit, qualifier, detection_limit"
    ),
    sniff=sniff,
    read=read,
)
