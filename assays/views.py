"""Web pages of runs, QC and results: upload and preview an instrument run, accept it, enter
manual results in a grid and review results (four eyes); control charts are assays.control_views.

As every app's pages (lims.web): reads through assays.selectors, writes through one service each, a
service's refusal shown next to the field it names with its 4xx status, nothing changed by a refusal.
A refused action of the run's page (accept, discard, withdraw, override) shows that page again, the
refusal in the action's form.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays import forms, lists, selectors, services
from assays.batch_forms import RunBatchUploadForm
from assays.choices import RowType
from assays.models import PanelEntry, Result, Run
from assays.services import review
from lims import permissions
from lims.exceptions import ApplicationError
from lims.forms import Form, ReasonForm
from lims.web import flash_and_redirect, list_page, list_rows, page_of, post_data, require, submit
from samples import selectors as sample_selectors

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise


def _require_lab(user) -> None:
    if not permissions.sees_lab_work(user):
        raise PermissionDenied


# Runs -----------------------------------------------------------------------------------------


@login_required
def run_list(request):
    _require_lab(request.user)
    return list_page(
        request, "assays/run_list.html", selectors.RunFilter, selectors.run_list(request.user), listing=lists.RUNS,
        context={"can_import": permissions.can(request.user, "run.import")},
    )  # fmt: skip


@login_required
def run_upload(request):
    require(request.user, "run.import")
    form = RunBatchUploadForm(post_data(request), request.FILES or None, max_bytes=settings.LIMS_IMPORT_MAX_BYTES)

    def upload(data):
        return services.run_upload(
            actor=request.user, data=data["file"].read(), filename=data["file"].name,
            instrument=data["instrument"], method=data["method"], format=data["format"] or None,
            prep_mass_g=data["prep_mass_g"], prep_volume_ml=data["prep_volume_ml"], ccv_nominal=data["ccv_nominal"],
            batch=data["batch"],
        )  # fmt: skip

    def done(run):
        message = _("Run %(run)s is uploaded and being imported; this page shows when its preview is ready.") % {
            "run": run.pk
        }
        return flash_and_redirect(request, message, "run_detail", run_pk=run.pk)

    return submit(request, form, upload, done=done, template="assays/run_upload.html", context={"form": form})


@login_required
def run_detail(request, run_pk):
    _require_lab(request.user)
    run = selectors.run_get(request.user, run_pk)
    return render(request, "assays/run_detail.html", _run_page(request, run))


# The run's page in sections, each paged on its own (?qc_page=, ?results_page=, ?readings_page=,
# ?rows_page=) and folded but for the QC checks: a 500-sample run is 30,000 readings, which no page
# lays out at once. The section a link pages through is open when the page comes back.
RUN_SECTION_SIZE = 25


def _run_page(request, run: Run, **sent) -> dict:
    """What the run's page shows; `sent` holds the form of an action as it was sent and refused."""
    undecided_only = request.GET.get("undecided") == "1"
    page_obj, groups = selectors.run_selection(
        run, page=request.GET.get("readings_page"), per_page=RUN_SECTION_SIZE, undecided_only=undecided_only
    )
    undecided = services.run_undecided(run) if Run.LIFECYCLE.allows(run, "choose_reading") else []
    checks = selectors.run_qc_checks(run)
    failed_checks = checks.filter(passed=False).count()
    results = selectors.result_list(request.user).filter(run=run).order_by("sample__code", "analyte__symbol")
    return {
        "run": run,
        # The summary counts rows by their type's stored value; the page names each type.
        "row_counts": [
            (RowType(kind).label if kind in RowType.values else kind, count)
            for kind, count in run.summary.get("rows_by_type", {}).items()
            if count
        ],
        "preview": selectors.run_preview(run, limit_rows=RUN_SECTION_SIZE, page=request.GET.get("rows_page")),
        "page_obj": page_obj,
        "groups": groups,
        "undecided_only": undecided_only,
        "undecided": undecided,
        # Failures first (run_qc_checks' order), so the first page holds them.
        "checks": Paginator(checks, RUN_SECTION_SIZE).get_page(request.GET.get("qc_page")),
        "failed_checks": failed_checks,
        "results": Paginator(results, RUN_SECTION_SIZE).get_page(request.GET.get("results_page")),
        "open_sections": {
            # A passed run says so in its verdict; its checks fold away until asked for.
            "qc": bool(failed_checks) or "qc_page" in request.GET,
            "results": "results_page" in request.GET,
            "readings": bool(undecided) or undecided_only or "readings_page" in request.GET,
            "rows": "rows_page" in request.GET,
        },
        "can_accept": Run.LIFECYCLE.allows(run, "accept") and permissions.can(request.user, "run.accept", run),
        "can_withdraw": Run.LIFECYCLE.allows(run, "withdraw")
        and not run.results.filter(status="approved").exists()
        and permissions.can(request.user, "run.withdraw", run),
        "can_override": Run.QC_LIFECYCLE.allows(run, "override")
        and Run.LIFECYCLE.allows(run, "override_qc")
        and run.operator_id != request.user.pk
        and permissions.can(request.user, "run.override_qc", run),
        "accept_form": Form(),
        "discard_form": ReasonForm(),
        "withdraw_form": ReasonForm(),
        "override_qc_form": ReasonForm(),
        **sent,
    }


