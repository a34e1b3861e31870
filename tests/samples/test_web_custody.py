"""The custody step forms: seal, hand over, receive with a seal check, prepare, store, dispose."""

from decimal import Decimal

from django.urls import reverse

from samples import services
from samples.models import Nonconformance, Sample
from tests.conftest import in_transit_to, next_seal, received, sealed_split


def step(client, name, sample, **data):
    return client.post(reverse(f"sample_{name}", kwargs={"code": sample.code}), data)


def reload(sample):
    sample.refresh_from_db()
    return sample


# Seal ---------------------------------------------------------------------------------------


def test_it_seals_a_collected_sample(client, lot, sampler):
    sample = services.sample_collect(
        actor=sampler, lot=lot, mass_g=Decimal(500), location="Bay 3", purpose=Sample.Purpose.LABORATORY
    )
    client.force_login(sampler)
    seal = next_seal()

    response = step(client, "seal", sample, seal_number=seal.lower(), location="Bay 3")

    assert response.status_code == 302
    assert response.url == reverse("sample_detail", kwargs={"code": sample.code})
    assert (reload(sample).status, sample.seal_number) == (Sample.Status.SEALED, seal)


def test_a_seal_in_the_wrong_format_is_shown_at_the_seal_number(client, lot, sampler):
    sample = services.sample_collect(
        actor=sampler, lot=lot, mass_g=Decimal(500), location="Bay 3", purpose=Sample.Purpose.LABORATORY
    )
    client.force_login(sampler)

    response = step(client, "seal", sample, seal_number="12345")

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["seal_number"]
    assert (reload(sample).status, sample.custody_length) == (Sample.Status.COLLECTED, 1)


# Hand over ----------------------------------------------------------------------------------


def test_it_hands_a_sample_to_a_person(client, lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)
    form = client.get(reverse("sample_hand_over", kwargs={"code": sample.code})).context["form"]
    # Receivers are named with their organisation; the giver is not among them.
    assert technician in form.fields["to_user"].queryset and sampler not in form.fields["to_user"].queryset
    assert technician.party_label() in form["to_user"].as_widget()

    response = step(
        client, "hand_over", sample, to_user=technician.pk, seal_number_seen=sample.seal_number, location="Dostyk"
    )

    assert response.status_code == 302
    assert (reload(sample).status, sample.current_custodian) == (Sample.Status.IN_TRANSIT, technician)
    assert sample.events.last().location == "Dostyk"


def test_it_hands_a_sample_to_an_outside_carrier(client, lot, sampler):
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)

    step(client, "hand_over", sample, carrier="KazExpress, waybill 42", seal_number_seen=sample.seal_number)

    assert reload(sample).current_custodian is None
    assert sample.events.last().to_party == "KazExpress, waybill 42"


def test_a_hand_over_needs_a_receiver(client, lot, sampler):
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)

    response = step(client, "hand_over", sample, seal_number_seen=sample.seal_number)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["to_user"]
    assert reload(sample).status == Sample.Status.SEALED


def test_a_seal_other_than_the_one_applied_is_shown_at_the_seal_seen(client, lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)

    response = step(client, "hand_over", sample, to_user=technician.pk, seal_number_seen=next_seal())

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["seal_number_seen"] and "is not the seal applied" in errors["seal_number_seen"][0]
    assert (reload(sample).status, sample.custody_length) == (Sample.Status.SEALED, 2)


def test_a_hand_over_of_a_sample_held_elsewhere_is_refused(client, lot, sampler, technician, exporter):
    sample = in_transit_to(lot, sampler, exporter, purpose="exporter")
    client.force_login(sampler)

    response = step(client, "hand_over", sample, to_user=technician.pk, seal_number_seen=sample.seal_number)

    # The service refuses; the page says why instead of failing.
    assert response.status_code == 403
    assert "custody of" in response.context["form"].non_field_errors()[0]
    assert reload(sample).current_custodian == exporter


# Receive ------------------------------------------------------------------------------------


def test_it_receives_a_sample_with_its_seal_intact(client, lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    client.force_login(technician)

    response = step(
        client, "receive", sample, seal_number_seen=sample.seal_number, seal_intact="on", location="Reception"
    )

    assert response.status_code == 302
    assert reload(sample).status == Sample.Status.RECEIVED
    assert not Nonconformance.objects.exists()
    assert f"Received: {sample.code}." in client.get(response.url).content.decode()


def test_a_broken_seal_puts_the_sample_on_hold_and_says_so(client, lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    client.force_login(technician)

    # An unticked checkbox is not sent at all.
    response = step(client, "receive", sample, seal_number_seen=sample.seal_number, note="Wire cut")

    assert response.status_code == 302
    assert reload(sample).status == Sample.Status.ON_HOLD
    assert Nonconformance.objects.get().kind == Nonconformance.Kind.SEAL_BROKEN
    html = client.get(response.url).content.decode()
    assert "is on hold and a nonconformance was raised" in html


def test_receiving_twice_is_refused_and_changes_nothing(client, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    client.force_login(technician)

    response = step(client, "receive", sample, seal_number_seen=sample.seal_number, seal_intact="on")

    assert response.status_code == 409
    assert "cannot be received" in response.context["form"].non_field_errors()[0]
    assert (reload(sample).status, sample.custody_length) == (Sample.Status.RECEIVED, 4)


def test_samplers_get_no_reception_form(client, lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    client.force_login(sampler)
    assert client.get(reverse("sample_receive", kwargs={"code": sample.code})).status_code == 403
    assert step(client, "receive", sample, seal_number_seen=sample.seal_number, seal_intact="on").status_code == 403
    assert reload(sample).status == Sample.Status.IN_TRANSIT


# In-house steps -----------------------------------------------------------------------------


def test_it_starts_preparation_and_stores(client, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    client.force_login(technician)

    assert step(client, "prepare", sample, location="Preparation room").status_code == 302
    assert reload(sample).status == Sample.Status.IN_PREPARATION
    assert step(client, "store", sample, location="Archive shelf B-12").status_code == 302
    assert reload(sample).status == Sample.Status.ARCHIVED


def test_disposal_needs_a_reason_shown_at_the_reason(client, lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)
    client.force_login(manager)

    response = step(client, "dispose", sample, note="  ")

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["note"]
    assert reload(sample).status == Sample.Status.ARCHIVED

    assert step(client, "dispose", sample, note="Retention period over").status_code == 302
    assert reload(sample).status == Sample.Status.DISPOSED


def test_only_the_lab_manager_disposes(client, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)
    client.force_login(technician)
    assert step(client, "dispose", sample, note="Retention period over").status_code == 403
    assert reload(sample).status == Sample.Status.ARCHIVED


def test_custody_forms_of_another_exporters_sample_are_not_found(client, lot, sampler, exporter2):
    sample = sealed_split(lot, sampler)
    client.force_login(exporter2)
    for name in ("seal", "hand_over", "receive", "prepare", "store", "dispose"):
        assert client.get(reverse(f"sample_{name}", kwargs={"code": sample.code})).status_code == 404
