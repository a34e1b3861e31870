"""Reads of runs, results and reference data for pages and API views, scoped by lims.permissions."""

from dataclasses import dataclass

import django_filters
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from assays import selection
from assays.models import (
    ANALYSABLE,
    Analyte,
    Instrument,
    Method,
    Panel,
    PanelEntry,
    QCCheck,
    Reading,
    ReadingChoice,
    ReferenceMaterial,
    Result,
    RowType,
    Run,
)
from lims import permissions
from lims.filters import IdFilter, choice_filter
from lims.lib.queries import count_of
from lims.models import User
from samples.models import Sample


def run_list(user: User) -> QuerySet:
    """Newest first (an index serves the order), with who accepted, overrode or withdrew each run,
    and its readings counted for the rows of the page only (lims.lib.queries.count_of)."""
    runs = permissions.visible(user, Run.objects.all()).select_related(
        "instrument", "method", "operator", "accepted_by", "override_by", "withdrawn_by"
    )
    readings = Reading.objects.filter(run=OuterRef("pk"))
    return runs.annotate(reading_count=count_of(readings)).order_by(*(Run._meta.ordering or ()))


class RunFilter(django_filters.FilterSet):
    """The filters of run_list(), on the page and in the API."""

    status = choice_filter(Run.Status.choices)
    qc_status = choice_filter(Run.QCStatus.choices, label=_("QC"))

    class Meta:
        model = Run
        fields = ["status", "qc_status"]


def run_get(user: User, pk: int) -> Run:
    runs = permissions.visible(user, Run.objects.select_related("instrument", "method", "operator", "override_by"))
    return get_object_or_404(runs, pk=pk)


def run_readings(run: Run) -> QuerySet:
    return run.readings.select_related("analyte", "sample", "reference_material").order_by("row", "id")


@dataclass
class RunPreview:
    """A run laid out for a person: one line per row of the file, one column per analyte; a page of
    `limit_rows` rows of the file when it has more (`total_rows`; `page_obj` pages them)."""

    analytes: list[str]
    rows: list[dict]
    total_rows: int
    page_obj: Page | None = None


def run_preview(run: Run, *, limit_rows: int = 400, page: int | str | None = 1) -> RunPreview:
    file_rows = run.readings.order_by("row").values_list("row", flat=True).distinct()
    page_obj = Paginator(file_rows, limit_rows).get_page(page)
    shown = list(page_obj.object_list)
    # Read only the rows shown: a 500-sample batch holds 30,000 readings.
    readings = run_readings(run).filter(row__gte=shown[0], row__lte=shown[-1]) if shown else Reading.objects.none()
    by_row: dict[int, dict] = {}
    analytes: list[str] = []
    seen: set[str] = set()
    for reading in readings:
        symbol = " ".join(part for part in (reading.analyte.symbol, reading.isotope, reading.mode) if part)
        if symbol not in seen:
            seen.add(symbol)
            analytes.append(symbol)
        row = by_row.setdefault(reading.row, {"reading": reading, "cells": {}})
        row["cells"][symbol] = reading
    rows = [
        {"reading": row["reading"], "cells": [row["cells"].get(a) for a in analytes]}
        for _, row in sorted(by_row.items())
    ]
    return RunPreview(analytes=analytes, rows=rows, total_rows=page_obj.paginator.count, page_obj=page_obj)


@dataclass
class SelectionGroup:
    """Every reading of one sample and analyte in a run, the one that becomes the result marked."""

    sample_name: str
    sample: object
    analyte: str
    readings: list
    undecided: bool
    decision: object  # the technician's ReadingChoice, or None

    @property
    def key(self) -> str:
        """What a choice form sent for this group names it by (assays.forms.ReadingChoiceForm.group_key)."""
        return f"{self.sample_name}|{self.analyte}"


