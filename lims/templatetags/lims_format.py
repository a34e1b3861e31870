"""Template filters that format figures for people, in the language of the page.

    {% load lims_format %}
    {{ declaration.value|money }}   1,234,567.50 in English; 1 234 567,50 in Russian (no-break space)
    {{ lot.wet_mass_t|quantity }}   5,120.500 in English; 5 120,500 in Russian and Kazakh

A figure printed plainly ({{ value }}) follows the language too (22,50 in Russian) but is not grouped:
settings.USE_THOUSAND_SEPARATOR stays off, so that codes, counts and ids are never split; these
filters group the figures that run into thousands (masses in tonnes, money).

Money is Decimal all the way: a value given as text (the figures a finding stores) is read as a Decimal,
never through float, and rounded half up to the cent before Django's locale-aware number formatting.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    """`value` as a finite Decimal, read from its text (a float's shortest text, not its binary
    expansion); None when it is no number."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


@register.filter
def money(value) -> str:
    """An amount with two decimals and thousands grouped, as the active language writes them. Empty
    for None or ""; anything that is not a number is shown as it is."""
    if value is None or value == "":
        return ""
    amount = _decimal(value)
    if amount is None:
        return str(value)
    return number_format(amount.quantize(CENT, rounding=ROUND_HALF_UP), decimal_pos=2, force_grouping=True)


@register.filter
def quantity(value) -> str:
    """A measured figure with thousands grouped and the decimals it was stated with (5120.500 t stays
    three decimals), as the active language writes them. Empty for None or ""; anything that is not a
    number is shown as it is."""
    if value is None or value == "":
        return ""
    amount = _decimal(value)
    if amount is None:
        return str(value)
    return number_format(amount, force_grouping=True)
