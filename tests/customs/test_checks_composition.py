"""HS code, dry mass, undeclared elements and declared contents, each at its boundary. The default
certificate (tests/customs/conftest.py) states Cu 22.50 %, Au 5.00 g/t, La 118 ppm, Tm 0.04 ppm
(below its reporting limit of 0.05), Lu below detection, and 4575.000 t dry."""

from decimal import Decimal

import pytest

from customs.models import Declaration
from tests.customs.conftest import HONEST, RESULTS, make_certificate, make_snapshot


def finding(declaration, rule, analyte=""):
    return declaration.findings.get(rule=rule, analyte=analyte)


def honest(**changes) -> dict:
    """The honest components with some changed ("Cu": "23 %") or left out ("La": None)."""
    spec = {**HONEST, **changes}
    return {symbol: text for symbol, text in spec.items() if text is not None}


# HS code ------------------------------------------------------------------------------------


def test_hs_codes_are_compared_at_the_six_digit_subheading(declare, lab_sample, manager):
    # The certificate's lot has a ten-digit national code; the declaration another one in the same
    # subheading 2603.00: they agree. Compared in full they would not.
    certificate = make_certificate(
        lab_sample, requested_by=manager, snapshot=make_snapshot(lab_sample, hs_code="2603.00.100.0")
    )

    declaration = declare(certificates=[certificate], hs_code="2603.00.000.0")

    assert finding(declaration, "hs_code").severity == "info"
    assert declaration.status == Declaration.Status.CLEARED


@pytest.mark.parametrize("declared", ["2603.90", "2616.10"])
def test_another_subheading_is_blocking(declare, declared):
    declaration = declare(hs_code=declared)

    found = finding(declaration, "hs_code")
    assert found.severity == "blocking"
    assert (found.figures["declared"], found.figures["certified"]) == (declared, "2603.00")
    assert declaration.status == Declaration.Status.FLAGGED


def test_a_four_digit_heading_is_compared_on_four_digits(declare, lab_sample, manager):
    certificate = make_certificate(lab_sample, requested_by=manager, snapshot=make_snapshot(lab_sample, hs_code="2603"))

    declaration = declare(certificates=[certificate], hs_code="2603.00")

    assert finding(declaration, "hs_code").figures["digits"] == 4
    assert finding(declaration, "hs_code").severity == "info"


# Dry mass -----------------------------------------------------------------------------------


def test_the_certified_dry_mass_may_be_declared_in_full(declare):
    declaration = declare(dry_mass_t="4575.000")

    assert finding(declaration, "dry_mass").severity == "info"
    assert declaration.status == Declaration.Status.CLEARED


def test_a_gram_more_than_certified_is_blocking(declare):
    declaration = declare(dry_mass_t="4575.001")

    found = finding(declaration, "dry_mass")
    assert found.severity == "blocking"
    assert found.figures["excess"] == "0.001"
    assert declaration.status == Declaration.Status.FLAGGED


def test_a_certificate_without_dry_mass_is_a_warning(declare, lab_sample, manager):
    certificate = make_certificate(
        lab_sample, requested_by=manager, snapshot=make_snapshot(lab_sample, dry_mass_t=None)
    )

    declaration = declare(certificates=[certificate])

    assert finding(declaration, "dry_mass").severity == "warning"


# Undeclared elements ------------------------------------------------------------------------


def test_an_undeclared_rare_earth_above_its_reporting_limit_is_blocking(declare):
    declaration = declare(components=honest(La=None))

    found = finding(declaration, "undeclared")
    assert found.severity == "blocking"
    # The finding lists the undeclared element and its certified content.
    assert found.figures["elements"] == [
        {"analyte": "La", "value": "118.00", "unit": "ppm", "reporting_limit": "0.05", "rare_earth": True, "order": 4}
    ]
    assert "La 118.00 ppm" in found.message and "Rare-earth elements among them: La" in found.message
    assert declaration.status == Declaration.Status.FLAGGED


def test_a_rare_earth_below_its_reporting_limit_need_not_be_declared(declare):
    # Tm is certified at 0.04 ppm, below its reporting limit of 0.05, and Lu below detection:
    # the honest declaration leaves both out and is cleared.
    declaration = declare()

    assert "Tm" not in str(finding(declaration, "undeclared").figures)
    assert declaration.status == Declaration.Status.CLEARED


