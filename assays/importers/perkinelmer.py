"""PerkinElmer exports: the Syngistix (NexION ICP-MS) report workbook, and the WinLab32 (Optima ICP-OES,
PinAAcle AAS) long CSV.

Syngistix report ("perkinelmer_syngistix"): one sheet per measure (Raw Intensities, Net Intensities,
Concentrations, " Org Concentrations", Unfactored Concentrations, ... RSDs, Internal Standards, QC). A sheet may
stack several method blocks, each starting with its own header row: ` `, Sample Id, R, Acquisition Time,
QC Status, Dataset File, Method File, then analytes with the unit after a line break (`Cu 63\\n(mg/L)`). A
"Calibration Curves" row separates the calibration from the samples.

- Accepted as an .xlsx workbook, as one sheet saved as CSV, or as the whole workbook flattened into one CSV whose
  first two columns are `__sheet__,__row__`.
- The sheet read is "Concentrations" unless the caller names another (`parse(..., sheet=" Org Concentrations")`);
  without one, the first sheet with this header. Caution: the factored sheets (Concentrations,
  Org Concentrations) apply the sample-preparation factor yet keep the `(mg/L)` label, so the unit is the
  file's label, not a promise; the run's method has to say which basis the lab exports. Unfactored
  Concentrations holds solution concentrations.
- Header detection restarts at every row with a `Sample Id` cell; each block has its own analytes.
- A blank's cells are empty in these reports and become NA readings, like every empty result cell.
- `S` marks a saturated detector: the signal was over the range, so it is read as OR.
- `data_file` is the last part of the Dataset File path (`BLK.1098`); the path is the instrument PC's.
- There is no type column: rows are classified by name (BLK, rBLK, R. Blk, STD 250 PPb, CRMs, ...D duplicates).

WinLab32 CSV ("perkinelmer_winlab"): one line per sample and analyte:
`Sample ID,Analyte Name,Date,Time,Reported Conc (Calib),Units (Samp)`, analyte as symbol and wavelength
(`Au 242.80`), dates like `28-05-21` and times like `12:40:54 PM`.

- The value comes from the first of Reported Conc (Samp), Reported Conc (Calib), Conc (Samp), Conc (Calib)
  present, the unit from Units (Samp) or else Units (Calib): the file pairs them as it pleases and the unit is
  taken as stated.
- Consecutive lines of one sample at one time are one measurement (`run_row`); a re-assay of the same Sample ID
  later is another.
- A full export may have no Units column. The unit is then the method's (`parse(default_unit=...)`, the
  method's "unit of exports that state none"), taken for whichever value column is read, and every reading's
  `note` says the unit came from the method. Without a Units column and without a method unit the file is
  refused: nothing in it says whether 0.318 is mg/L or mg/kg.
- WinLab32 writes a standard's nominal concentration in brackets where its measured value would be (`[0.1]`). A
  bracketed number is never a reading value: the reading is NA, the nominal goes to `level` and the `note` says
  so. The row stays, so the run shows the calibration it was measured against.
- Rows are classified by name with WinLab32's own defaults (`vocabulary.WINLAB`: Calib Blank 1, Calib Std 1).
- A formula is refused in the value read and in the other numeric columns of a full export (Conc, Intensity,
  Std Dev, RSD, factors); Sample ID and the other text columns are kept as written.
"""

import re
from dataclasses import replace
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays.importers import vocabulary
from assays.importers.base import (
    CENSORED_WORDS,
    SOLID,
    SOLUTION,
    UNITS,
    Channel,
    Format,
    HeaderChannels,
    Qualifier,
    RunBuilder,
    RunRow,
    Sheet,
    Table,
    collapse,
    formula_problems,
    header_index,
    make_channel,
    number,
    unit,
)
from assays.importers.vocabulary import NO_TYPES

_SYNGISTIX_LABEL = re.compile(r"([A-Za-z]{1,2})\s*(\d+)\s*(?:\((.*?)\))?", re.ASCII)
_SEPARATOR_ROW = "calibration curves"
_SYNGISTIX_WORDS = {**CENSORED_WORDS, "s": "OR"}
_WINLAB_LABEL = re.compile(r"([A-Za-z]{1,2})(?:\s+(\d+(?:\.\d+)?))?", re.ASCII)
_WINLAB_VALUES = ("reported conc (samp)", "reported conc (calib)", "conc (samp)", "conc (calib)")
_WINLAB_UNITS = ("units (samp)", "units (calib)", "units")
# Other columns of a full export that hold numbers: a formula is refused there too.
_WINLAB_NUMBERS = re.compile(r".*\b(?:conc|intensity|std\.? ?dev|sd|rsd|factor|weight|volume|dilution)\b.*")
# A standard's nominal concentration, as WinLab32 writes it in place of a value.
_WINLAB_NOMINAL = re.compile(r"\[\s*((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\]", re.ASCII)
_HEADER_SEARCH = 50


