from datetime import timedelta

import pytest
from django.utils import timezone

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import services
from samples.models import Sample
from tests.conftest import received, sealed_split


def test_prepare_store_dispose(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)

    services.sample_prepare(actor=technician, sample=sample, location="Prep room")
    services.sample_store(actor=technician, sample=sample, location="Shelf B")
    services.sample_dispose(actor=manager, sample=sample, note="Retention period over")

    sample.refresh_from_db()
    assert sample.status == Sample.Status.DISPOSED
    assert list(sample.events.values_list("action", flat=True))[-3:] == ["prepare", "store", "dispose"]


def test_disposal_needs_a_manager_and_a_reason(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)
    with pytest.raises(NotPermitted):
        services.sample_dispose(actor=technician, sample=sample, note="x")
    with pytest.raises(ApplicationError) as exc:
        services.sample_dispose(actor=manager, sample=sample, note="")
    assert exc.value.field == "note"


def test_a_sealed_sample_is_not_prepared_before_reception(lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    with pytest.raises((Conflict, NotPermitted)):
        services.sample_prepare(actor=technician, sample=sample)
    sample.refresh_from_db()
    assert sample.status == Sample.Status.SEALED


def test_event_times_cannot_run_backwards_or_into_the_future(lot, sampler, technician):
    sample = received(lot, sampler, technician)
    with pytest.raises(ApplicationError) as exc:
        services.sample_prepare(actor=technician, sample=sample, occurred_at=timezone.now() + timedelta(hours=1))
    assert exc.value.field == "occurred_at"
    with pytest.raises(ApplicationError) as exc:
        services.sample_prepare(actor=technician, sample=sample, occurred_at=timezone.now() - timedelta(days=3))
    assert exc.value.field == "occurred_at"
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED


def test_every_transition_not_in_the_table_is_refused(lot, sampler, technician):
    # Fail closed: for each action, a status outside its allowed set is refused.
    for action, (allowed, _target) in Sample.LIFECYCLE.transitions.items():
        disallowed = set(Sample.Status.values) - set(allowed)
        for status in sorted(disallowed):
            sample = Sample(code="X", status=status)
            with pytest.raises(Conflict):
                Sample.LIFECYCLE.require_transition(sample, action)
