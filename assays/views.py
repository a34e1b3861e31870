"""Web pages of runs, QC and results: upload and preview an instrument run, accept it, enter
manual results in a grid, review results (four eyes), and control charts of reference materials.

As in samples.views: reads through assays.selectors, writes through one service each, a service's
refusal shown next to the field it names with its 4xx status, nothing changed by a refusal.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from assays import charts, forms, selectors, services
from assays.models import Analyte, PanelEntry, ReferenceMaterial, Result, Run
from lims import permissions
from lims.exceptions import ApplicationError
from samples import selectors as sample_selectors
from samples.forms import show_refusal
from samples.views import _data, _filters, _page, _require


def _require_lab(user) -> None:
    if not permissions.sees_lab_work(user):
        raise PermissionDenied


# Runs -----------------------------------------------------------------------------------------


@login_required
def run_list(request):
    _require_lab(request.user)
    form = forms.RunFilterForm(request.GET or None)
    runs = selectors.run_list(request.user, **_filters(form))
    context = {
        "form": form,
        "page_obj": _page(request, runs),
        "can_import": permissions.can(request.user, "run.import"),
    }
    return render(request, "assays/run_list.html", context)


@login_required
def run_upload(request):
    _require(request.user, "run.import")
    form = forms.RunUploadForm(_data(request), request.FILES or None, max_bytes=settings.LIMS_IMPORT_MAX_BYTES)
    status, problems = 200, []
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = services.run_upload(
                actor=request.user, data=data["file"].read(), filename=data["file"].name,
                instrument=data["instrument"], method=data["method"], format=data["format"] or None,
                prep_mass_g=data["prep_mass_g"], prep_volume_ml=data["prep_volume_ml"],
                ccv_nominal=data["ccv_nominal"],
            )  # fmt: skip
        except ApplicationError as exc:
            show_refusal(form, exc)
            problems = exc.extra.get("problems", [])
            status = exc.status_code
        else:
            messages.success(
                request,
                _("Run %(run)s is uploaded and being imported; this page shows when its preview is ready.")
                % {"run": run.pk},
            )
            return redirect("run_detail", run_pk=run.pk)
    elif form.is_bound:
        status = 400
    return render(request, "assays/run_upload.html", {"form": form, "problems": problems}, status=status)


@login_required
def run_detail(request, run_pk):
    _require_lab(request.user)
    run = selectors.run_get(request.user, run_pk)
    undecided_only = request.GET.get("undecided") == "1"
    page_obj, groups = selectors.run_selection(run, page=request.GET.get("page"), undecided_only=undecided_only)
    context = {
        "run": run,
        "preview": selectors.run_preview(run, limit_rows=100),
        "page_obj": page_obj,
        "groups": groups,
        "undecided_only": undecided_only,
        "undecided": services.run_undecided(run) if run.status == Run.Status.PREVIEW else [],
        "checks": selectors.run_qc_checks(run),
        "results": selectors.result_list(request.user, run=run.pk).order_by("sample__code", "analyte__symbol"),
        "can_accept": run.status == Run.Status.PREVIEW and permissions.can(request.user, "run.accept", run),
        "can_withdraw": run.status == Run.Status.ACCEPTED
        and not run.results.filter(status="approved").exists()
        and permissions.can(request.user, "run.withdraw", run),
        "can_override": run.qc_status == Run.QCStatus.FAILED
        and run.status != Run.Status.DISCARDED
        and run.operator_id != request.user.pk
        and permissions.can(request.user, "run.override_qc", run),
        "reason_form": forms.ReasonForm(),
    }
    return render(request, "assays/run_detail.html", context)


def _run_action(request, run_pk, *, action: str, service, done: str, needs_reason: bool = False):
    run = selectors.run_get(request.user, run_pk)
    _require(request.user, action, run)
    if request.method != "POST":
        return redirect("run_detail", run_pk=run.pk)
    form = forms.ReasonForm(request.POST)
    form.is_valid()
    kwargs = {"reason": form.cleaned_data.get("reason", "")} if needs_reason else {}
    try:
        service(actor=request.user, run=run, **kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("run_detail", run_pk=run.pk)
    messages.success(request, done % {"run": run.pk})
    return redirect("run_detail", run_pk=run.pk)


@login_required
def run_accept(request, run_pk):
    return _run_action(
        request, run_pk, action="run.accept", service=services.run_accept,
        done=_("Run %(run)s is accepted: its results await review."),
    )  # fmt: skip


@login_required
def run_discard(request, run_pk):
    return _run_action(
        request, run_pk, action="run.discard", service=services.run_discard, done=_("Run %(run)s is discarded."),
        needs_reason=True,
    )  # fmt: skip


@login_required
def run_withdraw(request, run_pk):
    return _run_action(
        request, run_pk, action="run.withdraw", service=services.run_withdraw,
        done=_("Run %(run)s is withdrawn: its results are gone from review, and the file may be imported again."),
        needs_reason=True,
    )  # fmt: skip


@login_required
def run_choose(request, run_pk):
    """The technician's choice of the reading to report where the selection rule cannot choose."""
    run = selectors.run_get(request.user, run_pk)
    _require(request.user, "run.accept", run)
    if request.method != "POST":
        return redirect("run_detail", run_pk=run.pk)
    form = forms.ReadingChoiceForm(request.POST, run=run)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("run_detail", run_pk=run.pk)
    try:
        services.run_choose_reading(
            actor=request.user, run=run, reading=form.cleaned_data["reading"], reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        reading = form.cleaned_data["reading"]
        messages.success(
            request,
            _("Row %(row)s is reported for %(sample)s %(analyte)s.")
            % {"row": reading.row, "sample": reading.sample_name, "analyte": reading.analyte.symbol},
        )
    return redirect("run_detail", run_pk=run.pk)


def generic_csv_format(request):
    """The description of the generic long CSV, for labs whose instrument export the importers do not read."""
    from assays.importers import generic

    return render(request, "assays/generic_csv.html", {"description": generic.__doc__})


@login_required
def run_override(request, run_pk):
    return _run_action(
        request, run_pk, action="run.override_qc", service=services.run_override_qc,
        done=_("The QC failure of run %(run)s is overridden; its results may now be approved."), needs_reason=True,
    )  # fmt: skip


# Results --------------------------------------------------------------------------------------


@login_required
def result_review(request):
    """The reviewer's worklist: results entered by others, with approve and reject."""
    _require(request.user, "result.approve")
    results = selectors.review_queue(request.user)
    return render(request, "assays/result_review.html", {"page_obj": _page(request, results)})


@login_required
def result_decide(request, result_pk):
    result = selectors.result_get(request.user, result_pk)
    _require(request.user, "result.approve", result)
    if request.method != "POST":
        return redirect("result_review")
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or reject."))
        return redirect("result_review")
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    try:
        if decision == "approve":
            result = services.result_approve(
                actor=request.user, result=result, reason=reason, confirm_flags=form.cleaned_data["confirm_flags"]
            )
        else:
            result = services.result_reject(actor=request.user, result=result, reason=reason)
    except ApplicationError as exc:
        messages.error(request, f"{result.sample.code} {result.analyte.symbol}: {exc.message}")
    else:
        messages.success(
            request,
            _("%(code)s %(analyte)s: %(status)s.")
            % {"code": result.sample.code, "analyte": result.analyte.symbol, "status": result.get_status_display()},
        )
    # `next` comes from the browser: follow it only within this site.
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "result_review"
    return redirect(next_url)


@login_required
def result_list(request):
    _require_lab(request.user)
    form = forms.ResultFilterForm(request.GET or None)
    results = selectors.result_list(request.user, **_filters(form)).order_by("-entered_at")
    return render(request, "assays/result_list.html", {"form": form, "page_obj": _page(request, results)})


@login_required
def sample_results(request, code):
    sample = sample_selectors.sample_get(request.user, code)
    _require_lab(request.user)
    context = {"sample": sample, "rows": selectors.sample_results(sample), "complete": selectors.panel_complete(sample)}
    return render(request, "assays/sample_results.html", context)


@login_required
def result_enter(request):
    """The manual entry grid. GET ?method=<code> picks the method; ?samples=<code,...> narrows the
    rows (default: every sample that may take results and lacks one of the method's analytes)."""
    _require(request.user, "result.enter")
    methods = selectors.manual_methods()
    method = methods.filter(code=request.GET.get("method")).first()
    if method is None:
        return render(request, "assays/result_enter.html", {"methods": methods})
    analytes = list(selectors.method_panel_analytes(method))
    samples = selectors.entry_samples(request.user).order_by("code")
    wanted = [c.strip() for c in request.GET.get("samples", "").split(",") if c.strip()]
    if wanted:
        samples = samples.filter(code__in=wanted)
    else:
        # A sample leaves the grid once every analyte of the method has a current result: one
        # still missing Ag (or whose Ag was rejected for a retest) stays.
        done = (
            Result.objects.filter(analyte__in=analytes, status__in=[Result.Status.ENTERED, Result.Status.APPROVED])
            .values("sample_id")
            .annotate(analytes_done=Count("analyte", distinct=True))
            .filter(analytes_done__gte=len(analytes))
            .values("sample_id")
        )
        samples = samples.exclude(pk__in=done)
    units = dict(PanelEntry.objects.filter(method=method).values_list("analyte_id", "unit"))
    form = forms.ManualGridForm(_data(request), samples=samples[:100], analytes=analytes, units=units)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                results = services.results_enter(actor=request.user, method=method, entries=form.entries)
            except ApplicationError as exc:
                _show_cell_refusal(form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request, _("%(count)d result(s) entered; they await review.") % {"count": len(results)}
                )
                return redirect(f"{request.path}?method={method.code}")
    context = {"methods": methods, "method": method, "form": form, "analytes": analytes}
    return render(request, "assays/result_enter.html", context, status=status)


def _show_cell_refusal(form, exc: ApplicationError) -> None:
    """Put a service's refusal about one sample and analyte next to that cell."""
    code, symbol = exc.extra.get("sample"), exc.extra.get("analyte")
    for sample in form.samples:
        for analyte in form.analytes:
            if sample.code == code and analyte.symbol == symbol:
                form.add_error(form.cell_name(sample, analyte), exc.message)
                return
    form.add_error(None, exc.message)


# Control charts -------------------------------------------------------------------------------


@login_required
def chart_index(request):
    _require_lab(request.user)
    return render(request, "assays/chart_index.html", {"pairs": selectors.control_chart_pairs()})


@login_required
def chart_detail(request, crm_pk, symbol):
    _require_lab(request.user)
    crm = get_object_or_404(ReferenceMaterial, pk=crm_pk)
    analyte = Analyte.objects.filter(symbol=symbol).first()
    if analyte is None:
        raise Http404
    points = selectors.control_chart_points(crm, analyte)
    context = {
        "crm": crm,
        "analyte": analyte,
        "svg": charts.control_chart_svg(points, title=f"{crm.name} · {analyte.symbol}"),
        "limits": charts.control_limits([p[1] for p in points]),
        "points": points,
    }
    return render(request, "assays/chart_detail.html", context)
