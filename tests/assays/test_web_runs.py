"""The run pages: a technician imports an instrument file for preview, checks its QC verdict,
readings and unmatched rows, then accepts or discards it; a reviewer may override a QC failure
with a written reason. A hostile file is refused whole, each problem with its row and column."""

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assays import services, tasks
from assays.models import Reading, Result, Run
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def upload(client, instrument, method, data: bytes, **fields):
    """The upload form as a browser posts it."""
    form = {
        "file": SimpleUploadedFile(fields.pop("filename", "run.csv"), data, content_type="text/csv"),
        "instrument": instrument.pk,
        "method": method.pk,
        "format": "",
        "prep_mass_g": "0.25",
        "prep_volume_ml": "50",
        "ccv_nominal": "",
    }
    return client.post(reverse("run_upload"), form | fields)


def work_the_imports_queue() -> None:
    """What the worker on the "imports" queue does with each upload (the task, called as the worker calls it)."""
    for run_id in Run.objects.filter(status=Run.Status.QUEUED).values_list("pk", flat=True):
        tasks.import_run_file(run_id)


def detail_url(run) -> str:
    return reverse("run_detail", kwargs={"run_pk": run.pk})


def page(response):
    return lxml.html.fromstring(response.content)


def by_class(element, tag: str, *classes: str) -> list:
    """The `tag` elements under `element` that carry every one of `classes`."""
    wanted = " and ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in classes)
    return element.xpath(f".//{tag}[{wanted}]")


def text_of(element, tag: str, *classes: str) -> str:
    """The text of the first `tag` element with `classes`, which must be there."""
    return by_class(element, tag, *classes)[0].text_content()


def table_rows(element) -> list[list[str]]:
    """The body rows of a table, each cell as its text."""
    return [[cell.text_content().strip() for cell in row.xpath("td")] for row in element.xpath(".//tbody/tr")]


def action_form(response, action: str):
    """The form of one action of the run's page (accept, discard, withdraw, override)."""
    (form,) = by_class(page(response), "form", action)
    return form


def reason_errors(form) -> str:
    """The errors shown next to the reason field of an action's form."""
    (group,) = [div for div in by_class(form, "div", "field", "has-error") if div.xpath(".//textarea[@name='reason']")]
    return text_of(group, "ul", "errorlist")


def nothing_stored(media) -> bool:
    return Run.objects.count() == 0 and not [p for p in media.rglob("*") if p.is_file()]


def clean_run_file(sample) -> bytes:
    """A QC-clean file for the sample, with one row naming no sample of the laboratory."""
    return csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"]), "NOT-A-SAMPLE,La,5,ug/L,,,sample")


# Import and preview -------------------------------------------------------------------------


def test_a_technician_imports_a_file_and_lands_on_its_preview(client, technician, instrument, icpms, sample):
    client.force_login(technician)

    response = upload(client, instrument, icpms, clean_run_file(sample))

    run = Run.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(run)
    # The web process only stored the upload: the run waits for the imports worker, and says so.
    assert run.status == Run.Status.QUEUED and not run.readings.exists()
    waiting = page(client.get(response.url))
    assert "being read by a worker" in text_of(waiting, "div", "progress")
    assert waiting.xpath("//meta[@http-equiv='refresh']")

    work_the_imports_queue()

    run.refresh_from_db()
    # The run waits for a decision; no results before it is accepted.
    assert run.status == Run.Status.PREVIEW and run.operator == technician
    assert run.readings.count() == 4
    assert not Result.objects.exists()
    assert not page(client.get(response.url)).xpath("//meta[@http-equiv='refresh']")


