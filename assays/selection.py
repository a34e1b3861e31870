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

The outcome of each reading is a Why: one of the codes below and the key of its reason (REASONS) with the
reason's parameters. A reading stores all three (`choice_code` in `Reading.choice`'s first word, `choice_key`,
`choice_params`) and `Reading.choice` holds the whole in English ("chosen: the only reading"), as the API returns
it; pages put it into words in the reader's language (`Reading.choice_text`, lims.lib.worded). `UNDECIDED` marks
the readings of a sample and analyte that wait for the technician's choice (assays.services.run_choose_reading).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext_lazy, pgettext_lazy

from lims.lib import worded
from lims.lib.numbers import trimmed

CHOSEN = "chosen"
NOT_CHOSEN = "not chosen"
UNDECIDED = "undecided"
TECHNICIAN = "technician"
CODES = {
    CHOSEN: pgettext_lazy("reading", "chosen"),
    NOT_CHOSEN: pgettext_lazy("reading", "not chosen"),
    UNDECIDED: pgettext_lazy("reading", "undecided"),
}

# Why a reading was chosen or not, by key; the parameters are dilution factors and a row number.
ONLY = "only"
NOT_MEASURED = "not_measured"
OTHER_COLUMN = "other_column"
DILUTIONS_DISAGREE = "dilutions_disagree"
LOWEST_IN_RANGE = "lowest_in_range"
LOWEST_IN_RANGE_ABOVE_OVER = "lowest_in_range_above_over"
NOWHERE_MEASURED = "nowhere_measured"
BELOW_EVERYWHERE = "below_everywhere"
OVER_EVERYWHERE = "over_everywhere"
OVER_AND_BELOW = "over_and_below"
EMPTY_CELL = "empty_cell"
REASSAYED = "reassayed"
OVER_AT = "over_at"
BELOW_AT = "below_at"
LOWER_IN_RANGE = "lower_in_range"
EXCLUDED = "excluded"
REJECTED = "rejected"
REASONS = {
    ONLY: gettext_lazy("the only reading"),
    NOT_MEASURED: gettext_lazy("not measured"),
    OTHER_COLUMN: gettext_lazy("another column of the same measurement is reported"),
    DILUTIONS_DISAGREE: gettext_lazy(
        "below the limit at ×%(low)s but measured at ×%(high)s: the dilutions disagree; choose the reading to report"
    ),
    LOWEST_IN_RANGE: gettext_lazy("lowest dilution (×%(dilution)s) in the calibrated range"),
    LOWEST_IN_RANGE_ABOVE_OVER: gettext_lazy(
        "lowest dilution in the calibrated range (×%(dilution)s); lower dilutions are over range"
    ),
    NOWHERE_MEASURED: gettext_lazy("not measured at any dilution"),
    BELOW_EVERYWHERE: gettext_lazy("below the limit at every dilution; the lowest dilution's limit is reported"),
    OVER_EVERYWHERE: gettext_lazy("over range at every dilution (×%(dilution)s the highest): dilute further"),
    OVER_AND_BELOW: gettext_lazy(
        "over range at one dilution and below the limit at another; choose the reading to report"
    ),
    EMPTY_CELL: gettext_lazy("empty cell: never replaces a value"),
    REASSAYED: gettext_lazy("re-assayed at the same dilution (row %(row)s is reported)"),
    OVER_AT: gettext_lazy("over the calibrated range at ×%(dilution)s"),
    BELOW_AT: gettext_lazy("below the limit at ×%(dilution)s"),
    LOWER_IN_RANGE: gettext_lazy("a lower dilution is in range (×%(dilution)s reported)"),
    EXCLUDED: gettext_lazy("marked do not use"),
    REJECTED: gettext_lazy("rejected by the instrument"),
}


@dataclass(frozen=True, slots=True)
class Why:
    """The verdict on one reading: its code (CHOSEN, NOT_CHOSEN, UNDECIDED) and the key of its reason
    with the reason's parameters (name, value pairs: a Why is hashable, so its English is made once)."""

    code: str
    key: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, key: str, **params: object) -> "Why":
        return cls(code, key, tuple(sorted((name, str(value)) for name, value in params.items())))

    @property
    def english(self) -> str:
        """As Reading.choice stores it: "chosen: the only reading"."""
        return _english(self)

    @property
    def text(self) -> str:
        """In the active language."""
        return describe(self.code, self.key, dict(self.params)) or self.english


@lru_cache(maxsize=4096)
def _english(why: Why) -> str:
    return f"{why.code}: " + worded.in_english(lambda: worded.word(REASONS, why.key, dict(why.params)) or "")


def describe(code: str, key: str, params: dict | None) -> str | None:
    """A reading's verdict in the active language ("выбрано: единственное показание"), or None for a code
    or key this version does not know."""
    reason = worded.word(REASONS, key, params)
    name = CODES.get(code)
    if reason is None or name is None:
        return None
    return f"{name}: {reason}"


