"""What a value must be to be possible, and what makes it doubtful enough that a reviewer must
confirm it.

Impossible (refused with the reason, next to the cell where there is one):
- a moisture outside 0-100 %;
- a content above 100 % of the sample;
- a sample whose reported contents (as received) and moisture add up to more than 100 %: the mass
  balance of what the sample is made of. Censored results count as nothing, so the check never
  refuses a sample for its detection limits.

Doubtful (kept, flagged on the result; approving it needs the reviewer's confirmation):
- a negative reading or an exact zero reported by the instrument (`negative`, `zero`);
- a reading outside the method's calibrated range for the analyte (`outside_range`): the solution
  as measured, that is the value divided by the row's dilution, against the range the method
  states in its own unit;
- a detection limit the instrument printed as zero, replaced by the method's (`method_limit`);
- a reading the technician chose where the rule could not (`technician_choice`).
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays import units
from assays.models import MOISTURE
from lims.lib.numbers import trimmed

HUNDRED = Decimal(100)

FLAGS = {
    "negative": gettext_lazy("negative reading"),
    "zero": gettext_lazy("exact zero reported by the instrument"),
    "outside_range": gettext_lazy("outside the method's calibrated range"),
    "method_limit": gettext_lazy("detection limit printed as zero; the method's limit is used"),
    "technician_choice": gettext_lazy("reading chosen by the technician"),
}


def _percent(value: Decimal, unit: str) -> Decimal | None:
    try:
        return units.convert(value, unit, "%")
    except units.UnitError:
        return None


def content_problem(symbol: str, value: Decimal | None, unit: str) -> str:
    """Why a content (or moisture) cannot be true, or ""."""
    if value is None:
        return ""
    percent = _percent(value, unit)
    if percent is None:
        return ""
    if symbol == MOISTURE and not 0 <= percent < HUNDRED:
        return _("moisture %(value)s %% is not between 0 and 100 %%.") % {"value": trimmed(percent)}
    if percent > HUNDRED:
        return _("%(symbol)s %(value)s %(unit)s is more than the whole sample (100 %%).") % {
            "symbol": symbol,
            "value": trimmed(value),
            "unit": unit,
        }
    return ""


def mass_balance_problem(contents: list[tuple[str, Decimal | None, str]]) -> str:
    """Why a sample's contents [(symbol, value as received, unit)] cannot all be true, or ""."""
    total = Decimal(0)
    for _symbol, value, unit in contents:
        if value is None or value <= 0:
            continue
        percent = _percent(value, unit)
        if percent is not None:
            total += percent
    if total > HUNDRED:
        return _(
            "its contents and moisture add up to %(total)s %%, more than the whole sample; check the units, the "
            "dilutions and the preparation figures."
        ) % {"total": f"{total.quantize(Decimal('0.01'))}"}
    return ""


def reading_flags(
    *,
    value: Decimal | None,
    qualifier: str,
    unit: str,
    basis: str,
    dilution: Decimal | None,
    note: str,
    range_low: Decimal | None,
    range_high: Decimal | None,
    range_unit: str,
    technician_choice: bool,
) -> list[str]:
    flags = []
    if value is not None and qualifier == "":
        if value < 0:
            flags.append("negative")
        elif value == 0:
            flags.append("zero")
        if basis == "solution" and (range_low is not None or range_high is not None):
            measured = value / (dilution or 1)
            try:
                low = units.convert_solution(range_low, range_unit, unit) if range_low is not None else None
                high = units.convert_solution(range_high, range_unit, unit) if range_high is not None else None
            except units.UnitError:
                low = high = None
            if (low is not None and measured < low) or (high is not None and measured > high):
                flags.append("outside_range")
    if qualifier == "<" and note and "<0" in note:
        flags.append("method_limit")
    if technician_choice:
        flags.append("technician_choice")
    return flags


def describe(flags: list[str]) -> str:
    return "; ".join(str(FLAGS.get(flag, flag)) for flag in flags)
