"""The run's QC page names the Westgard rule a reference material breaks against its series'
baseline: a run in preview is judged against the accepted runs before it, before anyone accepts it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assays.models import Analyte, ReferenceMaterial
from assays.services.baselines import control_baseline_fix
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows
from tests.assays.test_control_baseline import BASELINE, history_run
from tests.assays.test_qc_gate import crm_row
from tests.assays.test_web_runs import by_class, page

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ccu(db):
    return ReferenceMaterial.objects.get(name="CCU-1f")


@pytest.fixture
def sb(db):
    return Analyte.objects.get(symbol="Sb")


@pytest.fixture
def baseline(manager, technician, instrument, icpms, ccu, sb):
    """Twenty accepted runs of CCU-1f Sb at 99 and 101 % (mean 100, SD 1.026), fixed as the baseline."""
    for i, recovery in enumerate(BASELINE):
        history_run(technician, instrument, icpms, ccu, sb, at=START + timedelta(days=i), recovery=recovery)
    return control_baseline_fix(
        actor=manager, kind="crm", method=icpms, analyte=sb, reference_material=ccu,
        period_start=START, period_end=START + timedelta(days=30),
    )  # fmt: skip


def imported(technician, instrument, icpms, sample, recovery: str):
    """A run in preview whose CCU-1f reads `recovery` % of its certified 85.5 ppm Sb."""
    ppm = Decimal(recovery) * Decimal("85.5") / 100
    data = csv_file(*qc_rows(["Sb"]), crm_row(str(ppm)), *sample_rows(sample.code, ["Sb"]))
    return import_run(technician, instrument, icpms, data)


def flags_on(client, run) -> list[str]:
    response = client.get(reverse("run_detail", kwargs={"run_pk": run.pk}))
    assert response.status_code == 200
    return [li.text_content().strip() for li in by_class(page(response), "li", "westgard")]


def test_the_run_page_names_the_broken_rule(client, technician, instrument, icpms, ccu, sb, sample, baseline):
    # The last accepted run read 103 % (+2.9 SD); this run reads 103 % too: two in a row beyond +2 SD.
    before = history_run(technician, instrument, icpms, ccu, sb, at=datetime(2026, 2, 10, tzinfo=UTC), recovery=103)
    run = imported(technician, instrument, icpms, sample, "103")
    assert run.status == "preview" and run.qc_status == "passed"  # within the certificate's ±10 %
    client.force_login(technician)

    flags = flags_on(client, run)

    assert flags == [
        f"Westgard 2-2s: CRM CCU-1f Sb, this run and the previous beyond +2s (runs {before.pk}, {run.pk}). chart"
    ]


def test_a_run_within_the_rules_names_none(client, technician, instrument, icpms, ccu, sb, sample, baseline):
    history_run(technician, instrument, icpms, ccu, sb, at=datetime(2026, 2, 10, tzinfo=UTC), recovery=103)
    run = imported(technician, instrument, icpms, sample, "100")
    client.force_login(technician)

    assert flags_on(client, run) == []


def test_one_result_beyond_3s_is_named(client, technician, instrument, icpms, sample, baseline):
    run = imported(technician, instrument, icpms, sample, "94")
    client.force_login(technician)

    # 94 % is 5.8 SD below the mean; and 94 - 101 is a range of 7, over 4 SD (4.1).
    assert flags_on(client, run) == [
        "Westgard 1-3s: CRM CCU-1f Sb, this run beyond -3s (94.00 %). chart",
        f"Westgard R-4s: CRM CCU-1f Sb, this run and the previous differ by more than 4s (runs "
        f"{baseline.runs.order_by('-imported_at').first().pk}, {run.pk}). chart",
    ]


def test_without_a_baseline_the_run_page_says_nothing_was_judged(client, technician, instrument, icpms, sample):
    run = imported(technician, instrument, icpms, sample, "94")
    client.force_login(technician)

    response = client.get(reverse("run_detail", kwargs={"run_pk": run.pk}))

    assert not by_class(page(response), "li", "westgard")
    (note,) = by_class(page(response), "p", "westgard-unjudged")
    assert "No baseline fixed, so no Westgard rule judged, for: CRM CCU-1f Sb, blank Sb." in " ".join(
        note.text_content().split()
    )
