"""The sample's preparation page: the record of its steps (weights, moisture, sizing checks, the
aliquot per method) and a form per step. Each form posts to its own address and runs one service
(assays.services.preparation); a refusal shows the page again with the error next to its field."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assays import preparation, preparation_forms
from assays.services import preparation as services
from lims import permissions
from lims.web import flash_and_redirect, post_data, submit
from samples import portions
from samples import selectors as sample_selectors

# The step forms of the page: the address's name, the form, the service it feeds.
STEPS = {
    "drying": (preparation_forms.DryingForm, services.prep_drying),
    "sizing": (preparation_forms.SizingForm, services.prep_sizing),
    "aliquot": (preparation_forms.AliquotForm, services.prep_aliquot),
    "step": (preparation_forms.PlainStepForm, services.prep_step),
}


def _sample(request, code):
    if not permissions.sees_lab_work(request.user):
        raise PermissionDenied
    return sample_selectors.sample_get(request.user, code)


def _page(request, sample, **sent) -> dict:
    steps, per_method = preparation.sample_preparation(sample)
    methods = preparation.sample_methods(sample)
    forms = {
        f"{name}_form": sent.get(f"{name}_form") or form_class(methods=methods)
        for name, (form_class, _service) in STEPS.items()
    }
    return {
        "sample": sample,
        "steps": steps,
        "per_method": per_method,
        "portions": portions.sample_portions(request.user, sample),
        "can_prepare": permissions.can(request.user, "sample.prepare", sample),
        **forms,
    }


@login_required
def sample_preparation(request, code):
    sample = _sample(request, code)
    return render(request, "assays/sample_preparation.html", _page(request, sample))


@login_required
def sample_preparation_step(request, code, step):
    sample = _sample(request, code)
    if step not in STEPS:
        raise Http404
    if request.method != "POST":
        return redirect("sample_preparation", code=sample.code)
    if not permissions.can(request.user, "sample.prepare", sample):
        raise PermissionDenied
    form_class, service = STEPS[step]
    form = form_class(post_data(request), methods=preparation.sample_methods(sample))

    def done(recorded):
        message = _("%(step)s of %(code)s recorded.") % {"step": recorded.get_kind_display(), "code": sample.code}
        return flash_and_redirect(request, message, "sample_preparation", code=sample.code)

    return submit(
        request, form, lambda data: service(actor=request.user, sample=sample, **data), done=done,
        template="assays/sample_preparation.html", context=lambda: _page(request, sample, **{f"{step}_form": form}),
    )  # fmt: skip
