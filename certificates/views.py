"""Web pages of certificates: the list, the request, the progress page that updates by itself,
the download, revocation, amendment and retry. Exporters see and download only their own
organisation's certificates (lims.permissions.visible via certificates.selectors). A refused action
(revoke, amend, retry) shows the certificate's page again, the refusal in the action's form, with its
4xx status (lims.web.submit)."""

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from certificates import forms, lists, selectors, services
from certificates.models import Certificate
from certificates.snapshot import headline_items
from certificates.snapshot import read as read_snapshot
from lims import permissions
from lims.forms import Form, ReasonForm
from lims.web import flash_and_redirect, list_page, post_data, require, submit

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise


@login_required
def certificate_list(request):
    return list_page(
        request, "certificates/certificate_list.html", selectors.CertificateFilter,
        selectors.certificate_list(request.user), listing=lists.CERTIFICATES,
        context={"can_request": permissions.can(request.user, "certificate.request")},
    )  # fmt: skip


@login_required
def certificate_request(request):
    require(request.user, "certificate.request")
    samples = selectors.certifiable_samples(request.user)
    initial = {"sample": request.GET.get("sample")} if request.GET.get("sample") else None
    form = forms.RequestForm(post_data(request), samples=samples, initial=initial)
    done = _("The certificate is requested; a worker renders and signs it now.")
    return submit(
        request, form, lambda data: services.certificate_request(actor=request.user, **data),
        done=lambda certificate: flash_and_redirect(request, done, "certificate_detail", cert_pk=certificate.pk),
        template="certificates/certificate_request.html", context={"form": form},
    )  # fmt: skip


@login_required
def certificate_detail(request, cert_pk):
    certificate = selectors.certificate_get(request.user, cert_pk)
    return render(request, "certificates/certificate_detail.html", _certificate_page(request, certificate))


def _certificate_page(request, certificate, **sent) -> dict:
    """What the certificate's page shows; `sent` holds the form of an action as it was sent and refused."""
    user = request.user
    # A pending or failed certificate shows its status only, to an exporter (selectors.contents_visible).
    contents = selectors.contents_visible(user, certificate)
    return {
        "certificate": certificate,
        "contents": read_snapshot(certificate.snapshot) if contents else None,
        "progress": selectors.progress(certificate),
        "headline": headline_items(read_snapshot(certificate.snapshot)) if contents else [],
        "events": certificate.events.select_related("actor"),
        "superseded_by": getattr(certificate, "superseded_by", None),
        "can_revoke": Certificate.LIFECYCLE.allows(certificate, "revoke")
        and permissions.can(user, "certificate.revoke", certificate),
        "can_amend": Certificate.LIFECYCLE.allows(certificate, "amend")
        and permissions.can(user, "certificate.amend", certificate),
        "can_retry": Certificate.LIFECYCLE.allows(certificate, "retry")
        and permissions.can(user, "certificate.retry", certificate),
        # The exporter (or its broker) declares the lot from a certificate in force (customs' declaration form).
        "can_declare": certificate.status == Certificate.Status.ISSUED and permissions.can(user, "declaration.file"),
        "revoke_form": forms.RevokeForm(),
        "amend_form": forms.AmendForm(),
        "retry_form": Form(),
        "is_staff_view": permissions.sees_lab_work(user),
        **sent,
    }


@login_required
def certificate_progress(request, cert_pk):
    """The progress page polls this while the worker renders and signs."""
    return JsonResponse(selectors.progress(selectors.certificate_get(request.user, cert_pk)))


@login_required
def certificate_pdf(request, cert_pk):
    certificate = selectors.certificate_get(request.user, cert_pk)
    if not certificate.was_issued:
        raise Http404
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )


def _certificate_action(action: str, service, done: "StrOrPromise", form_class=ReasonForm):
    """A button of the certificate's page: permission `certificate.<action>`, the service it calls,
    what the page says once it is done. A refusal shows on the certificate's page, in the action's form."""

    def view(request, cert_pk):
        certificate = selectors.certificate_get(request.user, cert_pk)
        require(request.user, f"certificate.{action}", certificate)
        form = form_class(request.POST)
        return submit(
            request, form, lambda data: service(actor=request.user, certificate=certificate, **data),
            # An amendment is a new certificate: the page to go to is the one the service answers.
            done=lambda result: flash_and_redirect(request, done, "certificate_detail", cert_pk=result.pk),
            template="certificates/certificate_detail.html",
            context=lambda: _certificate_page(request, certificate, **{f"{action}_form": form}),
        )  # fmt: skip

    view.__name__ = view.__qualname__ = f"certificate_{action}"
    return login_required(require_POST(view))


certificate_revoke = _certificate_action(
    "revoke", services.certificate_revoke, _("The certificate is revoked."), form_class=forms.RevokeForm
)
certificate_amend = _certificate_action(
    "amend",
    services.certificate_amend,
    _("The amendment is requested; the old certificate is superseded once it is issued."),
    form_class=forms.AmendForm,
)
certificate_retry = _certificate_action(
    "retry", services.certificate_retry, _("The certificate is sent to the worker again."), form_class=Form
)
