"""The valuation is a pure function: its figures against a worked example written out by hand, and
each term rule at its edge. The default schedule is the one migrated (customs/migrations/0002)."""

from datetime import date
from decimal import Decimal

import pytest

from customs.models import MetalPrice, PayableTerm
from customs.valuation import ValuationError, payable_value

D = Decimal


def default_terms():
    return list(PayableTerm.objects.filter(contract_reference="", active=True))


def price(commodity, amount, unit, currency="USD"):
    # Unsaved rows: the valuation reads attributes only.
    return MetalPrice(
        commodity=commodity, price=D(amount), unit=unit, currency=currency, effective_date=date(2026, 1, 1)
    )


PRICES = {"Cu": price("Cu", "9000", "t"), "Au": price("Au", "2000", "oz"), "Ag": price("Ag", "25", "oz")}


@pytest.mark.django_db
def test_the_worked_example():
    # 5,000 dmt at 22.5 % Cu, 5 g/t Au, 40 g/t Ag; Cu 9,000 USD/t, Au 2,000 and Ag 25 USD/troy oz;
    # default terms. By hand:
    #   Cu: 96.5 % of 22.5 = 21.7125 %, but at least 1 unit deducted: 22.5 - 1 = 21.5 %, the lesser.
    #       21.5 % of 5,000 t = 1,075.000 t x 9,000 = 9,675,000.00
    #   Au: 5 g/t >= 1 g/t, 90 % paid: 4.5 g/t x 5,000 t = 22,500 g / 31.1034768 g/oz = 723.392 oz
    #       x 2,000 = 1,446,784.00
    #   Ag: 40 g/t >= 30 g/t, 90 % paid: 36 g/t x 5,000 t = 180,000 g / 31.1034768 = 5,787.134 oz
    #       x 25 = 144,678.35
    #   total 9,675,000.00 + 1,446,784.00 + 144,678.35 = 11,266,462.35 USD
    contents = {"Cu": (D("22.5"), "%"), "Au": (D("5"), "g/t"), "Ag": (D("40"), "g/t")}

    valuation = payable_value(contents=contents, dry_mass_t=D("5000"), prices=PRICES, terms=default_terms())

    lines = {line.description.split(" ")[0]: line for line in valuation.lines}
    assert (lines["Cu"].quantity, lines["Cu"].unit, lines["Cu"].amount) == (D("1075.000"), "t", D("9675000.00"))
    assert (lines["Au"].quantity, lines["Au"].unit, lines["Au"].amount) == (D("723.392"), "oz", D("1446784.00"))
    assert (lines["Ag"].quantity, lines["Ag"].price, lines["Ag"].amount) == (D("5787.134"), D("25"), D("144678.35"))
    assert "payable 21.5 %" in lines["Cu"].description
    assert valuation.total == D("11266462.35")
    assert valuation.currency == "USD"
    # Each amount is the printed quantity times the printed price: the working can be redone.
    assert all(line.amount == (line.quantity * line.price).quantize(D("0.01")) for line in valuation.lines)


@pytest.mark.django_db
def test_copper_pays_96_5_percent_when_that_deducts_more_than_one_unit():
    # At 40 % Cu, 3.5 % of the content (1.4 units) is more than the minimum deduction: 38.6 % paid.
    valuation = payable_value(
        contents={"Cu": (D("40"), "%")}, dry_mass_t=D("1000"), prices=PRICES, terms=default_terms()
    )
    (line,) = valuation.lines
    assert line.quantity == D("386.000")  # 38.6 % of 1,000 t
    assert line.amount == D("3474000.00")


@pytest.mark.django_db
def test_gold_below_its_minimum_content_is_not_paid_and_at_it_is():
    below = payable_value(
        contents={"Au": (D("0.99"), "g/t")}, dry_mass_t=D("1000"), prices=PRICES, terms=default_terms()
    )
    at = payable_value(contents={"Au": (D("1.00"), "g/t")}, dry_mass_t=D("1000"), prices=PRICES, terms=default_terms())

    assert below.total == 0 and "not paid" in below.lines[0].description
    # 1 g/t x 90 % x 1,000 t = 900 g = 28.936 oz x 2,000 = 57,872.00
    assert at.lines[0].quantity == D("28.936")
    assert at.total == D("57872.00")


