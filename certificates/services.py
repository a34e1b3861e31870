"""Every write to certificates goes through a function here (conventions as in samples.services).

Issuing, step by step (DESIGN.md, pipeline):
1. certificate_request (lab manager), in a language pair (certificates.languages): checks that the
   sample's panel is complete with approved results, that every run behind them cleared QC and that
   the custody chain verifies; freezes the snapshot; creates the certificate as pending, all in one transaction; the issue task is sent
   after commit. If the broker is down then, the periodic sweep sends it later.
2. certificate_issue_unsafe (the Celery task, any number of times, never inside a transaction): claims the certificate, gives it its
   number and issue date the first time, renders, signs, stores the PDF and marks it issued.

Numbers are `<LAB>-<year>-<6 digits>`, consecutive per laboratory and year. A number is drawn from a
locked counter (lims.models.Sequence) in the transaction that claims the certificate, and belongs to
that certificate for good: a rendering that fails is retried with the same number and date, so the
register has neither a duplicate nor a gap, however many workers issue at once.

Idempotence: the claim records the task id. A redelivered message (a worker died: acks_late and
reject_on_worker_lost) has the same id and resumes; another task leaves a certificate alone while its
claim's heartbeat is younger than the lease (LIMS_CLAIM_LEASE_SECONDS: the working task refreshes
claimed_at every quarter of it, so only a dead worker's claim ages; the sweep then sends the
certificate again, within a minute or two of the death rather than the 17 minutes of the old
time-limit lease). The PDF of an attempt is stored under a name of its own and recorded only by the attempt that
marks the certificate issued, so an issued certificate has exactly one PDF and one number, and running
the task again changes nothing.
"""

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assays.models import Result
from assays.selectors import panel_complete
from certificates import codes, document, keys, publication, signing, tokens, transparency
from certificates import languages as certificate_languages
from certificates import snapshot as snapshots
from certificates.models import Certificate, CertificateEvent, SigningKey
from lims import notifications, permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError, Conflict
from lims.lib import text
from lims.models import NotificationKind, Sequence, User
from samples import chain
from samples.models import Sample

logger = logging.getLogger(__name__)
S = Certificate.Status
# A claim whose heartbeat is older than this belongs to a dead worker (killed, out of memory): the
# issuing task refreshes claimed_at every quarter of it (_heartbeat), so only a dead one lets it age.
# It used to be the hard time limit plus a minute: a killed worker's certificates waited 17 minutes.
LEASE = timedelta(seconds=settings.LIMS_CLAIM_LEASE_SECONDS)
# A pending certificate not picked up within this time is sent again by the sweep.
REDISPATCH_AFTER = timedelta(minutes=2)


def _public_status_changed(*numbers: str | None) -> None:
    """The verification portal keeps a certificate's state for a moment; tell it after commit, and
    publish a new status list. A certificate without a number yet is not in the register: nothing
    to forget."""
    from certificates.verification import forget_register_state

    known = [number for number in numbers if number]
    transaction.on_commit(partial(forget_register_state, *known), robust=True)
    # The signed status list too, at once rather than at beat's next run (certificates.publication).
    publication.request_publication()


def _event(certificate: Certificate, action: str, actor: User | None = None, note: str = "") -> None:
    CertificateEvent.objects.create(certificate=certificate, action=action, actor=actor, note=note)


def dispatch(certificate_id: int) -> None:
    """Send the issue task. Safe to call when the broker is down: the failure is logged and the sweep
    sends the certificate again (dispatched_at stays old)."""
    from certificates.tasks import issue_certificate

    try:
        issue_certificate.apply_async(args=[certificate_id])
    except Exception:
        logger.exception("could not send the issue task of certificate %s; the sweep will retry", certificate_id)
        return
    Certificate.objects.filter(pk=certificate_id).update(dispatched_at=timezone.now())


def _notify(certificate: Certificate, kind: NotificationKind) -> None:
    """Lab managers and the people of the lot's exporter hear that a certificate was issued or failed
    (lims.notifications; the exporter's text names the lot and sample, never a failure's reason)."""
    sample = Sample.objects.select_related("lot__exporter").get(pk=certificate.sample_id)
    notifications.notify(
        kind=kind, recipients=[*permissions.lab_managers(), *permissions.exporter_people(sample.lot.exporter)],
        about=certificate, link=reverse("certificate_detail", kwargs={"cert_pk": certificate.pk}),
        data={"number": certificate.number or "", "lot": sample.lot.lot_number, "sample": sample.code},
    )  # fmt: skip


