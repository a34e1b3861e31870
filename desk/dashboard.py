"""What is waiting for each person: one section per queue of their roles' work.

A section counts its queue and shows its first few items, the most urgent first (priority, then the
earliest due date) and the oldest first among equals, with a link to the full list filtered to the
queue. Every queue is a selector of the app that owns its rows (so it is scoped by lims.permissions as
that app's pages are); a section costs two queries (the count and its first items) whatever the rows,
and the navigation's total (pending_total) only the counts.

| role       | sections                                                                         |
|------------|----------------------------------------------------------------------------------|
| sampler    | samples to seal or hand over (in their custody)                                  |
| technician | samples to receive, to prepare; batches to run; runs to accept; results to redo   |
| reviewer   | results to review; runs with failed QC                                           |
| manager    | open nonconformances; reported samples without certificate; failed certificates |
| exporter   | lots in progress and their stage; certificates issued; declarations             |
| inspector  | flagged declarations, the longest waiting first                                  |

A person with several roles sees each role's sections (a section once, when two roles share it).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assays import batch_selectors
from assays import selectors as assays_selectors
from assays.batch_models import Batch
from assays.models import Result, Run
from certificates import selectors as certificate_selectors
from certificates.models import Certificate
from customs import selectors as customs_selectors
from customs.models import Declaration
from lims import permissions
from lims.models import User
from lims.roles import Role
from samples import selectors as sample_selectors
from samples.models import Lot, Nonconformance, Sample

# How many items a section shows; its link leads to the rest.
SHOWN = 5
S = Sample.Status


@dataclass
class Item:
    label: str
    url: str
    detail: str = ""
    since: datetime | date | None = None
    due_date: date | None = None
    priority: int | None = None
    overdue: bool = False
    status: str = ""
    status_label: str = ""


@dataclass
class Section:
    key: str
    title: Promise | str
    count: int
    items: list[Item] = field(default_factory=list)
    list_url: str = ""
    # Whether the count is work waiting for this person (the navigation's total adds it up); an
    # exporter's issued certificates are news, not work.
    pending: bool = True


@dataclass(frozen=True)
class Queue:
    key: str
    title: Promise | str
    rows: Callable[[User], QuerySet]  # the queue, in the dashboard's order
    item: Callable[[Any], Item]
    list_url: Callable[[], str]
    pending: bool = True


def _url(name: str, **query) -> str:
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def _urgent_first(rows: QuerySet, *oldest: str, through: str = "") -> QuerySet:
    """`rows` the most urgent first (priority, then the earliest due date, none last), then oldest
    first by `oldest`; `through` is the lookup to the sample or lot that carries the urgency."""
    return rows.order_by(f"{through}priority", F(f"{through}due_date").asc(nulls_last=True), *oldest, "pk")


# Items ----------------------------------------------------------------------------------------


def _sample_item(sample: Sample, detail: str = "") -> Item:
    return Item(
        label=sample.code,
        url=reverse("sample_detail", kwargs={"code": sample.code}),
        detail=detail or f"{sample.lot.lot_number} · {sample.get_purpose_display()}",
        since=sample.collected_at,
        due_date=sample.due_date,
        priority=sample.priority,
        overdue=sample.overdue,
        status=sample.status,
        status_label=sample.get_status_display(),
    )


def _batch_item(batch) -> Item:
    return Item(
        label=str(batch),
        url=reverse("batch_detail", kwargs={"batch_pk": batch.pk}),
        detail=gettext("%(method)s on %(instrument)s, %(count)d samples")
        % {"method": batch.method, "instrument": batch.instrument, "count": batch.sample_count},
        since=batch.created_at,
    )


def _run_item(run: Run) -> Item:
    return Item(
        label=str(run),
        url=reverse("run_detail", kwargs={"run_pk": run.pk}),
        detail=f"{run.method} · {run.get_qc_status_display()}",
        since=run.imported_at,
        status=run.status,
        status_label=run.get_status_display(),
    )


def _result_item(result: Result) -> Item:
    sample = result.sample
    return Item(
        label=f"{sample.code} {result.analyte.symbol}",
        url=reverse("sample_results", kwargs={"code": sample.code}),
        detail=f"{result.method} · {result.reason}" if result.reason else str(result.method),
        since=result.decided_at or result.entered_at,
        due_date=sample.due_date,
        priority=sample.priority,
        overdue=sample.overdue,
    )


def _nonconformance_item(nc: Nonconformance) -> Item:
    return Item(
        label=nc.sample.code,
        url=reverse("nonconformance_resolve", kwargs={"nc_pk": nc.pk}),
        detail=nc.get_kind_display(),
        since=nc.raised_at,
        due_date=nc.sample.due_date,
        priority=nc.sample.priority,
        overdue=nc.sample.overdue,
    )


def _certificate_item(certificate: Certificate) -> Item:
    sample = certificate.sample
    return Item(
        label=certificate.number or str(certificate),
        url=reverse("certificate_detail", kwargs={"cert_pk": certificate.pk}),
        detail=f"{sample.code} · {sample.lot.lot_number}",
        since=certificate.issued_at or certificate.requested_at,
        status=certificate.status,
        status_label=certificate.get_status_display(),
    )


def _declaration_item(declaration: Declaration, page: str = "declaration_detail") -> Item:
    return Item(
        label=declaration.number,
        url=reverse(page, kwargs={"declaration_pk": declaration.pk}),
        detail=f"{declaration.lot.lot_number} · {declaration.exporter}",
        since=declaration.filed_at,
        status=declaration.status,
        status_label=declaration.get_status_display(),
    )


# A lot's stage, as far as its furthest sample has come (annotations of lots_in_progress).
STAGES = (
    ("certified", _("Certificate issued")),
    ("reported", _("Results reported")),
    ("at_lab", _("At the laboratory")),
    ("in_transit", _("On its way to the laboratory")),
    ("sampled", _("Sampled")),
)


def _lot_item(lot: Lot) -> Item:
    stage = next((label for name, label in STAGES if getattr(lot, f"stage_{name}")), _("Registered"))
    return Item(
        label=lot.lot_number,
        url=reverse("lot_detail", kwargs={"lot_pk": lot.pk}),
        detail=gettext("%(material)s, %(count)d samples")
        % {"material": lot.material, "count": getattr(lot, "sample_count", 0)},
        since=lot.registered_at,
        due_date=lot.due_date,
        priority=lot.priority,
        overdue=lot.overdue,
        status=lot.status,
        status_label=str(stage),
    )


# Queues ---------------------------------------------------------------------------------------


def lots_in_progress(user: User) -> QuerySet:
    """The user's lots not yet closed, the most urgent first, each with its stage (stage_*)."""
    samples = Sample.objects.filter(lot=OuterRef("pk"))
    issued = Certificate.objects.filter(sample__lot=OuterRef("pk"), status=Certificate.Status.ISSUED)
    lots = sample_selectors.lot_list(user).exclude(status=Lot.Status.CLOSED)
    return _urgent_first(lots, "registered_at").annotate(
        stage_certified=Exists(issued),
        stage_reported=Exists(samples.filter(status__in=(S.REPORTED, S.ARCHIVED))),
        stage_at_lab=Exists(samples.filter(status__in=(S.RECEIVED, S.ON_HOLD, S.IN_PREPARATION, S.IN_ANALYSIS))),
        stage_in_transit=Exists(samples.filter(status=S.IN_TRANSIT)),
        stage_sampled=Exists(samples),
    )


