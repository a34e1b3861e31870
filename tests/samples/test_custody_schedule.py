"""The nightly custody check (samples.tasks.custody_verify_all) runs at a fixed laboratory time,
LIMS_CUSTODY_CHECK_AT (default 02:30, in LIMS_TIME_ZONE), on its own queue "custody", so a long
check never holds up certificates (queue "pdf")."""

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from celery.schedules import crontab

from lims.celery import app

TASK = "samples.tasks.custody_verify_all"
ROOT = Path(__file__).resolve().parents[2]


def _schedule():
    (entry,) = [entry for entry in app.conf.beat_schedule.values() if entry["task"] == TASK]
    return entry["schedule"]


def test_it_runs_at_half_past_two_laboratory_time():
    schedule = _schedule()
    assert schedule == crontab(hour=2, minute=30)
    assert app.conf.timezone == "Asia/Almaty"

    # Last run the night before: not due a minute before 02:30 in Almaty, due at 02:30 there (21:30 UTC,
    # so a schedule read in UTC would fail both).
    almaty = ZoneInfo("Asia/Almaty")
    last_run = datetime(2026, 12, 6, 2, 30, 5, tzinfo=almaty)
    schedule.nowfun = lambda: datetime(2026, 12, 7, 2, 29, tzinfo=almaty)
    due, next_in = schedule.is_due(last_run)
    assert not due and next_in == 60
    schedule.nowfun = lambda: datetime(2026, 12, 7, 2, 30, 1, tzinfo=almaty)
    assert schedule.is_due(last_run)[0]


def test_it_routes_to_its_own_queue():
    route = app.amqp.router.route({}, TASK)
    assert route["queue"].name == "custody"
    # Declared, so a worker may consume it (missing queues are not created), and not the certificates'.
    assert "custody" in {queue.name for queue in app.conf.task_queues}
    assert app.amqp.router.route({}, "certificates.tasks.issue_certificate")["queue"].name == "pdf"


def _settings_with(value: str) -> subprocess.CompletedProcess:
    code = "import lims.settings as s; print(s.CELERY_BEAT_SCHEDULE['verify-custody-chains']['schedule'])"
    env = {**os.environ, "LIMS_CUSTODY_CHECK_AT": value}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_time_is_set_from_the_environment():
    done = _settings_with("23:05")
    assert done.returncode == 0, done.stderr
    assert "<crontab: 5 23 * * * (m/h/dM/MY/d)>" in done.stdout


def test_it_refuses_a_time_that_is_not_one():
    for value in ("25:00", "2:30", "02:30pm", ""):
        done = _settings_with(value)
        assert done.returncode != 0, value
        assert f"LIMS_CUSTODY_CHECK_AT={value!r} is not a time of day" in done.stderr
