from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Qualifier, RowType, parse
from tests.assays.importers import fixture, reading, readings_of


def test_it_reads_the_calibrated_concentrations():
    run = parse(fixture("qtegra_semicolon.csv"), filename="export.csv")
    assert run.format == "thermo_qtegra"
    # Raw.Average and ExtCal.StandardConcentration are not results; the trailing separator adds nothing.
    assert {(r.analyte, r.isotope, r.mode, r.unit) for r in run.readings} == {
        ("Cu", "324.754", "Axial", "ppm"),
        ("Fe", "238.204", "Radial", "ppm"),
    }
    copper = readings_of(run, "KZ-CU-0004")
    assert [r.value for r in copper if r.analyte == "Cu"] == [Decimal("12.21"), Decimal("12.19")]
    assert copper[0].column == "Cu 324.754 {104} (Axial) ExtCal.Average"
    # Qtegra writes no dates.
    assert all(r.acquired_at is None for r in run.readings)


def test_not_calculated_values_are_not_reported():
    run = parse(fixture("qtegra_semicolon.csv"))
    iron = [r for r in readings_of(run, "KZ-CU-0004") if r.analyte == "Fe"]
    assert [(r.value, r.qualifier) for r in iron] == [(Decimal("3.18"), Qualifier.NONE), (None, Qualifier.NOT_REPORTED)]


def test_rows_are_classified_by_label():
    run = parse(fixture("qtegra_semicolon.csv"))
    assert {r.sample_name: r.row_type for r in run.readings} == {
        "BLANK": RowType.CAL_BLANK,
        "500ppb": RowType.CAL_STD,
        "STD 10": RowType.CAL_STD,
        "KZ-CU-0004": RowType.SAMPLE,
        "matrix blank": RowType.CAL_BLANK,
    }
    assert reading(run, "matrix blank", "Cu").negative


def test_the_detection_limit_of_the_latest_calibration_applies():
    run = parse(fixture("qtegra_tab_lod.csv"), filename="export.csv")
    limits = {r.sample_name: (r.qualifier, r.detection_limit) for r in run.readings}
    assert limits == {
        # Before any calibration there is no limit.
        "matrix blank": (Qualifier.NONE, None),
        "STD0.5": (Qualifier.NONE, Decimal("0.0021")),
        "STD5": (Qualifier.NONE, Decimal("0.0021")),
        # Samples quantified with that calibration carry its limit.
        "KZ-CU-0005": (Qualifier.NONE, Decimal("0.0021")),
        "KZ-CU-0006": (Qualifier.BELOW_DL, Decimal("0.0021")),
        "KZ-CU-0007": (Qualifier.NOT_REPORTED, Decimal("0.0021")),
    }
    assert reading(run, "KZ-CU-0006", "Cu").value is None


def test_a_recovery_in_percent_is_an_internal_standard():
    # Tab separated, UTF-8 BOM, CRLF, trailing tab.
    run = parse(fixture("qtegra_tab_lod.csv"))
    assert run.internal_standards == ["Sc 424.683 {79} (Axial)"]
    assert {r.analyte for r in run.readings} == {"Cu"}


def test_it_reads_icp_ms_labels():
    run = parse(fixture("qtegra_icpms.csv"))
    assert {(r.analyte, r.isotope, r.mode, r.unit) for r in readings_of(run, "KZ-CU-0008")} == {
        ("Cu", "63", "", "ppb"),
        ("Cu", "65", "KED", "ppb"),
        ("Au", "197", "KED", "ppt"),
    }
    assert run.internal_standards == ["115In (KED)"]
    assert reading(run, "KZ-CU-0008 DUP", "Au").duplicate_of == "KZ-CU-0008"


def test_a_time_resolved_export_is_refused():
    with pytest.raises(ImportRejected) as rejected:
        parse(fixture("qtegra_time_resolved.csv"))
    [problem] = rejected.value.problems
    assert "time-resolved" in problem.message
