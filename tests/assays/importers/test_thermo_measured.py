"""Qtegra exports whose concentrations are MeasuredConcentration.Average, with a StartTime per row and the names
Qtegra users give their calibration (ZERO, 0.1, 1, 10) and blanks (MB, BLANK). The fixture is synthetic."""

from datetime import datetime
from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Qualifier, RowType, parse
from tests.assays.importers import fixture, reading, readings_of

CU = "Cu 324.754 {104} (Axial)"
ZN = "Zn 213.856 {158} (Axial)"


@pytest.fixture(scope="module")
def measured():
    return parse(fixture("qtegra_measured_starttime.csv"), filename="export.csv")


def at_row(run, row: int, analyte: str):
    [found] = [r for r in run.readings if r.row == row and r.analyte == analyte]
    return found


def test_measured_concentrations_are_read(measured):
    assert measured.format == "thermo_qtegra"
    assert {(r.analyte, r.isotope, r.mode, r.unit) for r in measured.readings} == {
        ("Cu", "324.754", "Axial", "ppm"),
        ("Zn", "213.856", "Axial", "ppm"),
    }
    copper = reading(measured, "KZ-CU-0201", "Cu")
    assert copper.value == Decimal("12.34")
    assert copper.column == f"{CU} MeasuredConcentration.Average"
    assert reading(measured, "KZ-CU-0201", "Zn").value == Decimal("0.1877")
    # Ten rows, two channels: Raw.Average and the LOD columns are not readings.
    assert len(measured.readings) == 20


def test_the_limit_comes_from_the_same_measure(measured):
    # MeasuredConcentration.LOD, written on the calibration rows, applies to the rows after them.
    assert reading(measured, "KZ-CU-0201", "Cu").detection_limit == Decimal("0.0015")
    censored = reading(measured, "MB", "Zn")
    assert (censored.value, censored.qualifier, censored.detection_limit) == (
        None,
        Qualifier.BELOW_DL,
        Decimal("0.0031"),
    )
    assert reading(measured, "BLANK", "Zn").qualifier is Qualifier.NOT_REPORTED


def test_start_time_is_the_acquisition_time(measured):
    # A semicolon export with no day above 12: day-first, 5 March.
    assert reading(measured, "KZ-CU-0201", "Cu").acquired_at == datetime(2024, 3, 5, 10, 29, 38)
    assert at_row(measured, 5, "Zn").acquired_at == datetime(2024, 3, 5, 10, 21, 33)
    assert all(r.acquired_at is not None for r in measured.readings)
    # The label column is the sample name, not StartTime.
    assert {r.sample_name for r in measured.readings} >= {"ZERO", "MB", "KZ-CU-0201"}


def test_iso_and_month_first_start_times():
    iso = fixture("qtegra_measured_starttime.csv").replace(b"05/03/2024", b"2024-03-05")
    assert reading(parse(iso), "KZ-CU-0203", "Cu").acquired_at == datetime(2024, 3, 5, 10, 36, 6)
    # Tab separated, and one date that only reads month-first: every date of the file is month-first.
    tabbed = fixture("qtegra_measured_starttime.csv").replace(b";", b"\t")
    tabbed = tabbed.replace(b"05/03/2024 10:36:06", b"05/13/2024 10:36:06")
    run = parse(tabbed)
    assert reading(run, "KZ-CU-0201", "Cu").acquired_at == datetime(2024, 5, 3, 10, 29, 38)
    assert reading(run, "KZ-CU-0203", "Cu").acquired_at == datetime(2024, 5, 13, 10, 36, 6)


def test_an_impossible_start_time_is_refused_in_its_column():
    data = fixture("qtegra_measured_starttime.csv").replace(b"05/03/2024 10:31:15", b"yesterday")
    with pytest.raises(ImportRejected) as rejected:
        parse(data)
    assert [(p.row, p.column) for p in rejected.value.problems] == [(11, "StartTime")]


def test_qtegra_names_classify_the_calibration(measured):
    types = [(r.row, r.sample_name, r.row_type) for r in measured.readings if r.analyte == "Cu"]
    assert types == [
        (5, "ZERO", RowType.CAL_BLANK),
        # Bare numbers right after the calibration blank are its standards.
        (6, "0.1", RowType.CAL_STD),
        (7, "1", RowType.CAL_STD),
        (8, "10", RowType.CAL_STD),
        (9, "MB", RowType.METHOD_BLANK),
        (10, "KZ-CU-0201", RowType.SAMPLE),
        # A bare number outside the calibration block is a sample name.
        (11, "1", RowType.SAMPLE),
        (12, "BLANK", RowType.CAL_BLANK),
        (13, "DNU KZ-CU-0202", RowType.SAMPLE),
        (14, "KZ-CU-0203", RowType.SAMPLE),
    ]
    assert {r.sample_name for r in measured.readings if r.excluded} == {"DNU KZ-CU-0202"}
    assert all(r.excluded for r in readings_of(measured, "DNU KZ-CU-0202"))


def qtegra(groups: list[str], cells: list[str]) -> bytes:
    """A Qtegra export with one channel per group (Cu, ppm), a label column, and one row."""
    lines = [
        ";".join(["", "", *groups]),
        ";".join(["", "", *["0"] * len(groups)]),
        ";".join(["", "", *[CU] * len(groups)]),
        ";".join(["", "", *["Y (ppm)"] * len(groups)]),
        ";".join(["1", "KZ-CU-0204", *cells]),
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_ext_cal_is_preferred_when_both_measures_are_there():
    data = qtegra(["MeasuredConcentration.Average", "ExtCal.Average"], ["7.77", "7.12"])
    [copper] = parse(data).readings
    assert (copper.value, copper.column) == (Decimal("7.12"), f"{CU} ExtCal.Average")
    # Either order of the columns.
    [copper] = parse(qtegra(["ExtCal.Average", "MeasuredConcentration.Average"], ["7.12", "7.77"])).readings
    assert copper.value == Decimal("7.12")


def test_a_formula_in_a_measure_that_is_not_read_is_refused():
    data = qtegra(["Raw.Average", "ExtCal.Average"], ["=1+2", "7.12"])
    with pytest.raises(ImportRejected) as rejected:
        parse(data)
    [problem] = rejected.value.problems
    assert (problem.row, problem.column) == (5, f"{CU} Raw.Average")
    assert "formula" in problem.message


def test_an_export_without_concentrations_names_both_measures():
    with pytest.raises(ImportRejected) as rejected:
        parse(qtegra(["Raw.Average"], ["2711.9"]))
    [problem] = rejected.value.problems
    assert "ExtCal.Average or MeasuredConcentration.Average" in problem.message
