"""Agilent 8900 ICP-QQQ batch tables: MS/MS mass pairs, reaction gases, several tunes per element and bracketed
(summed or corrected) channels. The fixture is synthetic, in the layout MassHunter writes."""

from datetime import datetime
from decimal import Decimal

import pytest

from assays.importers import Qualifier, RowType, parse
from assays.importers.base import SOLUTION
from tests.assays.importers import fixture, reading, readings_of


@pytest.fixture(scope="module")
def qqq():
    return parse(fixture("agilent_8900_msms.csv"), filename="8900.csv")


def test_mass_pairs_and_gases_are_channels(qqq):
    assert qqq.format == "agilent_masshunter"
    channels = {(r.analyte, r.isotope, r.mode, r.unit) for r in qqq.readings}
    assert channels == {
        ("Si", "28->44", "O2", "ppb"),
        ("P", "31->47", "O2", "ppb"),
        # One element in two tunes is two channels: mass shift in O2, on mass in He or H2.
        ("As", "75->91", "O2", "ppb"),
        ("As", "75->75", "He", "ppb"),
        ("Se", "78->94", "O2", "ppb"),
        ("Se", "80->80", "H2", "ppb"),
        # The bracketed element keeps its brackets, so it never collides with a plain Pb channel.
        ("Pb", "[206->206]", "He", "ppb"),
        ("Pb", "208->208", "He", "ppb"),
    }
    # 12 rows, 8 concentration columns each; CPS and RSD are not readings.
    assert len(qqq.readings) == 12 * 8
    assert {r.basis for r in qqq.readings} == {SOLUTION}


def test_internal_standards_in_ms_ms_are_listed_not_read(qqq):
    assert qqq.internal_standards == ["45 -> 61 Sc ( ISTD ) [ O2 ]", "115 -> 115 In ( ISTD ) [ He ]"]
    assert not [r for r in qqq.readings if r.analyte in ("Sc", "In")]


def test_the_values_of_each_tune_are_stored(qqq):
    shifted = reading(qqq, "KZ-CU-0101", "As", mode="O2")
    assert (shifted.isotope, shifted.value, shifted.dilution_factor) == ("75->91", Decimal("820.35"), Decimal("10"))
    assert shifted.column == "75 -> 91 As [ O2 ] Conc. [ ppb ]"
    assert shifted.acquired_at == datetime(2024, 3, 14, 8, 22)
    on_mass = reading(qqq, "KZ-CU-0101", "As", mode="He")
    assert (on_mass.isotope, on_mass.value) == ("75->75", Decimal("818.9"))
    assert reading(qqq, "KZ-CU-0101", "Si").value == Decimal("1523.4")
    assert reading(qqq, "KZ-CU-0101", "Se", mode="H2").value == Decimal("12.91")
    blank = reading(qqq, "Cal Blank", "Si")
    assert (blank.value, blank.qualifier, blank.detection_limit) == (None, Qualifier.BELOW_DL, Decimal("0.000"))


def test_a_bracketed_element_is_a_summed_channel_and_says_so(qqq):
    summed = reading(qqq, "KZ-CU-0101", "Pb", isotope="[206->206]")
    assert (summed.mode, summed.value) == ("He", Decimal("1043.6"))
    assert summed.column == "206 -> 206 [Pb] [ He ] Conc. [ ppb ]"
    assert "summed or corrected" in summed.note
    plain = reading(qqq, "KZ-CU-0101", "Pb", isotope="208->208")
    assert (plain.value, plain.note) == (Decimal("1041.2"), "")
    assert all("summed" in r.note for r in qqq.readings if r.isotope == "[206->206]")


def test_masshunter_types_classify_the_rows(qqq):
    types = {r.sample_name: (r.row_type, r.vendor_type) for r in qqq.readings}
    assert types == {
        "Cal Blank": (RowType.CAL_BLANK, "CalBlk"),
        "Std 1 ppb": (RowType.CAL_STD, "CalStd"),
        "Std 10 ppb": (RowType.CAL_STD, "CalStd"),
        "ICV 5 ppb": (RowType.ICV, "ICV"),
        "CCB": (RowType.CCB, "BlkVrfy"),
        "KZ-CU-0101": (RowType.SAMPLE, "Sample"),
        "DNU KZ-CU-0102": (RowType.SAMPLE, "Sample"),
        "KZ-CU-0103": (RowType.SAMPLE, "Sample"),
        "KZ-CU-0101 DUP": (RowType.DUPLICATE, "Sample"),
        "CCV 20 ppb / 1000 ppb": (RowType.CCV, "QC2"),
        "S-12 DNU": (RowType.CAL_STD, "CalStd"),
    }
    # QC1 and QC2 are both check standards; the second was rejected by the instrument.
    check = readings_of(qqq, "CCV 20 ppb / 1000 ppb")
    assert {(r.vendor_type, r.row_type, r.rejected) for r in check} == {
        ("QC1", RowType.CCV, False),
        ("QC2", RowType.CCV, True),
    }


def test_rows_marked_do_not_use_are_kept_and_excluded(qqq):
    excluded = {r.sample_name for r in qqq.readings if r.excluded}
    # DNU before or after the name, or in MassHunter's Comment.
    assert excluded == {"DNU KZ-CU-0102", "S-12 DNU", "KZ-CU-0103"}
    for name in excluded:
        readings = readings_of(qqq, name)
        assert len(readings) == 8
        assert all(r.excluded for r in readings)
    # Kept with their values, for the record.
    assert reading(qqq, "DNU KZ-CU-0102", "As", mode="O2").value == Decimal("799.8")
