"""What the laboratory publishes for offline checks, at stable addresses: its trust roots, its QR-token
keys by key id (retired ones too), every signing key on record, the standalone verifier, and the
signed list of revoked and superseded certificates (which the verifier accepts)."""

import base64
import hashlib
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from certificates import document, keys, publication, services, tokens, verifier
from certificates.models import SigningKey
from tests.certificates.builders import issue_now
from tests.certificates.test_verification import REVOCATION_REASON, issue  # noqa: F401 - issue is a fixture


@pytest.fixture
def certificate(issue):  # noqa: F811
    return issue()


def retired_token_key() -> Ed25519PrivateKey:
    """A token key the laboratory used before rotating: its file is gone, its record stays."""
    key = Ed25519PrivateKey.generate()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    SigningKey.objects.create(
        kid=verifier.key_id(key.public_key()), kind=SigningKey.Kind.TOKEN, public_pem=public_pem.decode()
    )
    return key


def test_the_trust_roots_are_published(client, keys_dir, db):
    publication.publish()  # the worker writes the roots it signs with into storage

    response = client.get("/verify/keys/root.pem")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    roots = x509.load_pem_x509_certificates(response.content)
    assert set(roots) == set(keys.trust_roots())


def test_the_token_keys_are_published_with_the_retired_ones(client, keys_dir, db):
    retired = retired_token_key()
    current = keys.load_token_key()  # the issue task made it (and published its public half)

    response = client.get("/verify/keys/token-keys.json")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    published = verifier.parse_token_keys(response.json())  # the offline verifier reads it as it is
    assert set(published) == {current.kid, verifier.key_id(retired.public_key())}
    raw = current.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert response.json()[current.kid] == base64.b64encode(raw).decode()


def test_a_qr_code_signed_with_a_retired_key_still_verifies(client, certificate):
    retired = retired_token_key()
    # As if the certificate had been issued before the rotation.
    token = tokens.encode_token(
        document.token_claims(certificate), key=retired, kid=verifier.key_id(retired.public_key())
    )

    form = {"token": token, "number": certificate.number}
    response = client.post("/api/v1/verify/token/", form, content_type="application/json")

    assert response.json()["verdict"] == "authentic"


def test_a_record_whose_key_id_does_not_match_its_key_is_ignored(client, keys_dir, db):
    key = Ed25519PrivateKey.generate().public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    SigningKey.objects.create(kid="00" * 8, kind=SigningKey.Kind.TOKEN, public_pem=pem)

    assert "00" * 8 not in client.get("/verify/keys/token-keys.json").json()


def test_every_signing_key_on_record_is_published_by_key_id(client, certificate):
    listing = client.get("/verify/keys/signing-keys.json").json()["keys"]

    assert {(k["kid"], k["kind"]) for k in listing} == {
        (certificate.signing_kid, "pdf"),
        (certificate.token_kid, "token"),
    }
    signing_cert = x509.load_pem_x509_certificate(client.get(f"/verify/keys/{certificate.signing_kid}.pem").content)
    assert verifier.key_id(signing_cert.public_key()) == certificate.signing_kid
    token_key = serialization.load_pem_public_key(client.get(f"/verify/keys/{certificate.token_kid}.pem").content)
    assert verifier.key_id(token_key) == certificate.token_kid
    assert client.get("/verify/keys/0123456789abcdef.pem").status_code == 404


def test_the_verifier_is_published_as_it_is(client, db):
    response = client.get("/verify/kit/verifier.py")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="verifier.py"'
    with open(verifier.__file__, "rb") as source:
        assert response.content == source.read()
    # The page names its hash, so an inspector can check a copy handed on.
    assert hashlib.sha256(response.content).hexdigest() in client.get("/verify/").content.decode()


def test_the_status_list_names_revoked_and_superseded_certificates(client, issue, manager):  # noqa: F811
    revoked = services.certificate_revoke(actor=manager, certificate=issue(), reason=REVOCATION_REASON)
    original = issue()
    amendment = issue_now(services.certificate_amend(actor=manager, certificate=original, reason="x"), claim="a")
    original.refresh_from_db()
    issue()  # current: not listed
    number = publication.publish()

    response = client.get("/verify/revocations.json")

    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={publication.PUBLISHED_MAX_AGE}"
    # The offline verifier accepts it with the published key set.
    key_set = verifier.load_key_set(client.get("/verify/keys/keys.json").json())
    payload = verifier.load_status_list(response.json(), key_set.public_keys("status"))
    assert payload["issuer"] == "KZL" and payload["sequence"] == number
    assert payload["revoked"] == [
        {"number": revoked.number, "at": local(revoked.revoked_at), "reason": REVOCATION_REASON}
    ]
    assert payload["superseded"] == [
        {"number": original.number, "by": amendment.number, "at": local(original.superseded_at)}
    ]
    issued_at = datetime.fromisoformat(payload["issued_at"])
    assert abs(issued_at - timezone.now()) < timedelta(minutes=1)
    # next_update: LIMS_STATUS_LIST_VALIDITY (24 h) after issue, like a CRL.
    assert datetime.fromisoformat(payload["next_update"]) - issued_at == timedelta(hours=24)


def test_each_publication_has_a_higher_sequence_number(client, certificate, manager):
    first = publication.publish()
    services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)
    second = publication.publish()

    assert second == first + 1
    payload = client.get("/verify/revocations.json").json()["payload"]
    assert payload["sequence"] == second
    assert [entry["number"] for entry in payload["revoked"]] == [certificate.number]


def test_a_revocation_sends_the_publication_after_commit(
    certificate, manager, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(publication, "_send", lambda: sent.append("publish"))

    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)

    assert sent == ["publish"]


def test_the_key_set_lists_every_key_with_its_state(client, certificate):
    publication.publish()

    key_set = verifier.load_key_set(client.get("/verify/keys/keys.json").json())

    states = {(kid, key.kind, key.state) for kid, key in key_set.keys.items()}
    assert states == {
        (certificate.signing_kid, "pdf", "current"),
        (certificate.token_kid, "token", "current"),
        (keys.load_status_key().kid, "status", "current"),
    }


def test_before_any_publication_the_signed_files_answer_503(client, db):
    response = client.get("/verify/revocations.json")

    assert response.status_code == 503
    assert "not published" in response.content.decode()


def test_a_tampered_status_list_is_refused_by_the_verifier(client, certificate):
    publication.publish()
    signed = client.get("/verify/revocations.json").json()
    signed["payload"]["revoked"] = []
    signed["payload"]["next_update"] = "2099-01-01T00:00:00+05:00"

    with pytest.raises(verifier.PublishedFileError):
        verifier.load_status_list(signed, {keys.load_status_key().kid: keys.load_status_key().key.public_key()})


def local(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")
