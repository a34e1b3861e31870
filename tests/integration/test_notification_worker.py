"""Notification e-mails go through a real Celery worker on Redis: the action commits, the task is
sent after commit to the "default" queue, the worker renders and sends the mail (django's test
outbox: the worker runs in this process) and marks the notification e-mailed."""

import time

import pytest
from django.core import mail

from assays.services import result_reject
from certificates import services
from lims.models import Notification
from tests.assays.conftest import manual, report
from tests.conftest import received
from tests.integration.test_certificate_worker import wait_until_finished
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_for_mail(count: int, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(mail.outbox) >= count:
            return list(mail.outbox)
        time.sleep(0.1)
    raise AssertionError(f"{len(mail.outbox)} e-mails after {timeout} s, expected {count}")


def with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def test_a_worker_emails_a_rejection_after_commit(worker, lot, sampler, technician, reviewer):  # noqa: F811
    with_email(technician)
    (au,) = manual(technician, "fire-assay", received(lot, sampler, technician), Au="5.25")

    result_reject(actor=reviewer, result=au, reason="Duplicate out of tolerance")

    (email,) = wait_for_mail(1)
    assert email.to == ["tess@example.org"]
    assert email.subject == f"[Assay LIMS] Result rejected on sample {au.sample.code}"
    assert "Reason: Duplicate out of tolerance" in email.body
    # Marked once sent (just after the mail left), so a retry would not send it again.
    deadline = time.monotonic() + 10
    while Notification.objects.get(kind="result_rejected").emailed_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Notification.objects.get(kind="result_rejected").emailed_at is not None


def test_a_worker_emails_an_issued_certificate_to_the_manager_and_the_exporter(
    worker,  # noqa: F811
    lot, sampler, technician, reviewer, manager, exporter, exporter2, instrument, keys_dir,
):  # fmt: skip
    with_email(manager, exporter, exporter2)
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)

    requested = services.certificate_request(actor=manager, sample=sample)
    certificate = wait_until_finished(requested.pk)

    emails = wait_for_mail(2)
    assert sorted(email.to[0] for email in emails) == ["alice@example.org", "max@example.org"]
    assert {email.subject for email in emails} == {f"[Assay LIMS] Certificate {certificate.number} issued"}
    # bob (another exporter, with an address too) is not told at all, so nothing can be mailed to him.
    assert not Notification.objects.filter(recipient=exporter2).exists()
