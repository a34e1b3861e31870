"""The two signed files that tell verifiers what is true now: the key set (keys.json) and the status
list (revocations.json), signed with the laboratory's status key (Ed25519). Only signing lives here;
reading and checking is certificates.verifier's (load_key_set, load_status_list), which the offline
kit runs without the LIMS. certificates.publication builds them from the register and stores them.

Why a plain signed list of numbers, not a W3C Bitstring Status List: a bitstring serves issuers of
millions of credentials, and hides from the issuer which credential a verifier checks (everyone
downloads the same compressed bits). Here the whole list is downloaded anyway (the offline kit
keeps it), withdrawals are rare (a few a year against thousands of certificates), and an inspector
needs what a bit cannot say: the date and reason of a revocation and the number of the certificate
that supersedes another. A bitstring would also need a status index in every QR token (which is
kept short) and an index space across years. So the list names revoked and superseded numbers,
with their dates and reasons, and carries what makes it a CRL: issued_at, next_update and a
sequence number that only grows.
"""

import base64
import json
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.verifier import KEY_SET, STATUS_LIST, canonical_json, load_key_set, load_status_list


def _sign(payload: dict, key: Ed25519PrivateKey, kid: str) -> dict:
    """``{"payload", "kid", "signature"}``: the Ed25519 signature (base64url) over
    canonical_json(payload); datetimes and Decimals become strings first, so the published payload is
    exactly what was signed."""
    plain = json.loads(canonical_json(payload))
    signature = base64.urlsafe_b64encode(key.sign(canonical_json(plain))).rstrip(b"=").decode("ascii")
    return {"payload": plain, "kid": kid, "signature": signature}


def _utc(moment: datetime) -> str:
    """Published times are UTC, to the second."""
    if moment.tzinfo is None:
        raise ValueError("a published time needs its time zone")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sign_key_set(
    *, issuer: str, sequence: int, issued_at: datetime, keys: list[dict], key: Ed25519PrivateKey, kid: str
) -> dict:
    """keys.json. `keys`: ``[{"kid", "kind", "state", "compromised_from" (datetime or None), "public"
    (PEM)}]``, the signing status key among them. Refuses to sign a set the kit would refuse."""
    payload = {
        "type": KEY_SET,
        "issuer": issuer,
        "sequence": sequence,
        "issued_at": _utc(issued_at),
        "keys": [
            {**entry, "compromised_from": _utc(entry["compromised_from"]) if entry.get("compromised_from") else ""}
            for entry in keys
        ],
    }
    signed = _sign(payload, key, kid)
    load_key_set(signed)
    return signed


def sign_status_list(
    *,
    issuer: str,
    sequence: int,
    issued_at: datetime,
    validity: timedelta,
    revoked: list[dict],
    superseded: list[dict],
    key: Ed25519PrivateKey,
    kid: str,
) -> dict:
    """revocations.json: `revoked` ``[{"number", "at", "reason"}]``, `superseded` ``[{"number",
    "by", "at"}]``; next_update is issued_at + validity. Refuses to sign a list the kit would refuse."""
    payload = {
        "type": STATUS_LIST,
        "issuer": issuer,
        "sequence": sequence,
        "issued_at": _utc(issued_at),
        "next_update": _utc(issued_at + validity),
        "revoked": revoked,
        "superseded": superseded,
    }
    signed = _sign(payload, key, kid)
    load_status_list(signed, {kid: key.public_key()})
    return signed
