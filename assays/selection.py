"""Which reading of a run becomes a sample's result, per sample and analyte, and why.

A batch often measures one sample several times: at several dilutions (MassHunter's `Total Dil.` 2, 10, 100,
1000), on several isotopes or tunes, and again when a reading was doubtful (a re-assay). The rule, applied to the
rows of SAMPLE type that are neither rejected by the instrument nor marked do-not-use:

1. Within one measurement (one row of the file), the first column of the analyte that holds a value is the
   measurement's reading: labs put the preferred isotope or tune first, and an empty cell never stands for a
   value. When no column of the row holds a value, the first column stands for the row.
2. Each reading is *in range* when it is a measured number (no qualifier) and, where the method states a
   calibrated range for the analyte, the solution as measured (the value divided by the row's dilution, since the
   instrument already applied it) lies inside it. It is *over* when the instrument says OR or `>`, or the solution
   lies above the range; *below* when it is censored (`<`) or the solution lies below the range; *empty* when the
   cell holds nothing (NA). An empty reading never replaces anything.
3. Readings at the same dilution are one level of the series. Two measurements at the same dilution are a
   re-assay: the later one that is in range replaces the earlier (the re-assay was made because the first was
   doubtful); a later one that is not in range leaves an earlier one that is.
4. The result is the level with the lowest dilution whose reading is in range: a higher dilution serves the
   analytes a lower one saturates. Lower levels must all be over (saturated); a lower level that is below the
   limit while a higher one measures a value cannot both be true, so the technician decides.
5. When no level is in range: if every level is below the limit, the lowest dilution's censored reading is the
   result (its limit is the lowest); if every level is over, the highest dilution's reading (the run reports the
   analyte over range: dilute further); a mix of over and below cannot both be true: the technician decides.
   When every reading is empty the latest is the result, which reports the analyte as not measured.

The outcome of each reading is a short text stored with it (`Reading.choice`), beginning with one of the codes
below, so the preview shows why, and `UNDECIDED` marks the readings of a sample and analyte that wait for the
technician's choice (assays.services.run_choose_reading).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from lims.lib.numbers import trimmed

CHOSEN = "chosen"
NOT_CHOSEN = "not chosen"
UNDECIDED = "undecided"
TECHNICIAN = "technician"


@dataclass(frozen=True, slots=True)
class Range:
    """A method's calibrated range for an analyte, in `unit` (a solution unit), either end optional."""

    low: Decimal | None
    high: Decimal | None
    unit: str


@dataclass(slots=True)
class Candidate:
    """What the rule needs of one reading; `key` is the caller's handle for it (an index or a primary key)."""

    key: object
    sample: str  # the sample's name, compared without case
    analyte: str
    measurement: tuple  # sortable, in file order: readings of one instrument measurement share it
    column: int  # the column's position among the analyte's columns, 0 first
    row: int  # the row of the file, for messages
    value: Decimal | None
    qualifier: str  # "", "<", ">", "OR", "NA"
    dilution: Decimal | None
    unit: str
    basis: str


# Outcomes of one reading.
_IN, _OVER, _BELOW, _EMPTY = "in range", "over", "below", "empty"


def outcome(candidate: Candidate, ranges: Mapping[str, Range], convert: Callable) -> str:
    if candidate.qualifier == "NA" or (candidate.qualifier == "" and candidate.value is None):
        return _EMPTY
    if candidate.qualifier in ("OR", ">"):
        return _OVER
    if candidate.qualifier == "<":
        return _BELOW
    limits = ranges.get(candidate.analyte)
    if limits is None or candidate.basis != "solution":
        return _IN
    if candidate.value is None:  # only "", "<", ">", "OR" and "NA" are known, and each is handled above
        raise TypeError(f"row {candidate.row}: qualifier {candidate.qualifier!r} without a value cannot be compared")
    measured = candidate.value / (candidate.dilution or 1)
    try:
        low = convert(limits.low, limits.unit, candidate.unit) if limits.low is not None else None
        high = convert(limits.high, limits.unit, candidate.unit) if limits.high is not None else None
    except ValueError:
        return _IN
    if high is not None and measured > high:
        return _OVER
    if low is not None and measured < low:
        return _BELOW
    return _IN


def choose(
    candidates: Iterable[Candidate], *, ranges: Mapping[str, Range] | None = None, convert: Callable | None = None
) -> tuple[dict[object, str], dict[object, bool]]:
    """({key: why}, {key: chosen}) for every candidate. `convert(value, from_unit, to_unit)` converts between
    solution units for the range check (assays.units.convert_solution)."""
    ranges = ranges or {}
    convert = convert or (lambda value, from_unit, to_unit: value)
    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.sample.upper(), candidate.analyte].append(candidate)
    why: dict[object, str] = {}
    chosen: dict[object, bool] = {}
    alone = Alone()
    for group in groups.values():
        if len(group) == 1:
            (candidate,) = group
            why[candidate.key] = alone.why(candidate.value, candidate.qualifier)
            chosen[candidate.key] = True
        else:
            _choose_group(group, ranges, convert, why, chosen)
    return why, chosen


