"""A real Celery worker consuming from Redis runs the nightly custody check against the test
database. Eager mode would prove nothing about serialisation, routing or acknowledgement."""

import socket
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from lims.celery import app
from lims.models import AuditEvent
from samples.tasks import custody_verify_all
from tests.conftest import received, require_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def worker():
    require_or_skip(bool(settings.REDIS_URL), "REDIS_URL is not set: no Redis broker to run a worker on")
    require_or_skip(_redis_answers(settings.REDIS_URL), f"Redis at {settings.REDIS_URL} does not answer")
    import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping for the worker's ping check

    with start_worker(app, pool="solo", concurrency=1, loglevel="WARNING", shutdown_timeout=30) as w:
        yield w


def test_it_runs_the_custody_check_on_a_real_worker(worker, lot, sampler, technician):
    received(lot, sampler, technician)

    result = custody_verify_all.delay().get(timeout=60)

    # Composite and one split, both intact; the worker wrote its verdict to the shared database.
    assert result == {"checked": 2, "broken": []}
    assert AuditEvent.objects.filter(action="custody.verify_all").count() == 1


def test_it_reports_a_tampered_chain_from_the_worker(worker, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger refuses this edit; a database owner could still disable it. The chain
            # is the second line of defence, so we play that owner here.
            cursor.execute("ALTER TABLE samples_custodyevent DISABLE TRIGGER samples_custodyevent_append_only")
        cursor.execute(
            "UPDATE samples_custodyevent SET location = %s WHERE sample_id = %s AND sequence = 3",
            ["Somewhere else", sample.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE samples_custodyevent ENABLE TRIGGER samples_custodyevent_append_only")

    result = custody_verify_all.delay().get(timeout=60)

    assert result["broken"] == [{"sample": sample.code, "event": 3, "reason": "content does not match its hash"}]