def _is_syngistix_header(cells: list[str]) -> bool:
    return any(cell.strip().casefold() == "sample id" for cell in cells)


def sniff_syngistix(sheet: Sheet) -> bool:
    for _row, cells in sheet.rows[:_HEADER_SEARCH]:
        if _is_syngistix_header(cells):
            folded = header_index(cells)
            return "analyte name" not in folded and any(_SYNGISTIX_LABEL.fullmatch(label) for label in folded)
    return False


def read_syngistix(table: Table, sheet: Sheet, run: RunBuilder) -> None:
    if _kind(sheet) == _FACTORED and not run.sheet_named:
        sheet = _paired_factored_sheet(table, sheet, run)
    rows, row_cells, found_header = _syngistix_rows(sheet, run)
    if not found_header:
        run.problem(None, "", _("No Syngistix header row: expected a row with Sample Id and analytes like “Cu 63”."))
        return
    run.prepare(
        rows,
        types=NO_TYPES,
        name_column="Sample Id",
        date_column="Acquisition Time",
        day_first_hint=table.delimiter == ";",
    )
    factors = _factors(table, sheet, rows, row_cells, run)
    for row, (cells, channels, _key) in zip(rows, row_cells, strict=True):
        factor = factors.get(row.row)
        if factor is not None:
            channels = [_per_sample_mass(channel) for channel in channels]
        start = len(run.readings)
        run.add_cells(row, cells, channels, words=_SYNGISTIX_WORDS)
        if factor is not None:
            note = _(
                "per sample mass: the sheet applies a factor of %(factor)s (mL/g) to Unfactored Concentrations"
            ) % {"factor": _shown(factor)}
            for reading in run.readings[start:]:
                reading.note = note


# Which measure a sheet holds, from its name: the factored sheets apply the sample-preparation factor (weight and
# volume) but keep the solution unit in their labels.
_FACTORED = "factored"
_UNFACTORED = "unfactored"
_FACTORED_NAMES = ("concentrations", "org concentrations")
_UNFACTORED_NAME = "unfactored concentrations"
# Two values agree when they differ by less than this, relatively: the report prints 12 to 13 significant digits.
_AGREEMENT = Decimal("1e-6")
# Values too small to compare: their printed digits no longer carry the factor.
_COMPARABLE = Decimal("1e-6")


def _kind(sheet: Sheet) -> str:
    name = sheet.name.strip().casefold()
    if name in _FACTORED_NAMES:
        return _FACTORED
    if name == _UNFACTORED_NAME:
        return _UNFACTORED
    return ""


def _syngistix_rows(sheet: Sheet, run: RunBuilder) -> tuple[list[RunRow], list["_Cells"], bool]:
    rows: list[RunRow] = []
    row_cells: list[_Cells] = []
    block: tuple[dict[str, int], list[Channel]] | None = None
    for row_number, cells in sheet.rows:
        if _is_syngistix_header(cells):
            block = _syngistix_block(sheet, row_number, cells, run)
            continue
        if block is None or not any(cell.strip() for cell in cells):
            continue
        metadata, channels = block
        fields = {name: cells[index].strip() for name, index in metadata.items() if index < len(cells)}
        name = fields.get("sample id", "")
        if name.casefold() == _SEPARATOR_ROW:
            continue
        data_file = fields.get("dataset file", "").replace("/", "\\").rpartition("\\")[2]
        rows.append(RunRow(row_number, name, acquired=fields.get("acquisition time", ""), data_file=data_file))
        # The report's own row index (the unnamed first column) and the time pair a row across sheets.
        row_cells.append(_Cells(cells, channels, (fields.get("", ""), rows[-1].acquired)))
    return rows, row_cells, block is not None


