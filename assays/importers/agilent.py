"""Agilent MassHunter batch table (ICP-MS), as the .xlsx export or a CSV saved by Excel in English (`,`,
TRUE/FALSE) or French (`;`, VRAI/FAUX).

Two header rows. The first holds group labels: "Sample" over the metadata columns, then one label per analyte over
its sub-columns: `63  Cu  [ He ] ` (mass, element, tune or gas mode), `45  Sc ( ISTD )  [ He ] ` (internal
standard), and on the 8900 ICP-QQQ in MS/MS mode `75 -> 91  As  [ O2 ]` (first and second quadrupole masses,
reaction gas) or `206 -> 206  [Pb]  [ He ]` (the element in brackets: a summed or corrected channel). The second names the sub-columns: Rjct, Data File,
Acq. Date-Time, Type, Level, Sample Name and optionally Total Dil., Comment, Vial Number; then per analyte a
choice of CPS, CPS RSD, Conc. [ ppb ], Conc. RSD, Meas. Conc. [ ppb ].

Decisions:

- Readings come from the `Conc. [ unit ]` columns only; CPS, RSD and Meas. Conc. are not results.
- Conc. is already corrected for dilution: where the export has Total Dil., Meas. Conc. = Conc. / Total Dil.
  (checked on a real batch: 65579.5 / 100 = 655.79). Total Dil. is recorded as `dilution_factor` so the
  certificate can state it; it must never be applied to the value again.
- Internal-standard groups give no readings; their labels go to `internal_standards`.
- One analyte at one mass in two tunes (`200  Hg  [ Hg No Gas ]`, `200  Hg  [ Hg He ]`) is two channels told
  apart by `mode`; the same analyte, mass and tune twice is a duplicated column and rejects the file.
- MS/MS labels keep the mass pair in `isotope` ("28->44", "75->91") and the gas in `mode` ("O2"); an element
  measured in several tunes (`75 -> 91  As  [ O2 ]`, `75 -> 75  As  [ He ]`) is one channel per tune.
- A bracketed element (`206 -> 206  [Pb]  [ He ]`, `208  [Pb]  [ No Gas ]`) is a channel MassHunter sums over
  isotopes or corrects by equation: its isotope keeps the brackets ("[206->206]") so it never collides with the
  plain isotope of the same mass, and every reading of it says so in `note`.
- A formula is refused in every cell of an analyte (CPS, RSD, Meas. Conc. as well as Conc.), in Total Dil. and
  in Rjct; names and comments are text and kept as written.
- A row whose Comment holds DNU ("do not use") as a word is `excluded`, like a DNU in its name.
- Rjct TRUE/VRAI flags the row's readings `rejected`; they are kept so the run shows what the instrument refused.
- Dates: real datetimes in a workbook. In CSV, day-first or month-first as `base.day_first` decides from the whole
  file; when no date settles it, a French save (`;` or VRAI/FAUX) means day-first, otherwise month-first.
- In a workbook, the sheet read is the first that has this header (never the ValueList_Helper sheet).
"""

import re
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays.importers.base import (
    Channel,
    Format,
    HeaderChannels,
    RunBuilder,
    RunRow,
    Sheet,
    Table,
    collapse,
    formula_problems,
    number,
    value_message,
)
from assays.importers.vocabulary import AGILENT_TYPES, DNU

# mass, shifted mass (MS/MS), element in brackets (summed or corrected) or plain, ISTD marker, tune or gas.
_LABEL = re.compile(
    r"(\d+)(?:\s*->\s*(\d+))?\s+(?:\[\s*([A-Za-z]{1,2})\s*\]|([A-Za-z]{1,2}))\s*(\(\s*ISTD\s*\))?"
    r"\s*(?:\[\s*(.*?)\s*\])?",
    re.I | re.A,
)
# "Conc." without a unit matches too, so that the missing unit is reported rather than the analyte dropped.
_CONCENTRATION = re.compile(r"Conc\.\s*(?:\[\s*(.*?)\s*\])?", re.I)
_BOOLEANS = {"": False, "false": False, "faux": False, "0": False, "true": True, "vrai": True, "1": True}
_FRENCH_BOOLEANS = frozenset(("vrai", "faux"))
# MassHunter puts the header first; a few title lines added by hand are tolerated.
_HEADER_SEARCH = 20


class _Analyte(NamedTuple):
    symbol: str
    isotope: str
    mode: str
    internal_standard: bool
    summed: bool  # the element was bracketed: a summed or corrected channel


def sniff(sheet: Sheet) -> bool:
    return _header_position(sheet) is not None


def _header_position(sheet: Sheet) -> int | None:
    """Index in sheet.rows of the sub-column row: it has Sample Name, the row above has an analyte label."""
    rows = sheet.rows
    for position in range(1, min(len(rows), _HEADER_SEARCH)):
        if any(collapse(cell).casefold() == "sample name" for cell in rows[position][1]) and any(
            _LABEL.fullmatch(cell.strip()) for cell in rows[position - 1][1]
        ):
            return position
    return None


