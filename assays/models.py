"""Reference data of the laboratory (analytes, methods, instruments, panels, reference materials)
and its measurements (runs, readings, QC checks, results).

A Reading is what an instrument said; a Result is what the laboratory reports for a sample and an
analyte, in the panel's unit and on a stated basis. Results are written only by assays.services,
and every change of a result's status appends a ResultEvent.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assays import precision, qc, selection
from assays.choices import ExportBasis, Qualifier, RowType
from lims.lib.append_only import AppendOnlyModel
from lims.lib.transitions import Lifecycle
from lims.lib.translated import TranslatedName
from samples.models import Material, Sample

# The analyte that is a sample's moisture: reported as received, and the figure the dry basis needs.
MOISTURE = "H2O"
# Statuses in which a sample may receive results: received with an intact seal, or with its seal problem
# accepted by the lab manager; that is, those its analysis starts from, and in analysis.
ANALYSABLE = Sample.LIFECYCLE.sources("analyse") | {Sample.Status.IN_ANALYSIS}


class Unit(models.TextChoices):
    """Reporting units of solids. Solution units appear only on readings (see assays.units)."""

    PERCENT = "%", "%"
    G_PER_T = "g/t", "g/t"
    PPM = "ppm", "ppm"
    PPB = "ppb", "ppb"


class Basis(models.TextChoices):
    DRY = "dry", _("Dry basis")
    AS_RECEIVED = "as_received", _("As received")


class Analyte(TranslatedName, models.Model):
    """An element (or moisture) the laboratory reports. Rare-earth elements are flagged because
    customs checks that every one of them the certificate reports is declared. Its name in Russian
    and Kazakh is shown to readers of those languages (lims.lib.translated)."""

    symbol = models.CharField(_("symbol"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_ru = models.CharField(_("name in Russian"), max_length=60, blank=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=60, blank=True)
    default_unit = models.CharField(_("default unit"), max_length=8, choices=Unit.choices)
    is_rare_earth = models.BooleanField(_("rare-earth element"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("analyte")
        verbose_name_plural = _("analytes")
        ordering = ["symbol"]

    def __str__(self):
        return self.symbol


class Method(TranslatedName, models.Model):
    class Technique(models.TextChoices):
        ICP_MS = "icp_ms", _("ICP-MS")
        FIRE_ASSAY = "fire_assay", _("Fire assay")
        TITRATION = "titration", _("Titration")
        GRAVIMETRIC = "gravimetric", _("Gravimetric")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    name_ru = models.CharField(_("name in Russian"), max_length=160, blank=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=160, blank=True)
    technique = models.CharField(_("technique"), max_length=20, choices=Technique.choices)
    standard = models.CharField(_("standard"), max_length=80, blank=True, help_text=_("For example ISO 10258."))
    procedure_code = models.CharField(
        _("procedure code"),
        max_length=40,
        blank=True,
        help_text=_("The laboratory's own procedure that implements the method, for example SOP-ICPMS-01."),
    )
    procedure_revision = models.CharField(_("procedure revision"), max_length=20, blank=True)
    imported = models.BooleanField(
        _("imported from instrument files"),
        default=False,
        help_text=_("Results of this method arrive as instrument runs; the others are entered by hand."),
    )
    export_basis = models.CharField(
        _("basis of the exported concentrations"),
        max_length=10,
        choices=ExportBasis.choices,
        blank=True,
        help_text=_(
            "Whether the lab exports solution concentrations or values already per sample mass. Checked "
            "against the evidence in every imported file; a file that shows the other basis is refused."
        ),
    )
    export_unit = models.CharField(
        _("unit of exports that state none"),
        max_length=8,
        blank=True,
        help_text=_("For instrument exports without a unit column (WinLab32 full export): the unit they report in."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("method")
        verbose_name_plural = _("methods")
        ordering = ["name"]

    def __str__(self):
        return self.display_name


class MethodAnalyte(models.Model):
    """How a method performs for one analyte: the limit its blanks must stay below, its detection
    limit and calibrated range (all in `blank_unit`, the unit the instrument reports, usually ug/L of
    the measured solution: the range applies to the solution as measured, before the dilution
    correction), its expanded relative uncertainty (k=2), which widens CRM acceptance intervals and
    is reported with results, and which nominal of a two-level check standard (`20 ppb / 1000 ppb`)
    applies to it."""

    class CheckLevel(models.TextChoices):
        LOW = "low", _("Lower nominal (trace elements)")
        HIGH = "high", _("Higher nominal (major elements)")

    method = models.ForeignKey(Method, on_delete=models.CASCADE, related_name="performance")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    blank_limit = models.DecimalField(_("blank limit"), max_digits=14, decimal_places=6, null=True, blank=True)
    blank_unit = models.CharField(_("unit of limits and range"), max_length=8, default="ug/L")
    detection_limit = models.DecimalField(
        _("detection limit"),
        max_digits=14,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Used where the instrument prints a limit that rounds to zero (<0.000)."),
    )
    range_low = models.DecimalField(
        _("lowest calibrated concentration"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    range_high = models.DecimalField(
        _("highest calibrated concentration"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    check_level = models.CharField(
        _("level in two-level check standards"), max_length=4, choices=CheckLevel.choices, blank=True
    )
    rel_uncertainty_pct = models.DecimalField(
        _("expanded relative uncertainty (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("method performance")
        verbose_name_plural = _("method performance")
        ordering = ["method", "analyte__symbol"]
        constraints = [models.UniqueConstraint(fields=["method", "analyte"], name="method_analyte_unique")]

    def __str__(self):
        return f"{self.method.code} {self.analyte}"


class Instrument(models.Model):
    name = models.CharField(_("name"), max_length=80)
    model = models.CharField(_("model"), max_length=80)
    serial = models.CharField(_("serial number"), max_length=60, unique=True)
    calibration_due = models.DateField(_("calibration due"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.model}, {self.serial})"

    def calibration_valid_on(self, day) -> bool:
        return day <= self.calibration_due


class Panel(TranslatedName, models.Model):
    """The analytes every sample of a material must have before it can be certified."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ru = models.CharField(_("name in Russian"), max_length=120, blank=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=120, blank=True)
    material = models.OneToOneField(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="panel"
    )

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["name"]

    def __str__(self):
        return self.display_name


