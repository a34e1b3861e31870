"""A run imported against a batch: what is missing, skipped and extra is listed before accept, the QC
pairs each duplicate with the sample the batch says, and the batch follows its run.

The batch: four samples under the default ICP-MS mask:
1 CAL BLANK 1, 2-5 the samples, 6 DUP 5 (of position 5), 7 METHOD BLANK 1, 8 <CRM> 1, 9 CCV 1.
The file measures everything but the third sample and the CRM, and one sample that is no position."""

from decimal import Decimal

import pytest

from assays.batch_models import Batch
from assays.batch_selectors import batch_match
from assays.models import Method, QCCheck
from assays.services import batches, run_accept, run_discard
from lims.exceptions import ApplicationError
from tests.assays.conftest import csv_file, icpms_symbols, import_run
from tests.conftest import received


@pytest.fixture
def icpms(db):
    return Method.objects.get(code="icpms-4acid")


@pytest.fixture
def samples(lot, sampler, technician):
    return [received(lot, sampler, technician) for _ in range(4)]


@pytest.fixture
def batch(technician, instrument, icpms, samples):
    return batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[s.code for s in samples])


def lines(name, value, symbols, qualifier=""):
    if qualifier:
        return [f"{name},{s},,ug/L,<,{value}," for s in symbols]
    return [f"{name},{s},{value},ug/L,,," for s in symbols]


def measured_file(samples, symbols, *, extra="KZL-99-EXTRA"):
    rows = [
        *lines("CAL BLANK 1", "0.01", symbols, qualifier="<"),
        *lines(samples[0].code, "100", symbols),
        *lines(samples[1].code, "100", symbols),
        # samples[2] is not measured; the CRM is skipped.
        *lines(samples[3].code, "100", symbols),
        *lines("DUP 5", "104", symbols),
        *lines("METHOD BLANK 1", "0.01", symbols, qualifier="<"),
        *lines("CCV 1", "10.0", symbols),
        *lines(extra, "100", symbols),
    ]
    return csv_file(*rows)


def import_against(technician, batch, data, **kwargs):
    return import_run(
        technician, batch.instrument, batch.method, data, ccv_nominal=Decimal("10"), batch=batch, **kwargs
    )


def test_missing_skipped_and_extra_are_listed(technician, batch, samples):
    symbols = icpms_symbols()
    run = import_against(technician, batch, measured_file(samples, symbols))
    match = batch_match(run)
    assert [(p.number, p.label) for p in match.missing] == [(4, samples[2].code)]
    assert [(p.number, p.kind) for p in match.skipped] == [(8, "crm")]
    # The extra sample's first line: after the header and seven measurements of every analyte.
    assert match.extra == [{"row": 2 + 7 * len(symbols), "sample_name": "KZL-99-EXTRA"}]
    assert not match.complete


def test_the_duplicate_is_paired_from_the_batch(technician, batch, samples):
    symbols = icpms_symbols()
    run = import_against(technician, batch, measured_file(samples, symbols))
    duplicate = run.readings.filter(sample_name="DUP 5").first()
    # "DUP 5" names no sample: the batch says it repeats position 5, the fourth sample.
    assert (duplicate.row_type, duplicate.duplicate_of, duplicate.sample_id) == (
        "duplicate",
        samples[3].code,
        samples[3].pk,
    )
    checks = QCCheck.objects.filter(run=run, kind="duplicate_rpd")
    assert checks.count() == len(symbols)
    assert {(c.figures["a"], c.figures["b"]) for c in checks} == {("100", "104")}
    assert all(c.passed for c in checks)


def test_without_the_batch_the_name_pairs_nothing(technician, batch, samples):
    symbols = icpms_symbols()
    run = import_run(
        technician, batch.instrument, batch.method, measured_file(samples, symbols), ccv_nominal=Decimal("10")
    )
    assert not QCCheck.objects.filter(run=run, kind="duplicate_rpd").exists()
    assert batch_match(run) is None


def test_the_batch_follows_its_run(technician, batch, samples):
    symbols = icpms_symbols()
    run = import_against(technician, batch, measured_file(samples, symbols))
    batch.refresh_from_db()
    assert batch.status == "running"
    # A running batch takes no second run.
    with pytest.raises(ApplicationError) as refused:
        import_against(technician, batch, measured_file(samples, symbols, extra="KZL-99-OTHER"), filename="b.csv")
    assert refused.value.message == f"Batch {batch.pk} has been given its run already."
    run_discard(actor=technician, run=run, reason="Torch went out")
    batch.refresh_from_db()
    assert batch.status == "planned"
    again = import_against(technician, batch, measured_file(samples, symbols, extra="KZL-99-OTHER"), filename="b.csv")
    run_accept(actor=technician, run=again)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETE


def test_a_run_of_another_method_or_instrument_is_refused(technician, batch, samples):
    with pytest.raises(ApplicationError) as refused:
        import_run(
            technician, batch.instrument, Method.objects.get(code="icpms-aqua-regia"), csv_file("x,Cu,1,ug/L,,,"),
            batch=batch,
        )  # fmt: skip
    assert refused.value.field == "batch"
