import textwrap
from datetime import datetime
from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Qualifier, RowType, generic, parse
from tests.assays.importers import fixture, reading, readings_of

HEADER = "sample,analyte,value,unit,qualifier,detection_limit"


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportRejected) as rejected:
        parse(text.encode(), format="generic_long")
    return [(problem.row, problem.column) for problem in rejected.value.problems]


def test_the_documented_example_parses():
    # The module docstring is the lab's manual: its example must stay true.
    example = generic.__doc__.split("Example:")[1]
    run = parse(textwrap.dedent(example).strip().encode())
    assert run.format == "generic_long"
    assert reading(run, "CU-2024-0117", "Au").qualifier is Qualifier.BELOW_DL
    assert reading(run, "OREAS 991", "Cu").crm_name == "OREAS 991"


def test_it_reads_every_documented_column():
    run = parse(fixture("generic.csv"))
    copper = reading(run, "CU-2024-0117", "Cu")
    assert (copper.value, copper.unit, copper.isotope) == (Decimal("23.41"), "%", "63")
    assert (copper.dilution_factor, copper.acquired_at) == (Decimal("1000"), datetime(2024, 5, 1, 10, 32))
    assert reading(run, "BLK", "Cu").row_type is RowType.METHOD_BLANK
    # A stated limit accompanies a measured value too.
    assert reading(run, "CU-2024-0117", "Ag").detection_limit == Decimal("0.5")


@pytest.mark.parametrize(
    ("sample", "analyte", "value", "qualifier", "limit"),
    [
        ("CU-2024-0117", "Au", None, Qualifier.BELOW_DL, Decimal("0.02")),
        # The censored form the instruments print is read as well.
        ("CU-2024-0117", "La", None, Qualifier.BELOW_DL, Decimal("0.004")),
        ("CU-2024-0118", "Cu", None, Qualifier.OVER_RANGE, None),
        # Above: the value is the bound that was exceeded.
        ("CU-2024-0118", "Au", Decimal("1500"), Qualifier.ABOVE, None),
        ("CU-2024-0118", "La", None, Qualifier.NOT_REPORTED, None),
        ("CU-2024-0118", "Ag", Decimal("-0.003"), Qualifier.NONE, None),
    ],
)
def test_qualifiers(sample, analyte, value, qualifier, limit):
    found = reading(parse(fixture("generic.csv")), sample, analyte)
    assert (found.value, found.qualifier, found.detection_limit) == (value, qualifier, limit)


def test_lines_of_one_sample_and_time_are_one_measurement():
    run = parse(fixture("generic.csv"))
    assert {r.run_row for r in readings_of(run, "CU-2024-0117")} == {1}
    assert run.summary()["rows_by_type"]["sample"] == 2


def test_without_a_type_the_name_decides():
    run = parse(f"{HEADER}\nR. Blk,Cu,0.001,ppm,,\nSTD 1 ppm,Cu,1.01,ppm,,\n".encode())
    assert {r.sample_name: r.row_type for r in run.readings} == {
        "R. Blk": RowType.METHOD_BLANK,
        "STD 1 ppm": RowType.CAL_STD,
    }


def test_a_crm_name_wins_over_the_stated_type():
    run = parse(f"{HEADER},type\noreas 991,Cu,20.6,%,,,sample\n".encode())
    assert reading(run, "oreas 991", "Cu").row_type is RowType.CRM


def test_columns_are_checked():
    # A misspelt column is refused rather than dropped, and the required one it was meant to be is missing.
    assert problems("sample,analyte,value,unit,qualifier,detection_limt\nX,Cu,1,ppm,,\n") == [
        (1, "detection_limt"),
        (1, "detection_limit"),
    ]
    assert problems(f"{HEADER},unit\nX,Cu,1,ppm,,,ppm\n") == [(1, "unit")]


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("X,Cu,0.004,ppm,<,", "value"),  # the limit belongs in detection_limit
        ("X,Cu,,ppm,>,", "value"),  # "above" needs the bound
        ("X,Cu,1,ppm,~,", "qualifier"),
        ("X,Cu,<0.004,ppm,,0.005", "detection_limit"),  # two limits that disagree
        ("X,Cu,1,ppm,,abc", "detection_limit"),
        ("X,Zz,1,ppm,,", "analyte"),
        ("X,Cu,1,furlongs,,", "unit"),
        ("X,Cu,one,ppm,,", "value"),
    ],
)
def test_bad_lines_name_their_column(line, column):
    assert problems(f"{HEADER}\n{line}\n") == [(2, column)]


@pytest.mark.parametrize(
    ("extra_header", "extra_cell", "column"),
    [
        ("type", "blank", "type"),
        ("acquired_at", "01/05/2024 10:32", "acquired_at"),  # ISO 8601 only: our format has no ambiguity
        ("isotope", "sixty-three", "isotope"),
        ("dilution_factor", "x10", "dilution_factor"),
    ],
)
def test_bad_optional_cells_name_their_column(extra_header, extra_cell, column):
    assert problems(f"{HEADER},{extra_header}\nX,Cu,1,ppm,,,{extra_cell}\n") == [(2, column)]
