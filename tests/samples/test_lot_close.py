"""Closing a lot: the laboratory ends its sampling once its composition is settled (a sample of it
reported, none still in work); a closed lot takes no more samples, and its other samples carry on."""

from decimal import Decimal

import pytest

from lims.exceptions import Conflict, NotPermitted
from lims.models import AuditEvent
from samples import services
from samples.models import Lot
from tests.conftest import received, register_splits


def reported(lot, sampler, technician, manager):
    """A laboratory split of `lot` through analysis to reported (as assays does when its panel is
    approved), with the composite and an exporter's split beside it."""
    _, (lab_split, exporter_split) = register_splits(lot, sampler, purposes=("laboratory", "exporter"))
    services.sample_hand_over(
        actor=sampler, sample=lab_split, to_user=technician, seal_number_seen=lab_split.seal_number
    )
    services.sample_receive(
        actor=technician, sample=lab_split, seal_number_seen=lab_split.seal_number, seal_intact=True
    )
    services.sample_start_analysis(actor=technician, sample=lab_split)
    services.sample_report(actor=manager, sample=lab_split)
    return lab_split, exporter_split


def test_it_closes_a_lot_whose_composition_is_reported(lot, sampler, technician, manager):
    _, exporter_split = reported(lot, sampler, technician, manager)

    services.lot_close(actor=manager, lot=lot, note="Certificate issued; vessel sailed.")

    lot.refresh_from_db()
    assert lot.status == Lot.Status.CLOSED
    event = AuditEvent.objects.get(action="lot.close")
    assert (event.actor, event.object_id, event.data) == (
        manager,
        str(lot.pk),
        {"note": "Certificate issued; vessel sailed."},
    )
    # The exporter's split (sealed, in the sampler's hands) did not hold the lot open, and goes on.
    services.sample_hand_over(
        actor=sampler, sample=exporter_split, carrier="KazExpress", seal_number_seen=exporter_split.seal_number
    )


def test_a_closed_lot_takes_no_more_samples(lot, sampler, technician, manager):
    reported(lot, sampler, technician, manager)
    services.lot_close(actor=manager, lot=lot)

    with pytest.raises(Conflict, match=rf"^Lot {lot.lot_number} is closed; it cannot be sampled\.$"):
        services.sample_collect(actor=sampler, lot=lot, mass_g=Decimal("1000"), location="Loading bay 3")
    assert lot.samples.count() == 3


def test_a_lot_stays_open_while_a_sample_is_in_work(lot, sampler, technician, manager):
    reported(lot, sampler, technician, manager)
    # A second laboratory split, received but not reported yet.
    waiting = received(lot, sampler, technician)

    with pytest.raises(Conflict) as refused:
        services.lot_close(actor=manager, lot=lot)

    assert refused.value.message == (
        f"Lot {lot.lot_number} cannot be closed while samples of it are in work: {waiting.code} (received)."
    )
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING


def test_a_lot_stays_open_until_a_sample_of_it_is_reported(lot, sampler, technician, manager):
    # Received and stored without analysis: nothing establishes the lot's composition.
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)

    with pytest.raises(Conflict, match=r"No sample of lot LOT-\d+ has been reported yet"):
        services.lot_close(actor=manager, lot=lot)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING


def test_a_lot_without_samples_is_not_closed(lot, manager):
    with pytest.raises(Conflict, match=rf"^Lot {lot.lot_number} is registered; it cannot be closed\.$"):
        services.lot_close(actor=manager, lot=lot)


def test_a_lot_is_closed_once(lot, sampler, technician, manager):
    reported(lot, sampler, technician, manager)
    services.lot_close(actor=manager, lot=lot)

    with pytest.raises(Conflict, match=rf"^Lot {lot.lot_number} has been closed already\.$"):
        services.lot_close(actor=manager, lot=lot)
    assert AuditEvent.objects.filter(action="lot.close").count() == 1


def test_only_the_lab_manager_closes_a_lot(lot, sampler, technician, manager, exporter):
    reported(lot, sampler, technician, manager)

    for user in (sampler, technician, exporter):
        with pytest.raises(NotPermitted):
            services.lot_close(actor=user, lot=lot)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING
