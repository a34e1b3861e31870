"""Runs and results move only along their lifecycles (assays.models): a step their table does not
have is refused with the current state named, and changes nothing."""

import pytest

from assays import services
from assays.models import Result, Run
from lims.exceptions import Conflict
from tests.assays.conftest import csv_file, import_run, manual, qc_rows, sample_rows


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def preview(technician, instrument, icpms, sample):
    """A QC-passed run of the sample's La, in preview."""
    return import_run(technician, instrument, icpms, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"])))


@pytest.fixture
def failed(technician, instrument, icpms, sample):
    """A run without QC rows: QC failed."""
    return import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))


def refusal(call, **kwargs) -> str:
    with pytest.raises(Conflict) as refused:
        call(**kwargs)
    return refused.value.message


def test_a_run_in_preview_is_not_withdrawn(technician, preview):
    message = refusal(services.run_withdraw, actor=technician, run=preview, reason="Wrong batch.")

    assert message == "This run is preview; it cannot be withdrawn."
    preview.refresh_from_db()
    assert (preview.status, preview.withdraw_reason) == (Run.Status.PREVIEW, "")


def test_an_accepted_run_is_not_discarded(technician, preview, sample):
    services.run_accept(actor=technician, run=preview)

    assert (
        refusal(services.run_discard, actor=technician, run=preview) == "This run is accepted; it cannot be discarded."
    )
    preview.refresh_from_db()
    assert preview.status == Run.Status.ACCEPTED
    assert sample.results.get().status == Result.Status.ENTERED


def test_a_discarded_run_is_not_accepted(technician, preview, sample):
    services.run_discard(actor=technician, run=preview)

    assert (
        refusal(services.run_accept, actor=technician, run=preview) == "This run is discarded; it cannot be accepted."
    )
    assert not sample.results.exists()


def test_only_a_failed_qc_is_overridden(reviewer, preview):
    message = refusal(services.run_override_qc, actor=reviewer, run=preview, reason="Looks fine.")

    assert message == "The QC of this run is QC passed; it cannot be overridden."
    preview.refresh_from_db()
    assert (preview.qc_status, preview.override_reason) == (Run.QCStatus.PASSED, "")


def test_the_qc_of_a_discarded_run_is_not_overridden(technician, reviewer, failed):
    services.run_discard(actor=technician, run=failed)

    message = refusal(services.run_override_qc, actor=reviewer, run=failed, reason="CCV in another file.")

    assert message == "This run is discarded; it cannot be cleared of its QC failure."
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.FAILED


def test_readings_are_chosen_in_preview_only(technician, preview):
    services.run_accept(actor=technician, run=preview)
    reading = preview.readings.filter(sample__isnull=False).first()

    message = refusal(services.run_choose_reading, actor=technician, run=preview, reading=reading, reason="Better.")

    assert message == "This run is accepted; it cannot be given a choice of reading."
    assert not preview.choices.exists()


def test_a_rejected_result_is_not_approved(technician, reviewer, manager, sample):
    (result,) = manual(technician, "fire-assay", sample, Au="5.2")
    services.result_reject(actor=reviewer, result=result, reason="Crucible cracked.")

    message = refusal(services.result_approve, actor=manager, result=result)

    assert message == "This result is rejected (retest); it cannot be approved."
    result.refresh_from_db()
    assert (result.status, result.decided_by) == (Result.Status.REJECTED, reviewer)
