"""Where the customer's wet mass comes from (a weighbridge ticket or draft survey reference), entered
when the lot is registered, on the page and through the API; and lot fields that print on the
certificate refuse a character it cannot print, next to the field or as a 400 naming it."""

import lxml.html
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lims.exceptions import ApplicationError
from samples.models import Lot
from tests.conftest import make_lot
from tests.samples.test_web_lots import lot_form

TICKET = "Weighbridge ticket WB-2026-0142"
RLO = "\u202e"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_lot(exporter_org, **changes) -> dict:
    data = {
        "exporter": exporter_org.pk, "lot_number": "AC-2026-0501", "material": "copper-concentrate",
        "hs_code": "2603.00", "origin": "Aktogay concentrator", "wet_mass_t": "5120.500",
        "destination_country": "CN",
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_service_records_the_source_of_the_wet_mass(exporter, exporter_org):
    lot = make_lot(actor=exporter, exporter_org=exporter_org, wet_mass_source=f"  {TICKET} ")

    lot.refresh_from_db()
    assert lot.wet_mass_source == TICKET


def test_the_source_is_optional(exporter, exporter_org):
    # Not every lot has its weighbridge ticket at registration.
    lot = make_lot(actor=exporter, exporter_org=exporter_org)

    lot.refresh_from_db()
    assert lot.wet_mass_source == ""


def test_an_exporter_enters_the_source_on_the_page(client, exporter, exporter_org, copper):
    client.force_login(exporter)

    response = client.post(reverse("lot_create"), lot_form(exporter_org, copper, wet_mass_source=TICKET))

    lot = Lot.objects.get()
    assert response.status_code == 302
    assert lot.wet_mass_source == TICKET
    # The lot's page shows it beside the wet mass.
    assert f"per {TICKET}" in client.get(response.url).content.decode()


def test_the_page_refuses_an_unprintable_character_next_to_its_field(client, exporter, exporter_org, copper):
    client.force_login(exporter)

    response = client.post(reverse("lot_create"), lot_form(exporter_org, copper, export_licence_number=f"EL-{RLO}0042"))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "export_licence_number": ["U+202E RIGHT-TO-LEFT OVERRIDE cannot be printed on a certificate."]
    }
    (field,) = lxml.html.fromstring(response.content).xpath("//*[@id='id_export_licence_number']/..")
    assert "RIGHT-TO-LEFT OVERRIDE" in field.text_content()
    assert not Lot.objects.exists()


def test_the_api_records_and_shows_the_source(exporter, exporter_org):
    response = api(exporter).post("/api/v1/lots/", api_lot(exporter_org, wet_mass_source=TICKET), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["wet_mass_source"] == TICKET
    lot = Lot.objects.get()
    assert api(exporter).get(f"/api/v1/lots/{lot.pk}/").json()["wet_mass_source"] == TICKET


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("origin", "Aktogay\nconcentrator", "U+000A LINE FEED"),
        ("wet_mass_source", "Draft survey 中 12", "U+4E2D CJK UNIFIED IDEOGRAPH-4E2D"),
        ("contract_reference", "C-2026\u200b-17", "U+200B ZERO WIDTH SPACE"),
    ],
)
def test_the_api_refuses_an_unprintable_character_with_a_400(exporter, exporter_org, field, value, named):
    response = api(exporter).post("/api/v1/lots/", api_lot(exporter_org, **{field: value}), format="json")

    assert response.status_code == 400
    assert response.json()["message"] == f"{field}: {named} cannot be printed on a certificate."
    assert not Lot.objects.exists()


def test_the_service_refuses_what_a_form_did_not_check(exporter, exporter_org):
    # A management command or the admin calls the service directly.
    with pytest.raises(ApplicationError) as refused:
        make_lot(actor=exporter, exporter_org=exporter_org, origin=f"Aktogay{RLO}")

    assert refused.value.field == "origin"
    assert refused.value.message == "U+202E RIGHT-TO-LEFT OVERRIDE cannot be printed on a certificate."
    assert not Lot.objects.exists()
