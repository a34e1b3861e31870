"""A real Celery worker on Redis issues a certificate end to end: the request commits, the task
goes through the broker after commit, the worker renders, signs and stores the PDF."""

import time

import pytest
from django.core.files.storage import default_storage

from certificates import services
from certificates.models import Certificate
from tests.assays.conftest import report
from tests.conftest import received
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_until_finished(certificate_id: int, timeout: float = 90) -> Certificate:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        certificate = Certificate.objects.get(pk=certificate_id)
        if not certificate.in_progress:
            return certificate
        time.sleep(0.2)
    raise AssertionError(f"certificate {certificate_id} still {certificate.status} after {timeout} s")


def test_a_worker_issues_a_requested_certificate(
    worker,  # noqa: F811
    lot, sampler, technician, reviewer, manager, instrument, keys_dir,
):  # fmt: skip
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)

    requested = services.certificate_request(actor=manager, sample=sample)

    certificate = wait_until_finished(requested.pk)
    assert certificate.status == Certificate.Status.ISSUED, certificate.failure
    assert certificate.dispatched_at is not None  # sent through the broker, after commit
    assert default_storage.exists(certificate.pdf.name)
    assert [e.action for e in certificate.events.all()] == ["requested", "rendering", "signing", "issued"]
