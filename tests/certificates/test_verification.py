"""The public verification portal's verdicts, each reached through the page (/verify/) and the JSON
API (/api/v1/verify/) alike, by anyone signed out.

Certificates are real: max (the lab manager) requests them and the issue task's work is done here
(tests/certificates/builders.py). Forgeries are made the way a forger would: another CA's signing
key, another token key, a flipped byte, an incremental update appended by a PDF editor; and the ways
the laboratory's own key could be misused: a token or a file that names a registered number but
certifies something else.
"""

import re
from dataclasses import dataclass

import lxml.html
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from certificates import codes, document, keys, services, signing, tokens
from certificates.models import Certificate
from certificates.verifier import key_id
from tests.certificates.builders import issue_now, issued_certificate
from tests.certificates.lib.conftest import append_update, flip_byte, make_signing_ca, signed_ranges
from tests.certificates.lib.conftest import issue as issue_specimen

UNKNOWN_NUMBER = "KZL-2026-999999"
REVOCATION_REASON = "Issued against the wrong export contract."
AMENDMENT_REASON = "Origin corrected to line 2."


@dataclass(frozen=True)
class Seen:
    """One answer of the portal: the HTTP status, the verdict it shows, and the body."""

    status: int
    verdict: str | None
    body: str
    data: dict | None = None


class Portal:
    """Asks the page and the API the same question; every test checks that both answer alike."""

    def __init__(self, client):
        self.client = client

    def number(self, number: str, code: str = "") -> tuple[Seen, Seen]:
        query = {"code": code} if code else {}
        return self._page(self.client.get("/verify/", {"number": number, **query})), self._api(
            self.client.get(f"/api/v1/verify/{number}/", query)
        )

    def token(self, token: str, number: str) -> tuple[Seen, Seen]:
        form = {"token": token, "number": number}
        return self._page(self.client.post("/verify/token/", form)), self._api(
            self.client.post("/api/v1/verify/token/", form, content_type="application/json")
        )

    def file(self, data: bytes, name: str = "certificate.pdf") -> tuple[Seen, Seen]:
        return self._page(self.client.post("/verify/upload/", {"file": upload(data, name)})), self._api(
            self.client.post("/api/v1/verify/upload/", {"file": upload(data, name)})
        )

    @staticmethod
    def _page(response) -> Seen:
        body = response.content.decode()
        found = re.search(r'data-verdict="(\w+)"', body)
        return Seen(response.status_code, found.group(1) if found else None, body)

    @staticmethod
    def _api(response) -> Seen:
        data = response.json()
        return Seen(response.status_code, data.get("verdict"), response.content.decode(), data)


def upload(data: bytes, name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def verdict(answers: tuple[Seen, Seen]) -> str:
    """The verdict both the page and the API gave (they must agree)."""
    page, api = answers
    assert page.verdict == api.verdict, (page.verdict, api.verdict)
    return page.verdict


def pdf_of(certificate: Certificate) -> bytes:
    with default_storage.open(certificate.pdf.name) as stored:
        return stored.read()


def printed_code(certificate: Certificate) -> str:
    """The verification code printed on `certificate` (the register keeps only its hash)."""
    return PRINTED_CODES[certificate.verification_code_sha256]


def lab_token(certificate: Certificate, **claims) -> str:
    """A token signed with the laboratory's own key: the certificate's claims, with `claims` changed."""
    token_key = keys.load_token_key()
    return tokens.encode_token({**document.token_claims(certificate), **claims}, key=token_key.key, kid=token_key.kid)


@pytest.fixture
def portal(client):
    return Portal(client)


# The verification codes printed on the certificates issued here, by their hash.
PRINTED_CODES: dict[str, str] = {}


@pytest.fixture
def issue(lot, sampler, technician, reviewer, manager, instrument, keys_dir, monkeypatch):
    """Issue a new certificate of a new laboratory split of alice's lot (its printed code kept)."""

    def new_code() -> str:
        code = make_code()
        PRINTED_CODES[codes.code_sha256(code)] = code
        return code

    make_code = codes.new_code
    monkeypatch.setattr(codes, "new_code", new_code)

    def issue() -> Certificate:
        return issued_certificate(
            lot=lot, sampler=sampler, technician=technician, reviewer=reviewer, manager=manager, instrument=instrument
        )

    return issue


@pytest.fixture
def certificate(issue):
    return issue()


@pytest.fixture
def revoked(certificate, manager):
    return services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)


@pytest.fixture
def amended(certificate, manager):
    """(the original, now superseded; its amendment, issued)."""
    amendment = issue_now(
        services.certificate_amend(actor=manager, certificate=certificate, reason=AMENDMENT_REASON), claim="amend"
    )
    certificate.refresh_from_db()
    return certificate, amendment


