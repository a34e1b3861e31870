"""Offline verification kit for the laboratory's Certificates of Analysis.

This one file is published on its own next to the laboratory's public keys, so that an inspector
can check a certificate without the LIMS, without Django and without a network connection. It
imports only the standard library, cryptography, pyHanko (with pyhanko-certvalidator), cbor2 and
base45; the online verification portal calls the same functions.

    python verifier.py CERTIFICATE.pdf --keys DIR
    python -m certificates.verifier CERTIFICATE.pdf --keys DIR

DIR holds what the laboratory publishes: ``root.pem`` (trust roots), ``token-keys.json``
(``{key id: base64 raw Ed25519 public key}``) and ``revocations.json`` (the signed revocation list).

What "authentic" means: the PAdES signature is intact, cryptographically valid, made with a
certificate that chains to one of the given roots, and covers the whole file (an incremental update
appended after signing counts as a change, whatever pdfsig says); the QR token attached to the PDF
is signed by one of the laboratory's token keys, names the certificate that signed the PDF and the
SHA-256 of the attached snapshot; and the certificate number is not on the revocation list.

Exit status of the command line (one per verdict, so scripts can branch on it):

    ====  ==========  ==============================================================
    code  verdict     meaning
    ====  ==========  ==============================================================
    0     authentic   issued by the laboratory, unchanged, and current
    2     -           usage error (bad arguments)
    3     revoked     genuine, but withdrawn by the laboratory (date and reason given)
    4     superseded  genuine, but replaced by a newer certificate (its number given)
    5     not_ours    not issued by this laboratory (signature or QR token)
    6     altered     changed after the laboratory signed it
    7     invalid     not a readable certificate (no signature, attachment or token)
    8     -           the published keys or the revocation list cannot be used
    ====  ==========  ==============================================================

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
import sys
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import base45
import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TOKEN_PREFIX = "LIMS1:"  # noqa: S105 - a format marker, not a secret
SNAPSHOT_ATTACHMENT = "snapshot.json"
TOKEN_ATTACHMENT = "qr-token.txt"  # noqa: S105 - a file name, not a secret

# The claims of a QR token. Python code names them by letter; on the wire (CBOR) each is the integer
# in front, as in CWT (RFC 8392), which keeps the QR code at version 15 or below at error correction
# Q. Every claim is required. Values are strings (decimal numbers keep their reported digits), except
# "a", and "k" and "h", which are bytes (half the size of hex).
CLAIMS = {
    "n": (1, "certificate number"),
    "i": (2, "issuer (laboratory code)"),
    "k": (3, "key id of the certificate that signs the PDF (8 bytes)"),
    "l": (4, "lot number"),
    "m": (5, "material"),
    "d": (6, "issue date (ISO 8601)"),
    "w": (7, "dry mass, t"),
    "a": (8, "headline assays {analyte: [value, unit]}: Cu %, Au g/t, Ag g/t, TREO with its unit"),
    "h": (9, "SHA-256 of the canonical snapshot (32 bytes)"),
}
_CLAIM_NAMES = {wire: name for name, (wire, _) in CLAIMS.items()}

EXIT_CODES = {"authentic": 0, "revoked": 3, "superseded": 4, "not_ours": 5, "altered": 6, "invalid": 7}
EXIT_USAGE = 2
EXIT_KEYS = 8

_COSE_SIGN1_TAG = 18
_COSE_ALG, _COSE_KID, _COSE_EDDSA = 1, 4, -8
_KID_BYTES = 8
# A genuine token inflates to about 300 bytes; the cap keeps a crafted one from inflating without limit.
_MAX_TOKEN_BYTES = 4096


class TokenError(Exception):
    """The QR token cannot be trusted; the subclass says why."""


class TokenFormatError(TokenError, ValueError):
    """Not a token of this laboratory's format (or claims that do not fit it)."""


class UnknownKeyError(TokenError):
    """Signed with a key id the laboratory never published: not issued by this laboratory."""


class BadSignatureError(TokenError):
    """The key id is the laboratory's, but the signature does not match the content."""