class _Cells(NamedTuple):
    cells: list[str]
    channels: list[Channel]
    key: tuple[str, str]  # (the report's row index, acquisition time): the same measurement on every sheet

    def numbers(self) -> dict[tuple[str, str], Decimal]:
        width = len(self.cells)
        return {
            (channel.analyte, channel.isotope): value
            for channel in self.channels
            if channel.index < width and (value := number(self.cells[channel.index])) is not None
        }


def _values(sheet: Sheet) -> dict[tuple[str, str], tuple[str, dict[tuple[str, str], Decimal]]]:
    """The numeric cells of a sheet by (row index, acquisition time): the sample id and {(analyte, isotope): value}."""
    rows, row_cells, _found = _syngistix_rows(sheet, _scratch())
    return {item.key: (row.sample_name, item.numbers()) for row, item in zip(rows, row_cells, strict=True)}


def _scratch() -> RunBuilder:
    """A builder whose problems nobody reads: for looking at a sheet the run does not read."""
    return RunBuilder("", lambda rows, types: None)


def _row_factor(
    factored: dict[tuple[str, str], Decimal], unfactored: dict[tuple[str, str], Decimal]
) -> tuple[Decimal | None, list[Decimal]]:
    """(the one factor between a row's factored and unfactored values, or None when they disagree; the ratios)."""
    ratios = [
        value / unfactored[key]
        for key, value in factored.items()
        if key in unfactored and abs(value) >= _COMPARABLE and abs(unfactored[key]) >= _COMPARABLE
    ]
    if not ratios:
        return Decimal(1), ratios
    low, high = min(ratios), max(ratios)
    if low <= 0 or (high - low) / low > _AGREEMENT:
        return None, ratios
    return (low + high) / 2, ratios


def _disagreement(sheet: Sheet, unfactored: Sheet, rows, row_cells) -> tuple[int, str] | None:
    """The first row of a factored sheet that does not pair with Unfactored Concentrations, and why; None if all do."""
    theirs = _values(unfactored)
    for row, item in zip(rows, row_cells, strict=True):
        numbers = item.numbers()
        partner = theirs.get(item.key)
        if partner is None:
            if not numbers:
                continue
            return row.row, _("“%(name)s” measured at %(time)s is not in “%(other)s”") % {
                "name": row.sample_name,
                "time": row.acquired,
                "other": unfactored.name.strip(),
            }
        their_name, their_numbers = partner
        if their_name.casefold() != row.sample_name.casefold():
            return row.row, _("this row is “%(name)s” but the same measurement in “%(other)s” is “%(their)s”") % {
                "name": row.sample_name,
                "other": unfactored.name.strip(),
                "their": their_name,
            }
        factor, ratios = _row_factor(numbers, their_numbers)
        if factor is None:
            return row.row, _(
                "the values of “%(name)s” are not one multiple of “%(other)s” (ratios from %(low)s to %(high)s)"
            ) % {
                "name": row.sample_name,
                "other": unfactored.name.strip(),
                "low": _shown(min(ratios)),
                "high": _shown(max(ratios)),
            }
    return None


def _paired_factored_sheet(table: Table, sheet: Sheet, run: RunBuilder) -> Sheet:
    """The sheet to read when the caller named none: `sheet` (the preferred factored sheet) if its rows pair with
    Unfactored Concentrations, else the next factored sheet that does; `sheet` itself when none does, so that its
    reading reports why."""
    unfactored = table.sheet(_UNFACTORED_NAME)
    if unfactored is None:
        return sheet
    candidates = [sheet] + [other for name in _FACTORED_NAMES if (other := table.sheet(name)) and other is not sheet]
    for candidate in candidates:
        rows, row_cells, _found = _syngistix_rows(candidate, _scratch())
        if _disagreement(candidate, unfactored, rows, row_cells) is None:
            if candidate is not sheet:
                run.sheet_read = candidate.name
            return candidate
    return sheet


