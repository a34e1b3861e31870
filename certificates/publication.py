"""What the laboratory publishes for verifiers, and who makes it where.

Published: the trust roots (root.pem), the QR-token keys (token-keys.json), the key set (keys.json:
every key, its kind and state, signed by the status key), the status list (revocations.json:
revoked and superseded numbers with issued_at, next_update and a sequence number, signed by the
status key; certificates.status_list says why a plain list), and the standalone verifier.

Who signs: publish(), run by the Celery task certificates.tasks.publish_status (beat every
LIMS_STATUS_PUBLISH_SECONDS, and sent after the commit of every issue, revocation and supersession,
so a list is fresh at once). It holds the status key and writes both documents to Django's
default storage as numbered, never-overwritten files (published/keys-<n>.json,
published/revocations-<n>.json, and published/root-<n>.pem), n being the publication's sequence
number (lims.models.Sequence "status-<LAB>"), taken and written under that counter's row lock, so
two publications never interleave and a later one always has the higher number. The web processes
read the counter (one indexed row) and serve the files with that number: they never sign, hold no
private key, and a reader never sees a half-written file. Old publications stay in storage, as a
history of what verifiers were told.

What the web reads besides: public keys from the SigningKey table (stored with the data, so a backup
restores verification) and from published/ on disk; trust roots from the published root.pem and
published/roots/. Each publication's root.pem carries every root published before it, so the trust
roots live in storage with the certificates' PDFs and a database-plus-storage backup restores them
without var/keys (the roots are not copied into the database: storage already holds every published
file, and it keeps the certificates app's migrations out of this). The key states (retired, compromised from a date) come from the SigningKey
table: compromise() is the portal's rule, the kit's is verifier._compromised.
"""

import base64
import contextlib
import json
import logging
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import keys, status_list, transparency, verifier
from certificates.models import Certificate, SigningKey
from lims.models import Sequence

logger = logging.getLogger(__name__)
S = Certificate.Status
PUBLISHED_MAX_AGE = 60  # seconds a client may keep a published file before asking again
_FILES = {"keys": "published/keys-{n:08d}.json", "revocations": "published/revocations-{n:08d}.json",
          "root": "published/root-{n:08d}.pem"}  # fmt: skip


class VerificationUnavailable(Exception):
    """The laboratory's public keys are not here: nothing can be verified by signature."""


class NotPublished(VerificationUnavailable):
    """The key set and status list have not been published yet (no publication task has run)."""


def _sequence_key() -> str:
    return f"status-{settings.LIMS_LAB_CODE}"


# What the web reads -------------------------------------------------------------------------------


def token_keys() -> dict[str, Ed25519PublicKey]:
    """Every QR-token public key of the laboratory: those on record in the SigningKey table (a token
    signed with a retired key still verifies after its file is gone) and those in published/. A
    record whose key id does not match its key is ignored. Never reads a private key (with
    development keys on, the development token key is made if missing, as `make run` expects)."""
    found = _recorded(SigningKey.Kind.TOKEN)
    with contextlib.suppress(keys.KeyConfigurationError):  # none published: the register's may do
        found.update(keys.published_token_keys())
    if not found:
        raise VerificationUnavailable("no QR-token public key is on record or published")
    return found


def _recorded(kind: str) -> dict[str, Ed25519PublicKey]:
    found = {}
    for kid, pem in SigningKey.objects.filter(kind=kind).values_list("kid", "public_pem"):
        try:
            public_key = serialization.load_pem_public_key(pem.encode())
        except ValueError:
            continue
        if isinstance(public_key, Ed25519PublicKey) and verifier.key_id(public_key) == kid:
            found[kid] = public_key
    return found


