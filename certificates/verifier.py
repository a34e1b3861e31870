"""Offline verification kit for the laboratory's Certificates of Analysis.

This one file is published on its own next to the laboratory's public keys, so that an inspector
can check a certificate without the LIMS, without Django and without a network connection. It
imports only the standard library, cryptography, pyHanko (with pyhanko-certvalidator), cbor2 and
base45; the online verification portal calls the same functions.

    python verifier.py CERTIFICATE.pdf --keys DIR [--max-age 6h] [--lang ru]   # en, ru or kk
    python verifier.py --token 'LIMS2:...' --keys DIR       # the QR code's text, no PDF
    python verifier.py --image PHOTO.png --keys DIR         # a picture of the QR code (zbarimg)
    python -m certificates.verifier CERTIFICATE.pdf --keys DIR
    python verifier.py CERTIFICATE.pdf --inclusion proof.json [--checkpoint checkpoint.txt] --keys DIR
    python verifier.py CERTIFICATE.pdf --inclusion proof.json --checkpoint checkpoint.txt --log-key VKEY \\
        [--witness WITNESS_VKEY ...]    # the checkpoint must carry these witnesses' cosignatures

DIR holds what the laboratory publishes (/verify/keys/... and /verify/revocations.json):
``root.pem`` (trust roots of PDF signatures), ``keys.json`` (the key set: every key the laboratory
signed with, its kind and state, signed by its status key) and ``revocations.json`` (the status
list, signed by the status key). ``token-keys.json`` may be there too; the kit reads keys.json.

What "authentic" means: the PAdES signature is intact, cryptographically valid, made with a
certificate that chains to one of the given roots, and covers the whole file (an incremental update
appended after signing counts as a change, whatever pdfsig says); the QR token attached to the PDF
is signed by one of the laboratory's token keys, names the certificate that signed the PDF and the
SHA-256 of the attached snapshot; no key involved is compromised at the time it signed; and a
status list that is still fresh (before its next_update, and younger than --max-age when given)
does not name the certificate as revoked or superseded.

Freshness, like a CRL: the status list carries issued_at, next_update and a sequence number. The
kit never says "authentic and current" with no list or a list past its next_update: it says
"authentic; current status unknown" (exit 9). A revocation on any list stands, however old.

A key the kit does not know: the kit knows the laboratory's keys as of its newest signed file (the
key set's or the status list's issued_at). A PDF signed after that (by its signing time), or a
document checked when the kit has no fresh status list, may carry a key made since: the verdict is
"update your kit" (exit 10), not "not ours"; with a fresh kit the same key is "not ours" (exit 5). A
forger can therefore get "update your kit" from a kit older than the forgery, never "authentic".

A key marked compromised from a date (keys.json): what it signed at or after that date, by the time
a timestamp proves (details "proven signing time"), and, without a proven time (a QR code alone, a
signature without timestamp), everything it signed, is "not valid: key compromised" (exit 11).

Exit status of the command line (one per verdict, so scripts can branch on it; EXIT_CODES):

    ====  ==============  ==========================================================
    code  verdict         meaning
    ====  ==============  ==========================================================
    0     authentic       issued by the laboratory, unchanged, and current
    2     -               usage error (bad arguments, unreadable file, no zbarimg)
    3     revoked         genuine, but withdrawn by the laboratory (date and reason given)
    4     superseded      genuine, but replaced by a newer certificate (its number given)
    5     not_ours        not issued by this laboratory (signature or QR token)
    6     altered         changed after the laboratory signed it
    7     invalid         not a readable certificate (no signature, attachment or token)
    8     -               the kit's files (root.pem, keys.json, revocations.json) cannot be used
    9     unknown_status  authentic; current status unknown (no list, expired, or too old)
    10    update_kit      signed with a key newer than this kit: download the kit again
    11    compromised     not valid: signed with a key compromised at the time
    ====  ==============  ==========================================================

With --inclusion (the transparency log, see "The transparency log" below), the verdicts are:
logged (0), invalid (7: not an inclusion proof), 8 (no usable log key), not_logged (12: the proof
does not hold against the checkpoint), other_document (13: the proof holds, but its entry is not
this PDF's issue) and bad_checkpoint (14: not signed by the log key, malformed, or without the
cosignature of a witness named with --witness).

A QR token whose snapshot hash differs from the attached snapshot, inside a PDF whose signature is
intact, is reported as ``invalid`` rather than ``altered``: nothing was changed after signing, but the
document does not hold together (a token that belongs to another certificate).
"""

import argparse
import base64
import binascii
import enum
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import base45
import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TOKEN_PREFIX = "LIMS2:"  # noqa: S105 - a format marker, not a secret
# The first format (zlib-compressed, with issuer and material, a full hash and ISO dates): no longer
# read. Only demonstration certificates were ever issued with it; they verify by number.
RETIRED_PREFIXES = ("LIMS1:",)
SNAPSHOT_ATTACHMENT = "snapshot.json"
TOKEN_ATTACHMENT = "qr-token.txt"  # noqa: S105 - a file name, not a secret

# The claims of a QR token: what an inspector at a border post needs to compare the paper with the
# goods and the declaration, and the hash that binds the token to everything else. Python code names
# them by letter; on the wire (CBOR) each is the integer in front, as in CWT (RFC 8392). Every claim
# is required. Values are strings (decimal numbers keep their reported digits) except "a"; "k" and
# "h" are bytes; "d" is an ISO date in Python and the integer YYYYMMDD on the wire (5 bytes, not 11).
# The issuer is not a claim: each token key belongs to one laboratory, so the key id names it.
CLAIMS = {
    "n": (1, "certificate number"),
    "k": (3, "key id of the certificate that signs the PDF (8 bytes)"),
    "l": (4, "lot number"),
    "d": (6, "issue date"),
    "w": (7, "dry mass, t"),
    "a": (8, "headline assays {analyte: [value, unit]}: Cu %, Au g/t, Ag g/t, TREO with its unit"),
    "h": (9, "SHA-256 of the canonical snapshot, its first 16 bytes"),
}
_CLAIM_NAMES = {wire: name for name, (wire, _) in CLAIMS.items()}
# 128 bits of the snapshot's SHA-256 (see certificates.tokens for why that is enough).
SNAPSHOT_HASH_BYTES = 16

EXIT_CODES = {
    "authentic": 0,
    "revoked": 3,
    "superseded": 4,
    "not_ours": 5,
    "altered": 6,
    "invalid": 7,
    "unknown_status": 9,
    "update_kit": 10,
    "compromised": 11,
    # The transparency log (--inclusion): see "The transparency log" below.
    "logged": 0,
    "not_logged": 12,
    "other_document": 13,
    "bad_checkpoint": 14,
}
EXIT_USAGE = 2
EXIT_KEYS = 8
UNKNOWN_TOKEN_KEY = "unknown to these keys"  # noqa: S105 - a message, not a secret

_COSE_SIGN1_TAG = 18
_COSE_ALG, _COSE_KID, _COSE_EDDSA = 1, 4, -8
_KID_BYTES = 8
# A genuine token has about 330 characters; nothing longer than this is decoded.
_MAX_TOKEN_CHARS = 2000


class TokenError(Exception):
    """The QR token cannot be trusted; the subclass says why."""


class TokenFormatError(TokenError, ValueError):
    """Not a token of this laboratory's format (or claims that do not fit it)."""


class UnknownKeyError(TokenError):
    """Signed with a key id the laboratory never published: not issued by this laboratory."""


class BadSignatureError(TokenError):
    """The key id is the laboratory's, but the signature does not match the content."""


class PublishedFileError(ValueError):
    """A published file (the key set, the status list) is malformed or its signature does not verify."""


