"""What every instrument importer shares: the result types, reading the bytes, and turning cells into readings.

An importer is a pure function from the bytes of an instrument export to a `ParsedRun`. It touches no database,
no model and no file: the run-import service stores the file and the readings. `parse()` in the package either
returns a complete run or raises `ImportRejected` listing every problem it found, each with its row and column,
so the technician can fix the export in one go; it never returns part of a file.

Decisions that hold for every format (the vendor modules document their own):

- Row numbers are 1-based records of the file as a spreadsheet shows it: the line number of a CSV when no cell
  holds a line break, the row number in Excel always (a quoted cell with a line break stays in one row).
- Reading is bounded, so a worker's memory follows the limits and not the file. A file over `max_bytes` is refused
  before it is read. Rows are counted as they are read (every sheet, empty rows included) and so are the cells
  kept: past `max_rows` rows (the setting LIMS_IMPORT_MAX_ROWS) or max(CELLS_PER_ROW x `max_rows`, MIN_MAX_CELLS)
  cells, reading stops and the file is refused at once, with one problem giving the limit and what to do; the rest
  is never looked at. A CSV is decoded and split as it is read, over the upload's bytes (never a second copy of
  the text); a workbook's sheets are read from the zip as a stream of XML, a row at a time, whatever dimension
  they state. What is held is `Sheet.rows`, a list the vendor readers index: only rows with a non-empty cell,
  without their trailing empty cells, at most about 140 bytes a row and 64 a cell (each cell's text is an object
  of its own). At the default limits that is under 100 MB however the file is made; a 100,000-line generic CSV
  takes 67 MB. A workbook adds openpyxl's shared strings and styles, read whole but bounded by the inflation
  limit. The readings made from the rows come on top: bench/bench_import_memory.py measures whole parses.
- A value cell that is empty in a measured analyte's column becomes a reading with qualifier NA and no value:
  the run states that this result is missing, and dropping it would hide a gap in the panel. Lines that are
  entirely empty are skipped.
- Censored values stay censored: `<0.004` is qualifier `<` with detection limit 0.004 and no value; `OR` and
  `N/A` carry no value. Nothing is ever turned into 0. Negative numbers are kept as measured (`Reading.negative`).
- A spreadsheet formula (a cell starting with `=`, `+`, `-` or `@` and not a plain number) is refused where a
  value belongs: the result cells of the channels, the other numeric cells of an analyte (CPS, RSD, detection
  limits) and numeric metadata such as Total Dil. A workbook is read with its formulas, not their cached values,
  so a formula behind a plausible number is caught there too. Text cells (sample names, comments) are data, not
  formulas: `-0.5 cm 2206_TAN 230110`, `+ve control` or `@home` are names labs really write, and they are kept
  exactly as written. Neutralising such text is the job of whatever writes it out to a spreadsheet later
  (`lims.lib.spreadsheet.safe_cell`). Cells of sheets the import does not read are not values of the run and are
  not looked at.
- Dates are naive, as written; the service localises them.
"""

import codecs
import csv
import io
import itertools
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, TYPE_CHECKING

from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from assays.choices import ExportBasis, Qualifier, RowType
from assays.units import SOLID_UNITS, SOLUTION_UNITS, UnitError, is_solution_unit, normalise_unit

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise

MAX_BYTES = 20 * 1024 * 1024
# The most rows a file may have (all sheets together, empty rows included); the installation's limit is the
# setting LIMS_IMPORT_MAX_ROWS, which the run-import service passes.
MAX_ROWS = 100_000
# The most cells a file may have: CELLS_PER_ROW a row on average over the row limit (the generic layout has at most
# 10 columns), never fewer than MIN_MAX_CELLS, so that a lower row limit still takes a full batch table (500
# samples x 60 analytes x 5 columns is 150,000 cells). A kept cell costs up to 64 bytes, whatever its row.
CELLS_PER_ROW = 12
MIN_MAX_CELLS = 1_000_000
# An .xlsx is a zip of XML: a small upload can inflate to gigabytes (a zip bomb). Real exports compress about
# tenfold, so this bounds the inflated size well above any genuine workbook of MAX_BYTES.
XLSX_MAX_INFLATION = 10
# ImportRejected keeps every problem; its text stops here so a log line stays readable.
PROBLEMS_IN_MESSAGE = 50

# fmt: off
ELEMENTS = frozenset((
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca",
    "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",
    "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce",
    "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir",
    "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm",
    "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc",
    "Lv", "Ts", "Og",
))
# fmt: on
_ELEMENT_BY_FOLDED = {symbol.casefold(): symbol for symbol in ELEMENTS}

