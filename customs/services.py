"""Every write to declarations goes through a function here (conventions of samples.services:
keyword-only arguments with the acting user, one transaction, permission and state checks, an audit
record, ApplicationError on refusal with nothing changed). The reference data of valuation is written
through lims.services.reference_save, from the admin and the API.

Who does what (lims/permissions.py):
- an exporter user, or a customs broker of the exporter organisation, files declarations for the
  organisation's own lots; a filed declaration is never edited: a corrected one is filed anew under
  its own number;
- checks that flag a declaration (at filing, or a re-run that turns a cleared one flagged) tell the
  customs office's inspectors and whoever filed it (lims.notifications);
- a customs inspector re-runs the checks (after a certificate was revoked or a price entered), and
  accepts or rejects a declaration, flagged or cleared, with a reason;
- inspectors and administrators keep metal prices, payable terms and exchange rates. The laboratory
  does not: it certifies composition, and a value it set would make it party to the declaration.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assays import units
from assays.models import Analyte
from certificates.models import Certificate
from customs import checks
from customs.models import CitedCertificate, Declaration, DeclaredComponent, Finding
from lims import notifications, permissions
from lims import services as lims_services
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError
from lims.models import NotificationKind, Organisation, User
from samples.models import Lot

S = Declaration.Status


@dataclass(frozen=True)
class ComponentSpec:
    analyte: Analyte
    content: Decimal
    unit: str


def _components(components: list[ComponentSpec]) -> list[ComponentSpec]:
    if not components:
        raise ApplicationError(_("Declare at least one component."), field="components")
    seen: set[int] = set()
    cleaned = []
    for spec in components:
        if spec.analyte.pk in seen:
            raise ApplicationError(
                _("%(analyte)s is declared twice.") % {"analyte": spec.analyte.symbol},
                field="components",
                extra={"analyte": spec.analyte.symbol},
            )
        seen.add(spec.analyte.pk)
        unit = units.normalise_unit(spec.unit)
        if unit not in units.SOLID_UNITS:
            raise ApplicationError(
                _("%(unit)s is not a content of a solid (use %%, g/t, ppm or ppb).") % {"unit": spec.unit},
                field="components",
                extra={"analyte": spec.analyte.symbol},
            )
        content = units.finite_decimal(spec.content, "content")
        if content < 0:
            raise ApplicationError(
                _("The content of %(analyte)s cannot be negative.") % {"analyte": spec.analyte.symbol},
                field="components",
                extra={"analyte": spec.analyte.symbol},
            )
        cleaned.append(ComponentSpec(spec.analyte, content, unit))
    return cleaned


def _certificate_numbers(numbers: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(number.strip() for number in numbers if number.strip()))
    if not cleaned:
        raise ApplicationError(
            _("Cite the certificate of analysis of the lot (box 44 of the declaration)."), field="certificate_numbers"
        )
    for number in cleaned:
        if len(number) > 40:
            raise ApplicationError(
                _("%(number)s is too long for a certificate number.") % {"number": number}, field="certificate_numbers"
            )
    return cleaned


def _apply_checks(declaration: Declaration) -> list[Finding]:
    """Resolve the cited numbers, run the checks, store their findings and set the status from them.
    The caller holds the transaction (and, for an existing declaration, its row lock)."""
    for citation in declaration.citations.all():
        certificate = Certificate.objects.filter(number=citation.number).first()
        if citation.certificate_id != (certificate.pk if certificate else None):
            citation.certificate = certificate
            citation.save(update_fields=["certificate"])
    declaration.findings.all().delete()
    outcomes = checks.run(declaration)
    # The stored message is English whoever filed; pages say it in their reader's language from the key.
    with translation.override("en"):
        messages = [outcome.message for outcome in outcomes]
    findings = Finding.objects.bulk_create(
        Finding(
            declaration=declaration,
            position=position,
            rule=outcome.rule,
            severity=outcome.severity,
            certificate_number=outcome.certificate_number,
            analyte=outcome.analyte,
            message=message,
            text_key=outcome.text,
            text_params=outcome.params,
            figures=outcome.figures,
        )
        for position, (outcome, message) in enumerate(zip(outcomes, messages, strict=True))
    )
    blocking = any(finding.severity == Finding.Severity.BLOCKING for finding in findings)
    declaration.status = Declaration.LIFECYCLE.require_transition(
        declaration, "check", to=S.FLAGGED if blocking else S.CLEARED
    )
    declaration.checked_at = timezone.now()
    declaration.save(update_fields=["status", "checked_at"])
    return findings


def _notify_flagged(declaration: Declaration, findings: list[Finding], actor: User) -> None:
    """The customs office's inspectors and whoever filed the declaration hear that its checks flagged
    it (an inspector who re-ran them is not told what they just saw)."""
    notifications.notify(
        kind=NotificationKind.DECLARATION_FLAGGED,
        recipients=[*permissions.inspectors(declaration.customs_office).exclude(pk=actor.pk), declaration.filed_by],
        about=declaration,
        link=reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk}),
        data={
            "number": declaration.number,
            "lot": declaration.lot.lot_number,
            "blocking": sum(finding.severity == Finding.Severity.BLOCKING for finding in findings),
        },
    )


def _summary(findings: list[Finding]) -> dict:
    return {severity: sum(f.severity == severity for f in findings) for severity in Finding.Severity.values}


@transaction.atomic
def declaration_file(
    *,
    actor: User,
    number: str,
    declarant: str,
    lot: Lot,
    customs_office: Organisation,
    hs_code: str,
    declared_on: date,
    dry_mass_t: Decimal,
    value: Decimal,
    currency: str,
    components: list[ComponentSpec],
    certificate_numbers: list[str],
) -> Declaration:
    """File a declaration of one lot and check it at once: flagged for an inspector when a check
    finds something blocking, cleared otherwise. The exporter is the lot's."""
    permissions.require(actor, "declaration.file")
    if not permissions.can_see(actor, lot):
        raise ApplicationError(_("Choose one of your organisation's lots."), field="lot")
    permissions.require_exporter_scope(actor, lot.exporter)
    if customs_office.kind != Organisation.Kind.CUSTOMS:
        raise ApplicationError(_("%(org)s is not a customs office.") % {"org": customs_office}, field="customs_office")
    if declared_on > timezone.localdate():
        raise ApplicationError(_("The declaration date cannot be in the future."), field="declared_on")
    number = number.strip()
    if Declaration.objects.filter(number__iexact=number).exists():
        raise ApplicationError(
            _("A declaration numbered %(number)s was filed already.") % {"number": number}, field="number"
        )
    components = _components(components)
    certificate_numbers = _certificate_numbers(certificate_numbers)
    now = timezone.now()
    declaration = Declaration(
        number=number,
        declarant=declarant.strip(),
        exporter=lot.exporter,
        lot=lot,
        customs_office=customs_office,
        hs_code=hs_code.strip(),
        declared_on=declared_on,
        dry_mass_t=dry_mass_t,
        value=value,
        currency=currency.strip().upper(),
        # Fail closed until the checks have run.
        status=S.FLAGGED,
        filed_by=actor,
        filed_at=now,
        checked_at=now,
    )
    lims_services.validate(declaration)
    # Held as the columns hold them, so the findings quote the figures as they are stored.
    declaration.dry_mass_t, declaration.value = dry_mass_t.quantize(Decimal("0.001")), value.quantize(Decimal("0.01"))
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError as exc:  # the same number filed at the same moment by someone else
        raise ApplicationError(
            _("A declaration numbered %(number)s was filed already.") % {"number": number}, field="number"
        ) from exc
    DeclaredComponent.objects.bulk_create(
        DeclaredComponent(declaration=declaration, position=i, analyte=c.analyte, content=c.content, unit=c.unit)
        for i, c in enumerate(components)
    )
    CitedCertificate.objects.bulk_create(
        CitedCertificate(declaration=declaration, position=i, number=n) for i, n in enumerate(certificate_numbers)
    )
    findings = _apply_checks(declaration)
    if declaration.status == S.FLAGGED:
        _notify_flagged(declaration, findings, actor)
    audit_record(
        actor=actor,
        action=AuditAction.DECLARATION_FILE,
        obj=declaration,
        data={"number": declaration.number, "status": declaration.status, "findings": _summary(findings)},
    )
    return declaration