@dataclass(frozen=True)
class Verdict:
    status: str  # a key of EXIT_CODES
    number: str | None
    message: str
    details: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def key_id(public_key) -> str:
    """A short, stable id of a public key: the first 8 bytes of the SHA-256 of its
    SubjectPublicKeyInfo, in hex. Used for the PDF signing certificate and the token keys alike."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:_KID_BYTES].hex()


def canonical_json(obj) -> bytes:
    """The one byte representation that is hashed and signed: sorted keys, no whitespace, UTF-8.

    Decimals become strings (as Django's JSON encoder writes them) and dates ISO strings. Floats are
    refused: a binary float cannot carry an assay's reported digits, and other languages print them
    differently, which would break the hash.
    """
    return json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(obj):
    if isinstance(obj, dict):
        if not all(isinstance(key, str) for key in obj):
            raise TypeError("canonical JSON needs string keys")
        return {key: _plain(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(value) for value in obj]
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"{obj} has no JSON representation")
        return str(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, float):
        raise TypeError(f"float {obj!r} in canonical JSON: use Decimal (or str) to keep the reported digits")
    if obj is None or isinstance(obj, str | int):  # bool is an int
        return obj
    raise TypeError(f"{type(obj).__name__} has no canonical JSON representation")


def validate_claims(claims) -> None:
    """Raise TokenFormatError unless `claims` has exactly the documented claims with the right types."""
    if not isinstance(claims, dict):
        raise TokenFormatError("token claims are not a map")
    missing = CLAIMS.keys() - claims.keys()
    unknown = claims.keys() - CLAIMS.keys()
    if missing or unknown:
        raise TokenFormatError(f"token claims: missing {sorted(missing)}, unknown {sorted(map(str, unknown))}")
    for name in ("n", "l", "d", "w"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise TokenFormatError(f"token claim {name!r} ({CLAIMS[name][1]}) must be a non-empty string")
    try:
        date.fromisoformat(claims["d"])
    except ValueError as exc:
        raise TokenFormatError("token claim 'd' must be a date YYYY-MM-DD") from exc
    if len(claims["d"]) != len("2026-01-01"):
        raise TokenFormatError("token claim 'd' must be a date YYYY-MM-DD")
    assays = claims["a"]
    if not isinstance(assays, dict) or not all(
        isinstance(analyte, str)
        and isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(part, str) for part in pair)
        for analyte, pair in assays.items()
    ):
        raise TokenFormatError("token claim 'a' must map each analyte to [value, unit] strings")
    if not isinstance(claims["k"], bytes) or len(claims["k"]) != _KID_BYTES:
        raise TokenFormatError("token claim 'k' must be an 8-byte key id")
    if not isinstance(claims["h"], bytes) or len(claims["h"]) != SNAPSHOT_HASH_BYTES:
        raise TokenFormatError(f"token claim 'h' must be the first {SNAPSHOT_HASH_BYTES} bytes of a SHA-256")


def claims_to_wire(claims: dict) -> dict:
    """The CBOR map of a token: claim letters replaced by their integers, the date as YYYYMMDD."""
    return {CLAIMS[name][0]: int(value.replace("-", "")) if name == "d" else value for name, value in claims.items()}


def _claims_from_wire(wire_claims) -> dict:
    if not isinstance(wire_claims, dict) or not wire_claims.keys() <= _CLAIM_NAMES.keys():
        raise TokenFormatError("the QR token's claims are not the laboratory's")
    claims = {_CLAIM_NAMES[wire]: value for wire, value in wire_claims.items()}
    day = claims.get("d")
    if isinstance(day, int) and not isinstance(day, bool) and 10000101 <= day <= 99991231:
        try:
            claims["d"] = date(day // 10000, day // 100 % 100, day % 100).isoformat()
        except ValueError as exc:
            raise TokenFormatError("the QR token's issue date is not a date") from exc
    elif "d" in claims:
        raise TokenFormatError("the QR token's issue date is not a date")
    validate_claims(claims)
    claims["a"] = {analyte: list(pair) for analyte, pair in claims["a"].items()}
    return claims


def binds_snapshot(claims: dict, sha256: bytes | str) -> bool:
    """Whether the token's "h" is the start of the snapshot hash `sha256` (a digest, or its hex)."""
    digest = bytes.fromhex(sha256) if isinstance(sha256, str) else sha256
    return len(digest) == hashlib.sha256().digest_size and digest[:SNAPSHOT_HASH_BYTES] == claims["h"]


def cose_sig_structure(protected: bytes, payload: bytes) -> bytes:
    """What a COSE_Sign1 signature covers (RFC 9052, 4.4), with no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def decode_token(text: str, token_keys: dict) -> dict:
    """Check a QR token and return its claims.

    `token_keys` maps key ids (hex) to Ed25519 public keys: the laboratory's current and earlier
    token keys. Raises TokenFormatError, UnknownKeyError or BadSignatureError.
    """
    text = text.strip()
    if text.startswith(RETIRED_PREFIXES):
        raise TokenFormatError(
            f"a QR token in a retired format ({text[:5]}), no longer accepted: check the certificate by its number"
        )
    if not text.startswith(TOKEN_PREFIX):
        raise TokenFormatError(f"not a laboratory QR token (it does not start with {TOKEN_PREFIX})")
    if len(text) > _MAX_TOKEN_CHARS:
        raise TokenFormatError("the QR token is far longer than the laboratory's")
    try:
        raw = base45.b45decode(text[len(TOKEN_PREFIX) :])
    except ValueError as exc:
        raise TokenFormatError(f"the QR token cannot be decoded ({exc})") from exc
    message = _cbor(raw, "message", max_depth=8)
    if not (
        isinstance(message, cbor2.CBORTag)
        and message.tag == _COSE_SIGN1_TAG
        and isinstance(message.value, list | tuple)
        and len(message.value) == 4
    ):
        raise TokenFormatError("the QR token is not a COSE_Sign1 message")
    protected, unprotected, payload, signature = message.value
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)) or unprotected != {}:
        raise TokenFormatError("the QR token is not a COSE_Sign1 message")
    header = _cbor(protected, "protected header", max_depth=2)
    kid = header.get(_COSE_KID) if isinstance(header, dict) else None
    if not isinstance(kid, bytes) or len(kid) != _KID_BYTES or header.get(_COSE_ALG) != _COSE_EDDSA:
        raise TokenFormatError("the QR token's header must name algorithm EdDSA and an 8-byte key id")
    public_key = token_keys.get(kid.hex())
    if public_key is None:
        raise UnknownKeyError(f"not issued by this laboratory: unknown token key id {kid.hex()}")
    try:
        public_key.verify(signature, cose_sig_structure(protected, payload))
    except InvalidSignature as exc:
        raise BadSignatureError("the QR token's signature does not match its content") from exc
    return _claims_from_wire(_cbor(payload, "claims", max_depth=4))


def _cbor(data: bytes, part: str, *, max_depth: int):
    try:
        return cbor2.loads(data, allow_duplicate_keys=False, max_depth=max_depth)
    except (ValueError, cbor2.CBORDecodeError) as exc:
        raise TokenFormatError(f"the QR token's {part} cannot be decoded") from exc


# The published files the kit trusts, signed by the laboratory's status key (Ed25519) over
# canonical_json(payload), as ``{"payload": {...}, "kid": key id, "signature": base64url}``. The
# payload's "type" names the document, so one can never pass for the other.
KEY_SET, STATUS_LIST = "lims-key-set", "lims-status-list"
_DOCUMENT_NAMES = {KEY_SET: "key set", STATUS_LIST: "status list"}
KEY_KINDS = ("pdf", "token", "status", "log")
KEY_STATES = ("current", "retired", "compromised")


@dataclass(frozen=True)
class PublishedKey:
    """One key of the laboratory's key set: `public_key` is a cryptography public key (for a PDF
    key, its certificate's); `compromised_from` None with state compromised: nothing it signed is valid."""

    kid: str
    kind: str
    state: str
    compromised_from: datetime | None
    public_key: object = field(repr=False)


@dataclass(frozen=True)
class KeySet:
    """keys.json: every key the laboratory signed with, and when the set was issued."""

    issuer: str
    sequence: int
    issued_at: datetime
    keys: dict[str, PublishedKey]

    def public_keys(self, kind: str, *, trusted_only: bool = False) -> dict:
        """{key id: public key} of one kind; trusted_only leaves out compromised keys."""
        return {
            kid: key.public_key
            for kid, key in self.keys.items()
            if key.kind == kind and not (trusted_only and key.state == "compromised")
        }


def parse_time(value, what: str) -> datetime:
    """An ISO 8601 time with its offset (UTC "Z" accepted); a naive or malformed one is refused."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise PublishedFileError(f"{what} is not an ISO 8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise PublishedFileError(f"{what} has no time zone: {value!r}")
    return moment


def verify_signed(obj, document_type: str, public_keys: dict) -> dict:
    """Check a published file's signature with one of `public_keys` ({key id: Ed25519 public key})
    and return its payload, whose type, sequence and issued_at are checked."""
    name = _DOCUMENT_NAMES[document_type]
    if not isinstance(obj, dict) or not isinstance(obj.get("payload"), dict):
        raise PublishedFileError(f"the {name} has no payload")
    public_key = public_keys.get(obj.get("kid"))
    if public_key is None:
        raise PublishedFileError(f"the {name} is signed with an unknown key id {obj.get('kid')!r}")
    try:
        signature = base64.urlsafe_b64decode(str(obj.get("signature", "")) + "==")
        public_key.verify(signature, canonical_json(obj["payload"]))
    except (binascii.Error, ValueError, TypeError, InvalidSignature) as exc:
        raise PublishedFileError(f"the {name}'s signature does not verify") from exc
    payload = obj["payload"]
    if payload.get("type") != document_type:
        raise PublishedFileError(f"this is not the laboratory's {name} (type {payload.get('type')!r})")
    sequence = payload.get("sequence")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise PublishedFileError(f"the {name}'s sequence number is malformed")
    parse_time(payload.get("issued_at"), f"the {name}'s issued_at")
    return payload


def load_key_set(obj) -> KeySet:
    """keys.json: the key set, signed by one of the status keys it lists (not a compromised one).

    The payload is ``{"type": "lims-key-set", "issuer", "sequence", "issued_at", "keys": [{"kid",
    "kind": pdf|token|status, "state": current|retired|compromised, "compromised_from": ISO time or
    "", "public": PEM}]}``: a PDF key's PEM is its certificate, the others' a SubjectPublicKeyInfo.
    Like root.pem it is an anchor: the kit trusts the set it was given, and its signature proves the
    set whole (no key added, removed or re-stated since the laboratory signed it)."""
    payload = obj.get("payload") if isinstance(obj, dict) else None
    entries = payload.get("keys") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise PublishedFileError("the key set has no keys")
    keys = {}
    for entry in entries:
        key = _published_key(entry)
        if key.kid in keys:
            raise PublishedFileError(f"the key set lists key {key.kid} twice")
        keys[key.kid] = key
    status_keys = {
        kid: key.public_key for kid, key in keys.items() if key.kind == "status" and key.state != "compromised"
    }
    payload = verify_signed(obj, KEY_SET, status_keys)
    return KeySet(
        issuer=str(payload.get("issuer", "")),
        sequence=payload["sequence"],
        issued_at=parse_time(payload["issued_at"], "the key set's issued_at"),
        keys=keys,
    )


def _published_key(entry) -> PublishedKey:
    if not isinstance(entry, dict) or not all(isinstance(entry.get(name), str) for name in ("kid", "kind", "state")):
        raise PublishedFileError("a key of the key set is malformed")
    kid, kind, state = entry["kid"], entry["kind"], entry["state"]
    if kind not in KEY_KINDS or state not in KEY_STATES:
        raise PublishedFileError(f"key {kid} of the key set has an unknown kind or state ({kind}, {state})")
    try:
        pem = str(entry.get("public", "")).encode()
        public_key = (
            x509.load_pem_x509_certificate(pem).public_key()
            if kind == "pdf"
            else serialization.load_pem_public_key(pem)
        )
    except ValueError as exc:
        raise PublishedFileError(f"key {kid} of the key set has no readable public key") from exc
    if kind != "pdf" and not isinstance(public_key, Ed25519PublicKey):
        raise PublishedFileError(f"key {kid} of the key set is not an Ed25519 key")
    if key_id(public_key) != kid:
        raise PublishedFileError(f"key {kid} of the key set does not match its public key")
    since = entry.get("compromised_from") or None
    compromised_from = parse_time(since, f"key {kid}'s compromised_from") if since else None
    return PublishedKey(kid=kid, kind=kind, state=state, compromised_from=compromised_from, public_key=public_key)


def load_status_list(obj, status_keys: dict) -> dict:
    """revocations.json: the status list, checked with the laboratory's status keys; its payload.

    The payload is ``{"type": "lims-status-list", "issuer", "sequence", "issued_at", "next_update",
    "revoked": [{"number", "at", "reason"}], "superseded": [{"number", "by", "at"}]}``, like a CRL:
    a list is the truth about every certificate until next_update, and a later list has a higher
    sequence number. Times are ISO 8601 with an offset."""
    payload = verify_signed(obj, STATUS_LIST, status_keys)
    issued_at = parse_time(payload["issued_at"], "the status list's issued_at")
    if parse_time(payload.get("next_update"), "the status list's next_update") <= issued_at:
        raise PublishedFileError("the status list's next_update is not after its issued_at")
    entries = {"revoked": ("number", "at", "reason"), "superseded": ("number", "by", "at")}
    for name, fields in entries.items():
        items = payload.get(name)
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and all(isinstance(item.get(key), str) for key in fields) for item in items
        ):
            raise PublishedFileError(f"the status list's {name!r} entries are malformed")
    return payload


def verify_pdf(
    data: bytes, *, trust_roots: list, token_keys: dict, revocations: dict | None, require_timestamp: bool = True
) -> Verdict:
    """Judge a certificate PDF. See the module docstring for what each verdict means.

    `trust_roots` are cryptography x509 certificates (never empty: pyHanko would fall back to the
    operating system's trust list); `token_keys` as for decode_token; `revocations` is a revocation
    list payload (from load_revocation_list, or built by the portal from its registry), or None to
    skip the revocation check. `require_timestamp` (the laboratory's policy: PAdES B-LTA) refuses a
    signature without trusted signature and document timestamps (see _check_signature).
    """
    if not trust_roots:
        raise ValueError("verify_pdf needs at least one trust root")
    if not data.startswith(b"%PDF-"):
        return Verdict("invalid", None, "this is not a PDF file")
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    try:
        reader, signature = _read_signed_pdf(data)
    except _OverBudget as exc:
        return Verdict("invalid", None, str(exc))
    except _Unreadable as exc:
        # A file that carries a signature byte range but no longer parses was a signed PDF once.
        status = "altered" if b"/ByteRange" in data else "invalid"
        return Verdict(status, None, str(exc))
    if signature is None:
        return Verdict("invalid", None, "the PDF carries no signature")

    try:  # pyHanko decodes streams lazily: the budget can run out in any later step
        failure, details = _check_signature(signature, trust_roots, require_timestamp=require_timestamp)
        if failure:
            return Verdict(failure[0], None, failure[1], details)
        return _check_content(reader, details, token_keys, revocations)
    except PdfDecodeLimitError:
        return Verdict("invalid", None, OVER_BUDGET)


class _Unreadable(Exception):
    """The PDF (or its attachments) cannot be parsed."""


class _OverBudget(_Unreadable):
    """The PDF's streams inflate past the decode budget (decode_limits)."""


# Decode budget: how much the compressed streams of one PDF may inflate to while it is verified. A
# 1 MB file can hold a stream that inflates to 1 GB ("zip bomb"); pyHanko's own defaults for
# untrusted input still allow 256 MiB per stream and at least 256 MiB a document, too much for a web
# worker. A certificate of this laboratory inflates to a few MiB (fonts, ICC profile, snapshot,
# QR image); these limits leave ample room for that at any size up to the 10 MB upload limit
# (LIMS_VERIFY_MAX_UPLOAD_BYTES) and keep the verifier's memory within about 100 MB above its baseline:
# every stream at most 16 MiB decoded, all of them together at most 48 MiB (or 4 times the file's size
# when that is more, so 40 MB for a 10 MB file). Past the budget the file is "invalid", with the reason.
MIB = 1024 * 1024
DECODE_STREAM_MAX_BYTES = 16 * MIB
DECODE_DOCUMENT_BASE_BYTES = 48 * MIB
DECODE_DOCUMENT_MAX_RATIO = 4
OVER_BUDGET = "the PDF's compressed streams inflate past what a certificate needs; it was not read further"


def decode_limits():
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits

    return DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=DECODE_STREAM_MAX_BYTES),
        document_budget=DocumentDecodeBudget(
            base_allowance=DECODE_DOCUMENT_BASE_BYTES, max_ratio=DECODE_DOCUMENT_MAX_RATIO
        ),
    )


def open_pdf(data: bytes):
    """A pyHanko reader of untrusted `data` within the decode budget (decode_limits): reading a stream
    past it raises pyhanko's PdfDecodeLimitError."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False, decode_limits=decode_limits())


def _read_signed_pdf(data: bytes):
    """The reader and the first (the laboratory's) signature; a second one is an update after signing,
    which the coverage check reports."""
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    try:
        reader = open_pdf(data)
        signatures = reader.embedded_signatures
    except PdfDecodeLimitError as exc:
        raise _OverBudget(OVER_BUDGET) from exc
    except Exception as exc:  # a damaged file fails in many ways deep inside the parser
        raise _Unreadable(f"the PDF cannot be read ({type(exc).__name__}: {exc})") from exc
    return reader, (signatures[0] if signatures else None)


def _check_signature(
    signature, trust_roots: list, *, require_timestamp: bool = True
) -> tuple[tuple[str, str] | None, dict]:
    """(None, details) when the signature is intact, valid, trusted at the time its timestamps prove,
    and nothing but archival updates (DSS, document timestamps: PAdES B-LTA) follow it; otherwise
    ((verdict, message), details).

    Validation is pyHanko's AdES LTA validation (ETSI EN 319 102-1, 5.6.3): the document timestamps
    are the evidence record, the DSS gives the revocation data, and a signing certificate that has
    since expired still counts when a trusted timestamp proves the signature existed while it was
    valid. Nothing is fetched (the offline kit has no network). With `require_timestamp` (the
    laboratory's policy: B-LTA), a signature without a trusted signature timestamp and document
    timestamp is refused, and every certificate in the chains needs revocation data in the file.
    details["proven signing time"] is the time the timestamps prove, ISO 8601 UTC.
    """
    from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if signature.sig_object_type != "/Sig":
        return ("invalid", "the PDF's first signature is a document timestamp, not the laboratory's signature"), {}
    try:
        if require_timestamp:
            result = _lta_validation(signature, trust_roots)
            status, indication = result.api_status, result.ades_subindic
        else:  # the signature alone, at the current time (PAdES B-B)
            from pyhanko.sign.validation import validate_pdf_signature

            result = None
            status = validate_pdf_signature(
                signature, signer_validation_context=_offline_context(trust_roots), diff_policy=_archival_updates_only()
            )
            indication = AdESPassed.OK if status.trusted else status.trust_problem_indic
    except Exception as exc:  # a damaged signature container fails in many ways
        return ("altered", f"the signature cannot be validated ({type(exc).__name__}: {exc})"), {}
    if status is None:
        return ("altered", f"the signature cannot be validated ({result and result.failure_msg})"), {}
    cert = status.signing_cert
    details = {
        "signed by": cert.subject.human_friendly,
        "signing key id": hashlib.sha256(cert.public_key.dump()).digest()[:_KID_BYTES].hex(),
    }
    if status.signer_reported_dt:
        details["signed at (as stated by the signer)"] = status.signer_reported_dt.isoformat(timespec="seconds")
    if not (status.intact and status.valid):
        return ("altered", "the document was changed after it was signed (the signature does not match)"), details
    # The policy first: without its timestamps a signature cannot be judged at a proven time.
    missing = _missing_timestamp(signature) if result is not None else None
    if missing:
        return missing, details
    if (
        status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
        or status.modification_level is None
        or status.modification_level > ModificationLevel.LTA_UPDATES
        or not status.docmdp_ok
    ):
        return ("altered", "the document was changed after it was signed (an update was appended)"), details
    timestamp = status.timestamp_validity
    if timestamp is not None and not (timestamp.intact and timestamp.valid):
        return ("altered", "the signature's timestamp does not match the signature"), details
    if result is not None:
        refusal = _timestamp_refusal(signature, result, trust_roots)
        if refusal:
            return refusal, details
    if indication == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        message = "not issued by this laboratory: the signing certificate does not chain to its root (NO_CERTIFICATE_CHAIN_FOUND)"
        return ("not_ours", message), details
    if indication != AdESPassed.OK:
        name = indication.name if isinstance(indication, enum.Enum) else "untrusted"
        reason = _UNTRUSTED_REASONS.get(name, "the signing certificate cannot be trusted")
        return ("not_ours", f"not issued by this laboratory: {reason} ({name})"), details
    if result is not None:
        # Both timestamps validated (_timestamp_refusal): the time they prove.
        details["proven signing time"] = _iso_utc(result.best_signature_time, timespec="microseconds")
        if timestamp is not None:
            details["timestamp"] = _iso_utc(timestamp.timestamp)
        details["document timestamp"] = _iso_utc(result.oldest_evidence_record_timestamp)
    return None, details


# What an AdES sub-indication means for the laboratory's signature, in words.
_UNTRUSTED_REASONS = {
    "OUT_OF_BOUNDS_NO_POE": "the signing certificate has expired and no trusted timestamp proves the signature older",
    "OUT_OF_BOUNDS_NOT_REVOKED": "the signing certificate has expired and no trusted timestamp proves the signature older",
    "EXPIRED": "the signing certificate had expired when the signature was made",
    "NOT_YET_VALID": "the signing certificate was not yet valid when the signature was made",
    "REVOKED": "the signing certificate is revoked",
    "REVOKED_NO_POE": "the signing certificate is revoked, and nothing proves the signature older",
    "REVOKED_CA_NO_POE": "a certificate of the signing chain is revoked",
    "TRY_LATER": "the file lacks revocation data for the signing certificate",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": "the revocation data in the file does not cover the signing time",
    "CHAIN_CONSTRAINTS_FAILURE": "the signing certificate is not allowed to sign documents",
    "SIG_CONSTRAINTS_FAILURE": "the signing certificate is not allowed to sign documents",
}


def _lta_validation(signature, trust_roots: list):
    """pyHanko's AdES LTA validation of `signature`, offline, against `trust_roots` only, with
    revocation data required for every certificate."""
    import asyncio

    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[_asn1_certificate(root) for root in trust_roots]),
        revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        ),
        diff_policy=_archival_updates_only(),
    )
    return asyncio.run(ades_lta_validation(signature, spec))


def _asn1_certificate(cert):
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _archival_updates_only():
    """pyHanko's default difference policy less what it lets pass as harmless but a certificate must
    not get after signing: a new Info dictionary or XMP packet (a changed title, say), and form
    filling. What remains at LTA_UPDATES: DSS, document timestamps and the file structure they need."""
    from pyhanko.sign.diff_analysis import (
        CatalogModificationRule,
        DSSCompareRule,
        FormUpdatingRule,
        ModificationLevel,
        ObjectStreamRule,
        SigFieldCreationRule,
        SigFieldModificationRule,
        StandardDiffPolicy,
        XrefStreamRule,
    )

    level = ModificationLevel.LTA_UPDATES
    return StandardDiffPolicy(
        global_rules=[
            CatalogModificationRule(),
            XrefStreamRule().as_qualified(level),
            ObjectStreamRule().as_qualified(level),
            DSSCompareRule().as_qualified(level),
        ],
        form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
    )


def _timestamp_refusal(signature, result, trust_roots: list) -> tuple[str, str] | None:
    """Why the timestamps do not meet the laboratory's policy (B-LTA), or None."""
    from pyhanko.sign.ades.report import AdESPassed

    if result.signature_timestamp_status is None or result.signature_timestamp_status.ades_subindic != AdESPassed.OK:
        # (pyHanko does not get to the timestamp when the signature itself fails: then it is judged here.)
        problem = _signature_timestamp_problem(signature, _signature_timestamp(signature), trust_roots)
        if problem:
            return problem
    if result.oldest_evidence_record_timestamp is None:
        return _document_timestamp_problem(_document_timestamps(signature)[-1], trust_roots)
    return None


def _signature_timestamp(signature):
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    return next(extract_tst_data_iter(signature.signer_info, signed=False), None)


def _document_timestamps(signature) -> list:
    return [
        item
        for item in signature.reader.embedded_signatures
        if item.sig_object_type == "/DocTimeStamp" and item.signed_revision > signature.signed_revision
    ]


def _missing_timestamp(signature) -> tuple[str, str] | None:
    if _signature_timestamp(signature) is None:
        return "invalid", "the signature carries no timestamp: nothing proves when it was made (PAdES B-LTA required)"
    if not _document_timestamps(signature):
        return "invalid", "the document carries no document timestamp after the signature (PAdES B-LTA required)"
    return None


def _signature_timestamp_problem(signature, token, trust_roots: list) -> tuple[str, str] | None:
    """The AdES validation only says the signature timestamp failed; say which way."""
    import asyncio

    from pyhanko.sign.validation.generic_cms import message_imprint_checker, validate_tst_signed_data

    try:
        status = asyncio.run(
            validate_tst_signed_data(
                token,
                _offline_context(trust_roots),
                message_imprint_checker(signature.signer_info),
            )
        )
    except Exception as exc:  # a damaged timestamp token fails in many ways
        return "altered", f"the signature's timestamp cannot be validated ({type(exc).__name__}: {exc})"
    if not (status.get("intact") and status.get("valid")):
        return "altered", "the signature's timestamp does not match the signature"
    if status.get("trust_problem_indic") is None and status.get("validation_path") is not None:
        return None
    return "not_ours", (
        "the signature's timestamp is not from a timestamp authority the laboratory trusts: the signing time is not proven"
    )


def _offline_context(trust_roots: list):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=[_asn1_certificate(root) for root in trust_roots], allow_fetching=False, revocation_mode="soft-fail"
    )


def _document_timestamp_problem(timestamp, trust_roots: list) -> tuple[str, str]:
    """The AdES validation only says the chain of document timestamps failed; say which way."""
    from pyhanko.sign.validation import validate_pdf_timestamp

    try:
        status = validate_pdf_timestamp(timestamp, validation_context=_offline_context(trust_roots))
    except Exception as exc:  # a damaged timestamp container fails in many ways
        return "altered", f"the document timestamp cannot be validated ({type(exc).__name__}: {exc})"
    if not (status.intact and status.valid):
        return "altered", "the document was changed after it was timestamped (the document timestamp does not match)"
    if not status.trusted:
        return "not_ours", "the document timestamp is not from a timestamp authority the laboratory trusts"
    return "not_ours", "the document timestamps do not prove the signature's existence (their chain does not validate)"


def _iso_utc(moment, timespec: str = "seconds") -> str:
    from datetime import UTC

    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def _attachments(reader) -> dict[str, bytes]:
    """Embedded files by name, from the document's EmbeddedFiles name tree."""
    try:
        tree = reader.root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return {}
    files: dict[str, bytes] = {}

    def walk(node, depth: int) -> None:
        if depth > 8:
            raise _Unreadable("the attachment name tree is too deep")
        names = node.get("/Names", [])
        if len(names) % 2:
            raise _Unreadable("the attachment name tree is malformed")
        for index in range(0, len(names), 2):  # pyHanko's arrays dereference items, not slices
            name = str(names[index])
            if name in files:
                raise _Unreadable(f"the PDF has two attachments called {name}")
            files[name] = names[index + 1]["/EF"]["/F"].data
        kids = node.get("/Kids", [])
        for index in range(len(kids)):
            walk(kids[index], depth + 1)

    try:
        walk(tree, 0)
    except (KeyError, ValueError, AttributeError) as exc:
        raise _Unreadable(f"the PDF's attachments cannot be read ({exc})") from exc
    return files


def _check_content(reader, details: dict, token_keys: dict, revocations: dict | None) -> Verdict:
    try:
        files = _attachments(reader)
    except _Unreadable as exc:
        return Verdict("invalid", None, str(exc), details)
    snapshot, token = files.get(SNAPSHOT_ATTACHMENT), files.get(TOKEN_ATTACHMENT)
    if snapshot is None or token is None:
        message = f"the PDF does not carry the {SNAPSHOT_ATTACHMENT} and {TOKEN_ATTACHMENT} attachments"
        return Verdict("invalid", None, message, details)
    try:
        claims = decode_token(token.decode("ascii"), token_keys)
    except UnknownKeyError as exc:
        details["token key"] = UNKNOWN_TOKEN_KEY
        return Verdict("not_ours", None, f"QR token: {exc}", details)
    except BadSignatureError as exc:
        return Verdict("not_ours", None, f"QR token: {exc}", details)
    except (TokenFormatError, UnicodeDecodeError) as exc:
        return Verdict("invalid", None, f"QR token: {exc}", details)
    number = claims["n"]
    details.update(describe_claims(claims))
    if claims["k"].hex() != details["signing key id"]:
        message = f"the QR token names signing key {claims['k'].hex()}, but the PDF is signed with another one"
        return Verdict("not_ours", number, message, details)
    if not binds_snapshot(claims, hashlib.sha256(snapshot).digest()):
        message = "the QR token does not belong to this document (the attached snapshot has another hash)"
        return Verdict("invalid", number, message, details)
    details["token key id"] = _token_key_id(token.decode("ascii"), token_keys)
    if revocations is None:
        details["revocation"] = "not checked"
        return Verdict("authentic", number, "issued by the laboratory and unchanged", details)
    return current_status(number, details, revocations, now=datetime.now(UTC))


def _token_key_id(text: str, token_keys: dict) -> str:
    """Which of `token_keys` signed a token that decode_token accepted: tried one by one, so the
    kit needs nothing of the token's format (a few keys, 50 µs each)."""
    for kid, public_key in token_keys.items():
        try:
            decode_token(text, {kid: public_key})
        except TokenError:
            continue
        return kid
    return ""


def current_status(number: str, details: dict, status_list: dict | None, *, now: datetime, max_age=None) -> Verdict:
    """The verdict on a genuine certificate from a verified status list (load_status_list), as the
    kit gives it: never "authentic and current" without a list, past its next_update, or older than
    `max_age` (a timedelta). A revocation on any list stands: a certificate is never un-revoked."""
    if status_list is None:
        details["status"] = "not checked: no status list"
        return Verdict("unknown_status", number, "authentic; current status unknown (no status list)", details)
    issued_at = parse_time(status_list["issued_at"], "the status list's issued_at")
    next_update = parse_time(status_list["next_update"], "the status list's next_update")
    details["status list"] = f"no. {status_list['sequence']}, issued {_utc(issued_at)}, next update {_utc(next_update)}"
    for item in status_list["revoked"]:
        if item["number"] == number:
            return Verdict("revoked", number, f"revoked on {item['at']}: {item['reason']}", details)
    for item in status_list["superseded"]:
        if item["number"] == number:
            return Verdict("superseded", number, f"superseded on {item['at']} by certificate {item['by']}", details)
    if now >= next_update:
        message = f"authentic; current status unknown (list expired on {_utc(next_update)})"
        return Verdict("unknown_status", number, message, details)
    if max_age is not None and now - issued_at > max_age:
        message = f"authentic; current status unknown (list issued on {_utc(issued_at)} is older than --max-age)"
        return Verdict("unknown_status", number, message, details)
    return Verdict("authentic", number, "issued by the laboratory, unchanged and current", details)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_claims(claims: dict) -> dict[str, str]:
    """The token's claims in words, for people reading a verdict."""
    return {
        "certificate number": claims["n"],
        "lot": claims["l"],
        "issued": claims["d"],
        "dry mass": f"{claims['w']} t",
        "assays": ", ".join(f"{analyte} {value} {unit}" for analyte, (value, unit) in claims["a"].items()),
    }


def parse_token_keys(obj: dict) -> dict:
    """token-keys.json (``{key id: base64 raw Ed25519 public key}``) to public keys; a key id that
    does not match its key is refused, so a renamed key cannot pass for another."""
    token_keys = {}
    for kid, encoded in obj.items():
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded, validate=True))
        if key_id(public_key) != kid:
            raise ValueError(f"token key {kid} does not match its public key")
        token_keys[kid] = public_key
    return token_keys