def run_selection(run: Run, *, page: int | str | None = 1, per_page: int = 25, undecided_only: bool = False):
    """A page of the run's sample readings, `per_page` sample and analyte pairs at a time in file
    order of sample name and analyte: (Page of pairs, list of SelectionGroup). Paginated by pair, not
    by sample, so a page stays small however many analytes a sample has (a 500-sample batch of 60
    analytes reads 25 of its 30,000 pairs)."""
    sample_rows = run.readings.filter(row_type=RowType.SAMPLE)
    if undecided_only:
        sample_rows = sample_rows.filter(choice__startswith=selection.UNDECIDED)
    pairs = sample_rows.order_by("sample_name", "analyte__symbol").values_list("sample_name", "analyte_id").distinct()
    page_obj = Paginator(pairs, per_page).get_page(page)
    shown = set(page_obj.object_list)
    # Keyed as readings look them up: a reading's sample is None where its name matches no sample.
    decisions: dict[tuple[int | None, int], ReadingChoice] = {
        (d.sample_id, d.analyte_id): d for d in run.choices.select_related("chosen_by")
    }
    readings = (
        run.readings.filter(
            row_type=RowType.SAMPLE,
            sample_name__in={name for name, _ in shown},
            analyte_id__in={analyte for _, analyte in shown},
        )
        .select_related("analyte", "sample")
        .order_by("sample_name", "analyte__symbol", "row", "id")
    )
    groups: dict[tuple[str, int], SelectionGroup] = {}
    for reading in readings:
        key = (reading.sample_name, reading.analyte_id)
        if key not in shown:
            continue
        group = groups.get(key)
        if group is None:
            group = groups[key] = SelectionGroup(
                reading.sample_name, reading.sample, reading.analyte.symbol, [], False,
                decisions.get((reading.sample_id, reading.analyte_id)),
            )  # fmt: skip
        group.readings.append(reading)
        group.undecided |= selection.is_undecided(reading.choice)
    shown_groups = [group for group in groups.values() if not undecided_only or group.undecided]
    return page_obj, shown_groups


def run_qc_checks(run: Run) -> QuerySet:
    return QCCheck.objects.filter(run=run).select_related("analyte", "reference_material").order_by("passed", "kind")


def with_reporting_decimals(results: QuerySet) -> QuerySet:
    """Results with the reporting decimals of their panel entry (`reporting_decimals`, read by
    Result.decimals and assays.precision), in the same query."""
    # The material through a nested subquery, not a join of the outer query: joins would stay in the
    # list's COUNT (350,000 results joined to their samples and lots: 120 ms at the scale dataset).
    material = Sample.objects.filter(pk=OuterRef(OuterRef("sample_id"))).values("lot__material_id")[:1]
    entry = PanelEntry.objects.filter(panel__material_id=Subquery(material), analyte_id=OuterRef("analyte_id"))
    return results.annotate(reporting_decimals=Subquery(entry.values("decimals")[:1]))


def result_list(user: User) -> QuerySet:
    """With the rejected result each one retests, and the retest that answers a rejection: the
    technician sees why a result was rejected and what followed, wherever it is listed."""
    # People and the rejected result come in queries of their own: joined too, the page's one query
    # took PostgreSQL 40 ms to plan (nine relations) and 1 ms to run at the scale dataset.
    results = (
        permissions.visible(user, Result.objects.all())
        .select_related("sample__lot", "analyte", "method", "run")
        .prefetch_related("entered_by", "decided_by", "retest_of")
    )
    return with_retest(with_reporting_decimals(results))


def with_retest(results: QuerySet) -> QuerySet:
    """Results with the id of the newest retest that answers each (`retest_id`, None if none)."""
    retest = Result.objects.filter(retest_of=OuterRef("pk")).order_by("-entered_at", "-pk")
    return results.annotate(retest_id=Subquery(retest.values("pk")[:1]))


# The results lists' order: newest first, as an index of assays 0008 has it.
NEWEST_RESULTS = ("-entered_at", "-id")


class ResultFilter(django_filters.FilterSet):
    """The filters of result_list(), on the page and in the API."""

    status = choice_filter(Result.Status.choices)
    sample = django_filters.CharFilter(
        field_name="sample__code", lookup_expr="icontains", label=_("Sample"), help_text="Part of the sample code."
    )
    analyte = django_filters.CharFilter(field_name="analyte__symbol", label=_("Analyte"), help_text="Analyte symbol.")
    method = django_filters.CharFilter(field_name="method__code", label=_("Method"), help_text="Method code.")
    run = IdFilter(field_name="run_id", label=_("Run"), help_text="Run id.")

    class Meta:
        model = Result
        fields = ["status", "sample", "analyte", "method", "run"]


class ReviewFilter(django_filters.FilterSet):
    """What one review action decides on (assays.services.review): the entered results of a sample
    (its exact code), a run, a method, a batch (the results of the runs imported against it)."""

    sample = django_filters.CharFilter(field_name="sample__code", label=_("Sample"), help_text="Sample code, exactly.")
    run = IdFilter(field_name="run_id", label=_("Run"), help_text="Run id.")
    method = django_filters.CharFilter(field_name="method__code", label=_("Method"), help_text="Method code.")
    batch = IdFilter(field_name="run__batch_link__batch_id", label=_("Batch"), help_text="Batch id.")

    class Meta:
        model = Result
        fields = ["sample", "run", "method", "batch"]

    @property
    def narrowed(self) -> bool:
        """Whether a filter is given: a review action never takes the whole laboratory's work at once."""
        return self.is_valid() and any(self.form.cleaned_data.get(name) not in (None, "") for name in self.filters)


