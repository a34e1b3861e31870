"""The declared value against the payable value of the certified composition: the tolerance at its
edge, the price in effect on the declaration date, the contract's schedule, other currencies, and
failing closed when the value cannot be computed."""

from datetime import date
from decimal import Decimal

import pytest

from customs.models import Declaration, ExchangeRate, MetalPrice, PayableTerm
from tests.customs.conftest import make_certificate, make_snapshot

# A certificate of copper only: 21 % Cu, 1,000 t dry. Payable 21 - 1 = 20 % (96.5 % would be
# 20.265 %, the deduction of one unit is larger) = 200.000 t x 9,000 USD = 1,800,000.00 USD.
# 5 % below that is 1,710,000.00.
COPPER_ONLY = [("Cu", "21.00", "%", "0.01", False, None), ("H2O", "8.00", "%", "0.01", False, None)]


@pytest.fixture
def copper_certificate(lab_sample, manager):
    snapshot = make_snapshot(lab_sample, results=COPPER_ONLY, dry_mass_t="1000.000")
    return make_certificate(lab_sample, requested_by=manager, snapshot=snapshot)


@pytest.fixture
def declare_copper(declare, copper_certificate):
    def declare_copper(value, **changes):
        return declare(
            certificates=[copper_certificate],
            components={"Cu": "21 %"},
            dry_mass_t="1000.000",
            value=value,
            **changes,
        )

    return declare_copper


def value_finding(declaration):
    return declaration.findings.get(rule="value")


def test_a_value_exactly_at_the_tolerance_passes(declare_copper):
    declaration = declare_copper("1710000.00")

    found = value_finding(declaration)
    assert found.severity == "info"
    assert (found.figures["payable"], found.figures["shortfall_pct"]) == ("1800000.00", "5")
    assert declaration.status == Declaration.Status.CLEARED


def test_a_cent_below_the_tolerance_is_blocking(declare_copper):
    declaration = declare_copper("1709999.99")

    found = value_finding(declaration)
    assert found.severity == "blocking"
    assert "more than the 5 % allowed" in found.message
    assert declaration.status == Declaration.Status.FLAGGED


def test_the_valuation_working_is_recorded_with_the_finding(declare_copper):
    found = value_finding(declare_copper("1800000.00"))

    (line,) = found.figures["valuation"]["lines"]
    assert (line["quantity"], line["unit"], line["price"], line["amount"]) == (
        "200.000",
        "t",
        "9000.0000",
        "1800000.00",
    )
    assert [p["commodity"] for p in found.figures["prices"]] == ["Ag", "Au", "Cu", "TREO"]


def test_the_value_tolerance_comes_from_the_settings(declare_copper, settings):
    settings.LIMS_CUSTOMS_VALUE_TOLERANCE_PCT = Decimal(10)
    assert value_finding(declare_copper("1620000.00")).severity == "info"
    assert value_finding(declare_copper("1619999.99")).severity == "blocking"


def test_the_price_in_effect_on_the_declaration_date_is_used(declare_copper):
    MetalPrice.objects.create(
        commodity="Cu", unit="t", price=Decimal("9500"), currency="USD", effective_date=date(2026, 10, 16), source="LME"
    )

    before = value_finding(declare_copper("1800000.00", declared_on=date(2026, 10, 15)))
    on_the_day = value_finding(declare_copper("1800000.00", declared_on=date(2026, 10, 16)))

    assert before.figures["payable"] == "1800000.00"  # still 9,000 USD/t
    assert on_the_day.figures["payable"] == "1900000.00"  # 200 t x 9,500
    # The same 1.8 M is 5.26 % below the payable value on the day the new price took effect.
    assert (before.severity, on_the_day.severity) == ("info", "blocking")


def test_the_contracts_own_schedule_replaces_the_default(declare_copper, lot):
    # The lot's contract pays 90 % of copper with no minimum deduction: 18.9 % of 1,000 t
    # = 189.000 t x 9,000 = 1,701,000.00; 5 % below is 1,615,950.00.
    PayableTerm.objects.create(
        contract_reference=lot.contract_reference, kind="payable", commodity="Cu", unit="%", payable_pct=Decimal(90)
    )

    found = value_finding(declare_copper("1615950.00"))

    assert found.figures["payable"] == "1701000.00"
    assert found.figures["schedule"] == lot.contract_reference
    assert found.severity == "info"


def test_a_declaration_in_another_currency_is_compared_at_the_rate_of_its_date(declare_copper):
    ExchangeRate.objects.create(
        currency="KZT", price_currency="USD", rate=Decimal("500"), effective_date=date(2026, 10, 1), source="NBK"
    )
    ExchangeRate.objects.create(
        currency="KZT", price_currency="USD", rate=Decimal("600"), effective_date=date(2026, 10, 20), source="NBK"
    )

    # 1,800,000.00 USD x 500 = 900,000,000.00 KZT; 5 % below is 855,000,000.00.
    at = declare_copper("855000000.00", currency="KZT")
    below = declare_copper("854999999.99", currency="KZT")

    assert value_finding(at).figures["payable"] == "900000000.00"
    assert value_finding(at).figures["valuation"]["conversion"]["rate"] == "500.000000"
    assert (value_finding(at).severity, value_finding(below).severity) == ("info", "blocking")


def test_without_an_exchange_rate_the_value_check_fails_closed(declare_copper):
    declaration = declare_copper("900000000.00", currency="KZT")

    found = value_finding(declaration)
    assert found.severity == "blocking"
    assert "no exchange rate of KZT per USD" in found.message
    assert declaration.status == Declaration.Status.FLAGGED


def test_without_a_price_the_value_check_fails_closed(declare_copper):
    # No copper price was in effect before 1 January 2026.
    declaration = declare_copper("1800000.00", declared_on=date(2025, 12, 31))

    found = value_finding(declaration)
    assert found.severity == "blocking"
    assert "no price of Cu" in found.message


def test_nothing_payable_is_not_compared(declare, lab_sample, manager):
    # Copper below one unit pays nothing after the minimum deduction.
    snapshot = make_snapshot(lab_sample, results=[("Cu", "0.80", "%", "0.01", False, None)], dry_mass_t="1000.000")
    certificate = make_certificate(lab_sample, requested_by=manager, snapshot=snapshot)

    declaration = declare(certificates=[certificate], components={"Cu": "0.8 %"}, dry_mass_t="1000.000", value="1.00")

    assert value_finding(declaration).severity == "info"
    assert declaration.status == Declaration.Status.CLEARED