class Alone:
    """The verdict on the only reading of a sample and analyte: it is the result whatever it says. Most
    groups of a batch are such, so the texts are translated once, not once a reading."""

    def __init__(self):
        self.only = f"{CHOSEN}: " + _("the only reading")
        self.not_measured = f"{CHOSEN}: " + _("not measured")

    def why(self, value: Decimal | None, qualifier: str) -> str:
        empty = qualifier == "NA" or (qualifier == "" and value is None)
        return self.not_measured if empty else self.only


def _choose_group(group: Sequence[Candidate], ranges, convert, why: dict, chosen: dict) -> None:
    outcomes = {id(candidate): outcome(candidate, ranges, convert) for candidate in group}
    # 1. One reading per measurement: the first column holding a value, else the first column.
    by_row: dict[tuple, list[Candidate]] = defaultdict(list)
    for candidate in group:
        by_row[candidate.measurement].append(candidate)
    measurements: list[Candidate] = []
    for row in sorted(by_row):
        columns = sorted(by_row[row], key=lambda candidate: candidate.column)
        first = next((each for each in columns if outcomes[id(each)] != _EMPTY), columns[0])
        measurements.append(first)
        for other in columns:
            if other is not first:
                why[other.key] = f"{NOT_CHOSEN}: " + _("another column of the same measurement is reported")
                chosen[other.key] = False
    # 3. Levels of the dilution series; within a level the latest in-range reading, else the latest non-empty one.
    levels: dict[Decimal, Candidate] = {}
    for candidate in measurements:  # in file order
        level = candidate.dilution or Decimal(1)
        held = levels.get(level)
        if held is None:
            levels[level] = candidate
            continue
        state, held_state = outcomes[id(candidate)], outcomes[id(held)]
        if state == _IN or (held_state != _IN and state != _EMPTY):
            levels[level] = candidate
    series = [levels[level] for level in sorted(levels)]
    states = [outcomes[id(candidate)] for candidate in series]
    picked, reason = _pick(series, states)
    for candidate in measurements:
        if picked is None:
            why[candidate.key] = f"{UNDECIDED}: " + reason
            chosen[candidate.key] = False
        elif candidate is picked:
            why[candidate.key] = f"{CHOSEN}: " + reason
            chosen[candidate.key] = True
        else:
            why[candidate.key] = f"{NOT_CHOSEN}: " + _explain(candidate, outcomes[id(candidate)], picked)
            chosen[candidate.key] = False


def _pick(series: list[Candidate], states: list[str]) -> tuple[Candidate | None, str]:
    """The reading that becomes the result and why; None with the reason when the technician must choose."""
    if len(series) == 1:
        return series[0], _("the only reading") if states[0] != _EMPTY else _("not measured")
    if _IN in states:
        first = states.index(_IN)
        if _BELOW in states[:first]:
            return None, _(
                "below the limit at ×%(low)s but measured at ×%(high)s: the dilutions disagree; choose the reading "
                "to report"
            ) % {"low": _dilution(series[states.index(_BELOW)]), "high": _dilution(series[first])}
        if first == 0:
            return series[0], _("lowest dilution (×%(dilution)s) in the calibrated range") % {
                "dilution": _dilution(series[0])
            }
        return series[first], _(
            "lowest dilution in the calibrated range (×%(dilution)s); lower dilutions are over range"
        ) % {"dilution": _dilution(series[first])}
    measured = [state for state in states if state != _EMPTY]
    if not measured:
        return series[-1], _("not measured at any dilution")
    if all(state == _BELOW for state in measured):
        lowest = next(candidate for candidate, state in zip(series, states, strict=True) if state == _BELOW)
        return lowest, _("below the limit at every dilution; the lowest dilution's limit is reported")
    if all(state == _OVER for state in measured):
        highest = [candidate for candidate, state in zip(series, states, strict=True) if state == _OVER][-1]
        return highest, _("over range at every dilution (×%(dilution)s the highest): dilute further") % {
            "dilution": _dilution(highest)
        }
    return None, _("over range at one dilution and below the limit at another; choose the reading to report")


def _explain(candidate: Candidate, state: str, picked: Candidate) -> str:
    same_level = (candidate.dilution or 1) == (picked.dilution or 1)
    if state == _EMPTY:
        return _("empty cell: never replaces a value")
    if same_level:
        return _("re-assayed at the same dilution (row %(row)s is reported)") % {"row": picked.row}
    if state == _OVER:
        return _("over the calibrated range at ×%(dilution)s") % {"dilution": _dilution(candidate)}
    if state == _BELOW:
        return _("below the limit at ×%(dilution)s") % {"dilution": _dilution(candidate)}
    return _("a lower dilution is in range (×%(dilution)s reported)") % {"dilution": _dilution(picked)}


def _dilution(candidate: Candidate) -> str:
    return trimmed(candidate.dilution or Decimal(1))


def is_undecided(choice: str) -> bool:
    return choice.startswith(UNDECIDED + ":")
