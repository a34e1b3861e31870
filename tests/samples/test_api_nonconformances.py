"""Nonconformances through the API: a broken seal at reception raises one, the lab manager
resolves it, the exporter can follow it but not touch another exporter's."""

import pytest
from rest_framework.test import APIClient

from samples import services
from samples.models import Nonconformance
from tests.conftest import in_transit_to

NCS = "/api/v1/nonconformances/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def on_hold(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    return services.sample_receive(
        actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=False, note="Wire cut"
    )


def resolve(user, nonconformance, **data):
    return client_for(user).post(f"{NCS}{nonconformance.pk}/resolve/", data, format="json")


def test_it_lists_nonconformances_by_status(on_hold, manager):
    nc = Nonconformance.objects.get()
    client = client_for(manager)
    assert [row["id"] for row in client.get(NCS, {"status": "open"}).json()["results"]] == [nc.pk]
    assert client.get(NCS, {"status": "accepted"}).json()["results"] == []


def test_it_shows_one_nonconformance(on_hold, exporter):
    nc = Nonconformance.objects.get()
    body = client_for(exporter).get(f"{NCS}{nc.pk}/").json()
    assert (body["sample"], body["sample_status"], body["kind"]) == (on_hold.code, "on_hold", "seal_broken")
    assert body["raised_by"] == "tess"
    assert body["resolved_by"] is None


def test_it_hides_another_exporters_nonconformances(on_hold, exporter2):
    nc = Nonconformance.objects.get()
    assert client_for(exporter2).get(NCS).json()["results"] == []
    assert client_for(exporter2).get(f"{NCS}{nc.pk}/").status_code == 404
    assert resolve(exporter2, nc, accept=True, reason="Looks fine").status_code == 404


def test_it_lets_the_manager_accept_the_sample_for_testing(on_hold, manager):
    nc = Nonconformance.objects.get()
    response = resolve(manager, nc, accept=True, reason="Seal wire cut in transit; inner bag intact")

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["sample_status"]) == ("accepted", "received")
    on_hold.refresh_from_db()
    assert on_hold.status == "received"
    assert on_hold.events.last().action == "release"


def test_it_lets_the_manager_reject_the_sample(on_hold, manager):
    nc = Nonconformance.objects.get()
    response = resolve(manager, nc, accept=False, reason="Bag torn")
    assert response.status_code == 200, response.json()
    on_hold.refresh_from_db()
    assert on_hold.status == "rejected"


def test_it_leaves_the_decision_to_the_lab_manager(on_hold, technician):
    nc = Nonconformance.objects.get()
    response = resolve(technician, nc, accept=True, reason="Looks fine")
    assert response.status_code == 403
    nc.refresh_from_db()
    assert nc.status == "open"


def test_it_requires_a_reason(on_hold, manager):
    nc = Nonconformance.objects.get()
    response = resolve(manager, nc, accept=True, reason="  ")
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "reason"}
    nc.refresh_from_db()
    assert nc.status == "open"


def test_it_refuses_to_resolve_twice(on_hold, manager):
    nc = Nonconformance.objects.get()
    assert resolve(manager, nc, accept=True, reason="Inner bag intact").status_code == 200
    response = resolve(manager, nc, accept=False, reason="Changed my mind")
    assert response.status_code == 409
    nc.refresh_from_db()
    assert nc.status == "accepted"
