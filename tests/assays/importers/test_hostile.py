"""Files that must be refused whole, with every problem named by row and column."""

import csv
import io
import zipfile

import pytest

from assays.importers import MAX_BYTES, ImportRejected, Problem, parse
from tests.assays.importers import fixture, workbook

AGILENT_HEADER = (
    "Sample,,,,63  Cu  [ He ] ,,139  La  [ No Gas ] \n,Rjct,Type,Sample Name,CPS,Conc. [ ppb ],Conc. [ ppb ]\n"
)


def rejection(data: bytes, **options) -> list[Problem]:
    with pytest.raises(ImportRejected) as rejected:
        parse(data, **options)
    return rejected.value.problems


def places(data: bytes, **options) -> list[tuple[int | None, str]]:
    return [(problem.row, problem.column) for problem in rejection(data, **options)]


def test_an_empty_file_is_refused():
    [problem] = rejection(b"")
    assert problem == Problem(None, "", "The file is empty.")


@pytest.mark.parametrize(
    "data",
    [
        b"Sample,Cu\x00\x00\x01,\n",  # NUL bytes
        b"\x81\x8d\x8f\x90\x9d binary",  # neither UTF-8 nor Windows-1252
        b"sample,analyte\x1b[31m,value\n",  # control characters no export writes
    ],
)
def test_binary_content_is_refused(data):
    [problem] = rejection(data)
    assert "binary" in problem.message


def test_a_workbook_that_is_not_a_zip_is_refused():
    [problem] = rejection(b"Sample,Cu\n1,2\n", filename="run.xlsx")
    assert "not a zip archive" in problem.message


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    [problem] = rejection(buffer.getvalue(), filename="run.xlsx")
    assert "not a readable .xlsx workbook" in problem.message


def test_a_workbook_that_inflates_beyond_reason_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 200_000)
    data = buffer.getvalue()
    [problem] = rejection(data, filename="run.xlsx", max_bytes=len(data) * 2)
    assert "inflates" in problem.message


def test_an_oversized_file_is_refused_before_it_is_read():
    # Binary and oversized: the size is checked first, so the content is never looked at.
    [problem] = rejection(b"\x00" * 101, max_bytes=100)
    assert "101 bytes" in problem.message
    [problem] = rejection(b"\x00" * (MAX_BYTES + 1))
    assert f"{MAX_BYTES} bytes" in problem.message


def test_a_file_with_no_known_header_is_refused():
    [problem] = rejection(b"a,b,c\n1,2,3\n")
    assert problem.row is None
    assert "no known export layout" in problem.message


def test_a_header_without_rows_has_no_readings():
    [problem] = rejection(AGILENT_HEADER.encode())
    assert problem.message == "The file holds no readings."


def test_a_duplicated_column_is_refused():
    data = (
        b"Sample,,,,63  Cu  [ He ] ,63  Cu  [ He ] \n"
        b",Rjct,Type,Sample Name,Conc. [ ppb ],Conc. [ ppb ]\n"
        b",FALSE,Sample,KZ-CU-0014,1.5,1.6\n"
    )
    [problem] = rejection(data)
    # Which of the two is the result cannot be known.
    assert (problem.row, problem.column) == (2, "63 Cu [ He ] Conc. [ ppb ]")
    assert "Column F repeats column E" in problem.message


def test_a_duplicated_qtegra_column_is_refused():
    data = fixture("qtegra_semicolon.csv").replace(b"Fe 238.204 {142} (Radial);Cu", b"Cu 324.754 {104} (Axial);Cu")
    assert places(data) == [(3, "Cu 324.754 {104} (Axial) ExtCal.Average")]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("63  Xx  [ He ] ", "63 Xx [ He ] Conc. [ ppb ]"),  # not a chemical element
        ("Copper [ He ] ", "E"),  # not an analyte label at all
    ],
)
def test_an_unknown_analyte_is_refused(header, column):
    data = (
        f"Sample,,,,{header},139  La  [ No Gas ] \n"
        ",Rjct,Type,Sample Name,Conc. [ ppb ],Conc. [ ppb ]\n"
        ",FALSE,Sample,KZ-CU-0015,1.5,0.2\n"
    ).encode()
    assert [column] == [place[1] for place in places(data)]


def test_an_unknown_unit_is_refused():
    data = (
        AGILENT_HEADER.replace("Conc. [ ppb ],Conc", "Conc. [ furlongs ],Conc") + ",FALSE,Sample,KZ-CU-0016,9,1.5,0.2\n"
    )
    [problem] = rejection(data.encode())
    assert (problem.row, problem.column) == (2, "63 Cu [ He ] Conc. [ furlongs ]")
    assert "ppb" in problem.message


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("abc", "not a number"),
        ("1.5.2", "not a number"),
        ("0,004", "decimal comma"),
        ("NaN", "not a number"),
        ("1_000", "not a number"),
    ],
)
def test_a_value_that_is_not_a_number_names_its_row_and_column(cell, hint):
    [problem] = rejection(agilent_file(F=cell))
    assert (problem.row, problem.column) == (3, "63 Cu [ He ] Conc. [ ppb ]")
    assert hint in problem.message


