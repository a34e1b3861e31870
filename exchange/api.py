"""The exchange's API for customs information systems (clients, not people):

- POST /api/v1/exchange/oauth/token: an access token for client credentials (RFC 6749 4.4);
- GET /api/v1/exchange/certificates/<number>/?bin=<BIN>: the certificate's signed record, its live
  status and its inclusion proof in the transparency log (scope certificates:read);
- POST /api/v1/exchange/acks/<message id>/: a pushed message acknowledged (scope messages:ack).

The BIN is the registration number of the exporter the certificate was issued to (the lot's
exporter, Organisation.registration_number), compared without spaces, punctuation or a leading
"BIN". Only that exporter's: a declaration by another organisation citing the certificate is what
the customs cross-checks exist to catch, so it must not unlock the record. A BIN that does not match
answers exactly as an unknown number (404, same message), so the endpoint tells nothing about
numbers to whoever lacks the exporter's BIN.

Every request to the certificate endpoint leaves a RequestLog row (client, number, BIN, time,
outcome, remote address), whatever the answer, throttled and refused ones included.
"""

import base64
import binascii
import json
import re
from urllib.parse import unquote

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from certificates import transparency, verification
from certificates.models import Certificate
from certificates.verify_api import public_url
from exchange import jws, records, services
from exchange.auth import BearerAuthentication, ClientRateThrottle, HasScope
from exchange.models import SCOPE_ACK, SCOPE_READ, AccessToken, RequestLog, SignedRecord
from lims.exceptions import ApplicationError

_ERROR = OpenApiResponse(description='{"message": ..., "extra": {...}}')


