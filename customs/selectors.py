"""Reads for the customs pages and API. Declarations are always read through
lims.permissions.visible(): an exporter or broker sees its own organisation's, inspectors see all,
laboratory staff none. Reference data of the valuation is readable by everyone signed in: an
exporter is entitled to know the prices and terms its declaration is measured against."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import django_filters
from django.db.models import OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from assays.models import MOISTURE, Analyte, Basis
from certificates import snapshot as snapshots
from certificates.models import Certificate
from customs import findings
from customs.models import Declaration, ExchangeRate, Finding, MetalPrice, PayableTerm
from lims import permissions
from lims.exceptions import Conflict
from lims.filters import ContainsFilter, choice_filter
from lims.lib.queries import count_of
from lims.models import Organisation, User
from lims.templatetags.lims_format import money
from samples.models import Lot

SEVERITY_ORDER: dict[str, int] = {Finding.Severity.BLOCKING: 0, Finding.Severity.WARNING: 1, Finding.Severity.INFO: 2}


# Reference data -------------------------------------------------------------------------------


def schedule_for(contract_reference: str) -> list[PayableTerm]:
    """The active payable terms of a contract; the default schedule when the contract has none
    (a contract's schedule replaces the default one whole, it is not merged with it)."""
    terms = PayableTerm.objects.filter(active=True)
    if contract_reference:
        own = list(terms.filter(contract_reference=contract_reference))
        if own:
            return own
    return list(terms.filter(contract_reference=""))


def prices_in_effect(on: date) -> dict[str, MetalPrice]:
    """The latest price of each commodity with an effective date on or before `on`."""
    prices: dict[str, MetalPrice] = {}
    for price in MetalPrice.objects.filter(effective_date__lte=on).order_by("commodity", "-effective_date"):
        prices.setdefault(price.commodity, price)
    return prices


def rate_in_effect(*, currency: str, price_currency: str, on: date) -> ExchangeRate | None:
    """Units of `currency` per unit of `price_currency` in effect on `on`, if the table has one. Only
    the direction stored is used: an inverted rate is a different published figure."""
    return (
        ExchangeRate.objects.filter(currency=currency, price_currency=price_currency, effective_date__lte=on)
        .order_by("-effective_date")
        .first()
    )


# Declarations ---------------------------------------------------------------------------------


def declaration_list(user: User) -> QuerySet:
    """Newest first (an index serves the order), with who filed and decided each, and its blocking
    findings counted for the rows of the page only (lims.lib.queries.count_of)."""
    blocking = Finding.objects.filter(declaration=OuterRef("pk"), severity=Finding.Severity.BLOCKING)
    declarations = (
        permissions.visible(user, Declaration.objects.all())
        .select_related("exporter", "lot", "customs_office", "filed_by", "decided_by")
        .annotate(blocking=count_of(blocking))
    )
    return declarations.order_by(*(Declaration._meta.ordering or ()))


class DeclarationFilter(django_filters.FilterSet):
    """The filters of declaration_list(), on the page and in the API."""

    q = ContainsFilter(
        "number", "declarant", "lot__lot_number", help_text="Declaration number, declarant or lot number."
    )
    status = choice_filter(Declaration.Status.choices)

    class Meta:
        model = Declaration
        fields = ["q", "status"]


def review_queue(user: User) -> QuerySet:
    """Flagged declarations, the longest waiting first."""
    return declaration_list(user).filter(status=Declaration.Status.FLAGGED).order_by("filed_at", "id")


def declaration_get(user: User, pk: int) -> Declaration:
    """The declaration, or 404 when it does not exist or the user may not see it."""
    declarations = permissions.visible(user, Declaration.objects.all()).select_related(
        "exporter", "lot", "customs_office", "filed_by", "decided_by"
    )
    return get_object_or_404(declarations, pk=pk)


def declaration_findings(declaration: Declaration) -> list[Finding]:
    """Blocking findings first, then warnings, then what passed; in the order checked within each."""
    return sorted(declaration.findings.all(), key=lambda f: (SEVERITY_ORDER[f.severity], f.position))


def lots_to_declare(user: User) -> QuerySet:
    return permissions.visible(user, Lot.objects.all()).select_related("exporter").order_by("-registered_at", "-id")


def customs_offices() -> QuerySet:
    return Organisation.objects.filter(kind=Organisation.Kind.CUSTOMS)


def declarable_elements() -> dict[str, Analyte]:
    """Every analyte a declaration may declare, by symbol (moisture is stated in the mass, not declared)."""
    return {a.symbol: a for a in Analyte.objects.exclude(symbol=MOISTURE).order_by("symbol")}


# Declaring from a certificate -----------------------------------------------------------------


def certificates_to_declare(user: User) -> QuerySet:
    """The certificates in force the user may see (an exporter: its own organisation's), newest first."""
    issued = Certificate.objects.filter(status=Certificate.Status.ISSUED, number__isnull=False)
    return permissions.visible(user, issued).select_related("sample__lot").order_by("-issued_at", "-id")


def certificate_to_declare(user: User, number: str) -> Certificate:
    """The certificate numbered `number`, or 404 when there is none or the user may not see it (another
    exporter's number is not told apart from a number that does not exist)."""
    certificates = permissions.visible(user, Certificate.objects.all()).select_related(
        "sample__lot__exporter", "superseded_by"
    )
    return get_object_or_404(certificates, number=number)


def require_in_force(certificate: Certificate) -> None:
    """Conflict unless the certificate is issued and neither revoked nor superseded: only a certificate in
    force fills in a declaration."""
    number, status = certificate.number, certificate.status
    if status == Certificate.Status.ISSUED:
        return
    if status == Certificate.Status.REVOKED:
        message = _(
            "Certificate %(number)s was revoked on %(date)s (%(reason)s): a revoked certificate cannot fill in "
            "a declaration."
        ) % {
            "number": number,
            "date": timezone.localdate(certificate.revoked_at) if certificate.revoked_at else "—",
            "reason": certificate.revocation_reason,
        }
    elif status == Certificate.Status.SUPERSEDED:
        successor = getattr(certificate, "superseded_by", None)
        message = _(
            "Certificate %(number)s was superseded by %(successor)s: declare from the certificate in force."
        ) % {
            "number": number,
            "successor": (successor.number if successor else "") or _("an amendment"),
        }
    else:
        message = _(
            "Certificate %(number)s is not issued (%(status)s): only an issued certificate fills in a declaration."
        ) % {
            "number": number or certificate.pk,
            "status": certificate.get_status_display().lower(),
        }
    raise Conflict(message, field="certificate")


@dataclass(frozen=True)
class PrefilledComponent:
    """One element as the certificate states it: `content` is what the declaration starts with (None
    where the certificate states no value: below detection, or not on a dry basis), `certified` the
    certificate's own words ("22.50 %", "<0.020 ppm")."""

    symbol: str
    content: Decimal | None
    unit: str
    certified: str


@dataclass(frozen=True)
class Prefill:
    """What a declaration of a certificate starts with: its lot, and from its frozen snapshot the HS code,
    the certified dry mass and every element it reports, in its order and units."""

    certificate: Certificate
    lot: Lot
    hs_code: str
    dry_mass_t: Decimal | None
    components: list[PrefilledComponent]


def declaration_prefill(certificate: Certificate) -> Prefill:
    """Read from the certificate's frozen snapshot, never from live results: a declaration is measured
    against what the certificate states (customs.checks), so it starts from exactly that."""
    snapshot = snapshots.read(certificate.snapshot)
    lot_part = snapshot.get("lot") or {}
    dry_mass = lot_part.get("dry_mass_t")
    components = []
    for row in snapshot.get("results", []):
        if row["analyte"] == MOISTURE:
            continue
        stated = row.get("value") if row.get("qualifier", "") in ("", ">") else None
        dry = row.get("basis", Basis.DRY) in (Basis.DRY, "")
        if stated is not None:
            certified = f"{row.get('qualifier', '')}{stated} {row['unit']}"
        else:
            certified = f"<{row.get('detection_limit') or '—'} {row['unit']}"
        if not dry:
            certified += f" ({dict(Basis.choices).get(row['basis'], row['basis'])})"
        components.append(
            PrefilledComponent(
                symbol=row["analyte"],
                content=Decimal(stated) if stated is not None and dry else None,
                unit=row["unit"],
                certified=certified,
            )
        )
    return Prefill(
        certificate=certificate,
        lot=certificate.sample.lot,
        hs_code=lot_part.get("hs_code", ""),
        dry_mass_t=Decimal(dry_mass) if dry_mass else None,
        components=components,
    )


@dataclass
class Row:
    """One line of the side-by-side table: what was declared, what the certificate states, and the
    finding about it."""

    label: str
    declared: str
    certified: str
    severity: str
    message: str
    order: int = 0

    @property
    def severity_label(self) -> str:
        return str(Finding.Severity(self.severity).label)


@dataclass
class Comparison:
    """Declared against certified for one valid cited certificate."""

    certificate_number: str
    rows: list[Row] = field(default_factory=list)
    valuation: dict | None = None
    value: Finding | None = None


def _quantity(value, unit) -> str:
    return f"{value} {unit}" if value not in (None, "") else "—"


def _amount(value, currency) -> str:
    return f"{money(value)} {currency}" if value not in (None, "") else "—"


def declaration_comparison(declaration: Declaration) -> list[Comparison]:
    """The findings of each valid certificate as a table: HS code, dry mass and value first, then the
    elements in the certificate's order, undeclared ones included. Built from the stored findings, so
    it shows the figures as they were when the checks ran."""
    comparisons: dict[str, Comparison] = {}
    rules = Finding.Rule
    for finding in declaration.findings.all():
        if finding.rule in (rules.CERTIFICATE, rules.NO_CERTIFICATE):
            continue
        comparison = comparisons.setdefault(finding.certificate_number, Comparison(finding.certificate_number))
        f = finding.figures
        if finding.rule == rules.HS_CODE:
            row = Row(str(rules.HS_CODE.label), f["declared"], f["certified"], finding.severity, finding.text, -3)
        elif finding.rule == rules.DRY_MASS:
            row = Row(
                str(rules.DRY_MASS.label),
                _quantity(f["declared"], "t"),
                _quantity(f.get("certified"), "t"),
                finding.severity,
                finding.text,
                -2,
            )
        elif finding.rule == rules.VALUE:
            comparison.valuation, comparison.value = findings.valuation_worded(f.get("valuation")), finding
            row = Row(
                str(rules.VALUE.label),
                _amount(f["declared"], f["currency"]),
                _amount(f.get("payable"), f.get("payable_currency")),
                finding.severity,
                finding.text,
                -1,
            )
        elif finding.rule == rules.CONTENT:
            certified = f.get("certified")
            if certified is None and f.get("detection_limit"):
                certified = f"<{f['detection_limit']}"
            row = Row(
                finding.analyte,
                _quantity(f["declared"], f["declared_unit"]),
                _quantity(certified, f.get("unit")),
                finding.severity,
                finding.text,
                f.get("order", 10_000),
            )
        else:  # undeclared elements: a row each
            for element in f.get("elements", []):
                note = _("Rare earth, not declared") if element["rare_earth"] else _("Not declared")
                comparison.rows.append(
                    Row(
                        element["analyte"],
                        "—",
                        _quantity(element["value"], element["unit"]),
                        finding.severity,
                        note,
                        element["order"],
                    )
                )
            continue
        comparison.rows.append(row)
    for comparison in comparisons.values():
        comparison.rows.sort(key=lambda row: row.order)
    return list(comparisons.values())
