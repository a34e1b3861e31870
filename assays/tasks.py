"""Celery tasks of assays: importing an uploaded instrument file (queue "imports"). The task takes
the run's id and calls the service; assays.services.run_process explains idempotence."""

from celery import shared_task

from assays import services


# Nobody reads the result (the run's status is the outcome): ignore_result keeps sending it from the
# upload request off the result backend (lims/settings.py, CELERY_PUBLISH_TIMEOUT_SECONDS).
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_run_file(run_id: int) -> str | None:
    """Parse and store a queued run: the run ends in preview, or refused with its problems."""
    run = services.run_process(run_id=run_id)
    return run.status if run else None