def test_the_preview_shows_the_verdict_readings_unmatched_rows_and_the_decisions(
    client, technician, instrument, icpms, sample
):
    client.force_login(technician)
    url = upload(client, instrument, icpms, clean_run_file(sample)).url
    run = Run.objects.get()
    messages = text_of(page(client.get(url)), "ul", "messages")
    work_the_imports_queue()
    response = client.get(url)

    assert response.status_code == 200
    doc = page(response)
    # The upload is announced, and the QC verdict comes first.
    assert f"Run {run.pk} is uploaded and being imported" in messages
    assert "QC passed" in text_of(doc, "div", "qc-verdict", "qc-passed")
    # One line per row of the file, in file order, the sample id marked when it found its sample.
    readings = table_rows(by_class(doc, "table", "readings")[0])
    assert [row[1] for row in readings] == ["CalBlank", "CCV 10 ppb", f"{sample.code} ✔", "NOT-A-SAMPLE"]
    assert readings[2][3] == "100"  # the La reading as the instrument reported it
    # Per sample and analyte, the reading that becomes the result is marked, with why.
    chosen = by_class(doc, "table", "selection")[0].xpath(".//tr[contains(@class, 'chosen')]")
    cells = [[cell.text_content().strip() for cell in row.xpath("td")] for row in chosen]
    assert [row[:2] for row in cells] == [[f"{sample.code} ✔", "La"], ["NOT-A-SAMPLE", "La"]]
    assert "the only reading" in cells[0][-1]
    # The unknown id is listed with its row and why it gives no result: nothing is guessed.
    assert table_rows(by_class(doc, "table", "unmatched")[0]) == [["5", "NOT-A-SAMPLE", "no sample has this code"]]
    # The technician may accept or discard the run from here.
    actions = {form.get("action") for form in by_class(doc, "div", "actions")[0].xpath(".//form")}
    assert actions == {
        reverse("run_accept", kwargs={"run_pk": run.pk}),
        reverse("run_discard", kwargs={"run_pk": run.pk}),
    }