def _dispatch_on_commit(certificate: Certificate) -> None:
    transaction.on_commit(partial(dispatch, certificate.pk), robust=True)


def _check_certifiable(sample: Sample) -> None:
    """Only a complete, approved, QC-cleared panel of a sample with an intact custody chain is
    certified; each refusal says what is missing."""
    if sample.status != Sample.Status.REPORTED or not panel_complete(sample):
        raise Conflict(
            _("%(code)s is not reported: every analyte of its panel needs an approved result first.")
            % {"code": sample.code},
            field="sample",
        )
    uncleared = (
        Result.objects.filter(sample=sample, status=Result.Status.APPROVED, run__isnull=False)
        .exclude(run__qc_status__in=["passed", "overridden"])
        .values_list("run_id", flat=True)
        .distinct()
    )
    if uncleared:
        raise Conflict(
            _("Run(s) %(runs)s behind %(code)s did not clear QC.")
            % {"runs": ", ".join(map(str, uncleared)), "code": sample.code},
            field="sample",
        )
    report = chain.verify(sample)
    if not report.intact:
        raise Conflict(
            _("The custody chain of %(code)s is broken at event %(event)s (%(reason)s); it cannot be certified.")
            % {"code": sample.code, "event": report.broken_at, "reason": report.explanation},
            field="sample",
        )


def _create(
    *,
    actor: User,
    sample: Sample,
    languages: tuple[str, str],
    supersedes: Certificate | None = None,
    reason: str = "",
) -> Certificate:
    amendment: snapshots.Amendment | None = None
    if supersedes is not None:
        if supersedes.number is None:
            raise ValueError(f"certificate {supersedes.pk} has no number: only an issued certificate is amended")
        amendment = {"supersedes": supersedes.number, "reason": reason}
    snapshot = snapshots.build(sample=sample, authoriser=actor, amendment=amendment, languages=languages)
    if amendment is not None and supersedes is not None:
        # The differences need both snapshots, so they join the amendment once the new one is built.
        amendment["changes"] = snapshots.differences(supersedes.snapshot, dict(snapshot))
    certificate = Certificate.objects.create(
        sample=sample,
        snapshot=snapshot,
        snapshot_sha256=tokens.snapshot_sha256(snapshot),
        supersedes=supersedes,
        amendment_reason=reason,
        requested_by=actor,
    )
    _event(certificate, "requested", actor, reason)
    _dispatch_on_commit(certificate)
    return certificate


def _language_pair(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, str]:
    """The pair asked for ("kk,ru"), or the configured default; an ApplicationError (field
    "languages") for one certificates are not issued in."""
    if not value:
        return certificate_languages.default()
    try:
        return certificate_languages.parse(value)
    except certificate_languages.LanguageError as refused:
        raise ApplicationError(
            _("A certificate is issued in Russian and English, Kazakh and Russian, or Kazakh and English."),
            field="languages",
        ) from refused


@transaction.atomic
def certificate_request(
    *, actor: User, sample: Sample, languages: str | list[str] | tuple[str, ...] | None = None
) -> Certificate:
    """Ask for the certificate of a reported sample, in a language pair (primary first; the configured
    default when none is given: certificates.languages). The snapshot is frozen now; the worker issues it."""
    permissions.require(actor, "certificate.request", sample)
    pair = _language_pair(languages)
    sample = Sample.objects.select_for_update(of=("self",)).select_related("lot").get(pk=sample.pk)
    existing = sample.certificates.filter(status__in=Certificate.LIVE).first()
    if existing is not None:
        raise Conflict(
            _("%(code)s already has certificate %(number)s (%(status)s); amend it instead of requesting another.")
            # The number, or "#pk" before it has one: str(existing) carries the status too and named it twice.
            % {
                "code": sample.code,
                "number": existing.number or f"#{existing.pk}",
                "status": existing.get_status_display().lower(),
            },
            field="sample",
        )
    _check_certifiable(sample)
    certificate = _create(actor=actor, sample=sample, languages=pair)
    audit_record(
        actor=actor,
        action=AuditAction.CERTIFICATE_REQUEST,
        obj=certificate,
        data={"sample": sample.code, "languages": certificate_languages.value(pair)},
    )
    return certificate


