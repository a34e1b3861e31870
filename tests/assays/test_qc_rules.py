"""QC rules at their boundaries: a figure exactly on its limit passes, one unit of the last decimal
beyond fails. Every rule, tier and convention has such a pair, so changing a limit breaks a test."""

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from assays import qc
from assays.models import CertifiedValue, QCCheck, Qualifier
from assays.qc import (
    CheckKind,
    QCError,
    blank_check,
    ccv_recovery,
    crm_recovery,
    duplicate_rpd,
    missing_limit,
    nominal_from_name,
    run_shortcomings,
    run_verdict,
)

D = Decimal


def crm(measured, certified, uncertainty=None, convention="", method_pct=None, qualifier=""):
    return crm_recovery(
        None if measured is None else D(measured),
        certified=D(certified),
        uncertainty=None if uncertainty is None else D(uncertainty),
        convention=convention,
        method_rel_uncertainty_pct=None if method_pct is None else D(method_pct),
        qualifier=qualifier,
    )


def dup(a, b, dl=None, qualifiers=("", "")):
    return duplicate_rpd(
        None if a is None else D(a),
        None if b is None else D(b),
        detection_limit=None if dl is None else D(dl),
        qualifiers=qualifiers,
    )


def test_the_vocabulary_is_the_models():
    # Outcomes are stored as they are, and qualifiers come straight from readings.
    assert {kind.value for kind in CheckKind} == set(QCCheck.Kind.values)
    assert set(qc.QUALIFIERS) == set(Qualifier.values)
    assert {convention.value for convention in qc.Convention} == set(CertifiedValue.Convention.values)


# Blanks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "passed"),
    [
        ("0.050", True),  # on the limit
        ("0.051", False),
        ("0.001", True),
        ("-0.050", True),  # on minus the limit
        ("-0.051", False),  # far below zero: the calibration blank carried the analyte
    ],
)
def test_a_measured_blank_is_judged_by_its_magnitude(measured, passed):
    outcome = blank_check(D(measured), qualifier="", limit=D("0.050"))
    assert outcome.kind == CheckKind.BLANK
    assert outcome.passed is passed
    assert measured in outcome.message and "0.050" in outcome.message


@pytest.mark.parametrize(("dl", "passed"), [("0.050", True), ("0.051", False), ("0.004", True)])
def test_a_blank_below_detection_passes_when_its_detection_limit_is_within_the_limit(dl, passed):
    # The detection limit may come as the value (as printed, "<0.004") or apart with no value.
    assert blank_check(D(dl), qualifier="<", limit=D("0.050")).passed is passed
    assert blank_check(None, qualifier="<", detection_limit=D(dl), limit=D("0.050")).passed is passed


def test_a_blank_below_an_unstated_detection_limit_fails():
    assert not blank_check(None, qualifier="<", limit=D("0.050")).passed


@pytest.mark.parametrize(("measured", "qualifier"), [("0.01", "OR"), ("0.01", ">"), (None, "NA"), ("0.01", "NA")])
def test_a_blank_over_range_or_not_reported_fails(measured, qualifier):
    outcome = blank_check(None if measured is None else D(measured), qualifier=qualifier, limit=D("0.050"))
    assert not outcome.passed


def test_a_blank_without_a_value_is_no_evidence():
    outcome = blank_check(None, qualifier="", limit=D("0.050"))
    assert not outcome.passed
    assert "not reported" in outcome.message


def test_blank_figures_are_json_ready_strings():
    outcome = blank_check(D("0.012"), qualifier="", limit=D("0.05"))
    assert json.loads(json.dumps(outcome.figures)) == {"measured": "0.012", "qualifier": "", "limit": "0.05"}


def test_a_blank_rule_refuses_nonsense_configuration():
    with pytest.raises(QCError):
        blank_check(D("0.01"), qualifier="?", limit=D("0.05"))
    with pytest.raises(QCError):
        blank_check(D("0.01"), qualifier="", limit=D("-0.05"))


def test_a_missing_limit_is_a_failed_check_that_says_what_to_set():
    outcome = missing_limit("blank", "Cu", "icpms-4acid")
    assert outcome.kind == CheckKind.BLANK
    assert not outcome.passed
    assert "Cu" in outcome.message and "icpms-4acid" in outcome.message


