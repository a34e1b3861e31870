"""Fault: a broker outage stalled the site. With Redis down, every certificate request held a web
worker about 20 s (sending the task subscribed to its result in the result backend, a result nobody
reads). Now the tasks ignore their results and publishing waits on the broker for at most
CELERY_PUBLISH_TIMEOUT_SECONDS: the request answers at once, the certificate waits as pending, and
when Redis is back the sweep sends it and a real worker issues it exactly once.

The test runs a Redis of its own on a free port (stopped and started again here; the shared one is
never touched) and a Celery app configured exactly as production (the CELERY_* settings) but for the
broker's address."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

import lims.celery
from certificates import services
from certificates.models import Certificate
from tests.assays.conftest import report
from tests.conftest import received, require_or_skip
from tests.integration.test_certificate_worker import wait_until_finished

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# A correctness guard, not a benchmark: before the fix the request took about 20 s.
ANSWERS_WITHIN_SECONDS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throw-away redis-server this test may stop and start at will."""

    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    require_or_skip(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def celery_app(redis_server) -> Iterator[Celery]:
    """The production configuration, on the test's own Redis; the project's app again afterwards."""
    app = Celery("lims-faults")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = app.conf.result_backend = redis_server.url
    app.set_current()
    app.set_default()
    try:
        yield app
    finally:
        lims.celery.app.set_current()
        lims.celery.app.set_default()


def test_a_certificate_request_answers_while_redis_is_down_and_is_issued_once_after(
    celery_app, redis_server, client, lot, sampler, technician, reviewer, manager, instrument, keys_dir
):
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
    redis_server.stop()
    client.force_login(manager)

    started = time.monotonic()
    response = client.post("/certificates/request/", {"sample": sample.code})
    took = time.monotonic() - started

    certificate = Certificate.objects.get(sample=sample)
    assert response.status_code == 302 and response["Location"] == f"/certificates/{certificate.pk}/"
    assert took < ANSWERS_WITHIN_SECONDS, f"the request waited {took:.1f} s on a broker that is down"
    assert certificate.status == Certificate.Status.PENDING
    assert certificate.dispatched_at is None  # not sent: the sweep sends it when the broker is back

    redis_server.start()
    import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping for the worker's ping check

    with start_worker(celery_app, pool="solo", concurrency=1, loglevel="WARNING", shutdown_timeout=30):
        assert services.sweep_unfinished() == [certificate.pk]
        issued = wait_until_finished(certificate.pk)
        assert services.sweep_unfinished() == []  # nothing left to send

    assert issued.status == Certificate.Status.ISSUED, issued.failure
    assert issued.attempts == 1  # issued exactly once, by one task
    assert [e.action for e in issued.events.all()] == ["requested", "rendering", "signing", "issued"]
    assert Certificate.objects.filter(sample=sample).count() == 1
