"""The retained portions page of a sample: where each portion is kept and until when, a form to keep
one, to move it, and (for a lab manager, after its retention date) to dispose of it. Every action is
a link of the sample's custody chain (samples.portions)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from lims import permissions
from lims.web import flash_and_redirect, post_data, submit
from samples import portion_forms, portions, selectors


def _sample(request, code):
    if not permissions.works_in_lab(request.user):
        raise PermissionDenied
    return selectors.sample_get(request.user, code)


def _page(request, sample, **sent) -> dict:
    return {
        "sample": sample,
        "portions": portions.sample_portions(request.user, sample),
        "today": timezone.localdate(),
        "can_retain": permissions.can(request.user, "sample.store", sample),
        "can_dispose": permissions.can(request.user, "sample.dispose", sample),
        "retain_form": sent.get("retain_form") or portion_forms.RetainForm(),
        "move_form": portion_forms.MoveForm(),
        "dispose_form": portion_forms.DisposeForm(),
        "refused_pk": sent.get("refused_pk"),
        "refused_move": sent.get("move_form"),
        "refused_dispose": sent.get("dispose_form"),
    }


@login_required
def sample_portions(request, code):
    sample = _sample(request, code)
    return render(request, "samples/sample_portions.html", _page(request, sample))


@login_required
def portion_retain(request, code):
    sample = _sample(request, code)
    if request.method != "POST":
        return redirect("sample_portions", code=sample.code)
    form = portion_forms.RetainForm(post_data(request))
    return submit(
        request, form, lambda data: portions.portion_retain(actor=request.user, sample=sample, **data),
        done=lambda p: flash_and_redirect(
            request, _("%(portion)s kept at %(location)s.") % {"portion": p.get_kind_display(), "location": p.location},
            "sample_portions", code=sample.code,
        ),
        template="samples/sample_portions.html", context=lambda: _page(request, sample, retain_form=form),
    )  # fmt: skip


def _portion_action(name: str, form_class, service, done_message):
    def view(request, code, portion_pk):
        sample = _sample(request, code)
        portion = get_object_or_404(portions.sample_portions(request.user, sample), pk=portion_pk)
        if request.method != "POST":
            return redirect("sample_portions", code=sample.code)
        form = form_class(post_data(request))
        return submit(
            request, form, lambda data: service(actor=request.user, portion=portion, **data),
            done=lambda p: flash_and_redirect(request, done_message, "sample_portions", code=sample.code),
            template="samples/sample_portions.html",
            context=lambda: _page(request, sample, refused_pk=portion.pk, **{f"{name}_form": form}),
        )  # fmt: skip

    view.__name__ = view.__qualname__ = f"portion_{name}"
    return login_required(view)


portion_move = _portion_action("move", portion_forms.MoveForm, portions.portion_move, _("Portion moved."))
portion_dispose = _portion_action(
    "dispose", portion_forms.DisposeForm, portions.portion_dispose, _("Portion disposed of.")
)
