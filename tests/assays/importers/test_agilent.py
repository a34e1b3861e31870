from datetime import datetime
from decimal import Decimal

import pytest

from assays.importers import ImportRejected, Qualifier, RowType, parse
from tests.assays.importers import fixture, reading, readings_of, workbook


@pytest.fixture(scope="module")
def english():
    return parse(fixture("agilent_en.csv"), filename="agilent_en.csv")


@pytest.fixture(scope="module")
def french():
    return parse(fixture("agilent_fr.csv"), filename="agilent_fr.csv")


def test_it_reads_the_concentration_columns(english):
    assert english.format == "agilent_masshunter"
    channels = {(r.analyte, r.isotope, r.mode, r.unit) for r in english.readings}
    assert channels == {
        ("Cu", "63", "He", "ppb"),
        ("La", "139", "No Gas", "ppb"),
        # One mass in two tunes is two channels; "[ ug/l ]" is normalised.
        ("Hg", "200", "Hg No Gas", "ug/L"),
        ("Hg", "200", "Hg He", "ug/L"),
        # A mass-shift (MS/MS) label keeps both masses.
        ("As", "75->91", "O2", "ppb"),
    }
    # 14 instrument rows, 5 concentration columns each: CPS, RSD and Meas. Conc. are not readings.
    assert len(english.readings) == 14 * 5


def test_it_lists_internal_standards_without_reading_them(english):
    assert english.internal_standards == ["45 Sc ( ISTD ) [ He ]"]
    assert not [r for r in english.readings if r.analyte == "Sc"]


def test_total_dilution_is_recorded_not_applied_again(english):
    copper = reading(english, "KZ-CU-0001", "Cu")
    # Conc. is already dilution-corrected (Meas. Conc. 213.456 x 100): the value is Conc., the factor is recorded.
    assert copper.value == Decimal("21345.6")
    assert copper.dilution_factor == Decimal("100")
    assert copper.column == "63 Cu [ He ] Conc. [ ppb ]"


def test_censored_values_keep_their_limit_and_never_become_zero(english):
    below = reading(english, "Blank", "Cu")
    assert (below.value, below.qualifier, below.detection_limit) == (None, Qualifier.BELOW_DL, Decimal("0.004"))
    assert below.raw == "<0.004"
    # "<0.000" is what MassHunter prints for a limit that rounds to zero: still censored, no value.
    rounded = reading(english, "Blank", "La")
    assert (rounded.value, rounded.qualifier, rounded.detection_limit) == (None, Qualifier.BELOW_DL, Decimal("0.000"))
    over = reading(english, "KZ-CU-0002", "Cu")
    assert (over.value, over.qualifier) == (None, Qualifier.OVER_RANGE)
    # An empty cell of a measured analyte is a reading that says "not reported".
    missing = reading(english, "KZ-CU-0002", "Hg", mode="Hg No Gas")
    assert (missing.value, missing.qualifier, missing.raw) == (None, Qualifier.NOT_REPORTED, "")
    censored = [r for r in english.readings if r.qualifier]
    assert censored and all(r.value is None for r in censored)


def test_negative_values_are_kept_and_flagged(english):
    lanthanum = reading(english, "KZ-CU-0002", "La")
    assert lanthanum.value == Decimal("-0.003")
    assert lanthanum.negative
    assert [r for r in english.readings if r.negative] == [lanthanum]


def test_rejected_rows_are_kept_and_flagged(english):
    rejected = readings_of(english, "Std 10 ppb")
    # Rjct TRUE: the instrument refused the standard; the row stays visible, every value not reported.
    assert len(rejected) == 5
    assert all(r.rejected and r.qualifier is Qualifier.NOT_REPORTED for r in rejected)
    assert not any(r.rejected for r in readings_of(english, "Std 1 ppb"))


def test_row_types_follow_the_type_column(english):
    types = {r.sample_name: (r.row_type, r.vendor_type) for r in english.readings}
    assert types == {
        "Cal Blank": (RowType.CAL_BLANK, "CalBlk"),
        "Std 1 ppb": (RowType.CAL_STD, "CalStd"),
        "Std 10 ppb": (RowType.CAL_STD, "CalStd"),
        "ICV 5 ppb": (RowType.ICV, "ICV"),
        # A QCS row named after a CRM is that CRM.
        "OREAS 991": (RowType.CRM, "QCS"),
        "KZ-CU-0001": (RowType.SAMPLE, "Sample"),
        "KZ-CU-0001 DUP": (RowType.DUPLICATE, "DUP"),
        "KZ-CU-0002": (RowType.SAMPLE, "Sample"),
        "KZ-CU-0002 SPK": (RowType.SPIKE, "Spike"),
        "CCV 5 ppb": (RowType.CCV, "CCV"),
        "Blank": (RowType.CCB, "BLK"),
        "Prep blank 1": (RowType.METHOD_BLANK, "LRB"),
        # "Sample" is MassHunter's default type, so the name decides.
        "rinse": (RowType.OTHER, "Sample"),
        "Check 1 ppb": (RowType.CCV, "QC1"),
    }
    assert reading(english, "OREAS 991", "Cu").crm_name == "OREAS 991"
    assert reading(english, "KZ-CU-0001 DUP", "Cu").duplicate_of == "KZ-CU-0001"


