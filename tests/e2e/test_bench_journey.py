"""The bench's journey, through the pages only: Tess builds an ICP-MS batch of two received samples with
its QC mask and downloads its MassHunter sequence; she records the first sample's sizing check, which
fails and blocks its analysis, pulverises it again, checks it again (passes) and weighs its aliquot; she
imports the batch's run (a real Celery worker on Redis reads it), sees it matched with the batch and
accepts it. Rita approves every result of the first sample in one action and rejects one of the
second's with a reason, which Tess then reads on her results list and on the sample's results page.

Earlier that morning (set up through the services): both samples were dried (moisture 8.00 %, approved
by Rita) and the second was sized and weighed. Without Redis the journey skips, and fails under CI=true.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from assays.batch_models import Batch
from assays.models import Balance, CertifiedValue, Method, PreparationSpec, Result, Run
from assays.services import preparation as prep
from assays.services import result_approve
from tests.assays.conftest import csv_file, icpms_symbols
from tests.conftest import received
from tests.e2e.conftest import expect, login
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture

D = Decimal
ICPMS = "ICP-MS after four-acid digestion"
CRM = "OREAS 502c"  # the reference material certifying the most of the method's analytes
REASON = "Pb carried over from the previous run's high standard: redigest and rerun"


@pytest.fixture
def balance(db):
    return Balance.objects.create(
        name="Prep balance 2", model="Sartorius Quintix", serial="SQ-0042", calibration_due=date.today() + timedelta(90)
    )


@pytest.fixture
def icpms(db):
    """ICP-MS wants the pulp at least 85 % passing 75 µm, and each sample's own aliquot."""
    method = Method.objects.get(code="icpms-4acid")
    PreparationSpec.objects.create(method=method, screen_um=75, min_passing_pct=D("85"))
    return method


def dried(sample, balance, technician, reviewer):
    """(620.00 - 580.00) / (620.00 - 120.00) x 100 = 8.00 % moisture, approved by the reviewer."""
    step = prep.prep_drying(
        actor=technician, sample=sample, balance=balance, tare_g=D("120.00"), wet_g=D("620.00"), dry_g=D("580.00"),
        temperature_c=D("105"), duration_min=240,
    )  # fmt: skip
    result_approve(actor=reviewer, result=step.result)


def run_file(first, second, symbols) -> bytes:
    """The instrument's export of the batch, each row named as the sequence named its position. The
    samples read 115 ug/L: 115 x 50 mL / 0.2500 g = 23 ppm as received, 25.0 ppm dry at 8.00 % moisture.
    The CRM's digest (0.25 g in 50 mL, typed on the upload) reads five times its certified ppm."""
    certified = dict(
        CertifiedValue.objects.filter(reference_material__name=CRM).values_list("analyte__symbol", "value")
    )
    rows = [
        *(f"CAL BLANK 1,{s},,ug/L,<,0.01," for s in symbols),
        *(f"{first.code},{s},115,ug/L,,," for s in symbols),
        *(f"{second.code},{s},115,ug/L,,," for s in symbols),
        *(f"DUP 3,{s},117,ug/L,,," for s in symbols),
        *(f"METHOD BLANK 1,{s},,ug/L,<,0.01," for s in symbols),
        *(f"{CRM} 1,{s},{certified[s] * 5},ug/L,,," for s in symbols if s in certified),
        *(f"CCV 1,{s},10.0,ug/L,,," for s in symbols),
    ]
    return csv_file(*rows)


def message(page):
    return page.locator(".messages")


def step_form(page, heading):
    return page.locator("form").filter(has=page.get_by_role("heading", name=heading, exact=True))


def icpms_row(page):
    return page.locator("table.prep-methods tbody tr").filter(has_text=ICPMS)


