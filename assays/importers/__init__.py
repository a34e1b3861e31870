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

Pass `format=` to skip detection and `sheet=` to read another worksheet than the one detection picks.
"""

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from assays.importers import agilent, generic, perkinelmer, thermo
from assays.importers.base import (
    ELEMENTS,
    MAX_BYTES,
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
    formula_problems,
    read_table,
    reject,
)
from assays.importers.vocabulary import KNOWN_CRMS, Classifier

__all__ = [
    "ELEMENTS",
    "FORMATS",
    "KNOWN_CRMS",
    "MAX_BYTES",
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
    sheet: str | None = None,
) -> ParsedRun:
    """Every reading of the export, or ImportRejected with every problem found (row and column each)."""
    table = read_table(data, filename=filename, max_bytes=MAX_BYTES if max_bytes is None else max_bytes)
    chosen_format, chosen_sheet = _detect(table, sheet) if format is None else _override(table, format, sheet)
    run = RunBuilder(chosen_format.name, Classifier(crm_names).classify_rows)
    run.problems.extend(formula_problems(table))
    chosen_format.read(table, chosen_sheet, run)
    return run.result(sheet=chosen_sheet.name)


def _detect(table: Table, sheet_name: str | None) -> tuple[Format, Sheet]:
    for known in _DETECTION_ORDER:
        for candidate in _candidates(table, known, sheet_name):
            if known.sniff(candidate):
                return known, candidate
    raise reject(
        _("The file matches no known export layout. Expected one of: %(layouts)s.")
        % {"layouts": "; ".join(str(known.description) for known in _DETECTION_ORDER)}
    )


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
