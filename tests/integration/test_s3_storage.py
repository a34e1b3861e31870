"""Files go through an S3-compatible object store when LIMS_STORAGE=s3 (django-storages): a
certificate is issued into it, downloaded from it and verified from it, and the published key set
and status list live there too, so web and worker processes on different hosts share them.

moto's server mode stands in for the store: a real HTTP S3 endpoint on a free port, started here."""

import hashlib
import json
import socket
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from certificates import publication, services
from certificates.models import Certificate
from tests.assays.conftest import report
from tests.certificates.builders import issue_now
from tests.conftest import received, require_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BUCKET = "lims-files"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(settings, tmp_path):
    """The storage settings LIMS_STORAGE=s3 makes (lims/settings.py), pointed at a moto server; yields
    a boto3 client that reads the bucket directly, behind the application's back."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        require_or_skip(False, "moto[server] and boto3 are not installed (requirements-dev.txt)")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "file_overwrite": False,
                "default_acl": "private",
                **CREDENTIALS,
            },
        },
    }
    # Nothing may land on the local disk instead.
    settings.MEDIA_ROOT = tmp_path / "not-used"
    try:
        yield client
    finally:
        server.stop()


def stored(client, name: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=name)["Body"].read()


def test_a_certificate_is_issued_downloaded_and_verified_through_s3(
    s3, settings, client, lot, sampler, technician, reviewer, manager, exporter, instrument, keys_dir, dispatched
):
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)

    certificate = issue_now(services.certificate_request(actor=manager, sample=sample))

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ISSUED, certificate.failure
    # The signed PDF is an object in the bucket, matching the register.
    in_bucket = stored(s3, certificate.pdf.name)
    assert hashlib.sha256(in_bucket).hexdigest() == certificate.pdf_sha256
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))  # nothing on the local disk instead

    # The exporter downloads it through the application, which reads it from the bucket.
    client.force_login(exporter)
    response = client.get(f"/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    downloaded = b"".join(response.streaming_content)
    assert downloaded == in_bucket

    # Anyone verifies the downloaded file: registered hash and signature, read back from the bucket.
    client.logout()
    verdict = client.post("/api/v1/verify/upload/", {"file": _upload(downloaded)}).json()
    assert verdict["verdict"] == "authentic", verdict
    assert verdict["number"] == certificate.number


def test_the_published_key_set_and_status_list_live_in_the_bucket(s3, client, keys_dir, db):
    number = publication.publish()

    names = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"published/keys-{number:08d}.json" in names
    assert f"published/revocations-{number:08d}.json" in names
    # The portal serves the list from the bucket, as the object holds it.
    served = client.get("/verify/revocations.json")
    assert served.status_code == 200
    body = b"".join(served.streaming_content) if served.streaming else served.content
    assert json.loads(body) == json.loads(stored(s3, f"published/revocations-{number:08d}.json"))
    assert default_storage.exists(f"published/keys-{number:08d}.json")


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("certificate.pdf", data, content_type="application/pdf")