def choice_text(choice: str, key: str, params: dict | None) -> str:
    """A stored verdict (Reading.choice, choice_key, choice_params) in the active language: from its key,
    else from its English text read back (readings imported before the keys were stored), else as stored."""
    code, _separator, reason = choice.partition(": ")
    if not key:
        parsed = worded.parse(reason, REASONS)
        if parsed is None:
            return choice
        key, params = parsed
    return describe(code, key, params) or choice


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
) -> tuple[dict[object, Why], dict[object, bool]]:
    """({key: why}, {key: chosen}) for every candidate. `convert(value, from_unit, to_unit)` converts between
    solution units for the range check (assays.units.convert_solution)."""
    ranges = ranges or {}
    convert = convert or (lambda value, from_unit, to_unit: value)
    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.sample.upper(), candidate.analyte].append(candidate)
    why: dict[object, Why] = {}
    chosen: dict[object, bool] = {}
    for group in groups.values():
        if len(group) == 1:
            (candidate,) = group
            why[candidate.key] = alone(candidate.value, candidate.qualifier)
            chosen[candidate.key] = True
        else:
            _choose_group(group, ranges, convert, why, chosen)
    return why, chosen


_ONLY, _NOT_MEASURED = Why.of(CHOSEN, ONLY), Why.of(CHOSEN, NOT_MEASURED)


def alone(value: Decimal | None, qualifier: str) -> Why:
    """The verdict on the only reading of a sample and analyte: it is the result whatever it says."""
    empty = qualifier == "NA" or (qualifier == "" and value is None)
    return _NOT_MEASURED if empty else _ONLY


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
                why[other.key] = Why.of(NOT_CHOSEN, OTHER_COLUMN)
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
    picked, reason, params = _pick(series, states)
    for candidate in measurements:
        if picked is None:
            why[candidate.key] = Why.of(UNDECIDED, reason, **params)
            chosen[candidate.key] = False
        elif candidate is picked:
            why[candidate.key] = Why.of(CHOSEN, reason, **params)
            chosen[candidate.key] = True
        else:
            why[candidate.key] = _explain(candidate, outcomes[id(candidate)], picked)
            chosen[candidate.key] = False


def _pick(series: list[Candidate], states: list[str]) -> tuple[Candidate | None, str, dict[str, str]]:
    """The reading that becomes the result and why (a key of REASONS and its parameters); None with the
    reason when the technician must choose."""
    if len(series) == 1:
        return series[0], ONLY if states[0] != _EMPTY else NOT_MEASURED, {}
    if _IN in states:
        first = states.index(_IN)
        if _BELOW in states[:first]:
            low, high = _dilution(series[states.index(_BELOW)]), _dilution(series[first])
            return None, DILUTIONS_DISAGREE, {"low": low, "high": high}
        if first == 0:
            return series[0], LOWEST_IN_RANGE, {"dilution": _dilution(series[0])}
        return series[first], LOWEST_IN_RANGE_ABOVE_OVER, {"dilution": _dilution(series[first])}
    measured = [state for state in states if state != _EMPTY]
    if not measured:
        return series[-1], NOWHERE_MEASURED, {}
    if all(state == _BELOW for state in measured):
        lowest = next(candidate for candidate, state in zip(series, states, strict=True) if state == _BELOW)
        return lowest, BELOW_EVERYWHERE, {}
    if all(state == _OVER for state in measured):
        highest = [candidate for candidate, state in zip(series, states, strict=True) if state == _OVER][-1]
        return highest, OVER_EVERYWHERE, {"dilution": _dilution(highest)}
    return None, OVER_AND_BELOW, {}


def _explain(candidate: Candidate, state: str, picked: Candidate) -> Why:
    same_level = (candidate.dilution or 1) == (picked.dilution or 1)
    if state == _EMPTY:
        return Why.of(NOT_CHOSEN, EMPTY_CELL)
    if same_level:
        return Why.of(NOT_CHOSEN, REASSAYED, row=picked.row)
    if state == _OVER:
        return Why.of(NOT_CHOSEN, OVER_AT, dilution=_dilution(candidate))
    if state == _BELOW:
        return Why.of(NOT_CHOSEN, BELOW_AT, dilution=_dilution(candidate))
    return Why.of(NOT_CHOSEN, LOWER_IN_RANGE, dilution=_dilution(picked))


def _dilution(candidate: Candidate) -> str:
    return trimmed(candidate.dilution or Decimal(1))


def is_undecided(choice: "str | Why") -> bool:
    if isinstance(choice, Why):
        return choice.code == UNDECIDED
    return choice.startswith(UNDECIDED + ":")