@pytest.mark.django_db
def test_penalties_are_pro_rata_above_the_free_allowance():
    # As 0.35 %: 0.15 % above the 0.2 % free, 1.5 steps of 0.1 % at 3.00 USD = 4.50 USD/dmt,
    # x 5,000 dmt = -22,500.00. Hg 10 ppm: exactly at its free allowance, no penalty.
    valuation = payable_value(
        contents={"As": (D("0.35"), "%"), "Hg": (D("10"), "ppm")},
        dry_mass_t=D("5000"),
        prices={},
        terms=default_terms(),
    )
    lines = {line.description.split(" ")[0]: line for line in valuation.lines}
    assert (lines["As"].quantity, lines["As"].unit, lines["As"].price) == (D("5000"), "dmt", D("-4.5000"))
    assert lines["As"].amount == D("-22500.00")
    assert lines["Hg"].amount == 0
    assert valuation.total == D("-22500.00")


@pytest.mark.django_db
def test_contents_are_converted_to_the_terms_unit():
    # Sb certified as 0.08 % is 800 ppm: 300 ppm above the 500 free, 3 steps of 100 ppm x 3.00 USD.
    valuation = payable_value(contents={"Sb": (D("0.08"), "%")}, dry_mass_t=D("100"), prices={}, terms=default_terms())
    assert valuation.lines[0].price == D("-9.0000")
    assert valuation.total == D("-900.00")


@pytest.mark.django_db
def test_rare_earth_oxides_are_paid_per_kg_of_treo():
    # 700 ppm TREO = 700 g/t x 1,000 t = 700 kg x 10 USD = 7,000.00
    valuation = payable_value(
        contents={"TREO": (D("700"), "ppm")},
        dry_mass_t=D("1000"),
        prices={"TREO": price("TREO", "10", "kg")},
        terms=default_terms(),
    )
    assert (valuation.lines[0].quantity, valuation.lines[0].unit, valuation.total) == (D("700.000"), "kg", D("7000.00"))


def test_a_treatment_charge_is_per_dry_tonne():
    terms = [PayableTerm(kind="treatment", commodity="", rate=D("80"), currency="USD")]
    valuation = payable_value(contents={}, dry_mass_t=D("2500.5"), prices={}, terms=terms)
    assert valuation.total == D("-200040.00")


@pytest.mark.django_db
def test_a_paid_commodity_without_a_price_cannot_be_valued():
    with pytest.raises(ValuationError, match="no price of Au"):
        payable_value(contents={"Au": (D("5"), "g/t")}, dry_mass_t=D("1"), prices={}, terms=default_terms())


@pytest.mark.django_db
def test_prices_in_several_currencies_are_refused():
    prices = {**PRICES, "Au": price("Au", "1800", "oz", currency="EUR")}
    contents = {"Cu": (D("22.5"), "%"), "Au": (D("5"), "g/t")}
    with pytest.raises(ValuationError, match="EUR, USD"):
        payable_value(contents=contents, dry_mass_t=D("1"), prices=prices, terms=default_terms())


def test_a_commodity_the_certificate_does_not_report_gets_no_line():
    terms = [PayableTerm(kind="payable", commodity="Cu", unit="%", payable_pct=D("96.5"), min_deduction=D("1"))]
    valuation = payable_value(contents={}, dry_mass_t=D("1000"), prices={}, terms=terms)
    assert valuation.lines == () and valuation.total == 0


def test_the_total_is_restated_in_another_currency():
    terms = [PayableTerm(kind="payable", commodity="Cu", unit="%", payable_pct=D("100"))]
    valuation = payable_value(contents={"Cu": (D("10"), "%")}, dry_mass_t=D("10"), prices=PRICES, terms=terms)
    converted = valuation.in_currency(currency="KZT", rate=D("512.34"), source="NBK", effective_date=date(2026, 10, 1))

    # 1 t x 9,000 = 9,000.00 USD x 512.34 = 4,611,060.00 KZT
    assert valuation.total == D("9000.00")
    assert (converted.final_total, converted.final_currency) == (D("4611060.00"), "KZT")
    assert converted.as_json()["conversion"]["rate"] == "512.34"
