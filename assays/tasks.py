"""Celery tasks of assays: importing an uploaded instrument file (queue "imports"). The task takes
the run's id and calls the service; assays.services.run_process explains idempotence."""

from celery import shared_task
from django import db
from django.conf import settings
from django.db import InterfaceError, OperationalError

from assays import services


# Nobody reads the result (the run's status is the outcome): ignore_result keeps sending it from the
# upload request off the result backend (lims/settings.py, CELERY_PUBLISH_TIMEOUT_SECONDS).
# A lost database connection rolls the import back whole and leaves the run queued: without a retry
# it would stay queued, and its file refused as "imported already". The backoff (10 s, 20 s, ... with
# jitter) stays far below the broker's visibility timeout, past which Redis would deliver it twice.
# When the last retry fails too, the run is refused with the reason (if the database answers by then),
# so the technician sees why and may upload the file again.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=5,
    retry_backoff=10,
    retry_backoff_max=min(600, settings.CELERY_VISIBILITY_TIMEOUT // 4),
    retry_jitter=True,
)
def import_run_file(self, run_id: int) -> str | None:
    """Parse and store a queued run: the run ends in preview, or refused with its problems."""
    try:
        run = services.run_process(run_id=run_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries < self.max_retries:
            raise
        db.close_old_connections()
        run = services.run_refuse_lost(run_id=run_id, error=exc)
    return run.status if run else None
