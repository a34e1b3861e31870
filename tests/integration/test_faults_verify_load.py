"""Fault: a revocation under load. The public verification portal is the busiest part of the site and
keeps a certificate's register state in the cache the web processes share; a revocation must show at
once on every one of them, however hard they are driven, and nothing may fail meanwhile.

gunicorn runs as production does (deploy/gunicorn.conf.py: sync workers, DEBUG off, no private key in
the web process, CACHE_URL on Redis) on the test database, with the demo's real signed certificates
(seed_demo issues them through the services). Client threads ask for one issued certificate by
number, through the JSON API and the HTML page alike, for LIMS_FAULT_LOAD_SECONDS (60); half-way
through, a manager revokes it through the service. A request opens a connection of its own (sync
workers do not keep connections alive), so both workers answer; which one did, gunicorn's access log
tells (a tag in each query string, the worker's process id in each line).

Expectations: no answer >= 500 and no connection error; every request that started after the
revocation returned says "revoked", on every worker; every request that ended before it began says
"authentic". The verification rate limit is raised out of the way, and the cache is a Redis database
of this test's own (db 7 of REDIS_URL's server, flushed before and after)."""

import http.client
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from certificates import publication, services
from certificates.models import Certificate
from lims.models import User
from tests.conftest import require_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]
LOAD_SECONDS = float(os.environ.get("LIMS_FAULT_LOAD_SECONDS", "60"))
CLIENTS = 6
WORKERS = 2
CACHE_DB = 7
# A floor far under what two sync workers serve on a small machine: the test is not a benchmark
# (bench/bench_verify.py is), but a server that mostly stalled would pass everything else.
MIN_REQUESTS_PER_SECOND = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, as DATABASE_URL names it for the server process."""
    db = connection.settings_dict
    credentials = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}@" if db["USER"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    options = f"?{urlencode(db['OPTIONS'])}" if db["OPTIONS"] else ""
    return f"postgresql://{credentials}{db['HOST']}{port}/{quote(db['NAME'], safe='')}{options}"


@dataclass
class Answer:
    kind: str  # "api" or "page"
    tag: str  # in the query string, to find the worker in the access log
    started: float  # time.monotonic()
    ended: float
    status: int  # 0: no HTTP answer (connection refused, reset, timed out)
    verdict: str  # or the error
    pid: int | None = None


def ask(port: int, kind: str, number: str, tag: str) -> Answer:
    path = f"/api/v1/verify/{number}/?t={tag}" if kind == "api" else f"/verify/?number={number}&t={tag}"
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Answer(kind, tag, started, time.monotonic(), 0, repr(error))
    finally:
        conn.close()
    ended = time.monotonic()
    if status != 200:
        verdict = body[:200].decode(errors="replace")
    elif kind == "api":
        verdict = json.loads(body)["verdict"]
    else:
        found = re.search(rb'data-verdict="(\w+)"', body)
        verdict = found[1].decode() if found else "no verdict on the page"
    return Answer(kind, tag, started, ended, status, verdict)


@pytest.fixture
def shared_cache(settings):
    """The web processes' cache, which this process (where the revocation happens) shares too."""
    if connection.vendor != "postgresql":
        pytest.skip("the web processes open the test database: it must be a PostgreSQL one")
    require_or_skip(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set")
    url = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{CACHE_DB}"))
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    cache.clear()  # FLUSHDB of this test's own database only
    yield url
    cache.clear()


@pytest.fixture
def demo(settings, keys_dir, dispatched, monkeypatch):
    """seed_demo's certificates, issued here; returns the publication requests made afterwards (sent
    nowhere: no worker of this test would take them, and a later test's might)."""
    sent: list[None] = []
    monkeypatch.setattr(publication, "_send", lambda: sent.append(None))
    with override_settings(DEBUG=True), redirect_stdout(StringIO()):  # seed_demo runs only with DEBUG on
        call_command("seed_demo")
    sent.clear()
    return sent


@pytest.fixture
def server(tmp_path, shared_cache, demo):
    """gunicorn with the production configuration; yields (port, access log)."""
    port, access_log = free_port(), tmp_path / "access.log"
    private = ("LIMS_SIGNING", "LIMS_TOKEN", "LIMS_STATUS_KEY", "LIMS_GENERATE_DEV_KEYS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(private)}
    # The production settings but for static files: served unhashed, as in every test (tests/conftest.py),
    # rather than from a collectstatic run into the checkout's STATIC_ROOT.
    (tmp_path / "web_settings.py").write_text(
        "from lims.settings import *  # noqa: F403\n"
        'STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}\n'
    )
    env.update(
        DJANGO_SETTINGS_MODULE="web_settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")])),
        DEBUG="0",
        DATABASE_URL=database_url(),
        CACHE_URL=shared_cache,
        LIMS_VAR_DIR=str(tmp_path / "web-var"),  # no keys there: the web process verifies with the register
        PORT=str(port),
        WEB_CONCURRENCY=str(WORKERS),
        LIMS_VERIFY_THROTTLE_RATE="100000000/min",
        LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "lims.wsgi",
               "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(q)s %(s)s"]  # fmt: skip
    stderr = (tmp_path / "gunicorn.err").open("w+")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        while ask(port, "api", "KZL-0000-000000", "ready").status == 0:
            assert process.poll() is None, f"gunicorn stopped:\n{(tmp_path / 'gunicorn.err').read_text()[-3000:]}"
            assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
            time.sleep(0.2)
        yield port, access_log
    finally:
        process.send_signal(signal.SIGTERM)  # graceful: the workers finish and write their access lines
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr.close()


