"""Control baselines: a lab manager fixes the mean and standard deviation of a control series from a
period or chosen runs; the charts take their limits and Westgard rules from it alone, chart only
accepted runs, and show times in the laboratory's zone.

The series is CCU-1f's Sb (certified 85.5 ppm) by ICP-MS. History runs are stored as accepted runs
with their CRM check, at the recoveries the test names (measured = recovery x 85.5 / 100)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assays.baseline_models import ControlBaseline
from assays.control import Series, chart
from assays.models import Analyte, QCCheck, ReferenceMaterial, Run
from assays.services.baselines import control_baseline_fix
from lims.exceptions import ApplicationError, NotPermitted
from lims.models import AuditEvent
from tests.assays.test_web_runs import by_class, page, table_rows

D = Decimal
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Twenty recoveries alternating 99 and 101 %: mean 100, sample SD sqrt(20/19).
BASELINE = [D(99), D(101)] * 10
SD = (D(20) / D(19)).sqrt().quantize(D("1e-12"))


@pytest.fixture
def ccu(db):
    return ReferenceMaterial.objects.get(name="CCU-1f")


@pytest.fixture
def sb(db):
    return Analyte.objects.get(symbol="Sb")


@pytest.fixture
def series(icpms, sb, ccu):
    return Series("crm", icpms, sb, ccu)


def history_run(operator, instrument, method, crm, analyte, *, at, recovery, status="accepted", qualifier=""):
    """An accepted (or `status`) run holding one CRM recovery check of `recovery` % at `at`."""
    run = Run.objects.create(
        instrument=instrument, method=method, operator=operator, raw_file="runs/history.csv",
        filename=f"history-{at:%Y%m%d%H%M}.csv", sha256=uuid.uuid4().hex * 2, status=status, qc_status="passed",
        imported_at=at, withdraw_reason="wrong method" if status == "withdrawn" else "",
    )  # fmt: skip
    measured = D(recovery) * D("85.5") / 100
    QCCheck.objects.create(
        run=run, kind="crm_recovery", analyte=analyte, subject=crm.name, reference_material=crm, passed=True,
        figures={"measured": f"{measured}", "qualifier": qualifier, "expected": "85.5"}, message="", acquired_at=at,
    )  # fmt: skip
    return run


@pytest.fixture
def history(technician, instrument, icpms, ccu, sb):
    """Twenty accepted runs, one a day from 5 January, then three at 110 % from 1 March."""
    runs = [
        history_run(technician, instrument, icpms, ccu, sb, at=START + timedelta(days=i), recovery=value)
        for i, value in enumerate(BASELINE)
    ]
    later = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    runs += [
        history_run(technician, instrument, icpms, ccu, sb, at=later + timedelta(days=i), recovery=110)
        for i in range(3)
    ]
    return runs


def fix(manager, series, **kwargs):
    return control_baseline_fix(
        actor=manager, kind=series.kind, method=series.method, analyte=series.analyte,
        reference_material=series.crm, **kwargs,
    )  # fmt: skip


JANUARY = {"period_start": datetime(2026, 1, 1, tzinfo=UTC), "period_end": datetime(2026, 1, 31, tzinfo=UTC)}


def chart_url(ccu, symbol="Sb") -> str:
    return reverse("chart_crm", kwargs={"crm_pk": ccu.pk, "method": "icpms-4acid", "symbol": symbol})


def api_url(ccu) -> str:
    return reverse("api_chart_crm", kwargs={"crm_pk": ccu.pk, "method": "icpms-4acid", "symbol": "Sb"})


# The limits come from the baseline ---------------------------------------------------------------


def test_the_limits_are_the_baseline_periods_not_the_points_shown(manager, series, history, client):
    baseline = fix(manager, series, **JANUARY)

    # January's twenty results only: the three at 110 % in March are not part of it.
    assert (baseline.n, baseline.mean, baseline.sd) == (20, D(100), SD)
    assert baseline.unit == "%"
    assert sorted(baseline.runs.values_list("pk", flat=True)) == [run.pk for run in history[:20]]
    shown = chart(series)
    assert len(shown.points) == 23
    assert shown.limits["mean"] == D(100) and shown.limits["control_high"] == D(100) + 3 * SD
    # Judged against the baseline, each March point lies beyond +3 SD (103.08).
    assert [p.rules for p in shown.points[20:]] == [["1-3s", "R-4s"], ["1-3s", "2-2s"], ["1-3s", "2-2s"]]
    assert all(p.in_baseline for p in shown.points[:20]) and not any(p.in_baseline for p in shown.points[20:])

    client.force_login(manager)
    response = client.get(chart_url(series.crm))
    assert response.status_code == 200
    svg = by_class(page(response), "div", "chart")[0]
    (mean_line,) = svg.xpath(".//*[local-name()='line'][@class='mean']")
    assert D(mean_line.get("data-value")) == D(100)
    data = client.get(api_url(series.crm)).json()
    assert D(data["baseline"]["mean"]) == D(100) and data["baseline"]["n"] == 20
    assert [p["flags"][0]["rule"] for p in data["points"][20:]] == ["1-3s", "1-3s", "1-3s"]
    assert data["points"][20]["flags"][1] == {"rule": "R-4s", "side": 0, "first_run": history[19].pk}


def test_later_results_never_move_the_frozen_limits(manager, technician, instrument, icpms, ccu, sb, series, history):
    baseline = fix(manager, series, **JANUARY)
    history_run(technician, instrument, icpms, ccu, sb, at=datetime(2026, 1, 20, 12, tzinfo=UTC), recovery=120)

    baseline.refresh_from_db()
    # A result added inside the period later changes nothing fixed.
    assert (baseline.n, baseline.mean, baseline.sd) == (20, D(100), SD)
    assert chart(series).limits["mean"] == D(100)


def test_without_a_baseline_the_chart_says_so_and_shows_no_limits(reviewer, series, history, client):
    client.force_login(reviewer)

    response = client.get(chart_url(series.crm))

    assert response.status_code == 200
    assert response.context["chart"].limits is None
    body = page(response)
    assert by_class(body, "div", "no-baseline")
    svg = by_class(body, "div", "chart")[0]
    assert not svg.xpath(".//*[local-name()='line'][@class]")  # no mean, warning or control line
    assert not by_class(body, "span", "qc-failed")  # no rule judged
    data = client.get(api_url(series.crm)).json()
    assert data["baseline"] is None and all(p["flags"] == [] for p in data["points"])
    assert data["message"].startswith("No baseline is fixed")


def test_the_baseline_may_be_chosen_by_runs(manager, series, history):
    chosen = history[:20]

    baseline = fix(manager, series, runs=chosen)

    assert (baseline.n, baseline.mean, baseline.period_start) == (20, D(100), None)


def test_a_chosen_run_outside_the_series_is_refused(manager, technician, instrument, icpms, ccu, series, history):
    other = history_run(technician, instrument, icpms, ccu, Analyte.objects.get(symbol="La"), at=START, recovery=100)

    with pytest.raises(ApplicationError) as refused:
        fix(manager, series, runs=[*history[:20], other])

    assert refused.value.field == "runs" and f"Runs {other.pk} hold no accepted result" in refused.value.message
    assert not ControlBaseline.objects.exists()


def test_too_few_results_are_refused(manager, series, history):
    with pytest.raises(ApplicationError) as refused:
        fix(manager, series, period_start=START, period_end=START + timedelta(days=18))

    # Nineteen results: one short.
    assert "holds 19 results" in refused.value.message and "at least 20" in refused.value.message
    assert refused.value.field == "period_start"
    assert not ControlBaseline.objects.exists()


def test_results_without_spread_are_refused(manager, technician, instrument, icpms, ccu, sb, series):
    for i in range(20):
        history_run(technician, instrument, icpms, ccu, sb, at=START + timedelta(days=i), recovery=100)

    with pytest.raises(ApplicationError, match="all equal"):
        fix(manager, series, **JANUARY)


def test_a_period_and_runs_together_are_refused(manager, series, history):
    with pytest.raises(ApplicationError, match="either a period"):
        fix(manager, series, runs=history[:20], **JANUARY)


# Runs in preview, discarded or withdrawn --------------------------------------------------------


@pytest.mark.parametrize("status", ["preview", "discarded", "withdrawn"])
def test_runs_not_accepted_are_left_out(manager, technician, instrument, icpms, ccu, sb, series, history, status):
    # A wild result inside January on a run that is not accepted.
    stray = history_run(
        technician, instrument, icpms, ccu, sb, at=datetime(2026, 1, 10, 12, tzinfo=UTC), recovery=150, status=status
    )

    baseline = fix(manager, series, **JANUARY)

    assert (baseline.n, baseline.mean) == (20, D(100))
    assert stray.pk not in {p.run_id for p in chart(series).points}
    with pytest.raises(ApplicationError, match=f"Runs {stray.pk} hold no accepted result"):
        fix(manager, series, runs=[*history[:20], stray], reason="with the stray")


def test_censored_controls_are_not_charted(technician, instrument, icpms, ccu, sb, series, history):
    history_run(technician, instrument, icpms, ccu, sb, at=START, recovery=1, qualifier="<")

    shown = chart(series)

    assert len(shown.points) == 23 and shown.skipped == 1


# Who may fix it ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["technician", "reviewer", "exporter", "inspector"])
def test_only_a_lab_manager_fixes_a_baseline(request, who, series, history, client):
    user = request.getfixturevalue(who)

    with pytest.raises(NotPermitted):
        fix(user, series, **JANUARY)

    client.force_login(user)
    url = reverse("chart_crm_baseline", kwargs={"crm_pk": series.crm.pk, "method": "icpms-4acid", "symbol": "Sb"})
    form = {"period_start": "2026-01-01T00:00", "period_end": "2026-01-31T00:00"}
    assert client.post(url, form).status_code == 403
    api = reverse("api_chart_crm_baseline", kwargs={"crm_pk": series.crm.pk, "method": "icpms-4acid", "symbol": "Sb"})
    response = client.post(api, {"period_start": "2026-01-01T00:00:00Z", "period_end": "2026-01-31T00:00:00Z"})
    assert response.status_code == 403 and "message" in response.json()
    assert not ControlBaseline.objects.exists()


@pytest.mark.parametrize("who", ["exporter", "inspector"])
def test_charts_are_for_laboratory_roles_only(request, who, series, history, client):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("chart_index")).status_code == 403
    assert client.get(chart_url(series.crm)).status_code == 403
    assert client.get(api_url(series.crm)).status_code == 403
    assert client.get(reverse("api_chart_index")).status_code == 403


def test_a_manager_fixes_it_on_the_chart_page_and_it_is_audited(manager, series, history, client):
    client.force_login(manager)
    url = reverse("chart_crm_baseline", kwargs={"crm_pk": series.crm.pk, "method": "icpms-4acid", "symbol": "Sb"})

    response = client.post(url, {"period_start": "2026-01-01T00:00", "period_end": "2026-01-31T00:00"})

    assert response.status_code == 302 and response.url == chart_url(series.crm)
    baseline = ControlBaseline.objects.get()
    assert (baseline.n, baseline.mean, baseline.fixed_by) == (20, D(100), manager)
    event = AuditEvent.objects.get(action="control_baseline.fix")
    assert (event.actor, event.object_id, event.data["n"], event.data["replaces"]) == (
        manager,
        str(baseline.pk),
        20,
        None,
    )


def test_a_refusal_shows_next_to_the_field(manager, series, history, client):
    client.force_login(manager)
    url = reverse("chart_crm_baseline", kwargs={"crm_pk": series.crm.pk, "method": "icpms-4acid", "symbol": "Sb"})

    response = client.post(url, {"period_start": "2026-01-01T00:00", "period_end": "2026-01-10T00:00"})

    assert response.status_code == 400
    assert "a baseline needs at least 20" in str(response.context["form"].errors["period_start"])


def test_replacing_a_baseline_needs_a_reason_and_keeps_the_old_one(manager, series, history, client):
    first = fix(manager, series, **JANUARY)

    with pytest.raises(ApplicationError) as refused:
        fix(manager, series, runs=history[3:23])
    assert refused.value.field == "reason"

    client.force_login(manager)
    api = reverse("api_chart_crm_baseline", kwargs={"crm_pk": series.crm.pk, "method": "icpms-4acid", "symbol": "Sb"})
    response = client.post(
        api, {"runs": [run.pk for run in history[3:23]], "reason": "New lot of CCU-1f"}, content_type="application/json"
    )

    assert response.status_code == 201
    second = ControlBaseline.objects.get(pk=response.json()["id"])
    first.refresh_from_db()
    assert (first.replaced_by, first.replaced_at) == (manager, second.fixed_at)
    assert series.baseline() == second and second.n == 20
    # 17 results at 99/101 and three at 110.
    assert second.mean == (D(99) * 8 + D(101) * 9 + D(110) * 3) / 20
    assert AuditEvent.objects.filter(action="control_baseline.fix").count() == 2
    assert AuditEvent.objects.get(object_id=str(second.pk)).data["replaces"] == first.pk


# Times in the laboratory's zone -----------------------------------------------------------------


def test_times_are_the_laboratorys(settings, manager, technician, instrument, icpms, ccu, sb, series, history, client):
    settings.TIME_ZONE = "Asia/Kathmandu"  # UTC+05:45: no chance of agreeing with UTC by accident
    history_run(technician, instrument, icpms, ccu, sb, at=datetime(2026, 3, 10, 20, 30, tzinfo=UTC), recovery=100)
    client.force_login(manager)

    response = client.get(chart_url(ccu))
    data = client.get(api_url(ccu)).json()

    # 20:30 UTC is 02:15 the next day in Kathmandu.
    assert table_rows(page(response))[0][0] == "2026-03-11 02:15"
    assert data["points"][-1]["at"] == "2026-03-11T02:15:00+05:45"
    # The period a manager types is read in the laboratory's zone too: 5 January 09:00 UTC is 14:45 there,
    # so a period from 14:46 leaves the first result out.
    url = reverse("chart_crm_baseline", kwargs={"crm_pk": ccu.pk, "method": "icpms-4acid", "symbol": "Sb"})
    response = client.post(url, {"period_start": "2026-01-05T14:46", "period_end": "2026-01-31T00:00"})
    assert response.status_code == 400
    assert "holds 19 results" in str(response.context["form"].errors["period_start"])
    response = client.post(url, {"period_start": "2026-01-05T14:45", "period_end": "2026-01-31T00:00"})
    assert response.status_code == 302 and ControlBaseline.objects.get().n == 20
