"""Fixing the baseline of a control series (assays.baseline_models.ControlBaseline): a lab manager
chooses the period (from/to, in the laboratory's time zone) or the runs, and the mean and standard
deviation of the series' results in it are computed and frozen, with the results they came from.

Refusals (nothing changes): not a manager (403); neither or both of a period and runs, an empty or
reversed period, a chosen run that is not accepted or holds no result of the series (400, next to
the field); fewer than MIN_POINTS results, or results without spread (400: widen the period); a
baseline in force replaced without a reason (400); another baseline fixed for the series at the
same moment (409, reload).
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import control
from assays.baseline_models import ControlBaseline, ControlKind
from assays.charts import control_limits
from assays.models import Analyte, Method, ReferenceMaterial, Run
from lims import permissions
from lims.audit import audit_record
from lims.exceptions import ApplicationError, Conflict
from lims.lib.numbers import digits
from lims.models import AuditAction, User

# Limits from fewer results move a lot with the next ones (CLSI C24: at least 20 from 20 runs).
MIN_POINTS = 20
# The stored figures' places (the model's decimal_places): far below any analytical meaning.
PLACES = Decimal("1e-12")


def control_baseline_fix(
    *,
    actor: User,
    kind: str,
    method: Method,
    analyte: Analyte,
    reference_material: ReferenceMaterial | None = None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    runs: Iterable[Run] | None = None,
    reason: str = "",
) -> ControlBaseline:
    """Fix the baseline of the series from the results of a period or of chosen runs (one of the
    two), replacing the one in force, if any (then a reason is required)."""
    permissions.require(actor, "qc.baseline.fix")
    if kind not in ControlKind.values:
        raise ApplicationError(_("Unknown control series %(kind)r.") % {"kind": kind}, field="kind")
    if (kind == ControlKind.CRM) != (reference_material is not None):
        raise ApplicationError(
            _("A reference material's series names the material; the blanks' series names none."),
            field="reference_material",
        )
    chosen = list(runs or [])
    wanted = {run.pk for run in chosen}
    by_period = period_start is not None or period_end is not None
    if by_period == bool(chosen):
        raise ApplicationError(_("Give either a period (from and to) or the runs, not both."), field="period_start")
    if by_period and (period_start is None or period_end is None):
        raise ApplicationError(
            _("Give both ends of the period."), field="period_start" if period_start is None else "period_end"
        )
    if period_start is not None and period_end is not None and period_start > period_end:
        raise ApplicationError(_("The period ends before it starts."), field="period_end")
    series = control.Series(kind, method, analyte, reference_material)
    reason = reason.strip()
    with transaction.atomic():
        current = series.baselines().select_for_update().filter(replaced_at__isnull=True).first()
        if current is not None and not reason:
            raise ApplicationError(
                _("Say why the baseline in force (fixed on %(date)s by %(who)s) is replaced.")
                % {"date": timezone.localtime(current.fixed_at).strftime("%Y-%m-%d %H:%M"), "who": current.fixed_by},
                field="reason",
            )
        points, _skipped = control.series_points(series)
        if chosen:
            used = [p for p in points if p.run_id in wanted]
            missing = sorted(wanted - {p.run_id for p in used})
            if missing:
                raise ApplicationError(
                    _("Runs %(runs)s hold no accepted result of %(series)s: choose accepted runs that measured it.")
                    % {"runs": ", ".join(map(str, missing)), "series": series.name},
                    field="runs",
                )
        else:
            used = [p for p in points if period_start <= p.at <= period_end]  # type: ignore[operator]
        where = _("these runs") if chosen else _("this period")
        if len(used) < MIN_POINTS:
            raise ApplicationError(
                _(
                    "%(where)s holds %(n)s results of %(series)s by %(method)s; a baseline needs at least %(min)s. "
                    "Widen the period or choose more runs."
                )
                % {"where": where, "n": len(used), "series": series.name, "method": method.code, "min": MIN_POINTS},
                field="runs" if chosen else "period_start",
            )
        limits = control_limits(p.value for p in used)
        mean, sd = limits["mean"], limits["sd"]
        if mean is None or sd is None:  # pragma: no cover - two or more values always have both
            raise AssertionError("control_limits of two or more values gives a mean and a standard deviation")
        sd = sd.quantize(PLACES)
        if sd <= 0:
            raise ApplicationError(
                _("The %(n)s results of %(where)s are all equal: limits without spread cannot judge anything.")
                % {"n": len(used), "where": where},
                field="runs" if chosen else "period_start",
            )
        now = timezone.now()
        if current is not None:
            current.replaced_at, current.replaced_by = now, actor
            current.save(update_fields=["replaced_at", "replaced_by"])
        baseline = ControlBaseline(
            kind=kind, method=method, analyte=analyte, reference_material=reference_material,
            period_start=period_start, period_end=period_end, unit=series.unit, n=len(used),
            mean=mean.quantize(PLACES), sd=sd, reason=reason, fixed_by=actor, fixed_at=now,
            points=[
                {"check": p.check_id, "run": p.run_id, "at": p.at.isoformat(), "value": digits(p.value)} for p in used
            ],
        )  # fmt: skip
        baseline.full_clean()
        try:
            with transaction.atomic():
                baseline.save()
        except IntegrityError:
            raise Conflict(
                _("Another baseline of %(series)s was fixed at the same moment; reload the chart and look again.")
                % {"series": series.name}
            ) from None
        baseline.runs.set(sorted({p.run_id for p in used}))
        audit_record(
            actor=actor,
            action=AuditAction.CONTROL_BASELINE_FIX,
            obj=baseline,
            data={
                "series": series.title, "n": baseline.n, "mean": digits(baseline.mean), "sd": digits(baseline.sd),
                "period": [period_start.isoformat(), period_end.isoformat()] if period_start and period_end else None,
                "runs": sorted(wanted) if chosen else None, "replaces": current.pk if current else None,
                "reason": reason,
            },
        )  # fmt: skip
    return baseline