def hammer(port: int, number: str, stop: threading.Event, client: int, answers: list[Answer]) -> None:
    """One client: requests back to back until told to stop, the API and the page in turn."""
    for sequence in itertools.count():
        if stop.is_set():
            return
        answers.append(ask(port, ("api", "page")[sequence % 2], number, f"{client}-{sequence}"))


def worker_pids(access_log: Path) -> dict[str, int]:
    """The process id that answered each tag, from lines such as `<4711> t=3-17 200`."""
    pids = {}
    for line in access_log.read_text().splitlines():
        found = re.fullmatch(r"<(\d+)> (?:.*&)?t=([\w-]+)(?:&.*)? \d+", line)
        if found:
            pids[found[2]] = int(found[1])
    return pids


def test_a_revocation_under_load_shows_at_once_on_every_worker_and_nothing_fails(server, demo):
    port, access_log = server
    certificate = Certificate.objects.filter(status=Certificate.Status.ISSUED).order_by("pk").last()
    manager = User.objects.get(username="manager")
    assert ask(port, "api", certificate.number, "first").verdict == "authentic"
    assert ask(port, "page", certificate.number, "first").verdict == "authentic"

    stop = threading.Event()
    per_client: list[list[Answer]] = [[] for _ in range(CLIENTS)]
    clients = [
        threading.Thread(target=hammer, args=(port, certificate.number, stop, i, per_client[i]), daemon=True)
        for i in range(CLIENTS)
    ]
    began = time.monotonic()
    for thread in clients:
        thread.start()
    time.sleep(LOAD_SECONDS / 2)
    revoking = time.monotonic()
    services.certificate_revoke(actor=manager, certificate=certificate, reason="Revoked under load by the fault test.")
    revoked = time.monotonic()  # committed, and the kept state forgotten (on commit, in the service)
    time.sleep(max(0.0, began + LOAD_SECONDS - time.monotonic()))
    stop.set()
    for thread in clients:
        thread.join(timeout=60)
    took = time.monotonic() - began
    assert demo == [None]  # the revocation asked for a new status list too (sent nowhere here)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED

    answers = [answer for found in per_client for answer in found]
    # Written by the workers as they answer; complete once gunicorn has stopped, which the fixture
    # does later: read what is there now and wait for the few lines still being written.
    deadline = time.monotonic() + 5
    while len(pids := worker_pids(access_log)) < len(answers) and time.monotonic() < deadline:
        time.sleep(0.1)
    for answer in answers:
        answer.pid = pids.get(answer.tag)

    failed = [a for a in answers if a.status == 0 or a.status >= 500]
    after = [a for a in answers if a.started >= revoked]
    before = [a for a in answers if a.ended <= revoking]
    stale = [a for a in after if a.verdict != "revoked"]
    early = [a for a in before if a.verdict != "authentic"]
    print(
        f"\n{len(answers)} requests in {took:.1f} s ({len(answers) / took:.0f}/s) by {CLIENTS} clients on "
        f"{WORKERS} workers: {dict(Counter((a.kind, a.status) for a in answers))}; "
        f"revocation took {(revoked - revoking) * 1000:.1f} ms; {len(before)} before it, {len(after)} after"
    )
    for pid in sorted({a.pid for a in answers}, key=str):
        mine = [a for a in answers if a.pid == pid]
        current = [a for a in mine if a.verdict == "authentic"]
        last_current = max(current, key=lambda a: a.started, default=None)
        first_revoked = min((a.started for a in mine if a.verdict == "revoked"), default=None)
        print(
            f"worker {pid}: {len(mine)} answers, {len([a for a in mine if a.started >= revoked])} started after "
            f"the revocation returned; the last 'authentic' started {_ms(last_current and last_current.started, revoked)} "
            f"(ended {_ms(last_current and last_current.ended, revoked)}); the first 'revoked' started "
            f"{_ms(first_revoked, revoked)}"
        )

    assert not failed, failed[:10]
    assert not stale, [(a.kind, a.pid, f"{(a.started - revoked) * 1000:.1f} ms after", a.verdict) for a in stale[:10]]
    assert not early, early[:10]
    assert len(answers) >= MIN_REQUESTS_PER_SECOND * LOAD_SECONDS, f"only {len(answers)} requests served"
    # Both kinds of request, on every worker, saw the revocation.
    assert {(a.kind, a.pid) for a in after} == {(kind, pid) for kind in ("api", "page") for pid in set(pids.values())}
    assert len(set(pids.values())) == WORKERS
    assert all(a.pid is not None for a in answers), "an answer missing from the access log"


def _ms(moment: float | None, revoked: float) -> str:
    """A moment relative to the revocation's return."""
    return "never" if moment is None else f"{(moment - revoked) * 1000:+.1f} ms"
