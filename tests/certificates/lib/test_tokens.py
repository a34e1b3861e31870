"""The QR token and the status list: canonical bytes, signatures, size, and every way to refuse."""

import hashlib
import json
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import base45
import cbor2
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from certificates import status_list, tokens, verifier
from certificates.keys import TokenKey
from certificates.verifier import key_id

from .conftest import sample_claims, sample_snapshot


@pytest.fixture
def token_key():
    key = Ed25519PrivateKey.generate()
    return TokenKey(key=key, kid=key_id(key.public_key()))


@pytest.fixture
def token_keys(token_key):
    return {token_key.kid: token_key.key.public_key()}


def make_token(token_key, **overrides):
    snapshot = sample_snapshot("KZL-2026-000417")
    claims = {**sample_claims("KZL-2026-000417", snapshot, "0123456789abcdef"), **overrides}
    return tokens.encode_token(claims, key=token_key.key, kid=token_key.kid)


def open_token(token: str) -> list:
    """The COSE_Sign1 array inside a token, to tamper with."""
    return list(cbor2.loads(base45.b45decode(token.removeprefix(verifier.TOKEN_PREFIX))).value)


def close_token(parts: list) -> str:
    message = cbor2.dumps(cbor2.CBORTag(18, parts))
    return verifier.TOKEN_PREFIX + base45.b45encode(message).decode()


def test_canonical_json_is_sorted_compact_utf8():
    snapshot = {"b": [Decimal("23.410"), 1, None, True], "a": "Öskemen", "d": date(2026, 11, 23)}

    assert tokens.canonical_json(snapshot) == '{"a":"Öskemen","b":["23.410",1,null,true],"d":"2026-11-23"}'.encode()
    # Key order does not change the bytes, so neither does it change the hash.
    assert tokens.canonical_json(dict(reversed(snapshot.items()))) == tokens.canonical_json(snapshot)
    assert tokens.snapshot_sha256(snapshot) == hashlib.sha256(tokens.canonical_json(snapshot)).hexdigest()


def test_canonical_json_refuses_floats():
    # A float would lose the reported digits (23.410) and prints differently elsewhere.
    with pytest.raises(TypeError, match="Decimal"):
        tokens.canonical_json({"cu": 23.41})


def test_a_token_round_trips(token_key, token_keys):
    token = make_token(token_key)

    claims = tokens.decode_token(token, token_keys)

    assert claims["n"] == "KZL-2026-000417"
    assert claims["d"] == "2026-11-23"
    assert claims["w"] == "4823.512"
    assert claims["a"] == {
        "Cu": ["23.41", "%"],
        "Au": ["19.08", "g/t"],
        "Ag": ["157.0", "g/t"],
        "TREO": ["0.0123", "%"],
    }
    # The first 128 bits of the snapshot's SHA-256.
    assert claims["h"].hex() == tokens.snapshot_sha256(sample_snapshot("KZL-2026-000417"))[:32]
    assert verifier.binds_snapshot(claims, tokens.snapshot_sha256(sample_snapshot("KZL-2026-000417")))
    assert not verifier.binds_snapshot(claims, tokens.snapshot_sha256(sample_snapshot("KZL-2026-000418")))
    assert claims["k"].hex() == "0123456789abcdef"
    assert set(claims) == {"n", "k", "l", "d", "w", "a", "h"}


def test_the_wire_form_is_compact(token_key):
    _, _, payload, _ = open_token(make_token(token_key))
    wire = cbor2.loads(payload)

    # No issuer (the key names the laboratory), no material; the date as a number; 16 bytes of hash.
    assert set(wire) == {1, 3, 4, 6, 7, 8, 9}
    assert wire[6] == 20261123
    assert len(wire[9]) == 16


def test_a_token_of_the_retired_format_is_refused_with_a_reason(token_keys):
    with pytest.raises(verifier.TokenFormatError, match="retired format"):
        tokens.decode_token("LIMS1:" + base45.b45encode(b"anything").decode(), token_keys)


@pytest.mark.parametrize("day", [20261331, 20260230, "2026-11-23", -1, True])
def test_a_token_with_an_impossible_date_is_refused(token_key, token_keys, day):
    parts = open_token(make_token(token_key))
    claims = cbor2.loads(parts[2])
    claims[6] = day
    parts[2] = cbor2.dumps(claims)
    parts[3] = token_key.key.sign(verifier.cose_sig_structure(parts[0], parts[2]))

    with pytest.raises(verifier.TokenFormatError, match="date"):
        tokens.decode_token(close_token(parts), token_keys)


def test_the_kid_is_in_the_protected_header(token_key):
    protected, unprotected, _, _ = open_token(make_token(token_key))

    assert cbor2.loads(protected) == {1: -8, 4: bytes.fromhex(token_key.kid)}
    assert unprotected == {}


def test_a_typical_token_fits_qr_version_11_at_ecc_m(token_key):
    token = make_token(token_key)

    # The figures certificates.tokens states.
    assert len(token) <= 340
    assert segno.make_qr(token, error="m", boost_error=False).version <= 11