def test_it_keeps_the_calibration_level_and_data_file(english):
    standard = reading(english, "Std 1 ppb", "Cu")
    assert (standard.level, standard.data_file) == ("2", "002CALS.d")
    assert reading(english, "KZ-CU-0001", "Cu").level == ""


def test_english_dates_are_month_first(english):
    # 7/13/2024 can only be month-first, which settles every date in the file.
    assert reading(english, "Cal Blank", "Cu").acquired_at == datetime(2024, 7, 13, 9, 5)


def test_it_reads_a_french_excel_save(french):
    # Semicolons, a BOM, CRLF line ends, VRAI/FAUX and day-first dates.
    assert french.format == "agilent_masshunter"
    assert {r.analyte for r in french.readings} == {"Cu", "La", "Ce", "Lu"}
    assert french.internal_standards == ["115 In ( ISTD ) [ No Gas ]"]
    assert all(r.rejected for r in readings_of(french, "Multi 10 ppb"))
    assert not any(r.rejected for r in readings_of(french, "Multi 1 ppb"))
    # 13/03/2024 settles the order: 05/03/2024 is the 5th of March.
    assert reading(french, "0", "Cu").acquired_at == datetime(2024, 3, 5, 10, 31)
    assert reading(french, "rBLK", "Cu").row_type is RowType.METHOD_BLANK
    # The BOM does not leak into the first header cell.
    assert reading(french, "KZ-REE-0101", "La").value == Decimal("0.0331")


def test_ambiguous_dates_follow_the_locale_of_the_save():
    french = fixture("agilent_fr.csv").replace(b"13/03/2024", b"12/03/2024")
    # No date settles it: a semicolon (French) save is day-first.
    assert reading(parse(french), "KZ-REE-0102", "Cu").acquired_at == datetime(2024, 3, 12, 8, 2)
    english = french.replace(b";", b",").replace(b"FAUX", b"FALSE").replace(b"VRAI", b"TRUE")
    # The same dates in a comma (English) save are month-first.
    assert reading(parse(english), "KZ-REE-0102", "Cu").acquired_at == datetime(2024, 12, 3, 8, 2)


def test_a_file_with_dates_in_both_orders_is_rejected():
    mixed = fixture("agilent_fr.csv").replace(b"05/03/2024 10:36", b"03/25/2024 10:36")
    with pytest.raises(ImportRejected) as rejected:
        parse(mixed)
    # The file-wide problem, and the row that cannot be read day-first like the others.
    assert [(p.row, p.column) for p in rejected.value.problems] == [(None, "Acq. Date-Time"), (4, "Acq. Date-Time")]


def masshunter_rows():
    return [
        ["Sample", None, None, None, None, None, None, None, "63  Cu  [ He ] ", None, "45  Sc ( ISTD )  [ He ] "],
        [None, "Rjct", "Data File", "Acq. Date-Time", "Type", "Level", "Sample Name", "Total Dil.", "Conc. [ ppb ]",
         "Conc. RSD", "CPS"],
        [None, False, "001CALB.d", datetime(2024, 5, 6, 7, 8, 9), "CalBlk", "1", "0", 1, "<0.000", "N/A", 350000],
        [None, True, "002SMPL.d", datetime(2024, 5, 6, 7, 12, 0), "Sample", None, "KZ-CU-0009", 5, 12.5, 0.4, 349000],
        [None, False, "003SMPL.d", datetime(2024, 5, 6, 7, 16, 0), "Sample", None, "KZ-CU-0010", 5, -0.25, 3.1, 348000],
    ]  # fmt: skip


def test_it_reads_a_workbook_and_skips_the_value_list_sheet():
    helper = [["Bkgnd"], ["CalBlk"], ["CalStd"], ["Sample"]]
    data = workbook({"ValueList_Helper": helper, "Sheet1": masshunter_rows()})
    run = parse(data, filename="batch.xlsx")
    assert (run.format, run.sheet) == ("agilent_masshunter", "Sheet1")
    sample = reading(run, "KZ-CU-0009", "Cu")
    # Workbook cells carry real datetimes, booleans and numbers.
    assert sample.acquired_at == datetime(2024, 5, 6, 7, 12)
    assert sample.rejected
    assert (sample.value, sample.dilution_factor) == (Decimal("12.5"), Decimal("5"))
    assert reading(run, "KZ-CU-0010", "Cu").negative
    assert reading(run, "0", "Cu").qualifier is Qualifier.BELOW_DL


def test_a_named_sheet_is_read_even_when_detection_would_pick_another():
    data = workbook({"Sheet1": masshunter_rows(), "Reprocessed": masshunter_rows()[:3]})
    assert parse(data, filename="batch.xlsx", sheet="Reprocessed").sheet == "Reprocessed"
    assert len(parse(data, filename="batch.xlsx", sheet="reprocessed").readings) == 1
