"""Celery tasks of certificates: issuing (queue "pdf"), the sweep that re-sends what no worker has,
and the publication of the signed key set and status list (queue "default"; both also sent by Celery
beat). Tasks take ids and call services; certificates.services explains idempotence."""

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from certificates import publication, services
from certificates.signing import TimestampUnavailable

logger = logging.getLogger(__name__)

# Errors a later attempt may not meet: the database or the timestamp authority was away, the
# storage could not be written. Anything else (a template error, unusable keys) fails the
# certificate at once with its reason, for a person to retry after fixing the cause.
TRANSIENT = (OperationalError, InterfaceError, TimestampUnavailable, OSError)
MAX_RETRIES = 5
# Backoff: 10 s, 20 s, 40 s ... with jitter, never beyond this. It stays far below the broker's
# visibility timeout: a countdown past it would have Redis deliver the task twice.
BACKOFF_CAP = min(600, settings.CELERY_VISIBILITY_TIMEOUT // 4)


def backoff(retries: int) -> float:
    base = min(BACKOFF_CAP, 10 * 2**retries)
    return base / 2 + random.uniform(0, base / 2)


# ignore_result on every task here: nobody reads their results (the database records the outcome),
# and a task with a result subscribes to the result backend when sent, which stalls a web request
# while the broker is away (lims/settings.py, CELERY_PUBLISH_TIMEOUT_SECONDS).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES, ignore_result=True)
def issue_certificate(self, certificate_id: int) -> str | None:
    """Issue one certificate. Idempotent: a second run, or a redelivery after the worker died,
    finishes the same certificate with the same number or does nothing."""
    claim = self.request.id or f"direct-{certificate_id}"
    try:
        certificate = services.certificate_issue_unsafe(certificate_id=certificate_id, claim=claim)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            services.certificate_fail(
                certificate_id=certificate_id, claim=claim, reason=f"gave up after retries: {exc}"
            )
            return None
        logger.warning("certificate %s: transient error, retrying: %s", certificate_id, exc)
        services.certificate_note_retry(certificate_id=certificate_id, claim=claim, reason=retry_reason(exc))
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    except DatabaseError:
        raise  # a bug or a constraint: the certificate stays claimed; the sweep brings it back
    except Exception as exc:
        services.certificate_fail(certificate_id=certificate_id, claim=claim, reason=f"{type(exc).__name__}: {exc}")
        return None
    return certificate.number if certificate else None


def retry_reason(exc: BaseException) -> str:
    """What the certificate's page shows while the task retries. An OSError (a full or read-only
    disk) says what the system said without its file path, which is no business of an exporter."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}; retrying"
    return f"{type(exc).__name__}: {exc}; retrying"


@shared_task(acks_late=True, ignore_result=True)
def sweep_certificates() -> list[int]:
    """Every minute (beat): send again the certificates that no worker has."""
    return services.sweep_unfinished()


@shared_task(acks_late=True, ignore_result=True)
def publish_status() -> int:
    """Sign and store a new key set and status list (beat, and after every issue and withdrawal).
    Runs on queue "default", whose workers hold the status key (certificates.keys). Idempotent: a
    second run publishes the same content under the next sequence number."""
    return publication.publish()


@shared_task(acks_late=True, ignore_result=True)
def sign_log_checkpoint() -> int | None:
    """Sign a checkpoint of the transparency log if it grew (sent a couple of seconds after appends,
    and by beat as a sweep). Runs on queue "default", whose workers hold the log key. Idempotent: a
    second run finds the log no larger and signs nothing; returns the size signed."""
    from certificates import transparency

    checkpoint = transparency.sign_checkpoint()
    return checkpoint.size if checkpoint else None
