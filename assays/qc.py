"""Quality-control rules of an analytical run, as pure functions.

Each rule takes the figures of one QC row (a blank, a certified reference material, a duplicate
pair, a continuing calibration verification) and returns a CheckOutcome: which check, whether it
passed, the figures it used as JSON-ready strings, and a sentence saying what was measured and what
the limit was. The sentence is a key of TEXTS and its parameters (lims.lib.worded): a QCCheck stores
both and its English `message`, and is put into words in the reader's language when shown (`text`),
so a run imported by a technician working in Russian reads in Kazakh to a reviewer. The decision is made on exact Decimal values; wherever a figure is printed rounded,
the rounding is chosen so that the printed figure never looks better than the value judged.

Qualifiers are those of assays.models.Qualifier: "" measured, "<" below the detection limit, ">"
above a stated value, "OR" over the calibrated range, "NA" not reported. A value below the
detection limit may come as the detection limit itself or as None with the limit passed apart.

Limits are inclusive throughout: a figure exactly on its limit passes. A limit names the worst
acceptable value, so the rule must accept it. Anything a rule cannot judge (a value not reported,
a limit not configured) fails: a check that could not be made is no evidence.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from assays import units
from assays.choices import Qualifier
from assays.units import finite_decimal
from lims.exceptions import ApplicationError
from lims.lib import worded
from lims.lib.numbers import digits

# Short names for the qualifiers the checks compare against (assays.choices defines them).
MEASURED, BELOW_DL, ABOVE = Qualifier.NONE.value, Qualifier.BELOW_DL.value, Qualifier.ABOVE.value
OVER_RANGE, NOT_REPORTED = Qualifier.OVER_RANGE.value, Qualifier.NOT_REPORTED.value
QUALIFIERS = tuple(Qualifier.values)


class QCError(ApplicationError, ValueError):
    """A QC rule was given figures it cannot judge with (a negative limit, an unknown convention).

    This is a configuration problem of the method or the reference material, not a failed check.
    """


class CheckKind(StrEnum):
    """The same values as assays.models.QCCheck.Kind, so an outcome is stored as it is."""

    BLANK = "blank"
    CRM_RECOVERY = "crm_recovery"
    DUPLICATE_RPD = "duplicate_rpd"
    CCV_RECOVERY = "ccv_recovery"


# Checks that show the instrument reads the right value. A blank shows the absence of
# contamination and a duplicate shows precision; neither shows trueness.
TRUENESS_KINDS = frozenset({CheckKind.CRM_RECOVERY.value, CheckKind.CCV_RECOVERY.value})


# What a check says, by key (CheckOutcome.key, QCCheck.text_key); the parameters are figures as
# strings, codes and names (the row's analyte and method), and for a CRM the basis of its window.
BLANK_NOT_REPORTED = "blank_not_reported"
BLANK_OVER_RANGE = "blank_over_range"
BLANK_BELOW_DL = "blank_below_dl"
BLANK_DL_ABOVE_LIMIT = "blank_dl_above_limit"
BLANK_ABOVE_LIMIT = "blank_above_limit"
BLANK_BELOW_MINUS_LIMIT = "blank_below_minus_limit"
BLANK_WITHIN = "blank_within"
NO_LIMIT = "no_limit"
CRM_NOT_MEASURED = "crm_not_measured"
CRM_WITHIN = "crm_within"
CRM_OUTSIDE = "crm_outside"
DUPLICATE_INCOMPLETE = "duplicate_incomplete"
DUPLICATE_OVER_RANGE = "duplicate_over_range"
DUPLICATE_BOTH_BELOW_DL = "duplicate_both_below_dl"
DUPLICATE_UNSTATED_DL = "duplicate_unstated_dl"
DUPLICATE_ONE_BELOW_DL = "duplicate_one_below_dl"
DUPLICATE_NEAR_DL = "duplicate_near_dl"
DUPLICATE_MEAN_NEAR_DL = "duplicate_mean_near_dl"
DUPLICATE_NO_MEAN = "duplicate_no_mean"
DUPLICATE_WITHIN = "duplicate_within"
DUPLICATE_ABOVE = "duplicate_above"
CCV_NO_NOMINAL = "ccv_no_nominal"
CCV_NOT_MEASURED = "ccv_not_measured"
CCV_WITHIN = "ccv_within"
CCV_OUTSIDE = "ccv_outside"

TEXTS = {
    BLANK_NOT_REPORTED: gettext_lazy(
        "Blank not reported: a blank that was not measured is no evidence (limit %(limit)s)."
    ),
    BLANK_OVER_RANGE: gettext_lazy("Blank above the instrument's range (%(measured)s), limit %(limit)s."),
    BLANK_BELOW_DL: gettext_lazy("Blank below its detection limit (%(measured)s), within the limit %(limit)s."),
    BLANK_DL_ABOVE_LIMIT: gettext_lazy(
        "Blank below its detection limit (%(measured)s), but that is above the limit %(limit)s."
    ),
    BLANK_ABOVE_LIMIT: gettext_lazy("Blank read %(measured)s, above the limit %(limit)s."),
    BLANK_BELOW_MINUS_LIMIT: gettext_lazy(
        "Blank read %(measured)s, below minus the limit (-%(limit)s): the calibration blank carried "
        "the analyte, so low results read low."
    ),
    BLANK_WITHIN: gettext_lazy("Blank read %(measured)s, within %(limit)s either side of zero."),
    NO_LIMIT: gettext_lazy(
        "No %(kind)s limit is set for %(analyte)s by method %(method)s, so the check could not be made; "
        "set the limit in the method's performance table."
    ),
    CRM_NOT_MEASURED: gettext_lazy(
        "CRM not measured (%(qualifier)s%(measured)s); certified %(expected)s, accepted %(low)s to %(high)s "
        "(%(basis)s)."
    ),
    CRM_WITHIN: gettext_lazy(
        "CRM read %(measured)s against certified %(expected)s: within %(low)s to %(high)s (%(basis)s), "
        "recovery %(recovery_pct)s %%."
    ),
    CRM_OUTSIDE: gettext_lazy(
        "CRM read %(measured)s against certified %(expected)s: outside %(low)s to %(high)s (%(basis)s), "
        "recovery %(recovery_pct)s %%."
    ),
    DUPLICATE_INCOMPLETE: gettext_lazy("Duplicate pair %(a)s / %(b)s incomplete: a member was not reported."),
    DUPLICATE_OVER_RANGE: gettext_lazy("Duplicate pair %(a)s / %(b)s has an over-range member; re-run it diluted."),
    DUPLICATE_BOTH_BELOW_DL: gettext_lazy("Duplicate pair %(a)s / %(b)s both below the detection limit: not assessed."),
    DUPLICATE_UNSTATED_DL: gettext_lazy(
        "Duplicate pair %(a)s / %(b)s: a member is below an unstated detection limit; cannot assess."
    ),
    DUPLICATE_ONE_BELOW_DL: gettext_lazy(
        "Duplicate pair %(a)s / %(b)s: one member below the detection limit while the other is at least "
        "%(threshold)s, the lowest level assessed."
    ),
    DUPLICATE_NEAR_DL: gettext_lazy("Duplicate pair %(a)s / %(b)s too close to the detection limit to assess."),
    DUPLICATE_MEAN_NEAR_DL: gettext_lazy(
        "Duplicate pair %(a)s / %(b)s (mean %(mean)s) too close to the detection limit to assess."
    ),
    DUPLICATE_NO_MEAN: gettext_lazy("Duplicate pair %(a)s / %(b)s has no positive mean: not assessed."),
    DUPLICATE_WITHIN: gettext_lazy(
        "Duplicate pair %(a)s / %(b)s: RPD %(rpd_pct)s %%, within the limit %(limit_pct)s %%."
    ),
    DUPLICATE_ABOVE: gettext_lazy(
        "Duplicate pair %(a)s / %(b)s: RPD %(rpd_pct)s %%, above the limit %(limit_pct)s %%."
    ),
    CCV_NO_NOMINAL: gettext_lazy(
        "CCV read %(qualifier)s%(measured)s but its nominal concentration is unknown: state it in the "
        "row's name (CCV 10 ppb) or as the run's CCV nominal."
    ),
    CCV_NOT_MEASURED: gettext_lazy(
        "CCV not measured (%(qualifier)s%(measured)s); nominal %(expected)s, accepted %(low)s to %(high)s."
    ),
    CCV_WITHIN: gettext_lazy(
        "CCV read %(measured)s against nominal %(expected)s: within %(low)s to %(high)s (±%(limit_pct)s %%)."
    ),
    CCV_OUTSIDE: gettext_lazy(
        "CCV read %(measured)s against nominal %(expected)s: outside %(low)s to %(high)s (±%(limit_pct)s %%)."
    ),
}

# How a CRM's acceptance window was set (the `basis` parameter: {"key": ..., figures...}).
BASES = {
    "ci95": gettext_lazy("certificate 95 %% interval ±%(u)s"),
    "sd1": gettext_lazy("certificate 1 SD %(u)s, doubled to ±%(h)s"),
    "sd2": gettext_lazy("certificate ±%(u)s, 2 SD"),
    "none": gettext_lazy("±%(pct)s %% of the certified value, the certificate states no uncertainty"),
}
WIDENED = gettext_lazy(", widened by the method's ±%(pct)s %%")

# A check's name inside a sentence ("No CRM recovery limit is set for Cu...").
KIND_NAMES = {
    "blank": pgettext_lazy("QC check in a sentence", "blank"),
    "crm_recovery": pgettext_lazy("QC check in a sentence", "CRM recovery"),
    "duplicate_rpd": pgettext_lazy("QC check in a sentence", "duplicate RPD"),
    "ccv_recovery": pgettext_lazy("QC check in a sentence", "CCV recovery"),
}


def _basis_text(basis: dict) -> str:
    text = worded.word(BASES, basis.get("key", ""), basis) or "?"
    if basis.get("widened"):
        text += str(WIDENED) % {"pct": basis["widened"]}
    return text


def _basis_parsed(text: str) -> dict:
    """The basis of a CRM window as an older version wrote it in English, as a `basis` parameter."""
    widened = None
    match = worded.pattern("%(base)s" + worded.msgid(WIDENED)).fullmatch(text)
    if match:
        text, widened = match.group("base"), match.group("pct")
    parsed = worded.parse(text, BASES)
    if parsed is None:
        return {}
    key, params = parsed
    return {"key": key, **params, **({"widened": widened} if widened else {})}


def describe(key: str, params: dict | None) -> str | None:
    """What check text `key` says with `params`, in the active language; None for a key this version
    does not know (the caller shows the stored message)."""
    if key not in TEXTS:
        return None
    p = worded.Parameters(params or {})
    if isinstance(p.get("basis"), dict):
        p["basis"] = _basis_text(p["basis"])
    if "kind" in p:
        kind = str(p["kind"])
        name = KIND_NAMES.get(kind) or KIND_NAMES.get(kind.replace(" ", "_"))
        p["kind"] = str(name) if name is not None else kind
    return worded.word(TEXTS, key, p)


def parse_message(message: str) -> tuple[str, dict] | None:
    """(key, parameters) of a check's English message written before the keys were stored, or None."""
    parsed = worded.parse(message, TEXTS)
    if parsed is None:
        return None
    key, texts = parsed
    params: dict[str, object] = dict(texts)
    if "basis" in texts:
        basis = _basis_parsed(texts["basis"])
        if not basis:
            return None
        params["basis"] = basis
    return key, params


