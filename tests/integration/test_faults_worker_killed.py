"""Fault: a killed worker left its certificates "rendering" for 17 minutes (the claim's lease was the
hard time limit plus a minute). Claims now carry a heartbeat: while a worker process renders, its
claim stays fresh however long that takes; once the process is killed (SIGKILL, as the kernel's OOM
killer does), the claim ages past the lease and the sweep takes the certificate over: issued once,
with the number it was given first. The worker here is a forked process running the issuing task
against the test's PostgreSQL database; the lease is shortened to seconds."""

import multiprocessing
import os
import signal
import time
from datetime import timedelta

import pytest
from django.db import connection, connections

from certificates import document, services
from certificates.models import Certificate
from tests.assays.conftest import report
from tests.conftest import received

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
LEASE = timedelta(seconds=3)


def rendering_forever(started) -> None:
    """The issuing task in a worker child whose rendering never ends (until it is killed)."""

    def render(*args, **kwargs):
        started.set()
        time.sleep(600)

    document.render_certificate = render
    services.certificate_issue_unsafe(certificate_id=int(os.environ["FAULT_CERTIFICATE"]), claim="task-killed")


def test_a_killed_workers_claim_is_taken_over_after_the_lease(
    monkeypatch, client, lot, sampler, technician, reviewer, manager, instrument, keys_dir, dispatched
):
    if connection.vendor != "postgresql":
        pytest.skip("a forked worker shares the database only through a server")
    monkeypatch.setattr(services, "LEASE", LEASE)
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
    requested = services.certificate_request(actor=manager, sample=sample)
    monkeypatch.setenv("FAULT_CERTIFICATE", str(requested.pk))
    connections.close_all()  # the child opens its own
    context = multiprocessing.get_context("fork")
    started = context.Event()
    child = context.Process(target=rendering_forever, args=(started,))
    child.start()
    try:
        assert started.wait(60), "the worker child never started rendering"
        # Alive for twice the lease: its heartbeat keeps the claim, the sweep leaves it alone.
        time.sleep(2 * LEASE.total_seconds())
        assert services.sweep_unfinished() == []
        claimed = Certificate.objects.get(pk=requested.pk)
        assert claimed.status == Certificate.Status.RENDERING and claimed.claimed_by == "task-killed"
        number = claimed.number

        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        time.sleep(LEASE.total_seconds() + 0.5)
        # Dead: its claim has aged past the lease; the sweep sends it again.
        assert services.sweep_unfinished() == [requested.pk]
        assert dispatched == [requested.pk, requested.pk]  # on request, and by the sweep
    finally:
        if child.is_alive():
            child.kill()
            child.join()

    issued = services.certificate_issue_unsafe(certificate_id=requested.pk, claim="task-sweep")

    assert issued is not None and issued.status == Certificate.Status.ISSUED
    issued.refresh_from_db()
    assert issued.number == number  # the number given by the killed attempt; no gap, no second one
    assert issued.attempts == 2 and issued.claimed_by == "task-sweep"
    assert Certificate.objects.filter(number__isnull=False).count() == 1
    # The killed attempt's redelivery (same task id) finds nothing left to do.
    assert services.certificate_issue_unsafe(certificate_id=requested.pk, claim="task-killed") is None


def test_the_page_says_a_taken_over_certificate_is_being_resumed(
    client, manager, lot, sampler, technician, reviewer, instrument, dispatched
):
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
    requested = services.certificate_request(actor=manager, sample=sample)
    Certificate.objects.filter(pk=requested.pk).update(status=Certificate.Status.RENDERING, attempts=2)
    client.force_login(manager)

    page = client.get(f"/certificates/{requested.pk}/").content.decode()

    assert "the work is being resumed" in page
