"""Customs systems as clients, what they may read, what was signed for them and pushed to them.

- Client: a customs information system (OAuth 2.0 client credentials, RFC 6749 4.4): a public
  client id, a secret stored as its SHA-256 only, scopes, a rate limit. AccessToken: a short-lived
  opaque bearer token, stored as its SHA-256 only.
- RequestLog: one append-only row per request to the certificate endpoint (who, what, answer).
- SignedRecord: a certificate's structured public content and status, signed (JWS, EdDSA) by a
  worker with the status key; append-only, one per certificate event that the outbox read.
- Subscription, OutboxMessage, DeliveryAttempt: status changes pushed to a client's webhook, every
  attempt recorded (append-only), until the receiver acknowledges.
- Cursor: how far the outbox has read the certificate event table (exchange.outbox).
"""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate, CertificateEvent
from lims.lib.append_only import AppendOnlyModel
from lims.lib.transitions import Lifecycle
from lims.models import Organisation

# What a client may be allowed (RFC 6749 3.3: space-delimited in requests and answers).
SCOPE_READ = "certificates:read"
SCOPE_ACK = "messages:ack"
SCOPES = {
    SCOPE_READ: _("Read certificate records by number and exporter BIN"),
    SCOPE_ACK: _("Acknowledge pushed messages"),
}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def validate_scopes(value: str) -> None:
    unknown = sorted(set(value.split()) - set(SCOPES))
    if unknown:
        raise ValidationError(
            _("Unknown scopes: %(scopes)s. Allowed: %(allowed)s."),
            params={"scopes": " ".join(unknown), "allowed": " ".join(SCOPES)},
        )


def validate_rate(value: str) -> None:
    number, _slash, period = value.partition("/")
    if value and not (number.isdigit() and int(number) > 0 and period in ("s", "sec", "min", "hour", "day")):
        raise ValidationError(_("Write a rate as requests per period, such as 120/min (s, min, hour or day)."))


class Client(models.Model):
    """A customs information system. Its secret is shown once, when made (the admin), and stored as
    its SHA-256: the secret is 32 random bytes, so a fast hash is safe (nothing to guess from it),
    as knox stores API tokens."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("customs office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Organisation.Kind.CUSTOMS},
    )
    client_id = models.CharField(_("client id"), max_length=40, unique=True, editable=False)
    secret_sha256 = models.CharField(_("secret SHA-256"), max_length=64, editable=False)
    secret_set_at = models.DateTimeField(_("secret set at"), default=timezone.now, editable=False)
    scopes = models.CharField(
        _("scopes"),
        max_length=200,
        default=SCOPE_READ,
        validators=[validate_scopes],
        help_text=_("Space-separated: certificates:read, messages:ack."),
    )
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        validators=[validate_rate],
        help_text=_("Requests per period, such as 600/min; empty for the default (LIMS_EXCHANGE_RATE)."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customs system client")
        verbose_name_plural = _("customs system clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    # A client stands where a user stands in a request (REST framework's request.user).
    is_authenticated = True
    is_anonymous = False

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class AccessToken(models.Model):
    """A bearer token (RFC 6750) of a client, valid until expires_at; only its SHA-256 is stored."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tokens")
    token_sha256 = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=200)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        indexes = [models.Index(fields=["expires_at"], name="exchange_token_expiry_idx")]

    def __str__(self):
        return f"{self.client} {self.issued_at:%Y-%m-%d %H:%M}"


