"""From certificate events to signed records and pushed messages, without the certificates app
knowing: beat runs exchange.tasks.exchange_sweep (every LIMS_EXCHANGE_SWEEP_SECONDS, on a worker of
queue "default", which holds the status key), and the sweep reads the append-only certificate event
table (certificates.CertificateEvent) after a stored cursor. For each event it has not handled:

- issued, revoked, superseded: sign the certificate's record (exchange.records) and store it;
- revoked, superseded: one outbox message per active subscription, its body and detached signature
  fixed now (exchange.push sends them after commit).

All of it in one transaction that holds the cursor's row lock, so two sweeps never handle the same
events; a failure rolls the whole batch back and the next sweep does it again.

Why a cursor needs care here: event ids come from a sequence, drawn when a row is inserted and
visible only when its transaction commits, so a reader may see event 12 before event 11 commits. The
cursor therefore moves only past events older than LIMS_EXCHANGE_EVENT_GRACE_SECONDS (default five
minutes): an event still invisible behind such an event would belong to a transaction open longer
than that, and this application's transactions last well under a second. Events younger than that
are read again by the next sweeps, and recognised as handled (each SignedRecord names its event,
unique; each message is unique per subscription and event), so nothing is done twice and nothing
is skipped. A rolled-back transaction leaves a gap that is passed once it is old.

Why not the transparency log's dense indexes: the log records issues and withdrawals too, but its
entries are its own (certificates.transparency) and a record must follow every event the register
has; the event table is the register's own history.
"""

import json
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate, CertificateEvent
from exchange import jws, records
from exchange.models import AccessToken, Cursor, OutboxMessage, SignedRecord, Subscription

logger = logging.getLogger(__name__)

CURSOR = "certificate-events"
RECORDED = ("issued", "revoked", "superseded")
PUSHED = ("revoked", "superseded")
BATCH = 200
# Expired tokens are kept a day (for whoever reads the table after an incident), then deleted.
TOKEN_KEPT = timedelta(days=1)


def sweep() -> dict:
    """Handle the certificate events after the cursor (at most BATCH); returns what it did and the ids
    of the messages to send (after commit: exchange.tasks)."""
    grace = timedelta(seconds=settings.LIMS_EXCHANGE_EVENT_GRACE_SECONDS)
    with transaction.atomic():
        Cursor.objects.get_or_create(name=CURSOR)
        cursor = Cursor.objects.select_for_update().get(name=CURSOR)
        now = timezone.now()
        events = list(
            CertificateEvent.objects.filter(id__gt=cursor.position)
            .order_by("id")
            .only("id", "at", "action", "certificate_id", "note")[:BATCH]
        )
        wanted = [event for event in events if event.action in RECORDED]
        handled = set(SignedRecord.objects.filter(event__in=wanted).values_list("event_id", flat=True))
        new = [event for event in wanted if event.pk not in handled]
        messages: list[int] = []
        if new:
            key = records.status_key()
            subscriptions = list(Subscription.objects.filter(active=True, client__active=True).order_by("pk"))
            for event in new:
                record = records.sign_record(event, key)
                if event.action in PUSHED:
                    messages += [_message(event, record, subscription, key).pk for subscription in subscriptions]
        settled = [event.pk for event in events if event.at <= now - grace]
        if settled:
            cursor.position, cursor.updated_at = max(settled), now
            cursor.save(update_fields=["position", "updated_at"])
    AccessToken.objects.filter(expires_at__lt=timezone.now() - TOKEN_KEPT).delete()
    return {"events": len(events), "records": len(new), "messages": messages, "cursor": cursor.position}


def _message(event: CertificateEvent, record: SignedRecord, subscription: Subscription, key) -> OutboxMessage:
    """The message of a withdrawal to one subscription, with its body and signature fixed."""
    certificate = Certificate.objects.only("number", "revocation_reason").get(pk=event.certificate_id)
    message_id = uuid.uuid4()
    body = {
        "id": str(message_id),
        "type": f"certificate.{event.action}",
        "issuer": settings.LIMS_LAB_CODE,
        "number": certificate.number,
        "status": event.action,
        "at": records.utc(event.at),
        # A revocation's reason is public (the portal and the signed status list show it); a
        # supersession's event note is the amendment's number.
        "reason": certificate.revocation_reason if event.action == "revoked" else None,
        "superseded_by": (event.note or None) if event.action == "superseded" else None,
        "record": record.jws,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return OutboxMessage.objects.create(
        message_id=message_id,
        subscription=subscription,
        event=event,
        number=certificate.number or "",
        kind=body["type"],
        body=text,
        signature=jws.sign_detached(text.encode(), key=key.key, kid=key.kid),
    )


def due_messages(limit: int = 500) -> list[int]:
    """Pending messages whose next attempt is due (a retry's task lost, or a wait past the task's
    cap): the sweep sends them again; the claim in exchange.push keeps each attempt single."""
    now = timezone.now()
    due = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
