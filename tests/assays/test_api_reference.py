"""Reference data through the API: anyone signed in reads analytes, methods, instruments,
reference materials and panels; only the lab manager changes them, each change recorded."""

import pytest
from rest_framework.test import APIClient

from assays.models import CertifiedValue, Instrument
from lims.models import AuditEvent

API = "/api/v1/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def everything(client, path: str) -> list[dict]:
    """Every row of a paginated list."""
    rows, url = [], f"{API}{path}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


# Reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["exporter", "inspector", "technician", "reviewer"])
@pytest.mark.parametrize("path", ["analytes/", "methods/", "instruments/", "reference-materials/", "panels/"])
def test_everyone_signed_in_reads_reference_data(request, instrument, who, path):
    # Exporters read it too: certificates cite methods, panels and reference materials.
    assert everything(client_for(request.getfixturevalue(who)), path)


@pytest.mark.parametrize("path", ["analytes/", "methods/", "instruments/", "reference-materials/", "panels/"])
def test_nobody_signed_out_reads_it(db, path):
    # Not authenticated: 401 with the scheme to authenticate by (API tokens, django-rest-knox).
    response = APIClient().get(f"{API}{path}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "results" not in response.json()


def test_reference_materials_come_with_their_certified_values(technician):
    crms = {crm["name"]: crm for crm in everything(client_for(technician), "reference-materials/")}

    values = {v["analyte"]: v for v in crms["CCU-1f"]["values"]}
    # An uncertainty comes with the convention it is stated in; a value without one has neither.
    assert (values["Cu"]["value"], values["Cu"]["unit"], values["Cu"]["uncertainty"], values["Cu"]["convention"]) == (
        "23.330000",
        "%",
        "0.080000",
        "ci95",
    )
    assert (values["Sb"]["value"], values["Sb"]["uncertainty"], values["Sb"]["convention"]) == ("85.500000", None, "")


def test_panels_come_with_their_entries(exporter):
    panels = {p["code"]: p for p in everything(client_for(exporter), "panels/")}

    export = panels["copper-concentrate-export"]
    assert export["material"] == "copper-concentrate"
    entries = {e["analyte"]: e for e in export["entries"]}
    assert (entries["Au"]["method"], entries["Au"]["unit"], entries["Au"]["basis"]) == ("fire-assay", "g/t", "dry")
    assert (entries["H2O"]["method"], entries["H2O"]["basis"]) == ("moisture", "as_received")


# Changing -------------------------------------------------------------------------------------


NEW_INSTRUMENT = {"name": "ICP-MS 2", "model": "Thermo iCAP RQ", "serial": "TQ-7", "calibration_due": "2030-09-30"}


def test_the_manager_adds_an_instrument_and_it_is_recorded(manager):
    response = client_for(manager).post(f"{API}instruments/", NEW_INSTRUMENT, format="json")

    assert response.status_code == 201, response.json()
    added = Instrument.objects.get(serial="TQ-7")
    assert response.json()["id"] == added.pk and added.active
    event = AuditEvent.objects.get(action="reference.create")
    assert (event.actor, event.object_type, event.object_id) == (manager, "assays.instrument", str(added.pk))
    assert event.data["before"] == {} and event.data["after"]["serial"] == "TQ-7"


def test_the_manager_moves_a_calibration_date_and_it_is_recorded(manager, instrument):
    instrument_due = instrument.calibration_due
    response = client_for(manager).patch(
        f"{API}instruments/{instrument.pk}/", {"calibration_due": "2027-01-15"}, format="json"
    )

    assert response.status_code == 200, response.json()
    instrument.refresh_from_db()
    assert instrument.calibration_due.isoformat() == "2027-01-15"
    # Who moved it, and to what: the audit trail of the calibration.
    event = AuditEvent.objects.get(action="reference.change")
    assert (event.actor, event.object_id, event.data) == (
        manager,
        str(instrument.pk),
        {"before": {"calibration_due": instrument_due.isoformat()}, "after": {"calibration_due": "2027-01-15"}},
    )


@pytest.mark.parametrize("who", ["technician", "reviewer", "exporter", "inspector"])
def test_only_the_manager_changes_reference_data(request, instrument, who):
    client = client_for(request.getfixturevalue(who))
    due = instrument.calibration_due

    assert client.post(f"{API}instruments/", NEW_INSTRUMENT, format="json").status_code == 403
    patched = client.patch(f"{API}instruments/{instrument.pk}/", {"calibration_due": "2030-01-01"}, format="json")
    assert patched.status_code == 403
    # Nothing changed, nothing recorded.
    instrument.refresh_from_db()
    assert instrument.calibration_due == due
    assert not Instrument.objects.filter(serial="TQ-7").exists()
    assert not AuditEvent.objects.filter(action__startswith="reference.").exists()


def test_an_uncertainty_without_its_convention_is_refused(manager):
    response = client_for(manager).post(
        f"{API}certified-values/",
        {"reference_material": "CCU-1f", "analyte": "Bi", "value": "12.5", "unit": "ppm", "uncertainty": "0.4"},
        format="json",
    )

    assert response.status_code == 400
    # The message says what to do, and names the field to fix.
    assert "how the uncertainty is stated" in response.json()["message"]
    assert response.json()["extra"]["field"] == "convention"
    assert not CertifiedValue.objects.filter(reference_material__name="CCU-1f", analyte__symbol="Bi").exists()
    assert not AuditEvent.objects.exists()


def test_a_malformed_date_is_refused_with_its_field(manager, instrument):
    due = instrument.calibration_due

    response = client_for(manager).patch(
        f"{API}instruments/{instrument.pk}/", {"calibration_due": "soon"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("calibration_due: ")
    instrument.refresh_from_db()
    assert instrument.calibration_due == due
