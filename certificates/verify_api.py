"""The verification portal as JSON, for anyone and without an account: by number (GET, with the
verification code printed on the certificate as `code` to see its results), by QR token with the
number printed on the document (POST) and by uploaded PDF (POST). The verdicts and what each shows
are certificates.verification's; the page (certificates.verify_views) shows the same. By number, a
signed-in user (session or API token) who may see the certificate gets all of it.

Every answer of a check has the shape of CheckOutputSerializer; a refusal (bad input, too many
requests, a file too large) is {"message", "extra"} as everywhere in the API.

Requests are counted per client address (VerifyRateThrottle, scope "verify"), the pages' and the
API's together. Behind a reverse proxy every client has the proxy's address: set LIMS_NUM_PROXIES to
the number of proxies in front of the application so that the client's own address is read from
X-Forwarded-For (REST framework's NUM_PROXIES), and let the proxy refuse bodies over the upload limit.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from certificates import codes, publication, verification
from lims.exceptions import ApplicationError

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A rendered answer by number is kept this long; its key changes with the register's state anyway.
ANSWER_CACHE_SECONDS = 3600


class VerifyRateThrottle(BaseThrottle):
    """At most REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["verify"] requests per client address, counted
    in fixed windows in Django's cache (one increment per request, whatever the rate: REST
    framework's own throttle keeps a list of every request's time). A client may reach twice the
    rate across the edge of two windows. The cache must be shared by the web processes for the limit
    to hold across them (the default local-memory cache counts per process)."""

    scope = "verify"

    def allow_request(self, request, view) -> bool:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        # The stubs type the rates as numbers; REST framework's are text such as "60/min".
        number, period = rate.split("/")  # type: ignore[union-attr]
        limit, seconds = int(number), _PERIODS[period[0]]
        now = time.time()
        key = f"throttle:{self.scope}:{self.get_ident(request)}:{int(now // seconds)}"
        try:
            count = cache.incr(key)  # the common case: the window's counter exists
        except ValueError:
            count = 1 if cache.add(key, 1, seconds + 1) else cache.incr(key)
        self.seconds_left = max(1, int(seconds - now % seconds))
        return count <= limit

    def wait(self) -> int:
        return self.seconds_left


def too_many_requests_message(wait: int) -> str:
    return _("Too many verification requests from your address. Try again in %(seconds)s seconds.") % {"seconds": wait}


def upload_limit_message() -> str:
    return _("The file is larger than %(size)s; a certificate of analysis is far smaller.") % {
        "size": filesizeformat(settings.LIMS_VERIFY_MAX_UPLOAD_BYTES)
    }


def code_format_message() -> str:
    return _("A verification code has 16 letters and digits, as printed beside the QR code: 7KQ4-M2XD-9PHT-B3WE.")


def not_a_pdf_message() -> str:
    return _("This is not a PDF file; upload the certificate as the laboratory issued it (a .pdf file).")


def body_too_large(request) -> bool:
    """Whether the request announces a body over the upload limit (plus room for the form around the
    file): refused before anything is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.LIMS_VERIFY_MAX_UPLOAD_BYTES + 64 * 1024


class Unavailable(ApplicationError):
    """Verification by signature needs the laboratory's public keys, which are not configured."""

    status_code = 503


class PayloadTooLarge(ApplicationError):
    status_code = 413