def _run_action(action: str, service, done: "StrOrPromise", form_class=ReasonForm):
    """A button of the run's page: permission `run.<action>`, the service it calls, what the page says
    once it is done. A refusal shows on the run's page, in the action's form."""

    def view(request, run_pk):
        run = selectors.run_get(request.user, run_pk)
        require(request.user, f"run.{action}", run)
        if request.method != "POST":
            # The page's own links (pages, "show only those") keep working after a refusal shown here.
            query = f"?{request.GET.urlencode()}" if request.GET else ""
            return redirect(reverse("run_detail", kwargs={"run_pk": run.pk}) + query)
        form = form_class(request.POST)
        return submit(
            request, form, lambda data: service(actor=request.user, run=run, **data),
            done=lambda _: flash_and_redirect(request, done % {"run": run.pk}, "run_detail", run_pk=run.pk),
            template="assays/run_detail.html", context=lambda: _run_page(request, run, **{f"{action}_form": form}),
        )  # fmt: skip

    view.__name__ = view.__qualname__ = f"run_{action}"
    return login_required(view)


run_accept = _run_action(
    "accept", services.run_accept, gettext_lazy("Run %(run)s is accepted: its results await review."), form_class=Form
)
run_discard = _run_action("discard", services.run_discard, gettext_lazy("Run %(run)s is discarded."))
run_withdraw = _run_action(
    "withdraw",
    services.run_withdraw,
    gettext_lazy("Run %(run)s is withdrawn: its results are gone from review, and the file may be imported again."),
)
run_override = _run_action(
    "override_qc",
    services.run_override_qc,
    gettext_lazy("The QC failure of run %(run)s is overridden; its results may now be approved."),
)


@login_required
def run_choose(request, run_pk):
    """The technician's choice of the reading to report where the selection rule cannot choose."""
    run = selectors.run_get(request.user, run_pk)
    require(request.user, "run.accept", run)
    if request.method != "POST":
        return redirect("run_detail", run_pk=run.pk)
    form = forms.ReadingChoiceForm(request.POST, run=run)

    def done(decision):
        reading = form.cleaned_data["reading"]
        message = _("Row %(row)s is reported for %(sample)s %(analyte)s.") % {
            "row": reading.row,
            "sample": reading.sample_name,
            "analyte": reading.analyte.symbol,
        }
        return flash_and_redirect(request, message, "run_detail", run_pk=run.pk)

    # A refusal shows in the form of the sample and analyte it was sent for, with its 4xx status.
    return submit(
        request, form,
        lambda data: services.run_choose_reading(actor=request.user, run=run, reading=data["reading"], reason=data["reason"]),
        done=done, template="assays/run_detail.html", context=lambda: _run_page(request, run, choose_form=form),
    )  # fmt: skip


def generic_csv_format(request):
    """The description of the generic long CSV (assays.importers.generic), for labs whose instrument export
    the importers do not read: written in the template, so it reads in the reader's language."""
    return render(request, "assays/generic_csv.html")


# Results --------------------------------------------------------------------------------------


def _review_filter(request) -> selectors.ReviewFilter:
    return selectors.ReviewFilter(request.GET, queryset=selectors.review_queue(request.user))


def _review_page(request, **sent) -> dict:
    """The reviewer's worklist as filtered (sample, run, method) and sorted: the results ready for a
    decision, those whose dry basis waits for the moisture apart, how many of the reviewer's own are
    left out, and the bulk form for all of them; `sent` holds a form as it was sent and refused."""
    filters = _review_filter(request)
    queue = lists.REVIEW.sort(request, filters.qs)
    narrowed = filters.narrowed
    own = selectors.ReviewFilter(request.GET, queryset=selectors.review_candidates(request.user)).qs.count() - (
        queue.count()
    )
    data = filters.form.cleaned_data if filters.is_valid() else {}
    return {
        "filter": filters,
        "page_obj": page_of(request, queue.exclude(selectors.AWAITING_MOISTURE)),
        "awaiting_moisture": queue.filter(selectors.AWAITING_MOISTURE)[:200],
        "awaiting_count": queue.filter(selectors.AWAITING_MOISTURE).count(),
        "own_count": own,
        "narrowed": narrowed,
        "bulk_form": forms.BulkReviewForm(initial={k: data.get(k) for k in selectors.ReviewFilter.base_filters}),
        "query": request.GET.urlencode(),
        "listing": lists.REVIEW,
        **sent,
    }


@login_required
def result_review(request):
    """The reviewer's worklist: results entered by others, with approve and reject, one by one or all
    those the filter shows at once. Its export holds all of them, those waiting for the moisture too."""
    require(request.user, "result.approve")
    _queue, download = list_rows(request, _review_filter(request).qs, lists.REVIEW)
    if download is not None:
        return download
    return render(request, "assays/result_review.html", _review_page(request))