class RevocationListError(ValueError):
    """The revocation list is malformed or its signature does not verify."""


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
    for name in ("n", "i", "l", "m", "d", "w"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise TokenFormatError(f"token claim {name!r} ({CLAIMS[name][1]}) must be a non-empty string")
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
    if not isinstance(claims["h"], bytes) or len(claims["h"]) != hashlib.sha256().digest_size:
        raise TokenFormatError("token claim 'h' must be a 32-byte SHA-256")


def claims_to_wire(claims: dict) -> dict:
    """The CBOR map of a token: claim letters replaced by their integers."""
    return {CLAIMS[name][0]: value for name, value in claims.items()}


def cose_sig_structure(protected: bytes, payload: bytes) -> bytes:
    """What a COSE_Sign1 signature covers (RFC 9052, 4.4), with no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def decode_token(text: str, token_keys: dict) -> dict:
    """Check a QR token and return its claims.

    `token_keys` maps key ids (hex) to Ed25519 public keys: the laboratory's current and earlier
    token keys. Raises TokenFormatError, UnknownKeyError or BadSignatureError.
    """
    text = text.strip()
    if not text.startswith(TOKEN_PREFIX):
        raise TokenFormatError(f"not a laboratory QR token (it does not start with {TOKEN_PREFIX})")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base45.b45decode(text[len(TOKEN_PREFIX) :]), _MAX_TOKEN_BYTES)
    except (ValueError, zlib.error) as exc:
        raise TokenFormatError(f"the QR token cannot be decoded ({exc})") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise TokenFormatError("the QR token is truncated or too large")
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
    wire_claims = _cbor(payload, "claims", max_depth=4)
    if not isinstance(wire_claims, dict) or not wire_claims.keys() <= _CLAIM_NAMES.keys():
        raise TokenFormatError("the QR token's claims are not the laboratory's")
    claims = {_CLAIM_NAMES[wire]: value for wire, value in wire_claims.items()}
    validate_claims(claims)
    claims["a"] = {analyte: list(pair) for analyte, pair in claims["a"].items()}
    return claims


def _cbor(data: bytes, part: str, *, max_depth: int):
    try:
        return cbor2.loads(data, allow_duplicate_keys=False, max_depth=max_depth)
    except (ValueError, cbor2.CBORDecodeError) as exc:
        raise TokenFormatError(f"the QR token's {part} cannot be decoded") from exc


def load_revocation_list(obj: dict, token_keys: dict) -> dict:
    """Check the signature of a published revocation list and return its payload.

    The list is ``{"payload": {...}, "kid": ..., "signature": base64url}``, signed with one of the
    laboratory's token keys over canonical_json(payload). The payload is
    ``{"issuer", "issued_at", "revoked": [{"number", "at", "reason"}], "superseded": [{"number", "by", "at"}]}``.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("payload"), dict):
        raise RevocationListError("the revocation list has no payload")
    public_key = token_keys.get(obj.get("kid"))
    if public_key is None:
        raise RevocationListError(f"the revocation list is signed with an unknown key id {obj.get('kid')!r}")
    try:
        signature = base64.urlsafe_b64decode(str(obj.get("signature", "")) + "==")
        public_key.verify(signature, canonical_json(obj["payload"]))
    except (binascii.Error, ValueError, TypeError, InvalidSignature) as exc:
        raise RevocationListError("the revocation list's signature does not verify") from exc
    payload = obj["payload"]
    entries = {"revoked": ("number", "at", "reason"), "superseded": ("number", "by", "at")}
    for name, keys in entries.items():
        items = payload.get(name)
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and all(isinstance(item.get(key), str) for key in keys) for item in items
        ):
            raise RevocationListError(f"the revocation list's {name!r} entries are malformed")
    return payload


def verify_pdf(data: bytes, *, trust_roots: list, token_keys: dict, revocations: dict | None) -> Verdict:
    """Judge a certificate PDF. See the module docstring for what each verdict means.

    `trust_roots` are cryptography x509 certificates (never empty: pyHanko would fall back to the
    operating system's trust list); `token_keys` as for decode_token; `revocations` is a revocation
    list payload (from load_revocation_list, or built by the portal from its registry), or None to
    skip the revocation check.
    """
    if not trust_roots:
        raise ValueError("verify_pdf needs at least one trust root")
    if not data.startswith(b"%PDF-"):
        return Verdict("invalid", None, "this is not a PDF file")
    try:
        reader, signature = _read_signed_pdf(data)
    except _Unreadable as exc:
        # A file that carries a signature byte range but no longer parses was a signed PDF once.
        status = "altered" if b"/ByteRange" in data else "invalid"
        return Verdict(status, None, str(exc))
    if signature is None:
        return Verdict("invalid", None, "the PDF carries no signature")

    failure, details = _check_signature(signature, trust_roots)
    if failure:
        return Verdict(failure[0], None, failure[1], details)
    return _check_content(reader, details, token_keys, revocations)


class _Unreadable(Exception):
    """The PDF (or its attachments) cannot be parsed."""


