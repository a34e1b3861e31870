"""A certificate's journey: Max, the lab manager, requests the certificate of a reported sample,
watches the page follow the worker through rendering and signing until it is issued, and Alice of
Altyn Copper downloads the signed PDF from her certificate list. A real Celery worker (on Redis)
issues it; without Redis the journey skips, and fails under CI=true."""

import hashlib
from pathlib import Path

from certificates.models import Certificate
from tests.assays.conftest import report
from tests.conftest import received
from tests.e2e.conftest import expect, login
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture


def test_a_manager_requests_a_certificate_and_the_exporter_downloads_it(
    page, live_server, worker,  # noqa: F811
    lot, sampler, technician, reviewer, manager, exporter, instrument, keys_dir,
):  # fmt: skip
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)

    login(page, live_server, manager)
    page.get_by_role("link", name="Certificates").click()
    page.get_by_role("link", name="Request a certificate").click()
    page.locator("main").get_by_label("Sample").select_option(sample.code)
    page.get_by_role("button", name="Request the certificate").click()

    # The page follows the worker by itself, then shows the number and the download.
    expect(page.locator("#status-badge")).to_have_text("Issued", timeout=60_000)
    certificate = Certificate.objects.get(sample=sample)
    expect(page.get_by_role("heading", level=1)).to_contain_text(certificate.number)
    expect(page.get_by_role("link", name="Download PDF")).to_be_visible()
    expect(page.locator(".step.done")).to_have_count(4)

    login(page, live_server, exporter)
    page.get_by_role("link", name="Certificates").click()
    row = page.locator("table.list tbody tr").filter(has_text=certificate.number)
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    path = download.value.path()
    data = Path(path).read_bytes()
    assert download.value.suggested_filename == f"{certificate.number}.pdf"
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == certificate.pdf_sha256
