"""The product in the languages its people work in. Alice's browser speaks Russian: she signs in,
downloads her lot's certificate (issued in Russian and English, the default pair) and files a customs
declaration from it, typing the customs value as Russian writes numbers; every page answers in Russian.
Then a customs inspector at the border, signed out, switches the verification page to Kazakh and
checks the PDF: the verdict reads in Kazakh.

Expected texts come from the catalogues (gettext under the language), and each is checked to differ
from the English, so the test proves the page is translated without copying the translations."""

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from customs.models import Declaration
from tests.certificates.builders import issued_certificate
from tests.certificates.test_verification import pdf_of
from tests.conftest import PASSWORD, require_or_skip
from tests.customs.conftest import make_prices
from tests.e2e.conftest import TIMEOUT_MS, expect


def say(language: str, english: str, context: str | None = None) -> str:
    """`english` as the catalogue of `language` has it, checked to be a translation."""
    with translation.override(language):
        text = translation.pgettext(context, english) if context else translation.gettext(english)
    assert text != english and re.search(r"[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]", text), (language, english, text)
    return text


@pytest.fixture
def certificate(transactional_db, lot, sampler, technician, reviewer, manager, instrument, keys_dir):
    # Signing runs an event loop, which cannot start in this thread while Playwright's runs here.
    def issue():
        try:
            return issued_certificate(
                lot=lot, sampler=sampler, technician=technician, reviewer=reviewer, manager=manager,
                instrument=instrument,
            )  # fmt: skip
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(issue).result()


def browser_in(browser, live_server, locale: str):
    context = browser.new_context(base_url=live_server.url, locale=locale, timezone_id=django_settings.TIME_ZONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_an_exporter_works_in_russian_and_an_inspector_verifies_in_kazakh(
    browser, live_server, certificate, exporter, customs_org, tmp_path
):
    make_prices()
    assert certificate.snapshot["languages"] == ["ru", "en"]
    context = browser_in(browser, live_server, "ru-RU")
    page = context.new_page()

    # The sign-in page already speaks Russian (the browser's Accept-Language).
    page.goto("/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text(say("ru", "Log in"))
    page.locator("#id_username").fill(exporter.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=say("ru", "Log in")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(say("ru", "Waiting for you"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # Her certificates, in Russian; the PDF states everything in Russian and in English.
    page.get_by_role("link", name=say("ru", "Certificates"), exact=True).click()
    row = page.locator("table.list tbody tr").filter(has_text=certificate.number)
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert say("ru", "Certificate of Analysis", "certificate") in text
    assert "Certificate of Analysis" in text
    assert certificate.number in text

    # She declares from the certificate and types the customs value as Russian writes it.
    row.get_by_role("link", name=certificate.number).click()
    page.get_by_role("link", name=say("ru", "Declare from this certificate")).click()
    number = "55201000/071226/0000714"
    page.get_by_label(say("ru", "Declaration number")).fill(number)
    page.get_by_label(say("ru", "Customs value")).fill("20 000 000,00")
    page.get_by_role("button", name=say("ru", "File declaration")).click()
    with translation.override("ru"):
        filed = translation.gettext("Declaration %(number)s is checked: no blocking finding.") % {"number": number}
    expect(page.locator(".messages .message")).to_have_text(filed)
    assert Declaration.objects.get(number=number).value == Decimal("20000000.00")
    # The figure shown back as Russian writes it: a no-break space between thousands, a decimal comma.
    expect(page.locator("main")).to_contain_text("20\u00a0000\u00a0000,00")
    context.close()

    # The inspector, signed out, switches the verification page to Kazakh and checks the file.
    context = browser_in(browser, live_server, "en-GB")
    page = context.new_page()
    page.goto("/verify/")
    page.get_by_role("button", name="Қазақша").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    page.locator("input[type=file]").first.set_input_files(
        {"name": f"{certificate.number}.pdf", "mimeType": "application/pdf", "buffer": pdf_of(certificate)}
    )
    page.locator("input[type=file]").first.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "authentic")
    expect(verdict.get_by_role("heading")).to_contain_text(say("kk", "Authentic and current"))
    expect(verdict).to_contain_text(certificate.number)
    context.close()