def normalise_bin(text: str) -> str:
    """A BIN as written anywhere ("BIN 150440056789", "150 440 056 789"): letters and digits only,
    without a leading "BIN"."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper()).removeprefix("BIN")


# The token endpoint --------------------------------------------------------------------------------


class TokenOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField(help_text="Seconds (LIMS_EXCHANGE_TOKEN_SECONDS).")
    scope = serializers.CharField(help_text="Space-separated scopes the token carries.")


class OAuthErrorSerializer(serializers.Serializer):
    """RFC 6749 5.2's error, and the project's {"message", "extra"}; only the latter when the request
    was refused before the endpoint read it (text that cannot be stored: lims.lib.safe_input)."""

    error = serializers.ChoiceField(
        choices=["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope"],
        help_text="RFC 6749 5.2.",
        required=False,
    )
    error_description = serializers.CharField(required=False)
    message = serializers.CharField(help_text="The same, as every error of this API says it.")
    extra = serializers.DictField()


class TokenApi(APIView):
    """Client credentials for an access token (RFC 6749 4.4). The client authenticates with HTTP
    Basic (client id and secret, RFC 6749 2.3.1) or with `client_id` and `client_secret` in the form
    body; `grant_type=client_credentials`; `scope` optional (space-separated; default: all the
    client's). The token is opaque, valid for LIMS_EXCHANGE_TOKEN_SECONDS, stored as its SHA-256.
    Attempts are counted per address like the users' token endpoint (rate "token")."""

    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)
    parser_classes = (FormParser, JSONParser)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    @extend_schema(
        operation_id="exchange_token",
        request={
            "application/x-www-form-urlencoded": inline_serializer(
                "ExchangeTokenInput",
                {
                    "grant_type": serializers.ChoiceField(choices=["client_credentials"]),
                    "client_id": serializers.CharField(required=False),
                    "client_secret": serializers.CharField(required=False),
                    "scope": serializers.CharField(required=False),
                },
            )
        },
        responses={200: TokenOutputSerializer, 400: OAuthErrorSerializer, 401: OAuthErrorSerializer, 429: _ERROR},
        examples=[
            OpenApiExample(
                "Token",
                value={
                    "access_token": "q3Vb…",
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "scope": "certificates:read",
                },
                response_only=True,
            )
        ],
        auth=[],
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        if data.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", _("Only grant_type=client_credentials is supported."))
        basic = _basic_credentials(request)
        if basic is False:
            return _oauth_error("invalid_client", _("The Basic credentials cannot be read."), basic=True)
        client_id, client_secret = basic or (data.get("client_id"), data.get("client_secret"))
        if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_id or not client_secret:
            return _oauth_error("invalid_request", _("Send client_id and client_secret (HTTP Basic or the form)."))
        scope = data.get("scope")
        try:
            token, text = services.token_issue(
                client_id=client_id, client_secret=client_secret, scope=scope if isinstance(scope, str) else None
            )
        except services.InvalidClient as exc:
            return _oauth_error("invalid_client", exc.message, basic=basic is not None)
        except services.InvalidScope as exc:
            return _oauth_error("invalid_scope", exc.message)
        body = {
            "access_token": text,
            "token_type": "Bearer",
            "expires_in": settings.LIMS_EXCHANGE_TOKEN_SECONDS,
            "scope": token.scopes,
        }
        return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _basic_credentials(request) -> tuple[str, str] | bool | None:
    """(id, secret) from `Authorization: Basic`, None without it, False when unreadable."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return False
    # RFC 6749 2.3.1: both are form-urlencoded before they are joined.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def _oauth_error(error: str, description: str, *, basic: bool = False) -> Response:
    code = status.HTTP_401_UNAUTHORIZED if error == "invalid_client" else status.HTTP_400_BAD_REQUEST
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Basic realm="exchange"' if basic else 'Bearer realm="exchange"'
    body = {"error": error, "error_description": description, "message": description, "extra": {}}
    return Response(body, status=code, headers=headers)


# The certificate endpoint --------------------------------------------------------------------------


class ClientApi(APIView):
    """Views for clients: bearer token, a scope, the client's rate."""

    authentication_classes = (BearerAuthentication,)
    permission_classes = (HasScope,)
    throttle_classes = (ClientRateThrottle,)
    required_scope = ""

    def permission_denied(self, request, message=None, code=None):
        if request.auth is not None:
            # RFC 6750 3.1: the token is good, its scope is not enough.
            exc = exceptions.PermissionDenied(HasScope.message)
            exc.auth_header = f'Bearer realm="exchange", error="insufficient_scope", scope="{self.required_scope}"'
            raise exc
        super().permission_denied(request, message=message, code=code)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        header = getattr(exc, "auth_header", None)
        if header:
            response["WWW-Authenticate"] = header
        return response


class RecordSerializer(serializers.Serializer):
    jws = serializers.CharField(
        help_text="Compact JWS (RFC 7515), alg EdDSA, signed with the laboratory's status key: verify it with the "
        '"status" key of its kid in /verify/keys/keys.json.'
    )
    kid = serializers.CharField()
    status = serializers.CharField(help_text="The status the record states.")
    signed_at = serializers.DateTimeField()
    current = serializers.BooleanField(help_text="Whether the record's status is the live status.")
    content = serializers.JSONField(
        help_text="The JWS payload, decoded (see exchange.records); trust it once verified."
    )


class CertificateRecordOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(
        choices=[str(s) for s in Certificate.WAS_ISSUED], help_text="The register's status now."
    )
    status_at = serializers.DateTimeField(help_text="When it took this status (issue, revocation, supersession).")
    record = RecordSerializer()
    inclusion = serializers.JSONField(
        allow_null=True,
        help_text="The inclusion proof of the certificate's issue in the transparency log "
        "(RFC 9162: leaf_index, tree_size, leaf, leaf_hash, audit_path, root_hash, checkpoint), or null.",
    )
    inclusion_unavailable = serializers.CharField(
        allow_null=True, help_text="Why there is no proof yet (not yet covered by a signed checkpoint)."
    )
    keys = serializers.URLField(help_text="The published key set the record verifies with.")

    class Meta:
        ref_name = "ExchangeCertificateRecord"


_BIN = OpenApiParameter(
    "bin", OpenApiTypes.STR, required=True, description="The BIN (registration number) of the lot's exporter."
)
_WORKED_EXAMPLE = {
    "number": "KZL-2026-000001",
    "status": "revoked",
    "status_at": "2026-12-07T18:02:11Z",
    "record": {
        "jws": "eyJhbGciOiJFZERTQSIsImtpZCI6IjFmMmU…",
        "kid": "1f2e3d4c5b6a7980",
        "status": "revoked",
        "signed_at": "2026-12-07T18:02:30Z",
        "current": True,
        "content": {"type": "lims.certificate-record", "number": "KZL-2026-000001", "status": "revoked"},
    },
    "inclusion": {"leaf_index": 0, "tree_size": 1, "audit_path": [], "root_hash": "…", "checkpoint": "…"},
    "inclusion_unavailable": None,
    "keys": "https://lab.example/verify/keys/keys.json",
}


_OUTCOMES = {
    200: RequestLog.Outcome.FOUND,
    404: RequestLog.Outcome.NOT_FOUND,
    503: RequestLog.Outcome.NOT_READY,
    401: RequestLog.Outcome.UNAUTHORISED,
    403: RequestLog.Outcome.FORBIDDEN,
    429: RequestLog.Outcome.THROTTLED,
}


def _clean(text: str, length: int) -> str:
    """Text as the log keeps it: at most `length` characters (what the database refuses never gets here)."""
    return (text or "")[:length]


class CertificateRecordApi(ClientApi):
    """A certificate's signed record by number and the exporter's BIN; every request leaves a
    RequestLog row, written after the answer is made, whatever it is."""

    required_scope = SCOPE_READ

    @extend_schema(
        operation_id="exchange_certificate",
        parameters=[_BIN],
        responses={
            200: CertificateRecordOutputSerializer,
            400: _ERROR,
            401: _ERROR,
            403: _ERROR,
            404: OpenApiResponse(description="No such certificate for this BIN (an unknown number answers the same)."),
            429: _ERROR,
            503: OpenApiResponse(description="Issued seconds ago: its record is being signed; see Retry-After."),
        },
        examples=[OpenApiExample("Revoked certificate", value=_WORKED_EXAMPLE, response_only=True)],
    )
    def get(self, request, number: str):
        number = verification.normalise_number(number)
        bin_text = normalise_bin(request.query_params.get("bin", ""))
        if not verification.valid_number(number):
            raise ApplicationError(_("Give a certificate number such as KZL-2026-000042."), field="number")
        if not bin_text:
            raise ApplicationError(_("Give the exporter's BIN as ?bin=."), field="bin")
        row = (
            Certificate.objects.filter(number=number, status__in=Certificate.WAS_ISSUED)
            .values(
                "pk", "status", "issued_at", "revoked_at", "superseded_at", "sample__lot__exporter__registration_number"
            )
            .first()
        )
        if row is None or normalise_bin(row["sample__lot__exporter__registration_number"]) != bin_text:
            raise exceptions.NotFound(
                _("No certificate %(number)s was issued to the exporter with this BIN.") % {"number": number}
            )
        record = SignedRecord.objects.filter(certificate_id=row["pk"]).order_by("-signed_at", "-id").first()
        if record is None:
            return _not_ready()
        return Response(_answer(request, number, row, record))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        token = getattr(request, "_auth", None)
        RequestLog.objects.create(
            client=token.client if isinstance(token, AccessToken) else None,
            number=_clean(kwargs.get("number", ""), 60),
            bin=_clean(request.query_params.get("bin", "") if hasattr(request, "query_params") else "", 60),
            outcome=_OUTCOMES.get(response.status_code, RequestLog.Outcome.BAD_REQUEST),
            status_code=response.status_code,
            remote_addr=_clean(ClientRateThrottle().get_ident(request), 64),
        )
        return response


def _not_ready() -> Response:
    wait = settings.LIMS_EXCHANGE_SWEEP_SECONDS
    body = {
        "message": _("The certificate was issued moments ago; its record is being signed. Ask again shortly."),
        "extra": {},
    }
    return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(wait)})