def _read_signed_pdf(data: bytes):
    """The reader and the first (the laboratory's) signature; a second one is an update after signing,
    which the coverage check reports."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # a damaged file fails in many ways deep inside the parser
        raise _Unreadable(f"the PDF cannot be read ({type(exc).__name__}: {exc})") from exc
    return reader, (signatures[0] if signatures else None)


def _check_signature(signature, trust_roots: list) -> tuple[tuple[str, str] | None, dict]:
    """(None, details) when the signature is intact, valid, trusted and covers the whole file;
    otherwise ((verdict, message), details)."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    # Nothing is fetched: the laboratory revokes certificates of analysis through its own signed list.
    context = ValidationContext(
        trust_roots=[
            cert
            for root in trust_roots
            for cert in load_certs_from_pemder_data(root.public_bytes(serialization.Encoding.DER))
        ],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        status = validate_pdf_signature(signature, signer_validation_context=context)
    except Exception as exc:  # a damaged signature container fails in many ways
        return ("altered", f"the signature cannot be validated ({type(exc).__name__}: {exc})"), {}
    cert = status.signing_cert
    details = {
        "signed by": cert.subject.human_friendly,
        "signing key id": hashlib.sha256(cert.public_key.dump()).digest()[:_KID_BYTES].hex(),
    }
    if status.signer_reported_dt:
        details["signed at (as stated by the signer)"] = status.signer_reported_dt.isoformat(timespec="seconds")
    if not (status.intact and status.valid):
        return ("altered", "the document was changed after it was signed (the signature does not match)"), details
    if not status.trusted:
        # pyHanko types it as the AdESSubIndic base; every concrete sub-indication is an Enum member.
        problem = status.trust_problem_indic
        indication = problem.name if isinstance(problem, enum.Enum) else "untrusted"
        message = f"not issued by this laboratory: the signing certificate does not chain to its root ({indication})"
        return ("not_ours", message), details
    if (
        status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        or status.modification_level != ModificationLevel.NONE
        or not status.docmdp_ok
    ):
        return ("altered", "the document was changed after it was signed (an update was appended)"), details
    timestamp = status.timestamp_validity
    if timestamp is not None:
        if not (timestamp.intact and timestamp.valid):
            return ("altered", "the signature's timestamp does not match the signature"), details
        note = "" if timestamp.trusted else " (the timestamp authority is not among the given roots)"
        details["timestamp"] = timestamp.timestamp.isoformat(timespec="seconds") + note
    return None, details


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
    except (UnknownKeyError, BadSignatureError) as exc:
        return Verdict("not_ours", None, f"QR token: {exc}", details)
    except (TokenFormatError, UnicodeDecodeError) as exc:
        return Verdict("invalid", None, f"QR token: {exc}", details)
    number = claims["n"]
    details.update(describe_claims(claims))
    if claims["k"].hex() != details["signing key id"]:
        message = f"the QR token names signing key {claims['k'].hex()}, but the PDF is signed with another one"
        return Verdict("not_ours", number, message, details)
    if claims["h"] != hashlib.sha256(snapshot).digest():
        message = "the QR token does not belong to this document (the attached snapshot has another hash)"
        return Verdict("invalid", number, message, details)
    if revocations is None:
        details["revocation"] = "not checked"
        return Verdict("authentic", number, "issued by the laboratory and unchanged", details)
    details["revocation list issued at"] = str(revocations.get("issued_at", "unknown"))
    for item in revocations["revoked"]:
        if item["number"] == number:
            return Verdict("revoked", number, f"revoked on {item['at']}: {item['reason']}", details)
    for item in revocations["superseded"]:
        if item["number"] == number:
            return Verdict("superseded", number, f"superseded on {item['at']} by certificate {item['by']}", details)
    return Verdict("authentic", number, "issued by the laboratory, unchanged and current", details)


def describe_claims(claims: dict) -> dict[str, str]:
    """The token's claims in words, for people reading a verdict."""
    return {
        "certificate number": claims["n"],
        "issuer": claims["i"],
        "lot": claims["l"],
        "material": claims["m"],
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


def load_published_keys(directory: Path, *, require_revocations: bool = True) -> tuple[list, dict, dict | None]:
    """(trust roots, token keys, revocation list payload) from a directory of published material."""
    trust_roots = x509.load_pem_x509_certificates((directory / "root.pem").read_bytes())
    token_keys = parse_token_keys(json.loads((directory / "token-keys.json").read_text()))
    revocations_file = directory / "revocations.json"
    if not revocations_file.exists():
        if require_revocations:
            raise FileNotFoundError(f"{revocations_file} is missing (use --skip-revocation to verify without it)")
        return trust_roots, token_keys, None
    return trust_roots, token_keys, load_revocation_list(json.loads(revocations_file.read_text()), token_keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify a Certificate of Analysis offline against the laboratory's published keys.",
        epilog="Exit status: 0 authentic, 3 revoked, 4 superseded, 5 not ours, 6 altered, 7 invalid, 8 keys unusable.",
    )
    parser.add_argument("pdf", type=Path, help="the certificate PDF")
    parser.add_argument(
        "--keys", type=Path, required=True, help="directory with root.pem, token-keys.json, revocations.json"
    )
    parser.add_argument("--skip-revocation", action="store_true", help="verify without a revocation list")
    args = parser.parse_args(argv)
    # pyHanko logs every failed check as a warning; the verdict below already says what failed.
    logging.basicConfig(level=logging.ERROR)
    try:
        data = args.pdf.read_bytes()
    except OSError as exc:
        parser.error(str(exc))
    try:
        trust_roots, token_keys, revocations = load_published_keys(
            args.keys, require_revocations=not args.skip_revocation
        )
    except (OSError, ValueError) as exc:
        print(f"CANNOT VERIFY: the published keys in {args.keys} cannot be used: {exc}")
        return EXIT_KEYS
    verdict = verify_pdf(data, trust_roots=trust_roots, token_keys=token_keys, revocations=revocations)
    print(f"{verdict.status.upper()}: {verdict.number or 'unknown certificate'}: {verdict.message}")
    for name, value in verdict.details.items():
        print(f"  {name}: {value}")
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