# Result.basis_pending in a query: a dry-basis figure that waits for the sample's approved moisture.
AWAITING_MOISTURE = Q(qualifier__in=["", "<"], value__isnull=True, detection_limit__isnull=True)


def review_candidates(user: User) -> QuerySet:
    """Entered results this user sees, their own too: a review action lists those it skips."""
    return result_list(user).filter(status=Result.Status.ENTERED).order_by("sample__code", "analyte__symbol")


def review_queue(user: User) -> QuerySet:
    """Results awaiting a decision that this user may take: never their own (four eyes)."""
    return (
        review_candidates(user)
        .exclude(entered_by=user)
        .exclude(run__operator=user)
        .order_by("sample__code", "analyte__symbol")
    )


def result_get(user: User, pk: int) -> Result:
    results = permissions.visible(
        user, Result.objects.select_related("sample__lot", "analyte", "method", "run", "retest_of")
    )
    return get_object_or_404(with_retest(with_reporting_decimals(results)), pk=pk)


def sample_results(sample: Sample) -> list[dict]:
    """The sample's panel, entry by entry, with its current result (approved or awaiting review)."""
    entries = PanelEntry.objects.filter(panel__material_id=sample.lot.material_id).select_related("analyte", "method")
    current = {
        r.analyte_id: r
        for r in with_reporting_decimals(
            Result.objects.filter(sample=sample, status__in=[Result.Status.ENTERED, Result.Status.APPROVED])
        ).select_related("entered_by", "decided_by", "run", "retest_of__decided_by")
    }
    return [{"entry": e, "result": current.get(e.analyte_id)} for e in entries]


def open_rejections() -> QuerySet:
    """Rejected results that await their retest: neither a retest answers them (one withdrawn with its
    run answers nothing) nor does the sample have a current result of that analyte. Newest first."""
    current = Result.objects.filter(
        sample=OuterRef("sample"),
        analyte=OuterRef("analyte"),
        status__in=[Result.Status.ENTERED, Result.Status.APPROVED],
    )
    return (
        Result.objects.filter(status=Result.Status.REJECTED)
        .exclude(retests__status__in=[Result.Status.ENTERED, Result.Status.APPROVED, Result.Status.REJECTED])
        .exclude(Exists(current))
        .order_by("-decided_at", "-pk")
    )


def sample_result_history(sample: Sample) -> QuerySet:
    """Every result the sample ever had, rejected and withdrawn ones too, by analyte and newest first:
    a rejection with its reason beside the retest that answers it."""
    results = Result.objects.filter(sample=sample).select_related(
        "sample__lot", "analyte", "method", "entered_by", "decided_by", "run", "retest_of"
    )
    return with_retest(with_reporting_decimals(results)).order_by("analyte__symbol", "-entered_at", "-pk")


def entry_samples(user: User) -> QuerySet:
    """Samples that may take results now."""
    return permissions.visible(user, Sample.objects.filter(status__in=ANALYSABLE)).select_related("lot__material")


def manual_methods() -> QuerySet:
    return Method.objects.filter(active=True, imported=False)


def imported_methods() -> QuerySet:
    return Method.objects.filter(active=True, imported=True)


def instruments_in_service() -> QuerySet:
    return Instrument.objects.filter(active=True)


def method_panel_analytes(method: Method) -> QuerySet:
    """Analytes some panel determines by this method, in panel order."""
    ids = PanelEntry.objects.filter(method=method).values_list("analyte_id", flat=True)
    return Analyte.objects.filter(pk__in=ids).order_by("symbol")


def reference_materials() -> QuerySet:
    return ReferenceMaterial.objects.prefetch_related("values__analyte")


def panels() -> QuerySet:
    return Panel.objects.select_related("material").prefetch_related("entries__analyte", "entries__method")


def panel_complete(sample: Sample) -> bool:
    """Whether every analyte of the sample's panel has an approved result."""
    required = set(
        PanelEntry.objects.filter(panel__material_id=sample.lot.material_id).values_list("analyte_id", flat=True)
    )
    approved = set(
        Result.objects.filter(sample=sample, status=Result.Status.APPROVED).values_list("analyte_id", flat=True)
    )
    return bool(required) and required <= approved
