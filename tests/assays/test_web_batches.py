"""Batches through the pages and the API: tess builds one, prints it, exports its sequence, uploads its
run and sees how the run matches it; exporters and inspectors see no batch."""

from decimal import Decimal

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assays.batch_models import Batch, BatchRun
from assays.models import Method, Run
from assays.services import batches
from tests.assays.conftest import icpms_symbols, import_run
from tests.assays.test_batch_matching import measured_file
from tests.assays.test_web_runs import work_the_imports_queue
from tests.conftest import received


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def samples(lot, sampler, technician):
    return [received(lot, sampler, technician) for _ in range(4)]


@pytest.fixture
def batch(technician, instrument, samples):
    return batches.batch_create(
        actor=technician, method=Method.objects.get(code="icpms-4acid"), instrument=instrument,
        codes=[s.code for s in samples],
    )  # fmt: skip


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_technician_builds_a_batch_on_the_page(client, technician, instrument, samples):
    client.force_login(technician)
    method = Method.objects.get(code="icpms-4acid")
    form = {"method": method.pk, "instrument": instrument.pk, "samples": "\n".join(s.code for s in samples[:2])}
    response = client.post(reverse("batch_create"), form)
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "batch_detail", kwargs={"batch_pk": batch.pk}
    )
    worksheet = lxml.html.fromstring(client.get(response["Location"]).content)
    labels = [
        cell.text_content()
        for cell in worksheet.xpath("//table[contains(@class, 'worksheet-positions')]/tbody/tr/td[2]")
    ]
    assert labels == list(batch.positions.order_by("number").values_list("label", flat=True))
    assert len(labels) == 7
    # The print style comes from a static file.
    assert worksheet.xpath("//link[contains(@href, 'assays/worksheet.css')]")


def test_a_refusal_shows_next_to_the_samples(client, technician, instrument, samples):
    client.force_login(technician)
    method = Method.objects.get(code="icpms-4acid")
    response = client.post(
        reverse("batch_create"), {"method": method.pk, "instrument": instrument.pk, "samples": "NO-SUCH"}
    )
    assert response.status_code == 400
    field = lxml.html.fromstring(response.content).xpath("//div[contains(@class, 'has-error')]")[0]
    assert "No sample has the code NO-SUCH." in field.text_content()
    assert not Batch.objects.exists()


