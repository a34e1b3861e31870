"""Files past the row limit are refused while they are read, without reading or holding the rest; files at it are
read whole. Reading streams: memory follows the rows kept, not the file."""

import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from assays.importers import ImportRejected, Problem, base, parse
from assays.importers.base import read_table

HEADER = "sample,analyte,value,unit,qualifier,detection_limit\n"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def generic_csv(rows: int, *, line_end: str = "\n") -> bytes:
    """A generic long CSV of `rows` rows, the header included: one reading a data row."""
    lines = [HEADER.rstrip("\n")] + [f"KZ-CU-{index // 10:05d},Cu,{index % 97}.25,ppb,," for index in range(rows - 1)]
    return (line_end.join(lines) + line_end).encode()


def rejection(data: bytes, **options) -> Problem:
    with pytest.raises(ImportRejected) as rejected:
        parse(data, **options)
    [problem] = rejected.value.problems
    return problem


def xlsx(sheet_xml: str) -> bytes:
    """A workbook whose one sheet is `sheet_xml` (the inside of <worksheet>), written as is."""
    skeleton = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["placeholder"])
    book.save(skeleton)
    out = io.BytesIO()
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = f'<worksheet xmlns="{NS}">{sheet_xml}</worksheet>'.encode()
            target.writestr(member.filename, data)
    return out.getvalue()


def inline(row: int, cells: list[str]) -> str:
    return f'<row r="{row}">' + "".join(f'<c t="inlineStr"><is><t>{cell}</t></is></c>' for cell in cells) + "</row>"


def generic_sheet(rows: int) -> str:
    """The sheet XML of a generic long workbook of `rows` rows, the header included."""
    header = inline(1, HEADER.strip().split(","))
    data = "".join(inline(index + 2, [f"KZ-CU-{index:05d}", "Cu", "1.5", "ppb"]) for index in range(rows - 1))
    return f"<sheetData>{header}{data}</sheetData>"


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_file_at_the_row_limit_is_imported(line_end):
    run = parse(generic_csv(50, line_end=line_end), max_rows=50)
    assert len(run.readings) == 49
    assert run.readings[-1].row == 50


def test_a_file_past_the_row_limit_is_refused_with_what_to_do():
    problem = rejection(generic_csv(51), max_rows=50)
    assert problem.row is None
    assert "at least 51 rows" in problem.message
    assert "the limit is 50 rows" in problem.message
    assert "Split the batch into files of at most 50 rows" in problem.message
    assert "LIMS_IMPORT_MAX_ROWS" in problem.message


def test_empty_rows_count_but_are_not_kept():
    data = HEADER.encode() + b"KZ-CU-00001,Cu,1.5,ppb,,\n" + b"\n" * 10 + b",,,,,\n" * 10 + b"KZ-CU-00002,Cu,2,ppb,,\n"
    [sheet] = read_table(data, filename="run.csv", max_bytes=10_000, max_rows=23).sheets
    # Trailing empty cells are dropped; rows keep their number in the file.
    assert sheet.rows == [
        (1, HEADER.strip().split(",")),
        (2, ["KZ-CU-00001", "Cu", "1.5", "ppb"]),
        (23, ["KZ-CU-00002", "Cu", "2", "ppb"]),
    ]
    assert "at least 23 rows" in rejection(data, max_rows=22).message


def test_the_module_limit_applies_when_none_is_given(monkeypatch):
    monkeypatch.setattr(base, "MAX_ROWS", 50)
    assert "the limit is 50 rows" in rejection(generic_csv(51)).message
    assert len(parse(generic_csv(51), max_rows=51).readings) == 50


def test_rows_of_every_sheet_count():
    data = xlsx(generic_sheet(30))
    assert len(parse(data, filename="run.xlsx", max_rows=30).readings) == 29
    problem = rejection(data, filename="run.xlsx", max_rows=29)
    assert "at least 30 rows" in problem.message


