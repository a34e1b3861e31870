"""A web process holds no private key: started with none configured (DEBUG off, no development
keys, no LIMS_SIGNING_*, LIMS_TOKEN_KEY or LIMS_STATUS_KEY, an empty VAR_DIR), it serves every
verification page, the API and every published file, from the register (public keys in the
SigningKey table), the storage (the signed files, the roots) and nothing else. The private-key
loaders raise, so any use of one on a web path fails the test."""

import pytest

from certificates import keys, publication
from tests.certificates.test_verification import issue, pdf_of  # noqa: F401 - issue is a fixture


@pytest.fixture
def web_only(issue, settings, tmp_path, monkeypatch):  # noqa: F811
    """A certificate issued and the status published by the workers; then this process becomes a
    web process without keys."""
    certificate = issue()
    publication.publish()
    settings.DEBUG = False
    settings.LIMS_GENERATE_DEV_KEYS = False
    settings.VAR_DIR = tmp_path / "web-var"  # no keys directory at all
    for name in ("LIMS_SIGNING_P12", "LIMS_SIGNING_KEY", "LIMS_SIGNING_CERT", "LIMS_TOKEN_KEY", "LIMS_STATUS_KEY"):
        setattr(settings, name, None)
    keys.reset_cache()

    def refuse(*args, **kwargs):
        raise AssertionError("a web path asked for a private key")

    for loader in ("load_signing_material", "load_token_key", "load_status_key", "signing_kid", "install_ed25519",
                   "_ensure_dev_signing_material", "_ensure_dev_ed25519", "_ensure_dev_tsa_material"):  # fmt: skip
        monkeypatch.setattr(keys, loader, refuse)
    return certificate


def test_every_verification_page_answers_without_keys(client, web_only):
    number, token, data = web_only.number, web_only.qr_token, pdf_of(web_only)

    by_number = client.get("/verify/", {"number": number})
    by_token = client.post("/verify/token/", {"token": token, "number": number})
    by_upload = client.post("/verify/upload/", {"file": _upload(data)})

    for response in (by_number, by_token, by_upload):
        assert response.status_code == 200, response.content[:300]
        assert response.context["check"].verdict == "authentic", response.context["check"].message
    assert client.get("/verify/").status_code == 200


def test_the_api_answers_without_keys(client, web_only):
    token = client.post(
        "/api/v1/verify/token/",
        {"token": web_only.qr_token, "number": web_only.number},
        content_type="application/json",
    )
    upload = client.post("/api/v1/verify/upload/", {"file": _upload(pdf_of(web_only))})

    assert token.status_code == 200 and token.json()["verdict"] == "authentic", token.content[:300]
    assert upload.status_code == 200 and upload.json()["verdict"] == "authentic", upload.content[:300]


def test_every_published_file_is_served_without_keys(client, web_only):
    addresses = [
        "/verify/keys/root.pem",
        "/verify/keys/token-keys.json",
        "/verify/keys/signing-keys.json",
        "/verify/keys/keys.json",
        f"/verify/keys/{web_only.signing_kid}.pem",
        f"/verify/keys/{web_only.token_kid}.pem",
        "/verify/revocations.json",
        "/verify/kit/verifier.py",
        "/verify/kit/witness.py",
    ]

    for address in addresses:
        assert client.get(address).status_code == 200, address
    # The roots come from the published root.pem in storage: there is no keys directory here.
    assert b"BEGIN CERTIFICATE" in client.get("/verify/keys/root.pem").content


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("certificate.pdf", data, content_type="application/pdf")
