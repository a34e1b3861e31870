"""Settings read the environment strictly: a bad value stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lims.lib import env

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**variables):
    """Import the settings in a fresh interpreter with exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL")}
    clean.update(variables)
    return subprocess.run(
        [sys.executable, "-c", "import lims.settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_secret_key_is_required_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_development_defaults_work_without_any_variable():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://x/y"}, "scheme 'mysql' is not supported"),
        ({"DEBUG": "1", "DATABASE_URL": "postgresql://host:99999/db"}, "bad port"),
        ({"DEBUG": "1", "REDIS_URL": "http://localhost"}, "is not a redis://"),
        ({"DEBUG": "1", "ALLOWED_HOSTS": "a,,b"}, "has an empty item"),
        ({"DEBUG": "1", "LIMS_TIME_ZONE": "Mars/Olympus"}, "is not an IANA time zone"),
        ({"DEBUG": "1", "CELERY_TASK_TIME_LIMIT": "7200"}, "CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT"),
        ({"DEBUG": "1", "CELERY_VISIBILITY_TIMEOUT": "soon"}, "is not an integer"),
        ({"DEBUG": "1", "SECRET_KEY_FILE": "/nonexistent/key"}, "cannot be read"),
    ],
)
def test_bad_values_are_refused(variables, message):
    result = load_settings(**variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_secrets_can_come_from_files(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env.envstr("SOME_SECRET") == "from-a-file"


def test_database_urls(tmp_path):
    pg = env.database_from_url("postgresql://lims:p%40ss@db.internal:5433/lims?sslmode=require", base_dir=tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql", "lims", "lims", "p@ss", "db.internal", "5433",
    )  # fmt: skip
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert env.database_from_url("sqlite:///var/db.sqlite3", base_dir=tmp_path)["NAME"] == str(
        tmp_path / "var/db.sqlite3"
    )
    assert env.database_from_url("sqlite:////abs/db.sqlite3", base_dir=tmp_path)["NAME"] == "/abs/db.sqlite3"
    with pytest.raises(ImproperlyConfigured):
        env.database_from_url("postgresql://host/", base_dir=tmp_path)


def test_booleans(monkeypatch):
    for raw, value in [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False), ("", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env.envbool("FLAG", not value) is value
    monkeypatch.delenv("FLAG")
    assert env.envbool("FLAG", True) is True
