"""Instrument exports in, readings out.

    run = parse(data, filename="batch.csv")       # ParsedRun, or ImportRejected listing every problem
    detect_format(data, filename="batch.csv")     # "agilent_masshunter", ...

Formats, detected from the content (the file name's extension only tells a workbook from text); each module's
docstring describes its layout and decisions:

- agilent_masshunter      Agilent MassHunter batch table, CSV or .xlsx (agilent)
- perkinelmer_syngistix   PerkinElmer Syngistix (NexION) report, workbook, sheet CSV or flattened CSV (perkinelmer)
- perkinelmer_winlab      PerkinElmer WinLab32 long CSV (perkinelmer)
- thermo_qtegra           Thermo Qtegra EXPORT CSV, ICP-OES or ICP-MS (thermo)
- generic_long            our documented long CSV, for everything else (generic)

Pass `format=` to skip detection and `sheet=` to read another worksheet than the one detection picks, and
`default_unit=` (the method's unit) for exports that state no unit: only the WinLab32 export may leave its Units
column out, and the other readers ignore it.

A file none of these reads is refused with the list of layouts and the way out: convert it to the generic CSV
(described at /runs/formats/generic/). Two kinds of file are told apart because their fix is another one: the
spectrum of one sample (columns such as Mass and Intensity), where the batch table is wanted, and a GC-MS
quantitation report (Compound, RT, Response), which is no ICP export at all.
"""

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from assays.importers import agilent, generic, perkinelmer, thermo
from assays.importers.base import (
    ELEMENTS,
    MAX_BYTES,
    MAX_ROWS,
    SOLID,
    SOLUTION,
    UNITS,
    Format,
    ImportRejected,
    ParsedRun,
    Problem,
    Qualifier,
    Reading,
    RowType,
    RunBuilder,
    Sheet,
    Table,
    collapse,
    read_table,
    reject,
)
from assays.importers.vocabulary import KNOWN_CRMS, Classifier

__all__ = [
    "ELEMENTS",
    "FORMATS",
    "KNOWN_CRMS",
    "MAX_BYTES",
    "MAX_ROWS",
    "SOLID",
    "SOLUTION",
    "UNITS",
    "ImportRejected",
    "ParsedRun",
    "Problem",
    "Qualifier",
    "Reading",
    "RowType",
    "detect_format",
    "parse",
]

# Most specific first: the long layouts name their columns exactly, Qtegra's header is the loosest.
_DETECTION_ORDER: tuple[Format, ...] = (
    generic.FORMAT,
    perkinelmer.WINLAB,
    agilent.FORMAT,
    perkinelmer.SYNGISTIX,
    thermo.FORMAT,
)
_BY_NAME = {known.name: known for known in _DETECTION_ORDER}
FORMATS: dict[str, Callable[[Table, Sheet, RunBuilder], None]] = {known.name: known.read for known in _DETECTION_ORDER}
# Readers of layouts that may state no unit, which take the method's unit (`parse(default_unit=...)`).
_UNIT_FROM_METHOD: dict[str, Callable[..., None]] = {perkinelmer.WINLAB.name: perkinelmer.read_winlab}
GENERIC_FORMAT_PAGE = "/runs/formats/generic/"


def detect_format(data: bytes, filename: str = "") -> str:
    """The name of the format the file is in; ImportRejected when none fits."""
    table = read_table(data, filename=filename, max_bytes=MAX_BYTES)
    return _detect(table, None)[0].name


def parse(
    data: bytes,
    *,
    filename: str = "",
    format: str | None = None,
    crm_names: Iterable[str] = KNOWN_CRMS,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    sheet: str | None = None,
    default_unit: str | None = None,
) -> ParsedRun:
    """Every reading of the export, or ImportRejected with every problem found (row and column each).
    `default_unit` is the unit the method states for exports without a unit column ("" is none). A file over
    `max_bytes` or `max_rows` (MAX_BYTES, MAX_ROWS when None) is refused as soon as reading gets there."""
    table = read_table(
        data, filename=filename, max_bytes=MAX_BYTES if max_bytes is None else max_bytes, max_rows=max_rows
    )
    chosen_format, chosen_sheet = _detect(table, sheet) if format is None else _override(table, format, sheet)
    run = RunBuilder(chosen_format.name, Classifier(crm_names).classify_rows)
    run.sheet_named = sheet is not None
    reader = _UNIT_FROM_METHOD.get(chosen_format.name)
    if reader is not None and default_unit:
        reader(table, chosen_sheet, run, default_unit=default_unit)
    else:
        chosen_format.read(table, chosen_sheet, run)
    return run.result(sheet=chosen_sheet.name)


