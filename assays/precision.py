"""How many digits a result is shown with: one rule for every page, the API's display fields and the
certificate. Stored values keep their full precision; only what a person reads is rounded.

- With a stated expanded uncertainty (GUM, ISO/IEC Guide 98-3, 7.2.6): the uncertainty to two
  significant digits, the value to the same decimal place: 24.9372 ± 0.1311 -> 24.94 ± 0.13,
  128.4021 ± 12.84 -> 128 ± 13, 1.23456 ± 0.01234 -> 1.235 ± 0.012.
- Without one (or with an uncertainty of zero, which supports no precision): the reporting decimals of
  the panel entry (PanelEntry.decimals, the laboratory's reference data for the analyte and material),
  or, where no panel entry names the result, the unit's default in UNIT_DECIMALS.
- A value below the detection limit keeps its `<DL` form; the limit is shown with one decimal more
  than the reporting decimals and rounded up, never down, so `< x` stays true of the stored limit
  (<0.0544 is not shown as <0.054); a limit too small for those places keeps two significant digits.
- Over range (OR) and not reported (NA) are shown as their qualifier.

Values are rounded half to even (assays.units.round_to, the laboratory's rule); the uncertainty is
rounded half up at its third significant digit, so an exact tie is never understated (GUM 7.2.6 allows
rounding up). Numbers are written without exponent: 1.28E+4 is 12800.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from assays.choices import Qualifier
from assays.units import round_to

# Reporting decimals where no panel entry states them (a result whose panel entry was removed).
UNIT_DECIMALS = {"%": 3, "g/t": 2, "ppm": 1, "ppb": 0}
FALLBACK_DECIMALS = 2


def unit_decimals(unit: str) -> int:
    return UNIT_DECIMALS.get(unit, FALLBACK_DECIMALS)


def _text(value: Decimal) -> str:
    return format(value, "f")


def uncertainty_places(uncertainty: Decimal) -> tuple[Decimal, int]:
    """The uncertainty rounded to two significant digits, and the number of decimal places of its
    last digit (negative for tens, hundreds...): 0.01234 -> (0.012, 3), 12.84 -> (13, 0),
    0.0996 -> (0.10, 2)."""
    magnitude = abs(uncertainty)
    places = 1 - magnitude.adjusted()
    rounded = magnitude.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.adjusted() > magnitude.adjusted():  # 0.0996 -> 0.100: the digits moved up one place
        places -= 1
        rounded = rounded.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded, places


def _limit(limit: Decimal, decimals: int) -> str:
    places = decimals + 1
    if limit > 0 and limit.adjusted() < -places:  # all of its digits lie beyond those places
        places = 1 - limit.adjusted()
    return _text(limit.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING))


@dataclass(frozen=True)
class Shown:
    """A result's figures as they are printed: `value` with its qualifier (`1.235`, `<0.050`, `OR`,
    `…` while the dry basis waits for the moisture), `uncertainty` without the ± ("" when none)."""

    value: str
    uncertainty: str

    def __str__(self) -> str:
        return f"{self.value} ± {self.uncertainty}" if self.uncertainty else self.value


PENDING = "…"


def figures(value: Decimal | None, uncertainty: Decimal | None, decimals: int) -> tuple[str | None, str | None]:
    """(value, uncertainty) as text, without qualifier, rounded by the rule above; None where absent.
    The certificate's snapshot stores these."""
    if uncertainty is not None and uncertainty != 0:
        rounded, places = uncertainty_places(uncertainty)
        return (_text(round_to(value, places)) if value is not None else None), _text(rounded)
    return (
        _text(round_to(value, decimals)) if value is not None else None,
        _text(round_to(uncertainty, decimals)) if uncertainty is not None else None,
    )


def limit_text(limit: Decimal, decimals: int) -> str:
    """A detection limit as text, rounded up (see the module's docstring)."""
    return _limit(limit, decimals)


def shown(
    *,
    qualifier: str,
    value: Decimal | None,
    detection_limit: Decimal | None,
    uncertainty: Decimal | None,
    decimals: int,
) -> Shown:
    """The figures of one result on one basis, rounded for reading (see the module's docstring)."""
    if qualifier in (Qualifier.OVER_RANGE, Qualifier.NOT_REPORTED):
        return Shown(str(qualifier), "")
    if qualifier == Qualifier.BELOW_DL:
        return Shown(f"<{_limit(detection_limit, decimals)}" if detection_limit is not None else PENDING, "")
    if value is None:
        return Shown(PENDING, "")
    value_text, uncertainty_text = figures(value, uncertainty, decimals)
    return Shown(f"{qualifier}{value_text}", uncertainty_text or "")