def test_refusing_a_long_csv_reads_no_more_than_the_limit():
    data = generic_csv(200_000)
    tracemalloc.start()
    try:
        with pytest.raises(ImportRejected):
            parse(data, max_rows=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The file is some 5 MB, and reading it whole took over 100 MB; what is held here is a thousand rows and the
    # decoder's buffers (some 0.5 MB).
    assert len(data) > 4_000_000
    assert peak < 3_000_000, peak


def test_refusing_a_long_workbook_reads_no_more_than_the_limit():
    data = xlsx(generic_sheet(100_000))
    tracemalloc.start()
    try:
        with pytest.raises(ImportRejected):
            parse(data, filename="run.xlsx", max_rows=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The sheet is some 19 MB of XML, and reading it whole took some 50 MB; what is held here is a thousand rows,
    # openpyxl's styles and the XML parser's buffers (under 1 MB).
    assert peak < 3_000_000, peak


def test_a_workbook_with_a_huge_dimension_and_padded_rows_reads_only_its_cells():
    padding = "".join(f'<c r="{openpyxl.utils.get_column_letter(column)}3" s="0"/>' for column in range(7, 5007))
    sheet = (
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        + inline(1, HEADER.strip().split(","))
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>KZ-CU-00001</t></is></c><c r="B2" t="inlineStr"><is><t>Cu</t>'
        '</is></c><c r="C2"><v>1.5</v></c><c r="D2" t="inlineStr"><is><t>ppb</t></is></c><c r="XFD2" s="0"/></row>'
        + '<row r="3"><c r="A3" t="inlineStr"><is><t>KZ-CU-00002</t></is></c><c r="B3" t="inlineStr"><is><t>Cu</t>'
        f'</is></c><c r="C3"><v>2</v></c><c r="D3" t="inlineStr"><is><t>ppb</t></is></c><c r="E3" t="inlineStr"><is><t>'
        f"</t></is></c>{padding}</row>"
        '<row r="1048576" ht="20" customHeight="1"/></sheetData>'
    )
    data = xlsx(sheet)
    started = time.perf_counter()
    [read] = read_table(data, filename="run.xlsx", max_bytes=len(data)).sheets
    assert time.perf_counter() - started < 5
    assert read.rows == [
        (1, HEADER.strip().split(",")),
        (2, ["KZ-CU-00001", "Cu", "1.5", "ppb"]),
        (3, ["KZ-CU-00002", "Cu", "2", "ppb"]),
    ]
    run = parse(data, filename="run.xlsx")
    assert [(reading.row, str(reading.value)) for reading in run.readings] == [(2, "1.5"), (3, "2")]


def test_a_workbook_row_wider_than_a_spreadsheet_is_refused():
    cells = '<c t="inlineStr"><is><t>1</t></is></c>' * (base._XLSX_COLUMNS + 1)
    data = xlsx(f'<sheetData><row r="1">{cells}</row></sheetData>')
    assert "more than 16384 cells" in rejection(data, filename="run.xlsx").message


def test_a_file_past_the_cell_limit_is_refused():
    line = ",".join(["1"] * 1000) + "\n"
    data = (HEADER + line * (base.MIN_MAX_CELLS // 1000)).encode()
    problem = rejection(data, max_rows=2000)
    assert f"the limit is {base.MIN_MAX_CELLS} cells" in problem.message
    assert "LIMS_IMPORT_MAX_ROWS" in problem.message


def test_a_row_longer_than_any_export_is_refused_as_it_is_read():
    data = HEADER.encode() + b"1," * (base._MAX_RECORD // 2 + 1) + b"\n"
    problem = rejection(data)
    assert problem.row == 2
    assert "longer than" in problem.message


def test_windows_1252_found_late_is_read_again_as_windows_1252():
    data = generic_csv(2000) + "KZ-CU-99999,Cu,1.5,µg/L,,\n".encode("cp1252")
    run = parse(data)
    assert run.readings[-1].unit == "ug/L"
    assert run.readings[-1].row == 2001


def test_utf16_is_read_and_its_control_characters_refused():
    text = generic_csv(5).decode().replace(",", "\t")
    assert len(parse(text.encode("utf-16")).readings) == 4
    assert "binary" in rejection((text + "\x1b\n").encode("utf-16")).message


def test_a_sep_line_is_not_a_row():
    data = b"sep=;\n" + generic_csv(50).replace(b",", b";")
    run = parse(data, max_rows=50)
    assert run.readings[-1].row == 51
