"""Web pages of customs declarations: the list, filing a declaration, a declaration with its findings
(declared and certified side by side, and the valuation's working), the inspectors' queue, and the
review page where an inspector accepts or rejects.

As in samples.views: reads through customs.selectors (another organisation's declaration is 404),
writes through one service each, a refusal shown next to the field it names with its 4xx status.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customs import forms, selectors, services
from customs.models import Declaration
from lims import permissions
from lims.exceptions import ApplicationError
from samples.forms import show_refusal
from samples.views import _data, _filters, _page, _require


def _flash_outcome(request, declaration: Declaration) -> None:
    if declaration.status == Declaration.Status.FLAGGED:
        messages.warning(
            request,
            _("Declaration %(number)s is flagged for review by a customs inspector: see the blocking findings.")
            % {"number": declaration.number},
        )
    else:
        messages.success(
            request, _("Declaration %(number)s is checked: no blocking finding.") % {"number": declaration.number}
        )


@login_required
def declaration_list(request):
    form = forms.DeclarationFilterForm(request.GET or None)
    declarations = selectors.declaration_list(request.user, **_filters(form))
    context = {
        "form": form,
        "page_obj": _page(request, declarations),
        "can_file": permissions.can(request.user, "declaration.file"),
    }
    return render(request, "customs/declaration_list.html", context)


@login_required
def declaration_create(request):
    _require(request.user, "declaration.file")
    form = forms.DeclarationForm(_data(request), user=request.user)
    formset = forms.ComponentFormSet(_data(request), prefix="components")
    status = 200
    if form.is_bound:
        status = 400
        # Both are validated, so every mistake shows at once.
        if all([form.is_valid(), formset.is_valid()]):
            try:
                declaration = services.declaration_file(
                    actor=request.user, components=formset.specs(), **form.cleaned_data
                )
            except ApplicationError as exc:
                if exc.field == "components":
                    formset.show_refusal(exc)
                else:
                    show_refusal(form, exc)
                status = exc.status_code
            else:
                _flash_outcome(request, declaration)
                return redirect("declaration_detail", declaration_pk=declaration.pk)
    context = {"form": form, "formset": formset}
    return render(request, "customs/declaration_form.html", context, status=status)


def _declaration_context(request, declaration: Declaration) -> dict:
    return {
        "declaration": declaration,
        "components": declaration.components.select_related("analyte"),
        "citations": declaration.citations.all(),
        "findings": selectors.declaration_findings(declaration),
        "comparisons": selectors.declaration_comparison(declaration),
        "can_decide": not declaration.decided and permissions.can(request.user, "declaration.decide", declaration),
        "can_recheck": not declaration.decided and permissions.can(request.user, "declaration.recheck", declaration),
    }


@login_required
def declaration_detail(request, declaration_pk):
    declaration = selectors.declaration_get(request.user, declaration_pk)
    return render(request, "customs/declaration_detail.html", _declaration_context(request, declaration))


@login_required
def declaration_queue(request):
    """The inspectors' worklist: flagged declarations, the longest waiting first."""
    _require(request.user, "declaration.decide")
    declarations = selectors.review_queue(request.user)
    return render(request, "customs/declaration_queue.html", {"page_obj": _page(request, declarations)})


@login_required
def declaration_review(request, declaration_pk):
    declaration = selectors.declaration_get(request.user, declaration_pk)
    _require(request.user, "declaration.decide", declaration)
    form = forms.DecisionForm(_data(request))
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                declaration = services.declaration_decide(
                    actor=request.user, declaration=declaration, **form.cleaned_data
                )
            except ApplicationError as exc:
                show_refusal(form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("Declaration %(number)s: %(status)s.")
                    % {"number": declaration.number, "status": declaration.get_status_display().lower()},
                )
                return redirect("declaration_detail", declaration_pk=declaration.pk)
    context = {**_declaration_context(request, declaration), "form": form}
    return render(request, "customs/declaration_review.html", context, status=status)


@login_required
def declaration_recheck(request, declaration_pk):
    declaration = selectors.declaration_get(request.user, declaration_pk)
    _require(request.user, "declaration.recheck", declaration)
    if request.method != "POST":
        return redirect("declaration_detail", declaration_pk=declaration.pk)
    try:
        declaration = services.declaration_recheck(actor=request.user, declaration=declaration)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        _flash_outcome(request, declaration)
    return redirect("declaration_detail", declaration_pk=declaration.pk)
