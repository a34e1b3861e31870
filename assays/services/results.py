"""Results: manual entry, four-eyes approval and rejection, the dry basis once the moisture is
approved, and the sample reported when its panel is complete."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import plausibility, preparation, units
from assays.models import (
    ANALYSABLE,
    MOISTURE,
    Analyte,
    Basis,
    Method,
    PanelEntry,
    Qualifier,
    Result,
    ResultEvent,
)
from assays.selectors import open_rejections, panel_complete
from lims import notifications, permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.models import NotificationKind, User
from samples import services as sample_services
from samples.models import Sample


def panel_entries(sample: Sample) -> dict[int, PanelEntry]:
    return {
        e.analyte_id: e
        for e in PanelEntry.objects.filter(panel__material_id=sample.lot.material_id).select_related("analyte")
    }


def approved_moisture(sample: Sample) -> Decimal | None:
    moisture = (
        Result.objects.filter(sample=sample, analyte__symbol=MOISTURE, status=Result.Status.APPROVED)
        .values_list("value_as_received", flat=True)
        .first()
    )
    return moisture


def _reported(value: Decimal | None, basis: str, moisture: Decimal | None) -> Decimal | None:
    """A quantity on the reported basis, or None while the dry basis waits for the moisture."""
    if value is None or basis == Basis.AS_RECEIVED:
        return value
    return units.to_dry(value, moisture) if moisture is not None else None


def lock_for_results(sample: Sample, actor: User) -> Sample:
    """Lock the sample, check it may take results, and move it to analysis on its first result."""
    sample = Sample.objects.select_for_update(of=("self",)).select_related("lot").get(pk=sample.pk)
    if sample.status not in ANALYSABLE:
        raise Conflict(
            _("Sample %(code)s is %(status)s; only samples received with an intact or accepted seal take results.")
            % {"code": sample.code, "status": sample.get_status_display().lower()},
            field="sample",
        )
    if Sample.LIFECYCLE.allows(sample, "analyse"):
        sample = sample_services.sample_start_analysis(actor=actor, sample=sample)
    return sample


def new_result(
    *,
    actor,
    sample,
    entry,
    method,
    qualifier,
    value_ar,
    dl,
    uncertainty_ar,
    source,
    moisture,
    run=None,
    reading=None,
    flags=(),
) -> Result:
    if Result.objects.filter(sample=sample, analyte=entry.analyte, status__in=["entered", "approved"]).exists():
        raise Conflict(
            _("%(code)s already has a %(analyte)s result; reject it before entering another.")
            % {"code": sample.code, "analyte": entry.analyte.symbol},
            extra={"sample": sample.code, "analyte": entry.analyte.symbol},
        )
    # A result after a rejection is its retest: linked to the newest rejection of the sample and analyte
    # that awaits one.
    retest_of = open_rejections().filter(sample=sample, analyte=entry.analyte).first()
    result = Result.objects.create(
        sample=sample,
        analyte=entry.analyte,
        retest_of=retest_of,
        method=method,
        unit=entry.unit,
        basis=entry.basis,
        qualifier=qualifier,
        value_as_received=value_ar,
        detection_limit_as_received=dl,
        uncertainty_as_received=uncertainty_ar,
        value=_reported(value_ar, entry.basis, moisture),
        detection_limit=_reported(dl, entry.basis, moisture),
        uncertainty=_reported(uncertainty_ar, entry.basis, moisture),
        negative=value_ar is not None and value_ar < 0,
        flags=list(flags),
        source=source,
        run=run,
        reading=reading,
        entered_by=actor,
    )
    ResultEvent.objects.create(result=result, action=ResultEvent.Action.ENTER, actor=actor)
    return result


def mass_balance_problems(sample: Sample) -> list[str]:
    current = Result.objects.filter(sample=sample, status__in=[Result.Status.ENTERED, Result.Status.APPROVED])
    problem = plausibility.mass_balance_problem(
        [(r.analyte.symbol, r.value_as_received, r.unit) for r in current.select_related("analyte")]
    )
    return [f"{sample.code}: {problem}"] if problem else []


@dataclass(frozen=True)
class ManualEntry:
    """One cell of the manual entry grid, already parsed."""

    sample: Sample
    analyte: Analyte
    value: Decimal | None
    qualifier: str = ""
    unit: str = ""
    uncertainty: Decimal | None = None


@transaction.atomic
def results_enter(*, actor: User, method: Method, entries: list[ManualEntry]) -> list[Result]:
    """Enter results by hand (fire assay, titration, moisture): all or nothing."""
    permissions.require(actor, "result.enter")
    if method.imported:
        raise ApplicationError(
            _("%(method)s results arrive as instrument runs; import the run instead.") % {"method": method},
            field="method",
        )
    if not entries:
        raise ApplicationError(_("Enter at least one result."))
    results = []
    samples: dict[int, Sample] = {}
    for item in entries:
        sample = samples.get(item.sample.pk) or lock_for_results(item.sample, actor)
        samples[sample.pk] = sample
        entry = panel_entries(sample).get(item.analyte.pk)
        if entry is None or entry.method_id != method.pk:
            raise ApplicationError(
                _("%(analyte)s of %(material)s is not determined by %(method)s.")
                % {"analyte": item.analyte.symbol, "material": sample.lot.material, "method": method},
                extra={"sample": sample.code, "analyte": item.analyte.symbol},
            )
        unit = item.unit or entry.unit
        value_ar = dl = None
        if item.analyte.symbol == MOISTURE and item.qualifier != Qualifier.NONE:
            # The dry basis of every other result is computed from it: a limit is no moisture.
            raise ApplicationError(
                _("A moisture is a measured value: the dry basis of the other results is computed from it."),
                field="value",
                extra={"sample": sample.code, "analyte": item.analyte.symbol},
            )
        if item.qualifier == Qualifier.BELOW_DL:
            if item.value is None or item.value <= 0:
                raise ApplicationError(_("Give the detection limit after <."), field="value")
            dl = units.convert(item.value, unit, entry.unit)
        elif item.qualifier == Qualifier.NONE:
            if item.value is None:
                raise ApplicationError(_("Enter a value."), field="value")
            value_ar = units.convert(item.value, unit, entry.unit)
        else:
            raise ApplicationError(_("A manual result is a value or <DL."), field="value")
        uncertainty = units.convert(item.uncertainty, unit, entry.unit) if item.uncertainty is not None else None
        if uncertainty is not None and uncertainty < 0:
            raise ApplicationError(_("The uncertainty cannot be negative."), field="uncertainty")
        problem = plausibility.content_problem(item.analyte.symbol, value_ar, entry.unit)
        if problem:
            raise ApplicationError(
                f"{sample.code}: {problem}",
                field="value",
                extra={"sample": sample.code, "analyte": item.analyte.symbol},
            )
        flags = ["negative"] if value_ar is not None and value_ar < 0 else []
        results.append(
            new_result(
                actor=actor, sample=sample, entry=entry, method=method, qualifier=item.qualifier, value_ar=value_ar,
                dl=dl, uncertainty_ar=uncertainty, source=Result.Source.MANUAL, moisture=approved_moisture(sample),
                flags=flags,
            )
        )  # fmt: skip
    # A failed sizing check holds the method's analysis of the sample back until a check passes.
    blocked = preparation.sizing_blocks(samples, method)
    if blocked:
        raise Conflict(
            "; ".join(blocked.values()) + ".", field="sample", extra={"sizing_failed": sorted(blocked.values())}
        )
    for sample in samples.values():
        for problem in mass_balance_problems(sample):
            raise ApplicationError(problem, field="value", extra={"sample": sample.code})
    audit_record(
        actor=actor, action=AuditAction.RESULT_ENTER, data={"method": method.code, "results": [r.pk for r in results]}
    )
    return results


def _lock_result(result: Result) -> Result:
    return (
        Result.objects.select_for_update(of=("self",))
        .select_related("sample__lot", "analyte", "run", "method")
        .get(pk=result.pk)
    )


def _check_four_eyes(actor: User, result: Result) -> None:
    """Nobody decides on a result they entered or imported: no role is exempt, not even admin."""
    involved = {result.entered_by_id}
    if result.run is not None:
        involved.add(result.run.operator_id)
    if actor.pk in involved:
        raise NotPermitted(_("You entered or imported this result; a second person must review it."))


@transaction.atomic
def result_approve(*, actor: User, result: Result, reason: str = "", confirm_flags: bool = False) -> Result:
    """Approve a result. A flagged result (assays.plausibility) is approved only when the reviewer
    confirms its flags, which the approval event records. When it is the sample's moisture, the dry
    values of its other results are computed; when it completes the sample's panel, the sample is
    reported."""
    permissions.require(actor, "result.approve", result)
    result = _lock_result(result)
    _check_four_eyes(actor, result)
    status_after = Result.LIFECYCLE.require_transition(result, "approve")
    if result.run is not None and not result.run.qc_cleared:
        raise Conflict(
            _("Run %(run)s failed QC; a reviewer must override it with a reason before its results are approved.")
            % {"run": result.run_id}
        )
    if result.basis_pending:
        raise Conflict(
            _("Approve the moisture of %(code)s first: this result is reported on a dry basis.")
            % {"code": result.sample.code}
        )
    if result.flags and not confirm_flags:
        raise Conflict(
            _("%(code)s %(analyte)s is flagged (%(flags)s): confirm the value to approve it.")
            % {
                "code": result.sample.code,
                "analyte": result.analyte.symbol,
                "flags": plausibility.describe(result.flags),
            },
            field="confirm_flags",
            extra={"flags": result.flags},
        )
    result.status = status_after
    result.decided_by, result.decided_at, result.reason = actor, timezone.now(), reason.strip()
    result.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    ResultEvent.objects.create(
        result=result,
        action=ResultEvent.Action.APPROVE,
        actor=actor,
        reason=reason.strip(),
        data={"confirmed_flags": result.flags} if result.flags else {},
    )
    if result.analyte.symbol == MOISTURE and result.value_as_received is not None:
        _apply_moisture(actor=actor, sample=result.sample, moisture=result.value_as_received)
    _report_if_complete(actor=actor, sample=result.sample)
    return result


def _apply_moisture(*, actor: User, sample: Sample, moisture: Decimal) -> None:
    """Compute the dry values of the sample's results that wait for its approved moisture."""
    pending = Result.objects.select_for_update().filter(sample=sample, basis=Basis.DRY, status=Result.Status.ENTERED)
    for result in pending:
        result.value = _reported(result.value_as_received, Basis.DRY, moisture)
        result.detection_limit = _reported(result.detection_limit_as_received, Basis.DRY, moisture)
        result.uncertainty = _reported(result.uncertainty_as_received, Basis.DRY, moisture)
        result.save(update_fields=["value", "detection_limit", "uncertainty"])
        ResultEvent.objects.create(
            result=result, action=ResultEvent.Action.DRY_BASIS, actor=actor, data={"moisture_pct": str(moisture)}
        )


