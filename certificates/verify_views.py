"""The public verification page (/verify/, no account needed) and the material published for
offline checks. Verdicts come from certificates.verification; the JSON API (certificates.verify_api)
gives the same ones.

The page checks a certificate by its number (GET, so the address printed on a certificate,
/verify/?number=..., opens its verdict), optionally with the verification code printed on it (which
shows the results), by the text of its QR code with the number printed on the document (the QR code
typed, pasted, or read by the phone's camera where the browser has the BarcodeDetector API) and by
an uploaded PDF. What each shows is certificates.verification's disclosure level; a signed-in user
who may see the certificate sees it all by number. Every request counts against the client
address's rate (verify_api.VerifyRateThrottle, shared with the API), a wrong code included.
"""

import functools
import hashlib
import json

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from certificates import codes, cosignatures, publication, transparency, verification
from certificates.verify_api import (
    VerifyRateThrottle,
    body_too_large,
    code_format_message,
    not_a_pdf_message,
    too_many_requests_message,
    upload_limit_message,
)
from lims.forms import Form

TEMPLATE = "verify/verify.html"
PEM = "application/x-pem-file"


def clean_number_field(text: str) -> str:
    number = verification.normalise_number(text)
    if not verification.valid_number(number):
        raise forms.ValidationError(_("Enter a certificate number such as KZL-2026-000042."))
    return number


class NumberForm(Form):
    number = forms.CharField(
        label=gettext_lazy("Certificate number"),
        max_length=60,
        help_text=gettext_lazy("As printed at the top of the certificate, for example KZL-2026-000042."),
    )
    code = forms.CharField(
        label=gettext_lazy("Verification code (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text=gettext_lazy(
            "Printed beside the QR code, for example 7KQ4-M2XD-9PHT-B3WE. With it the results are shown; without "
            "it, the certificate's status and identity only."
        ),
    )

    def clean_number(self):
        return clean_number_field(self.cleaned_data["number"])

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code and codes.normalise(code) is None:
            raise forms.ValidationError(code_format_message())
        return code


class TokenForm(Form):
    token = forms.CharField(
        label=gettext_lazy("Text of the QR code"),
        max_length=verification.MAX_TOKEN_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy("It starts with LIMS2: — scan it with the camera below or paste it from a QR reader."),
    )
    number = forms.CharField(
        label=gettext_lazy("Number printed on the document"),
        max_length=60,
        error_messages={"required": gettext_lazy("Type the certificate number printed on the document.")},
        help_text=gettext_lazy(
            "The certificate number printed on the paper beside the QR code: a QR code copied onto another "
            "document is found out only by comparing the two."
        ),
    )

    def __init__(self, *args, **kwargs):
        # Its own element ids: the number form on the same page has a "number" field too.
        kwargs.setdefault("auto_id", "token_%s")
        super().__init__(*args, **kwargs)

    def clean_number(self):
        return clean_number_field(self.cleaned_data["number"])


