"""The signed record of a certificate: its public content and status, as a compact JWS signed with
the laboratory's status key. Made by a Celery worker (queue "default", exchange.outbox) after each
certificate event it reads (issued, revoked, superseded), stored (SignedRecord), and served by the web,
which holds no private key (exchange.api).

What it states is what the public verification portal shows by number alone
(certificates.verification, disclosure PUBLIC: number, title, issue date, laboratory, the lot's
number, material and HS code, the languages, the number an amendment replaces), in English, plus
the register's facts: status, the withdrawal's date and reason, the amendment's number, the hashes of
the snapshot and of the PDF. Never the customer, masses, assays or results: a customs system that
needs those has the certificate itself (its QR code, its PDF), which it checks by the portal.

A record states the register as it was at `signed_at`, whichever event prompted it: the API answer
carries the live status beside it, and the next event brings a new record.

Payload (canonical JSON, certificates.verifier.canonical_json):

    {"type": "lims.certificate-record", "v": 1, "issuer": <LIMS_LAB_CODE>, "number": ...,
     "status": "issued" | "revoked" | "superseded", "verdict": <the portal's verdict>,
     "issued_at": <UTC>, "revoked": {"at", "reason"} | null, "superseded": {"at", "by"} | null,
     "snapshot_sha256": ..., "pdf_sha256": ..., "certificate": <the public statement>,
     "signed_at": <UTC>}
"""

from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.utils import timezone, translation

from certificates import keys, publication, verification
from certificates.models import Certificate, CertificateEvent, SigningKey
from certificates.verifier import canonical_json
from exchange import jws
from exchange.models import SignedRecord

RECORD_TYPE = "lims.certificate-record"


def utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def status_key() -> keys.TokenKey:
    """The status key, recorded (and refused when retired or compromised) before it signs: worker only."""
    key = keys.load_status_key()
    public_pem = key.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    publication.record_key(key.kid, SigningKey.Kind.STATUS, public_pem.decode())
    return key


def payload(certificate: Certificate, *, signed_at: datetime) -> dict:
    with translation.override("en"):
        check = verification.check_number_at(certificate.number or "", verification.PUBLIC)
    by = Certificate.objects.filter(supersedes=certificate).values_list("number", flat=True).first()
    S = Certificate.Status
    return {
        "type": RECORD_TYPE,
        "v": 1,
        "issuer": settings.LIMS_LAB_CODE,
        "number": certificate.number,
        "status": certificate.status,
        "verdict": check.verdict,
        "issued_at": utc(certificate.issued_at),
        "revoked": {"at": utc(certificate.revoked_at), "reason": certificate.revocation_reason}
        if certificate.status == S.REVOKED
        else None,
        "superseded": {"at": utc(certificate.superseded_at), "by": by} if certificate.status == S.SUPERSEDED else None,
        "snapshot_sha256": certificate.snapshot_sha256,
        "pdf_sha256": certificate.pdf_sha256,
        "certificate": check.statement,
        "signed_at": utc(signed_at),
    }


def sign_record(event: CertificateEvent, key: keys.TokenKey) -> SignedRecord:
    """Sign the record of the event's certificate as the register has it now, and store it. Worker
    only (the key); in the caller's transaction."""
    certificate = Certificate.objects.get(pk=event.certificate_id)
    signed_at = timezone.now().replace(microsecond=0)
    token = jws.sign_compact(canonical_json(payload(certificate, signed_at=signed_at)), key=key.key, kid=key.kid)
    return SignedRecord.objects.create(
        certificate=certificate, event=event, status=certificate.status, signed_at=signed_at, kid=key.kid, jws=token
    )