def _report_if_complete(*, actor: User, sample: Sample, note: str = "") -> bool:
    """Report the sample when its panel is complete. The sample row is locked before the panel is
    read: two reviewers approving its last two results at once are serialised here, and the second
    one's query (a new statement under READ COMMITTED) sees the first's approval, so exactly one of
    them reports it. Without the lock each saw the other's result unapproved and neither reported."""
    sample = Sample.objects.select_for_update(of=("self",)).select_related("lot").get(pk=sample.pk)
    if not (Sample.LIFECYCLE.allows(sample, "report") and panel_complete(sample)):
        return False
    sample_services.sample_report(actor=actor, sample=sample, note=note or _("Every analyte of the panel is approved."))
    return True


def samples_report_complete() -> list[str]:
    """Report the samples whose panel is complete but that were left unreported (a race before the
    lock in _report_if_complete existed, or a panel changed under them): `manage.py
    report_complete_samples`. Each sample is reported in its own transaction, in the name of the
    reviewer who approved its last result (the step that should have reported it). Returns the codes
    reported."""
    reported = []
    for sample in Sample.objects.filter(status__in=Sample.LIFECYCLE.sources("report")).order_by("pk"):
        last = (
            Result.objects.filter(sample=sample, status=Result.Status.APPROVED, decided_by__isnull=False)
            .select_related("decided_by")
            .order_by("-decided_at")
            .first()
        )
        if last is None or last.decided_by is None:
            continue
        with transaction.atomic():
            if _report_if_complete(
                actor=last.decided_by, sample=sample, note=_("Re-checked: every analyte of the panel is approved.")
            ):
                reported.append(sample.code)
    return reported


