"""Celery tasks of the project package: the e-mails of notifications (queue "default")."""

import smtplib

from celery import shared_task
from django.conf import settings

from lims import notifications

# A mail server that refuses for now (4xx), drops the connection or cannot be reached: later may work.
TRANSIENT = (smtplib.SMTPException, OSError)
MAX_RETRIES = 6


# Backoff 30 s, 60 s, 120 s ... with jitter, capped far below the broker's visibility timeout (a
# countdown past it would have Redis deliver the task twice). ignore_result: nobody reads it (the
# row's emailed_at records the outcome), and a result would subscribe to the backend when sent.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=TRANSIENT,
    max_retries=MAX_RETRIES,
    retry_backoff=30,
    retry_backoff_max=min(600, settings.CELERY_VISIBILITY_TIMEOUT // 4),
    retry_jitter=True,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail these notifications to their recipients. Idempotent: what was sent is marked, so a
    retry or a redelivery sends only what has not gone yet."""
    return notifications.notification_emails_send_unsafe(notification_ids=notification_ids)