# Certified reference materials ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "passed"), [("23.41", True), ("23.42", False), ("23.25", True), ("23.24", False), ("23.411", False)]
)
def test_ccu_1f_copper_within_its_95_percent_interval(measured, passed):
    # CCU-1f Cu 23.33 %, 95 % CI ±0.08, used as given: 23.25 to 23.41.
    outcome = crm(measured, "23.33", "0.08", "ci95")
    assert outcome.passed is passed
    assert (outcome.figures["low"], outcome.figures["high"]) == ("23.25", "23.41")


@pytest.mark.parametrize(
    ("measured", "passed"), [("20.766", True), ("20.767", False), ("20.554", True), ("20.553", False)]
)
def test_oreas_991_copper_one_sd_is_doubled(measured, passed):
    # OREAS 991 Cu 20.66 %, 1SD 0.053: ±0.106, so 20.554 to 20.766.
    outcome = crm(measured, "20.66", "0.053", "sd1")
    assert outcome.passed is passed
    assert (outcome.figures["low"], outcome.figures["high"]) == ("20.554", "20.766")


@pytest.mark.parametrize(("measured", "passed"), [("16.04", True), ("16.05", False), ("15.26", True), ("15.25", False)])
def test_amis0298_copper_two_sd_is_used_as_given(measured, passed):
    # AMIS0298 Cu 15.65 %, ±0.39 at 2SD: 15.26 to 16.04.
    assert crm(measured, "15.65", "0.39", "sd2").passed is passed


@pytest.mark.parametrize(
    ("measured", "passed"), [("17.215", True), ("17.216", False), ("14.085", True), ("14.084", False)]
)
def test_a_certified_value_without_uncertainty_gets_ten_percent(measured, passed):
    assert crm(measured, "15.65").passed is passed


def test_the_ten_percent_window_is_not_widened_by_the_method():
    assert not crm("17.216", "15.65", method_pct="20").passed


@pytest.mark.parametrize(
    ("measured", "passed"), [("20.05", True), ("20.051", False), ("19.95", True), ("19.949", False)]
)
def test_the_method_uncertainty_widens_the_interval_in_quadrature(measured, passed):
    # sqrt(0.03² + (0.2 % of 20.00)²) = sqrt(0.03² + 0.04²) = 0.05: neither 0.03 alone nor 0.07 summed.
    outcome = crm(measured, "20.00", "0.03", "ci95", method_pct="0.2")
    assert outcome.passed is passed
    assert (outcome.figures["low"], outcome.figures["high"]) == ("19.95", "20.05")


def test_widened_limits_are_rounded_inwards_and_applied_as_printed():
    # CCU-1f with a 1 % method: h = sqrt(0.08² + 0.2333²) = 0.2466351...; exact limits 23.0833649 and 23.5766351.
    outcome = crm("23.5766", "23.33", "0.08", "ci95", method_pct="1")
    assert (outcome.figures["low"], outcome.figures["high"]) == ("23.0834", "23.5766")
    assert outcome.passed
    # Inside the exact interval but beyond the printed limit: the printed limit decides.
    assert not crm("23.57663", "23.33", "0.08", "ci95", method_pct="1").passed
    assert not crm("23.08336", "23.33", "0.08", "ci95", method_pct="1").passed
    assert crm("23.0834", "23.33", "0.08", "ci95", method_pct="1").passed


def test_crm_figures_and_message_show_measured_limits_and_recovery():
    outcome = crm("23.41", "23.33", "0.08", "ci95")
    assert outcome.kind == CheckKind.CRM_RECOVERY
    assert outcome.figures == {
        "measured": "23.41",
        "qualifier": "",
        "expected": "23.33",
        "low": "23.25",
        "high": "23.41",
        "recovery_pct": "100.34",
    }
    for figure in ("23.41", "23.33", "23.25", "100.34"):
        assert figure in outcome.message


@pytest.mark.parametrize(
    ("measured", "qualifier"), [(None, ""), ("0.5", "<"), ("30", "OR"), (None, "NA"), ("23.33", ">"), ("23.33", "<")]
)
def test_a_crm_not_measured_fails(measured, qualifier):
    # Even a qualified figure on the certified value: "> 23.33" says nothing about how far above.
    assert not crm(measured, "23.33", "0.08", "ci95", qualifier=qualifier).passed