@transaction.atomic
def result_reject(*, actor: User, result: Result, reason: str, notify_enterer: bool = True) -> Result:
    """Reject a result and ask for a retest: the result stays as history, a new one may follow.
    Whoever entered it is told (notify_enterer; results_review tells them once for all it rejects)."""
    permissions.require(actor, "result.reject", result)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the result is rejected, so the retest can address it."), field="reason")
    result = _lock_result(result)
    _check_four_eyes(actor, result)
    result.status = Result.LIFECYCLE.require_transition(result, "reject")
    result.decided_by, result.decided_at, result.reason = actor, timezone.now(), reason
    result.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    ResultEvent.objects.create(result=result, action=ResultEvent.Action.REJECT, actor=actor, reason=reason)
    if notify_enterer:
        notify_rejected(actor=actor, results=[result], reason=reason)
    return result


def notify_rejected(*, actor: User, results: list[Result], reason: str) -> None:
    """Tell whoever entered rejected results, once per person and sample, naming the analytes (never
    a value) and the reason, so the retest can be planned."""
    by_enterer_and_sample: dict[tuple[int, int], list[Result]] = {}
    for result in results:
        by_enterer_and_sample.setdefault((result.entered_by_id, result.sample_id), []).append(result)
    for rejected in by_enterer_and_sample.values():
        sample = rejected[0].sample
        notifications.notify(
            kind=NotificationKind.RESULT_REJECTED, recipients=[rejected[0].entered_by], about=sample,
            link=reverse("sample_results", kwargs={"code": sample.code}),
            data={
                "sample": sample.code, "by": str(actor), "reason": reason,
                "analytes": sorted({result.analyte.symbol for result in rejected}),
            },
        )  # fmt: skip
