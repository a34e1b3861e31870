"""GET /api/v1/exchange/certificates/<number>/?bin=: the signed record a worker made, its live status
and the inclusion proof; a wrong BIN is an unknown number; one audit row per request; a rate per client."""

import json

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from certificates import merkle, services, transparency, verification
from exchange import jws, outbox
from exchange import services as exchange_services
from exchange.models import SCOPE_READ, RequestLog, SignedRecord
from tests.exchange.conftest import ALICE_BIN, BOB_BIN, status_keys, token_for

pytestmark = pytest.mark.django_db


def url(number: str, bin_text: str = ALICE_BIN) -> str:
    return f"/api/v1/exchange/certificates/{number}/?bin={bin_text}"


@pytest.fixture
def certificate(issue):
    """An issued certificate of alice's lot, its record signed (the sweep, as beat runs it) and in a
    signed checkpoint of the transparency log."""
    certificate = issue()
    outbox.sweep()
    transparency.sign_checkpoint()
    return certificate


def test_it_answers_the_signed_record_that_verifies_with_the_published_key(bearer, certificate):
    response = bearer.get(url(certificate.number))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["number"], body["status"], body["record"]["status"]) == (certificate.number, "issued", "issued")
    assert body["record"]["current"] is True
    assert body["keys"] == "http://testserver/verify/keys/keys.json"
    # The JWS verifies with the status key that keys.json publishes, and says what the answer shows.
    header, payload = jws.verify_compact(body["record"]["jws"], status_keys())
    assert header == {"alg": "EdDSA", "kid": body["record"]["kid"], "typ": "lims-certificate-record+jws"}
    content = json.loads(payload)
    assert content == body["record"]["content"]


def test_the_record_states_the_certificates_public_part_and_nothing_more(bearer, certificate):
    content = bearer.get(url(certificate.number)).json()["record"]["content"]

    with translation.override("en"):
        public = verification.check_number_at(certificate.number, verification.PUBLIC).statement
    assert content["certificate"] == public
    assert content["certificate"]["disclosure"] == "public"
    assert content["number"] == certificate.number
    assert content["snapshot_sha256"] == certificate.snapshot_sha256
    assert content["pdf_sha256"] == certificate.pdf_sha256
    assert content["status"] == "issued" and content["revoked"] is None and content["superseded"] is None
    assert content["certificate"]["lot"]["number"] == certificate.snapshot["lot"]["number"]
    # Not the customer, masses, assays or results.
    text = json.dumps(content)
    for secret in ("Altyn Copper", '"results"', '"headline"', "moisture", "dry_mass_t", '"customer"'):
        assert secret not in text


def test_the_inclusion_proof_verifies_against_the_signed_checkpoint(bearer, certificate):
    proof = bearer.get(url(certificate.number)).json()["inclusion"]

    assert proof["tree_size"] >= 1
    assert merkle.verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(node) for node in proof["audit_path"]],
        bytes.fromhex(proof["root_hash"]),
    )
    assert f"\n{proof['tree_size']}\n" in proof["checkpoint"]


def test_a_wrong_bin_answers_as_an_unknown_number(bearer, certificate):
    wrong = bearer.get(url(certificate.number, BOB_BIN))
    unknown = bearer.get(url("KZL-2099-999999"))

    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["message"] == f"No certificate {certificate.number} was issued to the exporter with this BIN."
    assert unknown.json()["message"] == "No certificate KZL-2099-999999 was issued to the exporter with this BIN."
    assert wrong.json()["extra"] == unknown.json()["extra"] == {}


def test_the_bin_is_read_as_people_write_it(bearer, certificate):
    assert bearer.get(url(certificate.number, "BIN%20150%20440%20056%20789")).status_code == 200
    assert bearer.get(url(certificate.number, "")).status_code == 400
    assert bearer.get(url("not a number!")).status_code == 400