def test_the_sequence_downloads_as_a_file(client, technician, batch):
    client.force_login(technician)
    response = client.get(reverse("batch_sequence", kwargs={"batch_pk": batch.pk, "vendor": "thermo"}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="batch-{batch.pk}-qtegra.csv"'
    assert response.content.startswith(b"\xef\xbb\xbfPosition;Label;Sample Type;Comment\r\n1;CAL BLANK 1;BLANK;\r\n")
    assert client.get(reverse("batch_sequence", kwargs={"batch_pk": batch.pk, "vendor": "nope"})).status_code == 400


def test_exporters_and_inspectors_see_no_batch(client, exporter, inspector, batch):
    for user in (exporter, inspector):
        client.force_login(user)
        assert client.get(reverse("batch_list")).status_code == 403
        assert client.get(reverse("batch_detail", kwargs={"batch_pk": batch.pk})).status_code == 403
        assert api(user).get("/api/v1/batches/").status_code == 403
        assert api(user).get(f"/api/v1/batches/{batch.pk}/sequence/agilent/").status_code == 403


def test_the_api_builds_lists_exports_and_cancels(technician, instrument, samples):
    client = api(technician)
    response = client.post(
        "/api/v1/batches/",
        {"method": "icpms-4acid", "instrument": "SG-1", "samples": [s.code for s in samples[:1]]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(p["number"], p["kind"], p["duplicate_of"]) for p in body["positions"]] == [
        (1, "cal_blank", None), (2, "sample", None), (3, "duplicate", 2), (4, "method_blank", None),
        (5, "crm", None), (6, "ccv", None),
    ]  # fmt: skip
    assert (body["status"], body["sample_count"], body["position_count"]) == ("planned", 1, 6)
    listed = client.get("/api/v1/batches/?status=planned").json()
    assert [b["id"] for b in listed["results"]] == [body["id"]]
    export = client.get(body["sequences"]["agilent"])
    assert export.content.splitlines()[0] == b"Vial Number,Type,Sample Name,Comment"
    refused = client.post(f"/api/v1/batches/{body['id']}/cancel/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and refused.json()["message"] == "Say why the batch is cancelled."
    cancelled = client.post(f"/api/v1/batches/{body['id']}/cancel/", {"reason": "Rack dropped"}, format="json")
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(
        "/api/v1/batches/", {"method": "icpms-4acid", "instrument": "SG-1", "samples": []}, format="json"
    )
    assert again.status_code == 400 and again.json()["message"] == "Name at least one sample."


def test_a_run_uploaded_against_the_batch_is_matched_before_accept(client, technician, batch, samples):
    data = measured_file(samples, icpms_symbols())
    form = {
        "file": SimpleUploadedFile("run.csv", data, content_type="text/csv"),
        "prep_mass_g": "0.25",
        "prep_volume_ml": "50",
        "ccv_nominal": "10",
    }
    response = api(technician).post(f"/api/v1/batches/{batch.pk}/runs/", form, format="multipart")
    assert response.status_code == 202, response.json()
    run = Run.objects.get(pk=response.json()["id"])
    assert BatchRun.objects.get(run=run).batch == batch
    batch.refresh_from_db()
    assert batch.status == "running"
    work_the_imports_queue()
    match = api(technician).get(f"/api/v1/runs/{run.pk}/batch-match/").json()
    assert [p["position"] for p in match["missing"]] == [4]
    assert [(p["position"], p["kind"]) for p in match["skipped"]] == [(8, "crm")]
    assert [e["sample_name"] for e in match["extra"]] == ["KZL-99-EXTRA"]
    # The run's page in preview says the same.
    client.force_login(technician)
    page = lxml.html.fromstring(client.get(reverse("run_detail", kwargs={"run_pk": run.pk})).content)
    text = page.xpath("//section[contains(@class, 'batch-match')]")[0].text_content()
    assert f"4 {samples[2].code}" in text and "KZL-99-EXTRA" in text


def test_a_run_without_a_batch_has_no_match(technician, instrument, samples):
    run = import_run(
        technician, instrument, Method.objects.get(code="icpms-4acid"), measured_file(samples, icpms_symbols()),
        ccv_nominal=Decimal("10"),
    )  # fmt: skip
    assert api(technician).get(f"/api/v1/runs/{run.pk}/batch-match/").status_code == 404


def test_the_run_api_takes_a_batch(technician, batch, samples):
    form = {
        "file": SimpleUploadedFile("run.csv", measured_file(samples, icpms_symbols()), content_type="text/csv"),
        "instrument": "SG-1",
        "method": "icpms-4acid",
        "batch": batch.pk,
        "prep_mass_g": "0.25",
        "prep_volume_ml": "50",
    }
    response = api(technician).post("/api/v1/runs/", form, format="multipart")
    assert response.status_code == 202, response.json()
    assert BatchRun.objects.get(run_id=response.json()["id"]).batch == batch
    batch.refresh_from_db()
    assert batch.status == "running"


def test_a_refused_file_puts_the_batch_back_to_planned(technician, batch):
    form = {"file": SimpleUploadedFile("run.csv", b"not,a,run\n1,2,3\n", content_type="text/csv")}
    response = api(technician).post(f"/api/v1/batches/{batch.pk}/runs/", form, format="multipart")
    assert response.status_code == 202
    batch.refresh_from_db()
    assert batch.status == "running"
    work_the_imports_queue()
    assert Run.objects.get().status == "refused"
    batch.refresh_from_db()
    assert batch.status == "planned"


def test_the_lists_run_as_many_queries_for_three_batches_as_for_one(client, technician, superuser, instrument, samples):
    method = Method.objects.get(code="icpms-4acid")

    def measure() -> list[int]:
        counts = []
        for user, url in (
            (technician, reverse("batch_list")),
            (technician, "/api/v1/batches/"),
            (superuser, "/admin/assays/batch/"),
        ):
            client.force_login(user)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    batches.batch_create(actor=technician, method=method, instrument=instrument, codes=[samples[0].code])
    one = measure()
    for sample in samples[1:3]:
        batches.batch_create(actor=technician, method=method, instrument=instrument, codes=[sample.code])
    assert measure() == one