def test_a_run_without_qc_rows_shows_the_failed_verdict(client, technician, instrument, icpms, sample):
    client.force_login(technician)
    url = upload(client, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"]))).url
    work_the_imports_queue()
    doc = page(client.get(url))
    # No QC evidence is no pass, and the page says why the results will wait.
    assert not by_class(doc, "div", "qc-passed")
    assert "QC failed" in text_of(doc, "div", "qc-verdict", "qc-failed")


@pytest.mark.parametrize(
    ("data", "row", "column", "message"),
    [
        (csv_file("S-1,Xx,5,ug/L,,,sample"), "2", "analyte", "is not a chemical element symbol"),
        (csv_file('S-1,La,=HYPERLINK("http://x"),ug/L,,,sample'), "2", "value", "would run as a spreadsheet formula"),
    ],
    ids=["unknown-element", "formula-cell"],
)
def test_a_hostile_file_is_listed_problem_by_problem_and_nothing_is_stored(
    client, technician, instrument, icpms, media, data, row, column, message
):
    client.force_login(technician)

    url = upload(client, instrument, icpms, data).url
    work_the_imports_queue()
    response = client.get(url)

    run = Run.objects.get()
    assert run.status == Run.Status.REFUSED
    # Each problem is shown with where it is in the file, so the technician knows what to fix.
    (problem,) = table_rows(by_class(page(response), "table", "problems")[0])
    assert problem[:2] == [row, column]
    assert message in problem[2]
    # Refused whole: not one reading, no QC check, and the same file may be uploaded again once fixed.
    assert not Reading.objects.exists() and not run.qc_checks.exists()
    assert upload(client, instrument, icpms, data).status_code == 302


def file_field_errors(response) -> str:
    """The errors shown next to the file field of the upload form."""
    doc = page(response)
    (group,) = [div for div in by_class(doc, "div", "field", "has-error") if div.xpath(".//input[@name='file']")]
    return text_of(group, "ul", "errorlist")


def test_an_empty_file_is_refused_next_to_the_file_field(client, technician, instrument, icpms, media):
    client.force_login(technician)

    response = upload(client, instrument, icpms, b"")

    assert response.status_code == 400
    assert "empty" in file_field_errors(response)
    assert nothing_stored(media)


def test_an_oversized_file_is_refused_before_it_is_read(settings, client, technician, instrument, icpms, media):
    settings.LIMS_IMPORT_MAX_BYTES = 1024 * 1024
    client.force_login(technician)

    # Its content does not matter: the declared size is checked before a byte is parsed.
    response = upload(client, instrument, icpms, b"x" * (1536 * 1024))

    assert response.status_code == 400
    assert file_field_errors(response).replace("\xa0", " ") == "The file is 1.5 MB; the limit is 1.0 MB."
    assert not by_class(page(response), "div", "problems-list")
    assert nothing_stored(media)


def test_the_same_file_twice_is_refused_next_to_the_file_field(client, technician, instrument, icpms, sample):
    client.force_login(technician)
    data = clean_run_file(sample)
    upload(client, instrument, icpms, data)

    response = upload(client, instrument, icpms, data, filename="renamed.csv")

    assert response.status_code == 409
    assert "imported already" in file_field_errors(response)
    assert Run.objects.count() == 1


def test_exporters_see_neither_the_upload_page_nor_the_runs(client, exporter, instrument, icpms, sample, media):
    client.force_login(exporter)

    # Runs are the laboratory's working records.
    assert client.get(reverse("run_upload")).status_code == 403
    assert client.get(reverse("run_list")).status_code == 403
    assert upload(client, instrument, icpms, clean_run_file(sample)).status_code == 403
    assert nothing_stored(media)


# Accept and discard ---------------------------------------------------------------------------


@pytest.fixture
def preview(technician, instrument, icpms, sample):
    """A QC-clean run in preview, imported by the technician."""
    return import_run(technician, instrument, icpms, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"])))


def test_accepting_from_the_preview_makes_results_awaiting_review(client, technician, preview, sample):
    client.force_login(technician)

    response = client.post(reverse("run_accept", kwargs={"run_pk": preview.pk}))

    assert response.status_code == 302 and response.url == detail_url(preview)
    preview.refresh_from_db()
    assert preview.status == Run.Status.ACCEPTED and preview.accepted_by == technician
    result = sample.results.get()
    assert result.analyte.symbol == "La" and result.status == Result.Status.ENTERED
    doc = page(client.get(response.url))
    assert f"Run {preview.pk} is accepted: its results await review." in text_of(doc, "ul", "messages")
    # The results now show on the run's page, and there is nothing left to accept.
    assert [row[0] for row in table_rows(by_class(doc, "table", "results")[0])] == [sample.code]
    assert not doc.xpath("//div[@class='actions']//form")


def test_a_second_accept_shows_the_refusal_and_changes_nothing(client, technician, preview, sample):
    client.force_login(technician)
    client.post(reverse("run_accept", kwargs={"run_pk": preview.pk}))

    response = client.post(reverse("run_accept", kwargs={"run_pk": preview.pk}))

    # The run's page again, the refusal at the top of the accept form, with its status.
    assert response.status_code == 409
    assert "This run has been accepted already." in text_of(action_form(response, "accept"), "div", "form-errors")
    assert sample.results.count() == 1


def test_discarding_drops_the_run_without_results(client, technician, preview, sample):
    client.force_login(technician)

    response = client.post(reverse("run_discard", kwargs={"run_pk": preview.pk}), follow=True)

    preview.refresh_from_db()
    assert preview.status == Run.Status.DISCARDED
    assert not sample.results.exists()
    assert f"Run {preview.pk} is discarded." in response.content.decode()


# QC override ----------------------------------------------------------------------------------


@pytest.fixture
def failed(technician, instrument, icpms, sample):
    """A run with no QC rows, imported by the technician: QC failed."""
    return import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))


def override_forms(client, run) -> list:
    doc = page(client.get(detail_url(run)))
    return doc.xpath(f"//form[@action='{reverse('run_override', kwargs={'run_pk': run.pk})}']")


