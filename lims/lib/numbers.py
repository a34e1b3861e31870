"""Decimals as text for people and for JSON: one definition of each way the product writes a number.

- `digits(value)`: the digits as they are, never in exponent form (`format(value, "f")`): 10.0 stays
  10.0, so a figure keeps the precision it was measured with. For QC figures and messages.
- `trimmed(value)`: without trailing zeros, never in exponent form: 10.0 is 10, 1E+2 is 100. For
  descriptions where the stored scale means nothing (a limit from the reference data, a dilution).
None is "" in both.

And the other way, `typed(text, thousand_separator=...)`: a number as a person types it in a language
that groups thousands so (the form fields of lims.forms), or AmbiguousNumber
or ValueError: never a number read otherwise than meant. A point or a comma before the decimals is
understood in every language (a Russian or Kazakh keyboard types a comma on the numeric pad); spaces
group thousands (5 120,5). What a language with a comma for thousands (English) could read both ways,
1,234, is refused, not guessed; so is a number with both separators unless it is that language's own
grouping (1,234.5 in English).
"""

import re
from decimal import Decimal, InvalidOperation


def digits(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def trimmed(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


# Thousands grouped by spaces: a plain, no-break or narrow no-break space between groups of three.
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \xa0\u202f]\d{3})+(?:[.,]\d*)?")
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_PLAIN = re.compile(r"[+-]?(?:\d+[.,]?\d*|[.,]\d+)")


class AmbiguousNumber(ValueError):
    """A number that reads two ways (`whole`, `decimal`) in the language it was typed in."""

    def __init__(self, text: str, whole: Decimal, decimal: Decimal):
        super().__init__(text)
        self.text, self.whole, self.decimal = text, whole, decimal


def typed(text: str, *, thousand_separator: str) -> Decimal:
    """The number `text` means, typed in a language that groups thousands with `thousand_separator`;
    ValueError when it is not a number, AmbiguousNumber when it reads two ways."""
    text = text.strip()
    if any(space in text for space in " \xa0\u202f"):
        if not _SPACE_GROUPED.fullmatch(text):
            raise ValueError(text)
        text = re.sub(r"[ \xa0\u202f]", "", text)
    elif "," in text and thousand_separator == "," and _COMMA_GROUPED.fullmatch(text):
        if "." in text or text.count(",") > 1:  # 1,234.5 or 1,234,567: this language's own grouping
            text = text.replace(",", "")
        else:  # 1,234: a thousand and more, or a decimal comma?
            raise AmbiguousNumber(text, Decimal(text.replace(",", "")), Decimal(text.replace(",", ".")))
    if not _PLAIN.fullmatch(text):
        raise ValueError(text)
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only numbers
        raise ValueError(text) from exc
