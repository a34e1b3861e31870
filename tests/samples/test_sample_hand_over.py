import pytest

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import services
from samples.models import Sample
from tests.conftest import in_transit_to, received, sealed_split


def test_it_hands_a_sealed_sample_to_a_person(lot, sampler, technician):
    sample = sealed_split(lot, sampler)

    services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)

    sample.refresh_from_db()
    assert sample.status == Sample.Status.IN_TRANSIT
    assert sample.current_custodian == technician
    event = sample.events.last()
    assert (event.action, event.from_party, event.to_party) == (
        "hand_over",
        sampler.party_label(),
        technician.party_label(),
    )
    assert event.seal_number_seen == sample.seal_number and event.seal_intact is True


def test_it_hands_over_to_an_outside_carrier(lot, sampler):
    sample = sealed_split(lot, sampler)
    services.sample_hand_over(
        actor=sampler, sample=sample, carrier="KazExpress, waybill 42", seal_number_seen=sample.seal_number
    )
    sample.refresh_from_db()
    # Nobody with an account holds it now; the record names the carrier.
    assert sample.current_custodian is None
    assert sample.events.last().to_party == "KazExpress, waybill 42"


def test_it_needs_exactly_one_receiver(lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    for kwargs in ({}, {"to_user": technician, "carrier": "Courier"}):
        with pytest.raises(ApplicationError) as exc:
            services.sample_hand_over(actor=sampler, sample=sample, seal_number_seen=sample.seal_number, **kwargs)
        assert exc.value.field == "to_user"
    with pytest.raises(ApplicationError):
        services.sample_hand_over(actor=sampler, sample=sample, to_user=sampler, seal_number_seen=sample.seal_number)


def test_the_giver_must_see_the_applied_seal(lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    with pytest.raises(ApplicationError) as exc:
        services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen="KZS-99999999")
    assert exc.value.field == "seal_number_seen"
    with pytest.raises(ApplicationError) as exc:
        services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen="no seal")
    assert exc.value.field == "seal_number_seen"
    sample.refresh_from_db()
    assert sample.status == Sample.Status.SEALED and sample.custody_length == 2


def test_an_unsealed_sample_cannot_leave(lot, sampler, technician):
    composite = services.sample_collect(actor=sampler, lot=lot, mass_g=1000, location="Bay")
    with pytest.raises(Conflict):
        services.sample_hand_over(actor=sampler, sample=composite, to_user=technician, seal_number_seen="KZS-00000001")


def test_a_disposed_sample_cannot_be_handed_over(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)
    services.sample_dispose(actor=manager, sample=sample, note="Retention period over")
    with pytest.raises(Conflict) as exc:
        services.sample_hand_over(actor=manager, sample=sample, to_user=sampler, seal_number_seen=sample.seal_number)
    assert "disposed" in exc.value.message


def test_only_the_holding_organisation_hands_over(lot, sampler, sampler2, technician, exporter, exporter_org):
    sample = in_transit_to(lot, sampler, exporter, purpose="exporter")
    # The exporter holds it now: the lab's sampler can no longer hand it on.
    with pytest.raises(NotPermitted):
        services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)
    other = sealed_split(lot, sampler)
    # A colleague of the same laboratory may act for the holder.
    services.sample_hand_over(actor=sampler2, sample=other, to_user=technician, seal_number_seen=other.seal_number)


def test_exporters_cannot_hand_over_even_what_they_hold(lot, sampler, exporter, technician):
    sample = in_transit_to(lot, sampler, exporter, purpose="exporter")
    with pytest.raises(NotPermitted):
        services.sample_hand_over(
            actor=exporter, sample=sample, to_user=technician, seal_number_seen=sample.seal_number
        )


def test_exporter2_cannot_act_on_another_exporters_sample(lot, sampler, exporter2):
    sample = sealed_split(lot, sampler)
    with pytest.raises(NotPermitted):
        services.sample_hand_over(actor=exporter2, sample=sample, to_user=sampler, seal_number_seen=sample.seal_number)


def test_the_giver_cannot_hand_a_sample_on_its_way_to_someone_else(lot, sampler, sampler2, technician):
    sample = in_transit_to(lot, sampler, technician)

    # Sam gave it to Tess; until she has it, nobody but Tess may pass it on, not even Sam again.
    with pytest.raises(NotPermitted, match="only they can hand it on"):
        services.sample_hand_over(actor=sampler, sample=sample, to_user=sampler2, seal_number_seen=sample.seal_number)
    sample.refresh_from_db()
    assert sample.current_custodian == technician and sample.events.last().action == "hand_over"
    assert sample.custody_length == 3  # collect, seal, hand over: nothing added


def test_the_addressee_may_hand_it_on(lot, sampler, sampler2, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_hand_over(actor=technician, sample=sample, to_user=sampler2, seal_number_seen=sample.seal_number)
    sample.refresh_from_db()
    assert sample.current_custodian == sampler2
