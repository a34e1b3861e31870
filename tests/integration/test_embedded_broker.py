"""The development setup of `make run`: separate processes (a command that sends a task and a
real worker) talking through kombu's filesystem transport under var/, with no broker server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _manage(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def _worker(env) -> subprocess.Popen:
    """The worker of `make run`: solo pool, every queue."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lims", "worker", "--pool", "solo", "-Q", "default,imports,pdf,custody",
         "--without-mingle", "--without-gossip", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        return worker.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate()[0]


def test_a_solo_worker_past_its_memory_limit_replaces_itself_and_goes_on(tmp_path):
    """A solo worker has no children for Celery to replace: past CELERY_WORKER_MAX_MEMORY_PER_CHILD it
    finishes its task, shuts down and executes itself again, same process id, and takes the next task."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    # 50 MB, the least the setting takes: a worker with Django loaded is past it after any task.
    env.update(
        DEBUG="1",
        LIMS_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB="50000",
    )
    assert _manage(env, "migrate", "-v0").returncode == 0
    worker = _worker(env)
    try:
        sent = _manage(
            env,
            "shell",
            "-c",
            "import json; from samples.tasks import custody_verify_all; "
            "print(json.dumps([custody_verify_all.delay().get(timeout=90) for _ in range(2)]))",
            timeout=180,
        )
        alive = worker.poll() is None
    finally:
        log = _stop(worker)

    assert sent.returncode == 0, sent.stderr + log
    assert json.loads(sent.stdout.strip().splitlines()[-1]) == [{"checked": 0, "broken": []}] * 2
    # Both tasks ran, with a restart between them, in the process that was started.
    assert alive, log
    assert log.count("restarting once this task is acknowledged") >= 1, log
    assert log.count("succeeded") == 2, log


def test_a_separate_worker_process_runs_tasks_sent_through_the_filesystem_broker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DEBUG="1", LIMS_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert _manage(env, "migrate", "-v0").returncode == 0
    seeded = _manage(env, "seed_demo")
    assert seeded.returncode == 0, seeded.stderr

    worker = _worker(env)
    try:
        sent = _manage(
            env,
            "shell",
            "-c",
            "import json; from samples.tasks import custody_verify_all; from samples.models import Sample; "
            "print(json.dumps([custody_verify_all.delay().get(timeout=90), Sample.objects.count()]))",
        )
        assert sent.returncode == 0, sent.stderr
        result, samples = json.loads(sent.stdout.strip().splitlines()[-1])
    finally:
        log = _stop(worker)

    # Every demo sample was checked and every chain is intact; the task ran in the worker process.
    assert samples > 0
    assert result == {"checked": samples, "broken": []}, log
    assert "custody_verify_all" in log and "succeeded" in log
