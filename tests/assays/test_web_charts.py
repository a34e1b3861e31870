"""Control charts on the web: the index of control series of accepted runs, each chart drawn as an
SVG for the laboratory (not for exporters), with real imported runs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assays import services
from assays.models import ReferenceMaterial
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows
from tests.assays.test_qc_gate import crm_row
from tests.assays.test_web_runs import by_class, page, table_rows
from tests.conftest import received


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ccu(db):
    return ReferenceMaterial.objects.get(name="CCU-1f")


def run_with_crm(technician, instrument, icpms, sample, sb_ppm: str):
    """A run measuring CCU-1f (Sb certified at 85.5 ppm) next to the sample."""
    data = csv_file(*qc_rows(["Sb"]), crm_row(sb_ppm), *sample_rows(sample.code, ["Sb"]))
    return import_run(technician, instrument, icpms, data, filename=f"run-{sb_ppm}.csv")


@pytest.fixture
def runs(technician, sampler, lot, instrument, icpms):
    # Recoveries of 100 % and 105 %, both runs accepted, each with a sample of its own.
    made = [
        run_with_crm(technician, instrument, icpms, received(lot, sampler, technician), ppm)
        for ppm in ("85.5", "89.775")
    ]
    for run in made:
        services.run_accept(actor=technician, run=run)
    return made


def chart_url(crm, symbol="Sb") -> str:
    return reverse("chart_crm", kwargs={"crm_pk": crm.pk, "method": "icpms-4acid", "symbol": symbol})


def test_the_index_lists_the_series_measured(client, reviewer, runs, ccu):
    client.force_login(reviewer)

    response = client.get(reverse("chart_index"))

    assert response.status_code == 200
    # CCU-1f was measured for Sb, and the calibration blanks (below their detection limit) for Sb.
    assert [(series.name, baseline) for series, baseline in response.context["rows"]] == [
        ("CRM CCU-1f Sb", None),
        ("blank Sb", None),
    ]
    assert page(response).xpath(f"//a[@href='{chart_url(ccu)}']")


def test_the_index_says_when_nothing_was_measured(client, reviewer):
    client.force_login(reviewer)
    assert "No reference material or blank of an accepted run" in client.get(reverse("chart_index")).content.decode()


def test_the_chart_draws_every_recovery_of_the_series(client, technician, runs, ccu):
    client.force_login(technician)

    response = client.get(chart_url(ccu))

    assert response.status_code == 200
    # The picture is inline SVG, not an image to fetch.
    (chart,) = by_class(page(response), "div", "chart")
    assert chart.xpath("./*[local-name()='svg']")
    # One row per run, newest first, with its recovery.
    recoveries = [Decimal(row[1]) for row in table_rows(page(response))]
    assert recoveries == [Decimal("105.0000"), Decimal("100.0000")]


def test_a_run_in_preview_is_not_charted_until_accepted(client, technician, instrument, icpms, sample, runs, ccu):
    held = run_with_crm(technician, instrument, icpms, sample, "94.05")
    client.force_login(technician)

    points = client.get(chart_url(ccu)).context["chart"].points

    assert held.pk not in {p.run_id for p in points} and len(points) == 2


def test_an_unknown_analyte_or_method_has_no_chart(client, technician, runs, ccu):
    client.force_login(technician)
    assert client.get(chart_url(ccu, "Unobtainium")).status_code == 404
    url = reverse("chart_crm", kwargs={"crm_pk": ccu.pk, "method": "no-such-method", "symbol": "Sb"})
    assert client.get(url).status_code == 404


def test_exporters_see_no_control_charts(client, exporter, runs, ccu):
    client.force_login(exporter)

    # QC is the laboratory's working record.
    assert client.get(reverse("chart_index")).status_code == 403
    assert client.get(chart_url(ccu)).status_code == 403
