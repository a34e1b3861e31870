"""The signed summary printed as a QR code on every certificate (the signed status list: certificates.status_list).

A token is ``LIMS1:`` + base45(zlib(COSE_Sign1)), the layout of the EU Digital COVID Certificate:
base45 uses only the QR code's alphanumeric characters, so the code stays small. The COSE_Sign1
message (RFC 9052) has the protected header ``{1: -8 (EdDSA), 4: key id (8 bytes)}``, an empty
unprotected header, the claims as a CBOR map (integer keys, listed in verifier.CLAIMS) and an
Ed25519 signature. A typical certificate gives a COSE message of about 270 bytes (185 of them claims)
and a token of about 400 characters: a QR code of version 15 at error correction Q, which holds 427.
About 15 more bytes of identifiers (lot number, material) would need version 16.

The token carries the SHA-256 of the canonical snapshot, never of the PDF: the PDF contains the token,
so its own hash cannot be in it.

Decoding lives in certificates.verifier, so that the offline verification kit needs nothing from the
LIMS; it is re-exported here for the portal.
"""

import hashlib
import zlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import base45
import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.verifier import (
    TOKEN_PREFIX,
    canonical_json,
    claims_to_wire,
    cose_sig_structure,
    decode_token,
    validate_claims,
)

__all__ = ["canonical_json", "decode_token", "encode_token", "snapshot_sha256"]

_COSE_SIGN1_TAG = 18


def snapshot_sha256(snapshot: Mapping[str, object]) -> str:
    """Hex SHA-256 of canonical_json(snapshot): what the token's "h" claim carries (as bytes) and the
    exact bytes attached to the PDF hash to."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def encode_token(claims: dict, *, key: Ed25519PrivateKey, kid: str) -> str:
    """Sign `claims` (named by letter, see verifier.CLAIMS) into a QR token.

    Decimals and dates become strings and "k" and "h" may be given as hex; anything else that does not fit
    the format raises TokenFormatError, so a token the verifier would refuse is never issued.
    """
    claims = _normalise(claims)
    validate_claims(claims)
    protected = cbor2.dumps({1: -8, 4: bytes.fromhex(kid)})
    payload = cbor2.dumps(claims_to_wire(claims))
    signature = key.sign(cose_sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return TOKEN_PREFIX + base45.b45encode(zlib.compress(message, 9)).decode("ascii")


def _normalise(claims: dict) -> dict:
    def text(value):
        return value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value

    normalised = {name: text(value) for name, value in claims.items()}
    if isinstance(normalised.get("a"), dict):
        normalised["a"] = {analyte: [text(part) for part in pair] for analyte, pair in normalised["a"].items()}
    for name in ("k", "h"):
        if isinstance(normalised.get(name), str):
            normalised[name] = bytes.fromhex(normalised[name])
    return normalised