def text_of(key: str, params: dict | None, message: str) -> str:
    """A stored check's words in the active language: from its key, else from its English message
    read back (older rows), else the message as stored."""
    if not key:
        parsed = parse_message(message)
        if parsed is None:
            return message
        key, params = parsed
    return describe(key, params) or message


@dataclass(frozen=True)
class CheckOutcome:
    kind: CheckKind
    passed: bool
    figures: dict[str, str] = field(default_factory=dict)
    key: str = ""
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """What the check says in English: what QCCheck.message stores and the API returns."""
        return worded.in_english(lambda: self.text)

    @property
    def text(self) -> str:
        """What the check says in the active language."""
        return describe(self.key, self.params) or ""


# A Decimal as plain digits for figures and messages (never exponent notation); "" for none.
_text = digits


def _non_negative(value, name: str) -> Decimal:
    number = finite_decimal(value, name)
    if number < 0:
        raise QCError(_("%(name)s cannot be negative (%(value)s).") % {"name": name, "value": _text(number)})
    return number


def _positive(value, name: str) -> Decimal:
    number = finite_decimal(value, name)
    if number <= 0:
        raise QCError(_("%(name)s must be more than zero (%(value)s).") % {"name": name, "value": _text(number)})
    return number


def _qualifier(qualifier: str) -> str:
    if qualifier not in QUALIFIERS:
        raise QCError(_("Unknown qualifier %(qualifier)r.") % {"qualifier": qualifier})
    return qualifier


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator in %, to two decimals half to even, for reading only."""
    return (numerator * 100 / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def missing_limit(kind: str, analyte: str, method: str) -> CheckOutcome:
    """A check that could not be made because its limit is not configured: it fails.

    Skipping it would let a run pass on checks nobody defined; failing it sends the lab to set the
    limit, or a reviewer to override the run with a written reason.
    """
    kind = CheckKind(kind)
    params = {"kind": kind.value, "analyte": analyte, "method": method}
    return CheckOutcome(kind, False, {"analyte": analyte, "method": method}, NO_LIMIT, params)


def blank_check(
    measured: Decimal | None, *, qualifier: str, limit: Decimal, detection_limit: Decimal | None = None
) -> CheckOutcome:
    """A calibration or method blank, judged against the method's blank limit (same unit).

    - Measured: passes when its magnitude is at most the limit. A blank far below zero fails as
      well as one far above: it means the calibration blank it was measured against carried the
      analyte, so every low result of the run reads low by as much.
    - Below the detection limit ("<DL"; the DL is `detection_limit`, or else `measured`): passes
      when the DL is at most the limit. A DL above the limit cannot show the blank was clean enough,
      and a "<" with no stated DL shows nothing.
    - Above a value, over range: fails.
    - Not reported (qualifier "NA", or no value): fails. A blank that was not measured is not
      evidence that there was no contamination.
    """
    qualifier = _qualifier(qualifier)
    limit = _non_negative(limit, "limit")
    if qualifier == BELOW_DL and detection_limit is not None:
        measured = detection_limit
    figures = {"measured": _text(measured), "qualifier": qualifier, "limit": _text(limit)}
    args = {
        "measured": f"{qualifier if qualifier in (BELOW_DL, ABOVE) else ''}{_text(measured)}",
        "limit": _text(limit),
    }

    def outcome(passed: bool, key: str) -> CheckOutcome:
        return CheckOutcome(CheckKind.BLANK, passed, figures, key, args)

    if qualifier == NOT_REPORTED or measured is None:
        return outcome(False, BLANK_NOT_REPORTED)
    measured = finite_decimal(measured, "measured")
    if qualifier in (ABOVE, OVER_RANGE):
        return outcome(False, BLANK_OVER_RANGE)
    if qualifier == BELOW_DL:
        return outcome(True, BLANK_BELOW_DL) if measured <= limit else outcome(False, BLANK_DL_ABOVE_LIMIT)
    if measured > limit:
        return outcome(False, BLANK_ABOVE_LIMIT)
    if measured < -limit:
        return outcome(False, BLANK_BELOW_MINUS_LIMIT)
    return outcome(True, BLANK_WITHIN)


class Convention(StrEnum):
    """How a certificate states its uncertainty (assays.models.CertifiedValue.Convention)."""

    CI95 = "ci95"  # a 95 % interval, used as given (NRCan: 95 % confidence interval of the mean)
    SD1 = "sd1"  # one standard deviation of results (OREAS "1SD")
    SD2 = "sd2"  # two standard deviations (AMIS "±2SD")


# Acceptance half-width, in % of the certified value, when a certificate states no uncertainty
# (an indicative value). A lab may change it.
NO_UNCERTAINTY_WINDOW_PCT = Decimal(10)

# How many decimals beyond the certificate's own the acceptance limits are carried, when widening by
# the method's uncertainty gives them more (a square root rarely terminates).
_LIMIT_EXTRA_DECIMALS = 2


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity have no decimal places
        raise TypeError(f"decimal places of a non-finite number ({value}) are undefined")
    return max(0, -exponent)


def _trimmed(value: Decimal, places: int) -> Decimal:
    """`value` without trailing zeros beyond `places` decimals (19.9500 -> 19.95 for 2): the same
    number, printed with no more digits than it carries."""
    return value.quantize(Decimal(1).scaleb(-max(places, _decimals(value.normalize()))))


def _certificate_half_width(uncertainty: Decimal, convention: str) -> tuple[Decimal, dict]:
    """Half-width of the certificate's 95 % interval, and how it was read (a `basis`: key of BASES
    and its figures).

    ci95 is already one; sd1 is doubled; sd2 is used as given. Two standard deviations stand for
    the 1.96 of a normal 95 % interval: the producers who publish SDs define their limits with 2,
    and the 2 % wider window is what their users apply.
    """
    if convention == Convention.CI95:
        return uncertainty, {"key": "ci95", "u": _text(uncertainty)}
    if convention == Convention.SD1:
        return 2 * uncertainty, {"key": "sd1", "u": _text(uncertainty), "h": _text(2 * uncertainty)}
    if convention == Convention.SD2:
        return uncertainty, {"key": "sd2", "u": _text(uncertainty)}
    raise QCError(
        _("Unknown uncertainty convention %(convention)r; use one of %(known)s.")
        % {"convention": convention, "known": ", ".join(Convention)}
    )


def crm_recovery(
    measured: Decimal | None,
    *,
    certified: Decimal,
    uncertainty: Decimal | None,
    convention: str,
    method_rel_uncertainty_pct: Decimal | None,
    qualifier: str = MEASURED,
) -> CheckOutcome:
    """A certified reference material, judged against its certificate.

    The acceptance interval is certified ± h, boundaries included:
    - h_cert is the certificate's 95 % interval (see _certificate_half_width).
    - With `method_rel_uncertainty_pct`, the method's expanded relative uncertainty (k=2) in per
      cent (as assays.models.MethodAnalyte stores it), h = sqrt(h_cert² + (U_rel x certified)²):
      the certificate's uncertainty and the lab's own are independent and add in quadrature. This
      matters most for NRCan's 95 % confidence interval, which describes the certified mean, not a
      single result: without the method's share, sound results of a good lab fail. The argument is
      named in per cent on purpose: a fraction passed as a percentage would narrow the window a
      hundredfold without anyone noticing.
    - Without a stated uncertainty (an indicative value) the window is ±10 %
      (NO_UNCERTAINTY_WINDOW_PCT) of the certified value, not widened further: it is a whole
      acceptance window already, and a narrower window than the method can meet fails closed.

    When widening gives limits with more decimals than the certificate's figures plus two, they are
    rounded inwards (low up, high down) to that many decimals and the rounded limits are applied: the
    limits printed are the limits used, and no result outside the exact interval is accepted.
    A CRM not measured (None, or a qualifier: below detection, over range, not reported) fails: it
    shows nothing about trueness. The recovery figure (measured / certified, %) is for reading; the
    interval decides.
    """
    qualifier = _qualifier(qualifier)
    certified = _positive(certified, "certified")
    rel_pct = None
    if method_rel_uncertainty_pct is not None:
        rel_pct = _non_negative(method_rel_uncertainty_pct, "method_rel_uncertainty_pct")
        if rel_pct >= 100:
            raise QCError(
                _("The method's relative uncertainty must be below 100 %%, not %(value)s %%.")
                % {"value": _text(rel_pct)}
            )
    if uncertainty is None:
        half_width = (certified * NO_UNCERTAINTY_WINDOW_PCT).scaleb(-2)
        places = _decimals(certified) + _LIMIT_EXTRA_DECIMALS
        basis = {"key": "none", "pct": _text(NO_UNCERTAINTY_WINDOW_PCT)}
    else:
        uncertainty = _non_negative(uncertainty, "uncertainty")
        half_width, basis = _certificate_half_width(uncertainty, convention)
        places = max(_decimals(certified), _decimals(uncertainty)) + _LIMIT_EXTRA_DECIMALS
        if rel_pct is not None:
            half_width = (half_width**2 + (rel_pct * certified).scaleb(-2) ** 2).sqrt()
            basis["widened"] = _text(rel_pct)
    low, high = certified - half_width, certified + half_width
    step = Decimal(1).scaleb(-places)
    if _decimals(low) > places:
        low = low.quantize(step, rounding=ROUND_CEILING)
    if _decimals(high) > places:
        high = high.quantize(step, rounding=ROUND_FLOOR)
    stated = places - _LIMIT_EXTRA_DECIMALS
    low, high = _trimmed(low, stated), _trimmed(high, stated)

    figures = {
        "measured": _text(measured),
        "qualifier": qualifier,
        "expected": _text(certified),
        "low": _text(low),
        "high": _text(high),
    }
    args = {**figures, "basis": basis}
    if measured is None or qualifier != MEASURED:
        return CheckOutcome(CheckKind.CRM_RECOVERY, False, figures, CRM_NOT_MEASURED, args)
    measured = finite_decimal(measured, "measured")
    figures["recovery_pct"] = args["recovery_pct"] = _text(_percent(measured, certified))
    passed = low <= measured <= high
    return CheckOutcome(CheckKind.CRM_RECOVERY, passed, figures, CRM_WITHIN if passed else CRM_OUTSIDE, args)


# Duplicate precision tiers: (the mean of the pair at least this many detection limits, largest
# acceptable RPD in %). Precision improves with concentration and levels off far above the detection
# limit, as Thompson and Howarth showed for duplicate analyses; these tiers are the usual
# geochemistry-lab practice. A pair whose mean is below the lowest tier is too close to the
# detection limit to assess. Ordered from the highest concentration down; a lab may change them.
RPD_TIERS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal(100), Decimal(10)),
    (Decimal(10), Decimal(20)),
    (Decimal(5), Decimal(50)),
)
# Without a detection limit the pair cannot be placed in a tier, so the strictest tier applies: the
# check can then never accept a pair that it would reject knowing the limit. A pair failing near the
# detection limit for this reason is the lab's cue to record the method's detection limit.
RPD_LIMIT_WITHOUT_DL_PCT = min(limit for _multiple, limit in RPD_TIERS)
_LOWEST_TIER = min(multiple for multiple, _limit in RPD_TIERS)


def duplicate_rpd(
    a: Decimal | None,
    b: Decimal | None,
    *,
    detection_limit: Decimal | None,
    qualifiers: tuple[str, str] = (MEASURED, MEASURED),
) -> CheckOutcome:
    """A duplicate pair, judged by its relative percent difference RPD = |a - b| / mean x 100.

    The limit depends on the pair's mean as a multiple of the detection limit (RPD_TIERS, each tier
    including its lower bound): below 5 x DL the pair passes as not assessed; from 5 x DL 50 %,
    from 10 x DL 20 %, from 100 x DL 10 %. Without a detection limit the 10 % limit applies
    (RPD_LIMIT_WITHOUT_DL_PCT). A pair whose mean is not above zero passes as not assessed.

    Censored members (qualifier "<"; the value is its detection limit, or None): both censored
    passes as not assessed; one censored while the other reaches the lowest tier (5 x DL) fails,
    because the pair then disagrees by more than any tier allows, and otherwise passes as not
    assessed. The DL is `detection_limit`, or failing that the censored member's own; a censored
    member with neither cannot be placed and fails. Over-range or open-ended members fail (they
    need a diluted re-run), and a member not reported fails.

    The RPD is judged exactly (|a - b| x 100 <= limit x mean) and printed rounded up to two
    decimals, so a printed RPD is never below the one judged.
    """
    qa, qb = _qualifier(qualifiers[0]), _qualifier(qualifiers[1])
    dl = None if detection_limit is None else _positive(detection_limit, "detection_limit")
    if qa == BELOW_DL and a is None:
        a = dl
    if qb == BELOW_DL and b is None:
        b = dl
    figures = {"a": _text(a), "a_qualifier": qa, "b": _text(b), "b_qualifier": qb, "detection_limit": _text(dl)}

    def outcome(passed: bool, key: str, **more: Decimal | None) -> CheckOutcome:
        figures.update({name: _text(value) for name, value in more.items()})
        shown = {"a": f"{qa}{figures['a']}", "b": f"{qb}{figures['b']}"}
        return CheckOutcome(CheckKind.DUPLICATE_RPD, passed, figures, key, {**figures, **shown})

    members = ((a, qa), (b, qb))
    if any(qualifier == NOT_REPORTED or (value is None and qualifier != BELOW_DL) for value, qualifier in members):
        return outcome(False, DUPLICATE_INCOMPLETE)
    if any(qualifier in (ABOVE, OVER_RANGE) for _value, qualifier in members):
        return outcome(False, DUPLICATE_OVER_RANGE)
    if qa == BELOW_DL and qb == BELOW_DL:
        return outcome(True, DUPLICATE_BOTH_BELOW_DL)
    if BELOW_DL in (qa, qb):
        censored, other = (a, b) if qa == BELOW_DL else (b, a)
        other = finite_decimal(other, "duplicate")
        tier_dl = dl if dl is not None else censored
        if tier_dl is None:
            return outcome(False, DUPLICATE_UNSTATED_DL)
        threshold = _LOWEST_TIER * finite_decimal(tier_dl, "detection limit")
        if other >= threshold:
            return outcome(False, DUPLICATE_ONE_BELOW_DL, threshold=threshold)
        return outcome(True, DUPLICATE_NEAR_DL, threshold=threshold)

    a, b = finite_decimal(a, "a"), finite_decimal(b, "b")
    mean = (a + b) / 2
    limit: Decimal | None
    if dl is None:
        limit = RPD_LIMIT_WITHOUT_DL_PCT
    else:
        limit = next((limit for multiple, limit in RPD_TIERS if mean >= multiple * dl), None)
        if limit is None:
            return outcome(True, DUPLICATE_MEAN_NEAR_DL, mean=mean)
    if mean <= 0:
        return outcome(True, DUPLICATE_NO_MEAN, mean=mean)
    difference = abs(a - b)
    rpd = (difference * 100 / mean).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    if difference * 100 <= limit * mean:
        return outcome(True, DUPLICATE_WITHIN, mean=mean, rpd_pct=rpd, limit_pct=limit)
    return outcome(False, DUPLICATE_ABOVE, mean=mean, rpd_pct=rpd, limit_pct=limit)


def ccv_recovery(
    measured: Decimal | None,
    *,
    nominal: Decimal | None,
    tolerance_pct: Decimal = Decimal(10),
    qualifier: str = MEASURED,
) -> CheckOutcome:
    """A continuing (or initial) calibration verification: passes within nominal ± tolerance_pct %.

    The limits are nominal x (100 ± tolerance) / 100, exact and inclusive, and are what is compared;
    the recovery figure is for reading. A CCV not measured (None or any qualifier) fails: the
    calibration was not shown to hold. A CCV whose nominal concentration is unknown fails too, with
    a message saying so, rather than being skipped.
    """
    qualifier = _qualifier(qualifier)
    tolerance = _non_negative(tolerance_pct, "tolerance_pct")
    if tolerance >= 100:
        raise QCError(_("A CCV tolerance must be below 100 %%, not %(value)s %%.") % {"value": _text(tolerance)})
    if nominal is None:
        figures = {"measured": _text(measured), "qualifier": qualifier, "limit_pct": _text(tolerance)}
        return CheckOutcome(CheckKind.CCV_RECOVERY, False, figures, CCV_NO_NOMINAL, dict(figures))
    nominal = _positive(nominal, "nominal")
    low = _trimmed((nominal * (100 - tolerance)).scaleb(-2), _decimals(nominal))
    high = _trimmed((nominal * (100 + tolerance)).scaleb(-2), _decimals(nominal))
    figures = {
        "measured": _text(measured),
        "qualifier": qualifier,
        "expected": _text(nominal),
        "low": _text(low),
        "high": _text(high),
        "limit_pct": _text(tolerance),
    }
    if measured is None or qualifier != MEASURED:
        return CheckOutcome(CheckKind.CCV_RECOVERY, False, figures, CCV_NOT_MEASURED, dict(figures))
    measured = finite_decimal(measured, "measured")
    figures["recovery_pct"] = _text(_percent(measured, nominal))
    passed = low <= measured <= high
    return CheckOutcome(CheckKind.CCV_RECOVERY, passed, figures, CCV_WITHIN if passed else CCV_OUTSIDE, dict(figures))


# A nominal concentration written in a check standard's name: "CCV 10 ppb", "ICV-2,5ug/L", "CCV 1 ppm".
_NOMINAL_IN_NAME = re.compile(
    r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(ppt|ppb|ppm|[nuµμm]g\s*/\s*l)(?![\w/])",
    re.IGNORECASE,
)


def nominal_from_name(name: str, unit: str) -> Decimal | None:
    """The nominal concentration a check standard's name states, in the reading's `unit`, or None.

    Only a number followed by a solution unit counts ("CCV 10 ppb"): a bare number ("CCV 2") is
    more often a sequence number than a concentration. A decimal comma is read as a decimal point
    (French-locale exports). Names in instrument files are solution concentrations, so ppb is ug/L
    (see assays.units). If the reading's unit is not a solution unit, or the name states two
    different concentrations, None is returned and the run's CCV nominal applies instead.
    """
    found = {
        units.convert_solution(Decimal(number.replace(",", ".")), stated, unit)
        for number, stated in _NOMINAL_IN_NAME.findall(name or "")
        if units.is_solution_unit(unit)
    }
    return found.pop() if len(found) == 1 else None


# Every nominal in a check standard's name, numbers before a slash sharing the unit written after the last one:
# "CCV 20 ppb / 1000 ppb", "CCV 20/1000 ppb". A unit followed by a slash and a word ("ppm/kg") is not a
# concentration in a solution.
_NOMINALS_IN_NAME = re.compile(
    r"(?<![\d.,])((?:\d+(?:[.,]\d+)?\s*/\s*)*)(\d+(?:[.,]\d+)?)\s*(ppt|ppb|ppm|[nuµμm]g\s*/\s*l)"
    r"(?!\w|\s*/\s*[^\d\s])",
    re.IGNORECASE,
)


def nominals_from_name(name: str, unit: str) -> list[Decimal]:
    """Every nominal concentration a check standard's name states, in the reading's `unit`, lowest first.

    A two-level check standard holds trace elements at one level and majors at the other:
    "CCV 20 ppb / 1000 ppb" is [20, 1000] in ppb, [0.02, 1] in ppm. Numbers joined by slashes share the
    unit after the last ("CCV 20/1000 ppb"); a concentration stated twice in other units counts once. As for
    nominal_from_name: only numbers with a solution unit count, a decimal comma is a decimal point, and a
    reading in a unit that is not a solution unit gets none (an empty list), so the run's nominal applies.
    Which level a reading is checked against is for the caller to decide (the method's level per analyte).
    """
    if not units.is_solution_unit(unit):
        return []
    found: set[Decimal] = set()
    for shared, last, stated in _NOMINALS_IN_NAME.findall(name or ""):
        for number in [*filter(None, (part.strip() for part in shared.split("/"))), last]:
            found.add(units.convert_solution(Decimal(number.replace(",", ".")), stated, unit))
    return sorted(found)


def run_shortcomings(outcomes: Iterable) -> list[str]:
    """Why a run's QC does not pass, in words; empty when it passes.

    A run passes only when it has checks, every check passed, and at least one of them is a CRM or
    CCV check. No checks is no evidence. Blanks and duplicates alone do not show that the
    instrument reads true, and a certificate states contents, so trueness must be shown in the run.
    Takes CheckOutcomes or anything with the same `kind`, `passed` and `message` (stored QCChecks);
    a check's words are in the active language where it has them (`text`).
    """
    outcomes = list(outcomes)
    if not outcomes:
        return [_("The run has no QC checks: nothing shows its results can be trusted.")]
    problems = [getattr(outcome, "text", outcome.message) for outcome in outcomes if not outcome.passed]
    if not any(outcome.kind in TRUENESS_KINDS for outcome in outcomes):
        problems.append(_("The run has no CRM or CCV check: nothing shows the instrument reads true."))
    return problems


def run_verdict(outcomes: Iterable) -> bool:
    """True when the run's QC passes (see run_shortcomings for the rule and the reasons)."""
    return not run_shortcomings(outcomes)
