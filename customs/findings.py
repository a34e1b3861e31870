"""The words of the cross-checks' findings (customs/checks.py), by key.

Decision: a finding stores what it says as a key and its parameters (Finding.text_key and
text_params), and is put into words when read, with gettext in the reader's language, as
lims.notifications does: a declaration filed by a clerk working in Russian is reviewed by an
inspector working in Kazakh, and the exporter's manager may read English. The parameters are
numbers, codes, dates (ISO) and the names people gave (an organisation, a revocation reason); none is
text of the product. Finding.message keeps the text in English as well, written when the checks ran:
what the API returns and the admin searches, the same whoever filed. Findings stored before the keys
existed have no key and are shown by that message, in the language they were written in.

Valuation errors (customs/valuation.py) name their reason the same way, since the value check quotes
one in its finding. The valuation's working lines, stored in the value finding's figures, carry a
key of LINES and its parameters beside their English `description` the same way (`line_text`).
"""

from collections.abc import Callable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.models import Certificate
from lims.lib import worded

# Why a value cannot be computed (ValuationError.reason).
REASONS = {
    "no_price": gettext_lazy("there is no price of %(commodity)s in effect."),
    "currencies": gettext_lazy("the prices and charges are in several currencies (%(currencies)s)."),
    "no_rate": gettext_lazy("there is no exchange rate of %(currency)s per %(base)s in effect."),
}

# The lines of a valuation's working (customs.valuation.Line).
LINE_NOT_PAID = "not_paid"
LINE_PAYABLE = "payable"
LINE_FREE = "within_allowance"
LINE_PENALTY = "penalty"
LINE_TREATMENT = "treatment"
LINES = {
    LINE_NOT_PAID: gettext_lazy(
        "%(symbol)s %(content)s %(unit)s: below the minimum payable content of %(minimum)s %(unit)s, not paid"
    ),
    LINE_PAYABLE: gettext_lazy("%(symbol)s %(content)s %(unit)s: payable %(paid)s %(unit)s (%(rule)s) on %(mass)s dmt"),
    LINE_FREE: gettext_lazy("%(symbol)s %(content)s %(unit)s: within the free allowance of %(free)s %(unit)s"),
    LINE_PENALTY: gettext_lazy(
        "%(symbol)s penalty: %(content)s - %(free)s free = %(excess)s %(unit)s, at %(rate)s %(currency)s "
        "per %(step)s %(unit)s per dmt"
    ),
    LINE_TREATMENT: gettext_lazy("Treatment charge, %(rate)s %(currency)s per dmt"),
}
# The payable rule inside a payable line: the percentage, then what the term adds, in this order.
RULE = gettext_lazy("%(pct)s %% of content")
RULE_PARTS = {
    "deduction": gettext_lazy(", at least %(deduction)s %(unit)s deducted"),
    "minimum": gettext_lazy(", paid from %(minimum)s %(unit)s"),
}


def _rule(p: Mapping) -> str:
    """The payable rule of a payable line's parameters (`pct`, and `deduction` and `minimum` when the
    term has them), in the active language."""
    parameters = worded.Parameters(p)
    return str(RULE) % parameters + "".join(
        str(part) % parameters for name, part in RULE_PARTS.items() if p.get(name) not in (None, "")
    )


def line_text(line: Mapping) -> str:
    """A valuation line as stored in a value finding's figures, in the active language: from its key and
    parameters, else from its English description read back (findings from before the keys), else as
    stored."""
    key, params = line.get("text") or "", line.get("params")
    if not key:
        parsed = _parsed_line(line.get("description") or "")
        if parsed is None:
            return line.get("description") or ""
        key, params = parsed
    p = worded.Parameters(params or {})
    if key == LINE_PAYABLE:
        p["rule"] = _rule(p)
    return worded.word(LINES, key, p) or line.get("description") or ""


def _parsed_line(description: str) -> tuple[str, dict] | None:
    parsed = worded.parse(description, LINES)
    if parsed is None:
        return None
    key, params = parsed
    if key != LINE_PAYABLE:
        return key, params
    # The rule was written into the line whole: find which parts it has.
    rule = params.pop("rule", "")
    for names in ((), ("deduction",), ("minimum",), ("deduction", "minimum")):
        english = worded.msgid(RULE) + "".join(worded.msgid(RULE_PARTS[name]) for name in names)
        match = worded.pattern(english).fullmatch(rule)
        if match:
            return key, {**params, **match.groupdict()}
    return None


def valuation_worded(valuation: Mapping | None) -> dict | None:
    """A valuation as stored in a value finding's figures, each line with its `text` in the active
    language (for pages; the stored figures are not changed)."""
    if valuation is None:
        return None
    return {**valuation, "lines": [{**line, "text": line_text(line)} for line in valuation.get("lines") or []]}


# 1. Citations
NOT_IN_REGISTER = "not_in_register"
OTHER_EXPORTER = "other_exporter"
OTHER_LOT = "other_lot"
REVOKED = "revoked"
SUPERSEDED = "superseded"
NOT_ISSUED = "not_issued"
IN_FORCE = "in_force"
NO_CERTIFICATE = "no_certificate"
# 2. HS code
HS_AGREES = "hs_agrees"
HS_DIFFERS = "hs_differs"
# 3. Dry mass
NO_DRY_MASS = "no_dry_mass"
DRY_MASS_EXCEEDS = "dry_mass_exceeds"
DRY_MASS_WITHIN = "dry_mass_within"
# 4 and 5. Composition
BELOW_DETECTION = "below_detection"
CONTENT_AGREES = "content_agrees"
CONTENT_DIFFERS = "content_differs"
UNDECLARED = "undeclared"
UNDECLARED_OTHER = "undeclared_other"
ALL_DECLARED = "all_declared"
NOT_REPORTED = "not_reported"
# 6. Customs value
VALUE_UNCHECKED = "value_unchecked"
NOTHING_PAYABLE = "nothing_payable"
VALUE_TOO_LOW = "value_too_low"
VALUE_BELOW = "value_below"
VALUE_NOT_BELOW = "value_not_below"

