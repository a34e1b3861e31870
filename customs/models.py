"""Customs declarations and the reference data they are checked with.

A Declaration is what an exporter (or its customs broker) declares for one lot: number, declarant,
customs office, HS code, dry mass, customs value, the components it declares, and the certificates
it cites (box 44 of the EAEU form). Filing runs the cross-checks of customs/checks.py at once; each
outcome is a Finding with a severity and the figures behind it. A declaration with a blocking
finding is flagged for an inspector; one without is cleared ("checked, no blocking finding") and can
still be reviewed. An inspector accepts or rejects either, with a reason.

MetalPrice, PayableTerm and ExchangeRate are the reference data of the valuation
(customs/valuation.py): kept by customs inspectors (API) and administrators (admin).
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assays.models import Analyte, Unit
from certificates.models import Certificate
from customs import findings
from lims.lib.numbers import trimmed
from lims.lib.transitions import Lifecycle
from lims.models import Organisation
from samples.models import Lot, validate_hs_code

TREO = "TREO"


def validate_currency(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", value or ""):
        raise ValidationError(_("Enter a currency as its three-letter ISO 4217 code, such as USD."), code="currency")


def validate_commodity(value: str) -> None:
    """What a price or a term is about: an analyte's symbol (Cu, Au) or TREO, total rare-earth oxides."""
    if value != TREO and not Analyte.objects.filter(symbol=value).exists():
        raise ValidationError(
            _("%(value)s is neither an analyte symbol (such as Cu) nor TREO.") % {"value": value}, code="commodity"
        )


class PriceUnit(models.TextChoices):
    """What a price is per: copper per metric tonne, gold and silver per troy ounce, rare-earth oxides
    per kilogram of TREO, as the markets quote them."""

    TONNE = "t", _("metric tonne")
    KILOGRAM = "kg", _("kilogram")
    TROY_OUNCE = "oz", _("troy ounce")
    POUND = "lb", _("pound")


