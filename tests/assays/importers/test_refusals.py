"""Refusals say what to do: one message, printed once, with the file's own column names filled in."""

from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Problem, detect_format, parse
from assays.importers.generic import REQUIRED
from tests.assays.importers import workbook


def only_problem(data: bytes, **options) -> tuple[Problem, str]:
    with pytest.raises(ImportRejected) as rejected:
        parse(data, **options)
    [problem] = rejected.value.problems
    text = str(rejected.value)
    # Printed once, fully formatted.
    assert text.count(problem.message) == 1
    assert "%(" not in text and ")s" not in text
    return problem, text


def test_an_unknown_layout_lists_the_layouts_and_the_way_to_the_generic_csv():
    problem, _text = only_problem(b"Element,Result\nCu,12.5\n")
    assert problem.row is None
    assert "no known export layout" in problem.message
    for layout in ("Agilent MassHunter", "Syngistix", "WinLab32", "Qtegra", "generic long CSV"):
        assert layout in problem.message
    assert "/runs/formats/generic/" in problem.message
    assert ", ".join(REQUIRED) in problem.message


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        ("Mass,Intensity", "“Mass”, “Intensity”"),
        ("m/z,cps", "“m/z”, “cps”"),
        ("Wavelength (nm);Intensity", "“Wavelength (nm)”, “Intensity”"),
        ("Wavelength\tIntensity", "“Wavelength”, “Intensity”"),
    ],
)
def test_a_spectrum_asks_for_the_batch_table(header, columns):
    separator = ";" if ";" in header else "\t" if "\t" in header else ","
    body = "\n".join(separator.join((str(mass), str(mass * 37))) for mass in range(5, 12))
    problem, _text = only_problem(f"{header}\n{body}\n".encode())
    assert "spectrum of one sample" in problem.message
    assert "Export the batch table" in problem.message
    assert f"(columns {columns})" in problem.message


def test_a_spectrum_in_a_workbook_is_told_apart_too():
    data = workbook({"Spectrum": [["Sample: KZ-CU-0501"], ["Mass", "Intensity"], [63, 125000], [65, 56000]]})
    problem, _text = only_problem(data, filename="scan.xlsx")
    assert "(columns “Mass”, “Intensity”)" in problem.message


def test_a_gc_ms_quantitation_report_is_not_an_icp_export():
    report = (
        "Data File,Sample Name\n"
        "C:\\MassHunter\\Data\\001.D,Std 1\n"
        "\n"
        "Compound,RT,Quant Ion,Response,Conc.,Units\n"
        "Naphthalene,8.412,128.0,152034,1.02,ug/mL\n"
        "Acenaphthene,10.113,154.0,98311,0.98,ug/mL\n"
    )
    problem, _text = only_problem(report.encode())
    assert "GC-MS quantitation report" in problem.message
    assert "(columns “Compound”, “RT”, “Quant Ion”)" in problem.message
    assert "not an ICP-MS or ICP-OES export" in problem.message


def test_detection_gives_the_same_advice():
    with pytest.raises(ImportRejected) as rejected:
        detect_format(b"m/z,cps\n63,125000\n")
    assert "Export the batch table" in str(rejected.value)


def test_a_named_format_still_gives_its_own_diagnosis():
    # The caller chose the layout: the reader says what is missing, not what the file looks like.
    with pytest.raises(ImportRejected) as rejected:
        parse(b"Mass,Intensity\n63,125000\n", format="generic_long")
    columns = {problem.column for problem in rejected.value.problems}
    assert columns == {"Mass", "Intensity", "sample", "analyte", "value", "unit", "qualifier", "detection_limit"}


GENERIC = "sample,analyte,value,unit,qualifier,detection_limit,type,dilution_factor\n"


def test_generic_text_that_starts_like_a_formula_is_a_name():
    data = GENERIC + "-0.5 cm 2206_TAN 230110,Cu,1.25,ppm,,,,\n+ve control,Cu,0.5,ppm,,,,\n@home,Cu,0.1,ppm,,,,\n"
    run = parse(data.encode())
    assert [(r.sample_name, r.value) for r in run.readings] == [
        ("-0.5 cm 2206_TAN 230110", Decimal("1.25")),
        ("+ve control", Decimal("0.5")),
        ("@home", Decimal("0.1")),
    ]


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("KZ-CU-0502,Cu,=1+2,ppm,,,,", "value"),
        ('KZ-CU-0502,Cu,1.5,ppm,,=HYPERLINK("x"),,', "detection_limit"),
        ("KZ-CU-0502,Cu,1.5,ppm,,,,+cmd|' /C calc'!A0", "dilution_factor"),
    ],
)
def test_a_generic_formula_where_a_number_belongs_is_refused(line, column):
    problem, _text = only_problem((GENERIC + line + "\n").encode())
    assert (problem.row, problem.column) == (2, column)
    assert "would run as a spreadsheet formula" in problem.message


def test_a_generic_dnu_row_is_kept_and_excluded():
    data = GENERIC + "CCV 10 ppb,Cu,10.2,ppb,,,dnu,\nKZ-CU-0503,Cu,1.5,ppb,,,sample,\n"
    run = parse(data.encode())
    assert [(r.sample_name, r.row_type.value, r.excluded) for r in run.readings] == [
        ("CCV 10 ppb", "ccv", True),
        ("KZ-CU-0503", "sample", False),
    ]
