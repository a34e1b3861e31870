"""Batches (worksheets) and the QC masks that lay them out.

A QC mask is reference data, one per method: ordered rules that say where the QC positions of a batch
go (a calibration blank at the start, a method blank, a CRM and a duplicate per 20 samples, a CCV every
10 positions and at the end). A technician builds a batch of samples for a method and an instrument;
the mask inserts the QC positions (assays.masks), and the batch is printed as a worksheet and exported
as the instrument's sequence (assays.sequences). A run imported against the batch is matched to it
(assays.batch_selectors.batch_match), and its QC pairs each duplicate with the sample the batch says.

Registered with the app's models by assays.apps.AssaysConfig.import_models.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assays.models import Instrument, Method, ReferenceMaterial, Run
from lims.lib.transitions import Lifecycle
from samples.models import Sample


class QCKind(models.TextChoices):
    """The QC items a mask may place."""

    CAL_BLANK = "cal_blank", _("Calibration blank")
    METHOD_BLANK = "method_blank", _("Method blank")
    CRM = "crm", _("Reference material")
    DUPLICATE = "duplicate", _("Duplicate")
    CCV = "ccv", _("CCV")


class PositionKind(models.TextChoices):
    SAMPLE = "sample", _("Sample")
    CAL_BLANK = QCKind.CAL_BLANK.value, QCKind.CAL_BLANK.label
    METHOD_BLANK = QCKind.METHOD_BLANK.value, QCKind.METHOD_BLANK.label
    CRM = QCKind.CRM.value, QCKind.CRM.label
    DUPLICATE = QCKind.DUPLICATE.value, QCKind.DUPLICATE.label
    CCV = QCKind.CCV.value, QCKind.CCV.label


class Placement(models.TextChoices):
    START = "start", _("Once at the start")
    PER_SAMPLES = "per_samples", _("One per N samples (after each group of N, and after the last group)")
    EVERY_POSITIONS = "every_positions", _("After every N positions")
    END = "end", _("Once at the end")


# Placements that need their N.
COUNTED = (Placement.PER_SAMPLES, Placement.EVERY_POSITIONS)


class QCMask(models.Model):
    """The QC layout of a method's batches: its rules, in order (assays.masks explains how they apply)."""

    EXPORTER_PATH = None  # the laboratory's reference data

    method = models.OneToOneField(Method, verbose_name=_("method"), on_delete=models.CASCADE, related_name="qc_mask")
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("QC mask")
        verbose_name_plural = _("QC masks")
        ordering = ["method__name"]

    def __str__(self):
        return self.name


class QCMaskRule(models.Model):
    mask = models.ForeignKey(QCMask, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("QC item"), max_length=20, choices=QCKind.choices)
    placement = models.CharField(_("placement"), max_length=20, choices=Placement.choices)
    interval = models.PositiveSmallIntegerField(
        _("N"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For “one per N samples” and “after every N positions”; empty otherwise."),
    )

    class Meta:
        verbose_name = _("QC mask rule")
        verbose_name_plural = _("QC mask rules")
        ordering = ["mask", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["mask", "order"], name="qc_mask_rule_order_unique"),
            models.CheckConstraint(condition=models.Q(kind__in=QCKind.values), name="qc_mask_rule_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(placement__in=["per_samples", "every_positions"], interval__gte=1)
                | models.Q(placement__in=["start", "end"], interval__isnull=True),
                name="qc_mask_rule_interval",
                violation_error_message=_("Give N for a counted placement, and none for the start or the end."),
            ),
        ]

    def __str__(self):
        every = f" {self.interval}" if self.interval else ""
        return f"{self.get_kind_display()}: {self.get_placement_display()}{every}"

    def clean(self):
        if self.placement in COUNTED and not self.interval:
            raise ValidationError({"interval": _("Say how many: N is needed for this placement.")})
        if self.placement not in COUNTED and self.interval is not None:
            raise ValidationError({"interval": _("Leave N empty for a placement at the start or the end.")})


class BatchStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    COMPLETE = "complete", _("Complete")
    CANCELLED = "cancelled", _("Cancelled")


