"""Decimals as text for people and for JSON: one definition of each way the product writes a number.

- `digits(value)`: the digits as they are, never in exponent form (`format(value, "f")`): 10.0 stays
  10.0, so a figure keeps the precision it was measured with. For QC figures and messages.
- `trimmed(value)`: without trailing zeros, never in exponent form: 10.0 is 10, 1E+2 is 100. For
  descriptions where the stored scale means nothing (a limit from the reference data, a dilution).
None is "" in both.
"""

from decimal import Decimal


def digits(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def trimmed(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"
