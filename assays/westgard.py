"""The Westgard rules, judged on a series of control results against fixed limits, as pure functions.

A control series is the results of one reference material (or blank) for one analyte by one method,
oldest first. Each is compared with the mean and standard deviation (s) of a baseline period the
laboratory fixed beforehand (a ControlBaseline), never with statistics of the
points being judged: limits that move with the data hide the drift they are meant to show.

The rules, each judged at every point i (the newest of the points it looks at), with
z(i) = (x(i) - mean) / s:

- 1-3s: the point lies beyond mean ± 3s: |z(i)| > 3. One point is enough (random error or a
  blunder); by chance about 3 results in 1000 do it.
- 2-2s: this point and the one before both lie beyond 2s on the same side: z(i-1) > 2 and z(i) > 2,
  or z(i-1) < -2 and z(i) < -2 (systematic error).
- R-4s: the range of this point and the one before exceeds 4s: |x(i) - x(i-1)| > 4s (random error;
  two results that far apart cannot both be right).
- 4-1s: this point and the three before lie beyond 1s on the same side: z > 1 for all four, or
  z < -1 for all four (systematic error, a small shift).
- 10-x: this point and the nine before lie on the same side of the mean: z > 0 for all ten, or
  z < 0 for all ten (systematic error, a drift or a new lot of reagent). A point exactly on the
  mean belongs to neither side and ends the run.

"Beyond" is strict throughout: a point exactly on a limit does not break it, as a point on the
limit is the last one the rule accepts. A rule that needs earlier points than the series has
(the first point has no "one before") is not judged there, rather than judged against a guess.
Arithmetic is Decimal and exact: z is never rounded before it is compared.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from assays.units import finite_decimal


class Rule(StrEnum):
    """The rules, by the names laboratories use for them."""

    R_1_3S = "1-3s"
    R_2_2S = "2-2s"
    R_R_4S = "R-4s"
    R_4_1S = "4-1s"
    R_10_X = "10-x"


# How many points, the judged one included, each rule looks at.
SPAN = {Rule.R_1_3S: 1, Rule.R_2_2S: 2, Rule.R_R_4S: 2, Rule.R_4_1S: 4, Rule.R_10_X: 10}


@dataclass(frozen=True)
class Violation:
    """A rule broken at the point `index`: `first` is the index of the oldest point the rule looked
    at (index - SPAN + 1); `side` is +1 above the mean, -1 below, 0 for R-4s (a range has no side)."""

    rule: Rule
    index: int
    first: int
    side: int


def _same_side(zs: Sequence[Decimal], beyond: int) -> int:
    """+1 when every z is above `beyond`, -1 when every z is below -`beyond`, else 0."""
    if all(z > beyond for z in zs):
        return 1
    if all(z < -beyond for z in zs):
        return -1
    return 0


def evaluate(values: Sequence[Decimal], *, mean: Decimal, sd: Decimal) -> list[list[Violation]]:
    """For each value (oldest first), the rules broken at it, in the order of Rule.

    `mean` and `sd` are the baseline's; `sd` must be above zero (a baseline without spread cannot
    say how far is too far, so it is refused rather than judged with).
    """
    mean = finite_decimal(mean, "mean")
    sd = finite_decimal(sd, "sd")
    if sd <= 0:
        raise ValueError(f"a standard deviation must be above zero to judge the Westgard rules, not {sd}")
    xs = [finite_decimal(value, "value") for value in values]
    zs = [(x - mean) / sd for x in xs]
    flags: list[list[Violation]] = []
    for i, z in enumerate(zs):
        found = []
        if abs(z) > 3:
            found.append(Violation(Rule.R_1_3S, i, i, 1 if z > 0 else -1))
        if i >= 1:
            side = _same_side(zs[i - 1 : i + 1], 2)
            if side:
                found.append(Violation(Rule.R_2_2S, i, i - 1, side))
            if abs(xs[i] - xs[i - 1]) > 4 * sd:
                found.append(Violation(Rule.R_R_4S, i, i - 1, 0))
        if i >= 3:
            side = _same_side(zs[i - 3 : i + 1], 1)
            if side:
                found.append(Violation(Rule.R_4_1S, i, i - 3, side))
        if i >= 9:
            side = _same_side(zs[i - 9 : i + 1], 0)
            if side:
                found.append(Violation(Rule.R_10_X, i, i - 9, side))
        flags.append(found)
    return flags
