"""Reads of batches (scoped by lims.permissions), and how a run's file matches the batch it measured.

Matching is by name: each row of the file names a position through its label (assays.batch_models.
BatchPosition.label; case, spaces, dots, hyphens and underscores do not count, as in the importers).
- a sample position no row of the file names (or only rows marked do not use) is *missing*;
- a QC position no row names is *skipped*;
- a row whose name is no position of the batch is *extra*; calibration standards are the instrument's
  own calibration, not positions of a batch, and are not listed.
A position measured twice (a dilution series, a re-assay) is one position measured: the selection rule
chooses between its readings (assays.selection).

Duplicates: when the run has a batch, the original of a duplicate row is the position the batch says
(`pair_duplicates`, applied before the readings are stored and the QC checked), never a guess from its name.
"""

from dataclasses import dataclass, field

import django_filters
from django.db.models import Min, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from assays.batch_models import Batch, BatchPosition, BatchRun, PositionKind
from assays.importers.vocabulary import name_key
from assays.models import Instrument, Method, RowType, Run
from lims import permissions
from lims.filters import choice_filter
from lims.lib.queries import count_of
from lims.models import User


def batch_list(user: User) -> QuerySet:
    """Newest first, with what a list shows of each batch in the same query: its positions and samples
    counted (lims.lib.queries.count_of, for the rows of the page only)."""
    batches = permissions.visible(user, Batch.objects.all()).select_related(
        "method", "instrument", "created_by", "reference_material"
    )
    positions = BatchPosition.objects.filter(batch=OuterRef("pk"))
    return batches.annotate(
        position_count=count_of(positions), sample_count=count_of(positions.filter(kind=PositionKind.SAMPLE))
    ).order_by(*(Batch._meta.ordering or ()))


class BatchFilter(django_filters.FilterSet):
    """The filters of batch_list(), on the page and in the API."""

    status = choice_filter(Batch.Status.choices)
    method = django_filters.ModelChoiceFilter(
        queryset=Method.objects.filter(imported=True), to_field_name="code", label=_("Method"), empty_label=_("Any")
    )
    instrument = django_filters.ModelChoiceFilter(
        queryset=Instrument.objects.all(), to_field_name="serial", label=_("Instrument"), empty_label=_("Any")
    )

    class Meta:
        model = Batch
        fields = ["status", "method", "instrument"]


def batch_get(user: User, pk: int) -> Batch:
    batches = permissions.visible(
        user, Batch.objects.select_related("method", "instrument", "reference_material", "created_by", "cancelled_by")
    )
    return get_object_or_404(batches, pk=pk)


def batch_positions(batch: Batch) -> QuerySet:
    return batch.positions.select_related("sample", "reference_material", "duplicate_of").order_by("number")


def batch_runs(batch: Batch) -> QuerySet:
    return Run.objects.filter(batch_link__batch=batch).select_related("operator").order_by("-imported_at", "-id")


def batch_of(run: Run) -> Batch | None:
    link = BatchRun.objects.filter(run=run).select_related("batch").first()
    return link.batch if link else None


def planned_batches(user: User) -> QuerySet:
    """The batches a run may be uploaded against now."""
    return (
        permissions.visible(user, Batch.objects.filter(status=Batch.Status.PLANNED))
        .select_related("method", "instrument")
        .order_by("-created_at", "-id")
    )


@dataclass
class Match:
    """How a run's file matches its batch (see the module docstring). `extra` holds {"row", "sample_name"}."""

    batch: Batch
    missing: list[BatchPosition] = field(default_factory=list)
    skipped: list[BatchPosition] = field(default_factory=list)
    extra: list[dict] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.skipped or self.extra)

    def as_dict(self) -> dict:
        def shown(p: BatchPosition) -> dict:
            return {"position": p.number, "kind": p.kind, "label": p.label}

        return {
            "batch": self.batch.pk,
            "missing": [shown(p) for p in self.missing],
            "skipped": [shown(p) for p in self.skipped],
            "extra": self.extra,
        }


def batch_match(run: Run) -> Match | None:
    """The match of `run`'s readings with its batch; None for a run without a batch or not read yet."""
    batch = batch_of(run)
    if batch is None or run.status in (Run.Status.QUEUED, Run.Status.REFUSED):
        return None
    names = (
        run.readings.exclude(row_type=RowType.CAL_STD)
        .values("sample_name")
        .annotate(first_row=Min("row"), used=Min("row", filter=Q(excluded=False)))
        .order_by("first_row")
    )
    # One entry per name key: the first spelling and row, and whether any of its rows may be used.
    measured: dict[str, dict] = {}
    for name in names:
        entry = measured.setdefault(name_key(name["sample_name"]), dict(name))
        if entry["used"] is None:
            entry["used"] = name["used"]
    match = Match(batch)
    labels = set()
    for position in batch_positions(batch):
        key = name_key(position.label)
        labels.add(key)
        found = measured.get(key)
        if found is None or found["used"] is None:
            (match.skipped if position.is_qc else match.missing).append(position)
    match.extra = [
        {"row": name["first_row"], "sample_name": name["sample_name"]}
        for key, name in measured.items()
        if key not in labels
    ]
    return match


def pair_duplicates(run: Run, parsed) -> None:
    """Set each duplicate row's original from the run's batch (see the module docstring): a row named as
    a duplicate position repeats that position's sample; a row named as a sample position is no
    duplicate, whatever its name suggested. Rows the batch does not name keep the importers' reading."""
    batch = batch_of(run)
    if batch is None:
        return
    by_key = {name_key(p.label): p for p in batch_positions(batch)}
    for reading in parsed.readings:
        position = by_key.get(name_key(reading.sample_name))
        if position is None:
            continue
        if position.kind == PositionKind.DUPLICATE and position.duplicate_of is not None:
            reading.row_type = RowType.DUPLICATE
            reading.duplicate_of = position.duplicate_of.label
        elif position.kind == PositionKind.SAMPLE and reading.row_type == RowType.DUPLICATE:
            reading.row_type = RowType.SAMPLE
            reading.duplicate_of = ""
