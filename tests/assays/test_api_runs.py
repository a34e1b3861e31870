"""Runs through the API: uploading a file (multipart), answered at once with the run queued for the
imports worker, which leaves it in preview with its QC checks or refused with every problem; the
readings page by page, and accept, discard and QC override with their refusals as
{"message", "extra"} bodies."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from assays.models import Result, Run
from tests.assays.conftest import csv_file, import_run, sample_rows
from tests.assays.test_web_runs import clean_run_file, nothing_stored, work_the_imports_queue

RUNS = "/api/v1/runs/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_run(user, data: bytes, *, filename="run.csv", **fields):
    form = {
        "file": SimpleUploadedFile(filename, data, content_type="text/csv"),
        "instrument": "SG-1",
        "method": "icpms-4acid",
        "prep_mass_g": "0.25",
        "prep_volume_ml": "50",
    }
    return client_for(user).post(RUNS, form | fields, format="multipart")


def action(user, run, name: str, **data):
    return client_for(user).post(f"{RUNS}{run.pk}/{name}/", data, format="json")


# Import ---------------------------------------------------------------------------------------


def test_it_imports_a_file_as_a_run_in_preview(technician, instrument, icpms, sample):
    response = post_run(technician, clean_run_file(sample))

    # Answered at once: the web process stored the file, a worker parses it.
    assert response.status_code == 202, response.json()
    queued = response.json()
    assert (queued["status"], queued["qc_status"], queued["qc_checks"]) == ("queued", "pending", [])
    assert response["Location"] == f"{RUNS}{queued['id']}/"
    work_the_imports_queue()
    body = client_for(technician).get(response["Location"]).json()
    run = Run.objects.get()
    assert (body["id"], body["status"], body["qc_status"]) == (run.pk, "preview", "passed")
    assert (body["instrument"], body["method"], body["operator"]) == ("SG-1", "icpms-4acid", "tess")
    # Every QC check with its verdict, so a script can tell why a run failed.
    assert sorted((c["kind"], c["analyte"], c["passed"]) for c in body["qc_checks"]) == [
        ("blank", "La", True),
        ("ccv_recovery", "La", True),
    ]
    assert body["summary"]["format"] == "generic_long"
    assert body["summary"]["rows_by_type"]["sample"] == 2
    # The row naming no sample is listed with why; nothing is guessed.
    assert body["unmatched"] == [{"row": 5, "sample_name": "NOT-A-SAMPLE", "reason": "no sample has this code"}]
    assert not Result.objects.exists()  # results come with acceptance


def test_it_refuses_a_hostile_file_with_every_problem_and_stores_nothing(technician, instrument, icpms, media):
    data = csv_file("S-1,Xx,5,ug/L,,,sample", 'S-2,La,=HYPERLINK("http://x"),ug/L,,,sample')

    response = post_run(technician, data)
    work_the_imports_queue()

    body = client_for(technician).get(response["Location"]).json()
    assert body["status"] == "refused"
    assert body["summary"]["message"].startswith("The file was not imported: 2 problems")
    # Each problem with its row and column in the file.
    problems = body["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "analyte"), (3, "value")]
    assert "not a chemical element" in problems[0]["message"]
    assert "spreadsheet formula" in problems[1]["message"]
    # Refused whole: no reading was stored.
    assert not Run.objects.get().readings.exists()


def test_it_refuses_the_same_file_twice(technician, instrument, icpms, sample):
    data = clean_run_file(sample)
    assert post_run(technician, data).status_code == 202

    response = post_run(technician, data, filename="renamed.csv")

    assert response.status_code == 409
    assert response.json() == {"message": "This file has been imported already.", "extra": {"field": "file"}}
    assert Run.objects.count() == 1


def test_it_refuses_an_oversized_file_before_reading_it(settings, technician, instrument, icpms, sample, media):
    settings.LIMS_IMPORT_MAX_BYTES = 2048
    data = csv_file(*[f"{sample.code},Ce,{i},ug/L,,,sample" for i in range(200)])

    response = post_run(technician, data)

    assert response.status_code == 400
    assert response.json()["message"] == f"file: The file is {len(data)} bytes; the limit is 2048 bytes."
    assert nothing_stored(media)


def test_exporters_neither_import_nor_list_runs(exporter, technician, instrument, icpms, sample, media):
    assert post_run(exporter, clean_run_file(sample)).status_code == 403
    assert nothing_stored(media)
    # Nor do they see the runs the laboratory imported.
    run = import_run(technician, instrument, icpms, clean_run_file(sample))
    assert client_for(exporter).get(RUNS).status_code == 403
    assert client_for(exporter).get(f"{RUNS}{run.pk}/").status_code == 403


def test_the_list_filters_by_qc_status(reviewer, technician, instrument, icpms, sample):
    passed = import_run(technician, instrument, icpms, clean_run_file(sample))
    failed = import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))
    client = client_for(reviewer)

    assert [r["id"] for r in client.get(RUNS, {"qc_status": "failed"}).json()["results"]] == [failed.pk]
    assert [r["id"] for r in client.get(RUNS, {"qc_status": "passed"}).json()["results"]] == [passed.pk]


# Readings -------------------------------------------------------------------------------------


def test_the_readings_come_page_by_page_in_file_order(reviewer, technician, instrument, icpms, sample):
    run = import_run(technician, instrument, icpms, clean_run_file(sample))
    client = client_for(reviewer)

    first = client.get(f"{RUNS}{run.pk}/readings/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 4
    rows = [(r["row"], r["sample_name"], r["row_type"]) for r in first["results"] + second["results"]]
    assert rows == [
        (2, "CalBlank", "cal_blank"),
        (3, "CCV 10 ppb", "ccv"),
        (4, sample.code, "sample"),
        (5, "NOT-A-SAMPLE", "sample"),
    ]
    # The sample row found its sample; the unknown id did not.
    assert [r["sample"] for r in second["results"]] == [None] and first["results"][2]["sample"] == sample.code


def test_the_readings_of_a_missing_run_are_not_found(reviewer):
    assert client_for(reviewer).get(f"{RUNS}999/readings/").status_code == 404


# Accept, discard, override --------------------------------------------------------------------


@pytest.fixture
def preview(technician, instrument, icpms, sample):
    return import_run(technician, instrument, icpms, clean_run_file(sample))


@pytest.fixture
def failed(technician, instrument, icpms, sample):
    """A run without QC rows: QC failed."""
    return import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))


def test_accepting_makes_results_once(technician, preview, sample):
    response = action(technician, preview, "accept")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["accepted_by"]) == ("accepted", "tess")
    assert sample.results.get().status == Result.Status.ENTERED
    # A second accept is a conflict and makes nothing more.
    second = action(technician, preview, "accept")
    assert second.status_code == 409
    assert second.json()["message"] == "This run has been accepted already."
    assert sample.results.count() == 1


def test_discarding_drops_a_run_in_preview(technician, preview, sample):
    response = action(technician, preview, "discard", reason="Wrong method chosen.")

    assert response.status_code == 200 and response.json()["status"] == "discarded"
    # A discarded run cannot be accepted afterwards.
    assert action(technician, preview, "accept").status_code == 409
    assert not sample.results.exists()


def test_a_reviewer_overrides_a_qc_failure_with_a_reason(reviewer, failed):
    response = action(reviewer, failed, "override-qc", reason="CCV exported in a separate file.")

    assert response.status_code == 200
    body = response.json()
    assert (body["qc_status"], body["override_by"], body["override_reason"]) == (
        "overridden",
        "rita",
        "CCV exported in a separate file.",
    )


def test_an_override_needs_a_reason(reviewer, failed):
    response = action(reviewer, failed, "override-qc", reason="   ")

    assert response.status_code == 400
    assert response.json() == {"message": "Write why the QC failure may be overridden.", "extra": {"field": "reason"}}
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.FAILED


def test_nobody_overrides_a_run_they_imported(manager, instrument, icpms, sample):
    # The manager may override QC failures, but not on his own run.
    own = import_run(manager, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))

    response = action(manager, own, "override-qc", reason="Looks fine to me.")

    assert response.status_code == 403
    own.refresh_from_db()
    assert own.qc_status == Run.QCStatus.FAILED and own.override_by is None


def test_technicians_do_not_override(technician, failed):
    assert action(technician, failed, "override-qc", reason="Looks fine to me.").status_code == 403
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.FAILED


def test_a_passed_run_has_nothing_to_override(reviewer, preview):
    response = action(reviewer, preview, "override-qc", reason="Just in case.")
    assert response.status_code == 409
    preview.refresh_from_db()
    assert preview.qc_status == Run.QCStatus.PASSED
