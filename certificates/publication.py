"""What the laboratory publishes for verifiers: its trust roots, its QR-token keys (current and
retired), the signed list of revoked and superseded certificates, and the standalone verifier. The
offline kit is made of these files; the verification portal (certificates.verification) checks
with the same keys.
"""

import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from certificates import keys, tokens, verifier
from certificates.models import Certificate, SigningKey

S = Certificate.Status
REVOCATION_LIST_MAX_AGE = 60  # seconds a signed revocation list is served from the cache
_REVOCATION_CACHE_KEY = "verify:revocations:{kid}"


class VerificationUnavailable(Exception):
    """The laboratory's keys are not configured here: nothing can be verified by signature or published."""


def token_keys() -> dict[str, Ed25519PublicKey]:
    """Every QR-token public key of the laboratory: the configured and published ones (certificates.keys)
    and those on record in the SigningKey table, so that a token signed with a retired key still
    verifies after its file is gone. A record whose key id does not match its key is ignored."""
    found = {}
    for kid, pem in SigningKey.objects.filter(kind=SigningKey.Kind.TOKEN).values_list("kid", "public_pem"):
        try:
            public_key = serialization.load_pem_public_key(pem.encode())
        except ValueError:
            continue
        if isinstance(public_key, Ed25519PublicKey) and verifier.key_id(public_key) == kid:
            found[kid] = public_key
    try:
        found.update(keys.published_token_keys())
    except keys.KeyConfigurationError as exc:
        if not found:
            raise VerificationUnavailable(str(exc)) from exc
    return found


def trust_roots() -> list[x509.Certificate]:
    try:
        return keys.trust_roots()
    except keys.KeyConfigurationError as exc:
        raise VerificationUnavailable(str(exc)) from exc


def trust_roots_pem() -> bytes:
    """root.pem of the offline kit: every trust root, current and retired."""
    return b"".join(root.public_bytes(serialization.Encoding.PEM) for root in trust_roots())


def token_keys_document() -> dict[str, str]:
    """token-keys.json of the offline kit: {key id: base64 raw Ed25519 public key}, as
    keys.export_public_material writes it, with the retired keys on record."""
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return {kid: base64.b64encode(key.public_bytes(*raw)).decode() for kid, key in sorted(token_keys().items())}


def signing_key_pem(kid: str) -> str | None:
    """The recorded public material of one key (a PDF signing certificate or a token key), by key id."""
    return SigningKey.objects.filter(kid=kid).values_list("public_pem", flat=True).first()


def published_signing_keys() -> list[dict]:
    return [dict(key) for key in SigningKey.objects.order_by("kind", "-first_used_at").values("kid", "kind", "subject")]


def verifier_source() -> bytes:
    """The standalone verifier, served as it is: the offline kit's only program."""
    return Path(verifier.__file__).read_bytes()


def revocation_list() -> dict:
    """The signed list of revoked and superseded certificate numbers (verifier.load_revocation_list
    accepts it), built from the register and served from the cache for REVOCATION_LIST_MAX_AGE
    seconds: a revocation reaches the list within that time. Signing needs the token key's private
    half in the web process."""
    try:
        token_key = keys.load_token_key()
    except keys.KeyConfigurationError as exc:
        raise VerificationUnavailable(str(exc)) from exc
    cache_key = _REVOCATION_CACHE_KEY.format(kid=token_key.kid)
    signed = cache.get(cache_key)
    if signed is None:
        signed = tokens.sign_revocation_list(revocation_payload(), token_key.key, token_key.kid)
        cache.set(cache_key, signed, REVOCATION_LIST_MAX_AGE)
    return signed


def revocation_payload() -> dict:
    def iso(moment):
        return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""

    revoked = Certificate.objects.filter(status=S.REVOKED).order_by("number")
    superseded = Certificate.objects.filter(status=S.SUPERSEDED).order_by("number")
    return {
        "issuer": settings.LIMS_LAB_CODE,
        "issued_at": iso(timezone.now()),
        "revoked": [
            {"number": number, "at": iso(at), "reason": reason}
            for number, at, reason in revoked.values_list("number", "revoked_at", "revocation_reason")
        ],
        "superseded": [
            {"number": number, "by": by or "", "at": iso(at)}
            for number, at, by in superseded.values_list("number", "superseded_at", "superseded_by__number")
        ],
    }
