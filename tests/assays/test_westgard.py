"""The Westgard rules, each with exact point sequences that break it and that just do not, against
a baseline of mean 100 and standard deviation 2 (so 1s = 2, 2s = 4, 3s = 6, 4s = 8)."""

from decimal import Decimal

import pytest

from assays.westgard import Rule, Violation, evaluate

D = Decimal
MEAN, SD = D(100), D(2)


def flagged(values, rule: Rule) -> list[int]:
    """Indexes of the points at which `rule` is broken."""
    flags = evaluate([D(v) for v in values], mean=MEAN, sd=SD)
    return [i for i, found in enumerate(flags) if any(v.rule == rule for v in found)]


def violations(values) -> list[list[Violation]]:
    return evaluate([D(v) for v in values], mean=MEAN, sd=SD)


# 1-3s -------------------------------------------------------------------------------------------


def test_1_3s_one_point_beyond_three_sd():
    # 106.01 is 3.005 s above the mean; 93.99 is 3.005 s below.
    assert flagged(["100", "106.01", "100", "93.99"], Rule.R_1_3S) == [1, 3]
    assert violations(["106.01"])[0] == [Violation(Rule.R_1_3S, 0, 0, 1)]


def test_1_3s_a_point_on_the_limit_passes():
    # Exactly 3 s away on either side: not beyond.
    assert flagged(["106", "94", "105.99"], Rule.R_1_3S) == []


# 2-2s -------------------------------------------------------------------------------------------


def test_2_2s_two_consecutive_beyond_two_sd_on_one_side():
    # Points 1 and 2 above +2 s (104.01): the second completes the rule.
    assert flagged(["100", "104.01", "104.5", "100"], Rule.R_2_2S) == [2]
    assert Violation(Rule.R_2_2S, 2, 1, 1) in violations(["100", "104.01", "104.5"])[2]
    # Below -2 s as well.
    assert Violation(Rule.R_2_2S, 1, 0, -1) in violations(["95.9", "95.5"])[1]


def test_2_2s_not_broken_on_opposite_sides_apart_or_on_the_limit():
    # +2 s then -2 s: opposite sides.
    assert flagged(["104.5", "95.5"], Rule.R_2_2S) == []
    # Two beyond +2 s with a point between them: not consecutive.
    assert flagged(["104.5", "100", "104.5"], Rule.R_2_2S) == []
    # One of the two exactly on +2 s (104).
    assert flagged(["104", "104.5"], Rule.R_2_2S) == []


# R-4s -------------------------------------------------------------------------------------------


def test_r_4s_range_of_two_consecutive_beyond_four_sd():
    # 104.1 - 96.0 = 8.1 > 8 (4 s).
    assert flagged(["96.0", "104.1"], Rule.R_R_4S) == [1]
    assert Violation(Rule.R_R_4S, 1, 0, 0) in violations(["96.0", "104.1"])[1]
    # Falling as well as rising.
    assert flagged(["100", "104.1", "96.0"], Rule.R_R_4S) == [2]


def test_r_4s_not_broken_at_exactly_four_sd_or_between_non_consecutive_points():
    assert flagged(["96.0", "104.0"], Rule.R_R_4S) == []
    assert flagged(["96.0", "100", "104.1"], Rule.R_R_4S) == []


# 4-1s -------------------------------------------------------------------------------------------


def test_4_1s_four_consecutive_beyond_one_sd_on_one_side():
    # Four points above +1 s (102.01 .. 103): broken at the fourth, and again at a fifth.
    assert flagged(["100", "102.01", "103", "102.5", "102.1", "102.2"], Rule.R_4_1S) == [4, 5]
    assert Violation(Rule.R_4_1S, 4, 1, 1) in violations(["100", "102.01", "103", "102.5", "102.1"])[4]
    assert flagged(["97.9", "97", "97.5", "97.99"], Rule.R_4_1S) == [3]


def test_4_1s_not_broken_by_three_or_by_one_on_the_limit():
    assert flagged(["102.5", "102.5", "102.5", "100"], Rule.R_4_1S) == []
    # The third point is exactly +1 s (102): it breaks the run.
    assert flagged(["102.5", "102.5", "102", "102.5"], Rule.R_4_1S) == []
    # Four beyond 1 s but not on one side.
    assert flagged(["102.5", "102.5", "97.5", "102.5"], Rule.R_4_1S) == []


# 10-x -------------------------------------------------------------------------------------------


def test_10_x_ten_consecutive_on_one_side_of_the_mean():
    above = ["100.01", "100.5", "101", "100.2", "100.1", "100.3", "100.9", "100.4", "100.02", "100.6"]
    assert flagged(above, Rule.R_10_X) == [9]
    assert violations(above)[9] == [Violation(Rule.R_10_X, 9, 0, 1)]
    below = ["99.9"] * 11
    assert flagged(below, Rule.R_10_X) == [9, 10]


def test_10_x_not_broken_by_nine_or_by_a_point_on_the_mean():
    assert flagged(["100.5"] * 9, Rule.R_10_X) == []
    # The sixth point sits exactly on the mean: neither side.
    assert flagged(["100.5"] * 5 + ["100"] + ["100.5"] * 4, Rule.R_10_X) == []
    assert flagged(["100.5"] * 9 + ["99.5"], Rule.R_10_X) == []


# The series as a whole ---------------------------------------------------------------------------


def test_points_within_the_limits_break_nothing():
    assert violations(["100", "101.9", "98.1", "100", "103.9", "96.1"]) == [[], [], [], [], [], []]


def test_one_point_may_break_several_rules():
    # 93 (-3.5 s) after 104.5 (+2.25 s): 1-3s, and a range of 11.5 > 8 (R-4s).
    assert [v.rule for v in violations(["104.5", "93"])[1]] == [Rule.R_1_3S, Rule.R_R_4S]


@pytest.mark.parametrize("sd", [D(0), D(-1)])
def test_a_baseline_without_spread_judges_nothing(sd):
    with pytest.raises(ValueError, match="above zero"):
        evaluate([D(100)], mean=MEAN, sd=sd)
