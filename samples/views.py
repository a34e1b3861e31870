"""Web pages for lots, samples and their custody.

A page reads through samples.selectors (so another organisation's objects are 404) and writes
through one service of samples.services. A service's refusal is shown next to the field it names,
with the status code of the refusal (400, 403 or 409); services are atomic, so a refused request
has changed nothing.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lims import permissions
from lims.exceptions import ApplicationError
from samples import forms, selectors, services
from samples.models import CustodyEvent, Sample

Action = CustodyEvent.Action
PAGE_SIZE = 25
# What the button and the page of each custody step say.
STEP_TITLES = {
    Action.SEAL: gettext_lazy("Seal"),
    Action.HAND_OVER: gettext_lazy("Hand over"),
    Action.RECEIVE: gettext_lazy("Receive"),
    Action.PREPARE: gettext_lazy("Start preparation"),
    Action.STORE: gettext_lazy("Store in archive"),
    Action.DISPOSE: gettext_lazy("Dispose"),
}


def _data(request):
    return request.POST if request.method == "POST" else None


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _filters(form) -> dict:
    # An unrecognised filter value is dropped (and shown as an error); the others still apply.
    if not form.is_bound:
        return {}
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if value not in ("", None)}


def _require(user, action: str, obj=None) -> None:
    """Refuse the page of an action the user's role does not allow at all; the service decides
    everything else when the form is sent."""
    if not permissions.can(user, action, obj):
        raise PermissionDenied


# Lots -----------------------------------------------------------------------------------------


@login_required
def lot_list(request):
    form = forms.LotFilterForm(request.GET or None, user=request.user)
    lots = selectors.lot_list(request.user, **_filters(form))
    return render(request, "samples/lot_list.html", {"form": form, "page_obj": _page(request, lots)})


@login_required
def lot_create(request):
    _require(request.user, "lot.register")
    form = forms.LotForm(_data(request), user=request.user)
    status = 200
    if form.is_valid():
        try:
            lot = services.lot_register(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            forms.show_refusal(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Lot %(lot)s is registered.") % {"lot": lot.lot_number})
            return redirect("lot_detail", lot_pk=lot.pk)
    return render(request, "samples/lot_form.html", {"form": form}, status=status)


@login_required
def lot_detail(request, lot_pk):
    lot = selectors.lot_get(request.user, lot_pk)
    context = {
        "lot": lot,
        "tree": selectors.lot_sample_tree(request.user, lot),
        "can_register": permissions.can(request.user, "sample.collect", lot),
    }
    return render(request, "samples/lot_detail.html", context)


# Samples --------------------------------------------------------------------------------------


@login_required
def sample_register(request, lot_pk):
    lot = selectors.lot_get(request.user, lot_pk)
    _require(request.user, "sample.collect", lot)
    form = forms.CompositeForm(_data(request))
    formset = forms.SplitFormSet(_data(request), prefix="splits")
    status = 200
    # Both are validated, so every mistake shows at once.
    if all([form.is_valid(), formset.is_valid()]):
        try:
            composite, splits = services.sample_register(
                actor=request.user, lot=lot, splits=formset.specs(), **form.cleaned_data
            )
        except ApplicationError as exc:
            if exc.field in form.fields or exc.field not in ("splits", *forms.SplitForm.base_fields):
                forms.show_refusal(form, exc)
            else:
                formset.show_refusal(exc)
            status = exc.status_code
        else:
            messages.success(
                request,
                _("Sample %(code)s is registered and split into %(splits)s.")
                % {"code": composite.code, "splits": ", ".join(split.code for split in splits)},
            )
            return redirect("lot_detail", lot_pk=lot.pk)
    context = {"lot": lot, "form": form, "formset": formset}
    return render(request, "samples/sample_register.html", context, status=status)


@login_required
def sample_list(request):
    form = forms.SampleFilterForm(request.GET or None)
    filters = _filters(form)
    if filters.pop("mine", False):
        filters["custodian"] = request.user
    samples = selectors.sample_list(request.user, **filters)
    return render(request, "samples/sample_list.html", {"form": form, "page_obj": _page(request, samples)})


@login_required
def sample_detail(request, code):
    sample = selectors.sample_get(request.user, code)
    events, report = selectors.sample_timeline(sample)
    context = {
        "sample": sample,
        "events": events,
        "report": report,
        "actions": [
            (f"sample_{action}", STEP_TITLES[action]) for action in selectors.sample_actions(request.user, sample)
        ],
    }
    return render(request, "samples/sample_detail.html", context)


@login_required
def sample_label(request, code):
    sample = selectors.sample_get(request.user, code)
    # A full QR code: for short data segno would pick a Micro QR, which scanners commonly cannot read.
    qr = segno.make(sample.code, error="m", micro=False).png_data_uri(scale=6)
    return render(request, "samples/sample_label.html", {"sample": sample, "qr": qr})


# Custody steps --------------------------------------------------------------------------------


def _custody_step(request, code, *, action: str, form_class, service):
    sample = selectors.sample_get(request.user, code)
    _require(request.user, selectors.CUSTODY_STEPS[action], sample)
    form = form_class(_data(request), user=request.user)
    status = 200
    if form.is_valid():
        try:
            sample = service(actor=request.user, sample=sample, **form.cleaned_data)
        except ApplicationError as exc:
            forms.show_refusal(form, exc)
            status = exc.status_code
        else:
            if sample.status == Sample.Status.ON_HOLD:
                messages.warning(
                    request,
                    _(
                        "The seal check failed: %(code)s is on hold and a nonconformance was raised "
                        "for the lab manager. Do not start work on it."
                    )
                    % {"code": sample.code},
                )
            else:
                messages.success(
                    request,
                    _("%(step)s: %(code)s.") % {"step": Action(action).label, "code": sample.code},
                )
            return redirect("sample_detail", code=sample.code)
    context = {"sample": sample, "form": form, "action": action, "title": STEP_TITLES[action]}
    return render(request, "samples/custody_step.html", context, status=status)


@login_required
def sample_seal(request, code):
    return _custody_step(request, code, action=Action.SEAL, form_class=forms.SealForm, service=services.sample_seal)


@login_required
def sample_hand_over(request, code):
    return _custody_step(
        request, code, action=Action.HAND_OVER, form_class=forms.HandOverForm, service=services.sample_hand_over
    )


@login_required
def sample_receive(request, code):
    return _custody_step(
        request, code, action=Action.RECEIVE, form_class=forms.ReceiveForm, service=services.sample_receive
    )


@login_required
def sample_prepare(request, code):
    return _custody_step(
        request, code, action=Action.PREPARE, form_class=forms.CustodyStepForm, service=services.sample_prepare
    )


@login_required
def sample_store(request, code):
    return _custody_step(
        request, code, action=Action.STORE, form_class=forms.CustodyStepForm, service=services.sample_store
    )


@login_required
def sample_dispose(request, code):
    return _custody_step(
        request, code, action=Action.DISPOSE, form_class=forms.DisposeForm, service=services.sample_dispose
    )


# Nonconformances ------------------------------------------------------------------------------


@login_required
def nonconformance_list(request):
    form = forms.NonconformanceFilterForm(request.GET or None)
    items = selectors.nonconformance_worklist(request.user, **_filters(form))
    context = {
        "form": form,
        "page_obj": _page(request, items),
        "can_resolve": permissions.can(request.user, "nonconformance.resolve"),
    }
    return render(request, "samples/nonconformance_list.html", context)


@login_required
def nonconformance_resolve(request, nc_pk):
    nonconformance = selectors.nonconformance_get(request.user, nc_pk)
    _require(request.user, "nonconformance.resolve", nonconformance)
    form = forms.ResolveForm(_data(request))
    status = 200
    if form.is_valid():
        try:
            nonconformance = services.nonconformance_resolve(
                actor=request.user, nonconformance=nonconformance, **form.cleaned_data
            )
        except ApplicationError as exc:
            forms.show_refusal(form, exc)
            status = exc.status_code
        else:
            messages.success(
                request,
                _("Nonconformance on %(code)s: %(decision)s.")
                % {"code": nonconformance.sample.code, "decision": nonconformance.get_status_display().lower()},
            )
            return redirect("nonconformance_list")
    context = {"nonconformance": nonconformance, "form": form}
    return render(request, "samples/nonconformance_resolve.html", context, status=status)