def trust_roots() -> list[x509.Certificate]:
    """The trust roots of PDF signatures: the published root.pem (written by the publication task)
    and published/roots/ on disk (with development keys on, the development roots are made if
    missing)."""
    roots = {}
    try:
        published = x509.load_pem_x509_certificates(published_file("root"))
    except (NotPublished, ValueError):
        published = []
    try:
        on_disk = keys.trust_roots()
    except keys.KeyConfigurationError:
        on_disk = []
    for root in [*published, *on_disk]:
        roots[root.fingerprint(hashes.SHA256())] = root
    if not roots:
        raise VerificationUnavailable("no trust root is published: run the publication task (manage.py publish_status)")
    return list(roots.values())


def trust_roots_pem() -> bytes:
    """root.pem of the offline kit: every trust root, current and retired."""
    return b"".join(root.public_bytes(serialization.Encoding.PEM) for root in trust_roots())


def token_keys_document() -> dict[str, str]:
    """token-keys.json: {key id: base64 raw Ed25519 public key}, retired keys included."""
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return {kid: base64.b64encode(key.public_bytes(*raw)).decode() for kid, key in sorted(token_keys().items())}


def signing_key_pem(kid: str) -> str | None:
    """The recorded public material of one key (a PDF signing certificate, a token or status key)."""
    return SigningKey.objects.filter(kid=kid).values_list("public_pem", flat=True).first()


def published_signing_keys() -> list[dict]:
    fields = ("kid", "kind", "subject", "state", "retired_at", "compromised_from")
    return [dict(key) for key in SigningKey.objects.order_by("kind", "-first_used_at").values(*fields)]


def verifier_source() -> bytes:
    """The standalone verifier, served as it is: the offline kit's only program."""
    return Path(verifier.__file__).read_bytes()


def witness_source() -> bytes:
    """The standalone witness of the transparency log, served as it is."""
    return Path(verifier.__file__).with_name("witness.py").read_bytes()


def published_file(name: str) -> bytes:
    """The latest published "keys", "revocations" or "root" file, as the publication task wrote it."""
    number = Sequence.objects.filter(key=_sequence_key()).values_list("value", flat=True).first()
    if not number:
        raise NotPublished("the key set and status list have not been published yet (manage.py publish_status)")
    with default_storage.open(_FILES[name].format(n=number), "rb") as file:
        return file.read()


def compromised_keys() -> dict[str, datetime | None]:
    """{key id: compromised from (None: from the start)} of every key marked compromised."""
    rows = SigningKey.objects.filter(state=SigningKey.State.COMPROMISED).values_list("kid", "compromised_from")
    return dict(rows)


def compromise(*, number: str, signing_kid: str, signed_at: datetime | None) -> str:
    """Why a registered certificate is not valid because a key that signed it was compromised at
    the time, or "". `signed_at` is when the laboratory signed it (the register's issue time: the
    register is the laboratory's own record); None counts as after any date. One query when no key
    is compromised (the usual case), two otherwise."""
    compromised = compromised_keys()
    if not compromised:
        return ""
    token_kid = Certificate.objects.filter(number=number).values_list("token_kid", flat=True).first() or ""
    for kid in (signing_kid, token_kid):
        if kid in compromised:
            since = compromised[kid]
            if since is None or signed_at is None or signed_at >= since:
                return _(
                    "Not valid: key compromised. Key %(kid)s, which signed certificate %(number)s, is compromised "
                    "from %(since)s."
                ) % {
                    "kid": kid,
                    "number": number,
                    "since": f"{timezone.localtime(since):%Y-%m-%d %H:%M %Z}" if since else _("its first use"),
                }
    return ""


# What the worker does ----------------------------------------------------------------------------


def request_publication() -> None:
    """Publish again after the current transaction commits (a certificate was issued, revoked or
    superseded, or a key changed state). Safe when the broker is down: beat publishes anyway."""
    transaction.on_commit(_send, robust=True)


def _send() -> None:
    from certificates.tasks import publish_status

    try:
        publish_status.apply_async()
    except Exception:
        logger.exception("could not send the publication task; beat will publish on schedule")