# Units are assays.units' (one normaliser for files and forms), plus the intensity an export may carry in
# columns that become no result.
INTENSITY = "cps"
UNITS = (*SOLUTION_UNITS, *SOLID_UNITS, INTENSITY)

# ASCII digits only: \d would also take other scripts' digits, which Decimal then reads as numbers.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
# Words instruments print instead of a number (casefolded); "<LQ" and friends are below a limit the cell does
# not state.
CENSORED_WORDS: Mapping[str, str] = {"n/a": "NA", "na": "NA", "or": "OR", "over range": "OR"}
_UNSTATED_LIMITS = frozenset(("lq", "loq", "lod", "dl", "mdl"))
_FORMULA_START = frozenset("=+-@")
# Characters no text export contains; one of them means binary content. A search per character is faster than
# a regular expression over the whole file.
_CONTROL = tuple(chr(code) for code in (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F))
_CONTROL_BYTES = tuple(character.encode() for character in _CONTROL)
# Text is sniffed for its delimiter on this many characters, and a UTF-16 file checked this many bytes at a time.
_SNIFF = 65536
_TEXT_CHUNK = 1 << 20
# The longest record of delimited text, in characters; real rows are a few kilobytes.
_MAX_RECORD = 1 << 20
# The widest row a spreadsheet has (column XFD).
_XLSX_COLUMNS = 16384
# Finds rows holding a cell that starts like a formula, so only those rows are looked at cell by cell.
_FORMULA_HINT = re.compile(r"\x00\s*[=+\-@]")
_DATE = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*([AaPp][Mm])?)?",
    re.ASCII,
)


# Basis of a value, as assays.choices.ExportBasis names it.
SOLUTION = ExportBasis.SOLUTION.value
SOLID = ExportBasis.SOLID.value


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason to reject the file."""

    row: int | None  # 1-based row in the file or sheet, None when the problem is file-wide
    column: str  # header label, or the column letter where there is no label; "" if none
    message: str  # what is wrong and what to do

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(_("column “%(column)s”") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRejected(Exception):
    """The file cannot be imported; `problems` says why, each with its row and column."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=lambda problem: problem.row or 0)
        super().__init__(self.problems)

    def __str__(self) -> str:
        lines = [f"- {problem}" for problem in self.problems[:PROBLEMS_IN_MESSAGE]]
        hidden = len(self.problems) - PROBLEMS_IN_MESSAGE
        if hidden > 0:
            lines.append(_("… and %(count)d more problems") % {"count": hidden})
        return "\n".join([_("The file was not imported:"), *lines])


def reject(message: str, *, row: int | None = None, column: str = "") -> ImportRejected:
    return ImportRejected([Problem(row, column, message)])


@dataclass(slots=True)
class Reading:
    """One instrument value as the file states it. Not frozen: a frozen dataclass sets each of its fields
    through object.__setattr__, which doubles the cost of the 30,000 readings of a large batch; nothing
    changes a reading after the importer made it."""

    row: int  # 1-based row in the file, for messages
    column: str  # header label of the value's column
    sample_name: str  # as written, stripped
    row_type: RowType
    analyte: str  # element symbol in canonical case: "Cu", "La"
    isotope: str  # mass "63" (ICP-MS), wavelength "324.754" (OES), "" if none
    value: Decimal | None  # None for <, OR and NA; the lower bound for >
    qualifier: Qualifier
    detection_limit: Decimal | None
    unit: str  # one of UNITS, as the file states it
    dilution_factor: Decimal | None  # stated by the file (Total Dil.); already applied to value by the instrument
    acquired_at: datetime | None  # naive, as written
    crm_name: str  # canonical CRM name when row_type is CRM
    level: str  # calibration level when the file gives one
    raw: str  # the cell text exactly as read
    rejected: bool  # the instrument flagged the row rejected (Agilent Rjct)
    mode: str = ""  # tune or gas mode ("He", "No Gas") or plasma view ("Axial"): same isotope, other channel
    duplicate_of: str = ""  # sample name of the original when this row repeats one (AMIS0682-01D, S-12 DUP)
    run_row: int = 0  # 1-based measurement in the run; readings of one instrument measurement share it
    vendor_type: str = ""  # the row type as the instrument wrote it ("QCS", "Spike Ref"), "" if none
    data_file: str = ""  # the instrument's data file for the row ("005CALB.d", "BLK.1098"), "" if none
    basis: str = ""  # SOLUTION (per litre of the measured digest) or SOLID (per sample mass), from the file's evidence
    excluded: bool = False  # the row is marked do not use (DNU): kept on the run, never QC or a result
    note: str = ""  # what the importer decided about this value that a reviewer should know

    @property
    def negative(self) -> bool:
        return self.value is not None and self.value < 0


