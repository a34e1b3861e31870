from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from lims.roles import Role


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LABORATORY = "laboratory", _("Laboratory")
        EXPORTER = "exporter", _("Exporter")
        CUSTOMS = "customs", _("Customs office")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    registration_number = models.CharField(
        _("registration number"), max_length=40, blank=True, help_text=_("Business or tax identification number.")
    )
    address = models.TextField(_("address"), blank=True)
    country = CountryField(_("country"), default="KZ")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["laboratory", "exporter", "customs"]), name="org_kind_valid"
            )
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person. Roles are Django groups named after lims.roles.Role; what a role allows is decided
    in lims/permissions.py."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # Blank: the browser's language (the language cookie, then Accept-Language); see lims.languages.
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the pages, messages and e-mails; empty to follow the browser."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def roles(self) -> frozenset[str]:
        # Cached per instance: permission checks ask many times per request.
        if not hasattr(self, "_roles"):
            self._roles = frozenset(self.groups.values_list("name", flat=True)) if self.pk else frozenset()
        return self._roles

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def party_label(self) -> str:
        """How this person is named in a custody record: name and organisation, frozen at the time."""
        org = f" ({self.organisation.name})" if self.organisation is not None else ""
        return f"{self}{org}"


class AuditAction(models.TextChoices):
    """Every action an audit record may name, as Zulip's AuditLogEventType: a new write adds its
    member here, so the list is the whole vocabulary an assessor reads (lims.audit.audit_record
    refuses anything else). Values are `<subject>.<verb>`; a subject's actions sit together."""

    # Accounts and organisations (lims.admin)
    ACCOUNT_CREATE = "account.create", _("Account created")
    ACCOUNT_CHANGE = "account.change", _("Account changed")
    ACCOUNT_DELETE = "account.delete", _("Account deleted")
    # Lots and custody (samples)
    LOT_REGISTER = "lot.register", _("Lot registered")
    LOT_CHANGE = "lot.change", _("Lot changed")
    LOT_CLOSE = "lot.close", _("Lot closed")
    CUSTODY_VERIFY_ALL = "custody.verify_all", _("Every custody chain verified")
    CUSTODY_RECALL = "custody.recall", _("Hand-over recalled")
    # Reference data of the laboratory: methods, QC limits, instruments, panels, reference materials,
    # analytes, materials (assays, samples)
    REFERENCE_CREATE = "reference.create", _("Reference data created")
    REFERENCE_CHANGE = "reference.change", _("Reference data changed")
    REFERENCE_DELETE = "reference.delete", _("Reference data deleted")
    # Runs and results (assays)
    RUN_UPLOAD = "run.upload", _("Run file uploaded")
    RUN_IMPORT = "run.import", _("Run imported")
    RUN_REFUSE = "run.refuse", _("Run file refused")
    RUN_CHOOSE_READING = "run.choose_reading", _("Reading chosen")
    RUN_OVERRIDE_QC = "run.override_qc", _("Run QC overridden")
    RUN_ACCEPT = "run.accept", _("Run accepted")
    RUN_DISCARD = "run.discard", _("Run discarded")
    RUN_WITHDRAW = "run.withdraw", _("Run withdrawn")
    RESULT_ENTER = "result.enter", _("Results entered")
    PREPARATION_RECORD = "preparation.record", _("Preparation step recorded")
    CONTROL_BASELINE_FIX = "control_baseline.fix", _("Control baseline fixed")
    # Batches (worksheets) of the laboratory (assays.services.batches)
    BATCH_CREATE = "batch.create", _("Batch built")
    BATCH_CANCEL = "batch.cancel", _("Batch cancelled")
    BATCH_START = "batch.start", _("Batch measured")
    BATCH_COMPLETE = "batch.complete", _("Batch completed")
    BATCH_REOPEN = "batch.reopen", _("Batch reopened")
    # Certificates
    CERTIFICATE_REQUEST = "certificate.request", _("Certificate requested")
    CERTIFICATE_ISSUE = "certificate.issue", _("Certificate issued")
    CERTIFICATE_REVOKE = "certificate.revoke", _("Certificate revoked")
    CERTIFICATE_AMEND = "certificate.amend", _("Certificate amended")
    # Customs: declarations and the reference data of valuation
    DECLARATION_FILE = "declaration.file", _("Declaration filed")
    DECLARATION_RECHECK = "declaration.recheck", _("Declaration checked again")
    DECLARATION_ACCEPT = "declaration.accept", _("Declaration accepted")
    DECLARATION_REJECT = "declaration.reject", _("Declaration rejected")
    CUSTOMS_REFERENCE_CREATE = "customs_reference.create", _("Valuation reference data created")
    CUSTOMS_REFERENCE_CHANGE = "customs_reference.change", _("Valuation reference data changed")
    # Customs systems' exchange (exchange): clients, their secrets, pushed messages sent again
    EXCHANGE_CLIENT_CREATE = "exchange_client.create", _("Customs system client created")
    EXCHANGE_CLIENT_SECRET = "exchange_client.secret", _("Customs system client secret replaced")
    EXCHANGE_MESSAGE_RESEND = "exchange_message.resend", _("Pushed message sent again")