class UploadForm(Form):
    file = forms.FileField(
        label=gettext_lazy("Certificate PDF"),
        help_text=gettext_lazy("The file as the laboratory issued it."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.LIMS_VERIFY_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(upload_limit_message(), code="too_large")
        data = upload.read()
        if not data.startswith(b"%PDF-"):
            raise forms.ValidationError(not_a_pdf_message(), code="not_pdf")
        return data


def _page(request, *, check=None, status=200, refusal="", **forms_given):
    context = {
        "number_form": forms_given.get("number_form") or NumberForm(),
        "token_form": forms_given.get("token_form") or TokenForm(),
        "upload_form": forms_given.get("upload_form") or UploadForm(),
        "check": check,
        "log": _log_proof(check),
        "log_witnesses": _log_witnesses(),
        "refusal": refusal,
        "max_upload_bytes": settings.LIMS_VERIFY_MAX_UPLOAD_BYTES,
        "verifier_sha256": _verifier_sha256(),
    }
    return render(request, TEMPLATE, context, status=status)


def _log_witnesses() -> dict | None:
    """The latest checkpoint's size and the names of the active witnesses that cosigned it, for the
    page; None before the first checkpoint."""
    latest = transparency.latest_checkpoint()
    if latest is None:
        return None
    return {"size": latest.size, "names": cosignatures.cosigners(latest.size)}


def _log_proof(check) -> dict | None:
    """The certificate's inclusion proof in the transparency log against the latest checkpoint, for
    the page: {"proof": ...} or {"pending": True} (issued seconds ago); None when the check found no
    certificate, or the log does not hold it."""
    if check is None or not check.number:
        return None
    try:
        return {"proof": transparency.inclusion(check.number)}
    except transparency.NotYetCheckpointed:
        return {"pending": True}
    except transparency.NotInLog:
        return None


@functools.cache
def _verifier_sha256() -> str:
    return hashlib.sha256(publication.verifier_source()).hexdigest()


def rate_limited(*, page: bool):
    """Count the request against the client's rate; over it, answer 429 with Retry-After (the page
    with the message, or the message alone for published files)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            throttle = VerifyRateThrottle()
            if throttle.allow_request(request, None):
                return view(request, *args, **kwargs)
            message = too_many_requests_message(throttle.wait())
            if page:
                response = _page(request, status=429, refusal=message)
            else:
                response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(throttle.wait())
            return response

        return wrapper

    return decorate


def _unavailable(request, **forms_given):
    refusal = _("Verification by signature is not available here: the laboratory's keys are not configured.")
    return _page(request, status=503, refusal=refusal, **forms_given)


@require_GET
@rate_limited(page=True)
def verify(request):
    if "number" not in request.GET:
        return _page(request)
    form = NumberForm(request.GET)
    if not form.is_valid():
        return _page(request, status=400, number_form=form)
    try:
        check = verification.check_number(
            form.cleaned_data["number"], code=form.cleaned_data["code"], viewer=request.user
        )
    except verification.WrongCode as wrong:
        form.add_error("code", str(wrong))
        return _page(request, status=400, number_form=form)
    return _page(request, check=check, number_form=form)


# No CSRF check on the two checks sent by POST: a check changes nothing and needs no account, so a
# forged cross-site request gains nothing, and a phone that refuses cookies can still check. For an
# upload it matters more: the CSRF middleware would read (and store) the whole body before
# body_too_large could refuse it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited(page=True)
def verify_token(request):
    if request.method == "GET":
        return redirect("verify")
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, token_form=form)
    try:
        check = verification.check_token(form.cleaned_data["token"], expected_number=form.cleaned_data["number"])
    except publication.VerificationUnavailable:
        return _unavailable(request, token_form=form)
    return _page(request, check=check, token_form=form)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited(page=True)
def verify_upload(request):
    if request.method == "GET":
        return redirect("verify")
    if body_too_large(request):
        return _page(request, status=413, upload_form=_refused_upload(upload_limit_message()))
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, status=413 if form.has_error("file", "too_large") else 400, upload_form=form)
    try:
        check = verification.check_file(form.cleaned_data["file"])
    except publication.VerificationUnavailable:
        return _unavailable(request, upload_form=form)
    return _page(request, check=check)


def _refused_upload(message: str) -> UploadForm:
    """An upload form showing `message` next to the file field, for a body refused unread."""
    form = UploadForm(data={}, files=MultiValueDict())
    form.full_clean()
    form.errors["file"] = form.error_class([message])
    return form


# Published material for offline checks ----------------------------------------------------------


def _published(view):
    """A public file: counted against the client's rate; 503 with the reason when it is not there
    (no key published, or no publication yet). These views only read: public keys from the register
    and storage, signed files as the publication task stored them (certificates.publication)."""

    @require_GET
    @rate_limited(page=False)
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except publication.NotPublished:
            message = _("The laboratory has not published its key set and status list yet; try again in a minute.")
        except publication.VerificationUnavailable:
            message = _("The laboratory's keys are not configured on this server.")
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")

    return wrapper


def _download(
    content: bytes | str, content_type: str, filename: str, *, max_age: int = publication.PUBLISHED_MAX_AGE
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


@_published
def root_pem(request):
    return _download(publication.trust_roots_pem(), PEM, "root.pem")


@_published
def token_keys_json(request):
    body = json.dumps(publication.token_keys_document(), indent=2) + "\n"
    return _download(body, "application/json", "token-keys.json")


@_published
def signing_key_pem(request, kid):
    pem = publication.signing_key_pem(kid)
    if pem is None:
        raise Http404
    return _download(pem, PEM, f"{kid}.pem")


@_published
def signing_keys_json(request):
    """Which keys the laboratory has signed with: key id, kind and subject; each PEM at keys/<kid>.pem."""
    return JsonResponse({"keys": publication.published_signing_keys()}, json_dumps_params={"indent": 2})


@_published
def key_set_json(request):
    """keys.json: every key with its kind and state, signed by the status key."""
    return _download(publication.published_file("keys"), "application/json", "keys.json")


@_published
def revocations_json(request):
    """The status list, signed by the status key, as the latest publication stored it."""
    return _download(publication.published_file("revocations"), "application/json", "revocations.json")


@_published
def verifier_py(request):
    response = _download(publication.verifier_source(), "text/x-python; charset=utf-8", "verifier.py")
    response["Content-Disposition"] = 'attachment; filename="verifier.py"'
    return response


@_published
def witness_py(request):
    """The transparency log's witness (certificates/witness.py), for anyone to run: served like the
    kit's verifier, but needing nothing published (it reads the log's own addresses)."""
    response = _download(publication.witness_source(), "text/x-python; charset=utf-8", "witness.py")
    response["Content-Disposition"] = 'attachment; filename="witness.py"'
    return response


# The transparency log: what a witness or an auditor fetches. Read only: the latest checkpoint as the
# worker signed it, and the log's public key; never the private key.


@require_GET
@rate_limited(page=False)
def log_checkpoint(request):
    """The latest signed checkpoint (C2SP tlog-checkpoint, signed note), as text, followed by the
    cosignature lines of the active registered witnesses that cosigned it (certificates.cosignatures)."""
    checkpoint = cosignatures.served_checkpoint()  # with the registered witnesses' cosignatures
    if checkpoint is None:
        message = _("The transparency log has no signed checkpoint yet; try again in a minute.")
        return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(checkpoint.text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@rate_limited(page=False)
def log_key(request):
    """The log's verifier key (C2SP vkey: name+key hash+base64(0x01 || Ed25519 public key))."""
    try:
        vkey = transparency.verifier_key()
    except transparency.NotInLog as absent:
        return HttpResponse(str(absent), status=404, content_type="text/plain; charset=utf-8")
    return _download(vkey + "\n", "text/plain; charset=utf-8", "log-key.txt")