# Genuine, revoked, superseded ---------------------------------------------------------------------


def test_a_genuine_certificate_is_authentic_by_number_qr_code_and_file(portal, certificate):
    cu = certificate.snapshot["headline"]["Cu"][0]
    for answers in (
        portal.number(certificate.number),
        portal.number(certificate.number, code=printed_code(certificate)),
        portal.token(certificate.qr_token, certificate.number),
        portal.file(pdf_of(certificate)),
    ):
        assert verdict(answers) == "authentic"
        page, api = answers
        assert page.status == api.status == 200
        assert "Authentic and current" in page.body
        # The certificate's identity is shown beside the verdict.
        assert api.data["number"] == certificate.number
        assert api.data["certificate"]["lot"]["number"] == certificate.snapshot["lot"]["number"]
        assert certificate.snapshot["lot"]["number"] in page.body
    # What it states in full, to whoever shows they hold it: the code, the QR code, the file.
    for page, api in answers_with_proof(portal, certificate):
        assert api.data["certificate"]["disclosure"] == "full"
        assert api.data["certificate"]["headline"][0] == {"analyte": "Cu", "value": cu, "unit": "%"}
        assert f"{cu} %" in page.body


def answers_with_proof(portal, certificate):
    return [
        portal.number(certificate.number, code=printed_code(certificate)),
        portal.token(certificate.qr_token, certificate.number),
        portal.file(pdf_of(certificate)),
    ]


def test_the_address_printed_on_the_certificate_opens_its_verdict(client, certificate):
    response = client.get(document.verification_url(certificate.number).split("127.0.0.1:8000", 1)[1])

    assert response.status_code == 200
    assert 'data-verdict="authentic"' in response.content.decode()


def test_a_number_is_found_however_it_is_typed(portal, client, certificate):
    assert verdict(portal.number(f" {certificate.number.lower()} ")) == "authentic"
    # The API also takes it as a query parameter, as a form sends it.
    assert client.get("/api/v1/verify/", {"number": certificate.number}).json()["verdict"] == "authentic"


def test_the_registered_file_is_recognised_by_its_hash(portal, certificate):
    page, api = portal.file(pdf_of(certificate))

    assert {"label": "File", "value": "identical to the file the laboratory registered"} in api.data["evidence"]
    assert "identical to the file the laboratory registered" in page.body


def test_a_revoked_certificate_says_when_and_why(portal, revoked):
    for answers in (
        portal.number(revoked.number),
        portal.token(revoked.qr_token, revoked.number),
        portal.file(pdf_of(revoked)),
    ):
        assert verdict(answers) == "revoked"
        page, api = answers
        assert REVOCATION_REASON in page.body and REVOCATION_REASON in api.data["message"]
        assert api.data["revoked"]["reason"] == REVOCATION_REASON
        assert api.data["revoked"]["at"] == revoked.revoked_at.isoformat(timespec="seconds")
        # The date is in the message a person reads.
        assert timezone.localtime(revoked.revoked_at).strftime("%Y-%m-%d") in api.data["message"]


def test_a_superseded_certificate_links_to_its_amendment(portal, amended):
    original, amendment = amended

    for answers in (
        portal.number(original.number),
        portal.token(original.qr_token, original.number),
        portal.file(pdf_of(original)),
    ):
        assert verdict(answers) == "superseded"
        page, api = answers
        assert f'href="/verify/?number={amendment.number}"' in page.body
        assert api.data["superseded"]["by"] == amendment.number
        assert api.data["superseded"]["url"] == f"http://testserver/api/v1/verify/{amendment.number}/"
        assert api.data["superseded"]["page"] == f"http://testserver/verify/?number={amendment.number}"
    # The amendment itself is current, and says what it replaces; why, to whoever holds it.
    page, api = portal.number(amendment.number)
    assert api.data["verdict"] == "authentic"
    assert api.data["certificate"]["amendment"] == {"supersedes": original.number}
    assert api.data["certificate"]["title"] == "Amended Certificate of Analysis"
    assert AMENDMENT_REASON not in page.body and AMENDMENT_REASON not in api.body
    page, api = portal.number(amendment.number, code=printed_code(amendment))
    assert api.data["certificate"]["amendment"] == {"supersedes": original.number, "reason": AMENDMENT_REASON}
    assert AMENDMENT_REASON in page.body


def test_links_use_the_public_address_when_it_is_configured(portal, amended, settings):
    original, amendment = amended
    settings.LIMS_PUBLIC_URL = "https://lims.example.kz/"

    _, api = portal.number(original.number)

    assert api.data["superseded"]["url"] == f"https://lims.example.kz/api/v1/verify/{amendment.number}/"


# Not in the register --------------------------------------------------------------------------------


