"""Samples through the API: registering a composite with its splits, lists scoped to what the
caller may see, filters and search, and one sample with its holder and what can be done now."""

from rest_framework.test import APIClient

from lims.models import Organisation
from lims.roles import Role
from samples import services
from samples.models import CustodyEvent, Sample, Seal
from tests.conftest import in_transit_to, make_user, next_seal, received, register_splits

SAMPLES = "/api/v1/samples/"
REGISTER = "/api/v1/samples/register/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def codes(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["code"] for row in response.json()["results"]}


def registration(lot, *seals, **fields) -> dict:
    purposes = ("laboratory", "exporter", "archive")
    return {
        "lot": lot.pk,
        "mass_g": "2000.0",
        "location": "Loading bay 3",
        "splits": [
            {"purpose": purpose, "mass_g": "250.0", "seal_number": seal}
            for purpose, seal in zip(purposes, seals or (next_seal(), next_seal()), strict=False)
        ],
        **fields,
    }


def test_it_registers_a_composite_and_its_sealed_splits(lot, sampler):
    seals = (next_seal(), next_seal())
    response = client_for(sampler).post(REGISTER, registration(lot, *seals), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    composite = Sample.objects.get(code=body["composite"]["code"])
    assert composite.status == body["composite"]["status"] == "split"
    assert [(s["purpose"], s["seal_number"], s["status"]) for s in body["splits"]] == [
        ("laboratory", seals[0], "sealed"),
        ("exporter", seals[1], "sealed"),
    ]
    assert set(composite.splits.values_list("seal_number", flat=True)) == set(seals)
    assert list(composite.events.values_list("action", flat=True)) == ["collect", "split"]
    # The sampler holds everything and may hand the splits over now.
    assert body["splits"][0]["current_custodian"]["username"] == "sam"
    assert body["splits"][0]["actions"] == ["hand_over"]


def test_it_refuses_a_seal_number_in_the_wrong_format_and_registers_nothing(lot, sampler):
    response = client_for(sampler).post(REGISTER, registration(lot, "seal 12", next_seal()), format="json")

    assert response.status_code == 400
    body = response.json()
    assert "is not a seal number" in body["message"]
    assert body["extra"] == {"field": "seal_number"}
    # One transaction: the composite collected before the bad seal is gone too.
    assert not Sample.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert not Seal.objects.exists()


def test_it_refuses_a_seal_used_before(lot, sampler):
    used = register_splits(lot, sampler, purposes=("laboratory",))[1][0].seal_number
    response = client_for(sampler).post(REGISTER, registration(lot, used), format="json")
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "seal_number"}
    assert Sample.objects.count() == 2  # the first composite and its split


def test_it_treats_a_lot_the_caller_cannot_see_as_missing(lot, lot2, exporter):
    response = client_for(exporter).post(REGISTER, registration(lot2), format="json")
    assert response.status_code == 400
    assert "lot" in response.json()["extra"]["fields"]
    assert not Sample.objects.exists()


def test_it_refuses_registration_by_an_exporter(lot, exporter):
    # Alice sees her lot, but sampling is the laboratory's work.
    response = client_for(exporter).post(REGISTER, registration(lot), format="json")
    assert response.status_code == 403
    assert not Sample.objects.exists()


def test_it_shows_an_exporter_only_samples_of_their_lots(lot, lot2, sampler, exporter, exporter2):
    composite, splits = register_splits(lot, sampler)
    other, other_splits = register_splits(lot2, sampler)
    assert codes(client_for(exporter).get(SAMPLES)) == {composite.code, *(s.code for s in splits)}
    assert codes(client_for(exporter2).get(SAMPLES)) == {other.code, *(s.code for s in other_splits)}
    assert client_for(exporter).get(f"{SAMPLES}{other.code}/").status_code == 404


def test_it_filters_by_status_purpose_lot_and_custodian(lot, lot2, sampler, technician):
    at_lab = received(lot, sampler, technician)
    composite, (exporter_split,) = register_splits(lot2, sampler, purposes=("exporter",))
    client = client_for(technician)

    assert codes(client.get(SAMPLES, {"status": "received"})) == {at_lab.code}
    assert codes(client.get(SAMPLES, {"purpose": "exporter"})) == {exporter_split.code}
    assert codes(client.get(SAMPLES, {"lot": lot2.pk})) == {composite.code, exporter_split.code}
    assert codes(client.get(SAMPLES, {"custodian": "me"})) == {at_lab.code}
    assert codes(client_for(sampler).get(SAMPLES, {"custodian": "me"})) == {
        at_lab.parent.code,
        composite.code,
        exporter_split.code,
    }


def test_it_searches_codes_seals_and_lot_numbers(lot, lot2, sampler):
    _, (split,) = register_splits(lot, sampler, purposes=("laboratory",))
    client = client_for(sampler)
    assert codes(client.get(SAMPLES, {"search": split.seal_number.lower()})) == {split.code}
    assert codes(client.get(SAMPLES, {"search": split.code})) == {split.code}
    assert codes(client.get(SAMPLES, {"search": lot.lot_number})) == {split.code, split.parent.code}


def test_it_shows_the_holder_and_the_actions_possible_now(lot, sampler, technician, exporter):
    sample = received(lot, sampler, technician)

    body = client_for(technician).get(f"{SAMPLES}{sample.code}/").json()
    assert body["status"] == "received"
    assert body["current_custodian"]["username"] == "tess"
    assert body["current_custodian"]["organisation"]["name"] == "Kazakh Independent Laboratory"
    assert body["custody_length"] == 4
    assert body["actions"] == ["hand_over", "prepare", "store"]
    # The sampler's role allows handing over, not preparing; the exporter acts on nothing.
    assert client_for(sampler).get(f"{SAMPLES}{sample.code}/").json()["actions"] == ["hand_over"]
    assert client_for(exporter).get(f"{SAMPLES}{sample.code}/").json()["actions"] == []


def test_it_offers_reception_only_to_the_addressees_organisation(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    assert client_for(technician).get(f"{SAMPLES}{sample.code}/").json()["actions"] == ["hand_over", "receive"]
    other_lab = Organisation.objects.create(name="Almaty Assay Centre", kind=Organisation.Kind.LABORATORY)
    olga = make_user("olga", Role.TECHNICIAN, other_lab)
    assert client_for(olga).get(f"{SAMPLES}{sample.code}/").json()["actions"] == []


def test_it_shows_a_sample_with_a_carrier_as_held_by_nobody(lot, sampler, technician):
    _, (split,) = register_splits(lot, sampler, purposes=("laboratory",))
    services.sample_hand_over(actor=sampler, sample=split, carrier="KazExpress", seal_number_seen=split.seal_number)
    body = client_for(technician).get(f"{SAMPLES}{split.code}/").json()
    assert body["current_custodian"] is None
    # Nobody at the laboratory may hand it on; any technician may receive it from the carrier.
    assert body["actions"] == ["receive"]