@dataclass(frozen=True)
class Kit:
    """What the offline kit holds: trust roots, the signed key set and (if any) the status list."""

    trust_roots: list
    key_set: KeySet
    status_list: dict | None

    @property
    def token_keys(self) -> dict:
        return self.key_set.public_keys("token")

    @property
    def newest(self) -> datetime:
        """When the newest of its signed files was issued: the kit knows the laboratory up to then."""
        moments = [self.key_set.issued_at]
        if self.status_list is not None:
            moments.append(parse_time(self.status_list["issued_at"], "the status list's issued_at"))
        return max(moments)


def load_kit(directory: Path, *, read_status_list: bool = True) -> Kit:
    """The kit in `directory`: root.pem and keys.json (required), revocations.json (when present and
    read_status_list). A file that is there but malformed or badly signed raises (OSError, ValueError)."""
    trust_roots = x509.load_pem_x509_certificates((directory / "root.pem").read_bytes())
    key_set = load_key_set(json.loads((directory / "keys.json").read_text()))
    status_file = directory / "revocations.json"
    status_list = None
    if read_status_list and status_file.exists():
        status_list = load_status_list(
            json.loads(status_file.read_text()), key_set.public_keys("status", trusted_only=True)
        )
    return Kit(trust_roots=trust_roots, key_set=key_set, status_list=status_list)


