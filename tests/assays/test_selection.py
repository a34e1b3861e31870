"""The rule that picks, per sample and analyte, the reading that becomes the result (assays.selection):
a dilution series, re-assays, empty cells, several isotopes, and the cases only a person can decide."""

from decimal import Decimal

from assays import selection, units
from assays.selection import Candidate, Range

D = Decimal


def reading(key, *, row, value=None, qualifier="", dilution=None, column=0, sample="S-1", analyte="La"):
    value = D(value) if value is not None else None
    dilution = D(dilution) if dilution is not None else None
    return Candidate(key, sample, analyte, (row, 0), column, row, value, qualifier, dilution, "ppb", "solution")


def choose(*candidates, ranges=None):
    why, chosen = selection.choose(candidates, ranges=ranges or {}, convert=units.convert_solution)
    # Each verdict as Reading.choice stores it, in English.
    return {key: verdict.english for key, verdict in why.items()}, [key for key, picked in chosen.items() if picked]


def test_the_lowest_dilution_inside_the_calibrated_range_is_reported():
    # Measured at x2, x10, x100: x2 saturated the detector (OR), x10 reads well, x100 too.
    why, picked = choose(
        reading("x2", row=1, qualifier="OR", dilution=2),
        reading("x10", row=2, value="5230.1", dilution=10),
        reading("x100", row=3, value="5188", dilution=100),
    )
    assert picked == ["x10"]
    assert why["x10"].startswith("chosen:") and "×10" in why["x10"]
    assert why["x2"].startswith("not chosen:") and "over" in why["x2"]


def test_an_empty_cell_never_replaces_a_value():
    # The x1000 row leaves the cell empty: the x10 value stands, whatever the row order.
    why, picked = choose(
        reading("x10", row=1, value="412.5", dilution=10),
        reading("x1000", row=2, qualifier="NA", dilution=1000),
    )
    assert picked == ["x10"]
    assert "empty" in why["x1000"]


def test_a_reading_above_the_calibrated_range_is_not_reported_even_without_an_or_flag():
    # Calibrated up to 100 ug/L of solution: 2400 ppb at x2 is 1200 in the tube, over range; x100 is 24.1.
    ranges = {"La": Range(D("0.01"), D("100"), "ug/L")}
    _why, picked = choose(
        reading("x2", row=1, value="2400", dilution=2),
        reading("x100", row=2, value="2410", dilution=100),
        ranges=ranges,
    )
    assert picked == ["x100"]


def test_a_reading_below_the_lowest_standard_gives_way_to_none_above_it():
    ranges = {"La": Range(D("0.5"), D("100"), "ug/L")}
    _why, picked = choose(reading("x1", row=1, value="0.2", dilution=1), ranges=ranges)
    # Only one reading: it is what the run measured, below the range, and it is reported as measured.
    assert picked == ["x1"]


def test_a_reassay_at_the_same_dilution_replaces_the_first_reading():
    why, picked = choose(
        reading("first", row=1, value="10.0", dilution=10),
        reading("rerun", row=5, value="11.2", dilution=10),
    )
    assert picked == ["rerun"]
    assert "re-assayed" in why["first"]


def test_a_reassay_that_failed_leaves_the_good_first_reading():
    _why, picked = choose(
        reading("first", row=1, value="10.0", dilution=10),
        reading("rerun", row=5, qualifier="OR", dilution=10),
    )
    assert picked == ["first"]


def test_below_the_limit_everywhere_reports_the_lowest_dilution_limit():
    _why, picked = choose(
        reading("x10", row=1, qualifier="<", dilution=10),
        reading("x100", row=2, qualifier="<", dilution=100),
    )
    assert picked == ["x10"]


def test_over_range_everywhere_reports_the_highest_dilution():
    why, picked = choose(
        reading("x10", row=1, qualifier="OR", dilution=10),
        reading("x100", row=2, qualifier="OR", dilution=100),
    )
    assert picked == ["x100"]
    assert "dilute further" in why["x100"]


def test_dilutions_that_contradict_each_other_go_to_the_technician():
    # Below the limit at x2 yet 50 at x100: both cannot be true.
    why, picked = choose(
        reading("x2", row=1, qualifier="<", dilution=2),
        reading("x100", row=2, value="50", dilution=100),
    )
    assert picked == []
    assert selection.is_undecided(why["x2"]) and selection.is_undecided(why["x100"])


def test_over_at_one_dilution_and_below_at_another_goes_to_the_technician():
    why, picked = choose(
        reading("x2", row=1, qualifier="OR", dilution=2),
        reading("x1000", row=2, qualifier="<", dilution=1000),
    )
    assert picked == []
    assert selection.is_undecided(why["x1000"])


def test_the_first_isotope_with_a_value_is_the_row_reading():
    # Two columns of one measurement: 63Cu empty, 65Cu measured.
    why, picked = choose(
        reading("63", row=1, qualifier="NA", column=0, analyte="Cu"),
        reading("65", row=1, value="12.5", column=1, analyte="Cu"),
    )
    assert picked == ["65"]
    assert "same measurement" in why["63"]


def test_samples_and_analytes_are_chosen_apart_and_names_ignore_case():
    _why, picked = choose(
        reading("a", row=1, value="1", sample="kz-1"),
        reading("b", row=2, value="2", sample="KZ-1"),
        reading("c", row=1, value="3", sample="KZ-1", analyte="Ce"),
    )
    assert sorted(picked) == ["b", "c"]
