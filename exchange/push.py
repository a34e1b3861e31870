"""Sending an outbox message to its subscription's webhook (exchange.tasks.deliver_message, queue
"default").

The request: `POST <url>` with the message's JSON body (exchange.outbox) and the headers
`Content-Type: application/json`, `X-Lims-Message-Id: <message id>` and
`X-Lims-Signature: <detached JWS>` (exchange.jws: EdDSA with the laboratory's status key; the
receiver verifies it with the "status" key of its kid in /verify/keys/keys.json).

The answer: a 2xx whose body contains the message id (for instance `{"ack": "<id>"}`) acknowledges
the message; a 2xx without it means received, acknowledgement to follow by
`POST /api/v1/exchange/acks/<id>/` (the client's token, scope messages:ack). Anything else (another
status, a redirect, no connection, LIMS_EXCHANGE_PUSH_TIMEOUT_SECONDS without an answer) is a failed
attempt: the next one waits LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS, doubled after each failure (capped at
an hour, with up to a quarter more at random so that receivers coming back are not all hit at
once); after LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS the message is failed, for an administrator to send again.

Every attempt is recorded (DeliveryAttempt). An attempt is claimed first by a conditional update
(pending and due -> due after the attempt's longest time), so two tasks for one message never both
send it, and a worker that died mid-attempt leaves a claim that runs out, for the sweep to send again.
"""

import random
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exchange.models import DeliveryAttempt, OutboxMessage

BACKOFF_CAP_SECONDS = 3600
ANSWER_READ_BYTES = 64 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers itself: a redirect is a failed attempt, never followed with the body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def backoff(failures: int) -> float:
    """Seconds before the next attempt after `failures` failed ones."""
    base = min(BACKOFF_CAP_SECONDS, settings.LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS * 2 ** max(0, failures - 1))
    return base * random.uniform(1, 1.25)


def _post(message: OutboxMessage) -> tuple[int | None, str, bool]:
    """(HTTP status or None, error, acknowledged in the answer)."""
    if not message.subscription.url.startswith(("https://", "http://")):
        return None, "not an http(s) address", False
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        message.subscription.url,
        data=message.body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "lims-exchange/1",
            "X-Lims-Message-Id": str(message.message_id),
            "X-Lims-Signature": message.signature,
        },
    )
    try:
        with _opener.open(request, timeout=settings.LIMS_EXCHANGE_PUSH_TIMEOUT_SECONDS) as answer:
            text = answer.read(ANSWER_READ_BYTES).decode("utf-8", "replace")
            return answer.status, "", str(message.message_id) in text
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}", False
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:1000], False


def deliver(message_pk: int) -> float | None:
    """One attempt at a due, pending message. Returns the seconds until the next attempt when it
    failed and another is due, else None (sent, acknowledged, given up, or nothing to do)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.LIMS_EXCHANGE_PUSH_TIMEOUT_SECONDS + 30)
    claimed = OutboxMessage.objects.filter(
        pk=message_pk, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + lease, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = OutboxMessage.objects.select_related("subscription").get(pk=message_pk)
    started = time.monotonic()
    status_code, error, acknowledged = _post(message)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message_pk)
        DeliveryAttempt.objects.create(
            message=locked, number=locked.deliveries.count() + 1, status_code=status_code,
            error=error, acknowledged=acknowledged, duration_ms=duration_ms,
        )  # fmt: skip
        if locked.status != OutboxMessage.Status.PENDING:
            return None  # acknowledged through the API while this attempt was under way
        finished = timezone.now()
        wait = None
        if ok:
            locked.status = OutboxMessage.LIFECYCLE.require_transition(
                locked, "acknowledge" if acknowledged else "deliver"
            )
            locked.delivered_at, locked.last_error = finished, ""
            if acknowledged:
                locked.acknowledged_at, locked.acknowledged_via = finished, "answer"
        else:
            locked.last_error = error or f"HTTP {status_code}"
            if locked.attempts >= settings.LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS:
                locked.status = OutboxMessage.LIFECYCLE.require_transition(locked, "give_up")
            else:
                wait = backoff(locked.attempts)
                locked.next_attempt_at = finished + timedelta(seconds=wait)
        locked.save(
            update_fields=["status", "delivered_at", "acknowledged_at", "acknowledged_via", "last_error",
                           "next_attempt_at"]
        )  # fmt: skip
    return wait