def verify_pdf_offline(data: bytes, kit: Kit, *, now: datetime, max_age=None) -> Verdict:
    """The kit's verdict on a PDF: verify_pdf, then what the key set says of its keys (newer than the
    kit, compromised) and what the status list says of its number (current_status)."""
    verdict = verify_pdf(data, trust_roots=kit.trust_roots, token_keys=kit.token_keys, revocations=None)
    details = dict(verdict.details)
    details.pop("revocation", None)  # "not checked" by verify_pdf: the status list is checked below
    signing_kid = details.get("signing key id")
    signed_at = details.get("proven signing time") or details.get("signed at (as stated by the signer)")
    if verdict.status == "not_ours":
        unknown = signing_kid if signing_kid and signing_kid not in kit.key_set.keys else None
        if unknown or details.get("token key") == UNKNOWN_TOKEN_KEY:
            moment = parse_time(signed_at, "the signing time") if signed_at else None
            return _unknown_key(verdict, kit, unknown, signed_at=moment, now=now, max_age=max_age)
        return verdict
    if verdict.status != "authentic":
        return verdict
    proven = details.get("proven signing time")
    compromised = _compromised(kit, [signing_kid, details.get("token key id")], proven)
    if compromised:
        return Verdict("compromised", verdict.number, compromised, details)
    return current_status(verdict.number or "", details, kit.status_list, now=now, max_age=max_age)


def verify_token_offline(text: str, kit: Kit, *, now: datetime, max_age=None) -> Verdict:
    """The kit's verdict on a QR token alone (typed, or read from a photo): the same verdicts as for
    a PDF, with no signing time to go by (so a compromised key's tokens are all refused)."""
    try:
        claims = decode_token(text, kit.token_keys)
    except UnknownKeyError as exc:
        return _unknown_key(
            Verdict("not_ours", None, f"QR token: {exc}"), kit, None, signed_at=None, now=now, max_age=max_age
        )
    except BadSignatureError as exc:
        return Verdict("altered", None, f"QR token: {exc}")
    except TokenFormatError as exc:
        return Verdict("invalid", None, f"QR token: {exc}")
    number = claims["n"]
    details = describe_claims(claims)
    token_kid = _token_key_id(text, kit.token_keys)
    details["token key id"] = token_kid
    details["PDF signing key id (named in the token)"] = claims["k"].hex()
    compromised = _compromised(kit, [claims["k"].hex(), token_kid], None)
    if compromised:
        return Verdict("compromised", number, compromised, details)
    return current_status(number, details, kit.status_list, now=now, max_age=max_age)


def _compromised(kit: Kit, kids, proven: str | None) -> str:
    """Why a signature by one of `kids` is not valid, or "": a key compromised from a date voids what
    it signed at or after that date as proven by a timestamp, and, with no proven time, all it signed."""
    moment = parse_time(proven, "the proven signing time") if proven else None
    for kid in kids:
        key = kit.key_set.keys.get(kid or "")
        if key is None or key.state != "compromised":
            continue
        if key.compromised_from is None or moment is None or moment >= key.compromised_from:
            if key.compromised_from is None:
                return f"not valid: key compromised (the laboratory's {key.kind} key {kid} is compromised)"
            since = _utc(key.compromised_from)
            return f"not valid: key compromised (the laboratory's {key.kind} key {kid} is compromised from {since})"
    return ""


def _unknown_key(verdict: Verdict, kit: Kit, kid: str | None, *, signed_at: datetime | None, now, max_age) -> Verdict:
    """A key the kit does not know. The kit knows the laboratory's keys as of its newest signed file:
    a document signed after that, or checked with no usable status list, may be signed with a newer
    key, and the answer is to update the kit; otherwise the key is not the laboratory's."""
    fresh = (
        kit.status_list is not None
        and current_status("", {}, kit.status_list, now=now, max_age=max_age).status == "authentic"
    )
    if (signed_at is not None and signed_at > kit.newest) or not fresh:
        if kid:
            message = f"update your kit: key {kid} is newer than this kit (its keys and list are of {_utc(kit.newest)})"
        else:
            message = f"update your kit: the QR code's key is newer than this kit (its keys and list are of {_utc(kit.newest)})"
        return Verdict("update_kit", verdict.number, message, verdict.details)
    return verdict


# --- The transparency log ----------------------------------------------------------------------------
# The laboratory appends every certificate event to a Merkle-tree log (RFC 9162 section 2.1) and signs
# checkpoints of it (C2SP tlog-checkpoint, a C2SP signed note by the log key). With --inclusion the kit
# checks, offline, that a PDF's issue is in the log: the checkpoint is signed by the log key (from
# keys.json, kind "log", or a vkey given with --log-key), the proof is for the checkpoint's tree (same
# size and root), its audit path leads from the entry to that root (RFC 9162 2.1.3.2), and the entry
# is the "issued" event of this very file (its pdf_sha256 is the SHA-256 of the PDF given). It does not
# check the PDF's signature: run the kit without --inclusion for that. Witnesses' cosignatures on the
# checkpoint are left alone (a signed note's signatures by other keys are ignored).
#
# This is the witness's (witness.py) note and Merkle code again, on purpose: each is one file that
# an inspector or a witness copies on its own.

LOG_SIGNATURE_TYPE = 0x01  # a plain Ed25519 signed-note signature
COSIGNATURE_TYPE = 0x04  # a witness's cosignature/v1 (C2SP tlog-cosignature)
_SIGNATURE_DASH = "\u2014 "  # an em dash and a space open every signature line
_NOTE_NAME = re.compile(r"[^\s+]+")
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class CheckpointError(ValueError):
    """The checkpoint is malformed, or not signed by the log key."""


class InclusionProofError(ValueError):
    """The inclusion proof file is not one (malformed)."""


@dataclass(frozen=True)
class LogKey:
    """A log key: its public key and, from a vkey, its name and key hash (None: from keys.json, whose
    name is the checkpoint's origin)."""

    label: str
    public_key: Ed25519PublicKey
    name: str | None = None
    hash: bytes | None = None


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    key: LogKey
    cosigned: dict[str, int] = field(default_factory=dict)  # {witness name+hash: time of its cosignature}


def note_key_hash(name: str, public_key: Ed25519PublicKey, signature_type: int = LOG_SIGNATURE_TYPE) -> bytes:
    """A signed-note key hash: the first 4 bytes of SHA-256(name || 0x0A || type || public key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + raw).digest()[:4]


def parse_log_vkey(text: str, *, signature_type: int = LOG_SIGNATURE_TYPE) -> LogKey:
    """A verifier key (vkey): the log's as published at /verify/log/key, "<name>+<key hash
    hex>+<base64(0x01 || 32-byte Ed25519 key)>", or a witness's (signature_type 0x04, as witness.py
    keygen prints it). Raises ValueError."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _NOTE_NAME.fullmatch(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise ValueError("a verifier key reads <name>+<8 hex digits>+<base64 key>")
    try:
        raw = base64.b64decode(parts[2], validate=True)
    except binascii.Error as exc:
        raise ValueError("the verifier key is not base64") from exc
    if len(raw) != 33 or raw[0] != signature_type:
        raise ValueError(f"the verifier key is not an Ed25519 key of type 0x{signature_type:02x}")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if note_key_hash(parts[0], public_key, signature_type) != bytes.fromhex(parts[1]):
        raise ValueError("the verifier key's hash does not match its name and key")
    return LogKey(label=f"{parts[0]}+{parts[1]}", public_key=public_key, name=parts[0], hash=bytes.fromhex(parts[1]))


def log_keys_of(key_set: KeySet) -> list[LogKey]:
    """The log keys of a key set (keys.json, kind "log"), compromised ones left out."""
    return [LogKey(label=kid, public_key=key) for kid, key in key_set.public_keys("log", trusted_only=True).items()]


def verify_checkpoint(text: str, log_keys: list[LogKey], witnesses: tuple[LogKey, ...] = ()) -> Checkpoint:
    """The checkpoint in `text`, signed by one of `log_keys` and cosigned by every one of `witnesses`
    (C2SP tlog-cosignature: the witness signed "cosignature/v1\ntime <t>\n" and the body); raises
    CheckpointError."""
    if "\r" in text or not text.endswith("\n") or "\n\n" not in text:
        raise CheckpointError("the checkpoint is malformed: it is not a signed note")
    separator = text.rfind("\n\n")
    body, lines = text[: separator + 1], text[separator + 2 :].splitlines()
    signatures = []
    for line in lines:
        parts = line[len(_SIGNATURE_DASH) :].split(" ")
        if not line.startswith(_SIGNATURE_DASH) or len(parts) != 2 or not _NOTE_NAME.fullmatch(parts[0]):
            raise CheckpointError("the checkpoint is malformed: a signature line is not one")
        try:
            signatures.append((parts[0], base64.b64decode(parts[1], validate=True)))
        except binascii.Error as exc:
            raise CheckpointError("the checkpoint is malformed: a signature line is not one") from exc
    head = body.split("\n")[:3]
    if len(head) < 3 or not re.fullmatch(r"0|[1-9][0-9]{0,18}", head[1]):
        raise CheckpointError("the checkpoint is malformed: it has no tree size")
    origin = head[0]
    try:
        root = base64.b64decode(head[2], validate=True)
    except binascii.Error:
        root = b""
    if len(root) != hashlib.sha256().digest_size:
        raise CheckpointError("the checkpoint is malformed: its root hash is not a SHA-256 in base64")
    for key in log_keys:
        name = key.name or origin
        key_hash = key.hash or note_key_hash(name, key.public_key)
        found = [signature[4:] for signer, signature in signatures if signer == name and signature[:4] == key_hash]
        if not found:
            continue
        if name != origin:
            raise CheckpointError(f"the checkpoint's origin {origin} is not the log key's name {name}")
        try:
            for signature in found:
                key.public_key.verify(signature, body.encode())
        except InvalidSignature as exc:
            raise CheckpointError("the checkpoint's signature by the log key does not verify") from exc
        cosigned = {witness.label: _cosignature_time(body, signatures, witness) for witness in witnesses}
        return Checkpoint(origin=origin, size=int(head[1]), root=root, key=key, cosigned=cosigned)
    labels = ", ".join(key.label for key in log_keys)
    raise CheckpointError(f"the checkpoint is not signed by the log key ({labels})")


