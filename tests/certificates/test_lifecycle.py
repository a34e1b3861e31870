"""Certificates move only along their lifecycle (certificates.models): a person's step the table
does not have is refused with the current state named; the worker leaves such a certificate alone.
The status sets the rest of the code uses are the lifecycle's."""

import pytest

from certificates import services
from certificates.models import Certificate
from lims.exceptions import Conflict
from tests.conftest import sealed_split

S = Certificate.Status


@pytest.fixture
def make(lot, sampler, manager):
    sample = sealed_split(lot, sampler)

    def make(status: str, **fields) -> Certificate:
        return Certificate.objects.create(
            sample=sample, snapshot={}, snapshot_sha256="0" * 64, requested_by=manager, status=status, **fields
        )

    return make


def refusal(call, **kwargs) -> str:
    with pytest.raises(Conflict) as refused:
        call(**kwargs)
    return refused.value.message


def test_only_a_failed_certificate_is_retried(make, manager):
    pending = make(S.PENDING)

    assert refusal(services.certificate_retry, actor=manager, certificate=pending) == (
        "This certificate is pending; it cannot be retried."
    )
    pending.refresh_from_db()
    assert (pending.status, pending.events.count()) == (S.PENDING, 0)


def test_only_an_issued_certificate_is_revoked_or_amended(make, manager):
    failed = make(S.FAILED, failure="Template error")

    assert refusal(services.certificate_revoke, actor=manager, certificate=failed, reason="Wrong lot.") == (
        "This certificate is failed; it cannot be revoked."
    )
    assert refusal(services.certificate_amend, actor=manager, certificate=failed, reason="Typo.") == (
        "This certificate is failed; it cannot be amended."
    )
    failed.refresh_from_db()
    assert (failed.status, failed.revocation_reason) == (S.FAILED, "")
    assert not Certificate.objects.filter(supersedes=failed).exists()


def test_the_worker_leaves_a_failed_certificate_to_a_person(make):
    failed = make(S.FAILED, failure="Template error")

    assert services.certificate_issue_unsafe(certificate_id=failed.pk, claim="task-1") is None

    failed.refresh_from_db()
    assert (failed.status, failed.claimed_by, failed.attempts) == (S.FAILED, "", 0)


def test_the_status_sets_are_the_lifecycles():
    lifecycle = Certificate.LIFECYCLE
    # In progress: what the worker claims, and fails when it cannot finish.
    assert set(Certificate.IN_PROGRESS) == lifecycle.sources("claim") == lifecycle.sources("fail")
    # Was issued: issued, and every state an issued certificate may come to.
    after_issue = {S.ISSUED}
    for action in lifecycle.actions(S.ISSUED):
        after_issue |= lifecycle.targets(action)
    assert set(Certificate.WAS_ISSUED) == after_issue
    # Live: any certificate but one that was replaced or withdrawn.
    assert set(Certificate.LIVE) == set(S.values) - (after_issue - {S.ISSUED})
