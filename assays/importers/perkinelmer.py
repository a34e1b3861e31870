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
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays.importers.base import (
    CENSORED_WORDS,
    Channel,
    Format,
    HeaderChannels,
    RunBuilder,
    RunRow,
    Sheet,
    Table,
    collapse,
    header_index,
    make_channel,
)
from assays.importers.vocabulary import NO_TYPES

_SYNGISTIX_LABEL = re.compile(r"([A-Za-z]{1,2})\s*(\d+)\s*(?:\((.*?)\))?", re.ASCII)
_SEPARATOR_ROW = "calibration curves"
_SYNGISTIX_WORDS = {**CENSORED_WORDS, "s": "OR"}
_WINLAB_LABEL = re.compile(r"([A-Za-z]{1,2})(?:\s+(\d+(?:\.\d+)?))?", re.ASCII)
_WINLAB_VALUES = ("reported conc (samp)", "reported conc (calib)", "conc (samp)", "conc (calib)")
_WINLAB_UNITS = ("units (samp)", "units (calib)")
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
    rows: list[RunRow] = []
    row_cells: list[tuple[list[str], list[Channel]]] = []
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
        row_cells.append((cells, channels))
    if block is None:
        run.problem(None, "", _("No Syngistix header row: expected a row with Sample Id and analytes like “Cu 63”."))
        return
    run.prepare(
        rows,
        types=NO_TYPES,
        name_column="Sample Id",
        date_column="Acquisition Time",
        day_first_hint=table.delimiter == ";",
    )
    for row, (cells, channels) in zip(rows, row_cells, strict=True):
        run.add_cells(row, cells, channels, words=_SYNGISTIX_WORDS)


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


def read_winlab(table: Table, sheet: Sheet, run: RunBuilder) -> None:
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
    if unit_column is None:
        run.problem(header_row, "", _("No unit column (Units (Samp) or Units (Calib))."))
    if value_column is None or unit_column is None:
        return
    value_index = columns[value_column]
    value_label, unit_label = collapse(header[value_index]), collapse(header[columns[unit_column]])
    rows: list[RunRow] = []
    row_cells: list[tuple[list[str], Channel]] = []
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
            fields.get(unit_column, ""),
            symbol_column="Analyte Name",
            unit_column=unit_label,
        )
        if channel is None:
            continue
        acquired = f"{fields.get('date', '')} {fields.get('time', '')}".strip()
        rows.append(RunRow(row_number, fields.get("sample id", ""), acquired=acquired))
        row_cells.append((cells, channel))
    run.prepare(
        rows,
        types=NO_TYPES,
        name_column="Sample ID",
        date_column="Date",
        day_first_hint=table.delimiter == ";",
        group_consecutive=True,
    )
    for row, (cells, channel) in zip(rows, row_cells, strict=True):
        run.add_cells(row, cells, (channel,))


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
        "PerkinElmer WinLab32 CSV: columns Sample ID, Analyte Name, Date, Time, Reported Conc, Units"
    ),
    sniff=sniff_winlab,
    read=read_winlab,
)
