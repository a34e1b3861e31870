"""Fault: the 409 for a second certificate request named the existing certificate twice over
("certificate #54 (Pending) (pending)"). It names it once: by number when it has one, else by id."""

import pytest
from rest_framework.test import APIClient

from certificates.models import Certificate
from tests.assays.conftest import report
from tests.certificates.builders import issue_now
from tests.conftest import received

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(lot, sampler, technician, reviewer, instrument):
    return report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)


def request_again(manager, sample):
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post("/api/v1/certificates/", {"sample": sample.code}, format="json")
    assert response.status_code == 409
    return response.json()["message"]


def test_a_second_request_names_the_pending_certificate_once(manager, reported, dispatched):
    first = APIClient()
    first.force_authenticate(manager)
    assert first.post("/api/v1/certificates/", {"sample": reported.code}, format="json").status_code == 201
    pending = Certificate.objects.get(sample=reported)

    message = request_again(manager, reported)

    assert message == (
        f"{reported.code} already has certificate #{pending.pk} (pending); amend it instead of requesting another."
    )


def test_a_second_request_names_the_issued_certificate_by_number(manager, reported, keys_dir, dispatched):
    from certificates import services

    issued = issue_now(services.certificate_request(actor=manager, sample=reported))

    message = request_again(manager, reported)

    assert message.startswith(f"{reported.code} already has certificate {issued.number} (issued);")
