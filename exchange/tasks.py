"""Celery tasks of the exchange, on queue "default" (whose workers hold the status key): the sweep
that beat sends every LIMS_EXCHANGE_SWEEP_SECONDS (exchange.outbox) and the delivery of one pushed
message (exchange.push). Both idempotent: the sweep recognises handled events, a delivery claims
its attempt."""

import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction

from exchange import outbox, push

logger = logging.getLogger(__name__)


def _send(message_pks: list[int]) -> None:
    for pk in message_pks:
        try:
            deliver_message.apply_async(args=[pk])
        except Exception:
            logger.exception("could not send the delivery of message %s; the sweep will", pk)


def send_on_commit(message_pks: list[int]) -> None:
    """Send the messages' deliveries once the current transaction commits (robust: a broker away
    leaves them to the sweep, which sends every pending message that is due)."""
    transaction.on_commit(partial(_send, list(message_pks)), robust=True)


@shared_task(acks_late=True, ignore_result=True)
def exchange_sweep() -> dict:
    """Sign records and queue messages for the new certificate events, then send the messages that
    are due (new ones, and retries whose task was lost or whose wait was past the task's cap)."""
    done = outbox.sweep()
    _send(sorted(set(done["messages"]) | set(outbox.due_messages())))
    return done


# A retry's wait goes into the broker as a countdown only while it stays far below the broker's
# visibility timeout (past it, Redis would deliver the task twice); longer waits are the sweep's.
COUNTDOWN_CAP = settings.CELERY_VISIBILITY_TIMEOUT // 4


@shared_task(acks_late=True, ignore_result=True)
def deliver_message(message_pk: int) -> None:
    wait = push.deliver(message_pk)
    if wait is not None and wait <= COUNTDOWN_CAP:
        deliver_message.apply_async(args=[message_pk], countdown=wait)
