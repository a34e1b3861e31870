"""Control charts of reference materials: every CRM recovery check of the runs imported, per
reference material and analyte, drawn as an SVG for the laboratory (not for exporters)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assays import services
from assays.models import ReferenceMaterial
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows
from tests.assays.test_qc_gate import crm_row
from tests.assays.test_web_runs import by_class, page, table_rows


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ccu(db):
    return ReferenceMaterial.objects.get(name="CCU-1f")


def run_with_crm(technician, instrument, icpms, sample, sb_ppm: str):
    """A run measuring CCU-1f (Sb certified at 85.5 ppm) next to the sample."""
    data = csv_file(*qc_rows(["La"]), crm_row(sb_ppm), *sample_rows(sample.code, ["La"]))
    return import_run(technician, instrument, icpms, data)


@pytest.fixture
def runs(technician, instrument, icpms, sample):
    # Recoveries of 100 % and 105 %.
    return [run_with_crm(technician, instrument, icpms, sample, ppm) for ppm in ("85.5", "89.775")]


def chart_url(crm, symbol="Sb") -> str:
    return reverse("chart_detail", kwargs={"crm_pk": crm.pk, "symbol": symbol})


def test_the_index_lists_the_reference_materials_measured(client, reviewer, runs, ccu):
    client.force_login(reviewer)

    response = client.get(reverse("chart_index"))

    assert response.status_code == 200
    # CCU-1f was measured for Sb: one chart, linked from the index.
    assert [(crm.name, [a.symbol for a in analytes]) for crm, analytes in response.context["pairs"]] == [
        ("CCU-1f", ["Sb"])
    ]
    assert page(response).xpath(f"//a[@href='{chart_url(ccu)}']")


def test_the_index_says_when_nothing_was_measured(client, reviewer):
    client.force_login(reviewer)
    assert "No reference material has been measured yet." in client.get(reverse("chart_index")).content.decode()


def test_the_chart_draws_every_recovery_of_the_pair(client, technician, runs, ccu):
    client.force_login(technician)

    response = client.get(chart_url(ccu))

    assert response.status_code == 200
    # The picture is inline SVG, not an image to fetch.
    (chart,) = by_class(page(response), "div", "chart")
    assert chart.xpath("./*[local-name()='svg']")
    # One row per run, in time order, with its recovery.
    recoveries = [Decimal(row[1]) for row in table_rows(page(response))]
    assert [r.quantize(Decimal("0.1")) for r in recoveries] == [Decimal("100.0"), Decimal("105.0")]
    assert response.context["limits"]["n"] == 2


def test_a_discarded_run_leaves_the_chart(client, technician, runs, ccu):
    services.run_discard(actor=technician, run=runs[1])
    client.force_login(technician)

    response = client.get(chart_url(ccu))

    # The discarded run never produced results; its CRM check says nothing about the method.
    assert [label for _when, _recovery, label in response.context["points"]] == [f"run {runs[0].pk}: CCU-1f"]


def test_an_unknown_analyte_has_no_chart(client, technician, runs, ccu):
    client.force_login(technician)
    assert client.get(chart_url(ccu, "Unobtainium")).status_code == 404


def test_exporters_see_no_control_charts(client, exporter, runs, ccu):
    client.force_login(exporter)

    # QC is the laboratory's working record.
    assert client.get(reverse("chart_index")).status_code == 403
    assert client.get(chart_url(ccu)).status_code == 403
