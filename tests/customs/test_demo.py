"""The customs demo: reference data always; once a certificate is issued, declarations in every
state, one of them flagged for undeclared rare earths and an understated value; idempotent."""

import pytest

from certificates.models import Certificate
from customs import demo
from customs.models import Declaration, ExchangeRate, MetalPrice
from lims import demo as lims_demo
from lims.models import AuditEvent
from samples import demo as samples_demo
from samples.models import Sample
from tests.customs.conftest import make_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def context():
    context: dict = {}
    lims_demo.seed(context)
    samples_demo.seed(context)
    return context


def test_without_an_issued_certificate_only_reference_data_is_made(context):
    demo.seed(context)

    assert MetalPrice.objects.filter(commodity="Cu").count() == 2
    assert ExchangeRate.objects.filter(currency="KZT").exists()
    assert context["users"]["broker"].has_role("broker")
    assert not Declaration.objects.exists()


def test_declarations_in_every_state(context):
    manager = context["users"]["manager"]
    sample = context["lots"]["AC-2026-0101"].samples.get(purpose=Sample.Purpose.LABORATORY)
    old = make_certificate(sample, requested_by=manager, status=Certificate.Status.SUPERSEDED)
    current = make_certificate(sample, requested_by=manager, supersedes=old, amendment_reason="Corrected.")
    context["certificates"] = [old, current]

    demo.seed(context)
    demo.seed_after_commit(context)
    first = list(Declaration.objects.order_by("number").values_list("number", "status"))
    demo.seed(context)
    demo.seed_after_commit(context)

    assert list(Declaration.objects.order_by("number").values_list("number", "status")) == first
    assert {status for _number, status in first} == {"cleared", "flagged", "accepted", "rejected"}
    flagged = Declaration.objects.get(status="flagged")
    assert flagged.filed_by.username == "broker"
    assert set(flagged.findings.filter(severity="blocking").values_list("rule", flat=True)) == {"undeclared", "value"}
    assert "Rare-earth elements among them" in flagged.findings.get(rule="undeclared", severity="blocking").message
    assert Declaration.objects.get(status="cleared").currency == "KZT"
    rejected = Declaration.objects.get(status="rejected")
    assert rejected.citations.get().number == old.number
    assert AuditEvent.objects.filter(action__in=["declaration.accept", "declaration.reject"]).count() == 2