def test_an_unknown_number_is_not_in_the_register(portal, db):
    page, api = portal.number(UNKNOWN_NUMBER)

    assert verdict((page, api)) == "unknown"
    assert page.status == 200 and api.status == 404
    assert "Not found in the register" in page.body
    assert api.data["certificate"] is None


def test_a_certificate_not_yet_issued_is_not_in_the_register(portal, certificate, manager):
    # A requested amendment is pending until the worker issues it; the original stays current.
    pending = services.certificate_amend(actor=manager, certificate=certificate, reason=AMENDMENT_REASON)
    Certificate.objects.filter(pk=pending.pk).update(number="KZL-2026-000777")

    assert verdict(portal.number("KZL-2026-000777")) == "unknown"
    assert verdict(portal.number(certificate.number)) == "authentic"


def test_a_genuine_token_of_a_number_the_register_lacks_is_reported(portal, certificate):
    token = lab_token(certificate, n=UNKNOWN_NUMBER)

    page, api = portal.token(token, UNKNOWN_NUMBER)

    assert verdict((page, api)) == "unknown"
    assert UNKNOWN_NUMBER in api.data["message"]


# Altered after signing --------------------------------------------------------------------------------


def test_a_flipped_byte_is_altered(portal, certificate):
    data = pdf_of(certificate)
    start, length, _, _ = signed_ranges(data)

    page, api = portal.file(flip_byte(data, start + length // 2))

    assert verdict((page, api)) == "altered"
    assert "Altered after signing" in page.body
    # A forged document shows nothing of the register.
    assert api.data["certificate"] is None and api.data["number"] is None


@pytest.mark.parametrize("change", ["annotation", "title"])
def test_an_update_appended_after_signing_is_altered(portal, certificate, change):
    # pdfsig still calls this signature valid; pyHanko's validator sees the update.
    page, api = portal.file(append_update(pdf_of(certificate), change))

    assert verdict((page, api)) == "altered"
    assert "an update was appended" in api.data["evidence"][0]["value"]


def test_a_qr_code_whose_signature_does_not_match_is_altered(portal, certificate):
    impostor = Ed25519PrivateKey.generate()
    # The laboratory's key id, someone else's signature.
    token = tokens.encode_token(document.token_claims(certificate), key=impostor, kid=certificate.token_kid)

    assert verdict(portal.token(token, certificate.number)) == "altered"


# Not issued by this laboratory -------------------------------------------------------------------


def test_a_pdf_signed_by_another_ca_is_not_ours(portal, certificate, tmp_path):
    key_file, cert_file, _ = make_signing_ca(tmp_path / "forgers", "Forgers Ltd")
    with override_settings(LIMS_SIGNING_KEY=key_file, LIMS_SIGNING_CERT=cert_file):
        forged = issue_specimen(certificate.number).pdf

    page, api = portal.file(forged)

    assert verdict((page, api)) == "not_ours"
    assert "Not issued by this laboratory" in page.body
    assert api.data["certificate"] is None


def test_a_qr_code_signed_with_another_key_is_not_ours(portal, certificate):
    impostor = Ed25519PrivateKey.generate()
    token = tokens.encode_token(document.token_claims(certificate), key=impostor, kid=key_id(impostor.public_key()))

    page, api = portal.token(token, certificate.number)

    assert verdict((page, api)) == "not_ours"
    assert api.data["certificate"] is None


# Not a certificate --------------------------------------------------------------------------------


def test_a_pdf_without_a_signature_is_not_a_valid_certificate(portal, db, keys_dir):
    unsigned = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

    assert verdict(portal.file(unsigned)) == "invalid"


@pytest.mark.parametrize("text", ["hello", "LIMS2:", "LIMS2:NOT-BASE45!!", "LIMS2:" + "0" * 500, "ünïcödé", "LIMS1:X"])
def test_text_that_is_no_qr_code_of_ours_is_invalid(portal, db, keys_dir, text):
    page, api = portal.token(text, UNKNOWN_NUMBER)

    assert verdict((page, api)) == "invalid"
    assert page.status == api.status == 200


# Does not match the register ---------------------------------------------------------------------


def test_a_genuine_qr_code_pasted_onto_another_certificate_does_not_match(portal, issue):
    genuine, other = issue(), issue()

    # The inspector scans the QR code on a document that says it is `other`.
    page, api = portal.token(genuine.qr_token, number=other.number)

    assert verdict((page, api)) == "mismatch"
    assert f"belongs to certificate {genuine.number}, not to certificate {other.number}" in api.data["message"]
    assert "Does not match the register" in page.body
    # What the register holds for the certificate the QR code belongs to, to compare with the paper.
    assert api.data["certificate"]["number"] == genuine.number
    # Given the right number, the same QR code is authentic.
    assert verdict(portal.token(genuine.qr_token, number=genuine.number.lower())) == "authentic"


def test_a_qr_code_certifying_other_content_under_a_registered_number_does_not_match(portal, issue):
    genuine, other = issue(), issue()
    # Signed with the laboratory's key, naming `genuine`, but hashing `other`'s snapshot.
    token = lab_token(genuine, h=other.snapshot_sha256)

    page, api = portal.token(token, genuine.number)

    assert verdict((page, api)) == "mismatch"
    assert "not what the register holds" in api.data["message"]
    # A QR code that is not the certificate's own proves no hold of its document: its identity only.
    assert api.data["certificate"]["disclosure"] == "public"


def test_a_second_signed_copy_of_a_certificate_is_genuine_but_not_the_registered_file(portal, certificate):
    # As a second signing attempt would make it (only one attempt's file is registered).
    copy = signing.sign_pdf(
        document.render_certificate(certificate, token=certificate.qr_token), reason="Certificate", location="Almaty"
    )
    assert copy != pdf_of(certificate)

    page, api = portal.file(copy)

    assert verdict((page, api)) == "authentic"
    assert "not the registered copy byte for byte" in api.data["message"]


def test_a_signed_file_certifying_other_content_under_a_registered_number_does_not_match(portal, certificate):
    # The laboratory's keys misused: the number of a registered certificate over a changed snapshot.
    snapshot = {**certificate.snapshot, "lot": {**certificate.snapshot["lot"], "dry_mass_t": "9999.000"}}
    forged = Certificate(
        number=certificate.number,
        issued_at=certificate.issued_at,
        sample=certificate.sample,
        snapshot=snapshot,
        snapshot_sha256=tokens.snapshot_sha256(snapshot),
    )
    token_key = keys.load_token_key()
    token = tokens.encode_token(document.token_claims(forged), key=token_key.key, kid=token_key.kid)
    data = signing.sign_pdf(document.render_certificate(forged, token=token), reason="Certificate", location="Almaty")

    page, api = portal.file(data)

    assert verdict((page, api)) == "mismatch"
    assert "9999.000" not in api.body  # the register's content is shown, not the forgery's


def test_a_revocation_shows_at_once_even_after_the_answer_was_cached(
    portal, certificate, manager, django_capture_on_commit_callbacks
):
    before = portal.number(certificate.number)[1]
    assert before.verdict == "authentic"

    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)

    # The kept state was forgotten when the revocation committed; the answer is cached under the state.
    after = portal.number(certificate.number)[1]
    assert after.verdict == "revoked" and REVOCATION_REASON in after.body


def test_the_results_table_comes_when_asked_for(client, certificate):
    code = printed_code(certificate)
    lean = client.get(f"/api/v1/verify/{certificate.number}/", {"code": code}).json()
    full = client.get(f"/api/v1/verify/{certificate.number}/", {"code": code, "results": "1"}).json()

    assert "results" not in lean["certificate"] and lean["certificate"]["headline"]
    assert {row["analyte"] for row in full["certificate"]["results"]} >= {"Cu", "Au", "Ag", "La"}


def test_without_the_commit_the_kept_state_lasts_its_second_only(portal, certificate, manager, settings):
    """Another process's revocation (nothing forgets this process's private cache) shows once the
    kept state expires; with the keeping switched off, at once."""
    settings.LIMS_VERIFY_STATE_CACHE_SECONDS = 0
    assert portal.number(certificate.number)[1].verdict == "authentic"
    Certificate.objects.filter(pk=certificate.pk).update(
        status="revoked", revoked_at=timezone.now(), revocation_reason=REVOCATION_REASON
    )
    assert portal.number(certificate.number)[1].verdict == "revoked"


def test_a_genuine_qr_code_without_the_printed_number_is_never_authentic(client, certificate):
    # Pasted alone, a genuine QR code would vouch for whatever paper it was copied onto.
    page = client.post("/verify/token/", {"token": certificate.qr_token, "number": ""})
    api = client.post("/api/v1/verify/token/", {"token": certificate.qr_token}, content_type="application/json")
    blank = client.post(
        "/api/v1/verify/token/", {"token": certificate.qr_token, "number": " "}, content_type="application/json"
    )

    assert page.status_code == 400 and 'data-verdict="authentic"' not in page.content.decode()
    (field,) = lxml.html.fromstring(page.content).xpath(
        "//div[contains(@class, 'has-error')][.//input[@name='number']]"
    )
    assert "Type the certificate number printed on the document." in field.text_content()
    for response in (api, blank):
        assert response.status_code == 400
        assert response.json()["extra"]["fields"].keys() == {"number"}
        assert "verdict" not in response.json()