def agilent_file(**cells: str) -> bytes:
    """A small MassHunter table with one data row; `cells` overrides that row by column letter."""
    row = {"A": "", "B": "FALSE", "C": "Sample", "D": "KZ-CU-0018", "E": "9", "F": "1.5", "G": "0.2", **cells}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row.values())
    return (AGILENT_HEADER + buffer.getvalue()).encode()


@pytest.mark.parametrize(
    ("column", "label", "cell"),
    [
        ("F", "63 Cu [ He ] Conc. [ ppb ]", '=HYPERLINK("http://example.com","open")'),
        ("F", "63 Cu [ He ] Conc. [ ppb ]", "=1+2"),
        ("G", "139 La [ No Gas ] Conc. [ ppb ]", "+cmd|' /C calc'!A0"),
        ("F", "63 Cu [ He ] Conc. [ ppb ]", "@SUM(A1)"),
        ("F", "63 Cu [ He ] Conc. [ ppb ]", " =1+1"),  # behind a space
        ("F", "63 Cu [ He ] Conc. [ ppb ]", "-2+3"),  # not a plain number either
        ("E", "63 Cu [ He ] CPS", "=1+1"),  # a value cell no reading comes from
    ],
)
def test_a_formula_where_a_value_belongs_is_refused(column, label, cell):
    [problem] = rejection(agilent_file(**{column: cell}))
    assert (problem.row, problem.column) == (3, label)
    assert "would run as a spreadsheet formula" in problem.message
    assert cell.strip()[:20] in problem.message


@pytest.mark.parametrize(
    "name",
    [
        "-0.5 cm 2206_TAN 230110",
        "+ve control",
        "@home",
        '=HYPERLINK("http://example.com","open")',
        "+cmd|' /C calc'!A0",
    ],
)
def test_a_name_that_starts_like_a_formula_is_text_kept_as_written(name):
    run = parse(agilent_file(D=name))
    assert {reading.sample_name for reading in run.readings} == {name}
    assert [str(reading.value) for reading in run.readings] == ["1.5", "0.2"]


def test_a_signed_number_is_not_a_formula():
    run = parse(agilent_file(F="-0.003", G="+0.2"))
    assert [str(r.value) for r in run.readings] == ["-0.003", "0.2"]


def test_a_workbook_formula_is_refused_in_every_value_cell_and_kept_in_text():
    data = workbook(
        {
            "Sheet1": [
                ["Sample", None, None, None, "63  Cu  [ He ] ", None, "45  Sc ( ISTD )  [ He ] "],
                ["Rjct", "Type", "Sample Name", "Total Dil.", "CPS", "Conc. [ ppb ]", "CPS"],
                [False, "Sample", '=CONCAT("KZ",1)', "=2*5", "=A1", 1.5, "=B2"],
            ]
        }
    )
    # Total Dil., the analyte's CPS and the internal standard's CPS; the name is text.
    assert places(data, filename="run.xlsx") == [
        (3, "Total Dil."),
        (3, "63 Cu [ He ] CPS"),
        (3, "45 Sc ( ISTD ) [ He ] CPS"),
    ]


def test_a_formula_in_a_workbook_is_refused_even_with_a_cached_value():
    data = workbook(
        {
            "Sheet1": [
                ["Sample", None, "63  Cu  [ He ] "],
                ["Type", "Sample Name", "Conc. [ ppb ]"],
                ["Sample", "KZ-CU-0020", "=2*0.75"],
            ]
        }
    )
    assert places(data, filename="run.xlsx") == [(3, "63 Cu [ He ] Conc. [ ppb ]")]


def test_every_problem_is_reported_at_once():
    data = (
        AGILENT_HEADER
        + ",FALSE,Sample,KZ-CU-0021,9,abc,0.2\n"
        + ",MAYBE,Sample,KZ-CU-0022,9,1.5,0.2\n"
        + ',FALSE,Sample,KZ-CU-0023,"@SUM(A1)",1.5,<>\n'
    )
    assert places(data.encode()) == [
        (3, "63 Cu [ He ] Conc. [ ppb ]"),
        (4, "Rjct"),
        (5, "63 Cu [ He ] CPS"),
        (5, "139 La [ No Gas ] Conc. [ ppb ]"),
    ]


def test_the_message_lists_every_problem():
    with pytest.raises(ImportRejected) as rejected:
        parse(agilent_file(F="abc", G="xyz"))
    text = str(rejected.value)
    assert "row 3, column “63 Cu [ He ] Conc. [ ppb ]”" in text
    assert "row 3, column “139 La [ No Gas ] Conc. [ ppb ]”" in text


def test_a_sample_row_needs_a_name():
    assert places(agilent_file(D="")) == [(3, "Sample Name")]


def test_a_macro_workbook_is_refused():
    data = workbook({"Sheet1": [["Sample"]]})
    [problem] = rejection(data, filename="run.xlsm")
    assert "binary" in problem.message


def test_a_long_list_of_problems_is_kept_whole_and_shortened_in_the_message():
    rows = "".join(f",FALSE,Sample,KZ-CU-{number:04d},9,abc,0.2\n" for number in range(60))
    with pytest.raises(ImportRejected) as rejected:
        parse((AGILENT_HEADER + rows).encode())
    assert len(rejected.value.problems) == 60
    assert str(rejected.value).endswith("… and 10 more problems")
