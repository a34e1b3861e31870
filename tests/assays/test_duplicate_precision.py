"""Duplicate precision per analyte (Thompson-Howarth): each duplicate pair of an accepted run as its
relative difference |a - b| / mean against its mean, with real imported runs; no target line, since
the reference data holds no precision target."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from assays import services
from assays.charts import precision_chart_svg
from tests.assays.conftest import csv_file, import_run, qc_rows
from tests.conftest import received

D = Decimal


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_with_duplicate(technician, instrument, icpms, sample, a: str, b: str, *, dup_qualifier=""):
    rows = [
        *qc_rows(["La"]),
        f"{sample.code},La,{a},ug/L,,0.01,sample",
        f"{sample.code} DUP,La,{b},ug/L,{dup_qualifier},0.01,duplicate",
    ]
    return import_run(technician, instrument, icpms, csv_file(*rows), filename=f"dup-{a}-{b}.csv")


@pytest.fixture
def pairs(technician, sampler, lot, instrument, icpms):
    """Two accepted runs with pairs 100/104 and 10/11 ug/L (both within their RPD limits), and one in
    preview with 50/60."""
    made = []
    for a, b in (("100", "104"), ("10", "11")):
        run = run_with_duplicate(technician, instrument, icpms, received(lot, sampler, technician), a, b)
        services.run_accept(actor=technician, run=run)
        made.append(run)
    made.append(run_with_duplicate(technician, instrument, icpms, received(lot, sampler, technician), "50", "60"))
    return made


def test_each_accepted_pair_is_charted_as_its_relative_difference(client, technician, pairs):
    client.force_login(technician)

    response = client.get(reverse("chart_precision", kwargs={"method": "icpms-4acid", "symbol": "La"}))

    assert response.status_code == 200
    (chart,) = response.context["charts"]
    assert chart["unit"] == "ug/L"
    # Newest first: 10/11 (mean 10.5, 9.52 %), then 100/104 (mean 102, 3.92 %); the preview run is left out.
    assert [(p.mean, p.relative_pct.quantize(D("0.01"))) for p in chart["points"]] == [
        (D("10.5"), D("9.52")),
        (D("102"), D("3.92")),
    ]
    data = client.get(reverse("api_chart_precision", kwargs={"method": "icpms-4acid", "symbol": "La"})).json()
    assert data["target_pct"] is None and data["not_charted"] == 0
    (group,) = data["groups"]
    assert [(D(p["a"]), D(p["b"])) for p in group["points"]] == [(D(100), D(104)), (D(10), D(11))]
    assert D(group["points"][0]["relative_pct"]) == D(4) * 100 / D(102)


def test_the_index_links_the_analytes_with_pairs(client, reviewer, pairs):
    client.force_login(reviewer)

    response = client.get(reverse("chart_index"))

    assert [(m.code, a.symbol) for m, a in response.context["precision"]] == [("icpms-4acid", "La")]


def test_the_svg_puts_higher_relative_differences_higher_and_larger_means_further_right():
    svg = precision_chart_svg([(D("102"), D("3.92"), "a"), (D("10.5"), D("9.52"), "b")], title="La", unit="ug/L")
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    circles = {c.get("data-mean"): c for c in root.iter("{http://www.w3.org/2000/svg}circle")}
    assert float(circles["102"].get("cx")) > float(circles["10.5"].get("cx"))
    assert float(circles["102"].get("cy")) > float(circles["10.5"].get("cy"))  # lower on the page
    assert "<line class=" not in svg  # no target line


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["exporter", "inspector"])
def test_precision_is_for_laboratory_roles_only(request, client, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("chart_precision", kwargs={"method": "icpms-4acid", "symbol": "La"})).status_code == 403
    url = reverse("api_chart_precision", kwargs={"method": "icpms-4acid", "symbol": "La"})
    assert client.get(url).status_code == 403