def _detect(table: Table, sheet_name: str | None) -> tuple[Format, Sheet]:
    for known in _DETECTION_ORDER:
        for candidate in _candidates(table, known, sheet_name):
            if known.sniff(candidate):
                return known, candidate
    raise reject(_not_a_batch_export(table) or _unknown_layout())


def _unknown_layout() -> str:
    return _(
        "The file matches no known export layout. The layouts read are: %(layouts)s. To import another "
        "instrument's results, convert them to the generic CSV, one line per reading with the columns "
        "%(columns)s; its description is at %(page)s."
    ) % {
        "layouts": "; ".join(str(known.description) for known in _DETECTION_ORDER),
        "columns": ", ".join(generic.REQUIRED),
        "page": GENERIC_FORMAT_PAGE,
    }


# Header words of files that are no batch table (casefolded, spaces collapsed): a spectrum of one sample, and a
# chromatography quantitation report.
_SPECTRUM_AXES = frozenset(("mass", "m/z", "amu", "mass (amu)", "wavelength", "wavelength (nm)", "nm"))
_SPECTRUM_SIGNALS = frozenset(
    ("intensity", "cps", "counts", "counts/s", "signal", "intensity (cps)", "intensity (counts)", "abundance")
)
_QUANT_COMPOUND = frozenset(("compound", "compound name", "name"))
_QUANT_TIME = frozenset(("rt", "ret. time", "ret time", "retention time", "rt (min)", "exp. rt"))
_QUANT_SIGNALS = frozenset(("response", "resp.", "quant ion", "qion", "area", "conc.", "final conc."))
_HEADER_SEARCH = 20


def _not_a_batch_export(table: Table) -> str | None:
    """Why the file is no batch table, for the kinds of file technicians upload by mistake; None otherwise."""
    for sheet in table.sheets:
        for _row, cells in sheet.rows[:_HEADER_SEARCH]:
            labels = {collapse(cell).casefold(): collapse(cell) for cell in cells if cell.strip()}
            spectrum = _named(labels, _SPECTRUM_AXES, _SPECTRUM_SIGNALS)
            if spectrum:
                return _(
                    "The file is the spectrum of one sample (columns %(columns)s), not the results of a batch. "
                    "Export the batch table from the instrument software: one row per sample with the "
                    "concentration of every analyte."
                ) % {"columns": spectrum}
            quantitation = _named(labels, _QUANT_COMPOUND, _QUANT_TIME, _QUANT_SIGNALS)
            if quantitation:
                return _(
                    "The file is a GC-MS quantitation report (columns %(columns)s), not an ICP-MS or ICP-OES "
                    "export: it cannot be imported as an assay run. Import the batch table of the ICP instrument."
                ) % {"columns": quantitation}
    return None


def _named(labels: dict[str, str], *groups: frozenset[str]) -> str:
    """The file's own labels for one word of each group, quoted ("“Mass”, “Intensity”"), or "" when a group has
    none in `labels`."""
    found: list[str] = []
    for group in groups:
        label = next((labels[word] for word in labels if word in group), None)
        if label is None:
            return ""
        found.append(f"“{label}”")
    return ", ".join(found)


def _override(table: Table, format_name: str, sheet_name: str | None) -> tuple[Format, Sheet]:
    """The format the caller named, on the first candidate sheet it recognises, else on the first candidate (its
    reader then says what is missing)."""
    chosen = _BY_NAME.get(format_name)
    if chosen is None:
        raise reject(
            _("Unknown format “%(format)s”; the formats are %(formats)s.")
            % {"format": format_name, "formats": ", ".join(_BY_NAME)}
        )
    candidates = _candidates(table, chosen, sheet_name)
    return chosen, next((candidate for candidate in candidates if chosen.sniff(candidate)), candidates[0])


def _candidates(table: Table, known: Format, sheet_name: str | None) -> list[Sheet]:
    """The sheets to try: the one the caller named, else the format's preferred sheets, then all in order."""
    if sheet_name is not None:
        named = table.sheet(sheet_name)
        if named is None:
            raise reject(
                _("There is no sheet “%(sheet)s”; the sheets are %(sheets)s.")
                % {"sheet": sheet_name, "sheets": ", ".join(f"“{each.name}”" for each in table.sheets)}
            )
        return [named]
    preferred = [found for name in known.preferred_sheets if (found := table.sheet(name))]
    candidates = preferred + [each for each in table.sheets if each not in preferred]
    if not candidates:
        raise reject(_("The file holds no data."))
    return candidates
