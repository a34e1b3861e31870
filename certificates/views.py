"""Web pages of certificates: the list, the request, the progress page that updates by itself,
the download, revocation, amendment and retry. Exporters see and download only their own
organisation's certificates (lims.permissions.visible via certificates.selectors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certificates import forms, selectors, services
from certificates.snapshot import headline_items
from lims import permissions
from lims.exceptions import ApplicationError
from samples.forms import show_refusal
from samples.views import _data, _filters, _page, _require


@login_required
def certificate_list(request):
    form = forms.CertificateFilterForm(request.GET or None)
    certificates = selectors.certificate_list(request.user, **_filters(form))
    context = {
        "form": form,
        "page_obj": _page(request, certificates),
        "can_request": permissions.can(request.user, "certificate.request"),
    }
    return render(request, "certificates/certificate_list.html", context)


@login_required
def certificate_request(request):
    _require(request.user, "certificate.request")
    samples = selectors.certifiable_samples(request.user)
    initial = {"sample": request.GET.get("sample")} if request.GET.get("sample") else None
    form = forms.RequestForm(_data(request), samples=samples, initial=initial)
    status = 200
    if form.is_valid():
        try:
            certificate = services.certificate_request(actor=request.user, sample=form.cleaned_data["sample"])
        except ApplicationError as exc:
            show_refusal(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("The certificate is requested; a worker renders and signs it now."))
            return redirect("certificate_detail", cert_pk=certificate.pk)
    elif form.is_bound:
        status = 400
    return render(request, "certificates/certificate_request.html", {"form": form}, status=status)


@login_required
def certificate_detail(request, cert_pk):
    certificate = selectors.certificate_get(request.user, cert_pk)
    user = request.user
    context = {
        "certificate": certificate,
        "progress": selectors.progress(certificate),
        "headline": headline_items(certificate.snapshot),
        "events": certificate.events.select_related("actor"),
        "superseded_by": getattr(certificate, "superseded_by", None),
        "can_revoke": certificate.status == "issued" and permissions.can(user, "certificate.revoke", certificate),
        "can_amend": certificate.status == "issued" and permissions.can(user, "certificate.amend", certificate),
        "can_retry": certificate.status == "failed" and permissions.can(user, "certificate.retry", certificate),
        "reason_form": forms.ReasonForm(),
        "amend_form": forms.AmendForm(),
        "is_staff_view": permissions.sees_lab_work(user),
    }
    return render(request, "certificates/certificate_detail.html", context)


@login_required
def certificate_progress(request, cert_pk):
    """The progress page polls this while the worker renders and signs."""
    return JsonResponse(selectors.progress(selectors.certificate_get(request.user, cert_pk)))


@login_required
def certificate_pdf(request, cert_pk):
    certificate = selectors.certificate_get(request.user, cert_pk)
    if not certificate.was_issued:
        raise Http404
    response = FileResponse(certificate.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
    return response


def _action(request, cert_pk, *, action: str, form_class, call, done: str):
    certificate = selectors.certificate_get(request.user, cert_pk)
    _require(request.user, action, certificate)
    form = form_class(request.POST)
    form.is_valid()
    try:
        result = call(certificate, form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("certificate_detail", cert_pk=certificate.pk)
    messages.success(request, done)
    return redirect("certificate_detail", cert_pk=result.pk)


@login_required
@require_POST
def certificate_revoke(request, cert_pk):
    return _action(
        request, cert_pk, action="certificate.revoke", form_class=forms.ReasonForm, done=_("The certificate is revoked."),
        call=lambda c, data: services.certificate_revoke(actor=request.user, certificate=c, reason=data["reason"]),
    )  # fmt: skip


@login_required
@require_POST
def certificate_amend(request, cert_pk):
    return _action(
        request, cert_pk, action="certificate.amend", form_class=forms.AmendForm,
        done=_("The amendment is requested; the old certificate is superseded once it is issued."),
        call=lambda c, data: services.certificate_amend(actor=request.user, certificate=c, reason=data["reason"]),
    )  # fmt: skip


@login_required
@require_POST
def certificate_retry(request, cert_pk):
    return _action(
        request, cert_pk, action="certificate.retry", form_class=forms.ReasonForm,
        done=_("The certificate is sent to the worker again."),
        call=lambda c, data: services.certificate_retry(actor=request.user, certificate=c),
    )  # fmt: skip
