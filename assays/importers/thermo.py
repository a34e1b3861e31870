"""Thermo Fisher Qtegra "EXPORT CSV" (iCAP ICP-OES and ICP-MS), `;` or tab separated, often with a UTF-8 BOM,
CRLF line ends and a trailing separator.

Four header rows, then one row per measurement (index, sample label, values):

1. measure group per column: Raw.Average, Raw.STD, ..., ExtCal.Average, ExtCal.STD, ExtCal.LOD, ExtCal.BEC, ...
2. an index, all 0 in batch exports;
3. the analyte: `Fe 238.204 {141} (Axial)` (element, wavelength, diffraction order, plasma view) or `63Cu`,
   `63Cu (KED)` (mass, element, mode);
4. the unit: `Y (ppm)`, `Y (cps)`, `Y (%)` or a bare `Y`.

Decisions:

- Readings come from the ExtCal.Average columns, the calibrated concentrations.
- An ExtCal.Average column in `%` is the internal standard's recovery (Qtegra reports concentrations in mass
  units), so it is listed in `internal_standards`, not read.
- ExtCal.LOD is the detection limit. Qtegra writes it on the calibration rows only; the limit of the latest
  calibration applies to the measurements after it, as they were quantified with that calibration. A `<x` cell
  keeps its own limit.
- The leading columns without a measure group are the row's index and label; the last of them is the sample
  name. Qtegra writes no date per row and no row type: rows are classified by name (BLANK, STD0.03, 930ppb).
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
    number,
)
from assays.importers.vocabulary import NO_TYPES

_GROUP = re.compile(r"[A-Za-z]+(?:\.[A-Za-z]+)+|MainRuns")
_UNIT = re.compile(r"[XY]\s*(?:\((.*?)\))?")
_OES_LABEL = re.compile(r"([A-Za-z]{1,2})\s+(\d+(?:\.\d+)?)\s*(?:\{\s*\d+\s*\})?\s*(?:\((.*?)\))?", re.ASCII)
_MS_LABEL = re.compile(r"(\d+)\s*([A-Za-z]{1,2})\s*(?:\((.*?)\))?", re.ASCII)
_CONCENTRATION = "ExtCal.Average"
_LIMIT = "ExtCal.LOD"
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
    (group_row, groups), _index_row, (label_row, labels), (_unit_row, units) = sheet.rows[position : position + 4]
    lead = next((index for index, group in enumerate(groups) if group.strip()), 0)
    if lead == 0:
        run.problem(group_row, "", _("No sample label column before the measured values."))
        return
    name_index = lead - 1
    channels, limit_columns = _channels(sheet, groups, labels, units, label_row, run)
    if not channels and not run.problems:
        if any(group.strip() == _TIME_RESOLVED for group in groups):
            message = _(
                "This is a time-resolved Qtegra export (MainRuns), not a table of batch results: export the batch "
                "results with ExtCal.Average."
            )
        else:
            message = _("No concentration columns (ExtCal.Average): export the batch results with concentrations.")
        run.problem(group_row, "", message)
    rows: list[RunRow] = []
    row_cells: list[list[str]] = []
    for row_number, cells in sheet.rows[position + 4 :]:
        if any(cell.strip() for cell in cells):
            rows.append(RunRow(row_number, cells[name_index].strip() if name_index < len(cells) else ""))
            row_cells.append(cells)
    run.prepare(rows, types=NO_TYPES, name_column=sheet.letter(name_index))
    limits: list[Decimal | None] = [None] * len(channels)
    for row, cells in zip(rows, row_cells, strict=True):
        for slot, (index, column) in enumerate(limit_columns):
            text = cells[index].strip() if index is not None and index < len(cells) else ""
            if not text:
                continue
            if text.casefold() in _NOT_CALCULATED:
                limits[slot] = None
            elif (limit := number(text)) is not None:
                limits[slot] = limit
            else:
                run.problem(row.row, column, _("The detection limit “%(text)s” is not a number.") % {"text": text[:40]})
        run.add_cells(row, cells, channels, limits)


def _channels(
    sheet: Sheet, groups: list[str], labels: list[str], units: list[str], label_row: int, run: RunBuilder
) -> tuple[list[Channel], list[tuple[int | None, str]]]:
    """The concentration channels, and for each the position and label of its ExtCal.LOD column, if any."""
    label_at = [collapse(labels[index]) if index < len(labels) else "" for index in range(len(groups))]
    limit_at = {label_at[index]: index for index in _columns(groups, _LIMIT)}
    header = HeaderChannels(run, sheet, label_row)
    limit_columns: list[tuple[int | None, str]] = []
    for index in _columns(groups, _CONCENTRATION):
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
        if header.add(index, f"{label} {_CONCENTRATION}", symbol, isotope, mode, unit_text):
            limit_columns.append((limit_at.get(label), f"{label} {_LIMIT}"))
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