def _factors(table: Table, sheet: Sheet, rows: list[RunRow], row_cells, run: RunBuilder) -> dict[int, Decimal]:
    """The preparation factor of every row of a factored sheet that applies one ({row number: factor}); rows left
    out are on the solution basis. Records a problem when the file cannot show the basis."""
    kind = _kind(sheet)
    if kind == _UNFACTORED:
        return {}
    if kind != _FACTORED:
        # A lone sheet: a solution unit in its labels may be a factored sheet's unchanged label. The run says
        # so (basis ""), and the import refuses it (assays.services) unless the labels state a mass unit.
        for item in row_cells:
            item.channels[:] = [
                replace(channel, basis="") if channel.basis == SOLUTION else channel for channel in item.channels
            ]
        return {}
    unfactored = table.sheet(_UNFACTORED_NAME)
    if unfactored is None:
        run.problem(
            None,
            "",
            _(
                "Sheet “%(sheet)s” holds factored concentrations under a solution unit label, and the file has no "
                "“Unfactored Concentrations” sheet to tell whether the values are per litre or per sample mass. "
                "Export the whole Syngistix report workbook, or import its “Unfactored Concentrations” sheet with "
                "the digested mass and final volume."
            )
            % {"sheet": sheet.name.strip()},
        )
        return {}
    disagreement = _disagreement(sheet, unfactored, rows, row_cells)
    if disagreement is not None:
        row_number, why = disagreement
        run.problem(
            row_number,
            "Sample Id",
            _(
                "Sheet “%(sheet)s” does not agree with “%(other)s”: %(why)s. The basis of its values cannot be told; "
                "export the report again from Syngistix, or import the “%(other)s” sheet with the digested mass and "
                "final volume."
            )
            % {"sheet": sheet.name.strip(), "other": unfactored.name.strip(), "why": why},
        )
        return {}
    theirs = _values(unfactored)
    factors = {}
    for row, item in zip(rows, row_cells, strict=True):
        partner = theirs.get(item.key)
        if partner is None:
            continue
        factor, _ratios = _row_factor(item.numbers(), partner[1])
        if factor is None or abs(factor - 1) <= _AGREEMENT:
            continue
        if factor < 1:
            run.problem(
                row.row,
                "Sample Id",
                _(
                    "Sheet “%(sheet)s” divides the values of “%(name)s” by %(inverse)s: that is no volume per sample "
                    "mass. Check the weights and volumes entered in Syngistix and export the report again."
                )
                % {"sheet": sheet.name.strip(), "name": row.sample_name, "inverse": _shown(1 / factor)},
            )
            continue
        factors[row.row] = factor
    return factors


def _per_sample_mass(channel: Channel) -> Channel:
    """A factored column: mg/L times mL/g is mg/kg of the sample."""
    solid = _PER_MASS.get(channel.unit)
    if solid is None:
        return channel
    return replace(channel, unit=solid, basis=SOLID)


_PER_MASS = {"mg/L": "mg/kg", "ug/L": "ug/kg", "ppm": "mg/kg", "ppb": "ug/kg"}


def _shown(value: Decimal) -> str:
    return f"{value:.6g}"


def _syngistix_block(sheet: Sheet, row: int, cells: list[str], run: RunBuilder) -> tuple[dict[str, int], list[Channel]]:
    """Metadata positions and channels of the block whose header is `cells`. Columns before the first analyte
    that are not known metadata are ignored (other Syngistix versions add some); after it, every column must
    be an analyte."""
    metadata: dict[str, int] = {}
    channels = HeaderChannels(run, sheet, row)
    analytes_started = False
    for index, cell in enumerate(cells):
        label = collapse(cell)
        match = _SYNGISTIX_LABEL.fullmatch(label)
        if match:
            analytes_started = True
            symbol, mass, unit_text = match.groups()
            channels.add(index, label, symbol, mass, "", unit_text or "")
        elif not analytes_started:
            metadata.setdefault(label.casefold(), index)
        elif label:
            run.problem(
                row, sheet.letter(index), _("“%(label)s” is not an analyte such as “Cu 63”.") % {"label": label}
            )
    return metadata, channels.channels


def _winlab_header(sheet: Sheet) -> int | None:
    for position, (_row, cells) in enumerate(sheet.rows[:_HEADER_SEARCH]):
        names = {cell.strip().casefold() for cell in cells}
        if "sample id" in names and "analyte name" in names:
            return position
    return None


def sniff_winlab(sheet: Sheet) -> bool:
    return _winlab_header(sheet) is not None


