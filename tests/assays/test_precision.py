"""Values shown with the precision their uncertainty supports (GUM 7.2.6), or the panel entry's reporting
decimals without one: the same strings on the pages, in the API and on the certificate."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from assays import precision, selectors, services
from assays.models import PanelEntry, Result
from assays.precision import shown
from tests.assays.conftest import analyte, icpms_symbols, manual, report


def figures(value, uncertainty=None, decimals=2, qualifier="", limit=None):
    s = shown(
        qualifier=qualifier,
        value=D(value) if value is not None else None,
        detection_limit=D(limit) if limit else None,
        uncertainty=D(uncertainty) if uncertainty is not None else None,
        decimals=decimals,
    )
    return s.value, s.uncertainty


@pytest.mark.parametrize(
    ("value", "uncertainty", "expected"),
    [
        ("1.23456", "0.01234", ("1.235", "0.012")),
        # REFERENCE.md's examples of GUM 7.2.6.
        ("24.9372", "0.1311", ("24.94", "0.13")),
        ("128.4021", "12.84", ("128", "13")),
        # Two significant digits of a large uncertainty are hundreds: no exponent form.
        ("12840.2", "1284", ("12800", "1300")),
        # 0.0996 rounds to 0.10, two digits, not 0.100.
        ("5.2", "0.0996", ("5.20", "0.10")),
        # The value's tie goes to the even neighbour (the lab's rule); the uncertainty's tie goes up.
        ("2.345", "0.0125", ("2.345", "0.013")),
        ("2.3445", "0.011", ("2.344", "0.011")),
        ("-0.5", "0.0125", ("-0.500", "0.013")),
    ],
)
def test_the_uncertainty_sets_the_decimal_place(value, uncertainty, expected):
    # The panel's 2 decimals do not count once an uncertainty is stated.
    assert figures(value, uncertainty, decimals=2) == expected


def test_without_uncertainty_the_reporting_decimals_apply():
    assert figures("24.93721", None, decimals=2) == ("24.94", "")
    assert figures("0.0123456", None, decimals=3) == ("0.012", "")
    # An uncertainty of zero supports no precision: the reporting decimals apply to both.
    assert figures("22.5", "0", decimals=2) == ("22.50", "0.00")


def test_censored_values_keep_their_form():
    # The limit gets one decimal more than the value, rounded up so "<" stays true of the stored limit.
    assert figures(None, qualifier="<", limit="0.0544188", decimals=2) == ("<0.055", "")
    assert figures(None, qualifier="<", limit="0.05", decimals=2) == ("<0.050", "")
    # A limit too small for those places keeps two significant digits, never "<0.000".
    assert figures(None, qualifier="<", limit="0.0000512", decimals=2) == ("<0.000052", "")
    assert figures(None, qualifier="OR", decimals=2) == ("OR", "")
    # A dry value waiting for the moisture is not a number yet.
    assert figures(None, "0.1", decimals=2) == ("…", "")


def test_units_without_a_panel_entry_have_defaults():
    assert [precision.unit_decimals(u) for u in ("%", "g/t", "ppm", "ppb")] == [3, 2, 1, 0]


@pytest.fixture
def au(technician, sample):
    """Au by fire assay, 5.23456 g/t ± 0.01234 as received, entered by tess."""
    method = PanelEntry.objects.get(panel__material=sample.lot.material, analyte__symbol="Au").method
    (result,) = services.results_enter(
        actor=technician,
        method=method,
        entries=[
            services.ManualEntry(sample=sample, analyte=analyte("Au"), value=D("5.23456"), uncertainty=D("0.01234"))
        ],
    )
    return result


def test_stored_values_keep_full_precision(au):
    au.refresh_from_db()
    assert au.value_as_received == D("5.23456") and au.uncertainty_as_received == D("0.01234")
    assert au.display_value_as_received() == "5.235 g/t"
    assert au.display_uncertainty_as_received == "± 0.012"


def test_the_reporting_decimals_come_from_the_panel_entry(technician, sample):
    (h2o,) = manual(technician, "moisture", sample, H2O="8.123456")
    # Moisture: 2 decimals in the panel, no uncertainty entered.
    assert selectors.result_list(technician).get(pk=h2o.pk).display_value() == "8.12 %"
    PanelEntry.objects.filter(analyte__symbol="H2O").update(decimals=4)
    assert selectors.result_list(technician).get(pk=h2o.pk).display_value() == "8.1235 %"
    # A result read without the annotation looks its panel entry up.
    assert Result.objects.get(pk=h2o.pk).display_value() == "8.1235 %"


def test_the_api_gives_display_fields_beside_the_stored_values(client, reviewer, au):
    client.force_login(reviewer)
    body = client.get(reverse("api_result_detail", kwargs={"result_pk": au.pk})).json()
    assert body["value_as_received"] == "5.23456000"
    assert body["display_value_as_received"] == "5.235"
    assert body["display_uncertainty_as_received"] == "0.012"
    # The dry value waits for the moisture.
    assert body["value"] is None and body["display_value"] == "…" and body["display_uncertainty"] == ""
    listed = client.get(reverse("api_result_list"), {"sample": au.sample.code}).json()["results"][0]
    assert listed["display_value_as_received"] == "5.235"


def test_the_pages_show_the_rounded_figures(client, reviewer, au):
    client.force_login(reviewer)
    for url in (reverse("result_list"), reverse("result_review"), reverse("run_list")):
        response = client.get(url)
        assert response.status_code == 200
    page = client.get(reverse("result_list")).content.decode()
    assert "5.235 g/t" in page and "± 0.012" in page
    assert "5.23456" not in page and "0.01234" not in page
    review = client.get(reverse("result_review")).content.decode()
    assert "5.235 g/t" in review and "5.23456" not in review


def test_the_certificate_states_the_same_figures(technician, reviewer, manager, instrument, sample):
    from certificates import snapshot

    report(
        sample, technician=technician, reviewer=reviewer, instrument=instrument,
        rows=[f"{sample.code},{s},100,ug/L,,,sample" for s in icpms_symbols()],
        manual_results={
            "moisture": {"H2O": ("8.0", None)},
            "titration-cu": {"Cu": ("22.5312", "0.1311")},
            "fire-assay": {"Au": ("5.20", None), "Ag": ("41.0", None)},
        },
    )  # fmt: skip
    rows = {row["analyte"]: row for row in snapshot.build(sample=sample, authoriser=manager)["results"]}

    # Cu dry: 22.5312 / 0.92 = 24.4904... ± 0.1425: U to two digits (0.14), the value to its place.
    assert (rows["Cu"]["value"], rows["Cu"]["uncertainty"]) == ("24.49", "0.14")
    # Au, no uncertainty entered: 5.20 / 0.92 = 5.6521... at the panel's 2 decimals.
    assert (rows["Au"]["value"], rows["Au"]["uncertainty"]) == ("5.65", None)
    # La by ICP-MS: 100 ug/L x 50 mL / 0.25 g = 20 ppm, dry 21.739... ± 10 % (2.1739...) -> 21.7 ± 2.2.
    assert (rows["La"]["value"], rows["La"]["uncertainty"]) == ("21.7", "2.2")
    # The stored result keeps every digit.
    assert sample.results.get(analyte__symbol="Cu", status="approved").value_as_received == D("22.5312")
    # The results page shows the same figures.
    cu = selectors.result_list(reviewer).get(sample=sample, analyte__symbol="Cu", status="approved")
    assert cu.display_value() == "24.49 %" and cu.display_uncertainty == "± 0.14"
