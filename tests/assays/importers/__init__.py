"""Helpers for the importer tests.

The fixtures beside this file are synthetic: they copy the layouts of real instrument exports (header rows,
separators, BOM, CRLF, censored values, vocabularies) with invented sample names and values. Workbooks are built
by the tests with openpyxl.
"""

import io
from pathlib import Path

import openpyxl

from assays.importers import ParsedRun, Reading

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx with the given sheets, in order, each a list of rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def readings_of(run: ParsedRun, sample_name: str) -> list[Reading]:
    return [reading for reading in run.readings if reading.sample_name == sample_name]


def reading(run: ParsedRun, sample_name: str, analyte: str, **fields: object) -> Reading:
    """The one reading of `sample_name` for `analyte` matching `fields` (isotope="200", mode="He", ...)."""
    found = [
        each
        for each in readings_of(run, sample_name)
        if each.analyte == analyte and all(getattr(each, name) == value for name, value in fields.items())
    ]
    assert len(found) == 1, found
    return found[0]
