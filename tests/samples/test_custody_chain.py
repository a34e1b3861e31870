"""The chain must expose any change made behind the services' back, and the database must
refuse such changes where it can (PostgreSQL)."""

import itertools

import pytest
from django.db import DatabaseError, connection, transaction

from samples import chain
from samples.models import CustodyEvent, Sample
from tests.conftest import received

TRIGGER = "samples_custodyevent_append_only"


def raw_sql_behind_the_back(sql: str, params: list) -> None:
    """Run SQL as someone with database access would. On PostgreSQL the append-only trigger would
    refuse it, so we first play the database owner who disables it: the chain is the second line
    of defence and must catch what gets past the first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are checked at commit; ALTER TABLE wants them settled first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE samples_custodyevent DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE samples_custodyevent ENABLE TRIGGER {TRIGGER}")


@pytest.fixture
def sample(lot, sampler, technician):
    return received(lot, sampler, technician)


def test_an_untouched_chain_verifies(sample):
    report = chain.verify(sample)
    assert report.intact and report.length == 4
    events = list(sample.events.order_by("sequence"))
    # Each event links to the one before; the first to the genesis value.
    assert events[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert sample.custody_head == events[-1].hash


def test_it_detects_an_event_edited_with_raw_sql(sample):
    raw_sql_behind_the_back(
        "UPDATE samples_custodyevent SET seal_intact = %s WHERE sample_id = %s AND sequence = %s", [False, sample.pk, 4]
    )
    report = chain.verify(sample)
    assert not report.intact
    assert (report.broken_at, report.reason) == (4, "content does not match its hash")


def test_it_detects_an_edit_whose_hash_was_recomputed(sample):
    # A careful forger recomputes the edited event's own hash; the next link still gives it away.
    event = sample.events.get(sequence=2)
    event.note = "forged"
    forged = chain.event_hash(event, sample_code=sample.code, actor_username=event.actor.username)
    raw_sql_behind_the_back(
        "UPDATE samples_custodyevent SET note = %s, hash = %s WHERE id = %s", ["forged", forged, event.pk]
    )
    report = chain.verify(sample)
    assert (report.intact, report.broken_at, report.reason) == (False, 3, "previous hash does not match")


def test_it_detects_a_deleted_event_in_the_middle(sample):
    raw_sql_behind_the_back("DELETE FROM samples_custodyevent WHERE sample_id = %s AND sequence = 2", [sample.pk])
    report = chain.verify(sample)
    assert (report.intact, report.broken_at) == (False, 2)


def test_it_detects_events_removed_from_the_end(sample):
    raw_sql_behind_the_back("DELETE FROM samples_custodyevent WHERE sample_id = %s AND sequence = 4", [sample.pk])
    report = chain.verify(sample)
    assert not report.intact
    assert "sample records 4 events" in report.reason


def test_canonical_content_is_sorted_compact_json(sample):
    event = sample.events.get(sequence=1)
    text = chain.canonical(event, sample_code=sample.code, actor_username=event.actor.username).decode()
    assert text.startswith('{"action":"collect","actor":"sam",')
    assert ", " not in text and ": " not in text
    assert '"occurred_at":"' in text and '+00:00"' in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE samples_custodyevent SET note = 'x' WHERE sample_id = %s",
        "DELETE FROM samples_custodyevent WHERE sample_id = %s",
    ],
)
def test_postgresql_refuses_updates_and_deletes(sample, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [sample.pk])
    assert chain.verify(sample).intact


def test_the_orm_refuses_updates_and_deletes(sample):
    event = sample.events.first()
    event.note = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        CustodyEvent.objects.filter(sample=sample).update(note="x")
    with pytest.raises(PermissionError):
        CustodyEvent.objects.filter(sample=sample).delete()
    with pytest.raises(PermissionError):
        CustodyEvent.objects.bulk_update([event], ["note"])
    assert chain.verify(Sample.objects.get(pk=sample.pk)).intact


def test_a_sample_with_events_cannot_be_deleted(sample):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        sample.delete()
