"""Lots through the API: alice (Altyn Copper) sees her lots, bob (Steppe Metals) sees his, the
laboratory sees all; lists filter, search, sort and page; registering goes through the service."""

from decimal import Decimal

from rest_framework.test import APIClient

from samples.models import Lot, Material
from tests.conftest import make_lot, register_splits

LOTS = "/api/v1/lots/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def lot_numbers(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["lot_number"] for row in response.json()["results"]]


def test_it_shows_an_exporter_only_their_own_lots(lot, lot2, exporter, exporter2, sampler):
    assert lot_numbers(client_for(exporter).get(LOTS)) == [lot.lot_number]
    assert lot_numbers(client_for(exporter2).get(LOTS)) == [lot2.lot_number]
    # The laboratory serves every exporter.
    assert set(lot_numbers(client_for(sampler).get(LOTS))) == {lot.lot_number, lot2.lot_number}


def test_it_hides_another_exporters_lot_behind_a_404(lot, lot2, exporter):
    response = client_for(exporter).get(f"{LOTS}{lot2.pk}/")
    assert response.status_code == 404
    assert response.json()["message"]


def test_it_shows_one_lot(lot, exporter):
    body = client_for(exporter).get(f"{LOTS}{lot.pk}/").json()
    assert body["lot_number"] == lot.lot_number
    assert body["exporter"]["name"] == "Altyn Copper LLP"
    assert body["material"]["code"] == "copper-concentrate"
    assert body["destination_country"] == "CN"
    assert body["status"] == "registered"


def test_it_counts_the_samples_of_each_lot(lot, sampler):
    register_splits(lot, sampler)
    (row,) = client_for(sampler).get(LOTS).json()["results"]
    assert row["sample_count"] == 4  # the composite and three splits
    assert row["status"] == "sampling"


def test_it_filters_by_status_material_and_exporter(lot, lot2, sampler, exporter2_org):
    register_splits(lot, sampler)  # lot moves to "sampling"
    client = client_for(sampler)
    assert lot_numbers(client.get(LOTS, {"status": "sampling"})) == [lot.lot_number]
    assert lot_numbers(client.get(LOTS, {"status": "registered"})) == [lot2.lot_number]
    assert lot_numbers(client.get(LOTS, {"exporter": exporter2_org.pk})) == [lot2.lot_number]
    assert lot_numbers(client.get(LOTS, {"material": "copper-concentrate"})) != []
    assert lot_numbers(client.get(LOTS, {"material": "no-such-material"})) == []


def test_it_does_not_widen_an_exporters_view_through_a_filter(lot, lot2, exporter, exporter2_org):
    assert lot_numbers(client_for(exporter).get(LOTS, {"exporter": exporter2_org.pk})) == []


def test_it_refuses_a_filter_value_that_is_not_a_choice(lot, sampler):
    response = client_for(sampler).get(LOTS, {"status": "shipped"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("status:")


def test_it_searches_lot_numbers_and_contracts(exporter, exporter_org):
    make_lot(actor=exporter, exporter_org=exporter_org, lot_number="AK-2026-001", contract_reference="C-1")
    make_lot(actor=exporter, exporter_org=exporter_org, lot_number="BZ-2026-002", contract_reference="SHANGHAI-9")
    client = client_for(exporter)
    assert lot_numbers(client.get(LOTS, {"search": "ak-2026"})) == ["AK-2026-001"]
    assert lot_numbers(client.get(LOTS, {"search": "shanghai"})) == ["BZ-2026-002"]


def test_it_sorts_on_request(exporter, exporter_org):
    for number in ("B-2", "C-3", "A-1"):
        make_lot(actor=exporter, exporter_org=exporter_org, lot_number=number)
    client = client_for(exporter)
    assert lot_numbers(client.get(LOTS, {"ordering": "lot_number"})) == ["A-1", "B-2", "C-3"]
    assert lot_numbers(client.get(LOTS, {"ordering": "-lot_number"})) == ["C-3", "B-2", "A-1"]


def test_it_pages_long_lists(exporter, exporter_org):
    for number in ("A-1", "A-2", "A-3"):
        make_lot(actor=exporter, exporter_org=exporter_org, lot_number=number)
    client = client_for(exporter)
    first = client.get(LOTS, {"page_size": 2, "ordering": "lot_number"}).json()
    assert first["count"] == 3
    assert [row["lot_number"] for row in first["results"]] == ["A-1", "A-2"]
    assert first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [row["lot_number"] for row in second["results"]] == ["A-3"]
    assert second["next"] is None


def test_it_lists_materials(sampler):
    response = client_for(sampler).get("/api/v1/materials/")
    assert response.status_code == 200
    assert {row["code"] for row in response.json()} == set(Material.objects.values_list("code", flat=True))


def registration(exporter_org, **fields) -> dict:
    return {
        "exporter": exporter_org.pk,
        "lot_number": "AK-77",
        "material": "copper-concentrate",
        "hs_code": "2603.00",
        "origin": "Aktogay concentrator",
        "wet_mass_t": "4800.500",
        "destination_country": "CN",
        **fields,
    }


def test_it_registers_a_lot(exporter, exporter_org):
    response = client_for(exporter).post(LOTS, registration(exporter_org), format="json")
    assert response.status_code == 201, response.json()
    lot = Lot.objects.get(pk=response.json()["id"])
    assert (lot.lot_number, lot.exporter, lot.registered_by) == ("AK-77", exporter_org, exporter)
    assert lot.wet_mass_t == Decimal("4800.500")
    assert response.json()["status"] == "registered"


def test_it_lets_an_exporter_register_only_for_their_own_organisation(exporter2, exporter_org):
    response = client_for(exporter2).post(LOTS, registration(exporter_org), format="json")
    assert response.status_code == 403
    assert response.json()["extra"] == {"field": "exporter"}
    assert not Lot.objects.exists()


def test_it_names_the_field_the_service_refused(exporter, exporter_org):
    # Copper concentrate is declared under heading 2603, not 7403.
    response = client_for(exporter).post(LOTS, registration(exporter_org, hs_code="7403.11"), format="json")
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "hs_code"}
    assert not Lot.objects.exists()


def test_it_refuses_a_lot_number_used_twice(lot, exporter, exporter_org):
    response = client_for(exporter).post(LOTS, registration(exporter_org, lot_number=lot.lot_number), format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["field"] == "lot_number"
    assert Lot.objects.count() == 1


def test_it_validates_the_input_before_calling_the_service(exporter, exporter_org):
    response = client_for(exporter).post(
        LOTS, registration(exporter_org, destination_country="XX", material="gold-bars"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"destination_country", "material"}
    assert not Lot.objects.exists()
