"""The Certificate of Analysis as a document: what its QR token claims, what the signed PDF states
(ISO/IEC 17025 7.8.2.1 and 7.8.8), and that independent tools read it back: poppler for the pages
and text, qpdf for the attached data, zbarimg for the printed QR code."""

import io
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import segno
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from certificates import document, keys, signing, tokens, verifier
from certificates.models import Certificate
from certificates.verifier import SNAPSHOT_ATTACHMENT, TOKEN_ATTACHMENT, canonical_json
from tests.conftest import make_lot, received, require_or_skip

from .conftest import CENSORED, EXPORTER_REGISTRATION, LAB_ADDRESS, freeze, report_panel

NUMBER = "KZL-2026-000001"
REASON = "Au re-assayed after a cupellation fault in the first fire assay."


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, timeout=120, check=False)


def require(*tools: str) -> None:
    require_or_skip(all(shutil.which(tool) for tool in tools), f"{', '.join(tools)} (poppler-utils, qpdf, zbar-tools)")


def text_of(path: Path, page: int | None = None) -> str:
    """The text poppler extracts (of one page), whitespace collapsed: a reader's view of the PDF.
    Layout mode keeps a label on the line of its value."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    extracted = run("pdftotext", "-layout", *pages, "-enc", "UTF-8", path.name, "-", cwd=path.parent)
    assert extracted.returncode == 0, extracted.stderr
    return " ".join(extracted.stdout.decode().split())


def page_count(path: Path) -> int:
    info = run("pdfinfo", path.name, cwd=path.parent).stdout.decode()
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


class Issued:
    def __init__(self, certificate: Certificate, token: str, path: Path):
        self.certificate, self.token, self.path = certificate, token, path


@pytest.fixture
def no_network(monkeypatch, local_tsa):
    """A certificate must render from local files alone: any connection fails the test, but the
    signature's to the (local) timestamp authority."""
    connect = socket.socket.connect

    def refuse(self, address):
        if tuple(address[:2]) == local_tsa.server_address[:2]:
            return connect(self, address)
        raise AssertionError(f"rendering tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def issue(keys_dir, tmp_path, no_network):
    """Issue a certificate as the issue task does: sign its QR token, render, sign the PDF."""

    def issue(certificate: Certificate) -> Issued:
        token_key = keys.load_token_key()
        token = tokens.encode_token(document.token_claims(certificate), key=token_key.key, kid=token_key.kid)
        unsigned = document.render_certificate(certificate, token=token)
        path = tmp_path / f"{certificate.number}.pdf"
        path.write_bytes(signing.sign_pdf(unsigned, reason="Certificate of analysis", location="Almaty, KZ"))
        return Issued(certificate, token, path)

    return issue


@pytest.fixture
def issued(certificate_row, issue) -> Issued:
    return issue(certificate_row)


def test_the_token_claims_identify_the_certificate(certificate_row, keys_dir):
    frozen = certificate_row.snapshot

    claims = document.token_claims(certificate_row)

    assert claims == {
        "n": NUMBER,
        "k": keys.signing_kid(),
        "l": frozen["lot"]["number"],
        "d": timezone.localdate(certificate_row.issued_at).isoformat(),
        "w": frozen["lot"]["dry_mass_t"],
        "a": {
            "Cu": frozen["headline"]["Cu"],
            "Au": frozen["headline"]["Au"],
            "Ag": frozen["headline"]["Ag"],
            "TREO": [frozen["treo"]["value"], "ppm"],
        },
        "h": certificate_row.snapshot_sha256,
    }
    assert claims["a"]["Cu"][1] == "%" and claims["a"]["Au"][1] == "g/t"


def test_the_token_fits_a_qr_code_of_version_11(certificate_row, keys_dir):
    token_key = keys.load_token_key()

    token = tokens.encode_token(document.token_claims(certificate_row), key=token_key.key, kid=token_key.kid)

    # Version 11 at ECC M, 3 pt a module: 65 mm wide, 73 mm with its quiet zone (certificates.tokens).
    assert segno.make_qr(token, error="m", boost_error=False).version <= 11


def test_no_token_is_made_for_a_snapshot_that_does_not_match_its_hash(certificate_row, keys_dir):
    certificate_row.snapshot["lot"]["dry_mass_t"] = "1.000"

    # The token would vouch for data that is not the data attached to the PDF.
    with pytest.raises(ValueError, match="does not match"):
        document.token_claims(certificate_row)


def test_a_certificate_without_its_number_is_not_rendered(certificate_row):
    certificate_row.number = None

    with pytest.raises(ValueError, match="number"):
        document.html_for(certificate_row, token="LIMS1:X")


def test_every_page_is_identified_and_the_end_is_marked(issued):
    require("pdfinfo", "pdftotext")

    # The full panel (Cu, Au, Ag, moisture, 16 rare earths, 16 other elements), in two languages,
    # fits three pages.
    assert page_count(issued.path) == 3
    pages = [text_of(issued.path, page) for page in (1, 2, 3)]
    for number, text in enumerate(pages, start=1):
        assert NUMBER in text
        assert f"Page {number} of 3 · Стр. {number} из 3" in text
    # ISO/IEC 17025 7.8.2.1 d): a clear mark of the end, after the last content only.
    assert "— End of report —" not in pages[0] + pages[1]
    assert "— End of report —" in pages[2]
    # The results table continues on page 2 under its own header.
    assert "U (k = 2)" in pages[1] and "Rep. limit" in pages[1]


def test_the_certificate_states_what_iso_17025_requires(issued):
    require("pdftotext")
    frozen = issued.certificate.snapshot
    sample, dates = frozen["sample"], frozen["dates"]
    text = text_of(issued.path)

    expected = {
        "a) title": "Certificate of Analysis",
        "b) laboratory": "Kazakh Independent Laboratory",
        "b) its address": LAB_ADDRESS,
        "c) where sampled": sample["collection_location"],
        "c) where tested": "at the laboratory",
        "e) customer": "Altyn Copper LLP",
        "e) its address": "Aktogay 071300",
        "e) its registration": EXPORTER_REGISTRATION,
        # The methods table: each method by name (in both languages) and its standard.
        "f) titration": "Copper by titration",
        "f) its standard": "ISO 10258",
        "f) fire assay": "Fire assay with gravimetric finish",
        "f) its standard ": "ISO 10378",
        "f) moisture": "Moisture by mass loss on drying",
        "f) its standard  ": "ISO 10251",
        "f) ICP-MS": "ICP-MS after four-acid digestion",
        "g) sample code": sample["code"],
        "g) composite": sample["composite"],
        "g) seal": sample["seal_number"],
        "g) condition": "seal intact",
        "g) mass": f"{sample['mass_g']} g",
        "h) sampling date": dates["sampled"][:10],
        "h) receipt": f"Received {dates['received'][:10]}",
        "i) testing dates": f"Tested {dates['testing_started'][:10]}",
        "j) issue date": "Date of issue",
        "j) its date": f"Issued {timezone.localdate(issued.certificate.issued_at).isoformat()}",
        "k) sampling standard": "ISO 12743:2021",
        "l) results relate to the item": "The results relate only to the item tested",
        "m) units": "g/t",
        "m) uncertainty": "U (k = 2)",
        "m) dry basis": "Contents are reported on a dry basis",
        "m) moisture stated": f"moisture of {frozen['moisture']['value']} % as received",
        "m) below detection": "< 0.0",
        "m) rare earths totalled": "Total rare-earth oxides (TREO)",
        "m) censored rare earth named": f"counted as zero): {CENSORED}",
        "n) deviations": "Deviations / Отклонения None. / Нет.",
        "o) authoriser": "Max Manager",
        "o) authoriser's role": "Laboratory manager",
        "o) approver": "Rita Reviewer",
        "verification": f"http://127.0.0.1:8000/verify/?number={NUMBER}",
        "custody": "verified intact",
        "QC": "passed",
        "HS code": "HS / ТН ВЭД 2603.00",
    }
    # Headings are set in capitals by the stylesheet, which the extracted text follows.
    missing = {item: phrase for item, phrase in expected.items() if phrase.lower() not in text.lower()}
    assert not missing, f"not on the certificate: {missing}"


def test_the_attached_data_is_the_frozen_snapshot(issued):
    require("qpdf")

    attached = run("qpdf", f"--show-attachment={SNAPSHOT_ATTACHMENT}", issued.path.name, cwd=issued.path.parent)
    token = run("qpdf", f"--show-attachment={TOKEN_ATTACHMENT}", issued.path.name, cwd=issued.path.parent)

    assert attached.returncode == 0, attached.stderr
    # The exact bytes the token's hash is taken of.
    assert attached.stdout == canonical_json(issued.certificate.snapshot)
    assert token.stdout.decode() == issued.token


def test_the_printed_qr_code_scans_and_verifies(issued):
    require("pdftoppm", "zbarimg")

    # 150 dpi, as an office scanner or a phone photo of the printed page.
    rendered = run(
        "pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", issued.path.name, "page", cwd=issued.path.parent
    )
    assert rendered.returncode == 0, rendered.stderr
    [image] = issued.path.parent.glob("page*.png")
    scanned = run("zbarimg", "--raw", "-q", image.name, cwd=issued.path.parent)

    assert scanned.returncode == 0, scanned.stderr
    claims = tokens.decode_token(scanned.stdout.decode(), keys.published_token_keys())
    assert claims["n"] == NUMBER
    assert claims["l"] == issued.certificate.snapshot["lot"]["number"]
    assert verifier.binds_snapshot(claims, issued.certificate.snapshot_sha256)


def test_the_pdf_is_pdf_a_3_with_the_certificates_metadata(issued):
    reader = PdfFileReader(io.BytesIO(issued.path.read_bytes()))
    info = reader.trailer["/Info"]
    frozen = issued.certificate.snapshot

    assert b'pdfaid:part="3"' in reader.root["/Metadata"].data
    # In both languages, the certificate's first language first.
    assert str(info["/Title"]) == f"Certificate of Analysis / Сертификат анализа {NUMBER}"
    assert str(info["/Author"]) == "Kazakh Independent Laboratory"
    assert frozen["lot"]["number"] in str(info["/Subject"])
    for keyword in (NUMBER, frozen["lot"]["number"], frozen["sample"]["code"]):
        assert keyword in str(info["/Keywords"])


def test_an_amendment_names_the_certificate_it_replaces_and_why(reported_sample, manager, issue):
    require("pdftotext")
    original = freeze(reported_sample, authoriser=manager, number=NUMBER)
    # As certificates.services records it: the reason, and the differences between the snapshots.
    changes = [
        {"field": "results.Au.value", "old": "6.53", "new": "6.93"},
        {"field": "headline.Au", "old": ["6.53", "g/t"], "new": ["6.93", "g/t"]},
    ]
    amendment = freeze(
        reported_sample,
        authoriser=manager,
        number="KZL-2026-000002",
        amendment={"supersedes": NUMBER, "reason": REASON, "changes": changes},
        supersedes=original,
        amendment_reason=REASON,
    )

    amended = issue(amendment)

    # ISO/IEC 17025 7.8.8: identified as an amendment of No. X, with what changed and why.
    text = text_of(amended.path)
    assert f"Amended Certificate of Analysis Исправленный сертификат анализа — replaces No. {NUMBER}" in text
    assert REASON in text
    assert "Au result / Au результат: 6.53 → 6.93." in text  # the headline repeats the result: not listed twice
    assert page_count(amended.path) == 3
    # Every page names the amendment, not only the first.
    page_2 = text_of(amended.path, 2)
    assert "Amended Certificate of Analysis" in page_2 and "Исправленный сертификат анализа" in page_2
    assert "KZL-2026-000002" in page_2


def test_an_amendment_recorded_only_on_the_row_still_says_so(reported_sample, manager):
    original = freeze(reported_sample, authoriser=manager, number=NUMBER)
    amendment = freeze(
        reported_sample, authoriser=manager, number="KZL-2026-000002", supersedes=original, amendment_reason=REASON
    )

    html = document.html_for(amendment, token="LIMS1:X")

    assert f"replaces No. {NUMBER}" in html
    assert "Au re-assayed after a cupellation fault" in html


def test_text_entered_by_users_is_printed_literally(
    exporter, exporter_org, sampler, technician, reviewer, manager, instrument, lab_addresses, issue
):
    require("pdftotext")
    lot = make_lot(actor=exporter, exporter_org=exporter_org, origin="<b>x</b>")
    sample = received(lot, sampler, technician)
    sample = report_panel(sample, technician=technician, reviewer=reviewer, instrument=instrument)
    certificate = freeze(sample, authoriser=manager, number=NUMBER)

    html = document.html_for(certificate, token="LIMS1:X")

    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "<b>x</b>" in text_of(issue(certificate).path)


def test_a_withdrawn_certificate_says_so_on_its_face(certificate_row):
    certificate_row.status = Certificate.Status.REVOKED

    # A copy rendered after revocation (never the issued PDF, which does not change).
    assert "Revoked: this certificate is no longer valid." in document.html_for(certificate_row, token="LIMS1:X")


def test_the_verification_address_follows_the_public_url(settings):
    settings.LIMS_PUBLIC_URL = "https://lims.example.kz/"
    assert document.verification_url(NUMBER) == f"https://lims.example.kz/verify/?number={NUMBER}"

    # Unset, it is the development server's.
    settings.LIMS_PUBLIC_URL = ""
    assert document.verification_url(NUMBER) == f"http://127.0.0.1:8000/verify/?number={NUMBER}"


def test_a_snapshot_of_another_schema_is_never_read_as_this_one():
    from certificates import snapshot as snapshots

    with pytest.raises(snapshots.SchemaError, match=r"lims\.coa/4"):
        snapshots.read({"schema": "lims.coa/4", "lot": {}})
    # The current schema, and the earlier ones, which it extends (certificates frozen before it).
    assert snapshots.read({"schema": "lims.coa/3"})["schema"] == "lims.coa/3"
    assert snapshots.read({"schema": "lims.coa/2"})["schema"] == "lims.coa/2"
    assert snapshots.read({"schema": "lims.coa/1"})["schema"] == "lims.coa/1"
