"""Fault: a full or read-only disk left truncated and empty orphan PDFs, and the certificate said
"signing" with no reason while the task retried. Now a PDF reaches its name whole or not at all,
what a failed write left is removed, and the page says why the last attempt failed until one
succeeds. The storages here fail like a full disk: half the file written, then ENOSPC."""

import errno
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, InMemoryStorage

from certificates import services
from certificates.models import Certificate
from certificates.tasks import issue_certificate
from tests.assays.conftest import report
from tests.conftest import received

pytestmark = pytest.mark.django_db


def write_half_then_fail(save):
    def _save(self, name, content):
        data = content.read()
        content.seek(0)
        half = type(content)(data[: len(data) // 2])
        save(self, name, half)  # what reached the disk before it filled up
        raise OSError(errno.ENOSPC, "No space left on device", name)

    return _save


class FullDisk(FileSystemStorage):
    _save = write_half_then_fail(FileSystemStorage._save)


class FullBucket(InMemoryStorage):
    _save = write_half_then_fail(InMemoryStorage._save)


def use_storage(settings, backend: str, media: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": backend, "OPTIONS": {"location": str(media)}}}


def files_under(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


@pytest.fixture
def pending(lot, sampler, technician, reviewer, manager, instrument, keys_dir, dispatched):
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
    return services.certificate_request(actor=manager, sample=sample)


def test_a_full_disk_leaves_no_file_and_the_page_says_why(settings, tmp_path, pending, client, manager):
    media = tmp_path / "full"
    use_storage(settings, f"{__name__}.FullDisk", media)

    with pytest.raises(OSError):  # called directly, the task's retry raises the error itself
        issue_certificate(pending.pk)

    pending.refresh_from_db()
    assert pending.status == Certificate.Status.SIGNING  # still being issued, by a retry
    assert pending.failure == "OSError: No space left on device; retrying"
    assert files_under(media) == []  # neither the half-written PDF nor its temporary file
    client.force_login(manager)
    page = client.get(f"/certificates/{pending.pk}/").content.decode()
    assert "The last attempt failed:" in page and "No space left on device" in page

    # Space again: the retry (same task, same claim) issues it and the reason goes.
    use_storage(settings, "django.core.files.storage.FileSystemStorage", media)
    issue_certificate(pending.pk)

    pending.refresh_from_db()
    assert pending.status == Certificate.Status.ISSUED and pending.failure == ""
    assert files_under(media) == [pending.pdf.name]  # one whole PDF, under its final name
    assert not pending.pdf.name.endswith(".part")
    assert (media / pending.pdf.name).read_bytes()[:5] == b"%PDF-"


def test_a_failed_write_to_an_object_store_is_removed(settings, tmp_path, pending):
    use_storage(settings, f"{__name__}.FullBucket", tmp_path)
    from django.core.files.storage import default_storage

    with pytest.raises(OSError):
        issue_certificate(pending.pk)

    pending.refresh_from_db()
    assert pending.failure == "OSError: No space left on device; retrying"
    (year,) = default_storage.listdir("certificates")[0]
    assert default_storage.listdir(f"certificates/{year}") == ([], [])  # the partial object was deleted
