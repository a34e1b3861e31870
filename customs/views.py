"""Web pages of customs declarations: the list, filing a declaration, a declaration with its findings
(declared and certified side by side, and the valuation's working), the inspectors' queue, and the
review page where an inspector accepts or rejects.

As every app's pages (lims.web): reads through customs.selectors (another organisation's declaration
is 404), writes through one service each, a refusal shown next to the field it names with its 4xx status.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customs import forms, lists, selectors, services
from customs.models import Declaration
from lims import permissions
from lims.exceptions import ApplicationError
from lims.forms import Form
from lims.web import flash_and_redirect, list_page, list_rows, page_of, post_data, require, submit


def _checked(request, declaration: Declaration):
    """Say what the checks found, on the declaration's page."""
    if declaration.status == Declaration.Status.FLAGGED:
        message = _(
            "Declaration %(number)s is flagged for review by a customs inspector: see the blocking findings."
        ) % {"number": declaration.number}
        level = messages.WARNING
    else:
        message = _("Declaration %(number)s is checked: no blocking finding.") % {"number": declaration.number}
        level = messages.SUCCESS
    return flash_and_redirect(request, message, "declaration_detail", declaration_pk=declaration.pk, level=level)


@login_required
def declaration_list(request):
    return list_page(
        request, "customs/declaration_list.html", selectors.DeclarationFilter, selectors.declaration_list(request.user),
        listing=lists.DECLARATIONS, context={"can_file": permissions.can(request.user, "declaration.file")},
    )  # fmt: skip


@login_required
def declaration_create(request):
    """The declaration form, empty or started from one of the exporter's certificates in force
    (?certificate=<number>, from the certificate's page or the choice above the form): filled in from the
    certificate's snapshot, which the exporter adjusts before filing. A number the user may not see is
    404; a certificate no longer in force is refused above the form (409). Once the form is sent, the
    rows keep the certificate's layout whatever has become of it: the checks judge the citation."""
    require(request.user, "declaration.file")
    start = forms.StartForm(request.GET if "certificate" in request.GET else None, user=request.user)
    prefill, refused = None, None
    if start.is_bound and not start.is_valid():
        refused = 400
    elif start.is_bound and start.cleaned_data["certificate"]:
        certificate = selectors.certificate_to_declare(request.user, start.cleaned_data["certificate"])
        try:
            if request.method != "POST":
                selectors.require_in_force(certificate)
            prefill = selectors.declaration_prefill(certificate)
        except ApplicationError as exc:
            start.add_error("certificate", exc.message)
            refused = exc.status_code
    form = forms.DeclarationForm(post_data(request), user=request.user, prefill=prefill)
    formset = forms.component_formset(post_data(request), prefill=prefill)
    template = "customs/declaration_form.html"
    context = {"form": form, "formset": formset, "start": start, "prefill": prefill}
    if refused and request.method != "POST":
        return render(request, template, {**context, "refusal": None}, status=refused)
    return submit(
        request, form, lambda data: services.declaration_file(actor=request.user, components=formset.specs(), **data),
        formset=formset, done=lambda declaration: _checked(request, declaration), template=template, context=context,
    )  # fmt: skip


def _declaration_context(request, declaration: Declaration) -> dict:
    return {
        "declaration": declaration,
        "components": declaration.components.select_related("analyte"),
        "citations": declaration.citations.all(),
        "findings": selectors.declaration_findings(declaration),
        "comparisons": selectors.declaration_comparison(declaration),
        "can_decide": Declaration.LIFECYCLE.allows(declaration, "accept")
        and permissions.can(request.user, "declaration.decide", declaration),
        "can_recheck": Declaration.LIFECYCLE.allows(declaration, "check")
        and permissions.can(request.user, "declaration.recheck", declaration),
    }


@login_required
def declaration_detail(request, declaration_pk):
    declaration = selectors.declaration_get(request.user, declaration_pk)
    return render(request, "customs/declaration_detail.html", _declaration_context(request, declaration))


@login_required
def declaration_queue(request):
    """The inspectors' worklist: flagged declarations, the longest waiting first."""
    require(request.user, "declaration.decide")
    declarations, download = list_rows(request, selectors.review_queue(request.user), lists.DECLARATION_QUEUE)
    if download is not None:
        return download
    context = {"page_obj": page_of(request, declarations), "listing": lists.DECLARATION_QUEUE}
    return render(request, "customs/declaration_queue.html", context)


@login_required
def declaration_review(request, declaration_pk):
    declaration = selectors.declaration_get(request.user, declaration_pk)
    require(request.user, "declaration.decide", declaration)
    form = forms.DecisionForm(post_data(request))

    def done(declaration):
        message = _("Declaration %(number)s: %(status)s.") % {
            "number": declaration.number,
            "status": declaration.get_status_display().lower(),
        }
        return flash_and_redirect(request, message, "declaration_detail", declaration_pk=declaration.pk)

    return submit(
        request, form, lambda data: services.declaration_decide(actor=request.user, declaration=declaration, **data),
        done=done, template="customs/declaration_review.html",
        context=lambda: {**_declaration_context(request, declaration), "form": form},
    )  # fmt: skip


@login_required
def declaration_recheck(request, declaration_pk):
    declaration = selectors.declaration_get(request.user, declaration_pk)
    require(request.user, "declaration.recheck", declaration)
    if request.method != "POST":
        return redirect("declaration_detail", declaration_pk=declaration.pk)
    form = Form(request.POST)
    return submit(
        request, form, lambda data: services.declaration_recheck(actor=request.user, declaration=declaration, **data),
        done=lambda declaration: _checked(request, declaration), template="customs/declaration_detail.html",
        context=lambda: {**_declaration_context(request, declaration), "recheck_form": form},
    )  # fmt: skip
