"""JSON Web Signatures (RFC 7515) with Ed25519 (alg "EdDSA", RFC 8037), as the exchange uses them:

- a certificate record: the compact serialisation `header.payload.signature`, the header
  {"alg": "EdDSA", "kid": <status key id>, "typ": RECORD_TYPE};
- a pushed message: a detached signature over the request body (RFC 7515 appendix F), sent as the
  header `X-Lims-Signature: <header>..<signature>`; the receiver puts base64url(body) between the
  two dots and verifies the result as a compact JWS.

The key is the laboratory's status key (certificates.keys.load_status_key: Celery workers of queue
"default" only); anyone verifies with the "status" key of that kid in the published key set
(/verify/keys/keys.json). No JOSE library: what is signed is a few lines and fixed.
"""

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

RECORD_TYPE = "lims-certificate-record+jws"
MESSAGE_TYPE = "lims-push-message+jws"


class InvalidJws(ValueError):
    """Not a JWS of ours, or its signature does not verify."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidJws("not base64url") from exc


def _header(kid: str, typ: str) -> str:
    return b64url(json.dumps({"alg": "EdDSA", "kid": kid, "typ": typ}, separators=(",", ":")).encode())


def sign_compact(payload: bytes, *, key: Ed25519PrivateKey, kid: str, typ: str = RECORD_TYPE) -> str:
    signing_input = f"{_header(kid, typ)}.{b64url(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def sign_detached(body: bytes, *, key: Ed25519PrivateKey, kid: str, typ: str = MESSAGE_TYPE) -> str:
    """`header..signature`: the compact JWS of `body` without its payload."""
    header, _payload, signature = sign_compact(body, key=key, kid=kid, typ=typ).split(".")
    return f"{header}..{signature}"


def header_of(token: str) -> dict:
    try:
        header = json.loads(b64url_decode(token.split(".")[0]))
    except ValueError as exc:
        raise InvalidJws("the header is not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or not isinstance(header.get("kid"), str):
        raise InvalidJws("not an EdDSA JWS with a kid")
    return header


def verify_compact(token: str, keys: dict[str, Ed25519PublicKey]) -> tuple[dict, bytes]:
    """(header, payload) of a compact JWS signed by one of `keys` (by kid); InvalidJws otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidJws("a compact JWS has three parts")
    header = header_of(token)
    key = keys.get(header["kid"])
    if key is None:
        raise InvalidJws(f"unknown key id {header['kid']}")
    try:
        key.verify(b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as exc:
        raise InvalidJws("the signature does not verify") from exc
    return header, b64url_decode(parts[1])


def verify_detached(signature: str, body: bytes, keys: dict[str, Ed25519PublicKey]) -> dict:
    """The header of a detached JWS over `body`; InvalidJws otherwise."""
    header, empty, sig = [*signature.split("."), "", ""][:3]
    if empty or not sig:
        raise InvalidJws("a detached JWS is header..signature")
    return verify_compact(f"{header}.{b64url(body)}.{sig}", keys)[0]
