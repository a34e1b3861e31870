"""Parallel workers issuing at once never give a duplicate number or leave a gap, and two workers
racing for one certificate issue it once. PostgreSQL only: its row locks are what production uses
(SQLite serialises whole transactions and proves nothing here)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from certificates import services
from certificates.models import Certificate
from tests.assays.conftest import report
from tests.conftest import received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def issue_in_thread(certificate_id: int, claim: str):
    try:
        issued = services.certificate_issue_unsafe(certificate_id=certificate_id, claim=claim)
        return issued.number if issued else None
    finally:
        connections.close_all()


def test_parallel_workers_number_without_gaps_or_duplicates(
    lot, sampler, technician, reviewer, manager, instrument, keys_dir, dispatched
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are tested on PostgreSQL, the production database")
    samples = [
        report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
        for _ in range(6)
    ]
    ids = [services.certificate_request(actor=manager, sample=s).pk for s in samples]

    # Two tasks race for every certificate (a redelivery and the sweep, say), four workers at once.
    jobs = [(pk, claim) for pk in ids for claim in ("task-a", "task-b")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda job: issue_in_thread(*job), jobs))

    issued = [number for number in outcomes if number]
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert len(issued) == len(ids)  # each certificate issued by exactly one of its two tasks
    assert sorted(issued) == numbers
    assert [int(n[-6:]) for n in numbers] == list(range(1, len(ids) + 1))
    assert set(Certificate.objects.values_list("status", flat=True)) == {"issued"}