@dataclass
class ParsedRun:
    format: str
    readings: list[Reading]
    internal_standards: list[str]
    sheet: str = ""  # the worksheet read, "" for a plain text file

    def summary(self) -> dict:
        """JSON-ready overview for the import preview. Rows are instrument measurements (`run_row`); sample ids
        are the names of SAMPLE rows in file order."""
        rows_by_type: dict[str, set[int]] = {row_type.value: set() for row_type in RowType}
        sample_ids: dict[str, None] = {}
        analytes: dict[tuple[str, str, str, str], None] = {}
        censored = {qualifier.value: 0 for qualifier in Qualifier if qualifier is not Qualifier.NONE}
        negative = 0
        for reading in self.readings:
            rows_by_type[reading.row_type].add(reading.run_row)
            if reading.row_type is RowType.SAMPLE:
                sample_ids[reading.sample_name] = None
            analytes[reading.analyte, reading.isotope, reading.mode, reading.unit] = None
            if reading.qualifier:
                censored[reading.qualifier] += 1
            negative += reading.negative
        return {
            "format": self.format,
            "sheet": self.sheet,
            "rows_by_type": {row_type: len(rows) for row_type, rows in rows_by_type.items()},
            "sample_ids": list(sample_ids),
            "analytes": [
                {"analyte": analyte, "isotope": isotope, "mode": mode, "unit": unit}
                for analyte, isotope, mode, unit in analytes
            ],
            "censored": censored,
            "negative": negative,
            "readings": len(self.readings),
            "internal_standards": list(self.internal_standards),
        }


# Reading the bytes


@dataclass(frozen=True, slots=True, eq=False)
class Sheet:
    name: str  # "" for a plain text file
    # (1-based row number, cell texts): the rows holding a cell that is not empty, without trailing empty cells
    rows: list[tuple[int, list[str]]]
    column_offset: int = 0  # cells dropped before the first one kept (the flattened workbook's prefix columns)

    def letter(self, index: int) -> str:
        return get_column_letter(index + self.column_offset + 1)


@dataclass(frozen=True, slots=True, eq=False)
class Table:
    sheets: list[Sheet]
    delimiter: str  # "" for a workbook

    def sheet(self, name: str) -> Sheet | None:
        wanted = name.strip().casefold()
        return next((sheet for sheet in self.sheets if sheet.name.strip().casefold() == wanted), None)


def read_table(data: bytes, *, filename: str, max_bytes: int, max_rows: int | None = None) -> Table:
    """The file as sheets of text cells. A name ending in .xlsx is a workbook; without an extension the zip
    signature decides; everything else is delimited text (a macro workbook, .xlsm, is refused as binary: no
    instrument writes one). Past `max_rows` rows (MAX_ROWS when None) or the cells they allow, reading stops
    and the file is refused (see the module docstring)."""
    if not data:
        raise reject(_("The file is empty."))
    if len(data) > max_bytes:
        raise reject(
            _("The file is %(size)d bytes; the limit is %(limit)d bytes. Export one run per file.")
            % {"size": len(data), "limit": max_bytes}
        )
    limits = _Limits(MAX_ROWS if max_rows is None else max_rows)
    extension = filename.rpartition(".")[2].casefold() if "." in filename else ""
    if extension == "xlsx" or (not extension and data.startswith(b"PK\x03\x04")):
        return _read_workbook(data, max_bytes=max_bytes, limits=limits)
    return _read_text(data, limits)


class _Limits:
    """The rows and cells read so far, against the most a file may have. Readers count as they go and raise
    what `too_many_rows` or `too_many_cells` returns the moment a count passes its limit."""

    __slots__ = ("cells", "max_cells", "max_rows", "rows")

    def __init__(self, max_rows: int):
        self.rows = self.cells = 0
        self.max_rows = max_rows
        self.max_cells = max(max_rows * CELLS_PER_ROW, MIN_MAX_CELLS)

    def too_many_rows(self) -> ImportRejected:
        return reject(
            _(
                "The file has at least %(rows)d rows (empty rows and every sheet count; reading stopped there); the "
                "limit is %(limit)d rows. Split the batch into files of at most %(limit)d rows, or ask the operator "
                "to raise LIMS_IMPORT_MAX_ROWS."
            )
            % {"limit": self.max_rows, "rows": self.rows}
        )

    def too_many_cells(self) -> ImportRejected:
        return reject(
            _(
                "The file has at least %(cells)d cells (reading stopped there); the limit is %(limit)d cells, "
                "%(per_row)d a row on average over the row limit. Split the batch into smaller files, or ask the "
                "operator to raise LIMS_IMPORT_MAX_ROWS."
            )
            % {"limit": self.max_cells, "cells": self.cells, "per_row": CELLS_PER_ROW}
        )


