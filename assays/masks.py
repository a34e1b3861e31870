"""How a QC mask lays out a batch: pure, no database (assays.batch_models.QCMask holds the rules).

The rules apply in four steps, each rule in its mask's order within a step:

1. `start`: the item once, before the first sample (a calibration blank).
2. The samples in the order given. `per_samples` N: the samples fall into groups of N (the last group may
   be shorter); after the last sample of each group, the item once. With several such rules after the
   same sample, they follow in the mask's order. A duplicate repeats the group's last sample, the sample
   right before it when it is the first rule of the group (so "duplicate 1 per 20 of the sample before
   it" is a duplicate rule placed first). 45 samples and N = 20 make three groups: 1-20, 21-40, 41-45.
3. `every_positions` N: walking the sequence built so far, the item after every N positions since the
   last one of its kind (the start's items count): a CCV every 10 positions is the 11th, 22nd, 33rd...
4. `end`: the item once at the end, unless the sequence already ends with one (a periodic CCV that
   falls on the last position is the closing CCV too).

Nothing is guessed from the samples: a mask with no rule gives the samples alone, and a per-samples rule
never adds an item to an empty batch (the service refuses an empty batch first).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class Rule(NamedTuple):
    kind: str
    placement: str
    interval: int | None = None


SAMPLE = "sample"
DUPLICATE = "duplicate"


@dataclass(eq=False)
class Slot:
    """One position before it is numbered: a sample (its index in the batch's samples), a duplicate
    (of `original`, a sample's slot) or a QC item."""

    kind: str
    sample: int | None = None
    original: "Slot | None" = field(default=None, repr=False)


def expand(rules: Sequence[Rule], count: int) -> list[Slot]:
    """The positions of a batch of `count` samples under `rules` (see the module docstring)."""
    by = {placement: [r for r in rules if r.placement == placement] for placement in _PLACEMENTS}
    slots = [Slot(rule.kind) for rule in by["start"]]
    for index in range(count):
        sample = Slot(SAMPLE, sample=index)
        slots.append(sample)
        for rule in by["per_samples"]:
            interval = _interval(rule)
            if (index + 1) % interval == 0 or index + 1 == count:
                if rule.kind == DUPLICATE:
                    slots.append(Slot(DUPLICATE, sample=index, original=sample))
                else:
                    slots.append(Slot(rule.kind))
    for rule in by["every_positions"]:
        slots = _every(slots, rule.kind, _interval(rule))
    for rule in by["end"]:
        if not slots or slots[-1].kind != rule.kind:
            slots.append(Slot(rule.kind))
    return slots


_PLACEMENTS = ("start", "per_samples", "every_positions", "end")


def _interval(rule: Rule) -> int:
    if not rule.interval or rule.interval < 1:  # the model's constraint refuses such a rule
        raise ValueError(f"{rule.placement} rule of {rule.kind} has no N")
    return rule.interval


def _every(slots: list[Slot], kind: str, interval: int) -> list[Slot]:
    placed: list[Slot] = []
    since = 0
    for slot in slots:
        if slot.kind == kind:
            since = 0
        placed.append(slot)
        if slot.kind != kind:
            since += 1
        if since == interval:
            placed.append(Slot(kind))
            since = 0
    return placed


def describe(slots: Sequence[Slot]) -> list[str]:
    """A compact text of a layout, for tests and the worksheet's summary: S1, DUP(S20), crm, ..."""
    numbers = {id(slot): position for position, slot in enumerate(slots, 1)}
    shown = []
    for slot in slots:
        if slot.kind == SAMPLE:
            shown.append(f"S{slot.sample + 1 if slot.sample is not None else '?'}")
        elif slot.kind == DUPLICATE and slot.original is not None:
            shown.append(f"DUP({numbers[id(slot.original)]})")
        else:
            shown.append(slot.kind)
    return shown
