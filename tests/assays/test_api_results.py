"""Results through the API: lists with filters, approve and reject by a second person, manual
entry all or nothing, and a sample's panel with whether it is complete. Exporters see none of it:
results reach them on certificates."""

import pytest
from rest_framework.test import APIClient

from assays import services
from assays.models import PanelEntry, Result
from samples.models import Sample
from tests.assays.conftest import csv_file, import_run, manual, qc_rows, sample_rows
from tests.conftest import received

RESULTS = "/api/v1/results/"
MANUAL = "/api/v1/results/manual/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def decide(user, result, decision: str, **data):
    return client_for(user).post(f"{RESULTS}{result.pk}/{decision}/", data, format="json")


def listed(user, **filters) -> list[str]:
    response = client_for(user).get(RESULTS, filters)
    assert response.status_code == 200, response.json()
    return sorted(f"{r['sample']} {r['analyte']}" for r in response.json()["results"])


# Lists ----------------------------------------------------------------------------------------


@pytest.fixture
def run(technician, instrument, icpms, sample):
    """An accepted, QC-passed run that gave the sample its La result."""
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"])))
    services.run_accept(actor=technician, run=run)
    return run


@pytest.fixture
def received_too(lot, sampler, technician):
    """A second laboratory split, received like the first."""
    return received(lot, sampler, technician)


def test_the_list_filters_by_status_sample_analyte_method_and_run(reviewer, technician, run, sample, received_too):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    services.result_approve(actor=reviewer, result=moisture)
    manual(technician, "fire-assay", received_too, Au="5")
    s, o = sample.code, received_too.code

    assert listed(reviewer) == [f"{s} H2O", f"{s} La", f"{o} Au"]
    # Each filter narrows the list to what it names.
    assert listed(reviewer, status="approved") == [f"{s} H2O"]
    assert listed(reviewer, sample=o) == [f"{o} Au"]
    assert listed(reviewer, analyte="La") == [f"{s} La"]
    assert listed(reviewer, method="fire-assay") == [f"{o} Au"]
    assert listed(reviewer, run=run.pk) == [f"{s} La"]


def test_one_result_shows_its_history(reviewer, technician, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    services.result_approve(actor=reviewer, result=moisture, reason="Duplicate agrees.")

    body = client_for(technician).get(f"{RESULTS}{moisture.pk}/").json()

    assert [(e["action"], e["actor"], e["reason"]) for e in body["events"]] == [
        ("enter", "tess", ""),
        ("approve", "rita", "Duplicate agrees."),
    ]


# Approve and reject ---------------------------------------------------------------------------


def test_the_reviewer_approves_a_result_entered_by_another(reviewer, technician, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")

    response = decide(reviewer, moisture, "approve", reason="ok")

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["decided_by"]) == ("approved", "rita")
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.APPROVED


def test_nobody_approves_their_own_result(manager, sample):
    # The manager may enter and approve, never both on one result.
    (moisture,) = manual(manager, "moisture", sample, H2O="8")

    response = decide(manager, moisture, "approve")

    assert response.status_code == 403
    assert "second person" in response.json()["message"]
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.ENTERED and moisture.decided_by is None


def test_nobody_rejects_their_own_result(manager, sample):
    (moisture,) = manual(manager, "moisture", sample, H2O="8")

    assert decide(manager, moisture, "reject", reason="I typed it wrong.").status_code == 403
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.ENTERED


def test_a_result_of_a_qc_failed_run_waits_for_an_override(reviewer, technician, instrument, icpms, sample):
    failed = import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))
    services.run_accept(actor=technician, run=failed)
    # The moisture is approved, so the dry basis is not what holds the La result back.
    (moisture,) = manual(technician, "moisture", sample, H2O="5")
    services.result_approve(actor=reviewer, result=moisture)
    la = sample.results.get(analyte__symbol="La")

    response = decide(reviewer, la, "approve")

    assert response.status_code == 409
    assert response.json()["message"].startswith(f"Run {failed.pk} failed QC")
    la.refresh_from_db()
    assert la.status == Result.Status.ENTERED


