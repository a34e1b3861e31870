"""The settings an operator sets for production (TLS and proxy, sessions, the shared cache, file
storage, mail, log format) are read strictly: a malformed value stops start-up, naming the variable."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SHOW = (
    "import lims.settings as s; print(repr((s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, "
    "s.SESSION_COOKIE_AGE, s.CACHES['default'], s.STORAGES['default'], s.EMAIL_BACKEND, s.EMAIL_PORT, "
    "s.LOGGING['handlers']['console']['formatter'])))"
)


def load_settings(**variables):
    """Import the settings in a fresh interpreter with DEBUG on and exactly these variables besides."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "CACHE_", "LIMS_S", "EMAIL_", "LOG_"))}
    clean.update({"DEBUG": "1", **variables})
    return subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_the_defaults_serve_development():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert eval(result.stdout) == (  # noqa: S307 - our own repr
        False,
        0,
        None,
        12 * 3600,
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "django.core.mail.backends.console.EmailBackend",
        587,
        "plain",
    )


def test_production_values_are_read(tmp_path):
    secret = tmp_path / "s3-secret"
    secret.write_text("from-a-file\n")

    result = load_settings(
        SECURE_SSL_REDIRECT="on",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
        SESSION_COOKIE_AGE="3600",
        CACHE_URL="redis://cache.internal:6379/1",
        LIMS_STORAGE="s3",
        LIMS_S3_BUCKET="lims-files",
        LIMS_S3_ENDPOINT_URL="http://minio.internal:9000",
        AWS_ACCESS_KEY_ID="lims",
        AWS_SECRET_ACCESS_KEY_FILE=str(secret),
        EMAIL_HOST="smtp.internal",
        EMAIL_PORT="465",
        EMAIL_USE_SSL="1",
        LOG_FORMAT="json",
    )

    assert result.returncode == 0, result.stderr
    ssl, hsts, proxy, age, cache, storage, email, port, log = eval(result.stdout)  # noqa: S307
    assert (ssl, hsts, proxy, age) == (True, 31536000, ("HTTP_X_FORWARDED_PROTO", "https"), 3600)
    assert cache == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["secret_key"]) == (
        "lims-files",
        "http://minio.internal:9000",
        "from-a-file",
    )
    assert options["file_overwrite"] is False  # a stored certificate is never replaced by another of its name
    assert (email, port, log) == ("django.core.mail.backends.smtp.EmailBackend", 465, "json")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SECURE_SSL_REDIRECT": "sometimes"}, "SECURE_SSL_REDIRECT='sometimes' is not a boolean"),
        ({"SECURE_HSTS_SECONDS": "1 year"}, "SECURE_HSTS_SECONDS='1 year' is not an integer"),
        ({"SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS=-1 is below the minimum 0"),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "must look like 'X-Forwarded-Proto: https'"),
        ({"SECURE_PROXY_SSL_HEADER": "X Forwarded: https"}, "must look like 'X-Forwarded-Proto: https'"),
        ({"SESSION_COOKIE_AGE": "30"}, "SESSION_COOKIE_AGE=30 is below the minimum 60"),
        ({"CACHE_URL": "memcached://cache:11211"}, "CACHE_URL='memcached://cache:11211' is not a redis://"),
        ({"LIMS_STORAGE": "ftp"}, "LIMS_STORAGE='ftp' is not one of: filesystem, s3"),
        ({"LIMS_STORAGE": "s3"}, "LIMS_STORAGE=s3 needs LIMS_S3_BUCKET"),
        (
            {"LIMS_STORAGE": "s3", "LIMS_S3_BUCKET": "b", "LIMS_S3_ENDPOINT_URL": "minio:9000"},
            "LIMS_S3_ENDPOINT_URL='minio:9000' is not an http(s) address",
        ),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not an integer"),
        ({"EMAIL_USE_SSL": "1", "EMAIL_USE_TLS": "1"}, "EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is not one of: plain, json"),
    ],
)
def test_malformed_values_are_refused(variables, message):
    result = load_settings(**variables)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_json_logs_are_one_object_a_line():
    script = (
        "import json, logging, logging.config, lims.settings as s; logging.config.dictConfig(s.LOGGING); "
        "logging.getLogger('lims.x').warning('a %s', 'b\\nc')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "DEBUG": "1", "LOG_FORMAT": "json"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    import json

    [line] = result.stderr.splitlines()
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "lims.x", "a b\nc")


# Content-Security-Policy --------------------------------------------------------------------------

# Rendered by WeasyPrint into a PDF, never served to a browser.
NOT_SERVED = {"certificates/certificate_pdf.html"}
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_no_served_template_has_inline_script_or_style():
    """The policy allows scripts and styles from this site's files only: an inline one would not run."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {match[0]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if str(path.relative_to(TEMPLATES)) not in NOT_SERVED
        for match in INLINE.finditer(path.read_text())
        if "application/json" not in match[0]
    ]
    assert found == []


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["/login/", "/verify/", "/api/docs/", "/healthz"])
def test_every_response_carries_the_policy(client, address):
    response = client.get(address)

    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline'
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_swagger_ui_comes_from_the_static_files(client):
    page = client.get("/api/docs/").content.decode()

    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in page
    assert "cdn" not in page.lower()  # works offline