def results_to_redo(user: User) -> QuerySet:
    rejected = permissions.visible(user, assays_selectors.open_rejections()).select_related(
        "sample__lot", "analyte", "method"
    )
    return _urgent_first(rejected, "decided_at", through="sample__")


def results_to_review(user: User) -> QuerySet:
    queue = assays_selectors.review_queue(user)
    return _urgent_first(queue, "entered_at", through="sample__")


def runs_failing_qc(user: User) -> QuerySet:
    """Runs in preview or accepted whose QC failed and nobody has overridden."""
    runs = assays_selectors.run_list(user).filter(
        qc_status=Run.QCStatus.FAILED, status__in=(Run.Status.PREVIEW, Run.Status.ACCEPTED)
    )
    return runs.order_by("imported_at", "pk")


SAMPLE_LIST = "sample_list"

QUEUES: dict[str, Queue] = {
    queue.key: queue
    for queue in (
        Queue(
            "seal_or_hand_over",
            _("Samples to seal or hand over"),
            lambda user: _urgent_first(sample_selectors.samples_to_seal_or_hand_over(user), "collected_at", "code"),
            _sample_item,
            lambda: _url(SAMPLE_LIST, work="seal_or_hand_over"),
        ),
        Queue(
            "receive",
            _("Samples to receive"),
            lambda user: _urgent_first(sample_selectors.samples_to_receive(user), "collected_at", "code"),
            _sample_item,
            lambda: _url(SAMPLE_LIST, work="receive"),
        ),
        Queue(
            "prepare",
            _("Samples to prepare"),
            lambda user: _urgent_first(sample_selectors.samples_to_prepare(user), "collected_at", "code"),
            _sample_item,
            lambda: _url(SAMPLE_LIST, work="prepare"),
        ),
        Queue(
            "batches",
            _("Batches to run"),
            lambda user: (
                batch_selectors.batch_list(user).filter(status=Batch.Status.PLANNED).order_by("created_at", "pk")
            ),
            _batch_item,
            lambda: _url("batch_list", status="planned"),
        ),
        Queue(
            "runs_to_accept",
            _("Runs to accept"),
            lambda user: (
                assays_selectors.run_list(user).filter(status=Run.Status.PREVIEW).order_by("imported_at", "pk")
            ),
            _run_item,
            lambda: _url("run_list", status="preview"),
        ),
        Queue(
            "results_to_redo",
            _("Rejected results to redo"),
            results_to_redo,
            _result_item,
            lambda: _url("result_list", status="rejected"),
        ),
        Queue(
            "results_to_review",
            _("Results to review"),
            results_to_review,
            _result_item,
            lambda: _url("result_review"),
        ),
        Queue(
            "runs_failing_qc",
            _("Runs with failed QC"),
            runs_failing_qc,
            _run_item,
            lambda: _url("run_list", qc_status="failed"),
        ),
        Queue(
            "nonconformances",
            _("Open nonconformances"),
            lambda user: _urgent_first(
                sample_selectors.nonconformance_list(user).filter(status=Nonconformance.Status.OPEN),
                "raised_at",
                through="sample__",
            ),
            _nonconformance_item,
            lambda: _url("nonconformance_list", status="open"),
        ),
        Queue(
            "to_certify",
            _("Reported samples without a certificate"),
            lambda user: _urgent_first(certificate_selectors.certifiable_samples(user), "collected_at", "code"),
            _sample_item,
            lambda: _url("certificate_request"),
        ),
        Queue(
            "failed_certificates",
            _("Failed certificates"),
            lambda user: (
                certificate_selectors.certificate_list(user)
                .filter(status=Certificate.Status.FAILED)
                .order_by("requested_at", "pk")
            ),
            _certificate_item,
            lambda: _url("certificate_list", status="failed"),
        ),
        Queue(
            "lots_in_progress",
            _("Lots in progress"),
            lots_in_progress,
            _lot_item,
            lambda: _url("lot_list"),
        ),
        Queue(
            "certificates_issued",
            _("Certificates issued"),
            lambda user: (
                certificate_selectors.certificate_list(user)
                .filter(status=Certificate.Status.ISSUED)
                .order_by(F("issued_at").desc(nulls_last=True), "-pk")
            ),
            _certificate_item,
            lambda: _url("certificate_list", status="issued"),
            pending=False,
        ),
        Queue(
            "declarations",
            _("Declarations awaiting customs"),
            lambda user: (
                customs_selectors.declaration_list(user)
                .filter(status__in=(Declaration.Status.FLAGGED, Declaration.Status.CLEARED))
                .order_by("filed_at", "pk")
            ),
            _declaration_item,
            lambda: _url("declaration_list"),
        ),
        Queue(
            "declaration_outcomes",
            _("Declarations decided"),
            lambda user: (
                customs_selectors.declaration_list(user)
                .filter(status__in=(Declaration.Status.ACCEPTED, Declaration.Status.REJECTED))
                .order_by(F("decided_at").desc(nulls_last=True), "-pk")
            ),
            _declaration_item,
            lambda: _url("declaration_list"),
            pending=False,
        ),
        Queue(
            "flagged_declarations",
            _("Flagged declarations"),
            customs_selectors.review_queue,
            # The inspector's work on it is its review page.
            lambda declaration: _declaration_item(declaration, "declaration_review"),
            lambda: _url("declaration_queue"),
        ),
    )
}

