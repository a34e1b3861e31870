"""/health/ready tells a load balancer whether this web process can serve: database, broker, storage
and collected static files. /healthz stays the bare liveness probe."""

import socket

import pytest
from django.core.files.storage import default_storage

from tests.conftest import require_or_skip

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_broker(settings):
    require_or_skip(settings.CELERY_BROKER_URL.startswith("redis"), "REDIS_URL is not set")
    return settings.CELERY_BROKER_URL


def test_it_works(client, redis_broker):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "checks": {"database": "ok", "broker": "ok", "storage": "ok", "static_files": "ok"},
    }


def test_a_broker_that_does_not_answer_takes_the_process_out_of_rotation(client, settings, redis_broker):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["broker"].startswith("failed: ")
    assert body["checks"]["database"] == "ok"
    # The liveness probe does not depend on the broker: restarting the process would not help.
    assert client.get("/healthz").status_code == 200


def test_uncollected_static_files_fail_the_probe(client, settings, tmp_path, redis_broker):
    # The production storage, with a STATIC_ROOT that collectstatic never filled.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    body = client.get("/health/ready").json()

    assert body["checks"]["static_files"] == "failed: FileNotFoundError"


def test_collected_static_files_pass_the_probe(client, settings, tmp_path, redis_broker):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    (tmp_path / "staticfiles.json").write_text('{"paths": {"a.css": "a.123.css"}, "version": "1.1"}')

    assert client.get("/health/ready").json()["checks"]["static_files"] == "ok"


def test_a_storage_that_fails_is_reported_without_its_details(client, monkeypatch, redis_broker):
    def unreachable(name):
        raise ConnectionError("s3.internal.example:9000 refused the connection")

    monkeypatch.setattr(default_storage, "exists", unreachable)

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "failed: ConnectionError"
    assert b"s3.internal" not in response.content  # the public sees the kind of error, not the host


def test_probes_answer_over_plain_http_when_tls_is_required(client, settings, redis_broker):
    # Balancers probe each process directly, without TLS; people are sent to https.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/health/ready").status_code == 200
