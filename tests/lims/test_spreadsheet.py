"""Text written for a spreadsheet never runs as a formula (OWASP, CSV injection)."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from lims.lib.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://example.com","open")', '\'=HYPERLINK("http://example.com","open")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
        (" =1+1", "' =1+1"),  # a leading space does not hide it
        # Real sample names start like formulas too; they are kept, and shown as text.
        ("-0.5 cm 2206_TAN 230110", "'-0.5 cm 2206_TAN 230110"),
        ("+ve control", "'+ve control"),
        ("@home", "'@home"),
    ],
)
def test_text_that_would_start_a_formula_is_quoted(text, written):
    assert safe_cell(text) == written


@pytest.mark.parametrize(
    "value",
    [
        "-0.5",
        "+0.2",
        "-1.5E-05",
        " -3 ",
        "KZ-CU-0001",
        "OREAS 991",
        "a=b",  # not at the start
        "",
        None,
        0,
        -0.5,
        Decimal("-0.003"),
        date(2024, 3, 5),
    ],
)
def test_numbers_and_plain_text_are_unchanged(value):
    assert safe_cell(value) == value


def test_a_row_through_the_csv_writer_keeps_its_values_and_disarms_its_formulas():
    buffer = io.StringIO()
    csv.writer(buffer).writerow(safe_row(["=1+2", "-0.5", "S-12, DNU", Decimal("1.5")]))
    assert buffer.getvalue() == '\'=1+2,-0.5,"S-12, DNU",1.5\r\n'


def test_a_quoted_cell_is_text_in_a_workbook():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["=1+2", safe_cell("=1+2"), safe_cell("-0.5")])
    # openpyxl writes a string starting with "=" as a formula; quoted, it is a string.
    assert [cell.data_type for cell in sheet[1]] == ["f", "s", "s"]
    assert sheet["B1"].value == "'=1+2"