class Batch(models.Model):
    """Samples of one method laid out for one instrument, with their QC positions. Planned when built;
    running once a run is uploaded against it; complete when that run is accepted. A run that is
    refused, discarded or withdrawn puts the batch back to planned, so the sequence may be measured
    again. A planned batch may be cancelled:

    | action   | from               | to        |
    |----------|--------------------|-----------|
    | (create) | (new)              | planned   |
    | start    | planned            | running   |
    | complete | running            | complete  |
    | reopen   | running / complete | planned   |
    | cancel   | planned            | cancelled |
    """

    EXPORTER_PATH = None  # the laboratory's working record

    Status = BatchStatus
    LIFECYCLE = Lifecycle(
        Status,
        {
            "start": ({Status.PLANNED}, Status.RUNNING),
            "complete": ({Status.RUNNING}, Status.COMPLETE),
            "reopen": ({Status.RUNNING, Status.COMPLETE}, Status.PLANNED),
            "cancel": ({Status.PLANNED}, Status.CANCELLED),
        },
        this=_("This batch"),
        name=lambda batch: _("Batch %(number)s") % {"number": batch.pk},
        labels={
            "start": _("given its run"),
            "complete": _("completed"),
            "reopen": _("reopened"),
            "cancel": _("cancelled"),
        },
        initial=Status.PLANNED,
        already=True,
    )

    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+")
    reference_material = models.ForeignKey(
        ReferenceMaterial,
        verbose_name=_("reference material"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("built by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("built at"), default=timezone.now)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=BatchStatus.values), name="batch_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="batch_cancel_has_reason",
            ),
        ]
        indexes = [models.Index(models.F("created_at").desc(), models.F("id").desc(), name="batch_newest_idx")]

    def __str__(self):
        return str(_("Batch %(number)s") % {"number": self.pk})


class BatchPosition(models.Model):
    """One place of a batch's sequence: a sample, or a QC item. `label` is the name the sequence gives
    the instrument, and the run's file gives back (a sample's code, CAL BLANK 1, OREAS 991 2, DUP 21,
    CCV 3): unique in the batch, so a row of the file names one position. A duplicate names the
    position it repeats (`duplicate_of`)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="positions")
    number = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=PositionKind.choices)
    label = models.CharField(_("name in the sequence"), max_length=80)
    sample = models.ForeignKey(
        Sample, verbose_name=_("sample"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference_material = models.ForeignKey(
        ReferenceMaterial, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("batch position")
        verbose_name_plural = _("batch positions")
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="batch_position_unique"),
            models.UniqueConstraint(fields=["batch", "label"], name="batch_label_unique"),
            models.CheckConstraint(condition=models.Q(kind__in=PositionKind.values), name="batch_position_kind"),
            # A sample position holds its sample; a duplicate holds the sample it repeats and names its
            # position; a CRM position holds the CRM; blanks and CCVs hold neither.
            models.CheckConstraint(
                condition=models.Q(kind="sample", sample__isnull=False, duplicate_of__isnull=True)
                | models.Q(kind="duplicate", sample__isnull=False, duplicate_of__isnull=False)
                | (
                    ~models.Q(kind__in=["sample", "duplicate"])
                    & models.Q(sample__isnull=True, duplicate_of__isnull=True)
                ),
                name="batch_position_sample",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="crm", reference_material__isnull=False)
                | (~models.Q(kind="crm") & models.Q(reference_material__isnull=True)),
                name="batch_position_crm",
            ),
        ]

    def __str__(self):
        return f"{self.batch_id}/{self.number} {self.label}"

    @property
    def is_qc(self) -> bool:
        return self.kind != PositionKind.SAMPLE


class BatchRun(models.Model):
    """The run uploaded against a batch (one batch may see several runs over time: one refused or
    discarded, then another)."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="batch_link")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="run_links")

    class Meta:
        verbose_name = _("run of a batch")
        verbose_name_plural = _("runs of batches")

    def __str__(self):
        return f"{self.batch} ← {self.run_id}"