TEXTS = {
    NOT_IN_REGISTER: gettext_lazy("Certificate %(number)s is not in the laboratory's register."),
    OTHER_EXPORTER: gettext_lazy("Certificate %(number)s was not issued to %(exporter)s."),
    OTHER_LOT: gettext_lazy("Certificate %(number)s is of lot %(lot)s, not of the declared lot %(declared)s."),
    REVOKED: gettext_lazy("Certificate %(number)s was revoked on %(date)s: %(reason)s"),
    SUPERSEDED: gettext_lazy("Certificate %(number)s was superseded by %(successor)s; cite the certificate in force."),
    NOT_ISSUED: gettext_lazy("Certificate %(number)s is not issued (%(status)s)."),
    IN_FORCE: gettext_lazy(
        "Certificate %(number)s, issued on %(date)s for sample %(sample)s of lot %(lot)s, is in force."
    ),
    NO_CERTIFICATE: gettext_lazy(
        "The declaration cites no certificate in force for lot %(lot)s; nothing it declares is proven."
    ),
    HS_AGREES: gettext_lazy(
        "HS code %(declared)s agrees with the certified %(certified)s in the first %(digits)s digits."
    ),
    HS_DIFFERS: gettext_lazy(
        "HS code %(declared)s differs from the certified %(certified)s in the first %(digits)s digits."
    ),
    NO_DRY_MASS: gettext_lazy(
        "Certificate %(number)s states no dry mass; the declared %(declared)s t cannot be checked."
    ),
    DRY_MASS_EXCEEDS: gettext_lazy(
        "The declared dry mass of %(declared)s t exceeds the certified %(certified)s t by %(excess)s t."
    ),
    DRY_MASS_WITHIN: gettext_lazy("The declared dry mass of %(declared)s t is within the certified %(certified)s t."),
    BELOW_DETECTION: gettext_lazy(
        "%(symbol)s: the certificate reports it below detection (%(limit)s %(unit)s); declared %(declared)s %(declared_unit)s."
    ),
    CONTENT_AGREES: gettext_lazy(
        "%(symbol)s: declared %(declared)s %(unit)s, certified %(certified)s %(unit)s, %(difference)s %% apart "
        "(within %(tolerance)s %%)."
    ),
    CONTENT_DIFFERS: gettext_lazy(
        "%(symbol)s: declared %(declared)s %(unit)s, certified %(certified)s %(unit)s, %(difference)s %% apart: "
        "more than the %(tolerance)s %% allowed."
    ),
    UNDECLARED: gettext_lazy(
        "Not declared, though certificate %(number)s reports them above their reporting limits: %(list)s."
    ),
    UNDECLARED_OTHER: gettext_lazy(
        "Other elements certificate %(number)s reports above their reporting limits, not declared: %(list)s."
    ),
    ALL_DECLARED: gettext_lazy("Every element certificate %(number)s reports above its reporting limit is declared."),
    NOT_REPORTED: gettext_lazy("%(symbol)s is declared but certificate %(number)s does not report it: not compared."),
    VALUE_UNCHECKED: gettext_lazy("The customs value cannot be checked on %(date)s: %(reason)s"),
    NOTHING_PAYABLE: gettext_lazy("Certificate %(number)s shows nothing payable; the declared value is not compared."),
    VALUE_TOO_LOW: gettext_lazy(
        "The declared value of %(declared)s %(currency)s is %(shortfall)s %% below the payable value of "
        "%(payable)s %(currency)s computed from the certificate: more than the %(tolerance)s %% allowed."
    ),
    VALUE_BELOW: gettext_lazy(
        "The declared value of %(declared)s %(currency)s is %(shortfall)s %% below the payable value of "
        "%(payable)s %(currency)s (within %(tolerance)s %%)."
    ),
    VALUE_NOT_BELOW: gettext_lazy(
        "The declared value of %(declared)s %(currency)s is not below the payable value of %(payable)s %(currency)s."
    ),
}


class _Parameters(dict):
    """A finding's parameters; one missing (a row written by another version) reads as "?" rather
    than breaking the page."""

    def __missing__(self, key):
        return "?"


def _status(p: _Parameters) -> None:
    # Stored as the status code, named in the reader's language.
    status = p.get("status", "")
    p["status"] = str(Certificate.Status(status).label).lower() if status in Certificate.Status.values else status


def _successor(p: _Parameters) -> None:
    p["successor"] = p.get("successor") or _("an amendment")


def _reason(p: _Parameters) -> None:
    reason = REASONS.get(p.get("reason", ""))
    p["reason"] = reason % _Parameters(p.get("reason_params") or {}) if reason is not None else "?"


# What some keys' parameters need before they are put into words.
PREPARE: dict[str, Callable[[_Parameters], None]] = {
    NOT_ISSUED: _status,
    SUPERSEDED: _successor,
    VALUE_UNCHECKED: _reason,
}


def render(key: str, params: Mapping | None) -> str | None:
    """The text of finding `key` with `params`, in the active language; None for a key this version
    does not know (the caller shows the stored message)."""
    text = TEXTS.get(key)
    if text is None:
        return None
    p = _Parameters(params or {})
    prepare = PREPARE.get(key)
    if prepare is not None:
        prepare(p)
    message = text % p
    if key == UNDECLARED and p.get("rare"):
        message += " " + _("Rare-earth elements among them: %(rare)s.") % p
    return message