def _cosignature_time(body: str, signatures: list[tuple[str, bytes]], witness: LogKey) -> int:
    """When `witness` cosigned the checkpoint `body` (Unix seconds); CheckpointError when it did not."""
    for signer, signature in signatures:
        if signer == witness.name and signature[:4] == witness.hash and len(signature) == 4 + 8 + 64:
            moment = int.from_bytes(signature[4:12], "big")
            try:
                witness.public_key.verify(signature[12:], f"cosignature/v1\ntime {moment}\n{body}".encode())
            except InvalidSignature as exc:
                raise CheckpointError(f"the cosignature of witness {witness.label} does not verify") from exc
            return moment
    raise CheckpointError(f"the checkpoint carries no cosignature of witness {witness.label}")


def verify_inclusion(index: int, size: int, leaf_hash: bytes, path: list[bytes], root: bytes) -> bool:
    """Whether `path` leads from the leaf `index` (its hash `leaf_hash`) of a tree of `size` leaves to
    `root`: RFC 9162 section 2.1.3.2, step by step."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def _proof_fields(proof) -> tuple[int, int, bytes, list[bytes], bytes]:
    """(leaf index, tree size, leaf bytes, audit path, root hash) of an inclusion proof (the JSON of
    /api/v1/log/inclusion/<number>/); raises InclusionProofError."""
    if not isinstance(proof, dict):
        raise InclusionProofError("the inclusion proof is malformed: not a JSON object")
    for name in ("leaf_index", "tree_size"):
        if not isinstance(proof.get(name), int) or isinstance(proof.get(name), bool) or proof[name] < 0:
            raise InclusionProofError(f"the inclusion proof is malformed: {name} is not a number")
    path = proof.get("audit_path")
    if (
        not isinstance(path, list)
        or len(path) > 64
        or not all(isinstance(item, str) and _HEX_HASH.fullmatch(item) for item in path)
    ):
        raise InclusionProofError("the inclusion proof is malformed: audit_path is not a list of SHA-256 hashes")
    if not isinstance(proof.get("root_hash"), str) or not _HEX_HASH.fullmatch(proof["root_hash"]):
        raise InclusionProofError("the inclusion proof is malformed: root_hash is not a SHA-256 hash")
    try:
        leaf = base64.b64decode(str(proof.get("leaf", "")), validate=True)
    except binascii.Error as exc:
        raise InclusionProofError("the inclusion proof is malformed: leaf is not base64") from exc
    hashes = [bytes.fromhex(item) for item in path]
    return proof["leaf_index"], proof["tree_size"], leaf, hashes, bytes.fromhex(proof["root_hash"])


def verify_inclusion_offline(
    pdf: bytes,
    proof,
    checkpoint_text: str,
    log_keys: list[LogKey],
    *,
    number: str | None = None,
    witnesses: tuple[LogKey, ...] = (),
) -> Verdict:
    """The kit's verdict on a log inclusion proof for `pdf` against the checkpoint `checkpoint_text`
    (see "The transparency log" above). Raises InclusionProofError for a malformed proof."""
    index, size, leaf, path, root = _proof_fields(proof)
    try:
        entry = json.loads(leaf)
    except ValueError:
        entry = None
    if not isinstance(entry, dict) or not isinstance(entry.get("number"), str):
        raise InclusionProofError("the inclusion proof is malformed: its log entry is not a certificate event")
    logged = entry["number"]
    try:
        checkpoint = verify_checkpoint(checkpoint_text, log_keys, witnesses)
    except CheckpointError as exc:
        return Verdict("bad_checkpoint", logged, str(exc))
    details = {
        "log entry": f"no. {index} in a tree of {size} entries",
        "checkpoint": f"{checkpoint.origin}, tree size {checkpoint.size}, root {checkpoint.root.hex()}",
        "log key": checkpoint.key.label,
        "logged at": str(entry.get("time", "")),
    }
    for name, moment in checkpoint.cosigned.items():
        at = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        details[f"cosigned by witness {name}"] = at
    if (size, root) != (checkpoint.size, checkpoint.root):
        message = f"the inclusion proof is for the tree of {size} entries with root {root.hex()}, not the checkpoint's"
        return Verdict("not_logged", logged, message, details)
    leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
    if proof.get("leaf_hash") not in (None, leaf_hash.hex()):
        return Verdict("not_logged", logged, "the inclusion proof's leaf_hash is not the hash of its entry", details)
    if not verify_inclusion(index, size, leaf_hash, path, root):
        message = "the audit path does not lead from the entry to the checkpoint's root hash: the proof does not hold"
        return Verdict("not_logged", logged, message, details)
    # The proof holds: the entry is in the log. Now: is it this certificate's issue?
    if entry.get("event") != "issued":
        message = f"the log entry records the event {entry.get('event')!r} of certificate {logged}, not its issue"
        return Verdict("other_document", logged, message, details)
    if number is not None and "".join(number.split()).upper() != logged:
        message = f"the log entry is the issue of certificate {logged}, not of certificate {number}"
        return Verdict("other_document", logged, message, details)
    actual = hashlib.sha256(pdf).hexdigest()
    if entry.get("pdf_sha256") != actual:
        message = f"the log records another PDF for certificate {logged} (SHA-256 {entry.get('pdf_sha256')}), not this file (SHA-256 {actual})"
        return Verdict("other_document", logged, message, details)
    details["PDF SHA-256"] = actual
    message = f"this PDF's issue is in the laboratory's transparency log (entry {index} of {size}), under a checkpoint signed by the log key"
    return Verdict("logged", logged, message, details)


def read_qr_image(path: Path) -> str:
    """The text of the QR code in a picture, read by zbar's zbarimg; raises OSError when zbarimg is
    missing and ValueError when the picture holds no readable QR code."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        raise OSError("zbarimg is not installed (Debian/Ubuntu: apt install zbar-tools); give the text with --token")
    result = subprocess.run(  # noqa: S603 - a fixed program, the path as one argument
        [zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise ValueError(f"no readable QR code in {path}")
    return result.stdout.strip().splitlines()[0]


def parse_duration(text: str) -> timedelta:
    """--max-age: a number and a unit, s, m, h or d (6h, 30m, 2d)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 6h, 30m or 2d")
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])


EPILOG = """exit status:
  0  authentic       issued by the laboratory, unchanged and current (a fresh status list says so)
  2  -               usage error, unreadable file, or zbarimg missing for --image
  3  revoked         genuine, but withdrawn by the laboratory
  4  superseded      genuine, but replaced by a newer certificate
  5  not_ours        not issued by this laboratory
  6  altered         changed after the laboratory signed it (or a QR code whose signature fails)
  7  invalid         not a readable certificate or QR code
  8  -               the kit's files (root.pem, keys.json, revocations.json) cannot be used
  9  unknown_status  authentic, but the current status is unknown (no list, list expired, or older than --max-age)
 10  update_kit      signed with a key newer than this kit: download the kit again
 11  compromised     not valid: signed with a key compromised at the time

with --inclusion PROOF.json (the PDF's transparency log proof; the PDF's signature is not checked):
  0  logged          the PDF's issue is in the log, under a checkpoint signed by the log key
  7  invalid         the proof file is not an inclusion proof
  8  -               no usable log key (--keys with a log key in keys.json, or --log-key)
 12  not_logged      the proof does not hold (another tree than the checkpoint's, or an audit path that fails)
 13  other_document  the proof holds, but its entry is not this PDF's issue (another file, number or event)
 14  bad_checkpoint  the checkpoint is malformed, not signed by the log key, or lacks a --witness cosignature
"""


# --- Languages -----------------------------------------------------------------------------------
# The kit prints its verdicts in English, Russian or Kazakh (--lang, or the LC_ALL / LC_MESSAGES /
# LANG environment). The texts live here, not in the LIMS's catalogues, so that this one file is all
# an inspector needs. Each entry is an English message as the kit builds it, with {placeholders} for
# its variable parts; translate() finds the entry a printed message fits and translates the parts too
# (a reason inside a verdict, a label of the details). The keyword in front of a verdict (AUTHENTIC,
# REVOKED...) and the exit status stay the same in every language, for scripts.
LANGUAGES = ("en", "ru", "kk")

TRANSLATIONS: dict[str, dict[str, str]] = {
    # Verdicts (current_status, verify_pdf, _compromised, _unknown_key, _printed_number)
    "issued by the laboratory, unchanged and current": {
        "ru": "выдан лабораторией, не изменён и действует (подлинный и действующий)",
        "kk": "зертхана берген, өзгертілмеген және күшінде (түпнұсқа және күшінде)",
    },
    "issued by the laboratory and unchanged": {
        "ru": "выдан лабораторией и не изменён",
        "kk": "зертхана берген және өзгертілмеген",
    },
    "authentic; current status unknown (no status list)": {
        "ru": "подлинный; текущий статус неизвестен (нет списка статусов)",
        "kk": "түпнұсқа; ағымдағы мәртебесі белгісіз (мәртебелер тізімі жоқ)",
    },
    "authentic; current status unknown (list expired on {at})": {
        "ru": "подлинный; текущий статус неизвестен (срок действия списка статусов истёк {at})",
        "kk": "түпнұсқа; ағымдағы мәртебесі белгісіз (мәртебелер тізімінің мерзімі {at} өтті)",
    },
    "authentic; current status unknown (list issued on {at} is older than --max-age)": {
        "ru": "подлинный; текущий статус неизвестен (список статусов, выпущенный {at}, старше --max-age)",
        "kk": "түпнұсқа; ағымдағы мәртебесі белгісіз ({at} шығарылған мәртебелер тізімі --max-age мәнінен ескі)",
    },
    "revoked on {at}: {reason}": {
        "ru": "отозван {at}: {reason}",
        "kk": "{at} кері қайтарылды: {reason}",
    },
    "superseded on {at} by certificate {by}": {
        "ru": "заменён {at} сертификатом {by}",
        "kk": "{at} {by} сертификатымен ауыстырылды",
    },
    "not valid: key compromised (the laboratory's {kind} key {kid} is compromised)": {
        "ru": "недействителен: ключ скомпрометирован (ключ лаборатории {kind} {kid} скомпрометирован)",
        "kk": "жарамсыз: кілттің құпиялылығы бұзылған (зертхананың {kind} {kid} кілтінің құпиялылығы бұзылған)",
    },
    "not valid: key compromised (the laboratory's {kind} key {kid} is compromised from {since})": {
        "ru": "недействителен: ключ скомпрометирован (ключ лаборатории {kind} {kid} скомпрометирован с {since})",
        "kk": "жарамсыз: кілттің құпиялылығы бұзылған (зертхананың {kind} {kid} кілтінің құпиялылығы {since} бастап бұзылған)",
    },
    "update your kit: key {kid} is newer than this kit (its keys and list are of {at})": {
        "ru": "обновите комплект проверки: ключ {kid} новее этого комплекта (его ключи и список статусов от {at})",
        "kk": "тексеру жинағын жаңартыңыз: {kid} кілті бұл жинақтан жаңа (оның кілттері мен тізімі {at} күйінде)",
    },
    "update your kit: the QR code's key is newer than this kit (its keys and list are of {at})": {
        "ru": "обновите комплект проверки: ключ QR-кода новее этого комплекта (его ключи и список статусов от {at})",
        "kk": "тексеру жинағын жаңартыңыз: QR кодтың кілті бұл жинақтан жаңа (оның кілттері мен тізімі {at} күйінде)",
    },
    "this code belongs to certificate {number}: check that the document shows {number}": {
        "ru": "этот код относится к сертификату {number}: проверьте, что на документе указан номер {number}",
        "kk": "бұл код {number} сертификатына тиесілі: құжатта {number} нөмірі көрсетілгенін тексеріңіз",
    },
    "{notice}; {verdict}": {"ru": "{notice}; {verdict}", "kk": "{notice}; {verdict}"},
    "this QR code belongs to certificate {number}, not to certificate {printed}: the document it is printed on is "
    "not the certificate it claims to be": {
        "ru": "этот QR-код относится к сертификату {number}, а не к сертификату {printed}: документ, на котором он "
        "напечатан, не является тем сертификатом, за который себя выдаёт",
        "kk": "бұл QR код {printed} сертификатына емес, {number} сертификатына тиесілі: ол басылған құжат өзін "
        "көрсетіп тұрған сертификат емес",
    },
    "unknown certificate": {"ru": "неизвестный сертификат", "kk": "белгісіз сертификат"},
    # The PDF and its signature (verify_pdf, _check_signature, _check_content)
    "this is not a PDF file": {"ru": "это не PDF-файл", "kk": "бұл PDF файл емес"},
    "the PDF carries no signature": {"ru": "PDF не содержит подписи", "kk": "PDF құжатында қолтаңба жоқ"},
    "the PDF cannot be read ({reason})": {
        "ru": "PDF невозможно прочитать ({reason})",
        "kk": "PDF құжатын оқу мүмкін емес ({reason})",
    },
    "the PDF's compressed streams inflate past what a certificate needs; it was not read further": {
        "ru": "сжатые потоки PDF распаковываются в объём больше, чем нужен сертификату; дальше файл не читался",
        "kk": "PDF құжатының сығылған ағындары сертификатқа қажеттіден үлкен көлемге ашылады; файл әрі қарай оқылмады",
    },
    "the PDF's first signature is a document timestamp, not the laboratory's signature": {
        "ru": "первая подпись PDF — метка времени документа, а не подпись лаборатории",
        "kk": "PDF құжатының бірінші қолтаңбасы — құжаттың уақыт белгісі, зертхананың қолтаңбасы емес",
    },
    "the signature cannot be validated ({reason})": {
        "ru": "подпись невозможно проверить ({reason})",
        "kk": "қолтаңбаны тексеру мүмкін емес ({reason})",
    },
    "the document was changed after it was signed (the signature does not match)": {
        "ru": "документ изменён после подписания (подпись не совпадает)",
        "kk": "құжат қол қойылғаннан кейін өзгертілген (қолтаңба сәйкес келмейді)",
    },
    "the document was changed after it was signed (an update was appended)": {
        "ru": "документ изменён после подписания (к нему добавлено обновление)",
        "kk": "құжат қол қойылғаннан кейін өзгертілген (оған жаңарту қосылған)",
    },
    "the document was changed after it was timestamped (the document timestamp does not match)": {
        "ru": "документ изменён после проставления метки времени (метка времени документа не совпадает)",
        "kk": "құжат уақыт белгісі қойылғаннан кейін өзгертілген (құжаттың уақыт белгісі сәйкес келмейді)",
    },
    "the signature's timestamp does not match the signature": {
        "ru": "метка времени подписи не соответствует подписи",
        "kk": "қолтаңбаның уақыт белгісі қолтаңбаға сәйкес келмейді",
    },
    "the signature's timestamp cannot be validated ({reason})": {
        "ru": "метку времени подписи невозможно проверить ({reason})",
        "kk": "қолтаңбаның уақыт белгісін тексеру мүмкін емес ({reason})",
    },
    "the signature's timestamp is not from a timestamp authority the laboratory trusts: the signing time is not "
    "proven": {
        "ru": "метка времени подписи выдана не доверенной лабораторией службой меток времени: время подписания не "
        "доказано",
        "kk": "қолтаңбаның уақыт белгісін зертхана сенетін уақыт белгісі қызметі бермеген: қол қою уақыты "
        "дәлелденбеген",
    },
    "the document timestamp cannot be validated ({reason})": {
        "ru": "метку времени документа невозможно проверить ({reason})",
        "kk": "құжаттың уақыт белгісін тексеру мүмкін емес ({reason})",
    },
    "the document timestamp is not from a timestamp authority the laboratory trusts": {
        "ru": "метка времени документа выдана не доверенной лабораторией службой меток времени",
        "kk": "құжаттың уақыт белгісін зертхана сенетін уақыт белгісі қызметі бермеген",
    },
    "the document timestamps do not prove the signature's existence (their chain does not validate)": {
        "ru": "метки времени документа не доказывают существование подписи (их цепочка не проходит проверку)",
        "kk": "құжаттың уақыт белгілері қолтаңбаның болғанын дәлелдемейді (олардың тізбегі тексеруден өтпейді)",
    },
    "the signature carries no timestamp: nothing proves when it was made (PAdES B-LTA required)": {
        "ru": "у подписи нет метки времени: ничто не доказывает, когда она сделана (требуется PAdES B-LTA)",
        "kk": "қолтаңбада уақыт белгісі жоқ: оның қашан қойылғанын ештеңе дәлелдемейді (PAdES B-LTA талап етіледі)",
    },
    "the document carries no document timestamp after the signature (PAdES B-LTA required)": {
        "ru": "в документе нет метки времени документа после подписи (требуется PAdES B-LTA)",
        "kk": "құжатта қолтаңбадан кейін құжаттың уақыт белгісі жоқ (PAdES B-LTA талап етіледі)",
    },
    "not issued by this laboratory: the signing certificate does not chain to its root (NO_CERTIFICATE_CHAIN_FOUND)": {
        "ru": "выдан не этой лабораторией: сертификат подписи не восходит к её корневому сертификату "
        "(NO_CERTIFICATE_CHAIN_FOUND)",
        "kk": "бұл зертхана бермеген: қолтаңба сертификаты оның түбірлік сертификатына дейін тізбек құрмайды "
        "(NO_CERTIFICATE_CHAIN_FOUND)",
    },
    "not issued by this laboratory: {reason} ({indication})": {
        "ru": "выдан не этой лабораторией: {reason} ({indication})",
        "kk": "бұл зертхана бермеген: {reason} ({indication})",
    },
    "the signing certificate cannot be trusted": {
        "ru": "сертификату подписи нельзя доверять",
        "kk": "қолтаңба сертификатына сенуге болмайды",
    },
    "the signing certificate has expired and no trusted timestamp proves the signature older": {
        "ru": "срок действия сертификата подписи истёк, и ни одна доверенная метка времени не доказывает, что подпись "
        "сделана раньше",
        "kk": "қолтаңба сертификатының мерзімі өткен, ал қолтаңбаның ертерек қойылғанын бірде-бір сенімді уақыт "
        "белгісі дәлелдемейді",
    },
    "the signing certificate had expired when the signature was made": {
        "ru": "срок действия сертификата подписи истёк к моменту подписания",
        "kk": "қол қойылған кезде қолтаңба сертификатының мерзімі өтіп кеткен",
    },
    "the signing certificate was not yet valid when the signature was made": {
        "ru": "сертификат подписи ещё не действовал в момент подписания",
        "kk": "қол қойылған кезде қолтаңба сертификаты әлі күшіне енбеген",
    },
    "the signing certificate is revoked": {
        "ru": "сертификат подписи отозван",
        "kk": "қолтаңба сертификаты кері қайтарылған",
    },
    "the signing certificate is revoked, and nothing proves the signature older": {
        "ru": "сертификат подписи отозван, и ничто не доказывает, что подпись сделана раньше",
        "kk": "қолтаңба сертификаты кері қайтарылған, ал қолтаңбаның ертерек қойылғанын ештеңе дәлелдемейді",
    },
    "a certificate of the signing chain is revoked": {
        "ru": "один из сертификатов цепочки подписи отозван",
        "kk": "қолтаңба тізбегіндегі сертификаттардың бірі кері қайтарылған",
    },
    "the file lacks revocation data for the signing certificate": {
        "ru": "в файле нет данных об отзыве для сертификата подписи",
        "kk": "файлда қолтаңба сертификатының кері қайтарылуы туралы деректер жоқ",
    },
    "the revocation data in the file does not cover the signing time": {
        "ru": "данные об отзыве в файле не охватывают время подписания",
        "kk": "файлдағы кері қайтару деректері қол қою уақытын қамтымайды",
    },
    "the signing certificate is not allowed to sign documents": {
        "ru": "сертификату подписи не разрешено подписывать документы",
        "kk": "қолтаңба сертификатына құжаттарға қол қоюға рұқсат жоқ",
    },
    "the PDF does not carry the {snapshot} and {token} attachments": {
        "ru": "в PDF нет вложений {snapshot} и {token}",
        "kk": "PDF құжатында {snapshot} және {token} тіркемелері жоқ",
    },
    "the PDF has two attachments called {name}": {
        "ru": "в PDF два вложения с именем {name}",
        "kk": "PDF құжатында {name} атты екі тіркеме бар",
    },
    "the PDF's attachments cannot be read ({reason})": {
        "ru": "вложения PDF невозможно прочитать ({reason})",
        "kk": "PDF тіркемелерін оқу мүмкін емес ({reason})",
    },
    "the attachment name tree is too deep": {
        "ru": "дерево имён вложений слишком глубокое",
        "kk": "тіркемелер атауларының ағашы тым терең",
    },
    "the attachment name tree is malformed": {
        "ru": "дерево имён вложений повреждено",
        "kk": "тіркемелер атауларының ағашы бүлінген",
    },
    "the QR token names signing key {kid}, but the PDF is signed with another one": {
        "ru": "QR-токен называет ключ подписи {kid}, но PDF подписан другим ключом",
        "kk": "QR токен {kid} қол қою кілтін атайды, бірақ PDF басқа кілтпен қол қойылған",
    },
    "the QR token does not belong to this document (the attached snapshot has another hash)": {
        "ru": "QR-токен не относится к этому документу (у вложенного снимка данных другой хеш)",
        "kk": "QR токен бұл құжатқа тиесілі емес (тіркелген деректер суретінің хеші басқа)",
    },
    # The QR token (decode_token, validate_claims)
    "QR token: {reason}": {"ru": "QR-токен: {reason}", "kk": "QR токен: {reason}"},
    "a QR token in a retired format ({prefix}), no longer accepted: check the certificate by its number": {
        "ru": "QR-токен в прежнем формате ({prefix}) больше не принимается: проверьте сертификат по его номеру",
        "kk": "ескі форматтағы QR токен ({prefix}) енді қабылданбайды: сертификатты нөмірі бойынша тексеріңіз",
    },
    "not a laboratory QR token (it does not start with {prefix})": {
        "ru": "это не QR-токен лаборатории (он не начинается с {prefix})",
        "kk": "бұл зертхананың QR токені емес (ол {prefix} таңбаларынан басталмайды)",
    },
    "the QR token is far longer than the laboratory's": {
        "ru": "QR-токен намного длиннее токенов лаборатории",
        "kk": "QR токен зертхана токендерінен әлдеқайда ұзын",
    },
    "the QR token cannot be decoded ({reason})": {
        "ru": "QR-токен невозможно декодировать ({reason})",
        "kk": "QR токенді декодтау мүмкін емес ({reason})",
    },
    "the QR token's {part} cannot be decoded": {
        "ru": "часть QR-токена ({part}) невозможно декодировать",
        "kk": "QR токеннің бөлігін ({part}) декодтау мүмкін емес",
    },
    "the QR token is not a COSE_Sign1 message": {
        "ru": "QR-токен не является сообщением COSE_Sign1",
        "kk": "QR токен COSE_Sign1 хабарламасы емес",
    },
    "the QR token's header must name algorithm EdDSA and an 8-byte key id": {
        "ru": "заголовок QR-токена должен указывать алгоритм EdDSA и 8-байтовый идентификатор ключа",
        "kk": "QR токеннің тақырыбында EdDSA алгоритмі мен 8 байттық кілт идентификаторы көрсетілуі тиіс",
    },
    "not issued by this laboratory: unknown token key id {kid}": {
        "ru": "выдан не этой лабораторией: неизвестный идентификатор ключа токенов {kid}",
        "kk": "бұл зертхана бермеген: токен кілтінің идентификаторы белгісіз {kid}",
    },
    "the QR token's signature does not match its content": {
        "ru": "подпись QR-токена не соответствует его содержимому",
        "kk": "QR токеннің қолтаңбасы оның мазмұнына сәйкес келмейді",
    },
    "the QR token's claims are not the laboratory's": {
        "ru": "данные QR-токена не соответствуют формату лаборатории",
        "kk": "QR токеннің деректері зертхана форматына сәйкес келмейді",
    },
    "the QR token's issue date is not a date": {
        "ru": "дата выдачи в QR-токене не является датой",
        "kk": "QR токендегі берілген күні күн емес",
    },
    "token claims are not a map": {
        "ru": "данные токена не являются словарём",
        "kk": "токен деректері сөздік емес",
    },
    "token claims: missing {missing}, unknown {unknown}": {
        "ru": "данные токена: отсутствуют {missing}, неизвестны {unknown}",
        "kk": "токен деректері: жоқ {missing}, белгісіз {unknown}",
    },
    "token claim {name} ({meaning}) must be a non-empty string": {
        "ru": "поле токена {name} ({meaning}) должно быть непустой строкой",
        "kk": "токеннің {name} өрісі ({meaning}) бос емес жол болуы тиіс",
    },
    "token claim 'd' must be a date YYYY-MM-DD": {
        "ru": "поле токена 'd' должно быть датой ГГГГ-ММ-ДД",
        "kk": "токеннің 'd' өрісі ЖЖЖЖ-АА-КК күні болуы тиіс",
    },
    "token claim 'a' must map each analyte to [value, unit] strings": {
        "ru": "поле токена 'a' должно сопоставлять каждому определяемому компоненту строки [значение, единица]",
        "kk": "токеннің 'a' өрісі әр талданатын компонентке [мән, бірлік] жолдарын сәйкестендіруі тиіс",
    },
    "token claim 'k' must be an 8-byte key id": {
        "ru": "поле токена 'k' должно быть 8-байтовым идентификатором ключа",
        "kk": "токеннің 'k' өрісі 8 байттық кілт идентификаторы болуы тиіс",
    },
    "token claim 'h' must be the first {count} bytes of a SHA-256": {
        "ru": "поле токена 'h' должно содержать первые {count} байт SHA-256",
        "kk": "токеннің 'h' өрісі SHA-256 мәнінің алғашқы {count} байты болуы тиіс",
    },
    "token key {kid} does not match its public key": {
        "ru": "ключ токенов {kid} не соответствует своему открытому ключу",
        "kk": "{kid} токен кілті өзінің ашық кілтіне сәйкес келмейді",
    },
    # The kit's files (load_kit, load_key_set, load_status_list, parse_time)
    "CANNOT VERIFY: the kit's files in {directory} cannot be used: {reason}": {
        "ru": "CANNOT VERIFY: файлы комплекта проверки в {directory} невозможно использовать: {reason}",
        "kk": "CANNOT VERIFY: {directory} ішіндегі тексеру жинағының файлдарын пайдалану мүмкін емес: {reason}",
    },
    "CANNOT VERIFY: the published keys in {directory} cannot be used: {reason}": {
        "ru": "CANNOT VERIFY: опубликованные ключи в {directory} невозможно использовать: {reason}",
        "kk": "CANNOT VERIFY: {directory} ішіндегі жарияланған кілттерді пайдалану мүмкін емес: {reason}",
    },
    "CANNOT VERIFY: {reason}": {"ru": "CANNOT VERIFY: {reason}", "kk": "CANNOT VERIFY: {reason}"},
    "key set": {"ru": "набор ключей", "kk": "кілттер жиынтығы"},
    "the {name} has no payload": {
        "ru": "{name}: нет подписанного содержимого",
        "kk": "{name}: қол қойылған мазмұны жоқ",
    },
    "the {name} is signed with an unknown key id {kid}": {
        "ru": "{name}: подписан неизвестным ключом {kid}",
        "kk": "{name}: белгісіз {kid} кілтімен қол қойылған",
    },
    "the {name}'s signature does not verify": {
        "ru": "{name}: подпись не проходит проверку",
        "kk": "{name}: қолтаңбасы тексеруден өтпейді",
    },
    "this is not the laboratory's {name} (type {type})": {
        "ru": "это не файл лаборатории «{name}» (тип {type})",
        "kk": "бұл зертхананың «{name}» файлы емес (түрі {type})",
    },
    "the {name}'s sequence number is malformed": {
        "ru": "{name}: неверный порядковый номер",
        "kk": "{name}: реттік нөмірі қате",
    },
    "the {name}'s issued_at": {"ru": "{name}: поле issued_at", "kk": "{name}: issued_at өрісі"},
    "the {name}'s next_update": {"ru": "{name}: поле next_update", "kk": "{name}: next_update өрісі"},
    "the signing time": {"ru": "время подписания", "kk": "қол қою уақыты"},
    "the proven signing time": {"ru": "доказанное время подписания", "kk": "дәлелденген қол қою уақыты"},
    "key {kid}'s compromised_from": {"ru": "ключ {kid}: compromised_from", "kk": "{kid} кілті: compromised_from"},
    "{what} is not an ISO 8601 time: {value}": {
        "ru": "{what} — не время в формате ISO 8601: {value}",
        "kk": "{what} — ISO 8601 форматындағы уақыт емес: {value}",
    },
    "{what} has no time zone: {value}": {
        "ru": "{what} — не указан часовой пояс: {value}",
        "kk": "{what} — уақыт белдеуі көрсетілмеген: {value}",
    },
    "the key set has no keys": {"ru": "в наборе ключей нет ключей", "kk": "кілттер жиынтығында кілттер жоқ"},
    "the key set lists key {kid} twice": {
        "ru": "в наборе ключей ключ {kid} указан дважды",
        "kk": "кілттер жиынтығында {kid} кілті екі рет көрсетілген",
    },
    "a key of the key set is malformed": {
        "ru": "один из ключей набора ключей повреждён",
        "kk": "кілттер жиынтығындағы кілттердің бірі бүлінген",
    },
    "key {kid} of the key set has an unknown kind or state ({kind}, {state})": {
        "ru": "у ключа {kid} из набора ключей неизвестный вид или состояние ({kind}, {state})",
        "kk": "кілттер жиынтығындағы {kid} кілтінің түрі немесе күйі белгісіз ({kind}, {state})",
    },
    "key {kid} of the key set has no readable public key": {
        "ru": "у ключа {kid} из набора ключей нет читаемого открытого ключа",
        "kk": "кілттер жиынтығындағы {kid} кілтінің оқылатын ашық кілті жоқ",
    },
    "key {kid} of the key set is not an Ed25519 key": {
        "ru": "ключ {kid} из набора ключей не является ключом Ed25519",
        "kk": "кілттер жиынтығындағы {kid} кілті Ed25519 кілті емес",
    },
    "key {kid} of the key set does not match its public key": {
        "ru": "ключ {kid} из набора ключей не соответствует своему открытому ключу",
        "kk": "кілттер жиынтығындағы {kid} кілті өзінің ашық кілтіне сәйкес келмейді",
    },
    "the status list's next_update is not after its issued_at": {
        "ru": "в списке статусов next_update не позже issued_at",
        "kk": "мәртебелер тізімінде next_update мәні issued_at мәнінен кейін емес",
    },
    "the status list's {name} entries are malformed": {
        "ru": "записи {name} в списке статусов повреждены",
        "kk": "мәртебелер тізіміндегі {name} жазбалары бүлінген",
    },
    "verify_pdf needs at least one trust root": {
        "ru": "verify_pdf нужен хотя бы один доверенный корневой сертификат",
        "kk": "verify_pdf үшін кемінде бір сенімді түбірлік сертификат қажет",
    },
    "{value} has no JSON representation": {
        "ru": "{value} не имеет представления в JSON",
        "kk": "{value} мәнінің JSON түріндегі көрінісі жоқ",
    },
    # Pictures of QR codes (read_qr_image)
    "zbarimg is not installed (Debian/Ubuntu: apt install zbar-tools); give the text with --token": {
        "ru": "zbarimg не установлен (Debian/Ubuntu: apt install zbar-tools); укажите текст через --token",
        "kk": "zbarimg орнатылмаған (Debian/Ubuntu: apt install zbar-tools); мәтінді --token арқылы беріңіз",
    },
    "no readable QR code in {path}": {
        "ru": "в {path} нет читаемого QR-кода",
        "kk": "{path} ішінде оқылатын QR код жоқ",
    },
    # The details under a verdict: labels and values
    "certificate number": {"ru": "номер сертификата", "kk": "сертификат нөмірі"},
    "lot": {"ru": "партия", "kk": "партия"},
    "issued": {"ru": "выдан", "kk": "берілді"},
    "dry mass": {"ru": "сухая масса", "kk": "құрғақ масса"},
    "assays": {"ru": "результаты анализа", "kk": "талдау нәтижелері"},
    "signed by": {"ru": "подписал", "kk": "қол қойған"},
    "signing key id": {"ru": "идентификатор ключа подписи", "kk": "қол қою кілтінің идентификаторы"},
    "signed at (as stated by the signer)": {
        "ru": "время подписания (по заявлению подписавшего)",
        "kk": "қол қою уақыты (қол қоюшының айтуынша)",
    },
    "proven signing time": {"ru": "доказанное время подписания", "kk": "дәлелденген қол қою уақыты"},
    "timestamp": {"ru": "метка времени", "kk": "уақыт белгісі"},
    "document timestamp": {"ru": "метка времени документа", "kk": "құжаттың уақыт белгісі"},
    "token key": {"ru": "ключ токенов", "kk": "токен кілті"},
    "token key id": {"ru": "идентификатор ключа токенов", "kk": "токен кілтінің идентификаторы"},
    "PDF signing key id (named in the token)": {
        "ru": "идентификатор ключа подписи PDF (указан в токене)",
        "kk": "PDF қол қою кілтінің идентификаторы (токенде көрсетілген)",
    },
    "unknown to these keys": {"ru": "неизвестен этим ключам", "kk": "бұл кілттерге белгісіз"},
    "status": {"ru": "статус", "kk": "мәртебе"},
    "status list": {"ru": "список статусов", "kk": "мәртебелер тізімі"},
    "no. {sequence}, issued {issued}, next update {next_update}": {
        "ru": "№ {sequence}, выпущен {issued}, следующее обновление {next_update}",
        "kk": "№ {sequence}, {issued} шығарылған, келесі жаңарту {next_update}",
    },
    "revocation": {"ru": "отзыв", "kk": "кері қайтару"},
    "not checked": {"ru": "не проверялся", "kk": "тексерілмеді"},
    "not checked: no status list": {
        "ru": "не проверялся: нет списка статусов",
        "kk": "тексерілмеді: мәртебелер тізімі жоқ",
    },
    # The transparency log (--inclusion: verify_inclusion_offline, verify_checkpoint, parse_log_vkey)
    "this PDF's issue is in the laboratory's transparency log (entry {index} of {size}), under a checkpoint signed "
    "by the log key": {
        "ru": "выдача этого PDF записана в журнале прозрачности лаборатории (запись {index} из {size}) под "
        "контрольной точкой, подписанной ключом журнала",
        "kk": "бұл PDF файлының берілуі зертхананың ашықтық журналына жазылған ({size} жазбаның ішінде № {index} "
        "жазба), журнал кілтімен қол қойылған бақылау нүктесімен расталған",
    },
    "the inclusion proof is for the tree of {size} entries with root {root}, not the checkpoint's": {
        "ru": "доказательство включения относится к дереву из {size} записей с корнем {root}, а не к дереву "
        "контрольной точки",
        "kk": "енгізу дәлелі бақылау нүктесінің ағашына емес, түбірі {root} болатын {size} жазбадан тұратын ағашқа "
        "қатысты",
    },
    "the inclusion proof's leaf_hash is not the hash of its entry": {
        "ru": "leaf_hash в доказательстве включения не является хешем его записи",
        "kk": "енгізу дәлеліндегі leaf_hash оның жазбасының хеші емес",
    },
    "the audit path does not lead from the entry to the checkpoint's root hash: the proof does not hold": {
        "ru": "путь аудита не ведёт от записи к корневому хешу контрольной точки: доказательство не подтверждается",
        "kk": "аудит жолы жазбадан бақылау нүктесінің түбір хешіне апармайды: дәлел расталмайды",
    },
    "the log entry records the event {event} of certificate {number}, not its issue": {
        "ru": "запись журнала фиксирует событие {event} сертификата {number}, а не его выдачу",
        "kk": "журнал жазбасы {number} сертификатының берілуін емес, {event} оқиғасын тіркейді",
    },
    "the log entry is the issue of certificate {logged}, not of certificate {number}": {
        "ru": "запись журнала — выдача сертификата {logged}, а не сертификата {number}",
        "kk": "журнал жазбасы {number} сертификатының емес, {logged} сертификатының берілуі",
    },
    "the log records another PDF for certificate {number} (SHA-256 {logged}), not this file (SHA-256 {actual})": {
        "ru": "журнал фиксирует для сертификата {number} другой PDF (SHA-256 {logged}), а не этот файл "
        "(SHA-256 {actual})",
        "kk": "журнал {number} сертификаты үшін бұл файлды (SHA-256 {actual}) емес, басқа PDF файлын "
        "(SHA-256 {logged}) тіркеген",
    },
    "the checkpoint is malformed: it is not a signed note": {
        "ru": "контрольная точка повреждена: это не подписанное сообщение (signed note)",
        "kk": "бақылау нүктесі бүлінген: бұл қол қойылған хабар (signed note) емес",
    },
    "the checkpoint is malformed: a signature line is not one": {
        "ru": "контрольная точка повреждена: одна из строк подписи неверна",
        "kk": "бақылау нүктесі бүлінген: қолтаңба жолдарының бірі қате",
    },
    "the checkpoint is malformed: it has no tree size": {
        "ru": "контрольная точка повреждена: в ней нет размера дерева",
        "kk": "бақылау нүктесі бүлінген: онда ағаштың өлшемі жоқ",
    },
    "the checkpoint is malformed: its root hash is not a SHA-256 in base64": {
        "ru": "контрольная точка повреждена: её корневой хеш — не SHA-256 в base64",
        "kk": "бақылау нүктесі бүлінген: оның түбір хеші base64 түріндегі SHA-256 емес",
    },
    "the checkpoint's origin {origin} is not the log key's name {name}": {
        "ru": "источник контрольной точки {origin} не совпадает с именем ключа журнала {name}",
        "kk": "бақылау нүктесінің көзі {origin} журнал кілтінің {name} атауымен сәйкес келмейді",
    },
    "the checkpoint's signature by the log key does not verify": {
        "ru": "подпись контрольной точки ключом журнала не проходит проверку",
        "kk": "бақылау нүктесінің журнал кілтімен қойылған қолтаңбасы тексеруден өтпейді",
    },
    "the checkpoint is not signed by the log key ({keys})": {
        "ru": "контрольная точка не подписана ключом журнала ({keys})",
        "kk": "бақылау нүктесіне журнал кілтімен ({keys}) қол қойылмаған",
    },
    "the inclusion proof is malformed: not a JSON object": {
        "ru": "доказательство включения повреждено: это не объект JSON",
        "kk": "енгізу дәлелі бүлінген: бұл JSON нысаны емес",
    },
    "the inclusion proof is malformed: {name} is not a number": {
        "ru": "доказательство включения повреждено: {name} — не число",
        "kk": "енгізу дәлелі бүлінген: {name} сан емес",
    },
    "the inclusion proof is malformed: audit_path is not a list of SHA-256 hashes": {
        "ru": "доказательство включения повреждено: audit_path — не список хешей SHA-256",
        "kk": "енгізу дәлелі бүлінген: audit_path SHA-256 хештерінің тізімі емес",
    },
    "the inclusion proof is malformed: root_hash is not a SHA-256 hash": {
        "ru": "доказательство включения повреждено: root_hash — не хеш SHA-256",
        "kk": "енгізу дәлелі бүлінген: root_hash SHA-256 хеші емес",
    },
    "the inclusion proof is malformed: leaf is not base64": {
        "ru": "доказательство включения повреждено: leaf — не base64",
        "kk": "енгізу дәлелі бүлінген: leaf base64 түрінде емес",
    },
    "the inclusion proof is malformed: its log entry is not a certificate event": {
        "ru": "доказательство включения повреждено: его запись журнала — не событие сертификата",
        "kk": "енгізу дәлелі бүлінген: оның журнал жазбасы сертификат оқиғасы емес",
    },
    "the inclusion proof carries no checkpoint: give one with --checkpoint": {
        "ru": "в доказательстве включения нет контрольной точки: укажите её через --checkpoint",
        "kk": "енгізу дәлелінде бақылау нүктесі жоқ: оны --checkpoint арқылы беріңіз",
    },
    "a verifier key reads <name>+<8 hex digits>+<base64 key>": {
        "ru": "ключ проверки записывается как <имя>+<8 шестнадцатеричных цифр>+<ключ в base64>",
        "kk": "тексеру кілті <атау>+<8 он алтылық цифр>+<base64 кілт> түрінде жазылады",
    },
    "the verifier key is not base64": {"ru": "ключ проверки — не base64", "kk": "тексеру кілті base64 түрінде емес"},
    "the verifier key is not an Ed25519 key of type {type}": {
        "ru": "ключ проверки — не ключ Ed25519 типа {type}",
        "kk": "тексеру кілті {type} түріндегі Ed25519 кілті емес",
    },
    "the verifier key's hash does not match its name and key": {
        "ru": "хеш ключа проверки не соответствует его имени и ключу",
        "kk": "тексеру кілтінің хеші оның атауы мен кілтіне сәйкес келмейді",
    },
    "CANNOT VERIFY: the log or witness key cannot be used: {reason}": {
        "ru": "CANNOT VERIFY: ключ журнала или свидетеля невозможно использовать: {reason}",
        "kk": "CANNOT VERIFY: журнал немесе куәгер кілтін пайдалану мүмкін емес: {reason}",
    },
    "the cosignature of witness {witness} does not verify": {
        "ru": "подпись свидетеля {witness} не проходит проверку",
        "kk": "{witness} куәгерінің қолтаңбасы тексеруден өтпейді",
    },
    "the checkpoint carries no cosignature of witness {witness}": {
        "ru": "на контрольной точке нет подписи свидетеля {witness}",
        "kk": "бақылау нүктесінде {witness} куәгерінің қолтаңбасы жоқ",
    },
    "cosigned by witness {witness}": {
        "ru": "подписано свидетелем {witness}",
        "kk": "{witness} куәгері қол қойған",
    },
    "CANNOT VERIFY: the key set has no log key: give the log's key with --log-key": {
        "ru": "CANNOT VERIFY: в наборе ключей нет ключа журнала: укажите ключ журнала через --log-key",
        "kk": "CANNOT VERIFY: кілттер жиынтығында журнал кілті жоқ: журнал кілтін --log-key арқылы беріңіз",
    },
    "log entry": {"ru": "запись журнала", "kk": "журнал жазбасы"},
    "no. {index} in a tree of {size} entries": {
        "ru": "№ {index} в дереве из {size} записей",
        "kk": "{size} жазбадан тұратын ағаштағы № {index}",
    },
    "checkpoint": {"ru": "контрольная точка", "kk": "бақылау нүктесі"},
    "{origin}, tree size {size}, root {root}": {
        "ru": "{origin}, размер дерева {size}, корень {root}",
        "kk": "{origin}, ағаш өлшемі {size}, түбірі {root}",
    },
    "log key": {"ru": "ключ журнала", "kk": "журнал кілті"},
    "logged at": {"ru": "время записи в журнал", "kk": "журналға жазылған уақыты"},
    "PDF SHA-256": {"ru": "SHA-256 файла PDF", "kk": "PDF файлының SHA-256 мәні"},
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(template: str) -> set[str]:
    """The names of a message's {placeholders}."""
    return set(_PLACEHOLDER.findall(template))


def _pattern(template: str) -> re.Pattern:
    parts, seen, position = [], set(), 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts), re.DOTALL)


# The most specific entries first: a message fits the entry with the most fixed text it fits.
_PATTERNS = sorted(
    ((_pattern(template), template) for template in TRANSLATIONS),
    key=lambda item: -len(_PLACEHOLDER.sub("", item[1])),
)


def normalize_language(code: str | None) -> str:
    """One of LANGUAGES for a locale or language code (ru_RU.UTF-8, kk-kz, en-us, C): en when unknown."""
    base = (code or "").split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def language_from_environment(environ=None) -> str:
    """The language the environment asks for, as POSIX reads it: the first of LC_ALL, LC_MESSAGES and
    LANG that is set decides (LC_ALL=C means English, whatever LANG says)."""
    environ = os.environ if environ is None else environ
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(variable):
            return normalize_language(environ[variable])
    return "en"


def translate(text: str, lang: str) -> str:
    """A message the kit prints, in `lang`: the entry of TRANSLATIONS it fits, its variable parts
    translated in turn. Text that fits no entry (a library's error, a number, a name) stays as it is."""
    if lang == "en" or not text:
        return text
    found = entry_for(text)
    if found is None:
        return text
    template, values = found
    return TRANSLATIONS[template][lang].format_map({name: translate(value, lang) for name, value in values.items()})


def entry_for(text: str) -> tuple[str, dict[str, str]] | None:
    """The entry of TRANSLATIONS that `text` fits, with the values of its placeholders, or None."""
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            return template, match.groupdict()
    return None


def verdict_lines(verdict: Verdict, lang: str = "en") -> list[str]:
    """The verdict as printed: "STATUS: number: message" (STATUS in English in every language, for
    scripts), then one line per detail."""
    number = verdict.number or translate("unknown certificate", lang)
    lines = [f"{verdict.status.upper()}: {number}: {translate(verdict.message, lang)}"]
    lines.extend(f"  {translate(name, lang)}: {translate(str(value), lang)}" for name, value in verdict.details.items())
    return lines


def _printed_number(verdict: Verdict, printed: str | None) -> Verdict:
    """A QR code proves only what it says itself: a genuine code copied onto another document is
    still genuine. With the number printed on the document (--number), a code of another certificate
    is `invalid`; without it, the verdict starts by saying which number the document must show."""
    if verdict.number is None:
        return verdict
    if printed is None:
        notice = f"this code belongs to certificate {verdict.number}: check that the document shows {verdict.number}"
        return Verdict(verdict.status, verdict.number, f"{notice}; {verdict.message}", verdict.details)
    if "".join(printed.split()).upper() != verdict.number:
        message = (
            f"this QR code belongs to certificate {verdict.number}, not to certificate {printed}: the document it "
            "is printed on is not the certificate it claims to be"
        )
        return Verdict("invalid", verdict.number, message, verdict.details)
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify a Certificate of Analysis (or its QR code) offline against the laboratory's published keys.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("pdf", type=Path, nargs="?", help="the certificate PDF")
    parser.add_argument("--token", help="the text of the QR code, instead of a PDF")
    parser.add_argument("--image", type=Path, help="a picture of the QR code (read with zbarimg), instead of a PDF")
    parser.add_argument(
        "--number",
        help="with --token/--image: the certificate number printed on the document the QR code is on; with "
        "--inclusion: the number the log entry must be of",
    )
    parser.add_argument(
        "--keys",
        type=Path,
        help="directory with root.pem, keys.json, revocations.json (with --inclusion: keys.json, or its folder)",
    )
    parser.add_argument(
        "--inclusion", type=Path, help="check the PDF's log inclusion proof (JSON of /api/v1/log/inclusion/N/) instead"
    )
    parser.add_argument(
        "--checkpoint", type=Path, help="with --inclusion: the log checkpoint you hold (default: the one in the proof)"
    )
    parser.add_argument("--log-key", help="with --inclusion: the log's key (/verify/log/key), instead of --keys")
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        help="with --inclusion: a witness's key (vkey) whose cosignature the checkpoint must carry (repeatable)",
    )
    parser.add_argument(
        "--max-age", type=parse_duration, help="a status list older than this (6h, 2d) gives status unknown"
    )
    parser.add_argument(
        "--skip-revocation", action="store_true", help="ignore the status list (status unknown at best)"
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of the verdict: en, ru or kk (default: from LC_ALL, LC_MESSAGES or LANG; exit status alike)",
    )
    args = parser.parse_args(argv)
    lang = args.lang or language_from_environment()
    if sum(given is not None for given in (args.pdf, args.token, args.image)) != 1:
        parser.error("give one of: a PDF, --token TEXT or --image PICTURE")
    if args.inclusion is not None:
        if args.pdf is None or (args.keys is None) == (args.log_key is None):
            parser.error("--inclusion needs a PDF and one of --keys or --log-key")
        return _inclusion_main(args, lang)
    if args.keys is None or args.checkpoint is not None or args.log_key is not None or args.witness:
        parser.error("--keys is required; --checkpoint, --log-key and --witness go with --inclusion")
    # pyHanko logs every failed check as a warning; the verdict below already says what failed.
    logging.basicConfig(level=logging.ERROR)
    try:
        kit = load_kit(args.keys, read_status_list=not args.skip_revocation)
    except (OSError, ValueError) as exc:
        print(translate(f"CANNOT VERIFY: the kit's files in {args.keys} cannot be used: {exc}", lang))
        return EXIT_KEYS
    now = datetime.now(UTC)
    try:
        if args.pdf is not None:
            verdict = verify_pdf_offline(args.pdf.read_bytes(), kit, now=now, max_age=args.max_age)
        else:
            text = args.token if args.token is not None else read_qr_image(args.image)
            verdict = _printed_number(verify_token_offline(text, kit, now=now, max_age=args.max_age), args.number)
    except OSError as exc:
        print(translate(f"CANNOT VERIFY: {exc}", lang))
        return EXIT_USAGE
    except ValueError as exc:
        verdict = Verdict("invalid", None, str(exc))
    print("\n".join(verdict_lines(verdict, lang)))
    return verdict.exit_code


