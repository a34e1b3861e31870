"""Fault: the database connection of an ICP-MS import is lost half-way, after its readings are
written and before its QC checks are. The import's session is terminated for real, from a second
connection (pg_terminate_backend), as a database restart or a failover would end it. The readings,
the run and the audit record are written in one transaction, so nothing of the import is kept and
the same file imports again. PostgreSQL only: the COPY of the readings and the server-side kill are
PostgreSQL's."""

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections

from assays import services
from assays.models import Method, QCCheck, Reading, Run
from assays.tasks import import_run_file
from lims.models import AuditAction, AuditEvent
from tests.assays.conftest import csv_file, icpms_symbols, import_run, qc_rows, sample_rows
from tests.conftest import received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql_only(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the import's session is terminated with pg_terminate_backend, a PostgreSQL function")
    settings.MEDIA_ROOT = tmp_path / "media"


def terminate(pid: int) -> None:
    """End the session `pid` from a connection of another thread, and wait until it has ended."""
    ended: list[bool] = []

    def kill():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
                ended.append(cursor.fetchone()[0])
        finally:
            connections.close_all()

    thread = threading.Thread(target=kill)
    thread.start()
    thread.join()
    assert ended == [True]


@pytest.fixture
def lost_mid_import(monkeypatch):
    """Terminate the importing session once, when the run's readings are written and its QC checks
    are next (assays.services.runs calls run_checks between the two). Records what the import had
    written by then, as its own session saw it and as any other session did."""
    seen: dict = {}
    original = services.runs.run_checks

    def run_checks_after_losing_the_connection(run, *args, **kwargs):
        if not seen:
            seen["readings_written"] = Reading.objects.filter(run=run).count()
            seen["readings_visible"] = _count_elsewhere(run.pk)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                terminate(cursor.fetchone()[0])
        return original(run, *args, **kwargs)

    monkeypatch.setattr(services.runs, "run_checks", run_checks_after_losing_the_connection)
    return seen


def _count_elsewhere(run_id: int) -> int:
    """The run's readings as another session sees them."""
    counts: list[int] = []

    def count():
        try:
            counts.append(Reading.objects.filter(run_id=run_id).count())
        finally:
            connections.close_all()

    thread = threading.Thread(target=count)
    thread.start()
    thread.join()
    return counts[0]


@pytest.fixture
def run_file(lot, sampler, technician):
    """A run of one sample: a calibration blank and a CCV for each ICP-MS analyte, and the sample at
    100 ug/L of each. (file, expected readings as (sample name, analyte, value, type) by row)."""
    sample = received(lot, sampler, technician)
    symbols = icpms_symbols()
    rows = [*qc_rows(symbols), *sample_rows(sample.code, symbols, value="100")]
    expected = []
    for row in rows:
        name, symbol, value, _unit, _qualifier, _limit, kind = row.split(",")
        expected.append((name, symbol, Decimal(value) if value else None, kind))
    return csv_file(*rows), expected


def stored_readings(run: Run) -> list[tuple]:
    return [
        (r.sample_name, r.analyte.symbol, r.value, r.row_type)
        for r in run.readings.select_related("analyte").order_by("row", "id")
    ]


def nothing_of_the_import_is_kept() -> None:
    assert not Run.objects.exists()
    assert not Reading.objects.exists()
    assert not QCCheck.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="run.").exists()
    assert stored_files() == []  # the uploaded file is removed with the run that failed


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_an_import_that_loses_its_connection_keeps_nothing_and_imports_again(
    technician, instrument, run_file, lost_mid_import
):
    data, expected = run_file
    icpms = Method.objects.get(code="icpms-4acid")

    with pytest.raises(OperationalError, match="terminat"):
        import_run(technician, instrument, icpms, data)

    # The kill came mid-import: every reading was written, but only inside the import's transaction.
    assert lost_mid_import == {"readings_written": len(expected), "readings_visible": 0}
    connections.close_all()  # the connection is re-established: the next query reconnects
    nothing_of_the_import_is_kept()

    run = import_run(technician, instrument, icpms, data)

    assert (run.status, run.qc_status) == (Run.Status.PREVIEW, Run.QCStatus.PASSED)
    assert stored_readings(run) == expected
    assert AuditEvent.objects.filter(action=AuditAction.RUN_IMPORT, object_id=str(run.pk)).count() == 1
    assert [path.name for path in stored_files()] == [run.raw_file.name.rsplit("/", 1)[-1]]


def test_a_queued_import_that_loses_its_connection_is_retried_and_imports(
    technician, instrument, run_file, lost_mid_import, monkeypatch
):
    data, expected = run_file
    sent: list[int] = []
    monkeypatch.setattr(services.runs, "_dispatch_import", sent.append)
    run = services.run_upload(
        actor=technician, data=data, filename="run.csv", instrument=instrument,
        method=Method.objects.get(code="icpms-4acid"), prep_mass_g=Decimal("0.25"), prep_volume_ml=Decimal("50"),
    )  # fmt: skip
    assert sent == [run.pk]

    # As the imports worker runs it (apply: in this process, its retries at once, without the countdown).
    outcome = import_run_file.apply(args=[run.pk])

    # The first attempt lost its connection mid-import; the retry imported the whole file once.
    assert lost_mid_import == {"readings_written": len(expected), "readings_visible": 0}
    assert (outcome.successful(), outcome.result) == (True, Run.Status.PREVIEW), outcome.traceback
    run.refresh_from_db()
    assert (run.status, run.qc_status) == (Run.Status.PREVIEW, Run.QCStatus.PASSED)
    assert stored_readings(run) == expected
    assert AuditEvent.objects.filter(action=AuditAction.RUN_IMPORT, object_id=str(run.pk)).count() == 1


def test_a_queued_import_that_keeps_losing_its_connection_is_refused_with_the_reason(
    technician, instrument, run_file, monkeypatch
):
    data, _expected = run_file
    monkeypatch.setattr(services.runs, "_dispatch_import", lambda run_id: None)
    run = services.run_upload(
        actor=technician, data=data, filename="run.csv", instrument=instrument,
        method=Method.objects.get(code="icpms-4acid"), prep_mass_g=Decimal("0.25"), prep_volume_ml=Decimal("50"),
    )  # fmt: skip
    attempts: list[int] = []

    def always_lost(run, *args, **kwargs):
        attempts.append(run.pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            terminate(cursor.fetchone()[0])
            cursor.execute("SELECT 1")  # the session has ended: OperationalError
        raise AssertionError("the connection survived its termination")

    monkeypatch.setattr(services.runs, "run_checks", always_lost)

    outcome = import_run_file.apply(args=[run.pk])

    # Every attempt (the first and its five retries) lost its connection; the last refused the run.
    assert len(attempts) == 1 + import_run_file.max_retries
    assert (outcome.successful(), outcome.result) == (True, Run.Status.REFUSED), outcome.traceback
    run.refresh_from_db()
    assert run.status == Run.Status.REFUSED
    assert "database could not be reached" in run.summary["message"]
    assert not Reading.objects.filter(run=run).exists()
    # The file is no longer "imported already": it may be uploaded again.
    monkeypatch.undo()
    monkeypatch.setattr(services.runs, "_dispatch_import", lambda run_id: None)
    again = services.run_upload(
        actor=technician, data=data, filename="run.csv", instrument=instrument,
        method=Method.objects.get(code="icpms-4acid"), prep_mass_g=Decimal("0.25"), prep_volume_ml=Decimal("50"),
    )  # fmt: skip
    assert again.status == Run.Status.QUEUED
