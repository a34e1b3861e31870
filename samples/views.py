"""Web pages for lots, samples and their custody.

A page reads through samples.selectors (so another organisation's objects are 404) and writes
through one service of samples.services, by lims.web.submit(): a service's refusal is shown next to
the field it names, with the status code of the refusal (400, 403 or 409); services are atomic, so a
refused request has changed nothing.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lims import permissions
from lims.forms import ReasonForm
from lims.web import flash_and_redirect, list_page, post_data, require, submit
from samples import forms, lists, selectors, services
from samples.models import CustodyEvent, Lot, Sample

Action = CustodyEvent.Action
# What the button and the page of each custody step say.
STEP_TITLES = {
    # A verb on the button ("Seal" alone is also the noun of the seal's label).
    Action.SEAL: pgettext_lazy("custody step", "Seal"),
    Action.HAND_OVER: gettext_lazy("Hand over"),
    Action.RECALL: gettext_lazy("Recall hand-over"),
    Action.RECEIVE: gettext_lazy("Receive"),
    Action.PREPARE: gettext_lazy("Start preparation"),
    Action.STORE: gettext_lazy("Store in archive"),
    Action.DISPOSE: gettext_lazy("Dispose"),
}


# Lots -----------------------------------------------------------------------------------------


@login_required
def lot_list(request):
    shown = ["q", "status", "material"]
    # Exporters see their own lots only; an exporter filter would have one choice.
    if permissions.works_in_lab(request.user):
        shown.append("exporter")
    return list_page(
        request, "samples/lot_list.html", selectors.LotFilter, selectors.lot_list(request.user), fields=shown,
        listing=lists.LOTS,
    )  # fmt: skip


@login_required
def lot_create(request):
    require(request.user, "lot.register")
    form = forms.LotForm(post_data(request), user=request.user)

    def done(lot):
        message = _("Lot %(lot)s is registered.") % {"lot": lot.lot_number}
        return flash_and_redirect(request, message, "lot_detail", lot_pk=lot.pk)

    return submit(
        request, form, lambda data: services.lot_register(actor=request.user, **data),
        done=done, template="samples/lot_form.html", context={"form": form},
    )  # fmt: skip


@login_required
def lot_detail(request, lot_pk):
    lot = selectors.lot_get(request.user, lot_pk)
    return render(request, "samples/lot_detail.html", _lot_context(request, lot, ReasonForm()))


def _lot_context(request, lot, close_form) -> dict:
    return {
        "lot": lot,
        "tree": selectors.lot_sample_tree(request.user, lot),
        "can_register": permissions.can(request.user, "sample.collect", lot),
        "can_close": permissions.can(request.user, "lot.close", lot) and Lot.LIFECYCLE.allows(lot, "close"),
        "close_form": close_form,
    }


@login_required
def lot_close(request, lot_pk):
    """The lab manager closes a lot once its composition is settled (samples.services.lot_close)."""
    lot = selectors.lot_get(request.user, lot_pk)
    require(request.user, "lot.close", lot)
    if request.method != "POST":
        return redirect("lot_detail", lot_pk=lot.pk)
    form = ReasonForm(request.POST)

    def done(closed):
        return flash_and_redirect(
            request, _("Lot %(number)s is closed: no sample is taken from it any more.") % {"number": closed.lot_number},
            "lot_detail", lot_pk=closed.pk,
        )  # fmt: skip

    return submit(
        request, form, lambda data: services.lot_close(actor=request.user, lot=lot, note=data["reason"]),
        done=done, template="samples/lot_detail.html", context=lambda: _lot_context(request, lot, form),
    )  # fmt: skip


# Samples --------------------------------------------------------------------------------------


@login_required
def sample_register(request, lot_pk):
    lot = selectors.lot_get(request.user, lot_pk)
    require(request.user, "sample.collect", lot)
    form = forms.CompositeForm(post_data(request))
    formset = forms.SplitFormSet(post_data(request), prefix="splits")

    def register(data):
        return services.sample_register(actor=request.user, lot=lot, splits=formset.specs(), **data)

    def done(registered):
        composite, splits = registered
        message = _("Sample %(code)s is registered and split into %(splits)s.") % {
            "code": composite.code,
            "splits": ", ".join(split.code for split in splits),
        }
        return flash_and_redirect(request, message, "lot_detail", lot_pk=lot.pk)

    context = {"lot": lot, "form": form, "formset": formset}
    return submit(
        request, form, register, formset=formset, done=done, template="samples/sample_register.html", context=context
    )


@login_required
def sample_list(request):
    return list_page(
        request, "samples/sample_list.html", selectors.SampleFilter, selectors.sample_list(request.user),
        fields=["q", "status", "purpose", "mine", "work"], listing=lists.SAMPLES,
    )  # fmt: skip


@login_required
def sample_detail(request, code):
    sample = selectors.sample_get(request.user, code)
    events, report = selectors.sample_timeline(sample)
    context = {
        "sample": sample,
        "events": events,
        "report": report,
        "actions": [
            (f"sample_{action}", STEP_TITLES[action])
            for action in selectors.sample_actions(request.user, sample)
            if action in STEP_TITLES  # a split is made when the sample is registered
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


def _custody_step(action: str, form_class, service):
    """The page of one custody step: its form, and the service that takes the step."""

    def view(request, code):
        sample = selectors.sample_get(request.user, code)
        require(request.user, f"sample.{action}", sample)
        form = form_class(post_data(request), user=request.user, sample=sample)

        def done(sample):
            if sample.status == Sample.Status.ON_HOLD:
                message = _(
                    "The seal check failed: %(code)s is on hold and a nonconformance was raised "
                    "for the lab manager. Do not start work on it."
                ) % {"code": sample.code}
                return flash_and_redirect(request, message, "sample_detail", code=sample.code, level=messages.WARNING)
            message = _("%(step)s: %(code)s.") % {"step": Action(action).label, "code": sample.code}
            return flash_and_redirect(request, message, "sample_detail", code=sample.code)

        context = {
            "sample": sample,
            "form": form,
            "action": action,
            "title": STEP_TITLES[action],
            # A recall takes back the hand-over the sample travels on: the page names it.
            "hand_over": selectors.pending_hand_over(sample) if action == Action.RECALL else None,
        }
        return submit(
            request, form, lambda data: service(actor=request.user, sample=sample, **data),
            done=done, template="samples/custody_step.html", context=context,
        )  # fmt: skip

    view.__name__ = view.__qualname__ = f"sample_{action}"
    return login_required(view)


sample_seal = _custody_step(Action.SEAL, forms.SealForm, services.sample_seal)
sample_hand_over = _custody_step(Action.HAND_OVER, forms.HandOverForm, services.sample_hand_over)
sample_recall = _custody_step(Action.RECALL, forms.RecallForm, services.sample_recall)
sample_receive = _custody_step(Action.RECEIVE, forms.ReceiveForm, services.sample_receive)
sample_prepare = _custody_step(Action.PREPARE, forms.CustodyStepForm, services.sample_prepare)
sample_store = _custody_step(Action.STORE, forms.CustodyStepForm, services.sample_store)
sample_dispose = _custody_step(Action.DISPOSE, forms.DisposeForm, services.sample_dispose)


# Nonconformances ------------------------------------------------------------------------------


@login_required
def nonconformance_list(request):
    return list_page(
        request, "samples/nonconformance_list.html", selectors.NonconformanceFilter,
        selectors.nonconformance_worklist(request.user), listing=lists.NONCONFORMANCES,
        context={"can_resolve": permissions.can(request.user, "nonconformance.resolve")},
    )  # fmt: skip


@login_required
def nonconformance_resolve(request, nc_pk):
    nonconformance = selectors.nonconformance_get(request.user, nc_pk)
    require(request.user, "nonconformance.resolve", nonconformance)
    form = forms.ResolveForm(post_data(request))

    def done(nonconformance):
        message = _("Nonconformance on %(code)s: %(decision)s.") % {
            "code": nonconformance.sample.code,
            "decision": nonconformance.get_status_display().lower(),
        }
        return flash_and_redirect(request, message, "nonconformance_list")

    return submit(
        request, form,
        lambda data: services.nonconformance_resolve(actor=request.user, nonconformance=nonconformance, **data),
        done=done, template="samples/nonconformance_resolve.html",
        context={"nonconformance": nonconformance, "form": form},
    )  # fmt: skip
