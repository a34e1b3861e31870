"""An uploaded instrument file is parsed by a real Celery worker on Redis (queue "imports"): the upload
commits, the task goes through the broker after the commit, and the worker leaves the run in preview with its
readings, or refused with its problems. The web process never parses."""

import time
from decimal import Decimal

import pytest

from assays import services
from assays.models import Method, Run
from tests.assays.conftest import csv_file, qc_rows
from tests.conftest import received
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def wait_until_done(run: Run, timeout: float = 60) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != Run.Status.QUEUED:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} is still queued after {timeout} s")


def upload(technician, instrument, data: bytes) -> Run:
    return services.run_upload(
        actor=technician, data=data, filename="run.csv", instrument=instrument,
        method=Method.objects.get(code="icpms-4acid"), prep_mass_g=Decimal("0.25"), prep_volume_ml=Decimal("50"),
    )  # fmt: skip


def test_a_worker_imports_an_upload(worker, lot, sampler, technician, instrument):  # noqa: F811
    sample = received(lot, sampler, technician)

    run = upload(technician, instrument, csv_file(*qc_rows(["La"]), f"{sample.code},La,100,ug/L,,,sample"))

    run = wait_until_done(run)
    assert (run.status, run.qc_status) == ("preview", "passed")
    chosen = run.readings.get(chosen=True)
    assert (chosen.sample, chosen.value) == (sample, Decimal("100"))


def test_a_worker_refuses_a_bad_file_whole(worker, technician, instrument):  # noqa: F811
    run = upload(technician, instrument, csv_file("S-1,Xx,5,ug/L,,,sample"))

    run = wait_until_done(run)
    assert run.status == "refused" and not run.readings.exists()
    assert "not a chemical element symbol" in run.problems[0]["message"]
