"""Certificates of Analysis and the public keys they were signed with.

A certificate is requested (pending), rendered and signed by a Celery worker (rendering, signing),
and issued; or it failed (with the reason) and may be retried. An issued certificate never changes:
it may only be revoked, or superseded by an amendment, a new certificate that cites it. The frozen
snapshot is everything the certificate states; the PDF, its hash and the QR token are made from it.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lims.lib.append_only import AppendOnlyModel
from lims.lib.transitions import Lifecycle
from samples.models import Sample


class SigningKey(models.Model):
    """The public half of a key that signed certificates (never a private key): the X.509
    certificate of a PDF signing key, or an Ed25519 QR-token public key. Kept for good, so that
    every certificate stays verifiable after the key is rotated."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF signature (X.509)")
        TOKEN = "token", _("QR token (Ed25519)")
        STATUS = "status", _("status list and key set (Ed25519)")
        LOG = "log", _("transparency log checkpoints (Ed25519)")

    class State(models.TextChoices):
        CURRENT = "current", _("current")
        RETIRED = "retired", _("retired: no longer signs, what it signed still verifies")
        COMPROMISED = "compromised", _("compromised: what it signed from a date on is not valid")

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    public_pem = models.TextField(_("public key or certificate (PEM)"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    first_used_at = models.DateTimeField(_("first used"), default=timezone.now)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.CURRENT)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    compromised_from = models.DateTimeField(
        _("compromised from"),
        null=True,
        blank=True,
        help_text=_("What this key signed from this moment on is not valid."),
    )
    state_reason = models.TextField(_("why the state changed"), blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-first_used_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.kid}"


class CertificateStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RENDERING = "rendering", _("Rendering")
    SIGNING = "signing", _("Signing")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")


_S = CertificateStatus
# The certificates the worker has still to finish (claim, render, sign), in the order it goes.
IN_PROGRESS = (_S.PENDING, _S.RENDERING, _S.SIGNING)
# The certificates that were issued: they have a number, a PDF and a QR token, never change, and the
# public register shows them.
WAS_ISSUED = (_S.ISSUED, _S.REVOKED, _S.SUPERSEDED)


class Certificate(models.Model):
    """A Certificate of Analysis of one sample. The issue task claims a requested certificate,
    renders and signs it, and issues it; or fails it with the reason, and a person may retry it:

    | action    | from                          | to          |
    |-----------|-------------------------------|-------------|
    | (create)  | (new)                         | pending     |
    | claim     | pending / rendering / signing | rendering   |
    | sign      | rendering                     | signing     |
    | issue     | signing                       | issued      |
    | fail      | pending / rendering / signing | failed      |
    | retry     | failed                        | pending     |
    | amend     | issued                        | (unchanged) |
    | revoke    | issued                        | revoked     |
    | supersede | issued                        | superseded  |

    An amendment is a new certificate that supersedes this one when it is issued.
    """

    EXPORTER_PATH = "sample__lot__exporter"

    Status = CertificateStatus
    LIFECYCLE = Lifecycle(
        Status,
        {
            # Again after a lease ran out: the worker that held the certificate died.
            "claim": (IN_PROGRESS, Status.RENDERING),
            "sign": ({Status.RENDERING}, Status.SIGNING),
            "issue": ({Status.SIGNING}, Status.ISSUED),
            "fail": (IN_PROGRESS, Status.FAILED),
            "retry": ({Status.FAILED}, Status.PENDING),
            "amend": ({Status.ISSUED}, None),
            "revoke": ({Status.ISSUED}, Status.REVOKED),
            "supersede": ({Status.ISSUED}, Status.SUPERSEDED),
        },
        this=_("This certificate"),
        labels={
            "claim": _("taken up by the worker"),
            "sign": _("signed"),
            "issue": _("issued"),
            "fail": _("failed"),
            "retry": _("retried"),
            "amend": _("amended"),
            "revoke": _("revoked"),
            "supersede": _("superseded"),
        },
        initial=Status.PENDING,
    )
    IN_PROGRESS = IN_PROGRESS
    WAS_ISSUED = WAS_ISSUED
    # Certificates that are, or will be, their sample's current one: a sample has one at a time.
    LIVE = (*IN_PROGRESS, Status.ISSUED, Status.FAILED)

    number = models.CharField(_("number"), max_length=40, unique=True, null=True, blank=True)
    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="certificates")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    snapshot = models.JSONField(_("snapshot"))
    snapshot_sha256 = models.CharField(_("snapshot SHA-256"), max_length=64)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    amendment_reason = models.TextField(_("what changed and why"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # The work of the issue task.
    dispatched_at = models.DateTimeField(_("last dispatched"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by task"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    # What issuing produced.
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="certificates/", blank=True, max_length=255)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True, db_index=True)
    qr_token = models.TextField(_("QR token"), blank=True)
    signing_kid = models.CharField(_("PDF signing key id"), max_length=16, blank=True)
    # SHA-256 (hex) of the verification code printed on the certificate; the code itself is never stored.
    verification_code_sha256 = models.CharField(_("verification code SHA-256"), max_length=64, blank=True)
    token_kid = models.CharField(_("QR token key id"), max_length=16, blank=True)
    # The end of its life.
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CertificateStatus.values),
                name="certificate_status_valid",
            ),
            # Issued (and what follows from issued) means a number, a PDF and its hash.
            models.CheckConstraint(
                condition=~models.Q(status__in=list(WAS_ISSUED))
                | (
                    models.Q(number__isnull=False, issued_at__isnull=False)
                    & ~models.Q(pdf="")
                    & ~models.Q(pdf_sha256="")
                    & ~models.Q(qr_token="")
                ),
                name="certificate_issued_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="revoked")
                | (models.Q(revoked_at__isnull=False) & ~models.Q(revocation_reason="")),
                name="certificate_revocation_complete",
            ),
            # An amendment says what changed and why (ISO/IEC 17025 7.8.8).
            models.CheckConstraint(
                condition=models.Q(supersedes__isnull=True) | ~models.Q(amendment_reason=""),
                name="certificate_amendment_has_reason",
            ),
        ]
        indexes = [
            # The sweep looks for certificates a worker never picked up or dropped.
            models.Index(
                fields=["dispatched_at"],
                condition=models.Q(status__in=list(IN_PROGRESS)),
                name="certificate_unfinished_idx",
            ),
            # Meta.ordering, so a page of the lists reads the index instead of sorting every certificate.
            models.Index(models.F("requested_at").desc(), models.F("id").desc(), name="certificate_newest_idx"),
        ]

    def __str__(self):
        return self.number or f"{_('certificate')} #{self.pk} ({self.get_status_display()})"

    # What an issued certificate states and how it was issued; never changed afterwards.
    FROZEN_FIELDS = ("sample_id", "snapshot", "snapshot_sha256", "number", "issued_at", "pdf", "pdf_sha256", "qr_token")

    def save(self, *args, **kwargs):
        """Refuse to change what an issued certificate states, whoever calls save(). A save of other
        fields only (update_fields) cannot change it and is not checked."""
        update_fields = kwargs.get("update_fields")
        touches_frozen = update_fields is None or {f.removesuffix("_id") for f in self.FROZEN_FIELDS} & {
            f.removesuffix("_id") for f in update_fields
        }
        if self.pk is not None and touches_frozen:
            stored = (
                type(self)
                .objects.filter(pk=self.pk, status__in=self.WAS_ISSUED)
                .values(*[name.removesuffix("_id") if name == "sample_id" else name for name in self.FROZEN_FIELDS])
                .first()
            )
            if stored is not None:
                stored["sample_id"] = stored.pop("sample")
                current = {name: getattr(self, name) for name in self.FROZEN_FIELDS}
                current["pdf"] = self.pdf.name
                if current != stored:
                    raise PermissionError(
                        "An issued certificate never changes; amend it with a new certificate instead."
                    )
        super().save(*args, **kwargs)

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    @property
    def is_current(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def was_issued(self) -> bool:
        return self.status in self.WAS_ISSUED


class CertificateEvent(AppendOnlyModel):
    """What happened to a certificate, in order: requested, claimed, rendered, signed, issued,
    failed, retried, revoked, superseded. The progress page reads it; append-only
    (lims.lib.append_only), like custody events."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")
        ordering = ["certificate", "at", "id"]

    # The actions are stored as these English words (the API's values); a page names them in the
    # reader's language.
    ACTION_LABELS = {
        "requested": _("Requested"),
        "rendering": _("Rendering"),
        "signing": _("Signing"),
        "issued": _("issued"),
        "failed": _("failed"),
        "retried": _("retried"),
        "revoked": _("revoked"),
        "superseded": _("superseded"),
    }
    ATTEMPT = re.compile(r"attempt (\d+)")

    def __str__(self):
        return f"{self.certificate_id} {self.action}"

    @property
    def action_display(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action))

    @property
    def note_display(self) -> str:
        """The note, where the service wrote it in words of its own ("attempt 2"), in the reader's
        language; otherwise as written (a reason, a certificate number)."""
        attempt = self.ATTEMPT.fullmatch(self.note)
        if attempt:
            return gettext("attempt %(number)s") % {"number": attempt.group(1)}
        return self.note


class LogEntry(AppendOnlyModel):
    """One leaf of the transparency log (certificates.transparency): the canonical JSON of an event
    that matters to a verifier (a certificate issued, revoked or superseded; a key added, retired or
    compromised; statistics published), at a dense, gap-free index. Append-only, like the events it
    records; `event` and `certificate` repeat what the leaf says, to find a certificate's leaf."""

    index = models.BigIntegerField(_("index"), primary_key=True)
    leaf = models.BinaryField(_("leaf"))
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    event = models.CharField(_("event"), max_length=20)
    time = models.DateTimeField(_("time"))
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="log_entries"
    )

    class Meta:
        verbose_name = _("transparency log entry")
        verbose_name_plural = _("transparency log entries")
        ordering = ["index"]
        indexes = [models.Index(fields=["certificate", "event"], name="logentry_certificate_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(index__gte=0), name="logentry_index_valid")]

    def __str__(self):
        return f"{self.index} {self.event}"


class LogNode(AppendOnlyModel):
    """The hash of a complete subtree of the log above the leaves (level >= 1), stored when its last
    leaf is appended, so that a proof reads O(log n) rows. `key` = end * 64 + level, where end is
    the size at which the subtree completed: unique, and ordered as the nodes were made."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("transparency log node")
        verbose_name_plural = _("transparency log nodes")

    def __str__(self):
        return str(self.key)


class LogCheckpoint(AppendOnlyModel):
    """A signed checkpoint of the log (C2SP tlog-checkpoint as a signed note): its size, root hash
    (hex) and the note's text as published at /verify/log/checkpoint. Signed by a worker with the
    log key; the web serves the latest."""

    size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.CharField(_("root hash"), max_length=64)
    text = models.TextField(_("signed note"))
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("transparency log checkpoint")
        verbose_name_plural = _("transparency log checkpoints")
        ordering = ["-size"]
        constraints = [models.CheckConstraint(condition=models.Q(size__gte=0), name="logcheckpoint_size_valid")]

    def __str__(self):
        return f"{self.size} {self.root_hash}"


class LogWitness(models.Model):
    """A witness whose cosignatures the log collects and serves (C2SP tlog-cosignature): someone
    outside the laboratory who runs certificates/witness.py and registered its verifier key here.
    `vkey` is what `witness.py vkey` prints: "<name>+<key hash>+<base64(0x04 || Ed25519 key)>", and
    `name` is the key's name in it (a cosignature line is found by that name). Kept by administrators
    in the admin; a witness that stops is made inactive, never deleted once it has cosigned (its
    cosignatures are log records), and an inactive witness's cosignatures are no longer served."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    vkey = models.CharField(_("verifier key"), max_length=400, unique=True)
    active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("transparency log witness")
        verbose_name_plural = _("transparency log witnesses")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def note_key(self):
        """The witness's key as certificates.witness reads it (type 0x04); ValueError when unusable."""
        from certificates import witness

        return witness.parse_vkey(self.vkey, signature_type=witness.SIGNATURE_TYPE_COSIGNATURE)

    def clean(self):
        super().clean()
        try:
            key = self.note_key()
        except ValueError as exc:
            raise ValidationError(
                {"vkey": _("Not a witness's verifier key as witness.py vkey prints it: %(reason)s") % {"reason": exc}}
            ) from exc
        if key.name != self.name:
            raise ValidationError(
                {"name": _("The name must be the verifier key's name, %(name)s.") % {"name": key.name}}
            )


class LogCosignature(AppendOnlyModel):
    """A registered witness's cosignature of a signed checkpoint (C2SP tlog-cosignature, cosignature/v1),
    collected by POST /api/v1/log/cosignatures/ and served after the log's own signature at
    /verify/log/checkpoint. `line` is the signature line exactly as received (without its newline);
    `timestamp` the time the witness signed (in the line). One per checkpoint and witness; append-only,
    like the log."""

    checkpoint = models.ForeignKey(LogCheckpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.ForeignKey(LogWitness, on_delete=models.PROTECT, related_name="cosignatures")
    line = models.TextField(_("signature line"))
    timestamp = models.DateTimeField(_("cosigned at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("transparency log cosignature")
        verbose_name_plural = _("transparency log cosignatures")
        ordering = ["checkpoint", "witness"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="logcosignature_once_per_witness")
        ]

    def __str__(self):
        return f"{self.checkpoint_id} {self.witness_id}"