@transaction.atomic
def certificate_amend(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    """Issue a new certificate that replaces an issued one (ISO/IEC 17025 7.8.8): it cites the old
    number and states what changed (computed from the two snapshots) and why. The old one becomes
    superseded when the amendment is issued, not before, so a current certificate exists throughout."""
    permissions.require(actor, "certificate.amend", certificate)
    reason = _printable_reason(reason)
    if not reason:
        raise ApplicationError(_("Say what changed and why."), field="reason")
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    Certificate.LIFECYCLE.require_transition(certificate, "amend")
    if Certificate.objects.filter(supersedes=certificate).exists():
        raise Conflict(_("An amendment of %(number)s is already under way.") % {"number": certificate.number})
    sample = Sample.objects.select_for_update(of=("self",)).get(pk=certificate.sample_id)
    _check_certifiable(sample)
    # The correction reads like the document it corrects: the same pair (a certificate from before
    # pairs, English alone, is amended in the default pair).
    stated = certificate_languages.of(certificate.snapshot)
    pair = _language_pair(stated) if len(stated) == 2 else certificate_languages.default()
    amendment = _create(actor=actor, sample=sample, supersedes=certificate, reason=reason, languages=pair)
    audit_record(
        actor=actor, action=AuditAction.CERTIFICATE_AMEND, obj=amendment, data={"supersedes": certificate.number}
    )
    return amendment


def _printable_reason(reason: str) -> str:
    """A reason as it goes onto the amendment or into the signed status list: stripped, lines kept,
    refused (field "reason") with the character named when a certificate cannot print it."""
    try:
        return text.clean(reason, multiline=True)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], field="reason") from exc


