"""The signed summary printed as a QR code on every certificate (the signed status list: certificates.status_list).

A token is ``LIMS2:`` + base45(COSE_Sign1), after the EU Digital COVID Certificate: base45 uses only
the QR code's alphanumeric characters (5.5 bits a character), so the code stays small. The COSE_Sign1
message (RFC 9052) has the protected header ``{1: -8 (EdDSA), 4: key id (8 bytes)}``, an empty
unprotected header, the claims as a CBOR map (integer keys, listed in verifier.CLAIMS) and an
Ed25519 signature.

Format 2 (``LIMS2:``) is made to be read from paper and by phones: the code is printed 3 pt (1.06 mm)
a module (certificates.pdf), so a 72 dpi rendering of the page, or a 600-pixel-wide picture of it,
gives every module 3 pixels, at error correction M. To keep that symbol on the page, the claims are
only what an inspector compares with the goods and the declaration: number, lot number, issue date,
dry mass, headline assays, the PDF signing key id and the snapshot hash. Measured (Ed25519, the
claims of a test certificate, tests/certificates/lib/test_tokens.py):

    ==============================================  =======  ======  ========  =======  =======
    claims                                          payload  COSE    token     QR (M)   printed
    ==============================================  =======  ======  ========  =======  =======
    KZL-2026-000001, LOT-00001, TREO in ppm         127 B    212 B   324 chr   v11      65 mm
    KZL-2026-000417, LOT-2026-000417                136 B    221 B   338 chr   v11      65 mm
    19-character number, 21-character lot number    147 B    232 B   354 chr   v11      65 mm
    ==============================================  =======  ======  ========  =======  =======

(printed: the symbol, 61 modules; 73 mm with its 4-module quiet zone). Version 11 at M holds 366
characters; a version 12 code (longer identifiers still) prints 69 mm wide. Format 1 was 401
characters at version 15, error correction Q, printed 50 mm wide (0.6 mm a module): it needed a
150 dpi copy. What changed, and why it is safe:
- no issuer claim: every token key belongs to one laboratory, so the key id names the issuer;
- no material (the lot number identifies the lot; the hash binds the rest);
- the date is the integer YYYYMMDD (5 bytes, not 11);
- no zlib: the message is mostly signature, key ids and hash (random bytes), which do not compress;
  measured, compression saved nothing, and the verifier has no decompression to bound;
- "h" is the first 128 bits of the snapshot's SHA-256, not 256. The hash is inside the signed
  claims, so a forger cannot pick it; what they would need is a second snapshot with the same 128
  bits as one the laboratory signed (a second preimage: 2^128 work). A collision (2^64 work) is of
  no use: it needs two snapshots of the forger's choosing both accepted by the laboratory, and the
  laboratory builds every snapshot from its own records; and a file check still needs the PDF's
  signature, which covers the whole snapshot with SHA-256;
- "k", the PDF signing certificate's key id, is kept (10 bytes): it binds the token to the key that
  signed the PDF, so a token cannot be carried to a PDF signed with another (say, a compromised) key.

Format 1 tokens (``LIMS1:``) are refused with a message that says so: only demonstration
certificates were issued with them, and those still verify by number (the register is unchanged).

The token carries the hash of the canonical snapshot, never of the PDF: the PDF contains the token,
so its own hash cannot be in it.

Decoding lives in certificates.verifier, so that the offline verification kit needs nothing from the
LIMS; it is re-exported here for the portal.
"""

import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import base45
import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.verifier import (
    SNAPSHOT_HASH_BYTES,
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

    Decimals and dates become strings, "k" may be given as hex and "h" as the snapshot's full SHA-256
    (hex or bytes: the token keeps its first 16 bytes); anything else that does not fit the format
    raises TokenFormatError, so a token the verifier would refuse is never issued.
    """
    claims = _normalise(claims)
    validate_claims(claims)
    protected = cbor2.dumps({1: -8, 4: bytes.fromhex(kid)})
    payload = cbor2.dumps(claims_to_wire(claims))
    signature = key.sign(cose_sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return TOKEN_PREFIX + base45.b45encode(message).decode("ascii")


def _normalise(claims: dict) -> dict:
    def text(value):
        return value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value

    normalised = {name: text(value) for name, value in claims.items()}
    if isinstance(normalised.get("a"), dict):
        normalised["a"] = {analyte: [text(part) for part in pair] for analyte, pair in normalised["a"].items()}
    for name in ("k", "h"):
        if isinstance(normalised.get(name), str):
            normalised[name] = bytes.fromhex(normalised[name])
    if isinstance(normalised.get("h"), bytes) and len(normalised["h"]) == hashlib.sha256().digest_size:
        normalised["h"] = normalised["h"][:SNAPSHOT_HASH_BYTES]
    return normalised