def test_a_reviewer_overrides_a_qc_failure_with_a_reason(client, reviewer, failed):
    client.force_login(reviewer)
    assert override_forms(client, failed)  # offered on the page

    response = client.post(
        reverse("run_override", kwargs={"run_pk": failed.pk}), {"reason": "CCV exported in a separate file."}
    )

    assert response.status_code == 302 and response.url == detail_url(failed)
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.OVERRIDDEN
    assert (failed.override_by, failed.override_reason) == (reviewer, "CCV exported in a separate file.")
    # The verdict now names who overrode it and why.
    verdict = text_of(page(client.get(detail_url(failed))), "div", "qc-verdict", "qc-overridden")
    assert "rita" in verdict.lower() and "CCV exported in a separate file." in verdict


def test_an_override_without_a_reason_shows_why_and_changes_nothing(client, reviewer, failed):
    client.force_login(reviewer)

    response = client.post(reverse("run_override", kwargs={"run_pk": failed.pk}), {"reason": "  "})

    # The run's page again, the refusal next to the reason of the override form.
    assert response.status_code == 400
    assert reason_errors(action_form(response, "override")) == "Write why the QC failure may be overridden."
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.FAILED and failed.override_by is None


def test_the_importing_operator_is_not_offered_the_override(client, manager, reviewer, instrument, icpms, sample):
    # The manager may override QC failures, but not of a run he imported himself.
    run = import_run(manager, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))

    client.force_login(manager)
    assert not override_forms(client, run)
    client.force_login(reviewer)
    assert override_forms(client, run)


def test_a_technician_cannot_override(client, technician, failed):
    client.force_login(technician)

    assert not override_forms(client, failed)
    response = client.post(reverse("run_override", kwargs={"run_pk": failed.pk}), {"reason": "fine"})
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.FAILED


def test_the_run_list_shows_the_runs_with_their_qc(client, reviewer, preview, failed):
    client.force_login(reviewer)

    response = client.get(reverse("run_list"), {"qc_status": "failed"})

    # Filtered by QC: only the failed run is listed.
    assert [run.pk for run in response.context["page_obj"]] == [failed.pk]
    # A reviewer does not import.
    assert reverse("run_upload") not in response.content.decode()


def test_a_refused_accept_is_shown_and_changes_nothing(client, technician, preview, sample):
    # Another run took the sample's La result first: accepting this one is refused whole.
    other = import_run(
        technician, preview.instrument, preview.method,
        csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"], value="200")),
    )  # fmt: skip
    services.run_accept(actor=technician, run=other)
    client.force_login(technician)

    response = client.post(reverse("run_accept", kwargs={"run_pk": preview.pk}))

    assert response.status_code == 409
    assert "already has a La result" in text_of(action_form(response, "accept"), "div", "form-errors")
    preview.refresh_from_db()
    assert preview.status == Run.Status.PREVIEW


# Choosing a reading where the rule cannot ------------------------------------------------------


def test_a_choice_without_a_reason_is_refused_in_its_group(client, technician, instrument, icpms, sample):
    from assays.models import ReadingChoice
    from tests.assays.test_import_real_world import masshunter

    # Below the limit at x2 but 50 at x100: only the technician can say which to report.
    data = masshunter(f"Sample,{sample.code},2,<0.02,3.1", f"Sample,{sample.code},100,50.0,3.0")
    run = import_run(technician, instrument, icpms, data, filename="disagree.csv")
    at_100 = run.readings.get(sample_name=sample.code, analyte__symbol="La", dilution_factor=100)
    client.force_login(technician)
    url = reverse("run_choose", kwargs={"run_pk": run.pk})

    response = client.post(url, {"reading": at_100.pk, "reason": ""})

    # Shown again with 400, the error inside the La group's form, not as a message on another page.
    assert response.status_code == 400
    (form,) = [f for f in page(response).xpath("//form[contains(@class, 'choose')]") if "La?" in f.text_content()]
    assert "This field is required" in text_of(form, "div", "form-errors")
    assert not ReadingChoice.objects.exists()

    response = client.post(url, {"reading": at_100.pk, "reason": "x2 aspirated air"})

    assert response.status_code == 302
    assert ReadingChoice.objects.get().reading == at_100