def _outcome_message(outcome: review.ReviewOutcome) -> str:
    done = (
        _("%(count)d result(s) approved.") if outcome.decision == review.APPROVE else _("%(count)d result(s) rejected.")
    ) % {"count": len(outcome.decided)}
    parts = [done]
    for reason, text in review.SKIP_REASONS.items():
        skipped = outcome.skipped_for(reason)
        if skipped:
            names = ", ".join(f"{s.result.sample.code} {s.result.analyte.symbol}" for s in skipped[:20])
            more = "…" if len(skipped) > 20 else ""
            parts.append(
                _("Skipped %(count)d — %(why)s %(names)s%(more)s")
                % {"count": len(skipped), "why": text, "names": names, "more": more}
            )
    return " ".join(parts)


@login_required
def result_review_bulk(request):
    """Approve or reject every entered result the review page's filter shows (assays.services.review);
    what was skipped, and why, is said on the review page it returns to."""
    require(request.user, "result.approve")
    if request.method != "POST":
        return redirect("result_review")
    form = forms.BulkReviewForm(request.POST)

    def decide(data):
        criteria = {k: data[k] for k in selectors.ReviewFilter.base_filters}
        filters = selectors.ReviewFilter(criteria, queryset=selectors.review_candidates(request.user))
        if not filters.narrowed:
            raise ApplicationError(
                _("Filter the results by sample, run, batch or method before deciding on all of them.")
            )
        return review.results_review(
            actor=request.user, results=filters.qs, decision=data["decision"], reason=data["reason"],
            confirm_flags=data["confirm_flags"],
        )  # fmt: skip

    def done(outcome):
        query = urlencode(
            {k: v for k, v in form.cleaned_data.items() if k in selectors.ReviewFilter.base_filters and v}
        )
        level = messages.WARNING if outcome.skipped else messages.SUCCESS
        return flash_and_redirect(
            request, _outcome_message(outcome), reverse("result_review") + (f"?{query}" if query else ""), level=level
        )

    return submit(
        request, form, decide, done=done, template="assays/result_review.html",
        context=lambda: _review_page(request, bulk_form=form),
    )  # fmt: skip


@login_required
def result_decide(request, result_pk):
    result = selectors.result_get(request.user, result_pk)
    require(request.user, "result.approve", result)
    if request.method != "POST":
        return redirect("result_review")
    form = forms.DecisionForm(request.POST)

    def decide(data):
        if data["decision"] == "approve":
            return services.result_approve(
                actor=request.user, result=result, reason=data["reason"], confirm_flags=data["confirm_flags"]
            )
        return services.result_reject(actor=request.user, result=result, reason=data["reason"])

    def done(decided):
        # `next` comes from the browser: follow it only within this site.
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
            next_url = "result_review"
        message = _("%(code)s %(analyte)s: %(status)s.") % {
            "code": decided.sample.code,
            "analyte": decided.analyte.symbol,
            "status": decided.get_status_display(),
        }
        return flash_and_redirect(request, message, next_url)

    # A refusal shows on the worklist, in the row of the result it was sent for, with its 4xx status.
    return submit(
        request, form, decide, done=done, template="assays/result_review.html",
        context=lambda: _review_page(request, decide_form=form, decided=result.pk),
    )  # fmt: skip


@login_required
def result_list(request):
    _require_lab(request.user)
    results = selectors.result_list(request.user).order_by(*selectors.NEWEST_RESULTS)
    return list_page(
        request, "assays/result_list.html", selectors.ResultFilter, results, fields=["status", "sample"],
        listing=lists.RESULTS,
    )  # fmt: skip


@login_required
def sample_results(request, code):
    sample = sample_selectors.sample_get(request.user, code)
    _require_lab(request.user)
    context = {
        "sample": sample,
        "rows": selectors.sample_results(sample),
        "complete": selectors.panel_complete(sample),
        "history": selectors.sample_result_history(sample),
    }
    return render(request, "assays/sample_results.html", context)


@login_required
def result_enter(request):
    """The manual entry grid. GET ?method=<code> picks the method; ?samples=<code,...> narrows the
    rows (default: every sample that may take results and lacks one of the method's analytes)."""
    require(request.user, "result.enter")
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
    rows = list(samples[:100])
    form = forms.ManualGridForm(post_data(request), samples=rows, analytes=analytes, units=units)
    # Why the retests in this grid were asked for, beside it.
    rejections = (
        selectors.open_rejections()
        .filter(sample__in=rows, analyte__in=analytes)
        .select_related("sample", "analyte", "decided_by")
    )

    def done(results):
        message = _("%(count)d result(s) entered; they await review.") % {"count": len(results)}
        return flash_and_redirect(request, message, f"{request.path}?method={method.code}")

    return submit(
        request, form, lambda data: services.results_enter(actor=request.user, method=method, entries=form.entries),
        show=form.show_refusal, done=done, template="assays/result_enter.html",
        context={"methods": methods, "method": method, "form": form, "analytes": analytes, "rejections": rejections},
    )  # fmt: skip
