"""Fault: two reviewers deciding on one result, and two managers requesting one sample's
certificate, at the same moment, each through the API on a connection of its own. One wins; the
other gets a 409 whose message says why (the result's state, the certificate already requested),
and exactly one decision or certificate is recorded. The guard is a row lock: the result's in
assays.services.results._lock_result, the sample's in certificates.services.certificate_request.
Without it both read the row before either wrote it, and both won. PostgreSQL only: its row locks
and READ COMMITTED are what production runs on."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from assays.models import Result, ResultEvent
from certificates.models import Certificate
from lims.models import AuditAction, AuditEvent
from lims.roles import Role
from tests.assays.conftest import manual, report
from tests.conftest import make_user, received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TRIES = 10


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are tested on PostgreSQL, the production database")


def at_once(calls: list[tuple]) -> list:
    """POST each (user, url, body) in a thread of its own (so a connection of its own), released
    together by a barrier; the responses in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)

    def post(index, user, url, body):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            responses[index] = client.post(url, body, format="json")
        except BaseException as exc:  # a 500 is raised by the test client: reported below
            responses[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(index, *call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def winner_and_loser(responses, success: int) -> tuple[int, dict]:
    """The index of the one `success` response and the JSON of the other, a 409; fails on anything
    else (two winners, a 500)."""
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert Counter(statuses) == Counter([success, 409]), statuses
    winner = statuses.index(success)
    return winner, responses[1 - winner].json()


APPROVE = ("approve", {}, Result.Status.APPROVED)
REJECT = ("reject", {"reason": "Moisture tin not dried to constant mass."}, Result.Status.REJECTED)
# What the loser reads, by (the winner's decision, the loser's).
MESSAGES = {
    ("approve", "approve"): "This result has been approved already.",
    ("approve", "reject"): "This result is approved; it cannot be rejected.",
    ("reject", "approve"): "This result is rejected (retest); it cannot be approved.",
}


@pytest.mark.parametrize(
    ("first", "second"), [(APPROVE, APPROVE), (APPROVE, REJECT)], ids=["approve-approve", "approve-reject"]
)
def test_two_reviewers_deciding_on_one_result_one_wins_the_other_gets_409(
    lot, sampler, technician, reviewer, lab, first, second
):
    reviewer2 = make_user("rhea", Role.REVIEWER, lab)
    for _ in range(TRIES):
        sample = received(lot, sampler, technician)
        (result,) = manual(technician, "moisture", sample, H2O="8.0")
        decisions = [(reviewer, *first), (reviewer2, *second)]

        responses = at_once(
            [(who, f"/api/v1/results/{result.pk}/{verb}/", body) for who, verb, body, _status in decisions]
        )

        winner, conflict = winner_and_loser(responses, 200)
        won_by, won_verb, _body, won_status = decisions[winner]
        lost_verb = decisions[1 - winner][1]
        # The loser is told the state the winner left, in a sentence.
        assert conflict["message"] == MESSAGES[won_verb, lost_verb], conflict
        assert conflict["extra"] == {"status": won_status}
        result.refresh_from_db()
        assert (result.status, result.decided_by) == (won_status, won_by)
        # One decision recorded, the winner's.
        decided = ResultEvent.objects.filter(result=result).exclude(action=ResultEvent.Action.ENTER)
        assert list(decided.values_list("action", "actor")) == [(won_verb, won_by.pk)]


def test_two_managers_requesting_one_certificate_one_wins_the_other_gets_409(
    lot, sampler, technician, reviewer, manager, lab, instrument, dispatched
):
    manager2 = make_user("mia", Role.MANAGER, lab, is_staff=True)
    for _ in range(TRIES):
        sample = report(
            received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument
        )
        body = {"sample": sample.code}

        responses = at_once([(manager, "/api/v1/certificates/", body), (manager2, "/api/v1/certificates/", body)])

        winner, conflict = winner_and_loser(responses, 201)
        certificate = Certificate.objects.get(sample=sample)  # exactly one
        assert certificate.requested_by == [manager, manager2][winner]
        assert conflict["message"] == (
            f"{sample.code} already has certificate #{certificate.pk} (pending); "
            "amend it instead of requesting another."
        )
        requests = AuditEvent.objects.filter(action=AuditAction.CERTIFICATE_REQUEST, data__sample=sample.code)
        assert requests.count() == 1
    assert len(dispatched) == TRIES  # one issue task a certificate
