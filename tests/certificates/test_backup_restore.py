"""Backup and restore: a dump of the database (pg_dump) and a copy of the storage (MEDIA_ROOT),
restored into a fresh database and a fresh storage on a host WITHOUT var/keys, verify every
certificate. The trust roots travel in the storage (every publication's root.pem carries every
root published before), the public keys in the register; development key generation, on here as
with DEBUG, refuses to replace the root the restored certificates were signed under."""

import os
import shutil
import subprocess

import pytest
from cryptography import x509
from django.core.cache import cache
from django.db import connection

from certificates import keys, publication
from certificates.models import Certificate
from tests.certificates.test_verification import issue  # noqa: F401 - the fixture
from tests.conftest import require_or_skip

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PUBLISHED = [
    "/verify/keys/root.pem",
    "/verify/revocations.json",
    "/verify/keys/keys.json",
    "/verify/keys/token-keys.json",
]


def pg(*args: str) -> None:
    params = connection.settings_dict
    common = ["-h", params["HOST"] or "127.0.0.1", "-p", str(params["PORT"] or 5432), "-U", params["USER"]]
    subprocess.run(
        [args[0], *common, *args[1:]],
        check=True,
        capture_output=True,
        env={**os.environ, "PGPASSWORD": params["PASSWORD"] or ""},
    )


def fingerprints(pem: bytes) -> set[bytes]:
    from cryptography.hazmat.primitives import hashes

    return {root.fingerprint(hashes.SHA256()) for root in x509.load_pem_x509_certificates(pem)}


@pytest.fixture
def restored_database():
    """Switch this test's connection to a fresh database restored from a dump; back afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("the backup procedure is pg_dump and pg_restore, on PostgreSQL")
    require_or_skip(bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "pg_dump/pg_restore are missing")
    original = connection.settings_dict["NAME"]
    fresh = f"{original}_restored"
    switched = []

    def restore(dump) -> None:
        pg("dropdb", "--if-exists", fresh)
        pg("createdb", fresh)
        pg("pg_restore", "--no-owner", "-d", fresh, str(dump))
        connection.close()
        connection.settings_dict["NAME"] = fresh
        switched.append(True)

    yield original, restore
    if switched:
        connection.close()
        connection.settings_dict["NAME"] = original
    pg("dropdb", "--if-exists", fresh)


def test_a_restored_backup_verifies_every_certificate_without_var_keys(
    issue,  # noqa: F811
    restored_database, settings, tmp_path, client,
):  # fmt: skip
    certificates = [issue(), issue()]
    publication.publish()
    roots_before = fingerprints(client.get("/verify/keys/root.pem").content)

    # The backup: the database and the storage, nothing else.
    original, restore = restored_database
    dump = tmp_path / "lims.dump"
    pg("pg_dump", "-Fc", "-f", str(dump), original)
    shutil.copytree(settings.MEDIA_ROOT, tmp_path / "media-backup")

    # The restore, on a host with an empty VAR_DIR (no var/keys) and development keys on.
    restore(dump)
    shutil.copytree(tmp_path / "media-backup", tmp_path / "media-restored")
    settings.MEDIA_ROOT = tmp_path / "media-restored"
    settings.VAR_DIR = tmp_path / "var-restored"
    settings.LIMS_GENERATE_DEV_KEYS = True
    keys.reset_cache()
    cache.clear()
    assert Certificate.objects.filter(status="issued").count() == 2  # the restored register

    for address in PUBLISHED:
        assert client.get(address).status_code == 200, address
    assert fingerprints(client.get("/verify/keys/root.pem").content) == roots_before
    for certificate in certificates:
        pdf = (settings.MEDIA_ROOT / certificate.pdf.name).read_bytes()
        checked = client.post("/api/v1/verify/upload/", {"file": upload(pdf)})
        assert checked.status_code == 200 and checked.json()["verdict"] == "authentic", checked.content[:300]

    # No new development root behind the restored certificates' backs: the generator stops and says why.
    with pytest.raises(keys.KeyConfigurationError, match=r"restore .* from the backup"):
        keys.load_signing_material()
    assert not (settings.VAR_DIR / "keys" / "published" / "roots").exists()
    # A publication on the restored installation keeps the restored roots in root.pem.
    publication.publish()
    assert fingerprints(client.get("/verify/keys/root.pem").content) >= roots_before


def upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("certificate.pdf", data, content_type="application/pdf")