def _answer(request, number: str, row: dict, record: SignedRecord) -> dict:
    S = Certificate.Status
    status_at = {S.ISSUED: row["issued_at"], S.REVOKED: row["revoked_at"], S.SUPERSEDED: row["superseded_at"]}
    try:
        inclusion, unavailable = transparency.inclusion(number), None
    except (transparency.NotInLog, transparency.NotYetCheckpointed) as exc:
        inclusion, unavailable = None, exc.message
    return {
        "number": number,
        "status": row["status"],
        "status_at": records.utc(status_at.get(row["status"])),
        "record": {
            "jws": record.jws,
            "kid": record.kid,
            "status": record.status,
            "signed_at": records.utc(record.signed_at),
            "current": record.status == row["status"],
            "content": json.loads(jws.b64url_decode(record.jws.split(".")[1])),
        },
        "inclusion": inclusion,
        "inclusion_unavailable": unavailable,
        "keys": public_url(request, reverse("verify_key_set")),
    }


# Acknowledgements ----------------------------------------------------------------------------------


class AckOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    acknowledged_at = serializers.DateTimeField()


class AckApi(ClientApi):
    """Acknowledge a pushed message (its `id`), when the webhook's answer did not: 200 with its
    state, again with no change; 404 for a message that is not this client's."""

    required_scope = SCOPE_ACK

    @extend_schema(
        operation_id="exchange_ack",
        # Nothing to send but the address: an empty body or {} (documented as an object without fields).
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: AckOutputSerializer, 401: _ERROR, 403: _ERROR, 404: _ERROR, 429: _ERROR},
    )
    def post(self, request, message_id):
        message = services.message_acknowledge(client=request.user, message_id=message_id)
        if message is None:
            raise exceptions.NotFound(_("No such message for this client."))
        return Response(
            {"id": message.message_id, "status": message.status, "acknowledged_at": message.acknowledged_at}
        )