# Each role's queues, in the order the dashboard shows them.
ROLE_QUEUES: dict[Role, tuple[str, ...]] = {
    Role.SAMPLER: ("seal_or_hand_over",),
    Role.TECHNICIAN: ("receive", "prepare", "batches", "runs_to_accept", "results_to_redo"),
    Role.REVIEWER: ("results_to_review", "runs_failing_qc"),
    Role.MANAGER: ("nonconformances", "to_certify", "failed_certificates"),
    Role.EXPORTER: ("lots_in_progress", "certificates_issued", "declarations", "declaration_outcomes"),
    # A broker files the exporter's declarations and follows them as the exporter does.
    Role.BROKER: ("declarations", "declaration_outcomes"),
    Role.INSPECTOR: ("flagged_declarations",),
}
ROLE_ORDER = (Role.SAMPLER, Role.TECHNICIAN, Role.REVIEWER, Role.MANAGER, Role.EXPORTER, Role.BROKER, Role.INSPECTOR)


def user_queues(user: User) -> list[tuple[Role, list[Queue]]]:
    """The user's roles that have queues, each with its queues (a queue under its first role only)."""
    roles = permissions.effective_roles(user)
    seen: set[str] = set()
    out = []
    for role in ROLE_ORDER:
        if role not in roles:
            continue
        keys = [key for key in ROLE_QUEUES[role] if key not in seen]
        seen.update(keys)
        if keys:
            out.append((role, [QUEUES[key] for key in keys]))
    return out


def sections(user: User) -> list[tuple[str, list[Section]]]:
    """The dashboard: for each of the user's roles (its label), its sections with their counts and
    first items. Two queries a section."""
    out = []
    for role, queues in user_queues(user):
        built = []
        for queue in queues:
            rows = queue.rows(user)
            built.append(
                Section(
                    key=queue.key,
                    title=queue.title,
                    count=rows.count(),
                    items=[queue.item(row) for row in rows[:SHOWN]],
                    list_url=queue.list_url(),
                    pending=queue.pending,
                )
            )
        out.append((str(Role(role).label), built))
    return out


def pending_total(user: User) -> int:
    """How many things wait for the user, over all their queues that are work (Queue.pending): a
    count query a queue."""
    return sum(queue.rows(user).count() for _role, queues in user_queues(user) for queue in queues if queue.pending)
