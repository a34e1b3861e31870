"""Thermo Fisher Qtegra "EXPORT CSV" (iCAP ICP-OES and ICP-MS), `;` or tab separated, often with a UTF-8 BOM,
CRLF line ends and a trailing separator.

Four header rows, then one row per measurement (index, sample label, values):

1. measure group per column: Raw.Average, Raw.STD, ..., ExtCal.Average, ExtCal.STD, ExtCal.LOD, ExtCal.BEC, ...
   (other Qtegra versions and templates write MeasuredConcentration.Average for the concentrations);
2. an index, all 0 in batch exports;
3. the analyte: `Fe 238.204 {141} (Axial)` (element, wavelength, diffraction order, plasma view) or `63Cu`,
   `63Cu (KED)` (mass, element, mode);
4. the unit: `Y (ppm)`, `Y (cps)`, `Y (%)` or a bare `Y`.

The leading columns, before the first measure group, hold the row's metadata: an index, the sample label, and in
some templates a StartTime (`2024-03-05 10:21:33` or `05/03/2024 10:21:33`). Their names, when the export writes
them, sit in any of the four header rows.

Decisions:

- Readings come from the ExtCal.Average columns, the calibrated concentrations; an export without them is read
  from MeasuredConcentration.Average. When both are there, ExtCal.Average is read and MeasuredConcentration is
  ignored: ExtCal is the group checked against real exports, one value per channel is wanted, and a file read
  the same way whatever else its template adds is easier to trust. The detection limit is taken from the LOD
  group of the same measure (ExtCal.LOD, MeasuredConcentration.LOD).
- An ExtCal.Average column in `%` is the internal standard's recovery (Qtegra reports concentrations in mass
  units), so it is listed in `internal_standards`, not read.
- ExtCal.LOD is the detection limit. Qtegra writes it on the calibration rows only; the limit of the latest
  calibration applies to the measurements after it, as they were quantified with that calibration. A `<x` cell
  keeps its own limit.
- Of the leading columns, the one named Label, Sample, Sample Name or Sample ID is the sample name; without such
  a name, the last leading column that is not StartTime. A StartTime column gives each reading its
  `acquired_at`, day-first or month-first as `base.day_first` decides from the whole file (a `;` export is
  day-first when no date settles it); without one the readings have no time.
- Qtegra writes no row type: rows are classified by name with the Qtegra vocabulary (`vocabulary.THERMO`): ZERO
  and BLANK are calibration blanks, MB a method blank, bare numbers in a calibration block standards.
- A formula in any measure-group cell (Raw.Average, ExtCal.STD, ...) is refused, not only in the ones read.
- A time-resolved export (measure group MainRuns, laser ablation) is not a batch result table and is refused.
"""

import re
from decimal import Decimal

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
from assays.importers.vocabulary import THERMO

_GROUP = re.compile(r"[A-Za-z]+(?:\.[A-Za-z]+)+|MainRuns")
_UNIT = re.compile(r"[XY]\s*(?:\((.*?)\))?")
_OES_LABEL = re.compile(r"([A-Za-z]{1,2})\s+(\d+(?:\.\d+)?)\s*(?:\{\s*\d+\s*\})?\s*(?:\((.*?)\))?", re.ASCII)
_MS_LABEL = re.compile(r"(\d+)\s*([A-Za-z]{1,2})\s*(?:\((.*?)\))?", re.ASCII)
# The measures that hold concentrations, in order of preference; each with its detection-limit group.
_CONCENTRATIONS = (("ExtCal.Average", "ExtCal.LOD"), ("MeasuredConcentration.Average", "MeasuredConcentration.LOD"))
_NAME_COLUMNS = frozenset(("label", "sample", "sample name", "sample id", "samplename"))
_TIME_COLUMNS = frozenset(("starttime", "start time", "acquisition time", "acquisitiontime"))
_TIME_RESOLVED = "MainRuns"
_NOT_CALCULATED = frozenset(("n/a", "na"))
_HEADER_SEARCH = 10


def _header_position(sheet: Sheet) -> int | None:
    """Index in sheet.rows of the measure-group row."""
    rows = sheet.rows
    for position in range(min(len(rows) - 3, _HEADER_SEARCH)):
        if any(_GROUP.fullmatch(cell.strip()) for cell in rows[position][1]) and any(
            _UNIT.fullmatch(cell.strip()) for cell in rows[position + 3][1]
        ):
            return position
    return None


def sniff(sheet: Sheet) -> bool:
    return _header_position(sheet) is not None