class RequestLog(AppendOnlyModel):
    """One row per request to the certificate endpoint, whatever the answer (append-only; on
    PostgreSQL a trigger refuses UPDATE and DELETE)."""

    class Outcome(models.TextChoices):
        FOUND = "found", _("found")
        NOT_FOUND = "not_found", _("not found (or BIN does not match)")
        NOT_READY = "not_ready", _("record not signed yet")
        BAD_REQUEST = "bad_request", _("bad request")
        UNAUTHORISED = "unauthorised", _("no valid token")
        FORBIDDEN = "forbidden", _("scope missing")
        THROTTLED = "throttled", _("too many requests")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    number = models.CharField(_("certificate number"), max_length=60)
    bin = models.CharField(_("BIN"), max_length=60, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    remote_addr = models.CharField(_("remote address"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("customs system request")
        verbose_name_plural = _("customs system requests")
        ordering = ["-at", "-id"]
        indexes = [models.Index(models.F("at").desc(), models.F("id").desc(), name="exchange_request_newest_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.number} {self.outcome}"


class SignedRecord(AppendOnlyModel):
    """A certificate's record as signed by a worker after `event` (exchange.records): the JWS
    compact serialisation, and what it says, for the web to serve without a key."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(CertificateEvent, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status signed"), max_length=12)
    signed_at = models.DateTimeField(_("signed at"))
    kid = models.CharField(_("key id"), max_length=16)
    jws = models.TextField(_("JWS"))

    class Meta:
        verbose_name = _("signed certificate record")
        verbose_name_plural = _("signed certificate records")
        indexes = [models.Index(fields=["certificate", "-signed_at", "-id"], name="exchange_record_latest_idx")]

    def __str__(self):
        return f"{self.certificate_id} {self.status} {self.signed_at:%Y-%m-%d %H:%M:%S}"


class Cursor(models.Model):
    """How far a reader has read an append-only table (exchange.outbox): every row with an id up to
    `position` has been handled or is older than any transaction can be."""

    name = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cursor")
        verbose_name_plural = _("cursors")

    def __str__(self):
        return f"{self.name} @ {self.position}"


class Subscription(models.Model):
    """A client's webhook: every revocation and supersession is POSTed there (exchange.push)."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="subscriptions")
    url = models.URLField(_("webhook URL"), max_length=500)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["client", "url"]
        constraints = [models.UniqueConstraint(fields=["client", "url"], name="exchange_subscription_unique")]

    def __str__(self):
        return f"{self.client}: {self.url}"

    def clean(self):
        # Plain HTTP only where the operator allows it (development, tests): pushes carry revocations.
        if self.url.startswith("http://") and not settings.LIMS_EXCHANGE_PUSH_ALLOW_HTTP:
            raise ValidationError({"url": _("Use an https:// address.")})


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered, not acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """A status change to POST to one subscription. The body is fixed when the message is made (its
    bytes are what the signature covers, and what a resend sends again):

    | action      | from                | to           |
    |-------------|---------------------|--------------|
    | (create)    | (new)               | pending      |
    | deliver     | pending             | delivered    |
    | acknowledge | pending / delivered | acknowledged |
    | give_up     | pending             | failed       |
    | resend      | delivered / failed  | pending      |

    Acknowledged: the receiver answered 2xx with the message id in its body, or POSTed to
    /api/v1/exchange/acks/<id>/ (also after a lost answer, so from pending too). Delivered: it
    answered 2xx without the id. Failed: every attempt failed (LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS).
    """

    Status = MessageStatus
    LIFECYCLE = Lifecycle(
        Status,
        {
            "deliver": ({Status.PENDING}, Status.DELIVERED),
            "acknowledge": ({Status.PENDING, Status.DELIVERED}, Status.ACKNOWLEDGED),
            "give_up": ({Status.PENDING}, Status.FAILED),
            "resend": ({Status.DELIVERED, Status.FAILED}, Status.PENDING),
        },
        this=_("This message"),
        labels={
            "deliver": _("delivered"),
            "acknowledge": _("acknowledged"),
            "give_up": _("given up"),
            "resend": _("sent again"),
        },
        initial=Status.PENDING,
        already=True,
    )
    UNACKNOWLEDGED = (Status.PENDING, Status.DELIVERED, Status.FAILED)

    message_id = models.UUIDField(_("message id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.PROTECT, related_name="messages"
    )
    event = models.ForeignKey(CertificateEvent, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("certificate number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=40)
    body = models.TextField(_("body"))
    signature = models.TextField(_("signature (detached JWS)"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_via = models.CharField(_("acknowledged by"), max_length=10, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("pushed message")
        verbose_name_plural = _("pushed messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="exchange_message_status_valid"
            ),
            models.UniqueConstraint(fields=["subscription", "event"], name="exchange_message_once"),
        ]
        indexes = [
            # The sender's queue: messages still to send, by when.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="exchange_due_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.number} -> {self.subscription_id}"


class DeliveryAttempt(AppendOnlyModel):
    """One POST of a message and what came of it (append-only)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, related_name="deliveries")
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    acknowledged = models.BooleanField(_("acknowledged in the answer"), default=False)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message", "number"]

    def __str__(self):
        return f"{self.message_id} #{self.number}"