def public_url(request, path: str) -> str:
    """An absolute URL: the laboratory's public address when configured (a proxy may hide the
    scheme and host), else the request's."""
    base = getattr(settings, "LIMS_PUBLIC_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def wants_results(request) -> bool:
    """The full results table is sent when asked for (`?results=1`): the verdict and the headline
    assays are what a border check needs, and the table is three quarters of the answer."""
    return request.GET.get("results", "") in ("1", "true", "yes")


def check_data(check: verification.Check, request) -> dict:
    """A verdict as JSON (the shape of CheckOutputSerializer), built directly: it is answered at
    rates where a nested serializer's field-by-field copy of the results table shows. The
    certificate's results table is included when the caller asks for it (wants_results)."""
    superseded = None
    if check.superseded:
        by = check.superseded["by"]
        superseded = {
            "at": _iso(check.superseded["at"]),
            "by": by,
            "url": by and public_url(request, reverse("api_verify_number", kwargs={"number": by})),
            "page": by and public_url(request, reverse("verify") + "?" + urlencode({"number": by})),
        }
    revoked = check.revoked and {"at": _iso(check.revoked["at"]), "reason": check.revoked["reason"]}
    return {
        "verdict": check.verdict,
        "title": check.title,
        "message": check.message,
        "number": check.number,
        "revoked": revoked or None,
        "superseded": superseded,
        "certificate": check.statement
        if check.statement is None or wants_results(request)
        else {name: value for name, value in check.statement.items() if name != "results"},
        "evidence": [{"label": str(label), "value": str(value)} for label, value in check.evidence],
    }


def _iso(moment) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


class CheckOutputSerializer(serializers.Serializer):
    """Documents the answer of every check (check_data builds it)."""

    verdict = serializers.ChoiceField(choices=list(verification.TITLES), help_text="See certificates.verification.")
    title = serializers.CharField(help_text="The verdict in words, in the request's language.")
    message = serializers.CharField()
    number = serializers.CharField(allow_null=True, help_text="The certificate number the check found, if any.")
    revoked = inline_serializer(
        "VerifyRevoked", {"at": serializers.DateTimeField(), "reason": serializers.CharField()}, allow_null=True
    )
    superseded = inline_serializer(
        "VerifySuperseded",
        {
            "at": serializers.DateTimeField(),
            "by": serializers.CharField(help_text="Number of the amendment that replaces it."),
            "url": serializers.URLField(help_text="The amendment's verification (JSON)."),
            "page": serializers.URLField(help_text="The amendment's verification page."),
        },
        allow_null=True,
    )
    certificate = serializers.JSONField(
        allow_null=True,
        help_text="What the certificate states; null when the register does not know it or the document is not "
        'genuine. "disclosure" says how much: "public" (by number alone: number, title, issue date, laboratory, '
        'the lot\'s number, material and HS code, the number an amendment replaces) or "full" (with the QR code, '
        "the PDF, the verification code, or signed in as someone who may see it: also the customer, lot masses, "
        "moisture, headline assays, results, authoriser and amendment reason).",
    )
    evidence = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))

    class Meta:
        ref_name = "VerifyCheckOutput"


_ERROR = OpenApiResponse(description='{"message": ..., "extra": {...}}')


class PublicApi(APIView):
    """Open to anyone: no authentication (so no session and no CSRF), counted per client address."""

    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)
    throttle_classes = (VerifyRateThrottle,)

    def throttled(self, request, wait):
        # REST framework adds "Expected available in N seconds." and the Retry-After header.
        raise exceptions.Throttled(wait=wait, detail=_("Too many verification requests from your address."))

    def answer(self, check: verification.Check, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(check_data(check, self.request), status=status_code)


_NUMBER_RESPONSES = {200: CheckOutputSerializer, 404: CheckOutputSerializer, 400: _ERROR, 429: _ERROR}


_CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, required=False, description="The verification code printed on the certificate."
)


class VerifyNumberApi(PublicApi):
    """The register's verdict on a certificate number, `GET /api/v1/verify/<number>/[?code=...]`. A
    number the register does not know answers 404 with the verdict `unknown`; a code that is not the
    certificate's, 400. Signed-in users are recognised (session or API token) to show them all that
    they may see."""

    authentication_classes = tuple(api_settings.DEFAULT_AUTHENTICATION_CLASSES)

    @extend_schema(operation_id="verify_number", parameters=[_CODE], responses=_NUMBER_RESPONSES)
    def get(self, request, number: str):
        return self.check(number)

    def dispatch(self, request, *args, **kwargs):
        """The busiest address of the portal, answered without REST framework's request machinery when
        nothing is wrong: the register's state is read fresh on every request (one indexed query) and
        the rendered answer is cached under a key made of that state, so a revocation shows at once
        and the statement is not rendered again for every inspector. Anything else (a refusal, too
        many requests, another method) takes the ordinary path, which words it."""
        number = verification.normalise_number(kwargs.get("number") or request.GET.get("number"))
        throttle = VerifyRateThrottle()
        if (
            request.method != "GET"
            or not verification.valid_number(number)
            or not _anonymous_without_code(request)
            or not throttle.allow_request(request, self)
        ):
            return super().dispatch(request, *args, **kwargs)
        # Only the public answer is cached, and under its level: whoever proves more takes the path below.
        level = verification.PUBLIC
        key = verification.answer_cache_key(
            number,
            verification.register_state(number),
            level,
            get_language(),
            request.get_host(),
            str(wants_results(request)),
        )
        cached = cache.get(key)
        if cached is None:
            check = verification.check_number_at(number, level)
            code = status.HTTP_404_NOT_FOUND if check.verdict == verification.UNKNOWN else status.HTTP_200_OK
            cached = (code, JSONRenderer().render(check_data(check, request)))
            cache.set(key, cached, ANSWER_CACHE_SECONDS)
        code, body = cached
        return HttpResponse(body, status=code, content_type="application/json")

    def check(self, number: str | None) -> Response:
        """The ordinary path: a malformed number or code, or a wrong code, is refused here with its message."""
        number = verification.normalise_number(number)
        if not verification.valid_number(number):
            raise ApplicationError(_("Give a certificate number such as KZL-2026-000042."), field="number")
        code = self.request.query_params.get("code", "")
        if code and codes.normalise(code) is None:
            raise ApplicationError(code_format_message(), field="code")
        try:
            check = verification.check_number(number, code=code, viewer=self.request.user)
        except verification.WrongCode as wrong:
            raise ApplicationError(str(wrong), field="code") from wrong
        return self.answer(check, status.HTTP_404_NOT_FOUND if check.verdict == verification.UNKNOWN else 200)