def record_key(kid: str, kind: str, public_pem: str, subject: str = "") -> SigningKey:
    """The SigningKey row of a key about to sign; refuses a key the laboratory has retired or marked
    compromised: signing with it would make certificates (or lists) no verifier should accept. A key
    recorded here for the first time gets its key-added leaf in the transparency log, in the same
    transaction (the caller's: the issue, the publication, the checkpoint)."""
    with transaction.atomic():
        record, created = SigningKey.objects.get_or_create(
            kid=kid, defaults={"kind": kind, "public_pem": public_pem, "subject": subject}
        )
        if created:
            transparency.log_key(record, "key-added", record.first_used_at)
    if record.state != SigningKey.State.CURRENT:
        raise keys.KeyConfigurationError(
            f"the configured {record.get_kind_display()} key {kid} is {record.state}: "
            "configure the new key (manage.py rotate_key) before signing again"
        )
    return record


@transaction.atomic
def publish() -> int:
    """Sign and store a new key set and status list (and root.pem) in one transaction; returns the
    publication's sequence number. Needs the status key: Celery worker or management command only.
    It writes files while holding the counter's row lock, on purpose (see the module docstring)."""
    status_key = keys.load_status_key()
    # Every root published before stays in the new root.pem (they live in storage with the files, so
    # a database-plus-storage backup restores them), besides those of this installation's keys.
    roots = trust_roots_pem()
    public_pem = status_key.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record_key(status_key.kid, SigningKey.Kind.STATUS, public_pem.decode())
    number = Sequence.next_value(_sequence_key())  # locks the row until commit: publications queue here
    now = timezone.now()
    key_set = status_list.sign_key_set(
        issuer=settings.LIMS_LAB_CODE, sequence=number, issued_at=now, keys=_key_entries(),
        key=status_key.key, kid=status_key.kid,
    )  # fmt: skip
    revoked, superseded = _withdrawn()
    signed_list = status_list.sign_status_list(
        issuer=settings.LIMS_LAB_CODE, sequence=number, issued_at=now,
        validity=settings.LIMS_STATUS_LIST_VALIDITY, revoked=revoked, superseded=superseded,
        key=status_key.key, kid=status_key.kid,
    )  # fmt: skip
    for name, content in (("keys", _json(key_set)), ("revocations", _json(signed_list)), ("root", roots)):
        path = _FILES[name].format(n=number)
        default_storage.delete(path)  # a rolled-back attempt's leftover under the same number
        default_storage.save(path, ContentFile(content))
    return number


def _json(obj) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode()


def _key_entries() -> list[dict]:
    entries = []
    for record in SigningKey.objects.order_by("kind", "first_used_at"):
        try:
            pem = record.public_pem.encode()
            public_key = (
                x509.load_pem_x509_certificate(pem).public_key()
                if record.kind == SigningKey.Kind.PDF
                else serialization.load_pem_public_key(pem)
            )
        except ValueError:
            public_key = None
        if public_key is None or verifier.key_id(public_key) != record.kid:
            logger.error("signing key record %s does not hold its public key: left out of the key set", record.kid)
            continue
        entries.append(
            {
                "kid": record.kid,
                "kind": record.kind,
                "state": record.state,
                "compromised_from": record.compromised_from,
                "public": record.public_pem,
            }
        )
    return entries


def _withdrawn() -> tuple[list[dict], list[dict]]:
    def iso(moment):
        return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""

    revoked = Certificate.objects.filter(status=S.REVOKED).order_by("number")
    superseded = Certificate.objects.filter(status=S.SUPERSEDED).order_by("number")
    return (
        [
            {"number": number, "at": iso(at), "reason": reason}
            for number, at, reason in revoked.values_list("number", "revoked_at", "revocation_reason")
        ],
        [
            {"number": number, "by": by or "", "at": iso(at)}
            for number, at, by in superseded.values_list("number", "superseded_at", "superseded_by__number")
        ],
    )
