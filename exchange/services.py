"""Writes of the exchange: clients and their secrets (lab managers, in the admin), access tokens
(the token endpoint), acknowledgements (the client) and resending (lab managers).

Why an implementation of its own rather than django-oauth-toolkit: a customs system needs one grant
(client credentials, RFC 6749 4.4), opaque bearer tokens (RFC 6750) and two scopes. The toolkit
brings authorisation codes, refresh tokens, applications tied to users, its own admin and two more
dependencies (oauthlib, jwcrypto) whose upgrades this project would follow for the one grant it
uses; what is needed fits here: a client id, a secret stored as its SHA-256, tokens of
LIMS_EXCHANGE_TOKEN_SECONDS stored as their SHA-256, scopes checked per view.
"""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.models import AccessToken, Client, OutboxMessage, sha256_hex
from lims import permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError
from lims.models import Organisation, User
from lims.services import validate


class InvalidClient(ApplicationError):
    """RFC 6749 5.2 invalid_client: unknown client, wrong secret, or inactive."""

    status_code = 401


class InvalidScope(ApplicationError):
    """RFC 6749 5.2 invalid_scope: a scope the client was not given."""


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def client_create(
    *, actor: User, name: str, scopes: str, organisation: Organisation | None = None, rate: str = ""
) -> tuple[Client, str]:
    """A new client and its secret, which is shown to the actor once and never stored."""
    permissions.require(actor, "exchange.manage")
    secret = _new_secret()
    client = Client(
        name=name.strip(),
        organisation=organisation,
        client_id=f"cs-{secrets.token_hex(8)}",
        secret_sha256=sha256_hex(secret),
        scopes=" ".join(sorted(set(scopes.split()))),
        rate=rate.strip(),
        created_by=actor,
    )
    validate(client)
    client.save()
    audit_record(
        actor=actor, action=AuditAction.EXCHANGE_CLIENT_CREATE, obj=client,
        data={"name": client.name, "client_id": client.client_id, "scopes": client.scopes},
    )  # fmt: skip
    return client, secret


@transaction.atomic
def client_new_secret(*, actor: User, client: Client) -> str:
    """Replace a client's secret (a leak, a handover); its tokens die with the old one."""
    permissions.require(actor, "exchange.manage")
    client = Client.objects.select_for_update().get(pk=client.pk)
    secret = _new_secret()
    client.secret_sha256, client.secret_set_at = sha256_hex(secret), timezone.now()
    client.save(update_fields=["secret_sha256", "secret_set_at"])
    client.tokens.all().delete()
    audit_record(
        actor=actor, action=AuditAction.EXCHANGE_CLIENT_SECRET, obj=client, data={"client_id": client.client_id}
    )
    return secret


def token_issue(*, client_id: str, client_secret: str, scope: str | None) -> tuple[AccessToken, str]:
    """A new access token for a client that proves its secret, with the scopes asked (all of its
    own when none are asked). InvalidClient / InvalidScope as RFC 6749 5.2 names them."""
    client = Client.objects.filter(client_id=client_id, active=True).first()
    # Compared in constant time, and hashed either way, so an unknown id takes as long as a bad secret.
    given = sha256_hex(client_secret)
    if client is None or not hmac.compare_digest(given, client.secret_sha256):
        raise InvalidClient(_("Unknown client or wrong secret."))
    asked = set(scope.split()) if scope else set(client.scope_set)
    if not asked or not asked <= client.scope_set:
        raise InvalidScope(
            _("This client may ask for these scopes only: %(scopes)s.")
            % {"scopes": " ".join(sorted(client.scope_set))},
            field="scope",
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    record = AccessToken.objects.create(
        client=client,
        token_sha256=sha256_hex(token),
        scopes=" ".join(sorted(asked)),
        issued_at=now,
        expires_at=now + timedelta(seconds=settings.LIMS_EXCHANGE_TOKEN_SECONDS),
    )
    return record, token


def token_find(token: str) -> AccessToken | None:
    """The unexpired token of an active client, or None."""
    return (
        AccessToken.objects.select_related("client")
        .filter(token_sha256=sha256_hex(token), expires_at__gt=timezone.now(), client__active=True)
        .first()
    )


@transaction.atomic
def message_acknowledge(*, client: Client, message_id: str) -> OutboxMessage | None:
    """The client acknowledges a message sent to one of its subscriptions (again: no change). None
    when it has no such message (the API answers 404, whoever's message it is)."""
    message = (
        OutboxMessage.objects.select_for_update().filter(message_id=message_id, subscription__client=client).first()
    )
    if message is None:
        return None
    if message.status != OutboxMessage.Status.ACKNOWLEDGED:
        message.status = OutboxMessage.LIFECYCLE.require_transition(message, "acknowledge")
        message.acknowledged_at, message.acknowledged_via = timezone.now(), "api"
        message.save(update_fields=["status", "acknowledged_at", "acknowledged_via"])
    return message


@transaction.atomic
def message_resend(*, actor: User, message: OutboxMessage) -> OutboxMessage:
    """Send a delivered-but-unacknowledged or failed message again, with a fresh round of attempts
    (`attempts` counts the round; every attempt stays recorded); the task is sent after commit."""
    from exchange.tasks import send_on_commit

    permissions.require(actor, "exchange.manage")
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    message.status = OutboxMessage.LIFECYCLE.require_transition(message, "resend")
    message.attempts, message.next_attempt_at = 0, timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    send_on_commit([message.pk])
    audit_record(
        actor=actor, action=AuditAction.EXCHANGE_MESSAGE_RESEND, obj=message,
        data={"message_id": str(message.message_id), "number": message.number},
    )  # fmt: skip
    return message