def test_a_rare_earth_exactly_at_its_reporting_limit_must_be_declared(declare, lab_sample, manager):
    results = [row if row[0] != "Tm" else ("Tm", "0.05", "ppm", "0.05", True, None) for row in RESULTS]
    certificate = make_certificate(
        lab_sample, requested_by=manager, snapshot=make_snapshot(lab_sample, results=results)
    )

    declaration = declare(certificates=[certificate])

    assert finding(declaration, "undeclared").figures["elements"][0]["analyte"] == "Tm"
    assert declaration.status == Declaration.Status.FLAGGED


@pytest.mark.parametrize("symbol", ["Cu", "Au", "Ag"])
def test_an_undeclared_paid_metal_is_blocking(declare, symbol):
    declaration = declare(components=honest(**{symbol: None}))

    assert finding(declaration, "undeclared").severity == "blocking"
    assert declaration.status == Declaration.Status.FLAGGED


def test_other_undeclared_elements_are_a_warning(declare):
    # Mo is a by-product and As a penalty element: not paid for, not rare earths.
    declaration = declare(components=honest(Mo=None, As=None))

    found = finding(declaration, "undeclared")
    assert found.severity == "warning"
    assert [e["analyte"] for e in found.figures["elements"]] == ["As", "Mo"]
    assert declaration.status == Declaration.Status.CLEARED


def test_moisture_is_not_a_component(declare):
    declaration = declare()
    assert "H2O" not in str(declaration.findings.values_list("figures", flat=True))


# Declared contents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "severity"),
    [
        ("23.625 %", "info"),  # 5 % above 22.50: exactly the tolerance
        ("21.375 %", "info"),  # 5 % below
        ("23.626 %", "blocking"),  # just beyond
        ("21.374 %", "blocking"),
    ],
)
def test_copper_agrees_within_5_percent(declare, declared, severity):
    declaration = declare(components=honest(Cu=declared))

    found = finding(declaration, "content", "Cu")
    assert found.severity == severity
    assert found.figures["tolerance_pct"] == "5"
    assert declaration.status == (Declaration.Status.FLAGGED if severity == "blocking" else Declaration.Status.CLEARED)


@pytest.mark.parametrize(("declared", "severity"), [("4.50 g/t", "info"), ("4.49 g/t", "blocking")])
def test_gold_agrees_within_10_percent(declare, declared, severity):
    declaration = declare(components=honest(Au=declared))
    assert finding(declaration, "content", "Au").severity == severity


@pytest.mark.parametrize(("declared", "severity"), [("100.30 ppm", "info"), ("100.29 ppm", "blocking")])
def test_rare_earths_agree_within_15_percent(declare, declared, severity):
    # La 118 ppm: 15 % below is 100.30 ppm.
    declaration = declare(components=honest(La=declared))
    assert finding(declaration, "content", "La").severity == severity


def test_contents_are_compared_in_the_certificates_unit(declare):
    # 0.0118 % is 118 ppm; 225,000 g/t is 22.5 %.
    declaration = declare(components=honest(La="0.0118 %", Cu="225000 g/t"))

    la = finding(declaration, "content", "La")
    assert la.severity == "info"
    assert (la.figures["declared_in_certified_unit"], la.figures["unit"]) == ("118", "ppm")
    assert finding(declaration, "content", "Cu").severity == "info"


def test_the_tolerance_comes_from_the_settings(declare, settings):
    settings.LIMS_CUSTOMS_CONTENT_TOLERANCE_PCT = {"Cu": Decimal(1), "*": Decimal(15)}

    declaration = declare(components=honest(Cu="22.8 %"))  # 1.33 % above

    assert finding(declaration, "content", "Cu").severity == "blocking"


def test_an_element_the_certificate_does_not_report_is_not_compared(declare):
    declaration = declare(components=honest(Zn="2.3 %"))

    found = finding(declaration, "content", "Zn")
    assert found.severity == "info" and "does not report it" in found.message
    assert declaration.status == Declaration.Status.CLEARED


def test_an_element_below_detection_is_not_compared(declare):
    declaration = declare(components=honest(Lu="0.01 ppm"))

    found = finding(declaration, "content", "Lu")
    assert found.severity == "info" and "below detection" in found.message
    assert found.figures["detection_limit"] == "0.020"