def _anonymous_without_code(request) -> bool:
    """A request that can only be shown the public answer: no code, no session user, no API token."""
    return not (request.GET.get("code") or request.META.get("HTTP_AUTHORIZATION") or request.user.is_authenticated)


class VerifyNumberQueryApi(VerifyNumberApi):
    """The same, as `GET /api/v1/verify/?number=<number>` (a form's address)."""

    @extend_schema(
        operation_id="verify_number_query",
        parameters=[
            OpenApiParameter("number", OpenApiTypes.STR, required=True, description="Certificate number."),
            _CODE,
        ],
        responses=_NUMBER_RESPONSES,
    )
    def get(self, request):
        return self.check(request.query_params.get("number"))


class VerifyTokenApi(PublicApi):
    """The verdict on a QR code's text (`LIMS2:...`) and `number`, the number printed on the document
    (required: a QR code copied onto another document is `mismatch`)."""

    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(max_length=verification.MAX_TOKEN_CHARS, help_text="The QR code's text.")
        number = serializers.CharField(
            max_length=60,
            help_text="The certificate number printed on the document the QR code is on.",
            error_messages={
                "required": _lazy("Give the certificate number printed on the document."),
                "blank": _lazy("Give the certificate number printed on the document."),
            },
        )

        class Meta:
            ref_name = "VerifyTokenInput"

        def validate_number(self, value: str) -> str:
            number = verification.normalise_number(value)
            if not verification.valid_number(number):
                raise serializers.ValidationError(_("Give a certificate number such as KZL-2026-000042."))
            return number

    @extend_schema(
        operation_id="verify_token",
        request=InputSerializer,
        responses={200: CheckOutputSerializer, 400: _ERROR, 429: _ERROR, 503: _ERROR},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            check = verification.check_token(data["token"], expected_number=data["number"])
        except publication.VerificationUnavailable as exc:
            raise Unavailable(
                _("Verification by QR code is not available: the laboratory's keys are missing.")
            ) from exc
        return self.answer(check)


class VerifyUploadApi(PublicApi):
    """The verdict on a certificate PDF, sent as the multipart field `file` (at most
    LIMS_VERIFY_MAX_UPLOAD_BYTES, 10 MB by default)."""

    parser_classes = (MultiPartParser,)

    @extend_schema(
        operation_id="verify_upload",
        request={"multipart/form-data": inline_serializer("VerifyUploadInput", {"file": serializers.FileField()})},
        responses={200: CheckOutputSerializer, 400: _ERROR, 413: _ERROR, 429: _ERROR, 503: _ERROR},
    )
    def post(self, request):
        if body_too_large(request):
            raise PayloadTooLarge(upload_limit_message(), field="file")
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or not hasattr(upload, "read"):
            raise ApplicationError(_("Send the certificate PDF as the form field 'file'."), field="file")
        if upload.size > settings.LIMS_VERIFY_MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(upload_limit_message(), field="file")
        data = upload.read()
        if not data.startswith(b"%PDF-"):
            raise ApplicationError(not_a_pdf_message(), field="file")
        try:
            check = verification.check_file(data)
        except publication.VerificationUnavailable as exc:
            raise Unavailable(_("Verification of files is not available: the laboratory's keys are missing.")) from exc
        return self.answer(check)
