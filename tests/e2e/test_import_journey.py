"""A run's journey: Tess uploads a MassHunter batch measured at two dilutions, the page follows the worker
until the preview is ready, shows per sample and analyte which reading is reported and why, asks her to choose
where the dilutions disagree, and lets her accept once she has. A real Celery worker (on Redis) parses the file;
without Redis the journey skips, and fails under CI=true."""

from assays.models import ReadingChoice, Result, Run
from tests.assays.test_import_real_world import masshunter
from tests.conftest import received
from tests.e2e.conftest import expect, login
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture


def test_a_technician_imports_a_dilution_series_and_chooses_where_the_rule_cannot(
    page, live_server, worker,  # noqa: F811
    lot, sampler, technician, instrument, settings, tmp_path,
):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    sample = received(lot, sampler, technician)
    # La: over range at x2, measured at x10 (the rule takes x10). Ce: below the limit at x2 but 3.0 at x10.
    path = tmp_path / "batch.csv"
    path.write_bytes(masshunter(f"Sample,{sample.code},2,OR,<0.02", f"Sample,{sample.code},10,152.3,3.0"))

    login(page, live_server, technician)
    page.goto(f"{live_server.url}/runs/import/")
    page.get_by_label("Instrument file").set_input_files(str(path))
    page.locator("select[name=instrument]").select_option(label=str(instrument))
    page.locator("select[name=method]").select_option(label="ICP-MS after four-acid digestion")
    page.get_by_label("Digested mass (g)").fill("0.25")
    page.get_by_label("Final volume (mL)").fill("50")
    page.get_by_role("button", name="Import for preview").click()

    # The page refreshes itself until the worker has read the file.
    expect(page.locator("table.selection")).to_be_visible(timeout=60_000)
    run = Run.objects.get()
    assert run.status == "preview"
    la_rows = page.locator("table.selection tbody").filter(has_text="La").locator("tr.chosen")
    expect(la_rows).to_contain_text("lowest dilution")
    expect(page.get_by_role("alert").filter(has_text="cannot choose")).to_be_visible()

    # Accepting now is refused with the reason, shown in the accept form.
    page.get_by_role("button", name="Accept the run").click()
    expect(page.locator("form.accept .form-errors")).to_contain_text("Choose the reading to report")

    choice = page.locator("form.choose").filter(has_text=f"{sample.code} Ce")
    choice.get_by_label("row 6").check()
    choice.get_by_label("Why").fill("x2 aspirated air: the autosampler log shows a bubble")
    choice.get_by_role("button", name="Report this reading").click()
    expect(page.locator(".messages")).to_contain_text(f"Row 6 is reported for {sample.code} Ce")
    assert ReadingChoice.objects.get().chosen_by == technician

    page.get_by_role("button", name="Accept the run").click()
    expect(page.locator(".messages")).to_contain_text("is accepted")
    ce = Result.objects.get(analyte__symbol="Ce")
    assert ce.reading.row == 6 and "technician_choice" in ce.flags
