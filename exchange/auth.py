"""How a customs system is recognised, allowed and counted in a request: a bearer token (RFC 6750),
a scope per view, and a rate per client."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from exchange import services


class BearerAuthentication(BaseAuthentication):
    """`Authorization: Bearer <access token>` from POST /api/v1/exchange/oauth/token. The request's
    user is the Client, its auth the AccessToken. A missing, unknown or expired token answers 401
    with `WWW-Authenticate: Bearer` (and error="invalid_token" when one was sent)."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from exc
        found = services.token_find(token)
        if found is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or has expired; ask for a new one."))
        return found.client, found

    def authenticate_header(self, request):
        sent = get_authorization_header(request).lower().startswith(b"bearer")
        return 'Bearer realm="exchange", error="invalid_token"' if sent else 'Bearer realm="exchange"'


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "exchange.auth.BearerAuthentication"
    name = "exchangeBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth 2.0 client credentials (RFC 6749 4.4): POST client_id and client_secret to "
            "/api/v1/exchange/oauth/token, send the access token as `Authorization: Bearer <token>`.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/v1/exchange/oauth/token",
                    "scopes": {
                        "certificates:read": "Read certificate records by number and exporter BIN",
                        "messages:ack": "Acknowledge pushed messages",
                    },
                }
            },
        }


class HasScope(BasePermission):
    """The token carries the view's `required_scope`; else 403 (RFC 6750 insufficient_scope)."""

    message = gettext_lazy("This token does not carry the scope this request needs.")

    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            return False
        return view.required_scope in request.auth.scopes.split()


class ClientRateThrottle(SimpleRateThrottle):
    """Requests per client (its own `rate`, else LIMS_EXCHANGE_RATE), counted in Django's cache (to
    hold across web processes, a shared cache: Redis). Too many answer 429 with Retry-After."""

    scope = "exchange"

    def get_rate(self):
        return settings.LIMS_EXCHANGE_RATE

    def allow_request(self, request, view):
        client = getattr(request.auth, "client", None)
        if client is None:
            return True  # refused by authentication anyway
        self.rate = client.rate or settings.LIMS_EXCHANGE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.client_id}