def _locked(declaration: Declaration) -> Declaration:
    return Declaration.objects.select_for_update(of=("self",)).select_related("lot", "exporter").get(pk=declaration.pk)


@transaction.atomic
def declaration_recheck(*, actor: User, declaration: Declaration, note: str = "") -> Declaration:
    """Run the checks again, against the certificates, prices and terms as they are now (a cited
    certificate may have been revoked since, or a missing price entered). The findings are replaced;
    the audit record keeps the outcome before and after, and the inspector's note."""
    permissions.require(actor, "declaration.recheck", declaration)
    declaration = _locked(declaration)
    Declaration.LIFECYCLE.require(declaration, "check")
    before = declaration.status
    findings = _apply_checks(declaration)
    if declaration.status == S.FLAGGED and before != S.FLAGGED:
        _notify_flagged(declaration, findings, actor)
    audit_record(
        actor=actor,
        action=AuditAction.DECLARATION_RECHECK,
        obj=declaration,
        data={
            "status_before": before,
            "status": declaration.status,
            "findings": _summary(findings),
            "note": note.strip(),
        },
    )
    return declaration


@transaction.atomic
def declaration_decide(*, actor: User, declaration: Declaration, accept: bool, reason: str) -> Declaration:
    """An inspector accepts or rejects a declaration, flagged or cleared, and says why."""
    permissions.require(actor, "declaration.decide", declaration)
    declaration = _locked(declaration)
    action = "accept" if accept else "reject"
    status_after = Declaration.LIFECYCLE.require_transition(declaration, action)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the decision; it goes on record."), field="reason")
    before = declaration.status
    declaration.status = status_after
    declaration.decided_by = actor
    declaration.decided_at = timezone.now()
    declaration.decision_reason = reason
    declaration.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.DECLARATION_ACCEPT if accept else AuditAction.DECLARATION_REJECT,
        obj=declaration,
        data={
            "number": declaration.number,
            "status_before": before,
            "reason": reason,
            "blocking": declaration.findings.filter(severity=Finding.Severity.BLOCKING).count(),
        },
    )
    return declaration