def _inclusion_main(args, lang: str) -> int:
    """verifier.py PDF --inclusion PROOF [--checkpoint FILE] (--keys DIR|keys.json | --log-key VKEY)."""
    try:
        witnesses = tuple(parse_log_vkey(text, signature_type=COSIGNATURE_TYPE) for text in args.witness)
        if args.log_key is not None:
            log_keys = [parse_log_vkey(args.log_key)]
        else:
            path = args.keys / "keys.json" if args.keys.is_dir() else args.keys
            log_keys = log_keys_of(load_key_set(json.loads(path.read_text())))
    except (OSError, ValueError) as exc:
        print(translate(f"CANNOT VERIFY: the log or witness key cannot be used: {exc}", lang))
        return EXIT_KEYS
    if not log_keys:
        print(translate("CANNOT VERIFY: the key set has no log key: give the log's key with --log-key", lang))
        return EXIT_KEYS
    try:
        pdf = args.pdf.read_bytes()
        proof_text = args.inclusion.read_text(encoding="utf-8")
        checkpoint = args.checkpoint.read_text(encoding="utf-8") if args.checkpoint else None
    except (OSError, UnicodeDecodeError) as exc:
        print(translate(f"CANNOT VERIFY: {exc}", lang))
        return EXIT_USAGE
    try:
        try:
            proof = json.loads(proof_text)
        except ValueError as exc:
            raise InclusionProofError("the inclusion proof is malformed: not a JSON object") from exc
        if checkpoint is None:
            checkpoint = proof.get("checkpoint") if isinstance(proof, dict) else None
            if not isinstance(checkpoint, str):
                raise InclusionProofError("the inclusion proof carries no checkpoint: give one with --checkpoint")
        verdict = verify_inclusion_offline(pdf, proof, checkpoint, log_keys, number=args.number, witnesses=witnesses)
    except InclusionProofError as exc:
        verdict = Verdict("invalid", None, str(exc))
    print("\n".join(verdict_lines(verdict, lang)))
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
