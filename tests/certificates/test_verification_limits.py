"""What the public portal refuses, and how: too many requests from one address (429 with Retry-After),
files that are too large or not PDFs, malformed input; and that no input makes it fail (no 500)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.certificates.test_verification import issue, pdf_of, upload  # noqa: F401 - issue is a fixture

PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def tiny_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify": "3/min"},
    }


def test_too_many_checks_from_one_address_are_refused(client, db, tiny_rate):
    # The page and the API count together.
    assert client.get("/verify/", {"number": "KZL-2026-000001"}).status_code == 200
    assert client.get("/api/v1/verify/KZL-2026-000001/").status_code == 404
    assert client.get("/verify/keys/signing-keys.json").status_code == 200

    page = client.get("/verify/", {"number": "KZL-2026-000001"})
    api = client.get("/api/v1/verify/KZL-2026-000001/")
    published = client.get("/verify/revocations.json")

    for response in (page, api, published):
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many verification requests from your address" in page.content.decode()
    assert "data-verdict" not in page.content.decode()
    assert api.json()["message"].startswith("Too many verification requests from your address.")
    assert "Too many verification requests" in published.content.decode()


def test_each_address_has_its_own_count(client, db, tiny_rate):
    for _ in range(3):
        client.get("/api/v1/verify/KZL-2026-000001/", REMOTE_ADDR="10.0.0.1")

    assert client.get("/api/v1/verify/KZL-2026-000001/", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/api/v1/verify/KZL-2026-000001/", REMOTE_ADDR="10.0.0.2").status_code == 404
    # A client cannot pass for another by sending X-Forwarded-For (no proxy is configured).
    spoofed = client.get("/api/v1/verify/KZL-2026-000001/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert spoofed.status_code == 429


def test_behind_a_proxy_the_forwarded_address_counts(client, db, tiny_rate, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.254"}
    for _ in range(3):
        client.get("/api/v1/verify/KZL-2026-000001/", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)

    assert client.get("/verify/", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    assert client.get("/verify/", HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200


def test_a_file_that_is_not_a_pdf_is_refused(client, db, keys_dir):
    page = client.post("/verify/upload/", {"file": upload(b"GIF89a not a certificate", "certificate.pdf")})
    api = client.post("/api/v1/verify/upload/", {"file": upload(b"GIF89a not a certificate", "certificate.pdf")})

    assert page.status_code == 400 and api.status_code == 400
    body = page.content.decode()
    # Next to the file field.
    assert 'class="field has-error"' in body and "This is not a PDF file" in body
    assert api.json()["message"].startswith("This is not a PDF file")
    assert api.json()["extra"] == {"field": "file"}


@pytest.mark.parametrize("size", [4 * 1024, 200 * 1024])
def test_a_file_over_the_limit_is_refused(client, db, keys_dir, settings, size):
    # Just over the limit is found when the form is read; far over it, before anything is read.
    settings.LIMS_VERIFY_MAX_UPLOAD_BYTES = 2 * 1024
    data = b"%PDF-1.7\n" + b"0" * size

    page = client.post("/verify/upload/", {"file": upload(data)})
    api = client.post("/api/v1/verify/upload/", {"file": upload(data)})

    assert page.status_code == 413 and api.status_code == 413
    body = page.content.decode()
    assert 'class="field has-error"' in body and "The file is larger than 2.0\xa0KB" in body
    assert api.json()["message"].startswith("The file is larger than")


def test_a_body_announced_over_the_limit_is_refused_unread(client, db, keys_dir):
    # A client announcing a gigabyte: the portal answers before reading (and storing) any of it.
    form = {"file": upload(PDF)}
    page = client.post("/verify/upload/", form, CONTENT_LENGTH=str(2**30))
    api = client.post("/api/v1/verify/upload/", {"file": upload(PDF)}, CONTENT_LENGTH=str(2**30))

    assert page.status_code == 413 and "The file is larger than 10.0\xa0MB" in page.content.decode()
    assert api.status_code == 413 and api.json()["extra"] == {"field": "file"}


def test_the_default_upload_limit_is_10_mb(settings):
    assert settings.LIMS_VERIFY_MAX_UPLOAD_BYTES == 10 * 1024 * 1024


def test_a_genuine_file_under_a_low_limit_is_still_checked(client, settings, issue):  # noqa: F811
    certificate = issue()
    data = pdf_of(certificate)
    settings.LIMS_VERIFY_MAX_UPLOAD_BYTES = len(data)

    assert client.post("/api/v1/verify/upload/", {"file": upload(data)}).json()["verdict"] == "authentic"


def test_an_upload_without_a_file_is_refused(client, db, keys_dir):
    page = client.post("/verify/upload/", {})
    api = client.post("/api/v1/verify/upload/", {})
    as_json = client.post("/api/v1/verify/upload/", {"file": "x"}, content_type="application/json")

    assert page.status_code == 400 and "This field is required" in page.content.decode()
    assert api.status_code == 400 and api.json()["extra"] == {"field": "file"}
    assert as_json.status_code == 415


@pytest.mark.parametrize("number", ["", "   ", "KZL 2026/000001", "<script>", "x" * 100, "KZL-2026-00000\u0661"])
def test_a_malformed_number_is_refused_with_a_message(client, db, number):
    page = client.get("/verify/", {"number": number})
    api = client.get("/api/v1/verify/", {"number": number})

    assert page.status_code == 400 and api.status_code == 400
    assert 'class="field has-error"' in page.content.decode()
    assert api.json()["message"]


def test_a_missing_or_overlong_qr_code_is_refused(client, db, keys_dir):
    for token in ("", "LIMS2:" + "A" * 3000):
        form = {"token": token, "number": "KZL-2026-000001"}
        page = client.post("/verify/token/", form)
        api = client.post("/api/v1/verify/token/", form, content_type="application/json")
        assert page.status_code == 400 and 'class="field has-error"' in page.content.decode()
        assert api.status_code == 400 and api.json()["extra"]["fields"].keys() == {"token"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"token": 5, "number": "KZL-2026-000001"}',
        b'{"token": null, "number": "KZL-2026-000001"}',
        b'{"token": ["a"], "number": "KZL-2026-000001"}',
        b'{"token": "x", "number": {}}',
        b'{"token": "x", "number": "<script>"}',
    ],
)
def test_no_json_makes_the_token_check_fail(client, db, keys_dir, body):
    response = client.post("/api/v1/verify/token/", body, content_type="application/json")

    assert response.status_code in (200, 400), response.content
    assert response.json()["message"]


def test_without_the_laboratorys_keys_signature_checks_are_unavailable(client, db, settings, tmp_path):
    # A server with no keys configured and none published (DEBUG off, nothing generated).
    settings.VAR_DIR = tmp_path
    settings.LIMS_GENERATE_DEV_KEYS = False

    page = client.post("/verify/upload/", {"file": upload(PDF)})
    form = {"token": "LIMS2:X", "number": "KZL-2026-000001"}
    api = client.post("/api/v1/verify/token/", form, content_type="application/json")

    assert page.status_code == 503 and "not configured" in page.content.decode()
    assert api.status_code == 503 and "keys are missing" in api.json()["message"]
    for path in ("/verify/keys/root.pem", "/verify/keys/token-keys.json", "/verify/revocations.json"):
        assert client.get(path).status_code == 503, path
    # The register still answers by number.
    assert client.get("/api/v1/verify/KZL-2026-000001/").status_code == 404


def test_posting_forms_are_reached_from_the_page(client, db):
    # A reload of a result page, or a bookmark, asks with GET.
    assert client.get("/verify/token/").url == "/verify/"
    assert client.get("/verify/upload/").url == "/verify/"
    assert client.put("/verify/").status_code == 405
    assert client.get("/api/v1/verify/token/").status_code == 405


def test_a_pdf_under_another_name_is_checked_all_the_same(client, db, keys_dir):
    response = client.post("/api/v1/verify/upload/", {"file": SimpleUploadedFile("scan.jpg", PDF, "image/jpeg")})

    assert response.status_code == 200 and response.json()["verdict"] == "invalid"


def test_the_checks_need_no_cookie_or_csrf_token(db, keys_dir):
    # A phone that refuses cookies can still check; a check changes nothing a forged request could abuse.
    client = Client(enforce_csrf_checks=True)

    token = client.post("/verify/token/", {"token": "hello", "number": "KZL-2026-000001"})
    upload_ = client.post("/verify/upload/", {"file": upload(PDF)})

    assert token.status_code == 200 and 'data-verdict="invalid"' in token.content.decode()
    assert upload_.status_code == 200 and 'data-verdict="invalid"' in upload_.content.decode()


def test_wrong_verification_codes_count_as_guesses(client, tiny_rate, issue):  # noqa: F811
    certificate = issue()
    guesses = ["AAAA-BBBB-CCCC-DDDD", "AAAA-BBBB-CCCC-DDDE", "AAAA-BBBB-CCCC-DDDF"]

    answers = [client.get(f"/api/v1/verify/{certificate.number}/", {"code": guess}) for guess in guesses[:2]]
    page = client.get("/verify/", {"number": certificate.number, "code": guesses[2]})
    # Over the rate, the right code is refused too: guessing costs the same as any check.
    throttled = client.get(f"/api/v1/verify/{certificate.number}/", {"code": guesses[0]})

    for answer in answers:
        assert answer.status_code == 400 and answer.json()["extra"] == {"field": "code"}
        assert answer.json()["message"].startswith("This is not the verification code printed on certificate")
    assert (
        page.status_code == 400 and "This is not the verification code printed on certificate" in page.content.decode()
    )
    assert throttled.status_code == 429


@pytest.mark.parametrize("code", ["1234", "AAAA-BBBB-CCCC-DDDU", "AAAA BBBB CCCC DDDD EEEE"])
def test_a_malformed_verification_code_is_refused_next_to_its_field(client, db, code):
    page = client.get("/verify/", {"number": "KZL-2026-000001", "code": code})
    api = client.get("/api/v1/verify/KZL-2026-000001/", {"code": code})

    assert page.status_code == 400 and api.status_code == 400
    body = page.content.decode()
    assert 'class="field has-error"' in body and "A verification code has 16 letters and digits" in body
    assert api.json()["extra"] == {"field": "code"}
    assert "data-verdict" not in body
