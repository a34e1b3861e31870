"""The inspector's decision, with its reason on the declaration and in the audit trail, and checking
again after the world changed (a certificate revoked, a price entered)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from certificates.models import Certificate
from customs import services
from customs.models import Declaration, MetalPrice
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.models import AuditEvent

S = Declaration.Status


@pytest.fixture
def flagged(declare):
    # The rare earths are left out.
    return declare(components={"Cu": "22.50 %", "Au": "5.00 g/t", "Ag": "40.0 g/t"})


def test_the_inspector_rejects_a_flagged_declaration_with_a_reason(flagged, inspector):
    services.declaration_decide(
        actor=inspector, declaration=flagged, accept=False, reason="Rare earths undeclared; referee sample ordered."
    )

    flagged.refresh_from_db()
    assert (flagged.status, flagged.decided_by) == (S.REJECTED, inspector)
    assert flagged.decision_reason == "Rare earths undeclared; referee sample ordered."
    event = AuditEvent.objects.get(action="declaration.reject")
    assert (event.actor, event.object_id) == (inspector, str(flagged.pk))
    assert event.data == {
        "number": flagged.number,
        "status_before": "flagged",
        "reason": "Rare earths undeclared; referee sample ordered.",
        "blocking": 1,
    }


def test_a_cleared_declaration_may_still_be_reviewed(declare, inspector):
    declaration = declare()
    assert declaration.status == S.CLEARED

    services.declaration_decide(actor=inspector, declaration=declaration, accept=True, reason="Documents seen.")

    declaration.refresh_from_db()
    assert declaration.status == S.ACCEPTED
    assert AuditEvent.objects.filter(action="declaration.accept").exists()


def test_a_decision_needs_a_reason(flagged, inspector):
    with pytest.raises(ApplicationError) as refused:
        services.declaration_decide(actor=inspector, declaration=flagged, accept=True, reason="   ")
    assert refused.value.field == "reason"
    flagged.refresh_from_db()
    assert flagged.status == S.FLAGGED


@pytest.mark.parametrize("who", ["exporter", "broker", "manager"])
def test_only_inspectors_decide(request, flagged, who):
    with pytest.raises(NotPermitted):
        services.declaration_decide(actor=request.getfixturevalue(who), declaration=flagged, accept=True, reason="ok")
    flagged.refresh_from_db()
    assert flagged.status == S.FLAGGED


def test_a_decision_is_final(flagged, inspector):
    services.declaration_decide(actor=inspector, declaration=flagged, accept=False, reason="Undeclared REE.")

    with pytest.raises(Conflict):
        services.declaration_decide(actor=inspector, declaration=flagged, accept=True, reason="Changed my mind.")
    with pytest.raises(Conflict):
        services.declaration_recheck(actor=inspector, declaration=flagged)
    flagged.refresh_from_db()
    assert flagged.status == S.REJECTED


def test_checking_again_sees_a_certificate_revoked_since(declare, certificate, inspector, manager):
    declaration = declare()
    assert declaration.status == S.CLEARED
    # Revoked afterwards, as the certificates service leaves the row.
    Certificate.objects.filter(pk=certificate.pk).update(
        status="revoked", revoked_at=timezone.now(), revoked_by=manager, revocation_reason="Wrong sample."
    )

    services.declaration_recheck(actor=inspector, declaration=declaration)

    declaration.refresh_from_db()
    assert declaration.status == S.FLAGGED
    assert declaration.findings.filter(rule="certificate", severity="blocking").exists()
    event = AuditEvent.objects.get(action="declaration.recheck")
    assert (event.data["status_before"], event.data["status"]) == ("cleared", "flagged")


def test_checking_again_uses_a_price_entered_since(declare, inspector):
    declaration = declare(declared_on=date(2025, 12, 31))  # no price was in effect then
    assert declaration.status == S.FLAGGED
    for commodity, price, unit in (("Cu", "9000", "t"), ("Au", "2000", "oz"), ("Ag", "25", "oz"), ("TREO", "10", "kg")):
        MetalPrice.objects.create(
            commodity=commodity, unit=unit, price=Decimal(price), effective_date=date(2025, 12, 1), source="LME"
        )

    services.declaration_recheck(actor=inspector, declaration=declaration)

    declaration.refresh_from_db()
    assert declaration.status == S.CLEARED
    assert declaration.findings.count() > 0 and not declaration.findings.filter(severity="blocking").exists()


def test_only_inspectors_check_again(flagged, exporter):
    with pytest.raises(NotPermitted):
        services.declaration_recheck(actor=exporter, declaration=flagged)
