from datetime import datetime
from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Qualifier, RowType, parse
from tests.assays.importers import fixture, reading, readings_of, workbook


@pytest.fixture(scope="module")
def syngistix():
    return parse(fixture("syngistix_sheet.csv"), filename="report.csv")


@pytest.fixture(scope="module")
def winlab():
    return parse(fixture("winlab.csv"), filename="winlab.csv")


def test_each_stacked_block_brings_its_own_analytes(syngistix):
    assert syngistix.format == "perkinelmer_syngistix"
    # The header restarts at every "Sample Id" row: the first block's rows have Cu, Zn, Au, the second's REE.
    assert {r.analyte for r in readings_of(syngistix, "R. Blk")} == {"Cu", "Zn", "Au"}
    assert {r.analyte for r in readings_of(syngistix, "rBLK")} == {"La", "Ce", "Lu"}
    # The same sample measured in both blocks.
    assert {r.analyte for r in readings_of(syngistix, "KZ-CU-0003")} == {"Cu", "Zn", "Au", "La", "Ce", "Lu"}
    # The header's line break separates the unit: "Cu 63\n(mg/L)".
    copper = reading(syngistix, "KZ-CU-0003", "Cu")
    assert (copper.isotope, copper.unit, copper.column) == ("63", "mg/L", "Cu 63 (mg/L)")


def test_calibration_curve_separators_are_not_rows(syngistix):
    assert not readings_of(syngistix, "Calibration Curves")
    assert syngistix.summary()["rows_by_type"]["sample"] == 2


def test_blank_rows_are_not_reported_values(syngistix):
    # Syngistix leaves a blank's cells empty: not reported, never zero.
    blank = readings_of(syngistix, "BLK")
    assert len(blank) == 3
    assert all(r.value is None and r.qualifier is Qualifier.NOT_REPORTED for r in blank)


def test_a_saturated_detector_is_over_range(syngistix):
    zinc = reading(syngistix, "Oreas 24b", "Zn")
    assert (zinc.value, zinc.qualifier, zinc.raw) == (None, Qualifier.OVER_RANGE, "S")


def test_negative_concentrations_are_kept(syngistix):
    zinc = reading(syngistix, "KZ-CU-0003", "Zn")
    assert zinc.value == Decimal("-0.0021")
    assert zinc.negative


def test_rows_are_classified_by_name(syngistix):
    types = {r.sample_name: (r.row_type, r.crm_name, r.duplicate_of) for r in syngistix.readings}
    assert types == {
        "BLK": (RowType.CAL_BLANK, "", ""),
        "STD 250 PPb": (RowType.CAL_STD, "", ""),
        "Oreas 24b": (RowType.CRM, "OREAS 24b", ""),
        "KZ-CU-0003": (RowType.SAMPLE, "", ""),
        "KZ-CU-0003D": (RowType.DUPLICATE, "", "KZ-CU-0003"),
        "R. Blk": (RowType.METHOD_BLANK, "", ""),
        "rBLK": (RowType.METHOD_BLANK, "", ""),
        "STD 0.01PPM": (RowType.CAL_STD, "", ""),
        "ORREAS - 600": (RowType.CRM, "OREAS 600", ""),
        "AMIS0682-01": (RowType.CRM, "AMIS0682", ""),
        # A duplicate of a CRM aliquot stays a CRM and names its original.
        "AMIS0682-01D": (RowType.CRM, "AMIS0682", "AMIS0682-01"),
    }


def test_it_keeps_the_acquisition_time_and_data_file(syngistix):
    lutetium = reading(syngistix, "KZ-CU-0003", "Lu")
    # 13/04/24 01:34:06 PM: day-first, two-digit year, twelve-hour clock.
    assert lutetium.acquired_at == datetime(2024, 4, 13, 13, 34, 6)
    # Only the file name of the Dataset File path: the path is the instrument PC's.
    assert lutetium.data_file == "KZ-CU-0003.2012"
    assert lutetium.dilution_factor is None


def test_a_flattened_workbook_is_read_from_its_concentrations_sheet():
    data = fixture("syngistix_flattened.csv")
    run = parse(data, filename="workbook.csv")
    assert (run.format, run.sheet) == ("perkinelmer_syngistix", "Concentrations")
    # Factored by 200 against Unfactored Concentrations: a content of the sample, never multiplied again.
    copper = reading(run, "KZ-CU-0003", "Cu")
    assert (copper.value, copper.unit, copper.basis) == (Decimal("12.5"), "mg/kg", "solid")
    # Rows are numbered as records of the uploaded CSV, so the user finds them in that file.
    assert reading(run, "KZ-CU-0003", "Cu").row == 23


