"""Celery task of the open statistics: the daily publication (beat), on queue "default", whose
workers hold the transparency log's key."""

from celery import shared_task

from public import publication


@shared_task(acks_late=True, ignore_result=True)
def publish_statistics() -> list[int]:
    """Publish each closed month whose figures changed since its last publication. Idempotent: a
    second run finds nothing changed and publishes nothing."""
    return [made.number for made in publication.publish()]