def test_a_crm_rule_refuses_nonsense_configuration():
    with pytest.raises(QCError, match="convention"):
        crm("23.33", "23.33", "0.08", "2sigma")
    with pytest.raises(QCError, match="below 100"):
        crm("23.33", "23.33", "0.08", "ci95", method_pct="100")
    with pytest.raises(QCError):
        crm("23.33", "0", "0.08", "ci95")


# Duplicates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "passed", "limit"),
    [
        ("3", "6.99", True, None),  # mean 4.995 x DL: too close to the DL to assess, whatever the RPD
        ("3.75", "6.25", True, "50"),  # mean 5 x DL: RPD exactly 50 %
        ("3.749", "6.251", False, "50"),
        ("8.9", "11.098", True, "50"),  # mean 9.999 x DL: still the 50 % tier, RPD 21.98 %
        ("9", "11", True, "20"),  # mean 10 x DL: RPD exactly 20 %
        ("8.999", "11.001", False, "20"),
        ("92.49", "107.49", True, "20"),  # mean 99.99 x DL: still the 20 % tier, RPD 15.0 %
        ("95", "105", True, "10"),  # mean 100 x DL: RPD exactly 10 %
        ("94.999", "105.001", False, "10"),
    ],
)
def test_duplicate_limits_tighten_with_concentration(a, b, passed, limit):
    outcome = dup(a, b, dl="1")
    assert outcome.kind == CheckKind.DUPLICATE_RPD
    assert outcome.passed is passed
    assert outcome.figures.get("limit_pct") == limit
    if limit is None:
        assert "too close to the detection limit to assess" in outcome.message


def test_the_tiers_are_a_table_a_lab_can_read():
    assert ((D(100), D(10)), (D(10), D(20)), (D(5), D(50))) == qc.RPD_TIERS


@pytest.mark.parametrize(
    ("a", "b", "passed"),
    [("95", "105", True), ("94.99", "105.01", False), ("0.95", "1.05", True), ("0.9", "1.1", False)],
)
def test_without_a_detection_limit_the_strictest_tier_applies(a, b, passed):
    outcome = dup(a, b)
    assert outcome.passed is passed
    assert outcome.figures["limit_pct"] == "10"


def test_the_rpd_is_printed_rounded_up():
    # RPD 10.001 %: half-even would print 10.00 beside a failure; rounded up it reads 10.01.
    outcome = dup("94.9995", "105.0005", dl="0.01")
    assert not outcome.passed
    assert outcome.figures["rpd_pct"] == "10.01"
    assert dup("1.00", "1.105", dl="0.01").figures["rpd_pct"] == "9.98"  # 9.976...


def test_both_duplicates_below_detection_are_not_assessed():
    outcome = dup(None, None, dl="1", qualifiers=("<", "<"))
    assert outcome.passed
    assert "not assessed" in outcome.message


@pytest.mark.parametrize(("other", "passed"), [("5", False), ("4.999", True)])
def test_one_duplicate_below_detection_fails_when_the_other_reaches_the_lowest_tier(other, passed):
    assert dup(None, other, dl="1", qualifiers=("<", "")).passed is passed
    assert dup(other, None, dl="1", qualifiers=("", "<")).passed is passed


@pytest.mark.parametrize(("other", "passed"), [("2.5", False), ("2.499", True)])
def test_a_censored_duplicate_brings_its_own_detection_limit(other, passed):
    assert dup("0.5", other, qualifiers=("<", "")).passed is passed
    # The method's detection limit, when given, places the pair: 5 x 0.4 = 2.
    assert not dup("0.5", "2", dl="0.4", qualifiers=("<", "")).passed


def test_a_duplicate_below_an_unstated_detection_limit_fails():
    assert not dup(None, "3", qualifiers=("<", "")).passed


@pytest.mark.parametrize(
    ("a", "b", "qualifiers"),
    [("10", "300", ("", "OR")), ("10", "12", ("", ">")), ("10", None, ("", "NA")), ("10", None, ("", ""))],
)
def test_a_duplicate_over_range_or_missing_fails(a, b, qualifiers):
    assert not dup(a, b, dl="1", qualifiers=qualifiers).passed


def test_a_pair_with_no_positive_mean_is_not_assessed():
    assert dup("-1", "1").passed


# Calibration verification -----------------------------------------------------------------------