def read_winlab(table: Table, sheet: Sheet, run: RunBuilder, *, default_unit: str | None = None) -> None:
    position = _winlab_header(sheet)
    if position is None:
        run.problem(None, "", _("No WinLab32 header: expected columns Sample ID, Analyte Name, Date, Time."))
        return
    header_row, header = sheet.rows[position]
    columns = header_index(header)
    value_column = next((name for name in _WINLAB_VALUES if name in columns), None)
    unit_column = next((name for name in _WINLAB_UNITS if name in columns), None)
    if value_column is None:
        run.problem(header_row, "", _("No concentration column (Reported Conc (Samp) or Reported Conc (Calib))."))
    method_unit = _winlab_method_unit(header_row, default_unit, run) if unit_column is None else None
    if value_column is None or (unit_column is None and method_unit is None):
        return
    value_index = columns[value_column]
    value_label = collapse(header[value_index])
    unit_label = collapse(header[columns[unit_column]]) if unit_column else ""
    numbers = {
        index: collapse(label)
        for index, label in enumerate(header)
        if index != value_index and _WINLAB_NUMBERS.fullmatch(collapse(label).casefold())
    }
    run.problems.extend(formula_problems(sheet, sheet.rows[position + 1 :], numbers))
    unit_note = (
        _("The export has no Units column: the unit %(unit)s is the method's.") % {"unit": method_unit}
        if method_unit
        else ""
    )
    nominal_note = _("WinLab32 wrote the standard's nominal concentration %(text)s here, not a measurement.")
    rows: list[RunRow] = []
    row_cells: list[tuple[list[str], Channel, bool]] = []
    for row_number, cells in sheet.rows[position + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        fields = {name: cells[index].strip() for name, index in columns.items() if index < len(cells)}
        label = fields.get("analyte name", "")
        match = _WINLAB_LABEL.fullmatch(label)
        if not match:
            run.problem(
                row_number, "Analyte Name", _("“%(label)s” is not an analyte such as “Au 242.80”.") % {"label": label}
            )
            continue
        symbol, wavelength = match.groups()
        channel = make_channel(
            run,
            row_number,
            value_label,
            value_index,
            symbol,
            wavelength or "",
            "",
            fields.get(unit_column, "") if unit_column else method_unit or "",
            symbol_column="Analyte Name",
            unit_column=unit_label,
        )
        if channel is None:
            continue
        acquired = f"{fields.get('date', '')} {fields.get('time', '')}".strip()
        nominal = _WINLAB_NOMINAL.fullmatch(fields.get(value_column, ""))
        rows.append(
            RunRow(row_number, fields.get("sample id", ""), acquired=acquired, level=nominal[1] if nominal else "")
        )
        row_cells.append((cells, channel, nominal is not None))
    run.prepare(
        rows,
        types=vocabulary.WINLAB,
        name_column="Sample ID",
        date_column="Date",
        day_first_hint=table.delimiter == ";",
        group_consecutive=True,
    )
    for row, (cells, channel, bracketed) in zip(rows, row_cells, strict=True):
        start = len(run.readings)
        if bracketed:
            run.add(row, channel, cells[value_index], None, Qualifier.NOT_REPORTED, None)
        else:
            run.add_cells(row, cells, (channel,))
        notes = [nominal_note % {"text": cells[value_index].strip()}] if bracketed else []
        if unit_note:
            notes.append(unit_note)
        if notes:
            for reading in run.readings[start:]:
                reading.note = " ".join(notes)


def _winlab_method_unit(header_row: int, default_unit: str | None, run: RunBuilder) -> str | None:
    """The method's unit for an export without a Units column, or None after recording why there is none."""
    if not default_unit:
        run.problem(
            header_row,
            "",
            _(
                "The export has no Units column (Units (Samp) or Units (Calib)) and the method states no unit for "
                "exports without one. Export the run again with the Units (Samp) column, or set the method's "
                "unit of exports that state none."
            ),
        )
        return None
    canonical = unit(default_unit)
    if canonical is None:
        run.problem(
            None,
            "",
            _(
                "The export has no Units column and the method's unit “%(unit)s” is not one the import knows; set "
                "the method's unit to one of %(units)s."
            )
            % {"unit": default_unit, "units": ", ".join(UNITS)},
        )
    return canonical


SYNGISTIX = Format(
    name="perkinelmer_syngistix",
    description=gettext_lazy(
        "PerkinElmer Syngistix report: a header row with Sample Id and analytes such as “Cu 63 (mg/L)”"
    ),
    sniff=sniff_syngistix,
    read=read_syngistix,
    preferred_sheets=("Concentrations",),
)
WINLAB = Format(
    name="perkinelmer_winlab",
    description=gettext_lazy(
        "PerkinElmer WinLab32 CSV: columns Sample ID, Analyte Name, Date, Time, Reported Conc and Units (or a "
        "unit set on the method)"
    ),
    sniff=sniff_winlab,
    read=read_winlab,
)