def test_the_bench_from_batch_to_a_rejection_the_technician_reads(
    page, live_server, worker,  # noqa: F811
    lot, sampler, technician, reviewer, instrument, icpms, balance, settings, tmp_path,
):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    first, second = received(lot, sampler, technician), received(lot, sampler, technician)
    for sample in (first, second):
        dried(sample, balance, technician, reviewer)
    prep.prep_sizing(
        actor=technician, sample=second, method=icpms, balance=balance, screened_g=D("100"), retained_g=D("8")
    )
    prep.prep_aliquot(
        actor=technician, sample=second, method=icpms, balance=balance, mass_g=D("0.2500"), volume_ml=D("50")
    )
    symbols = icpms_symbols()

    # Tess builds the batch; the mask puts the calibration blank first, a duplicate of the last sample,
    # a method blank, the CRM and the closing CCV around her two samples.
    login(page, live_server, technician)
    page.get_by_role("link", name="Batches", exact=True).click()
    page.get_by_role("link", name="Build a batch").click()
    page.get_by_label("Method").select_option(label=ICPMS)
    page.get_by_label("Instrument").select_option(label=str(instrument))
    page.get_by_label("Samples").fill(f"{first.code}\n{second.code}")
    page.get_by_role("button", name="Build the batch").click()
    batch = Batch.objects.get()
    expect(message(page)).to_contain_text(f"Batch {batch.pk} is planned: 7 positions.")
    expect(page.locator("h1 .badge")).to_have_text("Planned")
    expect(page.locator(".facts")).to_contain_text(CRM)
    positions = page.locator("table.worksheet-positions tbody tr")
    expect(positions.locator("td:nth-child(2)")).to_have_text(
        ["CAL BLANK 1", first.code, second.code, "DUP 3", "METHOD BLANK 1", f"{CRM} 1", "CCV 1"]
    )
    expect(positions.locator("td:nth-child(3)")).to_have_text(
        ["Calibration blank", "Sample", "Sample", "Duplicate", "Method blank", "Reference material", "CCV"]
    )
    expect(positions.nth(3)).to_contain_text(f"{second.code} (position 3)")

    # The sequence for MassHunter: the positions in order, named as the instrument will name its rows.
    with page.expect_download() as download:
        page.get_by_role("link", name="Agilent MassHunter").click()
    assert download.value.suggested_filename == f"batch-{batch.pk}-masshunter.csv"
    data = download.value.path().read_bytes()
    assert data.split(b"\r\n")[:5] == [
        b"Vial Number,Type,Sample Name,Comment",
        b"1,CalBlk,CAL BLANK 1,",
        f"2,Sample,{first.code},".encode(),
        f"3,Sample,{second.code},".encode(),
        f"4,DUP,DUP 3,duplicate of {second.code}".encode(),
    ]

    # The first sample's pulp fails its sizing check: 80.0 % passing 75 µm, 85 % required.
    page.goto(f"/samples/{first.code}/")
    page.get_by_role("link", name="Preparation").click()
    sizing = step_form(page, "Sizing check")
    sizing.get_by_label("Method").select_option(label=ICPMS)
    sizing.get_by_label("Balance").select_option(label=str(balance))
    sizing.get_by_label("Mass screened (g)").fill("100.00")
    sizing.get_by_label("Mass retained on the screen (g)").fill("20.00")
    sizing.get_by_role("button", name="Record the check").click()
    expect(message(page)).to_contain_text(f"Sizing check of {first.code} recorded.")
    expect(icpms_row(page)).to_contain_text("blocks analysis")
    expect(icpms_row(page)).to_contain_text(
        f"{first.code} failed its sizing check for icpms-4acid (80.0 % passing 75 µm"
    )
    expect(page.locator("table.prep-steps tbody tr").last).to_contain_text("80.0 % < 75 µm (required 85 %) ✘ failed")

    # She pulverises it again and checks again: 90.0 % passing, the block is lifted.
    plain = step_form(page, "Crushing, pulverising, splitting")
    plain.get_by_label("Step").select_option(label="Pulverising")
    plain.get_by_label("Equipment").fill("LM2 ring mill")
    plain.get_by_label("Method").select_option(label=ICPMS)
    plain.get_by_role("button", name="Record the step").click()
    expect(message(page)).to_contain_text(f"Pulverising of {first.code} recorded.")
    sizing = step_form(page, "Sizing check")
    sizing.get_by_label("Method").select_option(label=ICPMS)
    sizing.get_by_label("Balance").select_option(label=str(balance))
    sizing.get_by_label("Mass screened (g)").fill("100.00")
    sizing.get_by_label("Mass retained on the screen (g)").fill("10.00")
    sizing.get_by_role("button", name="Record the check").click()
    expect(page.locator("table.prep-steps tbody tr").last).to_contain_text("90.0 % < 75 µm (required 85 %) ✔ passed")
    expect(icpms_row(page)).not_to_contain_text("blocks analysis")

    # The aliquot: 0.2500 g digested and made up to 50 mL, the sample's factors in the run.
    aliquot = step_form(page, "Analytical aliquot")
    aliquot.get_by_label("Method").select_option(label=ICPMS)
    aliquot.get_by_label("Balance").select_option(label=str(balance))
    aliquot.get_by_label("Digested mass (g)").fill("0.2500")
    aliquot.get_by_label("Final volume (mL)").fill("50")
    aliquot.get_by_role("button", name="Record the aliquot").click()
    expect(message(page)).to_contain_text(f"Analytical aliquot of {first.code} recorded.")
    expect(icpms_row(page)).to_contain_text("0.2500 g → 50.00 mL")

    # The run of the batch, from the batch's page: matched position by position, and accepted.
    path = tmp_path / f"batch-{batch.pk}-export.csv"
    path.write_bytes(run_file(first, second, symbols))
    page.get_by_role("link", name="Batches", exact=True).click()
    page.get_by_role("link", name=str(batch.pk), exact=True).click()
    page.get_by_role("link", name="Import the run of this batch").click()
    page.get_by_label("Instrument file").set_input_files(str(path))
    page.get_by_label("Digested mass (g)").fill("0.25")
    page.get_by_label("Final volume (mL)").fill("50")
    page.get_by_label("CCV nominal concentration").fill("10")
    page.get_by_role("button", name="Import for preview").click()
    expect(message(page)).to_contain_text(f"of Batch {batch.pk} is uploaded")
    # The page refreshes itself until the worker has read the file.
    match = page.locator("section.batch-match")
    expect(match).to_contain_text(f"Matched with Batch {batch.pk}", timeout=60_000)
    expect(match).to_contain_text("Every position of the batch is measured, and every row of the file is a position")
    factors = page.locator("section.run-preparation tbody tr")
    expect(factors).to_have_count(2)
    expect(factors.filter(has_text=first.code)).to_contain_text("0.2500 g 50.00 mL weighed at preparation")
    page.get_by_role("button", name="Accept the run").click()
    expect(message(page)).to_contain_text("is accepted")
    run = Run.objects.get()
    assert (run.status, run.qc_status) == ("accepted", "passed")
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETE

    # Rita approves the whole first sample in one action: every ICP-MS result, none of them hers.
    login(page, live_server, reviewer)
    page.get_by_role("link", name="Review", exact=True).click()
    page.locator("form.filters").get_by_label("Sample").fill(first.code)
    page.get_by_role("button", name="Filter").click()
    bulk = page.locator("form.bulk-review")
    expect(bulk).to_contain_text(f"{len(symbols)} results are ready for a decision.")
    expect(page.locator(".own-skipped")).to_have_count(0)
    bulk.get_by_role("button", name="Approve all").click()
    expect(message(page)).to_have_text(f"{len(symbols)} result(s) approved.")
    expect(message(page)).not_to_contain_text("Skipped")
    assert set(first.results.values_list("status", flat=True)) == {Result.Status.APPROVED}
    assert first.results.filter(analyte__symbol__in=symbols, decided_by=reviewer).count() == len(symbols) == 32

    # ...and rejects the second sample's lead, saying why.
    page.locator("form.filters").get_by_label("Sample").fill(second.code)
    page.get_by_role("button", name="Filter").click()
    lead = page.locator("table.review tbody tr").filter(has=page.get_by_role("cell", name="Pb", exact=True))
    lead.get_by_label("Reason").fill(REASON)
    lead.get_by_role("button", name="Reject").click()
    expect(message(page)).to_have_text(f"{second.code} Pb: Rejected (retest).")
    expect(page.locator("form.bulk-review")).to_contain_text(f"{len(symbols) - 1} results are ready for a decision.")

    # Tess finds the rejection and its reason among her results, and on the sample's results page.
    login(page, live_server, technician)
    page.get_by_role("link", name="Results", exact=True).click()
    page.locator("form.filters").get_by_label("Status").select_option("rejected")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(second.code)
    expect(rows.locator(".rejection")).to_contain_text(f"Rejected ({reviewer}): {REASON}")
    expect(rows.locator(".rejection")).to_contain_text("awaiting its retest")
    page.get_by_role("link", name=second.code).first.click()
    rejected = second.results.get(analyte__symbol="Pb")
    expect(page.locator(f"#rejection-{rejected.pk} .reason")).to_have_text(REASON)
    assert (rejected.status, rejected.reason, rejected.decided_by) == (Result.Status.REJECTED, REASON, reviewer)

    # The first sample's lanthanum, from its own aliquot: 115 ug/L x 50 mL / 0.2500 g / 0.92, approved.
    page.goto(f"/samples/{first.code}/results/")
    lanthanum = first.results.get(analyte__symbol="La")
    expect(page.locator(f"#result-{lanthanum.pk}")).to_contain_text("25.0 ppm")
    expect(page.locator(f"#result-{lanthanum.pk}")).to_contain_text("Approved")
    assert lanthanum.value == D("25")