@transaction.atomic
def certificate_revoke(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    """Withdraw an issued certificate, for a reason that the verification portal and the signed status
    list show (so it is printable text: lims.lib.text)."""
    permissions.require(actor, "certificate.revoke", certificate)
    reason = _printable_reason(reason)
    if not reason:
        raise ApplicationError(_("Give the reason for the revocation; inspectors will read it."), field="reason")
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    certificate.status = Certificate.LIFECYCLE.require_transition(certificate, "revoke")
    certificate.revoked_at, certificate.revoked_by, certificate.revocation_reason = timezone.now(), actor, reason
    certificate.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    _event(certificate, "revoked", actor, reason)
    transparency.log_certificate(certificate, "revoked")
    _public_status_changed(certificate.number)
    audit_record(actor=actor, action=AuditAction.CERTIFICATE_REVOKE, obj=certificate, data={"reason": reason})
    return certificate


@transaction.atomic
def certificate_retry(*, actor: User, certificate: Certificate) -> Certificate:
    """Send a failed certificate back to the worker; it keeps its number if it had one."""
    permissions.require(actor, "certificate.retry", certificate)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    certificate.status = Certificate.LIFECYCLE.require_transition(certificate, "retry")
    certificate.failure, certificate.claimed_by = "", ""
    certificate.save(update_fields=["status", "failure", "claimed_by"])
    _event(certificate, "retried", actor)
    _dispatch_on_commit(certificate)
    return certificate


# Issuing (the worker) -----------------------------------------------------------------------------


def _next_number(issued_at) -> str:
    year = timezone.localtime(issued_at).year
    value = Sequence.next_value(f"certificate-{settings.LIMS_LAB_CODE}-{year}")
    return f"{settings.LIMS_LAB_CODE}-{year}-{value:06d}"


@transaction.atomic
def _claim(certificate_id: int, claim: str) -> Certificate | None:
    """Take the certificate for this attempt, or None when there is nothing to do."""
    certificate = Certificate.objects.select_for_update().filter(pk=certificate_id).first()
    if certificate is None or not Certificate.LIFECYCLE.allows(certificate, "claim"):
        return None  # issued, revoked, superseded, failed (a person retries) or gone
    now = timezone.now()
    held = certificate.status in (S.RENDERING, S.SIGNING) and certificate.claimed_by != claim
    if held and certificate.claimed_at and now - certificate.claimed_at < LEASE:
        return None  # another worker is on it
    if certificate.number is None:
        certificate.issued_at = now
        certificate.number = _next_number(now)
    certificate.status = Certificate.LIFECYCLE.require_transition(certificate, "claim")
    certificate.claimed_by, certificate.claimed_at = claim, now
    certificate.attempts += 1
    certificate.save(update_fields=["status", "number", "issued_at", "claimed_by", "claimed_at", "attempts"])
    _event(certificate, "rendering", note=f"attempt {certificate.attempts}")
    return certificate


@transaction.atomic
def _move_on(certificate: Certificate, claim: str, action: str) -> bool:
    """Take the next step of this attempt, if the certificate is still its own and at that step."""
    (status,) = Certificate.LIFECYCLE.targets(action)
    moved = Certificate.objects.filter(
        pk=certificate.pk, claimed_by=claim, status__in=Certificate.LIFECYCLE.sources(action)
    ).update(status=status, claimed_at=timezone.now())
    if moved:
        _event(certificate, status)
    return bool(moved)


def _pem(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _record_key(kid: str, kind: str, public_pem: str, subject: str = "") -> None:
    """Put the signing key on record (the portal and the key set read it), and refuse to issue with a
    key the laboratory retired or marked compromised (rotate_key): checked on every issue, one query,
    so a worker stops the moment the state changes."""
    publication.record_key(kid, kind, public_pem, subject)


@transaction.atomic
def _finish(
    certificate: Certificate,
    claim: str,
    *,
    name: str,
    pdf_sha256: str,
    token: str,
    token_kid: str,
    verification_code_sha256: str,
) -> Certificate | None:
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.claimed_by != claim or not Certificate.LIFECYCLE.allows(locked, "issue"):
        return None
    material = keys.load_signing_material()
    _record_key(
        material.kid,
        SigningKey.Kind.PDF,
        material.certificate.public_bytes(serialization.Encoding.PEM).decode(),
        material.certificate.subject.rfc4514_string(),
    )
    _record_key(token_kid, SigningKey.Kind.TOKEN, _pem(keys.load_token_key().key.public_key()))
    locked.status = Certificate.LIFECYCLE.require_transition(locked, "issue")
    locked.pdf.name, locked.pdf_sha256, locked.qr_token = name, pdf_sha256, token
    locked.signing_kid, locked.token_kid, locked.failure = material.kid, token_kid, ""
    locked.verification_code_sha256 = verification_code_sha256
    locked.save(
        update_fields=[
            "status", "pdf", "pdf_sha256", "qr_token", "signing_kid", "token_kid", "failure",
            "verification_code_sha256",
        ]
    )  # fmt: skip
    _event(locked, "issued", note=locked.number or "")
    transparency.log_certificate(locked, "issued")
    _public_status_changed(locked.number, locked.supersedes.number if locked.supersedes is not None else "")
    if locked.supersedes_id:
        old = Certificate.objects.select_for_update().get(pk=locked.supersedes_id)
        if Certificate.LIFECYCLE.allows(old, "supersede"):
            old.status = Certificate.LIFECYCLE.require_transition(old, "supersede")
            old.superseded_at = timezone.now()
            old.save(update_fields=["status", "superseded_at"])
            _event(old, "superseded", note=locked.number or "")
            transparency.log_certificate(old, "superseded")
    audit_record(
        actor=None,
        action=AuditAction.CERTIFICATE_ISSUE,
        obj=locked,
        data={"number": locked.number, "sha256": pdf_sha256},
    )
    _notify(locked, NotificationKind.CERTIFICATE_ISSUED)
    return locked


def certificate_fail(*, certificate_id: int, claim: str, reason: str) -> None:
    """Record that issuing failed for a reason a retry will not cure; a person may retry later."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        if certificate.claimed_by != claim or not Certificate.LIFECYCLE.allows(certificate, "fail"):
            return
        certificate.status = Certificate.LIFECYCLE.require_transition(certificate, "fail")
        certificate.failure = reason[:2000]
        certificate.save(update_fields=["status", "failure"])
        _event(certificate, "failed", note=reason[:2000])
        _notify(certificate, NotificationKind.CERTIFICATE_FAILED)
    logger.error("certificate %s failed: %s", certificate_id, reason)


def certificate_issue_unsafe(*, certificate_id: int, claim: str) -> Certificate | None:
    """Render, sign and store a certificate, and mark it issued. Unsafe inside a transaction: it
    renders and writes files between short transactions of its own, and its claim must be visible to
    other workers at once. Returns the certificate when this call issued it, None when there was
    nothing to do."""
    certificate = _claim(certificate_id, claim)
    if certificate is None:
        return None
    with _heartbeat(certificate_id, claim):
        return _issue_claimed(certificate, claim)


@contextmanager
def _heartbeat(certificate_id: int, claim: str) -> Iterator[None]:
    """Refresh the claim every quarter of the lease from a thread of its own while the attempt works
    (rendering and signing take long, in C code that holds no Python hooks). The thread dies with
    its process, so a killed worker's claim ages and the sweep takes it over after LEASE."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(LEASE.total_seconds() / 4):
                try:
                    Certificate.objects.filter(
                        pk=certificate_id, claimed_by=claim, status__in=[S.RENDERING, S.SIGNING]
                    ).update(claimed_at=timezone.now())
                except DatabaseError:
                    logger.warning("certificate %s: could not refresh its claim", certificate_id, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"claim-heartbeat-{certificate_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=LEASE.total_seconds())


def _issue_claimed(certificate: Certificate, claim: str) -> Certificate | None:
    token_key = keys.load_token_key()
    token = tokens.encode_token(document.token_claims(certificate), key=token_key.key, kid=token_key.kid)
    # A code of this attempt's own, printed on its PDF; _finish records its hash with that PDF.
    code = codes.new_code()
    pdf = document.render_certificate(certificate, token=token, verification_code=code)
    if not _move_on(certificate, claim, "sign"):
        return None
    lab = snapshots.read(certificate.snapshot)["laboratory"]
    signed = signing.sign_pdf(
        pdf,
        reason=_("Certificate of Analysis %(number)s") % {"number": certificate.number},
        location=lab.get("address") or lab.get("name", ""),
    )
    year = timezone.localtime(certificate.issued_at).year
    name = _store_whole(f"certificates/{year}/{certificate.number}-{claim[:8]}.pdf", signed)
    try:
        issued = _finish(
            certificate, claim, name=name, pdf_sha256=hashlib.sha256(signed).hexdigest(), token=token,
            token_kid=token_key.kid, verification_code_sha256=codes.code_sha256(code),
        )  # fmt: skip
    except BaseException:
        default_storage.delete(name)
        raise
    if issued is None:
        default_storage.delete(name)  # another attempt finished first: its PDF is the one
    return issued


def _store_whole(name: str, data: bytes) -> str:
    """Store a PDF so that its name holds the whole file or nothing. A full or read-only disk used to
    leave truncated and empty PDFs behind: on a file system the file is written under a temporary
    name and moved into place (os.replace, atomic) only once complete; other storages (S3) write an
    object at once or not at all, and what a failed save may have left is deleted. The exception
    goes on to the task, which records its reason and retries."""
    storage = default_storage
    if not isinstance(storage, FileSystemStorage):
        name = storage.get_available_name(name)
        try:
            return storage.save(name, ContentFile(data))
        except BaseException:
            _delete_quietly(storage, name)
            raise
    temporary = storage.get_available_name(f"{name}.part")
    try:
        temporary = storage.save(temporary, ContentFile(data))
        final = storage.get_available_name(name)
        os.replace(storage.path(temporary), storage.path(final))
    except BaseException:
        _delete_quietly(storage, temporary)
        raise
    return final


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:
        logger.exception("could not remove %s after a failed write", name)


def certificate_note_retry(*, certificate_id: int, claim: str, reason: str) -> None:
    """Record why this attempt failed before it is retried, so the certificate's page says why it
    is still rendering or signing; the attempt that issues it clears the reason (_finish)."""
    Certificate.objects.filter(pk=certificate_id, claimed_by=claim, status__in=Certificate.IN_PROGRESS).update(
        failure=reason[:2000]
    )


def sweep_unfinished() -> list[int]:
    """Send again the certificates no worker has: pending ones not picked up (the broker was down
    when they were requested) and claims older than the lease (their worker died)."""
    now = timezone.now()
    stale = Certificate.objects.filter(status=S.PENDING).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
    )
    dead = Certificate.objects.filter(status__in=[S.RENDERING, S.SIGNING], claimed_at__lt=now - LEASE)
    ids = sorted(set(stale.values_list("pk", flat=True)) | set(dead.values_list("pk", flat=True)))
    for certificate_id in ids:
        dispatch(certificate_id)
    return ids