def test_a_revocation_shows_live_at_once_and_in_a_new_record_after_the_sweep(bearer, certificate, manager):
    services.certificate_revoke(actor=manager, certificate=certificate, reason="Wrong lot sampled")

    before = bearer.get(url(certificate.number)).json()
    outbox.sweep()
    after = bearer.get(url(certificate.number)).json()

    assert (before["status"], before["record"]["status"], before["record"]["current"]) == ("revoked", "issued", False)
    assert (after["status"], after["record"]["status"], after["record"]["current"]) == ("revoked", "revoked", True)
    assert after["record"]["content"]["revoked"]["reason"] == "Wrong lot sampled"
    assert after["record"]["content"]["verdict"] == "revoked"
    assert SignedRecord.objects.filter(certificate=certificate).count() == 2


def test_a_record_not_signed_yet_answers_503_with_retry_after(bearer, issue, settings):
    certificate = issue()  # no sweep yet

    response = bearer.get(url(certificate.number))

    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.LIMS_EXCHANGE_SWEEP_SECONDS)


def test_every_request_leaves_an_audit_row_that_cannot_be_deleted(bearer, certificate, khorgos):
    bearer.get(url(certificate.number), REMOTE_ADDR="10.1.2.3")
    bearer.get(url(certificate.number, BOB_BIN), REMOTE_ADDR="10.1.2.3")
    HttpClient().get(url(certificate.number), REMOTE_ADDR="10.9.9.9")

    rows = list(
        RequestLog.objects.order_by("id").values_list(
            "client__name", "number", "bin", "outcome", "status_code", "remote_addr"
        )
    )
    assert rows == [
        ("Khorgos ASTANA-1 gateway", certificate.number, ALICE_BIN, "found", 200, "10.1.2.3"),
        ("Khorgos ASTANA-1 gateway", certificate.number, BOB_BIN, "not_found", 404, "10.1.2.3"),
        (None, certificate.number, ALICE_BIN, "unauthorised", 401, "10.9.9.9"),
    ]
    with pytest.raises(PermissionError):
        RequestLog.objects.first().delete()
    with pytest.raises(PermissionError):
        RequestLog.objects.all().delete()


def test_a_client_over_its_rate_gets_429_with_retry_after(manager, certificate):
    limited, secret = exchange_services.client_create(actor=manager, name="Slow post", scopes=SCOPE_READ, rate="3/min")
    api = HttpClient(headers={"Authorization": f"Bearer {token_for((limited, secret))}"})

    codes = [api.get(url(certificate.number)).status_code for _ in range(5)]

    assert codes == [200, 200, 200, 429, 429]
    response = api.get(url(certificate.number))
    assert 0 < int(response["Retry-After"]) <= 60
    assert list(RequestLog.objects.filter(client=limited).values_list("outcome", flat=True).order_by("id")) == [
        "found", "found", "found", "throttled", "throttled", "throttled"
    ]  # fmt: skip


def test_the_rate_is_counted_per_client(manager, certificate, bearer):
    limited, secret = exchange_services.client_create(actor=manager, name="Slow post", scopes=SCOPE_READ, rate="1/min")
    api = HttpClient(headers={"Authorization": f"Bearer {token_for((limited, secret))}"})
    assert [api.get(url(certificate.number)).status_code for _ in range(2)] == [200, 429]

    # khorgos (the default 120/min) is not held back by the other client's count.
    assert [bearer.get(url(certificate.number)).status_code for _ in range(3)] == [200, 200, 200]


def test_the_web_answers_without_any_private_key(bearer, certificate, monkeypatch):
    from certificates import keys

    def refuse():
        raise AssertionError("a web process loaded a private key")

    for loader in ("load_status_key", "load_token_key", "load_signing_material", "load_log_key"):
        monkeypatch.setattr(keys, loader, refuse)

    response = bearer.get(url(certificate.number))

    assert response.status_code == 200
    assert response.json()["record"]["status"] == "issued"
