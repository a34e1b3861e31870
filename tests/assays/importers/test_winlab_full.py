"""WinLab32 full exports: no Units column (the method's unit applies), standards' nominals in brackets, and the
names WinLab32 gives its calibration. The fixture is synthetic, in the layout of a WinLab32 CSV export."""

from datetime import datetime
from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Qualifier, RowType, parse
from assays.importers.base import SOLID, SOLUTION
from tests.assays.importers import fixture, reading, readings_of

FULL = "winlab_full_no_units.csv"


@pytest.fixture(scope="module")
def full():
    return parse(fixture(FULL), filename=FULL, default_unit="mg/L")


def rejection(data: bytes, **options):
    with pytest.raises(ImportRejected) as rejected:
        parse(data, **options)
    return rejected.value.problems


def test_without_a_units_column_the_method_unit_applies(full):
    assert full.format == "perkinelmer_winlab"
    assert {(r.analyte, r.isotope, r.unit, r.basis) for r in full.readings} == {
        ("Cu", "324.752", "mg/L", SOLUTION),
        ("Fe", "238.204", "mg/L", SOLUTION),
    }
    copper = reading(full, "KZ-CU-0301", "Cu")
    # Conc (Samp) is read before Conc (Calib).
    assert (copper.value, copper.column) == (Decimal("12.51"), "Conc (Samp)")
    assert copper.acquired_at == datetime(2024, 3, 14, 9, 12, 34)
    assert "the unit mg/L is the method's" in copper.note
    assert all("the method's" in r.note for r in full.readings)


def test_the_method_unit_decides_the_basis():
    run = parse(fixture(FULL), default_unit="mg/kg")
    iron = reading(run, "KZ-CU-0301", "Fe")
    assert (iron.value, iron.unit, iron.basis) == (Decimal("3.196"), "mg/kg", SOLID)
    # Written as the method may hold it.
    assert reading(parse(fixture(FULL), default_unit="µg/L"), "KZ-CU-0301", "Fe").unit == "ug/L"


@pytest.mark.parametrize("default_unit", [None, ""])
def test_without_a_units_column_or_a_method_unit_it_is_refused(default_unit):
    [problem] = rejection(fixture(FULL), default_unit=default_unit)
    assert problem.row == 1
    assert "no Units column (Units (Samp) or Units (Calib))" in problem.message
    assert "the method states no unit" in problem.message
    assert "%(" not in problem.message


def test_a_method_unit_the_import_does_not_know_is_refused():
    [problem] = rejection(fixture(FULL), default_unit="furlongs")
    assert "“furlongs”" in problem.message
    assert "mg/L" in problem.message


def test_a_units_column_beats_the_method_unit():
    run = parse(fixture("winlab.csv"), default_unit="ug/L")
    gold = reading(run, "KZ-AU-0301", "Au")
    assert (gold.unit, gold.value, gold.note) == ("mg/kg", Decimal("0.318"), "")


def test_other_formats_ignore_the_method_unit():
    run = parse(fixture("agilent_en.csv"), default_unit="mg/kg")
    assert reading(run, "KZ-CU-0001", "Cu").unit == "ppb"


def test_a_bracketed_standard_value_is_a_nominal_not_a_reading(full):
    standard = reading(full, "Calib Std 1", "Cu")
    assert (standard.value, standard.qualifier, standard.raw) == (None, Qualifier.NOT_REPORTED, "[0.1]")
    assert standard.level == "0.1"
    assert "nominal concentration [0.1]" in standard.note
    assert [r.level for r in readings_of(full, "Calib Std 3")] == ["10.0", "10.0"]
    blank = reading(full, "Calib Blank 1", "Fe")
    assert (blank.value, blank.level) == (None, "0.000")
    # No bracketed number ever became a value, and measured rows carry no level.
    assert not [r for r in full.readings if r.raw.startswith("[") and r.value is not None]
    assert reading(full, "KZ-CU-0301", "Cu").level == ""


def test_winlab_names_classify_the_rows(full):
    types = {r.sample_name: r.row_type for r in full.readings}
    assert types == {
        "Calib Blank 1": RowType.CAL_BLANK,
        "Calib Std 1": RowType.CAL_STD,
        "Calib Std 2": RowType.CAL_STD,
        "Calib Std 3": RowType.CAL_STD,
        "Reagent Blank 1": RowType.METHOD_BLANK,
        "791 Blank": RowType.CAL_BLANK,
        "Blank Ox": RowType.CAL_BLANK,
        "KZ-CU-0301": RowType.SAMPLE,
        "DNU S-12": RowType.SAMPLE,
        "KZ-CU-0301 DUP": RowType.DUPLICATE,
    }
    assert {r.sample_name for r in full.readings if r.excluded} == {"DNU S-12"}
    assert reading(full, "Reagent Blank 1", "Cu").value == Decimal("-0.002")


def test_a_formula_in_another_numeric_column_is_refused():
    data = fixture(FULL).replace(b"190021.6", b"=1+2", 1)
    [problem] = rejection(data, default_unit="mg/L")
    assert (problem.row, problem.column) == (16, "Net Intensity")
    assert "formula" in problem.message
