"""Publishing the open statistics: signed, numbered, logged.

publish() (the Celery task public.tasks.publish_statistics, daily by beat, and `manage.py
publish_statistics`) computes the figures of every closed month (public.statistics) and, for each
month whose canonical document differs from its last publication (or that has none), in one
transaction:

1. takes the next publication number (a counter whose row lock also serialises publishers, so two
   runs never publish the same change twice);
2. signs the document with the transparency log's key (certificates.transparency.sign_note: a C2SP
   signed note whose text is the document and a newline), which only workers and operators' commands
   hold: a web process never calls this module's publish();
3. appends a "statistics" leaf {"v": 1, "event": "statistics", "period", "document_sha256", "time"}
   to the transparency log (certificates.transparency.append), so a later change of a month's figures
   is a new leaf with another hash, visible to anyone who follows the log;
4. stores the Publication (append-only, never overwritten).

A month with no change is not published again. A month whose declarations all went away is
published once more with no cells, so the record says so. The page (public.views) links each month's
last publication and says whether the live figures still match it (match()).
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates import transparency
from lims.models import Sequence
from public import statistics
from public.models import Publication


def _sequence_key() -> str:
    return f"statistics-{settings.LIMS_LAB_CODE}"


def latest() -> dict[str, Publication]:
    """{month: its last publication}."""
    found: dict[str, Publication] = {}
    for publication in Publication.objects.order_by("period", "-number").defer("document", "signed_note"):
        found.setdefault(publication.period, publication)
    return found


@dataclass(frozen=True)
class Match:
    """How a closed month's live figures stand against its last publication."""

    month: str
    publication: Publication | None
    live_sha256: str

    @property
    def matches(self) -> bool:
        return self.publication is not None and self.publication.document_sha256 == self.live_sha256


def closed_months(figures: statistics.Figures, published: dict[str, Publication]) -> list[str]:
    """Months to publish: closed months with declarations, and months published before (their
    declarations may have gone)."""
    open_month = figures.coverage.open_month
    return sorted({month for month in [*figures.months(), *published] if month < open_month})


def match(figures: statistics.Figures) -> dict[str, Match]:
    published = latest()
    return {
        month: Match(month, published.get(month), statistics.document_sha256(month, figures.of_month(month)))
        for month in closed_months(figures, published)
    }


@transaction.atomic
def publish() -> list[Publication]:
    """Publish every closed month whose figures changed since its last publication; returns the new
    publications. Needs the log key: Celery worker or management command only."""
    Sequence.objects.get_or_create(key=_sequence_key())
    counter = Sequence.objects.select_for_update().get(key=_sequence_key())
    now = timezone.now()
    figures = statistics.compute(now)
    published = latest()
    made = []
    for month in closed_months(figures, published):
        document = statistics.document(month, figures.of_month(month))
        sha256 = hashlib.sha256(document).hexdigest()
        last = published.get(month)
        if last is not None and last.document_sha256 == sha256:
            continue
        text = document.decode("ascii")
        signed = transparency.sign_note(text + "\n")
        entry = transparency.append(
            {
                "v": 1,
                "event": "statistics",
                "period": month,
                "document_sha256": sha256,
                "time": transparency.rfc3339(now),
            }
        )
        counter.value += 1
        made.append(
            Publication.objects.create(
                number=counter.value,
                period=month,
                document=text,
                document_sha256=sha256,
                signed_note=signed,
                log_index=entry.index,
                published_at=now,
            )
        )
    counter.save(update_fields=["value"])
    return made
