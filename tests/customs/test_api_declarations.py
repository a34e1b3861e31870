"""Declarations through the API: filing (201 with the findings), scoped lists and details, errors as
{"message", "extra"} with a 4xx, and the inspector's decision."""

import pytest
from rest_framework.test import APIClient

from customs.models import Declaration
from lims.models import AuditEvent
from tests.customs.conftest import HONEST, make_certificate

DECLARATIONS = "/api/v1/declarations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def body(lot, customs_org, certificate, prices):
    def body(**changes):
        data = {
            "number": "55201000/151026/0000777",
            "declarant": "Altyn Copper LLP",
            "lot": lot.pk,
            "customs_office": customs_org.pk,
            "hs_code": "2603.00",
            "declared_on": "2026-10-15",
            "dry_mass_t": "4575.000",
            "value": "20000000.00",
            "currency": "USD",
            "components": [
                {"analyte": symbol, "content": text.split()[0], "unit": text.split()[1]}
                for symbol, text in HONEST.items()
            ],
            "certificate_numbers": [certificate.number],
        }
        data.update(changes)
        return data

    return body


def test_an_exporter_files_and_gets_the_findings(body, exporter, certificate):
    components = [c for c in body()["components"] if c["analyte"] != "La"]

    response = client_for(exporter).post(DECLARATIONS, body(components=components), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "flagged"
    assert data["certificates"] == [{"number": certificate.number, "found": True}]
    first = data["findings"][0]  # blocking findings come first
    assert (first["rule"], first["severity"]) == ("undeclared", "blocking")
    assert first["figures"]["elements"][0]["analyte"] == "La"
    assert Declaration.objects.get(pk=data["id"]).filed_by == exporter


def test_a_broker_files_too(body, broker):
    response = client_for(broker).post(DECLARATIONS, body(), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "cleared"


def test_bad_input_is_a_400_with_a_message(body, exporter):
    response = client_for(exporter).post(DECLARATIONS, body(hs_code="26.03"), format="json")
    assert response.status_code == 400
    assert response.json()["message"] and response.json()["extra"] == {"field": "hs_code"}

    response = client_for(exporter).post(DECLARATIONS, body(components=[]), format="json")
    assert response.status_code == 400 and response.json()["extra"]["field"] == "components"

    response = client_for(exporter).post(DECLARATIONS, body(value="lots"), format="json")
    assert response.status_code == 400 and "value" in response.json()["extra"]["fields"]
    assert not Declaration.objects.exists()


def test_nobody_files_for_another_exporters_lot(body, exporter2):
    response = client_for(exporter2).post(DECLARATIONS, body(), format="json")
    assert response.status_code == 400  # the lot id does not exist for bob
    assert not Declaration.objects.exists()


def test_the_laboratory_and_inspectors_do_not_file(body, manager, inspector):
    # Both see the lot; neither may file.
    for user in (manager, inspector):
        assert client_for(user).post(DECLARATIONS, body(), format="json").status_code == 403, user
    assert not Declaration.objects.exists()


def test_lists_and_details_are_scoped(declare, exporter, exporter2, inspector, manager):
    declaration = declare()
    url = f"{DECLARATIONS}{declaration.pk}/"

    assert [row["number"] for row in client_for(exporter).get(DECLARATIONS).json()["results"]] == [declaration.number]
    assert client_for(inspector).get(DECLARATIONS).json()["count"] == 1
    assert client_for(exporter2).get(DECLARATIONS).json()["count"] == 0
    assert client_for(manager).get(DECLARATIONS).json()["count"] == 0
    assert client_for(exporter).get(url).status_code == 200
    assert client_for(exporter2).get(url).status_code == 404
    assert client_for(manager).get(url).status_code == 404


def test_the_list_filters_by_status(declare, inspector):
    declare()
    flagged = declare(components={"Cu": "22.5 %"})

    rows = client_for(inspector).get(DECLARATIONS, {"status": "flagged"}).json()["results"]

    assert [row["number"] for row in rows] == [flagged.number]
    assert rows[0]["blocking"] == 1


def test_the_inspector_decides(declare, inspector, exporter):
    declaration = declare(components={"Cu": "22.5 %"})
    url = f"{DECLARATIONS}{declaration.pk}/decide/"

    assert client_for(exporter).post(url, {"accept": True, "reason": "mine"}, format="json").status_code == 403
    refused = client_for(inspector).post(url, {"accept": False, "reason": ""}, format="json")
    assert refused.status_code == 400 and refused.json()["extra"] == {"field": "reason"}
    decided = client_for(inspector).post(url, {"accept": False, "reason": "REE left out."}, format="json")

    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("rejected", "ivan")
    again = client_for(inspector).post(url, {"accept": True, "reason": "Oops."}, format="json")
    assert again.status_code == 409


def test_the_inspector_checks_again(declare, inspector):
    declaration = declare()
    response = client_for(inspector).post(
        f"{DECLARATIONS}{declaration.pk}/recheck/", {"note": "Prices of November entered."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "cleared"
    assert AuditEvent.objects.get(action="declaration.recheck").data["note"] == "Prices of November entered."


def test_an_unknown_certificate_is_reported_as_not_found(body, exporter, lab_sample, manager):
    make_certificate(lab_sample, requested_by=manager)
    response = client_for(exporter).post(DECLARATIONS, body(certificate_numbers=["NOPE-1"]), format="json")
    assert response.json()["certificates"] == [{"number": "NOPE-1", "found": False}]
    assert response.json()["status"] == "flagged"
