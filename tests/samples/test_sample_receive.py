import pytest

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import services
from samples.models import Nonconformance, Sample
from tests.conftest import in_transit_to, make_user, sealed_split


def test_it_receives_a_sample_whose_seal_matches(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)

    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)

    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED
    assert sample.current_custodian == technician
    event = sample.events.last()
    assert (event.action, event.seal_number_seen, event.seal_intact) == ("receive", sample.seal_number, True)
    assert not Nonconformance.objects.exists()


def test_seal_numbers_are_compared_without_regard_to_case_or_spaces(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(
        actor=technician, sample=sample, seal_number_seen=f" {sample.seal_number.lower()} ", seal_intact=True
    )
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED


def test_a_broken_seal_puts_the_sample_on_hold(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)

    services.sample_receive(
        actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=False, note="Wire cut"
    )

    sample.refresh_from_db()
    assert sample.status == Sample.Status.ON_HOLD
    assert sample.events.last().action == "hold"
    nc = Nonconformance.objects.get(sample=sample)
    assert (nc.kind, nc.status) == (Nonconformance.Kind.SEAL_BROKEN, Nonconformance.Status.OPEN)
    assert "Wire cut" in nc.description


def test_another_seal_number_puts_the_sample_on_hold(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)

    services.sample_receive(actor=technician, sample=sample, seal_number_seen="KZS-77777777", seal_intact=True)

    sample.refresh_from_db()
    assert sample.status == Sample.Status.ON_HOLD
    nc = Nonconformance.objects.get(sample=sample)
    assert nc.kind == Nonconformance.Kind.SEAL_MISMATCH
    assert "KZS-77777777" in nc.description and sample.seal_number in nc.description


def test_a_broken_and_replaced_seal_raises_two_nonconformances(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen="KZS-77777777", seal_intact=False)
    assert set(Nonconformance.objects.values_list("kind", flat=True)) == {"seal_broken", "seal_mismatch"}


def test_a_sample_cannot_be_received_twice(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)

    with pytest.raises(Conflict) as exc:
        services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)

    assert "received" in exc.value.message
    sample.refresh_from_db()
    assert sample.custody_length == 4


def test_a_seal_number_in_the_wrong_format_is_refused(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    with pytest.raises(ApplicationError) as exc:
        services.sample_receive(actor=technician, sample=sample, seal_number_seen="seal 5", seal_intact=True)
    assert exc.value.field == "seal_number_seen"
    # An intact seal must have a number read off it.
    with pytest.raises(ApplicationError) as exc:
        services.sample_receive(actor=technician, sample=sample, seal_number_seen="", seal_intact=True)
    assert exc.value.field == "seal_number_seen"
    sample.refresh_from_db()
    assert sample.status == Sample.Status.IN_TRANSIT


def test_only_the_addressed_organisation_receives(lot, sampler, technician, exporter):
    other_lab = type(technician.organisation).objects.create(name="Another Lab", kind="laboratory")
    stranger = make_user("olga", "technician", other_lab)
    sample = in_transit_to(lot, sampler, technician)
    with pytest.raises(NotPermitted):
        services.sample_receive(actor=stranger, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)


def test_samplers_and_exporters_do_not_receive(lot, sampler, technician, exporter):
    sample = in_transit_to(lot, sampler, technician)
    for user in (sampler, exporter):
        with pytest.raises(NotPermitted):
            services.sample_receive(actor=user, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)


def test_a_sample_with_a_carrier_is_received_by_the_lab(lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    services.sample_hand_over(actor=sampler, sample=sample, carrier="Courier", seal_number_seen=sample.seal_number)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)
    sample.refresh_from_db()
    assert sample.events.last().from_party == "Courier"
    assert sample.current_custodian == technician


def test_the_reception_names_who_handed_the_sample_over(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)

    event = sample.events.last()
    # From Sam (who gave it) to Tess (who took it in), not from Tess to Tess.
    assert (event.from_party, event.to_party) == (sampler.party_label(), technician.party_label())