class AuditEvent(models.Model):
    """Who did what to which object, for writes that are not already recorded in an append-only
    domain log (custody events record sample changes themselves)."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("actor"), on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=60, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class Sequence(models.Model):
    """A named counter that hands out consecutive numbers without gaps: the row is locked for the
    rest of the caller's transaction, so a rolled-back caller returns its number to the pool."""

    key = models.CharField(max_length=80, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.value}"

    @classmethod
    def next_value(cls, key: str) -> int:
        assert transaction.get_connection().in_atomic_block, "Sequence.next_value must run inside a transaction"
        try:
            with transaction.atomic():
                cls.objects.get_or_create(key=key)
        except IntegrityError:
            pass  # another transaction created it first; the lock below waits for it
        row = cls.objects.select_for_update().get(key=key)
        row.value += 1
        row.save(update_fields=["value"])
        return row.value


class NotificationKind(models.TextChoices):
    """What a notification tells its reader; each kind's text is in lims.notifications.MESSAGES."""

    RESULT_REJECTED = "result_rejected", _("A result I entered is rejected")
    CERTIFICATE_ISSUED = "certificate_issued", _("A certificate is issued")
    CERTIFICATE_FAILED = "certificate_failed", _("A certificate could not be issued")
    DECLARATION_FLAGGED = "declaration_flagged", _("A declaration is flagged for review")
    NONCONFORMANCE_RAISED = "nonconformance_raised", _("A sample is put on hold with a nonconformance")
    SAMPLE_HANDED_OVER = "sample_handed_over", _("A sample is handed over to me")


class Notification(models.Model):
    """Something a person should know, shown under the bell and, if they chose so, e-mailed.

    The text is not stored: `data` holds the message's parameters (numbers and names, never an assay
    value) and lims.notifications renders them with gettext when the notification is shown or sent,
    so it reads in the reader's language. `email_due` is set at creation for the recipients who
    want this kind by e-mail and have an address; `emailed_at` once the mail went, so a task that
    runs again (a retry after an SMTP error, a redelivery) does not send it twice."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    email_due = models.BooleanField(_("to be e-mailed"), default=False)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # A person's notifications, newest first (the list and the API).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            # The bell's count, on every page: unread ones only.
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=NotificationKind.values), name="notification_kind_valid")
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def title(self) -> str:
        from lims.notifications import render

        return render(self)[0]

    def body(self) -> str:
        from lims.notifications import render

        return render(self)[1]


class NotificationPreference(models.Model):
    """Whether a person wants one kind of notification by e-mail as well (it is always shown under the
    bell). Without a row the kind's default holds (lims.notifications.EMAIL_BY_DEFAULT)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    email = models.BooleanField(_("by e-mail"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values), name="notification_preference_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} email={self.email}"
