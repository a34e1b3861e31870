"""Retained portions: stored with a location and a retention date, every move a link of the custody
chain, disposed of only by a lab manager and only after the retention date."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import chain, portions
from samples.models import RetainedPortion, Sample
from tests.conftest import received


@pytest.fixture
def sample(lot, sampler, technician):
    return received(lot, sampler, technician)


def _retain(technician, sample, *, days=30, kind=RetainedPortion.Kind.PULP, location="Pulp store, shelf 4, box 12"):
    return portions.portion_retain(
        actor=technician, sample=sample, kind=kind, location=location, mass_g=Decimal("150"),
        retain_until=timezone.localdate() + timedelta(days=days),
    )  # fmt: skip


def test_a_retained_portion_is_a_link_of_the_custody_chain(technician, sample):
    before = sample.custody_length
    portion = _retain(technician, sample)

    sample.refresh_from_db()
    last = sample.events.order_by("-sequence").first()
    # One more link, hash-chained, the sample's state unchanged.
    assert sample.custody_length == before + 1
    assert last.action == "portion_retain"
    assert last.status_before == last.status_after == Sample.Status.RECEIVED
    assert last.location == "Pulp store, shelf 4, box 12"
    assert f"#{portion.pk}" in last.note and portion.retain_until.isoformat() in last.note
    assert chain.verify(sample).intact


def test_a_move_says_from_where_to_where_in_the_chain(technician, sample):
    portion = _retain(technician, sample, kind=RetainedPortion.Kind.UMPIRE)

    portions.portion_move(actor=technician, portion=portion, location="Referee store, cabinet 2")

    portion.refresh_from_db()
    sample.refresh_from_db()
    last = sample.events.order_by("-sequence").first()
    assert portion.location == "Referee store, cabinet 2"
    assert last.action == "portion_move"
    assert "from Pulp store, shelf 4, box 12 to Referee store, cabinet 2" in last.note
    assert chain.verify(sample).intact


def test_a_portion_needs_a_location_and_a_future_retention_date(technician, sample):
    with pytest.raises(ApplicationError) as nowhere:
        _retain(technician, sample, location="  ")
    assert nowhere.value.field == "location"
    with pytest.raises(ApplicationError) as past:
        _retain(technician, sample, days=-1)
    assert past.value.field == "retain_until"
    assert not RetainedPortion.objects.exists()


def test_disposal_is_refused_before_the_retention_date(manager, technician, sample):
    portion = _retain(technician, sample, days=30)

    with pytest.raises(Conflict, match=portion.retain_until.isoformat()):
        portions.portion_dispose(actor=manager, portion=portion, note="Retention over")
    # On the retention date itself it is still retained.
    with time_machine.travel(timezone.now() + timedelta(days=30)), pytest.raises(Conflict):
        portions.portion_dispose(actor=manager, portion=portion, note="Retention over")
    portion.refresh_from_db()
    assert portion.status == RetainedPortion.Status.STORED


def test_a_manager_disposes_after_the_retention_date(manager, technician, sample):
    portion = _retain(technician, sample, days=30)

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        portions.portion_dispose(actor=manager, portion=portion, note="Retention period over, no dispute")

    portion.refresh_from_db()
    sample.refresh_from_db()
    assert portion.status == RetainedPortion.Status.DISPOSED
    assert portion.disposed_by == manager
    last = sample.events.order_by("-sequence").first()
    assert last.action == "portion_dispose" and "Retention period over" in last.note
    assert chain.verify(sample).intact
    # Disposed once: a second disposal is refused, naming the state.
    with time_machine.travel(timezone.now() + timedelta(days=32)), pytest.raises(Conflict, match="disposed"):
        portions.portion_dispose(actor=manager, portion=portion, note="again")


@pytest.mark.parametrize("who", ["technician", "reviewer", "sampler", "exporter"])
def test_only_a_manager_disposes(who, request, technician, sample):
    portion = _retain(technician, sample, days=1)
    actor = request.getfixturevalue(who)

    with time_machine.travel(timezone.now() + timedelta(days=5)), pytest.raises(NotPermitted):
        portions.portion_dispose(actor=actor, portion=portion, note="Retention over")
    portion.refresh_from_db()
    assert portion.status == RetainedPortion.Status.STORED


def test_a_disposal_needs_a_reason(manager, technician, sample):
    portion = _retain(technician, sample, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=5)), pytest.raises(ApplicationError) as exc:
        portions.portion_dispose(actor=manager, portion=portion, note=" ")
    assert exc.value.field == "note"


def test_exporters_see_no_portions(exporter, technician, sample):
    _retain(technician, sample)
    assert portions.sample_portions(exporter, sample).count() == 0
    assert portions.sample_portions(technician, sample).count() == 1