def read(table: Table, sheet: Sheet, run: RunBuilder) -> None:
    position = _header_position(sheet)
    if position is None:
        run.problem(None, "", _("No Qtegra header: expected four header rows (ExtCal.Average, 0, analyte, Y (ppm))."))
        return
    header = sheet.rows[position : position + 4]
    (group_row, groups), _index_row, (label_row, labels), (_unit_row, units) = header
    lead = next((index for index, group in enumerate(groups) if group.strip()), 0)
    if lead == 0:
        run.problem(group_row, "", _("No sample label column before the measured values."))
        return
    name_index, time_index = _lead_columns(header, lead)
    concentration, limit = next(
        (pair for pair in _CONCENTRATIONS if any(group.strip() == pair[0] for group in groups)), _CONCENTRATIONS[0]
    )
    channels, limit_columns = _channels(sheet, groups, labels, units, label_row, run, concentration, limit)
    if not channels and not run.problems:
        if any(group.strip() == _TIME_RESOLVED for group in groups):
            message = _(
                "This is a time-resolved Qtegra export (MainRuns), not a table of batch results: export the batch "
                "results with ExtCal.Average."
            )
        else:
            message = _(
                "No concentration columns (ExtCal.Average or MeasuredConcentration.Average): export the batch "
                "results with concentrations."
            )
        run.problem(group_row, "", message)
    rows: list[RunRow] = []
    row_cells: list[list[str]] = []
    for row_number, cells in sheet.rows[position + 4 :]:
        if any(cell.strip() for cell in cells):
            name = cells[name_index].strip() if name_index < len(cells) else ""
            acquired = cells[time_index].strip() if time_index is not None and time_index < len(cells) else ""
            rows.append(RunRow(row_number, name, acquired=acquired))
            row_cells.append(cells)
    time_label = _lead_label(header, time_index) if time_index is not None else ""
    run.prepare(
        rows,
        types=THERMO,
        name_column=_lead_label(header, name_index) or sheet.letter(name_index),
        date_column=time_label,
        day_first_hint=table.delimiter == ";",
    )
    # Every other measure-group cell holds a value too, read or not.
    read_columns = {channel.index for channel in channels} | {index for index, _label in limit_columns}
    measured = {}
    for index, group in enumerate(groups):
        if group.strip() and index not in read_columns:
            label = collapse(labels[index]) if index < len(labels) else ""
            measured[index] = f"{label} {group.strip()}".strip()
    run.problems.extend(formula_problems(sheet, sheet.rows[position + 4 :], measured))
    limits: list[Decimal | None] = [None] * len(channels)
    for row, cells in zip(rows, row_cells, strict=True):
        for slot, (limit_index, column) in enumerate(limit_columns):
            text = cells[limit_index].strip() if limit_index is not None and limit_index < len(cells) else ""
            if not text:
                continue
            if text.casefold() in _NOT_CALCULATED:
                limits[slot] = None
            elif (found := number(text)) is not None:
                limits[slot] = found
            else:
                message = _("The detection limit “%(text)s” is not a number.") % {"text": text[:40]}
                run.problem(row.row, column, value_message(text, message))
        run.add_cells(row, cells, channels, limits)


def _lead_columns(header: list[tuple[int, list[str]]], lead: int) -> tuple[int, int | None]:
    """Positions of the sample name and the StartTime among the `lead` columns before the measure groups."""
    named = {index: _lead_label(header, index).casefold() for index in range(lead)}
    time_index = next((index for index, name in named.items() if name in _TIME_COLUMNS), None)
    name_index = next((index for index, name in named.items() if name in _NAME_COLUMNS), None)
    if name_index is None:
        name_index = max((index for index in range(lead) if index != time_index), default=0)
    return name_index, time_index


def _lead_label(header: list[tuple[int, list[str]]], index: int) -> str:
    """The name a leading column has in any of the four header rows, "" when none."""
    return next((collapse(cells[index]) for _row, cells in header if index < len(cells) and cells[index].strip()), "")


def _channels(
    sheet: Sheet,
    groups: list[str],
    labels: list[str],
    units: list[str],
    label_row: int,
    run: RunBuilder,
    concentration: str,
    limit: str,
) -> tuple[list[Channel], list[tuple[int | None, str]]]:
    """The channels of the `concentration` group, and for each the position and label of its `limit` column."""
    label_at = [collapse(labels[index]) if index < len(labels) else "" for index in range(len(groups))]
    limit_at = {label_at[index]: index for index in _columns(groups, limit)}
    header = HeaderChannels(run, sheet, label_row)
    limit_columns: list[tuple[int | None, str]] = []
    for index in _columns(groups, concentration):
        label = label_at[index]
        unit_match = _UNIT.fullmatch(units[index].strip()) if index < len(units) else None
        unit_text = (unit_match[1] or "") if unit_match else ""
        if unit_text.strip() == "%":
            run.internal_standards.append(label)
            continue
        analyte = _analyte(label)
        if analyte is None:
            run.problem(
                label_row,
                sheet.letter(index),
                _("“%(label)s” is not an analyte such as “Fe 238.204 (Axial)” or “63Cu”.") % {"label": label},
            )
            continue
        symbol, isotope, mode = analyte
        if header.add(index, f"{label} {concentration}", symbol, isotope, mode, unit_text):
            limit_columns.append((limit_at.get(label), f"{label} {limit}"))
    return header.channels, limit_columns


def _columns(groups: list[str], group: str) -> list[int]:
    return [index for index, cell in enumerate(groups) if cell.strip() == group]


def _analyte(label: str) -> tuple[str, str, str] | None:
    """(symbol, isotope or wavelength, mode) of an OES or MS label."""
    match = _OES_LABEL.fullmatch(label)
    if match:
        return match[1], match[2], collapse(match[3] or "")
    match = _MS_LABEL.fullmatch(label)
    if match:
        return match[2], match[1], collapse(match[3] or "")
    return None


FORMAT = Format(
    name="thermo_qtegra",
    description=gettext_lazy(
        "Thermo Qtegra export: four header rows (ExtCal.Average, 0, an analyte such as “Fe 238.204 (Axial)” or "
        "“63Cu”, Y (ppm))"
    ),
    sniff=sniff,
    read=read,
)
