"""A sample's chain of custody through the API: every field of every event, the verdict of
recomputing the chain, and no way to write to it."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from samples import chain
from tests.conftest import received


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def events_url(sample) -> str:
    return f"/api/v1/samples/{sample.code}/events/"


def test_it_shows_the_whole_chain_and_that_it_is_intact(lot, sampler, technician, exporter):
    sample = received(lot, sampler, technician)

    body = client_for(exporter).get(events_url(sample)).json()

    assert body["sample"] == sample.code
    assert body["verification"] == {"intact": True, "length": 4, "broken_at": None, "reason": ""}
    assert [e["action"] for e in body["events"]] == ["collect", "seal", "hand_over", "receive"]
    assert [e["sequence"] for e in body["events"]] == [1, 2, 3, 4]
    # Each link names the hash of the one before; the first links to the genesis hash.
    assert body["events"][0]["prev_hash"] == chain.GENESIS
    for before, after in zip(body["events"], body["events"][1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    receive = body["events"][-1]
    assert receive["actor_username"] == "tess"
    assert (receive["seal_number_seen"], receive["seal_intact"]) == (sample.seal_number, True)
    assert (receive["status_before"], receive["status_after"]) == ("in_transit", "received")
    assert receive["location"] == "Lab reception"
    assert receive["hash"] == sample.events.get(sequence=4).hash


def test_it_shows_a_broken_chain_after_an_event_was_edited_behind_the_applications_back(lot, sampler, technician):
    if connection.vendor != "sqlite":
        pytest.skip("On PostgreSQL a trigger refuses any UPDATE of custody events, so the edit cannot happen")
    sample = received(lot, sampler, technician)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE samples_custodyevent SET location = %s WHERE sample_id = %s AND sequence = 3",
            ["Somewhere else", sample.pk],
        )

    body = client_for(technician).get(events_url(sample)).json()

    assert body["verification"]["intact"] is False
    assert body["verification"]["broken_at"] == 3
    assert body["verification"]["reason"] == "content does not match its hash"
    # The edited event is shown as it now stands, so the reader can see what changed.
    assert body["events"][2]["location"] == "Somewhere else"


def test_it_hides_the_chain_of_another_exporters_sample(lot, sampler, technician, exporter2):
    sample = received(lot, sampler, technician)
    assert client_for(exporter2).get(events_url(sample)).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_offers_no_way_to_write_to_the_chain(lot, sampler, technician, manager, method):
    sample = received(lot, sampler, technician)
    hashes = list(sample.events.values_list("hash", flat=True))

    response = getattr(client_for(manager), method)(events_url(sample), {"note": "rewritten"}, format="json")

    assert response.status_code == 405
    assert response.json()["message"]
    assert list(sample.events.values_list("hash", flat=True)) == hashes
