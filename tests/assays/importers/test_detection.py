from datetime import datetime

import pytest

from assays.importers import FORMATS, ImportRejected, detect_format, parse
from tests.assays.importers import fixture, workbook


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("agilent_en.csv", "agilent_masshunter"),
        ("agilent_fr.csv", "agilent_masshunter"),
        ("syngistix_sheet.csv", "perkinelmer_syngistix"),
        ("syngistix_flattened.csv", "perkinelmer_syngistix"),
        ("winlab.csv", "perkinelmer_winlab"),
        ("qtegra_semicolon.csv", "thermo_qtegra"),
        ("qtegra_tab_lod.csv", "thermo_qtegra"),
        ("qtegra_icpms.csv", "thermo_qtegra"),
        ("generic.csv", "generic_long"),
    ],
)
def test_it_detects_each_format_from_the_content(name, expected):
    assert detect_format(fixture(name), name) == expected
    # The file name says nothing about the layout.
    assert detect_format(fixture(name), "export.txt") == expected
    assert detect_format(fixture(name)) == expected


def test_it_detects_a_workbook_on_any_sheet():
    data = workbook(
        {
            "Notes": [["Run of 2024-05-06"]],
            "Batch": [
                ["Sample", None, "63  Cu  [ He ] "],
                ["Type", "Sample Name", "Conc. [ ppb ]"],
                ["Sample", "KZ-CU-0012", 1.5],
            ],
        }
    )
    assert detect_format(data, "run.xlsx") == "agilent_masshunter"
    # Without a file name the zip signature tells a workbook from text.
    assert parse(data).sheet == "Batch"


def test_the_format_can_be_named():
    assert parse(fixture("winlab.csv"), format="perkinelmer_winlab").format == "perkinelmer_winlab"
    assert set(FORMATS) == {
        "agilent_masshunter",
        "perkinelmer_syngistix",
        "perkinelmer_winlab",
        "thermo_qtegra",
        "generic_long",
    }


def test_a_named_format_gives_its_own_diagnosis():
    broken = b"sample,analyte,value\nKZ-CU-0013,Cu,1.5\n"
    # Too little of the header is left for detection to recognise it...
    with pytest.raises(ImportRejected) as detected:
        parse(broken)
    assert "no known export layout" in str(detected.value)
    # ...but named, the format says exactly what is missing.
    with pytest.raises(ImportRejected) as named:
        parse(broken, format="generic_long")
    assert [(p.row, p.column) for p in named.value.problems] == [(1, "unit"), (1, "qualifier"), (1, "detection_limit")]


def test_a_wrong_format_is_refused_not_guessed():
    with pytest.raises(ImportRejected) as rejected:
        parse(fixture("agilent_en.csv"), format="thermo_qtegra")
    assert "Qtegra" in str(rejected.value)


def test_an_unknown_format_name_lists_the_known_ones():
    with pytest.raises(ImportRejected) as rejected:
        parse(fixture("winlab.csv"), format="shimadzu")
    assert "perkinelmer_winlab" in str(rejected.value)


def test_an_unknown_sheet_lists_the_sheets():
    data = workbook({"Sheet1": [["Sample"]], "Sheet2": [[datetime(2024, 1, 1)]]})
    with pytest.raises(ImportRejected) as rejected:
        parse(data, filename="run.xlsx", sheet="Results")
    assert "“Sheet1”, “Sheet2”" in str(rejected.value)


def test_it_reads_the_encodings_excel_saves():
    text = fixture("winlab.csv").decode().replace("KZ-AU-0301", "Orée-0301")
    # "Unicode text" (UTF-16 with a BOM) and the Windows ANSI code page.
    for data in (text.encode("utf-16"), text.encode("cp1252")):
        run = parse(data)
        assert run.readings[0].sample_name == "Orée-0301"


def test_it_honours_an_excel_separator_line():
    data = b"sep=;\n" + fixture("winlab.csv").replace(b",", b";")
    run = parse(data)
    assert run.format == "perkinelmer_winlab"
    # The separator line is row 1 of the file: rows keep their place.
    assert run.readings[0].row == 3