class MetalPrice(models.Model):
    """The price of a commodity from a date on, until the next price of that commodity. A valuation
    uses the price in effect on the declaration's date."""

    commodity = models.CharField(
        _("commodity"), max_length=12, validators=[validate_commodity], help_text=_("Analyte symbol, or TREO.")
    )
    unit = models.CharField(_("per"), max_length=4, choices=PriceUnit.choices)
    price = models.DecimalField(
        _("price"), max_digits=16, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD", validators=[validate_currency])
    effective_date = models.DateField(_("in effect from"))
    source = models.CharField(_("source"), max_length=200, help_text=_("For example LME cash settlement, LBMA PM."))

    class Meta:
        verbose_name = _("metal price")
        verbose_name_plural = _("metal prices")
        ordering = ["commodity", "-effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["commodity", "effective_date"], name="metal_price_one_per_day"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="metal_price_positive"),
        ]

    def __str__(self):
        return f"{self.commodity} {self.price} {self.currency}/{self.unit} ({self.effective_date})"


class PayableTerm(models.Model):
    """One line of a payable schedule: what is paid for a commodity, a penalty for an element, or a
    treatment charge. The schedule of a contract is its active terms; a lot whose contract has none
    is valued on the default schedule (contract reference empty). Contents are in `unit`.

    - payable: `payable_pct` of the content, but at least `min_deduction` deducted from it (copper:
      96.5 %, minimum deduction 1 unit), nothing when the content is below `min_content` (gold below
      1 g/dmt);
    - penalty: `rate` per dry tonne for each `step` of content above `free_allowance`, pro rata;
    - treatment charge: `rate` per dry tonne.
    """

    class Kind(models.TextChoices):
        PAYABLE = "payable", _("Payable metal")
        PENALTY = "penalty", _("Penalty")
        TREATMENT = "treatment", _("Treatment charge")

    contract_reference = models.CharField(
        _("contract reference"), max_length=80, blank=True, help_text=_("Empty for the default schedule.")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    commodity = models.CharField(
        _("commodity"), max_length=12, blank=True, help_text=_("Analyte symbol, or TREO; empty for a treatment charge.")
    )
    unit = models.CharField(_("content unit"), max_length=8, choices=Unit.choices, blank=True)
    payable_pct = models.DecimalField(
        _("payable (%)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    min_deduction = models.DecimalField(_("minimum deduction"), max_digits=14, decimal_places=6, null=True, blank=True)
    min_content = models.DecimalField(
        _("minimum payable content"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    free_allowance = models.DecimalField(_("free allowance"), max_digits=14, decimal_places=6, null=True, blank=True)
    step = models.DecimalField(_("per step of"), max_digits=14, decimal_places=6, null=True, blank=True)
    rate = models.DecimalField(_("rate per dry tonne"), max_digits=14, decimal_places=4, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD", validators=[validate_currency])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payable term")
        verbose_name_plural = _("payable terms")
        ordering = ["contract_reference", "kind", "commodity"]
        constraints = [
            models.UniqueConstraint(fields=["contract_reference", "kind", "commodity"], name="payable_term_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["payable", "penalty", "treatment"]), name="payable_term_kind_valid"
            ),
            # Each kind carries the figures it is computed from.
            models.CheckConstraint(
                condition=~models.Q(kind="payable")
                | (models.Q(payable_pct__isnull=False) & ~models.Q(commodity="") & ~models.Q(unit="")),
                name="payable_term_payable_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="penalty")
                | (
                    models.Q(free_allowance__isnull=False, step__gt=0, rate__isnull=False)
                    & ~models.Q(commodity="")
                    & ~models.Q(unit="")
                ),
                name="payable_term_penalty_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="treatment") | models.Q(rate__isnull=False, commodity=""),
                name="payable_term_treatment_complete",
            ),
        ]

    def __str__(self):
        schedule = self.contract_reference or _("default")
        return f"{schedule}: {self.get_kind_display()} {self.commodity}".strip()

    def clean(self):
        if self.commodity:
            try:
                validate_commodity(self.commodity)
            except ValidationError as exc:
                raise ValidationError({"commodity": exc.messages}) from exc
        required = {
            self.Kind.PAYABLE: ["commodity", "unit", "payable_pct"],
            self.Kind.PENALTY: ["commodity", "unit", "free_allowance", "step", "rate"],
            self.Kind.TREATMENT: ["rate"],
        }.get(self.kind, [])
        missing = {name: _("Required for this kind of term.") for name in required if getattr(self, name) in (None, "")}
        if self.kind == self.Kind.TREATMENT and self.commodity:
            missing["commodity"] = _("A treatment charge is per dry tonne of concentrate, not of a commodity.")
        if self.kind == self.Kind.PENALTY and self.step is not None and self.step <= 0:
            missing["step"] = _("The step must be more than 0.")
        if missing:
            raise ValidationError(missing)


class ExchangeRate(models.Model):
    """How many units of `currency` buy one unit of `price_currency` from a date on (the customs
    rate, as the national bank publishes it). A declaration in another currency than the prices is
    compared at the rate in effect on its date."""

    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    price_currency = models.CharField(_("per unit of"), max_length=3, default="USD", validators=[validate_currency])
    rate = models.DecimalField(
        _("rate"), max_digits=18, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))]
    )
    effective_date = models.DateField(_("in effect from"))
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "price_currency", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "price_currency", "effective_date"], name="exchange_rate_one_per_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self):
        return f"1 {self.price_currency} = {self.rate} {self.currency} ({self.effective_date})"


class DeclarationStatus(models.TextChoices):
    FLAGGED = "flagged", _("Flagged for review")
    CLEARED = "cleared", _("Checked, no blocking finding")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Declaration(models.Model):
    """A customs declaration of one lot, as filed, with the outcome of its checks. It is filed
    flagged (failing closed until its checks have run); checking flags or clears it, as the findings
    say; an inspector checks it again, accepts or rejects it:

    | action   | from              | to                |
    |----------|-------------------|-------------------|
    | (create) | (new)             | flagged           |
    | check    | flagged / cleared | flagged / cleared |
    | accept   | flagged / cleared | accepted          |
    | reject   | flagged / cleared | rejected          |
    """

    EXPORTER_PATH = "exporter"
    # Between the exporter and customs: the laboratory certifies without seeing declared values.
    VISIBLE_TO_LAB = False

    Status = DeclarationStatus
    LIFECYCLE = Lifecycle(
        Status,
        {
            "check": ({Status.FLAGGED, Status.CLEARED}, {Status.FLAGGED, Status.CLEARED}),
            "accept": ({Status.FLAGGED, Status.CLEARED}, Status.ACCEPTED),
            "reject": ({Status.FLAGGED, Status.CLEARED}, Status.REJECTED),
        },
        this=_("This declaration"),
        name=lambda declaration: _("Declaration %(number)s") % {"number": declaration.number},
        labels={"check": _("checked again"), "accept": _("accepted"), "reject": _("rejected")},
        initial=Status.FLAGGED,
    )

    number = models.CharField(_("declaration number"), max_length=40, unique=True)
    declarant = models.CharField(_("declarant"), max_length=200)
    exporter = models.ForeignKey(
        Organisation,
        verbose_name=_("exporter"),
        on_delete=models.PROTECT,
        related_name="declarations",
        limit_choices_to={"kind": Organisation.Kind.EXPORTER},
    )
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="declarations")
    customs_office = models.ForeignKey(
        Organisation,
        verbose_name=_("customs office"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Organisation.Kind.CUSTOMS},
    )
    hs_code = models.CharField(_("HS code"), max_length=16, validators=[validate_hs_code])
    declared_on = models.DateField(_("declaration date"))
    dry_mass_t = models.DecimalField(
        _("net dry mass (t)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    value = models.DecimalField(
        _("customs value"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    checked_at = models.DateTimeField(_("checked at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeclarationStatus.values),
                name="declaration_status_valid",
            ),
            # An inspector's decision says who, when and why; an undecided declaration has none.
            models.CheckConstraint(
                condition=models.Q(status__in=["flagged", "cleared"], decided_by__isnull=True, decided_at__isnull=True)
                | (
                    models.Q(status__in=["accepted", "rejected"], decided_by__isnull=False, decided_at__isnull=False)
                    & ~models.Q(decision_reason="")
                ),
                name="declaration_decision_complete",
            ),
            models.CheckConstraint(condition=models.Q(dry_mass_t__gt=0), name="declaration_dry_mass_positive"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="declaration_value_positive"),
        ]
        indexes = [
            # The inspectors' queue.
            models.Index(fields=["filed_at"], condition=models.Q(status="flagged"), name="declaration_flagged_idx"),
            # The lists' order, newest first.
            models.Index(models.F("filed_at").desc(), models.F("id").desc(), name="declaration_newest_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def decided(self) -> bool:
        return self.status in (self.Status.ACCEPTED, self.Status.REJECTED)


class CitedCertificate(models.Model):
    """A certificate number as the declaration cites it, and the certificate it names, if any."""

    EXPORTER_PATH = "declaration__exporter"
    VISIBLE_TO_LAB = False

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="citations")
    position = models.PositiveSmallIntegerField(_("position"))
    number = models.CharField(_("certificate number"), max_length=40)
    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("cited certificate")
        verbose_name_plural = _("cited certificates")
        ordering = ["declaration", "position"]
        constraints = [models.UniqueConstraint(fields=["declaration", "number"], name="citation_unique")]

    def __str__(self):
        return self.number


class DeclaredComponent(models.Model):
    """One declared content: analyte, content and the unit it was declared in."""

    EXPORTER_PATH = "declaration__exporter"
    VISIBLE_TO_LAB = False

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveSmallIntegerField(_("position"))
    analyte = models.ForeignKey(Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="+")
    content = models.DecimalField(_("content"), max_digits=20, decimal_places=8)
    unit = models.CharField(_("unit"), max_length=8)

    class Meta:
        verbose_name = _("declared component")
        verbose_name_plural = _("declared components")
        ordering = ["declaration", "position"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "analyte"], name="component_unique_analyte"),
            models.CheckConstraint(condition=models.Q(content__gte=0), name="component_content_not_negative"),
        ]

    def __str__(self):
        return f"{self.analyte} {self.content_text} {self.unit}"

    @property
    def content_text(self) -> str:
        """The content as declared, without the column's trailing zeros."""
        return trimmed(self.content)


class Finding(models.Model):
    """The outcome of one cross-check (its `rule`). A check that passes is a finding of severity
    info, so the record shows what was checked and not only what failed. `figures` holds the numbers
    behind it (Decimals as strings). What it says is `text_key` with `text_params`, put into words in
    the reader's language by `text` (customs.findings); `message` is the same in English, written
    when the checks ran (older findings, from before the keys, hold it in the language of whoever
    filed, and are shown by it)."""

    EXPORTER_PATH = "declaration__exporter"
    VISIBLE_TO_LAB = False

    class Rule(models.TextChoices):
        CERTIFICATE = "certificate", _("Cited certificate")
        NO_CERTIFICATE = "no_certificate", _("Valid certificate")
        HS_CODE = "hs_code", _("HS code")
        DRY_MASS = "dry_mass", _("Dry mass")
        UNDECLARED = "undeclared", _("Undeclared elements")
        CONTENT = "content", _("Declared content")
        VALUE = "value", _("Customs value")

    class Severity(models.TextChoices):
        BLOCKING = "blocking", _("Blocking")
        WARNING = "warning", _("Warning")
        INFO = "info", _("Info")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveSmallIntegerField(_("position"))
    rule = models.CharField(_("check"), max_length=16, choices=Rule.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    certificate_number = models.CharField(_("certificate"), max_length=40, blank=True)
    analyte = models.CharField(_("analyte"), max_length=12, blank=True)
    message = models.TextField(_("message"))
    text_key = models.CharField(_("text"), max_length=40, blank=True)
    text_params = models.JSONField(_("parameters of the text"), default=dict, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["declaration", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=["blocking", "warning", "info"]), name="finding_severity_valid"
            )
        ]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.text}"

    @property
    def text(self) -> str:
        """What the finding says, in the active language."""
        return findings.render(self.text_key, self.text_params) or self.message
