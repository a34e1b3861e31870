import pytest

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import services
from samples.models import Nonconformance, Sample
from tests.conftest import in_transit_to


@pytest.fixture
def held(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=False)
    return sample


def test_no_lab_work_starts_while_on_hold(held, technician):
    with pytest.raises(Conflict):
        services.sample_prepare(actor=technician, sample=held)


def test_the_manager_accepts_with_a_reason(held, manager, technician):
    nc = held.nonconformances.get()

    services.nonconformance_resolve(actor=manager, nonconformance=nc, accept=True, reason="Bag intact, seal wire only")

    nc.refresh_from_db()
    held.refresh_from_db()
    assert (nc.status, nc.resolved_by, nc.resolution) == ("accepted", manager, "Bag intact, seal wire only")
    assert held.status == Sample.Status.RECEIVED
    assert held.events.last().action == "release"
    # Now the lab may start.
    services.sample_prepare(actor=technician, sample=held)


def test_the_manager_rejects(held, manager, technician):
    nc = held.nonconformances.get()
    services.nonconformance_resolve(actor=manager, nonconformance=nc, accept=False, reason="Contents spilled")
    held.refresh_from_db()
    assert held.status == Sample.Status.REJECTED
    with pytest.raises(Conflict):
        services.sample_prepare(actor=technician, sample=held)


def test_a_sample_leaves_hold_only_when_every_problem_is_accepted(lot, sampler, technician, manager):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen="KZS-55555555", seal_intact=False)
    first, second = sample.nonconformances.order_by("kind")

    services.nonconformance_resolve(actor=manager, nonconformance=first, accept=True, reason="ok")
    sample.refresh_from_db()
    assert sample.status == Sample.Status.ON_HOLD

    services.nonconformance_resolve(actor=manager, nonconformance=second, accept=True, reason="ok too")
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED


def test_rejecting_one_problem_closes_the_others(lot, sampler, technician, manager):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen="KZS-55555555", seal_intact=False)
    first = sample.nonconformances.first()
    services.nonconformance_resolve(actor=manager, nonconformance=first, accept=False, reason="Tampered")
    assert not sample.nonconformances.filter(status="open").exists()


def test_only_managers_resolve_and_a_reason_is_required(held, technician, reviewer, manager):
    nc = held.nonconformances.get()
    for user in (technician, reviewer):
        with pytest.raises(NotPermitted):
            services.nonconformance_resolve(actor=user, nonconformance=nc, accept=True, reason="fine")
    with pytest.raises(ApplicationError) as exc:
        services.nonconformance_resolve(actor=manager, nonconformance=nc, accept=True, reason="  ")
    assert exc.value.field == "reason"
    nc.refresh_from_db()
    assert nc.status == Nonconformance.Status.OPEN


def test_it_cannot_be_resolved_twice(held, manager):
    nc = held.nonconformances.get()
    services.nonconformance_resolve(actor=manager, nonconformance=nc, accept=True, reason="ok")
    with pytest.raises(Conflict):
        services.nonconformance_resolve(actor=manager, nonconformance=nc, accept=False, reason="changed my mind")
