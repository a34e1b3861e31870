"""Web pages of QC over time: the control series of reference materials and blanks, each drawn
against the baseline a lab manager fixed (assays.control), and the manager's form that fixes or
replaces it (assays.services.baselines). The laboratory's staff only: exporters and customs get 403.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from assays import charts, control
from assays.baseline_models import ControlKind
from assays.control_forms import BaselineForm
from assays.models import Analyte, Method, ReferenceMaterial, Run
from assays.services.baselines import MIN_POINTS, control_baseline_fix
from lims import permissions
from lims.web import flash_and_redirect, post_data, require, submit


def require_lab_qc(user) -> None:
    if not permissions.works_in_lab(user):
        raise PermissionDenied


def series_from_url(kind: str, method: str, symbol: str, crm_pk: int | None = None) -> control.Series:
    """The series a chart's address names; 404 when any part names nothing."""
    crm = get_object_or_404(ReferenceMaterial, pk=crm_pk) if kind == ControlKind.CRM else None
    return control.Series(kind, get_object_or_404(Method, code=method), get_object_or_404(Analyte, symbol=symbol), crm)


@login_required
def chart_index(request):
    require_lab_qc(request.user)
    context = {"rows": control.series_index(), "precision": control.precision_index()}
    return render(request, "assays/chart_index.html", context)


def _chart_page(request, series: control.Series, form: BaselineForm | None = None) -> dict:
    chart = control.chart(series)
    runs = Run.objects.filter(pk__in={p.run_id for p in chart.points}).order_by("-imported_at", "-id")
    return {
        "series": series,
        "chart": chart,
        "svg": charts.control_chart_svg(
            [(p.at, p.value, p.label, p.rules) for p in chart.points],
            title=series.title,
            limits=chart.limits,
            unit_label=series.value_label,
        ),
        "points": list(reversed(chart.points)),
        "history": series.baselines().filter(replaced_at__isnull=False).select_related("fixed_by", "replaced_by"),
        "can_fix": permissions.can(request.user, "qc.baseline.fix"),
        "form": form or BaselineForm(runs=runs),
        "min_points": MIN_POINTS,
    }


@login_required
def chart_detail(request, kind, method, symbol, crm_pk=None):
    require_lab_qc(request.user)
    series = series_from_url(kind, method, symbol, crm_pk)
    return render(request, "assays/chart_detail.html", _chart_page(request, series))


@login_required
def chart_baseline(request, kind, method, symbol, crm_pk=None):
    """Fix (or replace) the series' baseline; a refusal shows on the chart's page, in the form."""
    require_lab_qc(request.user)
    series = series_from_url(kind, method, symbol, crm_pk)
    require(request.user, "qc.baseline.fix")
    if request.method != "POST":
        return redirect(series.url)
    points, _skipped = control.series_points(series)
    form = BaselineForm(post_data(request), runs=Run.objects.filter(pk__in={p.run_id for p in points}))

    def fix(data):
        return control_baseline_fix(
            actor=request.user, kind=series.kind, method=series.method, analyte=series.analyte,
            reference_material=series.crm, **data,
        )  # fmt: skip

    def done(baseline):
        message = _("Baseline of %(series)s fixed: %(n)s results, mean %(mean)s, standard deviation %(sd)s.") % {
            "series": series.name,
            "n": baseline.n,
            "mean": control.significant(baseline.mean, 6),
            "sd": control.significant(baseline.sd, 3),
        }
        return flash_and_redirect(request, message, series.url)

    return submit(
        request, form, fix, done=done, template="assays/chart_detail.html",
        context=lambda: _chart_page(request, series, form),
    )  # fmt: skip


@login_required
def precision_detail(request, method, symbol):
    """Duplicate precision of one analyte by one method: one chart per unit the pairs were read in."""
    require_lab_qc(request.user)
    method_obj, analyte = get_object_or_404(Method, code=method), get_object_or_404(Analyte, symbol=symbol)
    grouped, skipped = control.precision_points(method_obj, analyte)
    title = _("Duplicate precision of %(analyte)s · %(method)s") % {
        "analyte": analyte.symbol,
        "method": method_obj.code,
    }
    charts_by_unit = [
        {
            "unit": unit,
            "svg": charts.precision_chart_svg(
                [(p.mean, p.relative_pct, p.label) for p in points], title=f"{title} ({unit})", unit=unit
            ),
            "points": list(reversed(points)),
        }
        for unit, points in sorted(grouped.items())
    ]
    context = {"method": method_obj, "analyte": analyte, "charts": charts_by_unit, "skipped": skipped, "title": title}
    return render(request, "assays/precision_detail.html", context)