@pytest.mark.parametrize(("measured", "passed"), [("11", True), ("11.01", False), ("9", True), ("8.99", False)])
def test_a_ccv_passes_within_ten_percent(measured, passed):
    outcome = ccv_recovery(D(measured), nominal=D(10))
    assert outcome.kind == CheckKind.CCV_RECOVERY
    assert outcome.passed is passed
    assert (outcome.figures["low"], outcome.figures["high"]) == ("9", "11")


@pytest.mark.parametrize(("measured", "passed"), [("10.5", True), ("10.51", False), ("9.5", True), ("9.49", False)])
def test_a_ccv_tolerance_can_be_set(measured, passed):
    assert ccv_recovery(D(measured), nominal=D(10), tolerance_pct=D(5)).passed is passed


def test_ccv_figures_show_the_recovery():
    outcome = ccv_recovery(D("10.37"), nominal=D(10))
    assert outcome.figures["recovery_pct"] == "103.70"
    assert "10.37" in outcome.message and "9 to 11" in outcome.message


@pytest.mark.parametrize(
    ("measured", "qualifier"), [(None, ""), ("12", "OR"), ("0.1", "<"), (None, "NA"), ("10", ">"), ("10", "OR")]
)
def test_a_ccv_not_measured_fails(measured, qualifier):
    assert not ccv_recovery(None if measured is None else D(measured), nominal=D(10), qualifier=qualifier).passed


def test_a_ccv_without_a_nominal_fails_and_says_why():
    outcome = ccv_recovery(D(10), nominal=None)
    assert not outcome.passed
    assert "nominal concentration is unknown" in outcome.message


def test_a_ccv_tolerance_of_100_percent_is_refused():
    with pytest.raises(QCError):
        ccv_recovery(D(10), nominal=D(10), tolerance_pct=D(100))


@pytest.mark.parametrize(
    ("name", "unit", "nominal"),
    [
        ("CCV 10 ppb", "ug/L", D("10")),
        ("CCV10ppb", "mg/L", D("0.010")),
        ("ICV-2,5 µg/l", "ppb", D("2.5")),
        ("CCV 1 ppm", "ug/L", D("1000")),
        ("CCV 2", "ug/L", None),  # a sequence number, not a concentration
        ("CCV 10 ppb / 20 ppb", "ug/L", None),  # two concentrations: which one?
        ("CCV 10 ppb", "mg/kg", None),  # a per-mass file: the name's solution figure does not apply
    ],
)
def test_a_check_standard_name_may_state_its_nominal(name, unit, nominal):
    assert nominal_from_name(name, unit) == nominal


# The run ----------------------------------------------------------------------------------------

PASSED_CRM = crm("23.33", "23.33", "0.08", "ci95")
PASSED_BLANK = blank_check(D("0.01"), qualifier="", limit=D("0.05"))
PASSED_DUPLICATE = dup("10", "10.5", dl="0.1")
FAILED_CCV = ccv_recovery(D("12"), nominal=D(10))


def test_a_run_passes_when_every_check_passed_and_trueness_was_shown():
    assert run_verdict([PASSED_BLANK, PASSED_CRM, PASSED_DUPLICATE])
    assert run_shortcomings([PASSED_CRM]) == []


def test_a_run_with_a_failed_check_fails_and_says_which():
    assert not run_verdict([PASSED_BLANK, PASSED_CRM, FAILED_CCV])
    assert run_shortcomings([PASSED_CRM, FAILED_CCV]) == [FAILED_CCV.message]


def test_a_run_without_checks_is_not_passed():
    assert not run_verdict([])
    assert run_shortcomings([]) == ["The run has no QC checks: nothing shows its results can be trusted."]


def test_a_run_without_a_crm_or_ccv_is_not_passed():
    # Clean blanks and good duplicates do not show that the instrument reads true.
    assert not run_verdict([PASSED_BLANK, PASSED_DUPLICATE])
    assert run_verdict([PASSED_BLANK, PASSED_DUPLICATE, ccv_recovery(D(10), nominal=D(10))])


def test_the_verdict_reads_stored_checks_too():
    stored = [
        SimpleNamespace(kind=outcome.kind.value, passed=outcome.passed, message=outcome.message)
        for outcome in (PASSED_BLANK, PASSED_CRM)
    ]
    assert run_verdict(stored)
    assert not run_verdict(stored[:1])