def test_another_sheet_of_a_flattened_workbook_can_be_named():
    data = fixture("syngistix_flattened.csv")
    unfactored = parse(data, sheet="Unfactored Concentrations")
    copper = reading(unfactored, "KZ-CU-0003", "Cu")
    assert (copper.value, copper.unit, copper.basis) == (Decimal("0.0625"), "mg/L", "solution")
    assert reading(unfactored, "KZ-CU-0003D", "Cu").duplicate_of == "KZ-CU-0003"
    intensities = parse(data, sheet="Raw Intensities")
    assert reading(intensities, "KZ-CU-0003", "Cu").unit == "cps"


def test_a_named_factored_sheet_that_does_not_pair_with_the_unfactored_one_is_refused():
    # " Org Concentrations" names row 6 "KZ-CU-0003 DUP" where Unfactored Concentrations says "KZ-CU-0003D".
    with pytest.raises(ImportRejected) as refused:
        parse(fixture("syngistix_flattened.csv"), sheet=" Org Concentrations")
    assert "KZ-CU-0003 DUP" in str(refused.value) and "Unfactored Concentrations" in str(refused.value)


def test_it_reads_a_report_workbook():
    header = [" ", "Sample Id", "R", "Acquisition Time", "Dataset File", "Cu 63\n(cps)", "Au 197\n(cps)"]
    data = workbook(
        {
            "Raw Intensities": [header, [1, "KZ-CU-0011", None, "13/04/24 09:00:05 AM", "x.1", 125000, 310]],
            "Concentrations": [
                [cell.replace("cps", "mg/L") for cell in header],
                [1, "KZ-CU-0011", None, "13/04/24 09:00:05 AM", "x.1", 12.5, 0.0031],
            ],
            # The same values unfactored: no weight was entered, so the values are the solution's.
            "Unfactored Concentrations": [
                [cell.replace("cps", "mg/L") for cell in header],
                [1, "KZ-CU-0011", None, "13/04/24 09:00:05 AM", "x.1", 12.5, 0.0031],
            ],
        }
    )
    run = parse(data, filename="report.xlsx")
    # "Concentrations" is preferred over the first sheet with the same header.
    assert run.sheet == "Concentrations"
    gold = reading(run, "KZ-CU-0011", "Au")
    assert (gold.value, gold.unit, gold.basis) == (Decimal("0.0031"), "mg/L", "solution")


def test_winlab_reads_one_reading_per_line(winlab):
    assert winlab.format == "perkinelmer_winlab"
    gold = reading(winlab, "KZ-AU-0301", "Au")
    assert (gold.isotope, gold.unit, gold.value) == ("242.80", "mg/kg", Decimal("0.318"))
    assert gold.column == "Reported Conc (Calib)"
    # 17-06-24 and 10:05:12 AM, from two columns.
    assert gold.acquired_at == datetime(2024, 6, 17, 10, 5, 12)


def test_winlab_matches_typed_crm_names(winlab):
    crms = {r.sample_name: (r.crm_name, r.duplicate_of) for r in winlab.readings if r.row_type is RowType.CRM}
    assert crms == {
        "ORREAS - 600": ("OREAS 600", ""),
        "ORREAS-DPL 600": ("OREAS 600", "ORREAS - 600"),
        "oreas 45D": ("OREAS 45d", ""),
    }
    # OREAS 40 is not OREAS 401 nor OREAS 45d: one character of a CRM code is another material.
    assert reading(winlab, "OREAS 40", "Au").row_type is RowType.SAMPLE


def test_winlab_groups_the_lines_of_one_measurement(winlab):
    first, second = (
        sorted({r.run_row for r in readings_of(winlab, "KZ-AU-0302") if r.analyte == a}) for a in ["Au", "Ag"]
    )
    # Au and Ag of one measurement share it; the re-assay half a minute later is a measurement of its own.
    assert first == second
    assert len(first) == 2
    assert [r.value for r in readings_of(winlab, "KZ-AU-0302") if r.analyte == "Au"] == [
        Decimal("-0.021"),
        Decimal("-0.017"),
    ]
    assert winlab.summary()["rows_by_type"] == {
        **dict.fromkeys(winlab.summary()["rows_by_type"], 0),
        "crm": 3,
        "sample": 4,
    }
