"""The names and types vendors' software gives QC rows by default, numbered standards, and rows not to use."""

import pytest

from assays.importers import KNOWN_CRMS, RowType
from assays.importers.base import RunRow
from assays.importers.vocabulary import AGILENT_TYPES, GENERIC_TYPES, NO_TYPES, THERMO, WINLAB, Classifier


def classify(names, types=NO_TYPES, vendor_types=None, excluded=()):
    """(row type, excluded) of each row of a file with these names, in file order."""
    rows = [
        RunRow(number, name, vendor_type=(vendor_types or {}).get(name, ""), excluded=name in excluded)
        for number, name in enumerate(names, 1)
    ]
    Classifier(KNOWN_CRMS).classify_rows(rows, types)
    return [(row.row_type, row.excluded) for row in rows]


def row_type(name, types=NO_TYPES, vendor_type=""):
    [(found, _excluded)] = classify([name], types, {name: vendor_type})
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ZERO", RowType.CAL_BLANK),
        ("Zero", RowType.CAL_BLANK),
        ("0", RowType.CAL_BLANK),
        ("MB", RowType.METHOD_BLANK),
        ("MB 2", RowType.METHOD_BLANK),
        ("BLANK", RowType.CAL_BLANK),
    ],
)
def test_thermo_default_names(name, expected):
    assert row_type(name, THERMO) is expected


def test_thermo_names_belong_to_thermo():
    # Elsewhere ZERO and MB mean nothing in particular.
    assert row_type("ZERO") is RowType.SAMPLE
    assert row_type("MB") is RowType.SAMPLE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Calib Blank 1", RowType.CAL_BLANK),
        ("Calib Blank", RowType.CAL_BLANK),
        ("Calib Std 1", RowType.CAL_STD),
        ("Calib Std 12", RowType.CAL_STD),
        ("Calibration Standard 2", RowType.CAL_STD),
    ],
)
def test_winlab_default_names(name, expected):
    assert row_type(name, WINLAB) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("791 Blank", RowType.CAL_BLANK),
        ("Blank Ox", RowType.CAL_BLANK),
        ("Blank-HNO3", RowType.CAL_BLANK),
        ("Blank 2", RowType.CAL_BLANK),
        ("Reagent Blank 1", RowType.METHOD_BLANK),
        # A spiked blank is a spike, and a description is a sample.
        ("Blank SPK", RowType.SPIKE),
        ("blank Table ICP", RowType.SAMPLE),
    ],
)
def test_blanks_with_a_code_in_any_file(name, expected):
    assert row_type(name) is expected
    assert row_type(name, WINLAB) is expected
    assert row_type(name, THERMO) is expected


@pytest.mark.parametrize(
    ("vendor_type", "expected"),
    [
        ("CalBlk", RowType.CAL_BLANK),
        ("CalStd", RowType.CAL_STD),
        ("BlkVrfy", RowType.CCB),
        ("QC1", RowType.CCV),
        ("QC2", RowType.CCV),
        ("QC3", RowType.CCV),
        ("QC4", RowType.CCV),
        ("QC5", RowType.CCV),
    ],
)
def test_masshunter_types(vendor_type, expected):
    assert row_type("KZ-CU-0401", AGILENT_TYPES, vendor_type) is expected


def test_bare_numbers_after_a_calibration_blank_are_standards():
    names = ["ZERO", "0.1", "1", "10", "KZ-CU-0402", "1", "ZERO", "0.5", "5", "STD 50", "100", "CCV 5 ppm", "20"]
    assert [found for found, _excluded in classify(names, THERMO)] == [
        RowType.CAL_BLANK,
        RowType.CAL_STD,
        RowType.CAL_STD,
        RowType.CAL_STD,
        RowType.SAMPLE,  # ends the block
        RowType.SAMPLE,  # a bare number outside a block
        RowType.CAL_BLANK,  # a recalibration starts a new block
        RowType.CAL_STD,
        RowType.CAL_STD,
        RowType.CAL_STD,  # a named standard keeps the block open
        RowType.CAL_STD,
        RowType.CCV,
        RowType.SAMPLE,
    ]


def test_a_number_that_cannot_be_the_next_standard_ends_the_block():
    names = ["BLANK", "1", "10", "5", "20", "ZERO", "0.1", "007"]
    assert [found for found, _excluded in classify(names, THERMO)] == [
        RowType.CAL_BLANK,
        RowType.CAL_STD,
        RowType.CAL_STD,
        RowType.SAMPLE,  # lower than the standard before it
        RowType.SAMPLE,  # the block ended
        RowType.CAL_BLANK,
        RowType.CAL_STD,
        RowType.SAMPLE,  # a leading zero is an identifier
    ]


def test_numbered_standards_are_a_qtegra_habit_only():
    assert [found for found, _excluded in classify(["BLANK", "0.1", "1"], NO_TYPES)] == [
        RowType.CAL_BLANK,
        RowType.SAMPLE,
        RowType.SAMPLE,
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DNU S-12", RowType.SAMPLE),
        ("S-12 DNU", RowType.SAMPLE),
        ("S-12 (dnu)", RowType.SAMPLE),
        ("S-12 do not use", RowType.SAMPLE),
        ("DNU OREAS 991", RowType.CRM),
        ("DNU-CCV 10 ppb", RowType.CCV),
    ],
)
def test_do_not_use_in_the_name_excludes_the_row(name, expected):
    [(found, excluded)] = classify([name])
    assert (found, excluded) == (expected, True)


@pytest.mark.parametrize("name", ["SDNU1", "DNUX-12", "KZ-CU-0403", "Dunite 4"])
def test_dnu_inside_a_word_is_not_a_marker(name):
    [(_found, excluded)] = classify([name])
    assert not excluded


def test_a_dnu_type_excludes_the_row_and_the_name_decides():
    assert classify(["CCV 10 ppb", "KZ-CU-0404"], GENERIC_TYPES, {"CCV 10 ppb": "dnu", "KZ-CU-0404": "DNU"}) == [
        (RowType.CCV, True),
        (RowType.SAMPLE, True),
    ]
    assert classify(["Std 1"], AGILENT_TYPES, {"Std 1": "DNU"}) == [(RowType.CAL_STD, True)]


def test_a_reader_marked_row_stays_excluded():
    assert classify(["KZ-CU-0405"], excluded={"KZ-CU-0405"}) == [(RowType.SAMPLE, True)]
    assert classify(["KZ-CU-0405"]) == [(RowType.SAMPLE, False)]