class PanelEntry(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="entries")
    analyte = models.ForeignKey(Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="+")
    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(_("reporting unit"), max_length=8, choices=Unit.choices)
    reporting_limit = models.DecimalField(_("reporting limit"), max_digits=14, decimal_places=6)
    decimals = models.PositiveSmallIntegerField(_("decimals"), validators=[MaxValueValidator(6)])
    basis = models.CharField(_("basis"), max_length=12, choices=Basis.choices, default=Basis.DRY)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("panel entry")
        verbose_name_plural = _("panel entries")
        ordering = ["panel", "position", "analyte__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "analyte"], name="panel_analyte_unique"),
            models.CheckConstraint(condition=models.Q(reporting_limit__gt=0), name="panel_rl_positive"),
        ]

    def __str__(self):
        return f"{self.panel.code}: {self.analyte} ({self.unit})"


class ReferenceMaterial(models.Model):
    """A certified reference material (CRM). `aliases` are other spellings seen in instrument
    files, one per line; the importers' tolerant matching handles typos on top."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    producer = models.CharField(_("producer"), max_length=80)
    matrix = models.CharField(_("matrix"), max_length=120)
    basis = models.CharField(_("basis"), max_length=12, choices=Basis.choices, default=Basis.DRY)
    aliases = models.TextField(_("aliases"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reference material")
        verbose_name_plural = _("reference materials")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CertifiedValue(models.Model):
    class Convention(models.TextChoices):
        # xgettext:no-python-format
        CI95 = "ci95", _("95 % confidence interval")
        SD1 = "sd1", _("1 standard deviation")
        SD2 = "sd2", _("2 standard deviations")

    reference_material = models.ForeignKey(ReferenceMaterial, on_delete=models.CASCADE, related_name="values")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("certified value"), max_digits=14, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    uncertainty = models.DecimalField(_("uncertainty"), max_digits=14, decimal_places=6, null=True, blank=True)
    convention = models.CharField(_("convention"), max_length=8, choices=Convention.choices, blank=True)

    class Meta:
        verbose_name = _("certified value")
        verbose_name_plural = _("certified values")
        ordering = ["reference_material", "analyte__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["reference_material", "analyte"], name="crm_analyte_unique"),
            # An uncertainty means nothing without the convention it is stated in.
            models.CheckConstraint(
                condition=models.Q(uncertainty__isnull=True) | ~models.Q(convention=""),
                name="crm_uncertainty_has_convention",
                # xgettext:no-python-format
                violation_error_message=_("Say how the uncertainty is stated: 95 % interval, 1 SD or 2 SD."),
            ),
        ]

    def __str__(self):
        return f"{self.reference_material} {self.analyte} {self.value} {self.unit}"

    def clean(self):
        if self.uncertainty is not None and not self.convention:
            # xgettext:no-python-format
            raise ValidationError({"convention": _("Say how the uncertainty is stated: 95 % interval, 1 SD or 2 SD.")})


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Importing")
    REFUSED = "refused", _("Refused")
    PREVIEW = "preview", _("Preview")
    ACCEPTED = "accepted", _("Accepted")
    DISCARDED = "discarded", _("Discarded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RunQCStatus(models.TextChoices):
    PENDING = "pending", _("QC pending")
    PASSED = "passed", _("QC passed")
    FAILED = "failed", _("QC failed")
    OVERRIDDEN = "overridden", _("QC failed, overridden")


class Run(models.Model):
    """One instrument file. Queued until the imports worker has read it; then refused with its
    problems, or in preview (readings stored, no results). The technician accepts it, which turns the
    sample readings into results, or discards it; an accepted run none of whose results is approved
    may be withdrawn. The status:

    | action         | from                           | to          |
    |----------------|--------------------------------|-------------|
    | (create)       | (new)                          | queued      |
    | import         | queued                         | preview     |
    | refuse         | queued                         | refused     |
    | choose_reading | preview                        | (unchanged) |
    | accept         | preview                        | accepted    |
    | discard        | preview                        | discarded   |
    | withdraw       | accepted                       | withdrawn   |
    | override_qc    | preview / accepted / withdrawn | (unchanged) |

    The QC verdict (`qc_status`), given when the file is read; a reviewer may override a failure:

    | action   | from    | to              |
    |----------|---------|-----------------|
    | (create) | (new)   | pending         |
    | check    | pending | passed / failed |
    | override | failed  | overridden      |
    """

    Status = RunStatus
    QCStatus = RunQCStatus

    LIFECYCLE = Lifecycle(
        Status,
        {
            "import": ({Status.QUEUED}, Status.PREVIEW),
            "refuse": ({Status.QUEUED}, Status.REFUSED),
            "choose_reading": ({Status.PREVIEW}, None),
            "accept": ({Status.PREVIEW}, Status.ACCEPTED),
            "discard": ({Status.PREVIEW}, Status.DISCARDED),
            "withdraw": ({Status.ACCEPTED}, Status.WITHDRAWN),
            # A discarded run's readings never become results: there is nothing to override.
            "override_qc": ({Status.PREVIEW, Status.ACCEPTED, Status.WITHDRAWN}, None),
        },
        this=_("This run"),
        labels={
            "import": _("imported"),
            "refuse": _("refused"),
            "choose_reading": _("given a choice of reading"),
            "accept": _("accepted"),
            "discard": _("discarded"),
            "withdraw": _("withdrawn"),
            "override_qc": _("cleared of its QC failure"),
        },
        initial=Status.QUEUED,
        already=True,
    )
    QC_LIFECYCLE = Lifecycle(
        QCStatus,
        {
            "check": ({QCStatus.PENDING}, {QCStatus.PASSED, QCStatus.FAILED}),
            "override": ({QCStatus.FAILED}, QCStatus.OVERRIDDEN),
        },
        field="qc_status",
        this=_("The QC of this run"),
        labels={"check": _("checked"), "override": _("overridden")},
        initial=QCStatus.PENDING,
        already=True,
    )

    # A run in these statuses no longer holds its file: the same file may be imported again.
    RELEASED = (Status.REFUSED, Status.DISCARDED, Status.WITHDRAWN)

    instrument = models.ForeignKey(Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT)
    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.PROTECT)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raw_file = models.FileField(_("raw file"), upload_to="runs/%Y/%m/", max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=40, blank=True)
    requested_format = models.CharField(_("format asked for"), max_length=40, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    # Preparation: a digest of `prep_mass_g` made up to `prep_volume_ml`. Needed only when the file
    # reports solution concentrations; files that report per sample mass leave them empty.
    prep_mass_g = models.DecimalField(_("digested mass (g)"), max_digits=8, decimal_places=4, null=True, blank=True)
    prep_volume_ml = models.DecimalField(_("final volume (mL)"), max_digits=8, decimal_places=2, null=True, blank=True)
    ccv_nominal = models.DecimalField(
        _("CCV nominal concentration"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREVIEW)
    qc_status = models.CharField(_("QC"), max_length=12, choices=QCStatus.choices)
    summary = models.JSONField(_("summary"), default=dict)
    unmatched = models.JSONField(_("unmatched sample ids"), default=list)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("withdrawal reason"), blank=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values),
                name="run_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(qc_status__in=RunQCStatus.values),
                name="run_qc_status_valid",
            ),
            # The same file is imported once; a refused, discarded or withdrawn import does not count.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=~models.Q(status__in=["refused", "discarded", "withdrawn"]),
                name="run_file_imported_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="withdrawn") | ~models.Q(withdraw_reason=""),
                name="run_withdraw_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(qc_status="overridden") | ~models.Q(override_reason=""),
                name="run_override_has_reason",
            ),
        ]
        # The lists' order, newest first.
        indexes = [models.Index(models.F("imported_at").desc(), models.F("id").desc(), name="run_newest_idx")]

    def __str__(self):
        return f"{_('Run')} {self.pk} ({self.filename})"

    @property
    def qc_cleared(self) -> bool:
        return self.qc_status in (self.QCStatus.PASSED, self.QCStatus.OVERRIDDEN)


class Reading(models.Model):
    """One value as the instrument reported it, with where it came from in the file."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="readings")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=120)
    sample_name = models.CharField(_("sample id in file"), max_length=120)
    row_type = models.CharField(_("row type"), max_length=16, choices=RowType.choices)
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, null=True, blank=True, related_name="readings")
    reference_material = models.ForeignKey(
        ReferenceMaterial, on_delete=models.PROTECT, null=True, blank=True, related_name="readings"
    )
    duplicate_of = models.CharField(_("duplicate of"), max_length=120, blank=True)
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    isotope = models.CharField(_("isotope or wavelength"), max_length=20, blank=True)
    mode = models.CharField(_("tune or view"), max_length=30, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=8, null=True)
    qualifier = models.CharField(_("qualifier"), max_length=2, choices=Qualifier.choices, blank=True)
    detection_limit = models.DecimalField(_("detection limit"), max_digits=20, decimal_places=8, null=True)
    unit = models.CharField(_("unit"), max_length=8)
    dilution_factor = models.DecimalField(_("dilution factor"), max_digits=12, decimal_places=4, null=True)
    acquired_at = models.DateTimeField(_("acquired at"), null=True)
    rejected = models.BooleanField(_("rejected by the instrument"), default=False)
    basis = models.CharField(_("basis"), max_length=10, choices=ExportBasis.choices, blank=True)
    excluded = models.BooleanField(_("marked do not use"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The reading that becomes the sample's result, and why (assays.selection): `choice` in English
    # ("chosen: the only reading", what the API returns and the services filter on), the reason's key and
    # parameters for pages to put it into words (`choice_text`).
    chosen = models.BooleanField(_("becomes the result"), default=False)
    choice = models.CharField(_("why chosen or not"), max_length=200, blank=True)
    choice_key = models.CharField(_("reason"), max_length=40, blank=True)
    choice_params = models.JSONField(_("parameters of the reason"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["run", "row", "id"]
        indexes = [
            models.Index(fields=["run", "row_type"]),
            # A run's readings in file order (its page, its preview, the API), without sorting the run.
            models.Index(fields=["run", "row", "id"], name="reading_run_row_idx"),
        ]

    def __str__(self):
        return f"{self.sample_name} {self.analyte_id} {self.qualifier}{self.value}"

    @property
    def negative(self) -> bool:
        return self.value is not None and self.value < 0

    @property
    def choice_text(self) -> str:
        """Why the reading was chosen or not, in the active language."""
        return selection.choice_text(self.choice, self.choice_key, self.choice_params)


class ReadingChoice(models.Model):
    """A technician's decision where the selection rule cannot choose (assays.selection): which
    reading of a sample and analyte becomes the result, who chose it and why."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="choices")
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="+")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    reading = models.ForeignKey(Reading, on_delete=models.PROTECT, related_name="+")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(_("chosen at"), default=timezone.now)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("reading choice")
        verbose_name_plural = _("reading choices")
        constraints = [
            models.UniqueConstraint(fields=["run", "sample", "analyte"], name="reading_choice_unique"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="reading_choice_has_reason"),
        ]

    def __str__(self):
        return f"{self.run_id} {self.sample_id} {self.analyte_id} -> {self.reading_id}"


class QCCheck(models.Model):
    class Kind(models.TextChoices):
        BLANK = "blank", _("Blank")
        CRM_RECOVERY = "crm_recovery", _("CRM recovery")
        DUPLICATE_RPD = "duplicate_rpd", _("Duplicate RPD")
        CCV_RECOVERY = "ccv_recovery", _("CCV recovery")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="qc_checks")
    kind = models.CharField(_("check"), max_length=20, choices=Kind.choices)
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("subject"), max_length=120, help_text=_("The row checked, as named in the file."))
    reference_material = models.ForeignKey(
        ReferenceMaterial, on_delete=models.PROTECT, null=True, blank=True, related_name="qc_checks"
    )
    passed = models.BooleanField(_("passed"))
    figures = models.JSONField(_("figures"), default=dict)
    # What the check says: `text_key` (assays.qc.TEXTS) with `text_params`, put into words when read
    # (`text`); `message` is the same in English, written at import, what the API returns (checks from
    # before the keys hold only it, read back into a key by assays.qc.text_of).
    message = models.TextField(_("message"))
    text_key = models.CharField(_("text"), max_length=40, blank=True)
    text_params = models.JSONField(_("parameters of the text"), default=dict, blank=True)
    acquired_at = models.DateTimeField(_("acquired at"), null=True)

    class Meta:
        verbose_name = _("QC check")
        verbose_name_plural = _("QC checks")
        ordering = ["run", "passed", "kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.analyte_id} {'ok' if self.passed else 'FAIL'}"

    @property
    def text(self) -> str:
        """What the check says, in the active language."""
        return qc.text_of(self.text_key, self.text_params, self.message)


class ResultStatus(models.TextChoices):
    ENTERED = "entered", _("Entered")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected (retest)")
    WITHDRAWN = "withdrawn", _("Withdrawn with its run")


class Result(models.Model):
    """The reportable value for a sample and an analyte.

    The `*_as_received` fields hold what was measured, in the panel's unit; `value`,
    `detection_limit` and `uncertainty` are the same on the entry's basis (dry for everything but
    moisture), filled once the sample's moisture is approved. Censored results keep their qualifier and detection limit with a null value: nothing
    is ever stored as zero. One current result per sample and analyte: a rejected result stays as
    history and its retest is a new row. A second person approves or rejects it (four eyes); withdrawing
    its run withdraws it:

    | action   | from    | to        |
    |----------|---------|-----------|
    | (create) | (new)   | entered   |
    | approve  | entered | approved  |
    | reject   | entered | rejected  |
    | withdraw | entered | withdrawn |
    """

    EXPORTER_PATH = None  # exporters see results on certificates only

    Status = ResultStatus
    LIFECYCLE = Lifecycle(
        Status,
        {
            "approve": ({Status.ENTERED}, Status.APPROVED),
            "reject": ({Status.ENTERED}, Status.REJECTED),
            "withdraw": ({Status.ENTERED}, Status.WITHDRAWN),
        },
        this=_("This result"),
        labels={"approve": _("approved"), "reject": _("rejected"), "withdraw": _("withdrawn")},
        initial=Status.ENTERED,
        already=True,
    )

    class Source(models.TextChoices):
        READING = "reading", _("Instrument run")
        MANUAL = "manual", _("Manual entry")

    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="results")
    analyte = models.ForeignKey(Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="+")
    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    basis = models.CharField(_("basis"), max_length=12, choices=Basis.choices)
    qualifier = models.CharField(_("qualifier"), max_length=2, choices=Qualifier.choices, blank=True)
    # As measured, in the panel's unit.
    value_as_received = models.DecimalField(_("value as received"), max_digits=20, decimal_places=8, null=True)
    detection_limit_as_received = models.DecimalField(
        _("detection limit as received"), max_digits=20, decimal_places=8, null=True
    )
    uncertainty_as_received = models.DecimalField(
        _("expanded uncertainty as received"), max_digits=20, decimal_places=8, null=True
    )
    # On the reported basis; empty while a dry-basis result waits for the sample's moisture.
    value = models.DecimalField(_("reported value"), max_digits=20, decimal_places=8, null=True)
    detection_limit = models.DecimalField(_("detection limit"), max_digits=20, decimal_places=8, null=True)
    uncertainty = models.DecimalField(_("expanded uncertainty"), max_digits=20, decimal_places=8, null=True)
    negative = models.BooleanField(_("negative reading"), default=False)
    # Reasons a reviewer must confirm the value before approving it (assays.plausibility).
    flags = models.JSONField(_("flags for the reviewer"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    run = models.ForeignKey(Run, on_delete=models.PROTECT, null=True, blank=True, related_name="results")
    reading = models.OneToOneField(Reading, on_delete=models.PROTECT, null=True, blank=True, related_name="result")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The rejected result this one retests (assays.services.results.new_result links it).
    retest_of = models.ForeignKey(
        "self",
        verbose_name=_("retest of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retests",
    )

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["sample", "analyte__symbol", "-entered_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ResultStatus.values),
                name="result_status_valid",
            ),
            models.UniqueConstraint(
                fields=["sample", "analyte"],
                condition=models.Q(status__in=["entered", "approved"]),
                name="result_one_current_per_analyte",
            ),
            # Four eyes, also in the database: whoever entered a result never decides on it.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("entered_by")),
                name="result_four_eyes",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["entered", "withdrawn"], decided_by__isnull=True)
                | (~models.Q(status__in=["entered", "withdrawn"]) & models.Q(decided_by__isnull=False)),
                name="result_decision_complete",
            ),
            # A censored or unreported result has no value; a measured one has.
            models.CheckConstraint(
                condition=models.Q(qualifier="", value_as_received__isnull=False) | ~models.Q(qualifier=""),
                name="result_measured_has_value",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], condition=models.Q(status="entered"), name="result_entered_idx"),
            # The lists' order, newest first.
            models.Index(models.F("entered_at").desc(), models.F("id").desc(), name="result_newest_idx"),
        ]

    def __str__(self):
        return f"{self.sample} {self.analyte} {self.display_value()}"

    @property
    def basis_pending(self) -> bool:
        """A dry-basis result whose sample has no approved moisture yet."""
        return (
            self.qualifier in (Qualifier.NONE, Qualifier.BELOW_DL)
            and self.value is None
            and self.detection_limit is None
        )

    @property
    def decimals(self) -> int:
        """The reporting decimals of the result's panel entry: annotated on lists
        (assays.selectors.with_reporting_decimals), else read once; the unit's default when no panel
        entry names it (assays.precision)."""
        if getattr(self, "reporting_decimals", None) is None:
            entry = PanelEntry.objects.filter(
                panel__material__lot__samples=self.sample_id, analyte_id=self.analyte_id
            ).first()
            self.reporting_decimals = entry.decimals if entry else precision.unit_decimals(self.unit)
        return self.reporting_decimals

    def shown(self, *, as_received: bool = False) -> precision.Shown:
        """The value and uncertainty as printed (assays.precision): on the reported basis, or as received."""
        if as_received:
            value, limit, u = self.value_as_received, self.detection_limit_as_received, self.uncertainty_as_received
        else:
            value, limit, u = self.value, self.detection_limit, self.uncertainty
        return precision.shown(
            qualifier=self.qualifier, value=value, detection_limit=limit, uncertainty=u, decimals=self.decimals
        )

    def display_value(self, *, as_received: bool = False) -> str:
        """The result as a person reads it: `12.35 ppm`, `<0.050 ppm`, `OR`, `…` while its dry basis waits."""
        text = self.shown(as_received=as_received).value
        if self.qualifier in (Qualifier.OVER_RANGE, Qualifier.NOT_REPORTED) or text == precision.PENDING:
            return text
        return f"{text} {self.unit}"

    def display_value_as_received(self) -> str:
        return self.display_value(as_received=True)

    @property
    def display_uncertainty(self) -> str:
        """`± 0.012` on the reported basis, "" when none is stated."""
        text = self.shown().uncertainty
        return f"± {text}" if text else ""

    @property
    def display_uncertainty_as_received(self) -> str:
        text = self.shown(as_received=True).uncertainty
        return f"± {text}" if text else ""

    @property
    def flags_text(self) -> str:
        from assays import plausibility  # local: plausibility imports this module (MOISTURE)

        return plausibility.describe(self.flags)


class ResultEvent(AppendOnlyModel):
    """Every transition of a result: who, when, why. Append-only (lims.lib.append_only), like custody
    events."""

    class Action(models.TextChoices):
        ENTER = "enter", _("Entered")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected, retest requested")
        DRY_BASIS = "dry_basis", _("Dry basis computed")
        WITHDRAW = "withdraw", _("Withdrawn with its run")

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("result event")
        verbose_name_plural = _("result events")
        ordering = ["result", "at", "id"]

    def __str__(self):
        return f"{self.result_id} {self.action}"


# Preparation ------------------------------------------------------------------------------------


class Balance(models.Model):
    """A laboratory balance. Its readings are typed for now; like an instrument, a balance past its
    calibration date weighs nothing the laboratory reports (assays.services.preparation)."""

    name = models.CharField(_("name"), max_length=80)
    model = models.CharField(_("model"), max_length=80, blank=True)
    serial = models.CharField(_("serial number"), max_length=60, unique=True)
    readability_g = models.DecimalField(_("readability (g)"), max_digits=8, decimal_places=5, null=True, blank=True)
    calibration_due = models.DateField(_("calibration due"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("balance")
        verbose_name_plural = _("balances")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.serial})"

    def calibration_valid_on(self, day) -> bool:
        return day <= self.calibration_due


class PreparationSpec(models.Model):
    """How a method wants its samples prepared: the steps it requires and the fineness of the pulp
    (at least `min_passing_pct` % passing a `screen_um` µm screen). A method that requires the
    aliquot takes each sample's digested mass and final volume from its preparation record only."""

    method = models.OneToOneField(
        Method, verbose_name=_("method"), on_delete=models.CASCADE, related_name="preparation_spec"
    )
    requires_drying = models.BooleanField(_("drying"), default=True)
    requires_crushing = models.BooleanField(_("crushing"), default=True)
    requires_pulverising = models.BooleanField(_("pulverising"), default=True)
    requires_splitting = models.BooleanField(_("splitting"), default=True)
    requires_aliquot = models.BooleanField(_("weighing of the analytical aliquot"), default=True)
    screen_um = models.PositiveIntegerField(_("sizing screen (µm)"), null=True, blank=True)
    min_passing_pct = models.DecimalField(
        _("minimum passing the screen (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("preparation specification")
        verbose_name_plural = _("preparation specifications")
        ordering = ["method__name"]
        constraints = [
            # A sizing specification is a screen and a minimum, or nothing.
            models.CheckConstraint(
                condition=models.Q(screen_um__isnull=True, min_passing_pct__isnull=True)
                | models.Q(screen_um__gt=0, min_passing_pct__gt=0, min_passing_pct__lte=100),
                name="prep_spec_sizing_complete",
            ),
        ]

    def __str__(self):
        return f"{self.method.code}: " + _("preparation")  # makemessages reads no message inside an f-string

    def required_steps(self) -> list[str]:
        flags = {
            PrepStepKind.DRYING: self.requires_drying,
            PrepStepKind.CRUSHING: self.requires_crushing,
            PrepStepKind.PULVERISING: self.requires_pulverising,
            PrepStepKind.SIZING: self.screen_um is not None,
            PrepStepKind.SPLITTING: self.requires_splitting,
            PrepStepKind.ALIQUOT: self.requires_aliquot,
        }
        return [kind for kind, required in flags.items() if required]


class PrepStepKind(models.TextChoices):
    DRYING = "drying", _("Drying")
    CRUSHING = "crushing", _("Crushing")
    PULVERISING = "pulverising", _("Pulverising")
    SIZING = "sizing", _("Sizing check")
    SPLITTING = "splitting", _("Splitting")
    ALIQUOT = "aliquot", _("Analytical aliquot")


class PreparationStep(AppendOnlyModel):
    """One step of a sample's preparation, as done: its weighings (typed from a named balance),
    and what they make. Append-only: a step redone is a new row (a sizing check that failed stays,
    the check that passed follows it), and the latest row of a kind is the one that counts.

    - drying: tray tare, wet and dry masses, temperature and time; the moisture computed from them
      is entered as the sample's moisture result (`result`), which a second person approves;
    - sizing: mass screened and mass retained on the method's screen; % passing, judged against the
      method's specification (`passed`); a failed check blocks the method's analysis of the sample;
    - aliquot: the digested mass and its final volume, the sample's preparation factors in every
      run of the method;
    - crushing, pulverising, splitting: who did them, when, with what equipment.
    """

    EXPORTER_PATH = None  # the laboratory's working record

    Kind = PrepStepKind

    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="prep_steps")
    kind = models.CharField(_("step"), max_length=12, choices=Kind.choices)
    method = models.ForeignKey(
        Method, verbose_name=_("method"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    balance = models.ForeignKey(
        Balance, verbose_name=_("balance"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    equipment = models.CharField(_("equipment"), max_length=120, blank=True)
    # Drying.
    tare_g = models.DecimalField(_("tray tare (g)"), max_digits=10, decimal_places=4, null=True, blank=True)
    wet_g = models.DecimalField(_("tray and wet sample (g)"), max_digits=10, decimal_places=4, null=True, blank=True)
    dry_g = models.DecimalField(_("tray and dry sample (g)"), max_digits=10, decimal_places=4, null=True, blank=True)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=5, decimal_places=1, null=True, blank=True)
    duration_min = models.PositiveIntegerField(_("time (min)"), null=True, blank=True)
    moisture_pct = models.DecimalField(_("moisture (%)"), max_digits=20, decimal_places=8, null=True, blank=True)
    result = models.ForeignKey(
        Result, verbose_name=_("moisture result"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Sizing.
    screen_um = models.PositiveIntegerField(_("screen (µm)"), null=True, blank=True)
    screened_g = models.DecimalField(_("mass screened (g)"), max_digits=10, decimal_places=4, null=True, blank=True)
    retained_g = models.DecimalField(_("mass retained (g)"), max_digits=10, decimal_places=4, null=True, blank=True)
    passing_pct = models.DecimalField(_("passing (%)"), max_digits=20, decimal_places=8, null=True, blank=True)
    required_pct = models.DecimalField(_("required (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    # Aliquot.
    mass_g = models.DecimalField(_("digested mass (g)"), max_digits=8, decimal_places=4, null=True, blank=True)
    volume_ml = models.DecimalField(_("final volume (mL)"), max_digits=8, decimal_places=2, null=True, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("performed by"), on_delete=models.PROTECT, related_name="+"
    )
    performed_at = models.DateTimeField(_("performed at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("preparation step")
        verbose_name_plural = _("preparation steps")
        ordering = ["sample", "performed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=PrepStepKind.values), name="prep_step_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(kind="drying")
                | models.Q(
                    tare_g__gte=0,
                    wet_g__gt=models.F("tare_g"),
                    dry_g__gte=models.F("tare_g"),
                    dry_g__lte=models.F("wet_g"),
                    moisture_pct__isnull=False,
                    balance__isnull=False,
                ),
                name="prep_drying_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="sizing")
                | models.Q(
                    method__isnull=False,
                    screened_g__gt=0,
                    retained_g__gte=0,
                    retained_g__lte=models.F("screened_g"),
                    passing_pct__isnull=False,
                    passed__isnull=False,
                    balance__isnull=False,
                ),
                name="prep_sizing_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="aliquot")
                | models.Q(method__isnull=False, mass_g__gt=0, volume_ml__gt=0, balance__isnull=False),
                name="prep_aliquot_complete",
            ),
        ]
        indexes = [
            # The latest step of a kind for a sample and method (the one that counts).
            models.Index(fields=["sample", "kind", "method", "performed_at", "id"], name="prep_step_latest_idx"),
        ]

    def __str__(self):
        return f"{self.sample} {self.get_kind_display()} {self.performed_at:%Y-%m-%d %H:%M}"


# The control charts' baselines keep a module of their own, loaded with the app's models.
from assays.baseline_models import ControlBaseline, ControlKind  # noqa: E402, F401