def test_a_rejection_needs_a_reason(reviewer, technician, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")

    refused = decide(reviewer, moisture, "reject", reason="")
    assert refused.status_code == 400
    assert refused.json()["extra"] == {"field": "reason"}
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.ENTERED

    response = decide(reviewer, moisture, "reject", reason="Crucible cracked.")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("rejected", "Crucible cracked.")


def test_a_decided_result_is_not_decided_again(reviewer, manager, technician, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    decide(reviewer, moisture, "approve")

    assert decide(manager, moisture, "reject", reason="Second thoughts.").status_code == 409
    moisture.refresh_from_db()
    assert (moisture.status, moisture.decided_by) == (Result.Status.APPROVED, reviewer)


# Manual entry ---------------------------------------------------------------------------------


def enter(user, *entries, method="fire-assay"):
    return client_for(user).post(MANUAL, {"method": method, "entries": list(entries)}, format="json")


def test_it_enters_manual_results(technician, sample):
    response = enter(
        technician,
        {"sample": sample.code, "analyte": "Au", "value": "5200", "unit": "ppb", "uncertainty": "100"},
        {"sample": sample.code, "analyte": "Ag", "value": "1", "qualifier": "<"},
    )

    assert response.status_code == 201, response.json()
    by_analyte = {r["analyte"]: r for r in response.json()}
    # Converted to the panel's unit; a censored value keeps its limit and has no value.
    assert (by_analyte["Au"]["value_as_received"], by_analyte["Au"]["uncertainty_as_received"]) == (
        "5.20000000",
        "0.10000000",
    )
    assert by_analyte["Au"]["unit"] == "g/t" and by_analyte["Au"]["status"] == "entered"
    assert by_analyte["Ag"]["value_as_received"] is None
    assert by_analyte["Ag"]["detection_limit_as_received"] == "1.00000000"
    assert sample.results.count() == 2


def test_one_bad_entry_saves_none_of_them(technician, sample):
    response = enter(
        technician,
        {"sample": sample.code, "analyte": "Au", "value": "5.2"},
        # La is measured by ICP-MS, not by fire assay.
        {"sample": sample.code, "analyte": "La", "value": "5"},
    )

    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "La of Copper concentrate is not determined by Fire assay with gravimetric finish."
    )
    assert not Result.objects.exists()
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED  # not even moved to analysis


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"value": "-5"}, "Entry 2: a content cannot be negative."),
        ({"sample": "NO-SUCH-SAMPLE"}, "Entry 2: no sample NO-SUCH-SAMPLE."),
    ],
    ids=["negative", "unknown-sample"],
)
def test_a_bad_entry_is_named_by_its_position(technician, sample, entry, message):
    response = enter(
        technician,
        {"sample": sample.code, "analyte": "Au", "value": "5.2"},
        {"sample": sample.code, "analyte": "Ag", "value": "40"} | entry,
    )

    assert response.status_code == 400
    assert response.json()["message"] == message
    assert not Result.objects.exists()


def test_a_second_current_result_is_a_conflict(technician, sample):
    manual(technician, "fire-assay", sample, Au="5")

    response = enter(technician, {"sample": sample.code, "analyte": "Au", "value": "6"})

    assert response.status_code == 409
    assert response.json()["extra"] == {"sample": sample.code, "analyte": "Au"}
    assert sample.results.count() == 1


def test_reviewers_do_not_enter_results(reviewer, sample):
    assert enter(reviewer, {"sample": sample.code, "analyte": "Au", "value": "5"}).status_code == 403
    assert not Result.objects.exists()


# A sample's panel -----------------------------------------------------------------------------


def sample_panel(user, sample):
    return client_for(user).get(f"/api/v1/samples/{sample.code}/results/")


def test_it_shows_the_panel_with_the_current_results(technician, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")

    body = sample_panel(technician, sample).json()

    assert body["sample"] == sample.code and body["complete"] is False
    rows = {row["analyte"]: row for row in body["results"]}
    # Every analyte of the panel has its line, with or without a result.
    assert set(rows) == set(
        PanelEntry.objects.filter(panel__material=sample.lot.material).values_list("analyte__symbol", flat=True)
    )
    assert (rows["H2O"]["method"], rows["H2O"]["unit"]) == ("moisture", "%")
    assert rows["H2O"]["result"]["id"] == moisture.pk
    assert rows["Au"]["result"] is None


def test_the_panel_is_complete_once_every_analyte_is_approved(technician, reviewer, instrument, icpms, sample):
    icp = list(
        PanelEntry.objects.filter(panel__material=sample.lot.material, method=icpms).values_list(
            "analyte__symbol", flat=True
        )
    )
    services.run_accept(
        actor=technician,
        run=import_run(technician, instrument, icpms, csv_file(*qc_rows(icp), *sample_rows(sample.code, icp))),
    )
    manual(technician, "moisture", sample, H2O="7.5")
    manual(technician, "titration-cu", sample, Cu="22.1")
    manual(technician, "fire-assay", sample, Au="4.2", Ag="<1")
    # The moisture first: the dry values wait for it.
    pending = sorted(sample.results.all(), key=lambda r: r.analyte.symbol != "H2O")
    for result in pending[:-1]:
        services.result_approve(actor=reviewer, result=result)
    assert sample_panel(technician, sample).json()["complete"] is False

    services.result_approve(actor=reviewer, result=pending[-1])

    body = sample_panel(technician, sample).json()
    assert body["complete"] is True
    assert {row["result"]["status"] for row in body["results"]} == {"approved"}


# Exporters ------------------------------------------------------------------------------------


def test_exporters_get_no_results_from_any_endpoint(exporter, technician, sample):
    # Alice owns the lot and sees the sample, but results reach her on certificates only.
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    client = client_for(exporter)

    calls = [
        client.get(RESULTS),
        client.get(f"{RESULTS}{moisture.pk}/"),
        client.post(f"{RESULTS}{moisture.pk}/approve/", {}, format="json"),
        client.post(f"{RESULTS}{moisture.pk}/reject/", {"reason": "no"}, format="json"),
        client.post(
            MANUAL,
            {"method": "fire-assay", "entries": [{"sample": sample.code, "analyte": "Au", "value": "5"}]},
            format="json",
        ),
        client.get(f"/api/v1/samples/{sample.code}/results/"),
    ]

    assert [response.status_code for response in calls] == [403] * 6
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.ENTERED
    assert sample.results.count() == 1
