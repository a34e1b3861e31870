"""Template filters that format figures for people, in the language of the page.

    {% load lims_format %}
    {{ declaration.value|money }}   1,234,567.50 in English; 1 234 567,50 in Russian (no-break space)

Money is Decimal all the way: a value given as text (the figures a finding stores) is read as a Decimal,
never through float, and rounded half up to the cent before Django's locale-aware number formatting.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def money(value) -> str:
    """An amount with two decimals and thousands grouped, as the active language writes them. Empty
    for None or ""; anything that is not a number is shown as it is."""
    if value is None or value == "":
        return ""
    try:  # from its text: a float's shortest text, not its binary expansion
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    return number_format(amount.quantize(CENT, rounding=ROUND_HALF_UP), decimal_pos=2, force_grouping=True)
