"""Custody actions through the API: each one moves the sample and appends one event; a refused
one answers 4xx with a message and changes nothing."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from lims.models import Organisation
from lims.roles import Role
from samples import services
from samples.models import Nonconformance, Sample
from tests.conftest import in_transit_to, make_user, next_seal, received, sealed_split


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def act(user, sample, action, **data):
    return client_for(user).post(f"/api/v1/samples/{sample.code}/{action}/", data, format="json")


def actions_of(sample) -> list[str]:
    return list(sample.events.order_by("sequence").values_list("action", flat=True))


def collected(lot, sampler) -> Sample:
    return services.sample_collect(actor=sampler, lot=lot, mass_g=Decimal("2000.0"), location="Loading bay 3")


def assert_unchanged(sample, response, status_code):
    """The answer is an error the user can read, and the sample and its chain are as they were."""
    before = (sample.status, sample.current_custodian_id, sample.custody_length)
    assert response.status_code == status_code, response.json()
    assert response.json()["message"]
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian_id, sample.custody_length) == before


@pytest.fixture
def other_lab_technician(db):
    other_lab = Organisation.objects.create(name="Almaty Assay Centre", kind=Organisation.Kind.LABORATORY)
    return make_user("olga", Role.TECHNICIAN, other_lab)


# Each action ------------------------------------------------------------------------------------


def test_it_splits_a_composite(lot, sampler):
    composite = collected(lot, sampler)
    splits = [
        {"purpose": "laboratory", "mass_g": "250.0", "seal_number": next_seal()},
        {"purpose": "umpire", "mass_g": "250.0", "seal_number": next_seal()},
    ]
    response = act(sampler, composite, "split", splits=splits, location="Loading bay 3")

    assert response.status_code == 201, response.json()
    assert response.json()["composite"]["status"] == "split"
    assert [s["code"] for s in response.json()["splits"]] == [f"{composite.code}-L1", f"{composite.code}-U1"]
    composite.refresh_from_db()
    assert composite.status == "split"
    assert actions_of(composite) == ["collect", "split"]
    assert [actions_of(child) for child in composite.splits.order_by("code")] == [["collect", "seal"]] * 2


def test_it_seals_a_collected_sample(lot, sampler):
    sample = collected(lot, sampler)
    seal = next_seal()
    response = act(sampler, sample, "seal", seal_number=seal)

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["seal_number"]) == ("sealed", seal)
    sample.refresh_from_db()
    assert (sample.status, sample.seal_number) == ("sealed", seal)
    assert actions_of(sample) == ["collect", "seal"]


def test_it_hands_a_sample_over_to_a_person(lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    response = act(sampler, sample, "hand-over", to_user=technician.pk, seal_number_seen=sample.seal_number)

    assert response.status_code == 200, response.json()
    assert response.json()["current_custodian"]["username"] == "tess"
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian) == ("in_transit", technician)
    event = sample.events.last()
    assert (event.action, event.to_party) == ("hand_over", "Tess Tech (Kazakh Independent Laboratory)")


def test_it_hands_a_sample_over_to_a_carrier(lot, sampler):
    sample = sealed_split(lot, sampler)
    response = act(
        sampler, sample, "hand-over", carrier="KazExpress, waybill 778812", seal_number_seen=sample.seal_number
    )

    assert response.status_code == 200, response.json()
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian) == ("in_transit", None)
    assert sample.events.last().to_party == "KazExpress, waybill 778812"


def test_it_receives_a_sample_with_its_seal_intact(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    response = act(technician, sample, "receive", seal_number_seen=sample.seal_number, seal_intact=True)

    assert response.status_code == 200, response.json()
    assert response.json()["actions"] == ["hand_over", "prepare", "store"]
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian) == ("received", technician)
    assert actions_of(sample)[-1] == "receive"


def test_it_puts_a_sample_with_a_broken_seal_on_hold(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    response = act(
        technician, sample, "receive", seal_number_seen=sample.seal_number, seal_intact=False, note="Wire cut"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "on_hold"
    assert actions_of(sample)[-1] == "hold"
    assert Nonconformance.objects.get(sample=sample).kind == "seal_broken"


def test_it_starts_preparation(lot, sampler, technician):
    sample = received(lot, sampler, technician)
    response = act(technician, sample, "prepare", location="Preparation room")

    assert response.status_code == 200, response.json()
    sample.refresh_from_db()
    assert sample.status == "in_preparation"
    assert (sample.events.last().action, sample.events.last().location) == ("prepare", "Preparation room")


def test_it_stores_and_disposes(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    assert act(technician, sample, "store", location="Archive shelf B-12").status_code == 200
    sample.refresh_from_db()
    assert sample.status == "archived"

    response = act(manager, sample, "dispose", note="Retention period over")
    assert response.status_code == 200, response.json()
    sample.refresh_from_db()
    assert sample.status == "disposed"
    assert actions_of(sample)[-2:] == ["store", "dispose"]
    assert sample.events.last().note == "Retention period over"


def test_it_records_the_time_the_step_happened(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    happened = sample.events.last().occurred_at.isoformat()
    act(technician, sample, "receive", seal_number_seen=sample.seal_number, seal_intact=True, occurred_at=happened)
    assert sample.events.last().occurred_at.isoformat() == happened


# Refusals ---------------------------------------------------------------------------------------


def test_it_refuses_to_receive_a_sample_twice(lot, sampler, technician):
    sample = received(lot, sampler, technician)
    response = act(technician, sample, "receive", seal_number_seen=sample.seal_number, seal_intact=True)
    assert_unchanged(sample, response, 409)
    assert "cannot be received" in response.json()["message"]


def test_it_refuses_to_hand_over_a_disposed_sample(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)
    services.sample_dispose(actor=manager, sample=sample, note="Retention period over")
    sample.refresh_from_db()

    response = act(manager, sample, "hand-over", to_user=sampler.pk, seal_number_seen=sample.seal_number)
    assert_unchanged(sample, response, 409)


def test_it_names_the_field_of_a_seal_number_in_the_wrong_format(lot, sampler):
    sample = collected(lot, sampler)
    response = act(sampler, sample, "seal", seal_number="12345")
    assert_unchanged(sample, response, 400)
    assert response.json()["extra"] == {"field": "seal_number"}


def test_it_names_the_field_of_a_seal_seen_that_is_not_the_one_applied(lot, sampler, technician):
    sample = sealed_split(lot, sampler)
    response = act(sampler, sample, "hand-over", to_user=technician.pk, seal_number_seen=next_seal())
    assert_unchanged(sample, response, 400)
    assert response.json()["extra"] == {"field": "seal_number_seen"}


def test_it_refuses_a_step_on_a_sample_another_laboratory_holds(lot, sampler, technician, other_lab_technician):
    sample = received(lot, sampler, technician)
    response = act(other_lab_technician, sample, "prepare")
    assert_unchanged(sample, response, 403)
    assert "not of your organisation" in response.json()["message"]


def test_it_refuses_to_receive_a_sample_handed_to_another_laboratory(lot, sampler, technician, other_lab_technician):
    sample = in_transit_to(lot, sampler, technician)
    response = act(other_lab_technician, sample, "receive", seal_number_seen=sample.seal_number, seal_intact=True)
    assert_unchanged(sample, response, 403)


def test_it_hides_another_exporters_sample_from_every_action(lot, sampler, exporter2):
    sample = sealed_split(lot, sampler)
    for action in ("split", "seal", "hand-over", "receive", "prepare", "store", "dispose"):
        response = act(exporter2, sample, action, seal_number_seen=sample.seal_number, seal_intact=True)
        assert_unchanged(sample, response, 404)


def test_it_refuses_a_step_the_role_does_not_allow(lot, sampler, technician):
    sample = received(lot, sampler, technician)
    # Disposal is for the lab manager.
    response = act(technician, sample, "dispose", note="Not needed")
    assert_unchanged(sample, response, 403)


def test_it_requires_a_reason_to_dispose(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)
    sample.refresh_from_db()
    response = act(manager, sample, "dispose")
    assert_unchanged(sample, response, 400)
    assert response.json()["extra"] == {"field": "note"}


def test_it_validates_the_input_before_the_service_runs(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    response = act(technician, sample, "receive", seal_number_seen=sample.seal_number)  # seal_intact missing
    assert_unchanged(sample, response, 400)
    assert response.json()["message"].startswith("seal_intact:")


def test_it_answers_404_for_a_sample_that_does_not_exist(technician):
    response = client_for(technician).post("/api/v1/samples/KZL-00-999999/prepare/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["message"]
