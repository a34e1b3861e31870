"""A certificate issued or failed tells the lab managers and the people of the lot's exporter
(lims.notifications), nobody else: not the other exporter, not the rest of the laboratory. A failure's
reason stays with the laboratory."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from certificates import services
from certificates.models import Certificate
from lims.models import Notification
from lims.roles import Role
from tests.certificates.builders import issued_certificate
from tests.conftest import make_user, received


@pytest.fixture
def everyone(sampler, technician, reviewer, manager, exporter, exporter2, inspector, exporter_org):
    """The whole cast, and bella, a customs broker of alice's organisation."""
    bella = make_user("bella", None, exporter_org)
    bella.groups.add(Group.objects.get(name=Role.BROKER))
    return bella


def told(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_an_issued_certificate_tells_the_managers_and_the_exporters_people(
    everyone, lot, sampler, technician, reviewer, manager, instrument, keys_dir
):
    certificate = issued_certificate(
        lot=lot, sampler=sampler, technician=technician, reviewer=reviewer, manager=manager, instrument=instrument
    )

    assert told("certificate_issued") == ["alice", "bella", "max"]
    notice = Notification.objects.get(kind="certificate_issued", recipient__username="alice")
    assert notice.title() == f"Certificate {certificate.number} issued"
    assert notice.data == {"number": certificate.number, "lot": lot.lot_number, "sample": certificate.sample.code}
    assert notice.link == reverse("certificate_detail", kwargs={"cert_pk": certificate.pk})


def test_a_failed_certificate_tells_them_without_the_reason(everyone, lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    certificate = Certificate.objects.create(
        sample=sample, snapshot={}, snapshot_sha256="0" * 64, requested_by=manager,
        status=Certificate.Status.RENDERING, claimed_by="attempt-1",
    )  # fmt: skip

    services.certificate_fail(certificate_id=certificate.pk, claim="attempt-1", reason="OSError: disk full")

    assert told("certificate_failed") == ["alice", "bella", "max"]
    for notice in Notification.objects.filter(kind="certificate_failed"):
        assert "disk full" not in notice.title() + notice.body()
        assert notice.body().startswith(f"Issuing the certificate of lot {lot.lot_number} (sample {sample.code})")


def test_a_failure_of_another_attempt_tells_nobody(everyone, lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    certificate = Certificate.objects.create(
        sample=sample, snapshot={}, snapshot_sha256="0" * 64, requested_by=manager,
        status=Certificate.Status.RENDERING, claimed_by="attempt-2",
    )  # fmt: skip

    services.certificate_fail(certificate_id=certificate.pk, claim="attempt-1", reason="stale")

    assert told("certificate_failed") == []