def _read_text(data: bytes, limits: _Limits) -> Table:
    binary = reject(_("The file is binary, not a text export. Export the run as CSV or .xlsx."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
        try:
            has_control = _utf16_has_control(data)
        except UnicodeDecodeError:
            raise binary from None
    else:
        # Below 0x80 UTF-8 and Windows-1252 bytes are the ASCII characters themselves, so the bytes tell.
        has_control = any(character in data for character in _CONTROL_BYTES)
        # Excel on Windows saves "CSV" in the ANSI code page.
        encodings = ("utf-8-sig", "cp1252")
    if has_control:
        raise binary
    for encoding in encodings:
        try:
            return _read_delimited(data, encoding, _Limits(limits.max_rows))
        except UnicodeDecodeError:
            continue  # what was read is dropped with the exception, before the next encoding is tried
    raise binary


def _utf16_has_control(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-16")()
    view = memoryview(data)
    for start in range(0, len(data), _TEXT_CHUNK):
        text = decoder.decode(view[start : start + _TEXT_CHUNK], final=start + _TEXT_CHUNK >= len(data))
        if any(character in text for character in _CONTROL):
            return True
    return False


class _RecordTooLong(Exception):
    pass


class _Lines:
    """The lines of a text stream, for csv.reader. The reader builds a whole record before it returns it, and a
    quote that is never closed makes the rest of the file one record: the reading loop zeroes `pending` at every
    record, and a record that grows past _MAX_RECORD characters stops here."""

    __slots__ = ("lines", "pending")

    def __init__(self, lines: Iterable[str]):
        self.lines = iter(lines)
        self.pending = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.pending += len(line)
        if self.pending > _MAX_RECORD:
            raise _RecordTooLong
        return line


def _read_delimited(data: bytes, encoding: str, limits: _Limits) -> Table:
    """The text decoded and split as it is read: the bytes stay the only copy of the file (io.BytesIO shares
    them), and only the kept rows are held."""

    def stream() -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")

    text = stream()
    first = text.readline()
    marker = first.rstrip("\r\n")
    # Excel writes and honours a first line "sep=;" naming the delimiter.
    if marker.casefold() in ("sep=,", "sep=;", "sep=\t"):
        delimiter, number, lines = marker[4], 1, _Lines(text)
    else:
        delimiter, number, lines = _sniff_delimiter(stream().read(_SNIFF)), 0, _Lines(itertools.chain((first,), text))
    rows: list[tuple[int, list[str]]] = []
    flattened: dict[str, list[tuple[int, list[str]]]] | None = None
    try:
        for cells in csv.reader(lines, delimiter=delimiter):
            lines.pending = 0
            number += 1
            limits.rows += 1
            if limits.rows > limits.max_rows:
                raise limits.too_many_rows()
            if cells and not cells[-1]:
                while cells and not cells[-1]:
                    cells.pop()
            if flattened is not None:
                if cells:
                    # A workbook saved as one CSV: the first two columns name the sheet and its row; rows keep
                    # their record number in the CSV (the file the user has).
                    sheet_rows = flattened.setdefault(cells[0], [])
                    cells = cells[2:]
                    if cells:
                        sheet_rows.append((number, cells))
            elif limits.rows == 1 and cells[:2] == ["__sheet__", "__row__"]:
                flattened = {}
                continue
            elif cells:
                rows.append((number, cells))
            limits.cells += len(cells)
            if limits.cells > limits.max_cells:
                raise limits.too_many_cells()
    except csv.Error as error:
        raise reject(_("The file is not valid delimited text (%(error)s).") % {"error": error}) from None
    except _RecordTooLong:
        raise reject(
            _(
                "The row is longer than %(limit)d characters: no instrument writes such a row (a quote that is "
                "never closed can make one). Check the file, or export the run again."
            )
            % {"limit": _MAX_RECORD},
            row=number + 1,
        ) from None
    if flattened is not None:
        return Table([Sheet(name, sheet_rows, column_offset=2) for name, sheet_rows in flattened.items()], delimiter)
    return Table([Sheet("", rows)], delimiter)


def _sniff_delimiter(sample: str) -> str:
    def fields(delimiter: str) -> int:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            return sum(len(cells) for cells in itertools.islice(reader, 5))
        except csv.Error:
            return 0

    return max((",", ";", "\t"), key=fields)


def _read_workbook(data: bytes, *, max_bytes: int, limits: _Limits) -> Table:
    not_a_workbook = _("The file is not a readable .xlsx workbook (%(error)s). Export it again from the instrument.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise reject(not_a_workbook % {"error": _("not a zip archive")}) from None
    if inflated > max_bytes * XLSX_MAX_INFLATION:
        raise reject(
            _("The workbook inflates to %(size)d bytes, more than %(limit)d; it cannot be an instrument export.")
            % {"size": inflated, "limit": max_bytes * XLSX_MAX_INFLATION}
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel extensions it drops (data validation lists); they carry no data.
            warnings.simplefilter("ignore")
            # openpyxl's load_workbook(read_only=True) without its last steps: it also walks every sheet that
            # states no dimension, to the end, before a row is asked for. Styles are read for the date formats.
            reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False)
            try:
                reader.read_manifest()
                reader.read_strings()
                reader.read_workbook()
                apply_stylesheet(reader.archive, reader.wb)
                sheets = []
                for sheet, relation in reader.parser.find_sheets():
                    if relation.target in reader.valid_files and "chartsheet" not in relation.Type:
                        with reader.archive.open(relation.target) as source:
                            sheets.append(_read_worksheet(source, sheet.name, reader, limits))
            finally:
                reader.archive.close()
    except ImportRejected:
        raise
    # A malformed workbook can fail anywhere inside openpyxl and lxml, with any exception type; every one of
    # them means the same thing to the user.
    except Exception as error:
        raise reject(not_a_workbook % {"error": type(error).__name__}) from None
    return Table(sheets, "")


_SHEET_DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"
_ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
_CELL_TAG = f"{{{SHEET_MAIN_NS}}}c"


def _read_worksheet(source: IO[bytes], title: str, reader: ExcelReader, limits: _Limits) -> Sheet:
    """The rows of a worksheet, streamed from the zip. The sheet's XML is walked here rather than through
    openpyxl's row iterator, which pads every row to the sheet's stated dimension (A1:XFD1048576 makes each row
    16,384 cells and fills a million rows); each cell is still read by openpyxl (shared strings, dates by their
    style, formulas as written). Only cells holding something count, so a row is as wide as its last non-empty
    cell. The XML after the rows (merged cells, validations...) is not read."""
    # openpyxl's own read-only iterator makes its parser the same way; requirements.txt pins openpyxl.
    parser = WorkSheetParser(
        None,
        reader.shared_strings,
        data_only=False,
        epoch=reader.wb.epoch,
        date_formats=reader.wb._date_formats,
        timedelta_formats=reader.wb._timedelta_formats,
    )
    rows: list[tuple[int, list[str]]] = []
    number = last = width = seen = 0
    found: list[tuple[int, str]] = []  # (column, text) of the row's non-empty cells
    # "end" events only: an element is complete, its children included, when it is handed over.
    for _event, element in iterparse(source):
        tag = element.tag
        if tag == _CELL_TAG:
            seen += 1
            if seen > _XLSX_COLUMNS:
                raise reject(
                    _(
                        "A row of sheet “%(sheet)s” after row %(row)d holds more than %(limit)d cells, more than "
                        "a spreadsheet row can. Export the run again from the instrument."
                    )
                    % {"row": number, "sheet": title, "limit": _XLSX_COLUMNS},
                )
            cell = parser.parse_cell(element)
            value = cell["value"]
            if value is not None and value != "":
                text = _cell_text(value)
                if text:
                    column = cell["column"]
                    found.append((column, text))
                    width = max(width, column)
            element.clear()
        elif tag == _ROW_TAG:
            number = _row_number(element.get("r"), number)
            limits.rows += 1
            if limits.rows > limits.max_rows:
                raise limits.too_many_rows()
            # A row number that goes back is a damaged sheet; openpyxl drops such rows too.
            if found and number > last:
                limits.cells += width
                if limits.cells > limits.max_cells:
                    raise limits.too_many_cells()
                cells = [""] * width
                for column, text in found:
                    cells[column - 1] = text
                rows.append((number, cells))
            last = max(last, number)
            found, width, seen = [], 0, 0
            parser.col_counter = 0  # cells that state no column count from the row's start
            # The emptied element stays in the tree (some 80 bytes); the row limit bounds how many do.
            element.clear()
        elif tag == _SHEET_DATA_TAG:
            break
    return Sheet(title, rows)


def _row_number(text: str | None, previous: int) -> int:
    """The number a <row> states, or the next one when it states none (as openpyxl reads it)."""
    if text is None:
        return previous + 1
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        return int(number)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    # Array and data-table formulas come as objects; marking them keeps them from passing the formula check.
    return "=" + str(getattr(value, "text", value))


def formula_problems(
    sheet: Sheet, rows: Iterable[tuple[int, Sequence[str]]], columns: Mapping[int, str]
) -> list[Problem]:
    """A problem for every cell of `columns` (position: label for the message, "" for the column letter) in `rows`
    that holds a formula. For the value cells a reader does not turn into readings (CPS, RSD, Raw.Average...); the
    cells it reads report a formula through `RunBuilder.cell_problem` or `value_message`."""
    problems = []
    for number, cells in rows:
        if not _FORMULA_HINT.search("\x00" + "\x00".join(cells)):
            continue
        for index, label in columns.items():
            if index < len(cells) and _is_formula(cells[index]):
                problems.append(Problem(number, label or sheet.letter(index), formula_message(cells[index])))
    return problems


def formula_message(text: str) -> str:
    shown = text.strip()
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    return _(
        "“%(text)s” would run as a spreadsheet formula where a value belongs. Instrument exports never hold "
        "formulas there: put the value back or export the run again."
    ) % {"text": shown}


def value_message(text: str, message: str) -> str:
    """`message` about a value cell holding `text`, or the formula message when the text is a formula."""
    return formula_message(text) if _is_formula(text) else message


def _is_formula(cell: str) -> bool:
    text = cell.strip()
    return len(text) > 1 and text[0] in _FORMULA_START and not _NUMBER.fullmatch(text)


# Cells


def collapse(text: str) -> str:
    """A header label with its runs of spaces and line breaks made single spaces."""
    return " ".join(text.split())


def element(symbol: str) -> str | None:
    return _ELEMENT_BY_FOLDED.get(symbol.casefold())


def unit(text: str) -> str | None:
    """The canonical unit for `[ ppb ]`, `(mg/L)`, `µg/L`, `Y (ppm)`'s inner part and the like; None when
    assays.units does not know it."""
    if "".join(text.strip("[]() ").split()).casefold() == INTENSITY:
        return INTENSITY
    try:
        return normalise_unit(text)
    except UnitError:
        return None


def number(text: str) -> Decimal | None:
    """A plain decimal number, or None when the text is anything else."""
    text = text.strip()
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def cell_value(
    text: str, words: Mapping[str, str] = CENSORED_WORDS
) -> tuple[Decimal | None, Qualifier, Decimal | None]:
    """(value, qualifier, detection limit) of a result cell; ValueError with a message for anything else.
    `words` maps casefolded words a vendor prints instead of a number to their qualifier."""
    text = text.strip()
    if not text:
        return None, Qualifier.NOT_REPORTED, None
    if _NUMBER.fullmatch(text):
        return Decimal(text), Qualifier.NONE, None
    head, rest = text[0], text[1:].strip()
    if head == "<":
        if _NUMBER.fullmatch(rest):
            return None, Qualifier.BELOW_DL, Decimal(rest)
        if rest.casefold() in _UNSTATED_LIMITS:
            return None, Qualifier.BELOW_DL, None
    elif head == ">" and _NUMBER.fullmatch(rest):
        return Decimal(rest), Qualifier.ABOVE, None
    word = words.get(text.casefold())
    if word:
        return None, Qualifier(word), None
    if _DECIMAL_COMMA.fullmatch(text):
        raise ValueError(
            _("“%(text)s” has a decimal comma; export the run with a decimal point.") % {"text": text[:40]}
        )
    raise ValueError(
        _("“%(text)s” is not a number or a censored value such as <0.004, >100, OR or N/A.") % {"text": text[:40]}
    )


def day_first(texts: Iterable[str], *, hint: bool) -> bool:
    """Whether ambiguous dates such as 05/06/2024 are day-first: a first part above 12 anywhere in the file
    settles it, then a second part above 12; otherwise `hint`, what the file's locale suggests. ValueError when
    the file mixes both orders."""
    day_first_seen = month_first_seen = False
    for text in texts:
        match = _DATE.match(text.strip())
        if match:
            day_first_seen |= int(match[1]) > 12
            month_first_seen |= int(match[2]) > 12
    if day_first_seen and month_first_seen:
        raise ValueError(_("The dates are written both day-first and month-first; export them in one order."))
    return True if day_first_seen else False if month_first_seen else hint


def parse_datetime(text: str, *, day_first: bool) -> datetime | None:
    """A naive datetime from `dd/mm/yyyy hh:mm`, `mm-dd-yy h:mm:ss PM`, ISO 8601 (workbook cells); None when
    empty; ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    invalid = ValueError(_("“%(text)s” is not a date and time.") % {"text": text[:40]})
    try:
        if text[:4].isdigit() and text[4:5] == "-":
            moment = datetime.fromisoformat(text)
        else:
            moment = _local_datetime(text, day_first=day_first)
    except ValueError:
        raise invalid from None
    if moment.tzinfo is not None:
        raise ValueError(_("“%(text)s” has a time zone; give the local time without one.") % {"text": text[:40]})
    return moment


def _local_datetime(text: str, *, day_first: bool) -> datetime:
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError(text)
    first, second, year, hour, minute, seconds, fraction, half = match.groups()
    day, month = (first, second) if day_first else (second, first)
    hours = int(hour or 0)
    if half:
        if not 1 <= hours <= 12:
            raise ValueError(text)
        hours = hours % 12 + (12 if half.casefold() == "pm" else 0)
    return datetime(
        int(year) + (2000 if len(year) == 2 else 0),
        int(month),
        int(day),
        hours,
        int(minute or 0),
        int(seconds or 0),
        int((fraction or "0").ljust(6, "0")),
    )


# Building the run


@dataclass(frozen=True, slots=True)
class Channel:
    """A column of results: one analyte, isotope and mode in one unit."""

    column: str
    analyte: str
    isotope: str
    mode: str
    unit: str
    index: int  # position of the value cell in the row
    basis: str = ""  # SOLUTION or SOLID; make_channel infers it from the unit, a reader may know better


@dataclass(slots=True)
class RunRow:
    """One instrument measurement: what the vendor reader found, then what RunBuilder.prepare worked out."""

    row: int
    sample_name: str
    vendor_type: str = ""
    level: str = ""
    acquired: str = ""  # date and time as written
    dilution_factor: Decimal | None = None
    rejected: bool = False
    data_file: str = ""
    run_row: int = 0
    row_type: RowType = RowType.SAMPLE
    crm_name: str = ""
    duplicate_of: str = ""
    acquired_at: datetime | None = None
    excluded: bool = False  # marked do not use (DNU)


# Rows of these types report on a sample of the lot, so they must name it.
_NAMED_TYPES = frozenset((RowType.SAMPLE, RowType.DUPLICATE, RowType.SPIKE))


class RunBuilder:
    """Collects readings and problems while a vendor reader walks the file.

    The reader lists its measurements first (`prepare`), because classifying a row and reading its date depend on
    the whole file: a trailing D makes a duplicate only if the original is in the file, and 05/06 is ambiguous
    until some date has a part above 12. Then it adds the value cells.
    """

    def __init__(self, format: str, classify_rows: Callable[[Sequence[RunRow], Mapping[str, RowType | None]], None]):
        self.format = format
        self.classify_rows = classify_rows
        self.readings: list[Reading] = []
        self.internal_standards: list[str] = []
        self.problems: list[Problem] = []
        self.sheet_named = False  # the caller named the sheet to read: a reader must not pick another
        self.sheet_read = ""  # the sheet a reader chose instead of the one it was given, "" if none

    def problem(self, row: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))

    def cell_problem(self, row: int, column: str, raw: str, message: str) -> None:
        """A value cell that cannot be read; a formula is named as one."""
        self.problem(row, column, value_message(raw, message))

    def prepare(
        self,
        rows: Sequence[RunRow],
        *,
        types: Mapping[str, RowType | None],
        name_column: str,
        date_column: str = "",
        day_first_hint: bool = True,
        group_consecutive: bool = False,
    ) -> None:
        """Classify the rows (`types` maps the casefolded vendor type, None meaning "look at the name"), read
        their dates and number the measurements. In a long layout (`group_consecutive`) consecutive lines of
        the same sample, type and time are one measurement."""
        self.classify_rows(rows, types)
        try:
            dates_day_first = day_first((row.acquired for row in rows), hint=day_first_hint)
        except ValueError as error:
            self.problem(None, date_column, str(error))
            dates_day_first = day_first_hint
        run_row, previous = 0, None
        for row in rows:
            try:
                row.acquired_at = parse_datetime(row.acquired, day_first=dates_day_first)
            except ValueError as error:
                self.problem(row.row, date_column, str(error))
            if row.row_type in _NAMED_TYPES and not row.sample_name:
                self.problem(row.row, name_column, _("The row has no sample name."))
            key = (row.sample_name, row.vendor_type, row.acquired)
            if not group_consecutive or key != previous:
                run_row += 1
            row.run_row, previous = run_row, key

    def add_cells(
        self,
        row: RunRow,
        cells: list[str],
        channels: Sequence[Channel],
        detection_limits: Sequence[Decimal | None] = (),
        words: Mapping[str, str] = CENSORED_WORDS,
    ) -> None:
        """One reading per channel from the row's cells; `detection_limits`, when given, pairs with `channels`
        and applies where the cell does not state its own limit; `words` as for `cell_value`."""
        width = len(cells)
        plain_number = _NUMBER.fullmatch  # the common case, without the stripping cell_value does
        value: Decimal | None
        for position, channel in enumerate(channels):
            raw = cells[channel.index] if channel.index < width else ""
            if plain_number(raw):
                value, qualifier, limit = Decimal(raw), Qualifier.NONE, None
            else:
                try:
                    value, qualifier, limit = cell_value(raw, words)
                except ValueError as error:
                    self.cell_problem(row.row, channel.column, raw, str(error))
                    continue
            if limit is None and detection_limits:
                limit = detection_limits[position]
            self.add(row, channel, raw, value, qualifier, limit)

    def add(
        self,
        row: RunRow,
        channel: Channel,
        raw: str,
        value: Decimal | None,
        qualifier: Qualifier,
        detection_limit: Decimal | None,
    ) -> None:
        # Positional, in field order: keyword arguments double the cost of the 30,000 readings of a large batch.
        self.readings.append(
            Reading(
                row.row,
                channel.column,
                row.sample_name,
                row.row_type,
                channel.analyte,
                channel.isotope,
                value,
                qualifier,
                detection_limit,
                channel.unit,
                row.dilution_factor,
                row.acquired_at,
                row.crm_name,
                row.level,
                raw,
                row.rejected,
                channel.mode,
                row.duplicate_of,
                row.run_row,
                row.vendor_type,
                row.data_file,
                channel.basis,
                row.excluded,
            )
        )

    def result(self, *, sheet: str) -> ParsedRun:
        if not self.problems and not self.readings:
            self.problem(None, "", _("The file holds no readings."))
        if self.problems:
            raise ImportRejected(self.problems)
        return ParsedRun(self.format, self.readings, self.internal_standards, self.sheet_read or sheet)


class HeaderChannels:
    """The result columns of one header row. A second column for the same analyte, isotope and mode is a
    duplicated column: which of the two is the result cannot be known, so it is a problem."""

    def __init__(self, run: RunBuilder, sheet: Sheet, row: int):
        self.run, self.sheet, self.row = run, sheet, row
        self.channels: list[Channel] = []
        self._first: dict[tuple[str, str, str], int] = {}

    def add(self, index: int, column: str, symbol: str, isotope: str, mode: str, unit_text: str) -> bool:
        """Whether the column became a channel; the problem is recorded when not."""
        channel = make_channel(self.run, self.row, column, index, symbol, isotope, mode, unit_text)
        if channel is None:
            return False
        key = (channel.analyte, channel.isotope, channel.mode)
        first = self._first.setdefault(key, index)
        if first != index:
            self.run.problem(
                self.row,
                column,
                _("Column %(column)s repeats column %(first)s (same analyte, isotope and mode); keep one of them.")
                % {"column": self.sheet.letter(index), "first": self.sheet.letter(first)},
            )
            return False
        self.channels.append(channel)
        return True


def make_channel(
    run: RunBuilder,
    row: int,
    column: str,
    index: int,
    symbol: str,
    isotope: str,
    mode: str,
    unit_text: str,
    *,
    symbol_column: str = "",
    unit_column: str = "",
) -> Channel | None:
    """A channel, or None after recording why not: an element symbol and a unit the importer knows. Problems
    name `column` unless the symbol or unit sits in a column of its own (long layouts)."""
    canonical = element(symbol)
    if canonical is None:
        run.problem(
            row, symbol_column or column, _("“%(symbol)s” is not a chemical element symbol.") % {"symbol": symbol}
        )
        return None
    canonical_unit = unit(unit_text)
    if canonical_unit is None:
        run.problem(
            row,
            unit_column or column,
            _("Unknown unit “%(unit)s”; use one of %(units)s.") % {"unit": unit_text, "units": ", ".join(UNITS)},
        )
        return None
    return Channel(column, canonical, isotope, mode, canonical_unit, index, basis_of_unit(canonical_unit))


def basis_of_unit(canonical_unit: str) -> str:
    """The basis a unit states by itself: SOLUTION for concentrations in the measured solution, which
    includes ppb, ppm and ppt as ICP software writes them (assays.units.is_solution_unit), and
    intensities; SOLID for mass fractions of a sample (mg/kg, g/t, %)."""
    if canonical_unit == INTENSITY or is_solution_unit(canonical_unit):
        return SOLUTION
    return SOLID


@dataclass(frozen=True, slots=True)
class Format:
    """A layout the importer knows: `sniff` says whether a sheet looks like it, `read` fills a RunBuilder."""

    name: str
    description: "StrOrPromise"  # what the layout looks like (lazily translated), for the message when nothing fits
    sniff: Callable[[Sheet], bool]
    read: Callable[[Table, Sheet, RunBuilder], None]
    preferred_sheets: tuple[str, ...] = ()


def header_index(cells: Sequence[str]) -> dict[str, int]:
    """Column positions by casefolded, collapsed label; the first occurrence wins."""
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        index.setdefault(collapse(cell).casefold(), position)
    return index