def read(table: Table, sheet: Sheet, run: RunBuilder) -> None:
    position = _header_position(sheet)
    if position is None:
        run.problem(
            None,
            "",
            _(
                "No MassHunter batch header: expected a row of analyte labels such as “63  Cu  [ He ]” above a row "
                "with Sample Name, Type and Conc. [ ppb ]."
            ),
        )
        return
    metadata, channels, values, summed = _columns(sheet, position, run)
    if not channels and not run.problems:
        run.problem(
            sheet.rows[position][0], "", _("No concentration column (Conc. [ ppb ]): export the batch with Conc.")
        )
    day_first_hint = table.delimiter == ";"
    rows: list[RunRow] = []
    row_cells: list[list[str]] = []
    for row_number, cells in sheet.rows[position + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        fields = {name: cells[index].strip() for name, index in metadata.items() if index < len(cells)}
        flag = fields.get("rjct", "").casefold()
        day_first_hint |= flag in _FRENCH_BOOLEANS
        rejected = _BOOLEANS.get(flag)
        if rejected is None:
            message = _("“%(text)s” is not TRUE/FALSE or VRAI/FAUX.") % {"text": fields["rjct"]}
            run.problem(row_number, "Rjct", value_message(fields["rjct"], message))
        dilution_text = fields.get("total dil.", "")
        dilution = number(dilution_text) if dilution_text else None
        if dilution_text and dilution is None:
            message = _("“%(text)s” is not a number.") % {"text": dilution_text}
            run.problem(row_number, "Total Dil.", value_message(dilution_text, message))
        rows.append(
            RunRow(
                row_number,
                fields.get("sample name", ""),
                vendor_type=fields.get("type", ""),
                level=fields.get("level", ""),
                acquired=fields.get("acq. date-time", ""),
                dilution_factor=dilution,
                rejected=bool(rejected),
                data_file=fields.get("data file", ""),
                excluded=bool(DNU.search(fields.get("comment", ""))),
            )
        )
        row_cells.append(cells)
    run.prepare(
        rows,
        types=AGILENT_TYPES,
        name_column="Sample Name",
        date_column="Acq. Date-Time",
        day_first_hint=day_first_hint,
    )
    run.problems.extend(formula_problems(sheet, sheet.rows[position + 1 :], values))
    for row, cells in zip(rows, row_cells, strict=True):
        run.add_cells(row, cells, channels)
    if summed:
        note = _("A summed or corrected channel: MassHunter writes its element in brackets.")
        for reading in run.readings:
            if reading.column in summed:
                reading.note = note


def _columns(
    sheet: Sheet, position: int, run: RunBuilder
) -> tuple[dict[str, int], list[Channel], dict[int, str], set[str]]:
    """Metadata column positions by casefolded name; the concentration channels; the analytes' other value
    columns (position: label), where only a formula is looked for; the columns of summed channels."""
    group_row, groups = sheet.rows[position - 1]
    sub_row, subs = sheet.rows[position]
    metadata: dict[str, int] = {}
    channels = HeaderChannels(run, sheet, sub_row)
    values: dict[int, str] = {}
    summed: set[str] = set()
    label, analyte = "", None
    for index, sub in enumerate(subs):
        group = collapse(groups[index]) if index < len(groups) else ""
        if group:
            label = group
            analyte = None if label.casefold() == "sample" else _analyte(label, group_row, sheet.letter(index), run)
            if analyte and analyte.internal_standard:
                run.internal_standards.append(label)
        sub_label = collapse(sub)
        if label.casefold() in ("", "sample"):
            metadata.setdefault(sub_label.casefold(), index)
            continue
        column = f"{label} {sub_label}"
        concentration = _CONCENTRATION.fullmatch(sub_label)
        if analyte and concentration and not analyte.internal_standard:
            unit_text = concentration[1] or ""
            if channels.add(index, column, analyte.symbol, analyte.isotope, analyte.mode, unit_text):
                if analyte.summed:
                    summed.add(column)
                continue
        if sub_label:
            values[index] = column
    return metadata, channels.channels, values, summed


def _analyte(label: str, row: int, letter: str, run: RunBuilder) -> _Analyte | None:
    """The analyte a group label names; element symbols are checked where the channel is made."""
    match = _LABEL.fullmatch(label)
    if not match:
        run.problem(row, letter, _("“%(label)s” is not an analyte label such as “63  Cu  [ He ]”.") % {"label": label})
        return None
    mass, shifted_mass, bracketed, symbol, internal_standard, mode = match.groups()
    isotope = f"{mass}->{shifted_mass}" if shifted_mass else mass
    if bracketed:
        isotope = f"[{isotope}]"
    return _Analyte(bracketed or symbol, isotope, collapse(mode or ""), bool(internal_standard), bool(bracketed))


FORMAT = Format(
    name="agilent_masshunter",
    description=gettext_lazy(
        "Agilent MassHunter batch table: a row of analyte labels such as “63  Cu  [ He ]” above a row with "
        "Sample Name, Type and Conc. [ ppb ]"
    ),
    sniff=sniff,
    read=read,
)
