"""certificate_request and the issue task: numbers, idempotence, a killed worker, failure and
retry, the sweep, revocation and amendment. The task is called directly (STYLE: eager mode is no
test of Celery); tests/integration runs it on a real worker."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from certificates import services, tasks
from certificates.models import Certificate, SigningKey
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import services as sample_services
from tests.assays.conftest import report
from tests.conftest import received

S = Certificate.Status


@pytest.fixture
def reported(lot, sampler, technician, reviewer, instrument):
    return report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)


@pytest.fixture
def requested(reported, manager, dispatched, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.certificate_request(actor=manager, sample=reported)


def issue(certificate, claim="task-1"):
    return services.certificate_issue_unsafe(certificate_id=certificate.pk, claim=claim)


def test_the_task_is_sent_only_after_commit(reported, manager, dispatched, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = services.certificate_request(actor=manager, sample=reported)
        assert dispatched == []  # not while the transaction may still roll back
    assert dispatched == [certificate.pk]


def test_a_request_freezes_the_snapshot(requested, dispatched, reported):
    assert requested.status == S.PENDING and requested.number is None
    assert requested.snapshot["sample"]["code"] == reported.code
    assert requested.snapshot["moisture"]["value"] == "8.00"
    assert len(requested.snapshot_sha256) == 64
    assert dispatched == [requested.pk]
    assert requested.events.get().action == "requested"


def test_only_a_reported_sample_can_be_certified(manager, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    with pytest.raises(Conflict, match="not reported"):
        services.certificate_request(actor=manager, sample=sample)
    assert not Certificate.objects.exists()


def test_only_the_lab_manager_requests(reported, reviewer, exporter):
    for person in (reviewer, exporter):
        with pytest.raises(NotPermitted):
            services.certificate_request(actor=person, sample=reported)
    assert not Certificate.objects.exists()


def test_a_broken_custody_chain_cannot_be_certified(reported, manager):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL a trigger refuses the edit that breaks the chain")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE samples_custodyevent SET note = 'x' WHERE sample_id = %s AND sequence = 2", [reported.pk]
        )
    with pytest.raises(Conflict, match="custody chain"):
        services.certificate_request(actor=manager, sample=reported)


def test_a_second_request_for_the_same_sample_is_refused(requested, manager, reported):
    with pytest.raises(Conflict, match="amend"):
        services.certificate_request(actor=manager, sample=reported)


def test_the_task_issues_a_signed_pdf_with_a_number(requested, keys_dir):
    certificate = issue(requested)

    assert certificate.status == S.ISSUED
    year = timezone.localtime(certificate.issued_at).year
    assert certificate.number == f"KZL-{year}-000001"
    with default_storage.open(certificate.pdf.name) as stored:
        data = stored.read()
    assert data.startswith(b"%PDF-1.7")
    assert hashlib.sha256(data).hexdigest() == certificate.pdf_sha256
    assert certificate.qr_token.startswith("LIMS2:")
    # The verification code printed on it is on record as its hash only.
    assert len(certificate.verification_code_sha256) == 64
    # The public halves of both keys are on record; no private key is.
    assert set(SigningKey.objects.values_list("kid", flat=True)) == {certificate.signing_kid, certificate.token_kid}
    assert not SigningKey.objects.filter(public_pem__contains="PRIVATE").exists()
    assert [e.action for e in certificate.events.all()] == ["requested", "rendering", "signing", "issued"]


def test_running_the_task_again_changes_nothing(requested, keys_dir):
    first = issue(requested, claim="task-1")
    assert issue(requested, claim="task-1") is None
    assert issue(requested, claim="task-2") is None

    again = Certificate.objects.get(pk=requested.pk)
    assert (again.number, again.pdf.name, again.pdf_sha256) == (first.number, first.pdf.name, first.pdf_sha256)
    # One PDF on disk, the recorded one.
    assert default_storage.listdir(first.pdf.name.rsplit("/", 1)[0])[1] == [first.pdf.name.rsplit("/", 1)[1]]


def test_a_worker_killed_mid_way_is_resumed_by_the_redelivered_task(requested, keys_dir, monkeypatch):
    from certificates import signing

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(signing, "sign_pdf", killed)
    with pytest.raises(SystemExit):
        issue(requested, claim="task-1")
    stuck = Certificate.objects.get(pk=requested.pk)
    assert stuck.status == S.SIGNING and stuck.number
    monkeypatch.undo()

    # Another task leaves it alone while the claim is young: the first worker may still be alive.
    assert issue(requested, claim="task-2") is None
    # The broker redelivers the same message (same task id): it resumes, with the same number.
    certificate = issue(requested, claim="task-1")
    assert certificate.status == S.ISSUED and certificate.number == stuck.number
    assert certificate.attempts == 2
    assert Certificate.objects.filter(status=S.ISSUED).count() == 1


def test_a_claim_past_its_lease_is_taken_over(requested, keys_dir, monkeypatch):
    from certificates import signing

    monkeypatch.setattr(signing, "sign_pdf", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        issue(requested, claim="task-1")
    monkeypatch.undo()
    Certificate.objects.filter(pk=requested.pk).update(claimed_at=timezone.now() - services.LEASE)

    certificate = issue(requested, claim="task-from-the-sweep")
    assert certificate.status == S.ISSUED


def test_numbers_are_consecutive_and_given_at_issue(
    lot, sampler, technician, reviewer, manager, instrument, keys_dir, dispatched
):
    samples = [
        report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
        for _ in range(3)
    ]
    requests = [services.certificate_request(actor=manager, sample=s) for s in samples]
    # Issued in another order than requested: the number follows issue.
    numbers = [issue(c).number for c in reversed(requests)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


def test_an_error_that_a_retry_cannot_cure_fails_the_certificate(requested, keys_dir, monkeypatch):
    from certificates import document

    def broken(*args, **kwargs):
        raise ValueError("template error")

    monkeypatch.setattr(document, "render_certificate", broken)
    assert tasks.issue_certificate(requested.pk) is None

    failed = Certificate.objects.get(pk=requested.pk)
    assert failed.status == S.FAILED and "template error" in failed.failure
    number = failed.number
    monkeypatch.undo()

    services.certificate_retry(actor=requested.requested_by, certificate=failed)
    assert tasks.issue_certificate(requested.pk) == number  # the same number: no gap


def test_a_transient_error_is_retried_by_the_task(requested, keys_dir, monkeypatch):
    from celery.exceptions import Retry

    from certificates import signing

    def away(*args, **kwargs):
        raise signing.TimestampUnavailable("no answer")

    monkeypatch.setattr(signing, "sign_pdf", away)
    with pytest.raises(Retry):
        tasks.issue_certificate.apply(args=[requested.pk], throw=True)
    assert Certificate.objects.get(pk=requested.pk).status == S.SIGNING


def test_the_backoff_stays_below_the_visibility_timeout(settings):
    for retries in range(10):
        assert tasks.backoff(retries) <= tasks.BACKOFF_CAP < settings.CELERY_VISIBILITY_TIMEOUT


def test_the_sweep_sends_what_no_worker_has(requested, dispatched, keys_dir):
    dispatched.clear()
    # Sent a moment ago: not yet.
    Certificate.objects.filter(pk=requested.pk).update(dispatched_at=timezone.now())
    assert services.sweep_unfinished() == []
    # The broker was down at commit: never marked as sent.
    Certificate.objects.filter(pk=requested.pk).update(dispatched_at=None)
    assert services.sweep_unfinished() == [requested.pk]
    assert dispatched == [requested.pk]
    # Issued certificates are left alone.
    issue(requested)
    Certificate.objects.filter(pk=requested.pk).update(dispatched_at=None)
    assert services.sweep_unfinished() == []


def test_revocation_needs_a_reason_and_an_issued_certificate(requested, manager, keys_dir):
    with pytest.raises(Conflict):
        services.certificate_revoke(actor=manager, certificate=requested, reason="wrong lot")
    issued = issue(requested)
    with pytest.raises(ApplicationError, match="reason"):
        services.certificate_revoke(actor=manager, certificate=issued, reason=" ")

    services.certificate_revoke(actor=manager, certificate=issued, reason="Wrong contract.")
    issued.refresh_from_db()
    assert issued.status == S.REVOKED and issued.revocation_reason == "Wrong contract."
    with pytest.raises(Conflict):
        services.certificate_revoke(actor=manager, certificate=issued, reason="again")


def test_an_amendment_supersedes_the_original_when_it_is_issued(requested, manager, keys_dir, reported):
    original = issue(requested)
    reported.lot.origin = "Aktogay concentrator, line 2"
    reported.lot.save()

    amendment = services.certificate_amend(actor=manager, certificate=original, reason="Origin corrected.")
    original.refresh_from_db()
    assert original.status == S.ISSUED  # still current until the amendment is issued
    changes = amendment.snapshot["amendment"]["changes"]
    assert {"field": "lot.origin", "old": "Aktogay concentrator", "new": "Aktogay concentrator, line 2"} in changes
    assert amendment.snapshot["amendment"]["supersedes"] == original.number

    issue(amendment, claim="task-2")
    original.refresh_from_db()
    amendment.refresh_from_db()
    assert original.status == S.SUPERSEDED and amendment.status == S.ISSUED
    assert amendment.number != original.number
    # The original stays retrievable, unchanged.
    assert default_storage.exists(original.pdf.name)
    with pytest.raises(Conflict):
        services.certificate_amend(actor=manager, certificate=original, reason="again")


def test_an_amendment_needs_a_reason(requested, manager, keys_dir):
    original = issue(requested)
    with pytest.raises(ApplicationError, match="what changed"):
        services.certificate_amend(actor=manager, certificate=original, reason="")


def test_the_snapshot_does_not_follow_later_changes(requested, keys_dir, reported):
    certificate = issue(requested)
    before = dict(certificate.snapshot)
    reported.lot.origin = "Somewhere else"
    reported.lot.save()
    sample_services.sample_store(actor=reported.current_custodian, sample=reported, location="Archive")

    certificate.refresh_from_db()
    assert certificate.snapshot == before
    assert certificate.snapshot["lot"]["origin"] == "Aktogay concentrator"


def test_an_issued_certificate_refuses_changes_to_what_it_states(requested, keys_dir):
    certificate = issue(requested)
    certificate.snapshot["lot"]["origin"] = "forged"
    with pytest.raises(PermissionError):
        certificate.save()
    certificate.refresh_from_db()
    assert certificate.snapshot["lot"]["origin"] == "Aktogay concentrator"


def test_the_headline_keeps_its_order_whatever_the_database_does_with_json(requested):
    from certificates.snapshot import headline_items

    # jsonb (PostgreSQL) orders keys its own way; the order shown is stated, not stored.
    shuffled = {"headline": dict(sorted(requested.snapshot["headline"].items(), reverse=True))}
    assert [symbol for symbol, *_ in headline_items(shuffled)] == ["Cu", "Au", "Ag", "TREO"]
