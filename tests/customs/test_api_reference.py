"""Metal prices, payable terms and exchange rates: everyone signed in reads them; inspectors and
administrators create and change them, validated and on record; nobody deletes them."""

import pytest
from rest_framework.test import APIClient

from customs.models import MetalPrice, PayableTerm
from lims.models import AuditEvent

PRICES = "/api/v1/metal-prices/"
TERMS = "/api/v1/payable-terms/"
RATES = "/api/v1/exchange-rates/"
A_PRICE = {"commodity": "Cu", "unit": "t", "price": "9650.50", "currency": "USD", "effective_date": "2026-11-02",
           "source": "LME cash settlement"}  # fmt: skip


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_inspector_enters_a_price_and_it_is_recorded(inspector):
    response = client_for(inspector).post(PRICES, A_PRICE, format="json")

    assert response.status_code == 201, response.json()
    price = MetalPrice.objects.get(pk=response.json()["id"])
    assert (price.commodity, str(price.price)) == ("Cu", "9650.5000")
    assert AuditEvent.objects.get(action="customs_reference.create").actor == inspector


def test_the_inspector_corrects_a_price(inspector, prices):
    url = f"{PRICES}{prices['Cu'].pk}/"
    response = client_for(inspector).patch(url, {"price": "9100"}, format="json")

    assert response.status_code == 200
    prices["Cu"].refresh_from_db()
    assert prices["Cu"].price == 9100
    assert AuditEvent.objects.filter(action="customs_reference.change").exists()


@pytest.mark.parametrize("who", ["exporter", "broker", "manager", "technician"])
def test_others_read_but_do_not_write(request, who, prices):
    client = client_for(request.getfixturevalue(who))

    assert client.get(PRICES).json()["count"] == 4
    assert client.get(TERMS).status_code == 200
    assert client.get(RATES).status_code == 200
    assert client.post(PRICES, A_PRICE, format="json").status_code == 403
    assert client.patch(f"{PRICES}{prices['Cu'].pk}/", {"price": "1"}, format="json").status_code == 403
    prices["Cu"].refresh_from_db()
    assert prices["Cu"].price == 9000


def test_nothing_is_deleted(inspector, prices):
    assert client_for(inspector).delete(f"{PRICES}{prices['Cu'].pk}/").status_code == 405
    assert MetalPrice.objects.count() == 4


def test_strangers_read_nothing(client, prices):
    assert client.get(PRICES).status_code in (401, 403)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"commodity": "Xx"}, "commodity"), ({"currency": "usd"}, "currency"), ({"unit": "g"}, "unit")],
)
def test_a_bad_price_is_a_400(inspector, changes, field):
    response = client_for(inspector).post(PRICES, {**A_PRICE, **changes}, format="json")
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]


def test_a_second_price_on_the_same_day_is_refused(inspector, prices):
    response = client_for(inspector).post(PRICES, {**A_PRICE, "effective_date": "2026-01-01"}, format="json")
    assert response.status_code == 400
    assert MetalPrice.objects.filter(commodity="Cu").count() == 1


def test_a_contract_schedule_is_entered_term_by_term(inspector):
    term = {"contract_reference": "C-2026-17", "kind": "penalty", "commodity": "As", "unit": "%",
            "free_allowance": "0.3", "step": "0.1", "rate": "2.50"}  # fmt: skip

    response = client_for(inspector).post(TERMS, term, format="json")

    assert response.status_code == 201, response.json()
    assert PayableTerm.objects.filter(contract_reference="C-2026-17").count() == 1


def test_a_term_missing_its_figures_is_a_400(inspector):
    # A penalty needs a free allowance, a step and a rate.
    response = client_for(inspector).post(
        TERMS, {"contract_reference": "C-1", "kind": "penalty", "commodity": "As", "unit": "%"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["extra"]["field"] in ("free_allowance", "step", "rate")
    assert not PayableTerm.objects.filter(contract_reference="C-1").exists()


def test_the_inspector_enters_an_exchange_rate(inspector):
    rate = {"currency": "KZT", "price_currency": "USD", "rate": "512.34", "effective_date": "2026-11-02",
            "source": "National Bank of Kazakhstan"}  # fmt: skip
    response = client_for(inspector).post(RATES, rate, format="json")
    assert response.status_code == 201, response.json()