def test_a_long_token_still_fits_qr_version_12_at_ecc_m(token_key):
    # Longer identifiers than usual: the budget must hold for real lot and certificate numbers.
    token = make_token(token_key, n="KZL-2026-0001234567", l="LOT-2026-ALTYN-000417", w=Decimal("12345.678"))
    _, _, payload, _ = open_token(token)

    assert len(payload) <= 150
    # Version 12 at 3 pt a module is 69 mm wide (77 mm with its quiet zone): the most the page has room for.
    assert segno.make_qr(token, error="m", boost_error=False).version <= 12


def test_a_key_the_laboratory_never_published_is_refused(token_key):
    stranger = Ed25519PrivateKey.generate().public_key()

    with pytest.raises(verifier.UnknownKeyError, match="not issued by this laboratory"):
        tokens.decode_token(make_token(token_key), {key_id(stranger): stranger})


def test_a_changed_claim_breaks_the_signature(token_key, token_keys):
    parts = open_token(make_token(token_key))
    claims = cbor2.loads(parts[2])
    claims[verifier.CLAIMS["a"][0]]["Au"] = ["1.90", "g/t"]  # gold understated tenfold
    parts[2] = cbor2.dumps(claims)

    with pytest.raises(verifier.BadSignatureError):
        tokens.decode_token(close_token(parts), token_keys)


def test_a_signature_by_another_key_under_our_key_id_is_refused(token_key, token_keys):
    impostor = TokenKey(key=Ed25519PrivateKey.generate(), kid=token_key.kid)

    with pytest.raises(verifier.BadSignatureError):
        tokens.decode_token(make_token(impostor), token_keys)


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org/not-a-token",
        "LIMS2:not base45 at all!",
        "LIMS2:" + base45.b45encode(b"not cbor \xff").decode(),
        "LIMS2:" + base45.b45encode(cbor2.dumps([1, 2, 3])).decode(),
        # Nothing far longer than a genuine token is decoded.
        "LIMS2:" + base45.b45encode(bytes(100_000)).decode(),
        # A token of the first format, zlib-compressed, is no longer read.
        "LIMS1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))).decode(),
    ],
)
def test_anything_else_is_a_format_error(text, token_keys):
    with pytest.raises(verifier.TokenFormatError):
        tokens.decode_token(text, token_keys)


def test_a_token_missing_a_claim_is_never_issued(token_key):
    snapshot = sample_snapshot("KZL-2026-000417")
    claims = sample_claims("KZL-2026-000417", snapshot, "0123456789abcdef")
    del claims["h"]

    with pytest.raises(verifier.TokenFormatError, match="missing"):
        tokens.encode_token(claims, key=token_key.key, kid=token_key.kid)


def sign_list(status_key, **changes) -> dict:
    arguments = {
        "issuer": "KZL",
        "sequence": 7,
        "issued_at": datetime(2026, 11, 24, tzinfo=UTC),
        "validity": timedelta(hours=24),
        "revoked": [{"number": "KZL-2026-000100", "at": "2026-11-20", "reason": "sample mix-up"}],
        "superseded": [{"number": "KZL-2026-000101", "by": "KZL-2026-000150", "at": "2026-11-21"}],
        **changes,
    }
    return status_list.sign_status_list(**arguments, key=status_key.key, kid=status_key.kid)


def test_a_signed_status_list_loads(token_key, token_keys):
    # It survives being published as JSON.
    published = json.loads(json.dumps(sign_list(token_key)))

    payload = verifier.load_status_list(published, token_keys)

    assert payload["issued_at"] == "2026-11-24T00:00:00+00:00"
    assert payload["next_update"] == "2026-11-25T00:00:00+00:00"
    assert payload["sequence"] == 7
    assert payload["revoked"][0]["reason"] == "sample mix-up"


def test_a_tampered_status_list_is_refused(token_key, token_keys):
    signed = sign_list(token_key)
    signed["payload"]["revoked"] = []  # someone un-revokes a certificate

    with pytest.raises(verifier.PublishedFileError, match="signature"):
        verifier.load_status_list(signed, token_keys)


def test_a_status_list_by_an_unknown_key_is_refused(token_key):
    stranger = Ed25519PrivateKey.generate().public_key()

    with pytest.raises(verifier.PublishedFileError, match="unknown key"):
        verifier.load_status_list(sign_list(token_key), {key_id(stranger): stranger})


def test_a_malformed_status_list_is_never_signed(token_key):
    with pytest.raises(verifier.PublishedFileError, match="malformed"):
        sign_list(token_key, revoked=[{"number": "KZL-2026-000100"}])


def test_a_key_set_cannot_pass_for_a_status_list(token_key, token_keys):
    entry = {"kid": token_key.kid, "kind": "status", "state": "current", "compromised_from": None}
    public = token_key.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    key_set = status_list.sign_key_set(
        issuer="KZL", sequence=7, issued_at=datetime(2026, 11, 24, tzinfo=UTC), keys=[{**entry, "public": public}],
        key=token_key.key, kid=token_key.kid,
    )  # fmt: skip

    with pytest.raises(verifier.PublishedFileError, match="not the laboratory's status list"):
        verifier.load_status_list(key_set, token_keys)
