"""Fault: two reviewers approving the last two results of one sample at the same moment. Before the
sample row was locked in assays.services.results._report_if_complete, each saw the other's result
unapproved and neither reported the sample (4 of 20 tries): it could never be certified. Now exactly
one of them reports it, every time; `manage.py report_complete_samples` repairs samples left behind.
PostgreSQL only: its row locks and READ COMMITTED are what production runs on."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections

from assays import services
from assays.models import Method, Result
from lims.roles import Role
from samples.models import CustodyEvent, Sample
from tests.assays.conftest import csv_file, icpms_symbols, import_run, manual, qc_rows, sample_rows
from tests.conftest import make_user, received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TRIES = 20


def entered_panels(lot, sampler, technician, instrument, count: int) -> list[Sample]:
    """`count` received samples whose whole panel is entered, on one run that cleared QC."""
    samples = [received(lot, sampler, technician) for _ in range(count)]
    symbols = icpms_symbols()
    rows = [*qc_rows(symbols), *(row for s in samples for row in sample_rows(s.code, symbols))]
    run = import_run(technician, instrument, Method.objects.get(code="icpms-4acid"), csv_file(*rows))
    services.run_accept(actor=technician, run=run)
    for sample in samples:
        manual(technician, "moisture", sample, H2O="8.0")
        manual(technician, "titration-cu", sample, Cu="22.50")
        manual(technician, "fire-assay", sample, Au="5.20", Ag="41.0")
    return samples


def approve_all_but_two(sample: Sample, reviewer) -> list[Result]:
    pending = sorted(sample.results.filter(status="entered"), key=lambda r: (r.analyte.symbol != "H2O", r.pk))
    for result in pending[:-2]:
        services.result_approve(actor=reviewer, result=result)
    return pending[-2:]


def approve_at_once(results: list[Result], reviewers) -> list[BaseException]:
    """Each reviewer approves one result in a thread of its own (a connection of its own), released
    together by a barrier."""
    barrier = threading.Barrier(len(results))
    errors: list[BaseException] = []

    def approve(result, reviewer):
        try:
            barrier.wait()
            services.result_approve(actor=reviewer, result=result)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(results, reviewers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_reviewers_approving_the_last_two_results_report_the_sample_once(
    lot, sampler, technician, reviewer, lab, instrument
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are tested on PostgreSQL, the production database")
    reviewer2 = make_user("rhea", Role.REVIEWER, lab)
    samples = entered_panels(lot, sampler, technician, instrument, TRIES)
    for sample in samples:
        last_two = approve_all_but_two(sample, reviewer)
        assert approve_at_once(last_two, [reviewer, reviewer2]) == []
        sample.refresh_from_db()
        # Every result approved, and the sample reported by exactly one of the two approvals.
        assert set(sample.results.values_list("status", flat=True)) == {"approved"}
        assert sample.status == Sample.Status.REPORTED, sample.code
        assert CustodyEvent.objects.filter(sample=sample, action="report").count() == 1


def test_the_command_reports_samples_left_complete_but_unreported(
    lot, sampler, technician, reviewer, instrument, monkeypatch
):
    complete, incomplete = entered_panels(lot, sampler, technician, instrument, 2)
    # Approvals that did not report (as the race used to leave them).
    monkeypatch.setattr(services.results, "_report_if_complete", lambda **kwargs: False)
    for result in sorted(complete.results.all(), key=lambda r: r.analyte.symbol != "H2O"):
        services.result_approve(actor=reviewer, result=result)
    approve_all_but_two(incomplete, reviewer)
    monkeypatch.undo()
    complete.refresh_from_db()
    assert complete.status == Sample.Status.IN_ANALYSIS

    out = StringIO()
    call_command("report_complete_samples", stdout=out)

    complete.refresh_from_db()
    incomplete.refresh_from_db()
    assert complete.status == Sample.Status.REPORTED
    assert incomplete.status == Sample.Status.IN_ANALYSIS  # two results still wait for a reviewer
    assert out.getvalue().splitlines() == [complete.code, "1 sample(s) reported"]
    event = CustodyEvent.objects.get(sample=complete, action="report")
    assert event.actor == reviewer
    call_command("report_complete_samples", stdout=out)  # a second run changes nothing
    assert CustodyEvent.objects.filter(sample=complete, action="report").count() == 1
