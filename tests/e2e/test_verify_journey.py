"""An inspector at the border, signed out, checks two PDFs on the public verification page: the
certificate as the laboratory issued it, and a copy someone edited after signing. The page says
the first is authentic and current and the second was altered. On a phone, the inspector scans the
certificate's QR code with the camera instead, and types the number printed beside it: the page
never checks a QR code without it."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.certificates.builders import issued_certificate
from tests.certificates.lib.conftest import flip_byte, signed_ranges
from tests.certificates.test_verification import pdf_of
from tests.e2e.conftest import expect

# The phone's camera and its QR decoder (the BarcodeDetector API, as Chrome on Android has them),
# reading QR_TEXT from a blank picture.
CAMERA = """
window.BarcodeDetector = class {
  async detect() { return [{rawValue: QR_TEXT}]; }
};
if (!navigator.mediaDevices) Object.defineProperty(navigator, "mediaDevices", {value: {}});
navigator.mediaDevices.getUserMedia = async () => document.createElement("canvas").captureStream();
"""


def issue_elsewhere(**cast):
    """Issue a certificate in a thread of its own: PDF signing runs an event loop, which cannot start in
    this thread while Playwright's runs here."""

    def issue():
        try:
            return issued_certificate(**cast)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(issue).result()


@pytest.fixture
def certificate(transactional_db, lot, sampler, technician, reviewer, manager, instrument, keys_dir):
    return issue_elsewhere(
        lot=lot, sampler=sampler, technician=technician, reviewer=reviewer, manager=manager, instrument=instrument
    )


def test_anyone_tells_a_genuine_certificate_from_an_altered_one(page, live_server, certificate):
    genuine = pdf_of(certificate)
    start, length, _, _ = signed_ranges(genuine)
    altered = flip_byte(genuine, start + length // 2)

    # Signed out, the page is one click from the front door.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Verify a certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a certificate of analysis")

    page.get_by_label("Certificate PDF").set_input_files(
        {"name": f"{certificate.number}.pdf", "mimeType": "application/pdf", "buffer": genuine}
    )
    page.get_by_role("button", name="Check the file").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "authentic")
    expect(verdict.get_by_role("heading")).to_contain_text("Authentic and current")
    expect(verdict).to_contain_text(certificate.number)
    expect(page.locator("#statement")).to_contain_text(certificate.snapshot["lot"]["number"])

    page.get_by_label("Certificate PDF").set_input_files(
        {"name": f"{certificate.number}.pdf", "mimeType": "application/pdf", "buffer": altered}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(verdict).to_have_attribute("data-verdict", "altered")
    expect(verdict.get_by_role("heading")).to_contain_text("Altered after signing")
    expect(verdict).to_contain_text("changed after the laboratory signed it")
    # A forged document shows nothing of the register.
    expect(page.locator("#statement")).to_have_count(0)


def test_an_inspector_scans_the_qr_code_with_the_phone_camera(page, live_server, certificate):
    page.add_init_script(CAMERA.replace("QR_TEXT", json.dumps(certificate.qr_token)))
    page.goto(f"{live_server.url}/verify/")

    page.get_by_role("button", name="Scan with the camera").click()

    # Read, but not checked: the number printed on the paper is asked for first.
    expect(page.locator("#scanner-status")).to_contain_text("Now type the certificate number")
    expect(page.locator("#verdict")).to_have_count(0)
    number = page.get_by_label("Number printed on the document")
    expect(number).to_be_focused()
    number.fill(certificate.number)
    page.get_by_role("button", name="Check the QR code").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "authentic")
    expect(verdict).to_contain_text(certificate.number)
    expect(verdict).to_contain_text("signed by the laboratory")
    # Holding the QR code shows the results.
    expect(page.locator("#statement")).to_contain_text(certificate.snapshot["headline"]["Cu"][0])


def test_the_number_typed_first_the_scan_checks_at_once(page, live_server, certificate):
    page.add_init_script(CAMERA.replace("QR_TEXT", json.dumps(certificate.qr_token)))
    page.goto(f"{live_server.url}/verify/")

    page.get_by_label("Number printed on the document").fill("KZL-2026-999999")
    page.get_by_role("button", name="Scan with the camera").click()

    # A genuine QR code on a paper numbered otherwise.
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "mismatch")


def test_without_a_camera_decoder_the_page_asks_for_the_text(page, live_server):
    # Desktop Chromium on Linux has no BarcodeDetector: no scan button, the text field stays.
    page.goto(f"{live_server.url}/verify/")

    expect(page.get_by_role("button", name="Scan with the camera")).to_be_hidden()
    expect(page.get_by_label("Text of the QR code")).to_be_visible()
