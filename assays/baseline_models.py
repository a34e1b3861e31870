"""The fixed limits of the control charts (assays.control): one baseline per control series."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assays.models import Analyte, Method, ReferenceMaterial, Run


class ControlKind(models.TextChoices):
    CRM = "crm", _("Reference material")
    BLANK = "blank", _("Blank")


class ControlBaseline(models.Model):
    """The mean and standard deviation of a control series over a baseline period a lab manager
    chose (from/to times, or chosen runs), computed from the series' results in it and frozen when
    fixed: the control charts draw their limits and judge the Westgard rules from these figures,
    never from the points they show (assays.control, assays.westgard).

    A series is a reference material (kind `crm`: its recovery in %) or the blanks (kind `blank`:
    the measured blank, in the method's blank unit) of one analyte by one method. A baseline never
    changes once fixed; fixing another for the same series replaces it (`replaced_at`,
    `replaced_by`), and the replaced one stays on record with the results it was computed from
    (`points`). Fixed and replaced through assays.services.baselines only, by a lab manager, audited.
    """

    Kind = ControlKind

    kind = models.CharField(_("series"), max_length=8, choices=ControlKind.choices)
    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.PROTECT, related_name="+")
    analyte = models.ForeignKey(Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="+")
    reference_material = models.ForeignKey(
        ReferenceMaterial,
        verbose_name=_("reference material"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # How the manager chose the period: between two times, or by naming the runs.
    period_start = models.DateTimeField(_("period from"), null=True, blank=True)
    period_end = models.DateTimeField(_("period to"), null=True, blank=True)
    runs = models.ManyToManyField(Run, verbose_name=_("runs"), related_name="+", blank=True)
    unit = models.CharField(_("unit"), max_length=8)
    n = models.PositiveIntegerField(_("results"))
    mean = models.DecimalField(_("mean"), max_digits=30, decimal_places=12)
    sd = models.DecimalField(_("standard deviation"), max_digits=30, decimal_places=12)
    # The results the figures were computed from, as they were: [{"check", "run", "at", "value"}].
    points = models.JSONField(_("results used"), default=list)
    reason = models.TextField(_("reason"), blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fixed_at = models.DateTimeField(_("fixed at"), default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("control baseline")
        verbose_name_plural = _("control baselines")
        ordering = ["-fixed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ControlKind.values), name="baseline_kind_valid"),
            # A reference material's series names it; the blanks' series names none.
            models.CheckConstraint(
                condition=models.Q(kind="crm", reference_material__isnull=False)
                | models.Q(kind="blank", reference_material__isnull=True),
                name="baseline_crm_iff_kind_crm",
            ),
            # Limits without spread cannot say how far is too far.
            models.CheckConstraint(condition=models.Q(sd__gt=0), name="baseline_sd_positive"),
            models.CheckConstraint(
                condition=models.Q(period_start__isnull=True)
                | models.Q(period_end__isnull=True)
                | models.Q(period_start__lte=models.F("period_end")),
                name="baseline_period_ordered",
            ),
            # One baseline in force per series.
            models.UniqueConstraint(
                fields=["method", "analyte", "reference_material"],
                condition=models.Q(replaced_at__isnull=True, kind="crm"),
                name="baseline_current_crm",
            ),
            models.UniqueConstraint(
                fields=["method", "analyte"],
                condition=models.Q(replaced_at__isnull=True, kind="blank"),
                name="baseline_current_blank",
            ),
        ]

    def __str__(self):
        subject = self.reference_material or _("blank")
        return f"{subject} {self.analyte} {self.method.code}: {self.mean} ± {self.sd} (n {self.n})"
