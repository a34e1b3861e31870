"""Turnaround: how long certification takes, from the laboratory's reception of a sample (its first
RECEIVE custody event) to the issue of its certificate, by month of issue, by method and by exporter:
the median, the 90th percentile and the number of certificates.

Only a sample's first certificate counts (an amendment measures the correction, not the work), and
only certificates that were issued (revoked and superseded ones were issued too). A certificate
counts under every method that gave one of its sample's approved results. Percentiles interpolate
between the two nearest values (PostgreSQL's percentile_cont), so the median of 2, 4 and 10 days is 4
and that of 2 and 4 days is 3.

Rows are read through lims.permissions.visible() (an exporter's report holds its own certificates
only): two queries, whatever the period.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation

from assays.models import Result
from certificates.models import Certificate
from lims import permissions
from lims.lib.translated import pick
from lims.models import User
from samples.models import CustodyEvent

DAY = 86400


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` percentile of `values`, interpolated linearly (percentile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Figure:
    """One line of the report: what it groups (`key`), in days."""

    key: str
    count: int
    median_days: float
    p90_days: float


@dataclass(frozen=True)
class Row:
    """One certificate measured."""

    certificate_id: int
    number: str
    exporter: str
    month: str
    received_at: datetime
    issued_at: datetime
    days: float
    methods: tuple[str, ...]


@dataclass
class Report:
    start: date
    end: date
    rows: list[Row]
    by_month: list[Figure]
    by_method: list[Figure]
    by_exporter: list[Figure]
    overall: Figure | None


def _figures(groups: dict[str, list[float]]) -> list[Figure]:
    return [
        Figure(key, len(days), round(percentile(days, 0.5), 1), round(percentile(days, 0.9), 1))
        for key, days in sorted(groups.items())
    ]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and last day, whole, in the installation's zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def measured(user: User, *, start: date, end: date):
    """The certificates the report measures: first certificates the user may see, issued in the period,
    of samples that were received, with their reception time (`received_at`)."""
    first_receipt = CustodyEvent.objects.filter(
        sample=OuterRef("sample_id"), action=CustodyEvent.Action.RECEIVE
    ).order_by("sequence")
    since, until = _bounds(start, end)
    return (
        permissions.visible(user, Certificate.objects.all())
        .filter(
            status__in=Certificate.WAS_ISSUED,
            supersedes__isnull=True,
            issued_at__gte=since,
            issued_at__lt=until,
        )
        .annotate(received_at=Subquery(first_receipt.values("occurred_at")[:1]))
        .filter(received_at__isnull=False)
    )


def report(user: User, *, start: date, end: date) -> Report:
    certificates = measured(user, start=start, end=end)
    values = list(
        certificates.order_by("issued_at", "pk").values_list(
            "pk", "number", "sample_id", "sample__lot__exporter__name", "received_at", "issued_at"
        )
    )
    methods: dict[int, set[str]] = defaultdict(set)
    approved = Result.objects.filter(
        status=Result.Status.APPROVED, sample_id__in=certificates.values("sample_id")
    ).values_list("sample_id", "method__name", "method__name_ru", "method__name_kk")
    language = translation.get_language()
    for sample_id, method, ru, kk in approved.distinct():
        methods[sample_id].add(pick(language, method, ru=ru, kk=kk))
    rows = []
    for pk, number, sample_id, exporter, received_at, issued_at in values:
        rows.append(
            Row(
                certificate_id=pk,
                number=number,
                exporter=exporter,
                month=timezone.localtime(issued_at).strftime("%Y-%m"),
                received_at=received_at,
                issued_at=issued_at,
                days=(issued_at - received_at).total_seconds() / DAY,
                methods=tuple(sorted(methods[sample_id])),
            )
        )
    by_month: dict[str, list[float]] = defaultdict(list)
    by_method: dict[str, list[float]] = defaultdict(list)
    by_exporter: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_month[row.month].append(row.days)
        by_exporter[row.exporter].append(row.days)
        for method in row.methods:
            by_method[method].append(row.days)
    overall = _figures({"": [row.days for row in rows]})[0] if rows else None
    return Report(
        start=start,
        end=end,
        rows=rows,
        by_month=_figures(by_month),
        by_method=_figures(by_method),
        by_exporter=_figures(by_exporter),
        overall=overall,
    )
