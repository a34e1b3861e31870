"""The custody hash chain.

Each event's hash is the SHA-256 of its canonical content, which includes the previous event's
hash; the first event of a sample links to GENESIS. Changing, inserting or removing any event
breaks every later link, and the sample row keeps the head hash and length so that removing
events from the end shows too.

Canonical content: a JSON object with sorted keys, no whitespace, UTF-8, timestamps in UTC with
microseconds. The field list is versioned by `v`, so it can grow without breaking old chains.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lims.lib import worded

GENESIS = "0" * 64
CANONICAL_VERSION = 1


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event, *, sample_code: str, actor_username: str) -> bytes:
    content = {
        "v": CANONICAL_VERSION,
        "sample": sample_code,
        "sequence": event.sequence,
        "action": event.action,
        "actor": actor_username,
        "from": event.from_party,
        "to": event.to_party,
        "occurred_at": _ts(event.occurred_at),
        "recorded_at": _ts(event.recorded_at),
        "location": event.location,
        "seal_number_seen": event.seal_number_seen,
        "seal_intact": event.seal_intact,
        "status_before": event.status_before,
        "status_after": event.status_after,
        "note": event.note,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event, *, sample_code: str, actor_username: str) -> str:
    return hashlib.sha256(canonical(event, sample_code=sample_code, actor_username=actor_username)).hexdigest()


# Why a chain is broken, by key; `reason` says it in English (the API's), `explanation` in the reader's
# language (the sample's page, verify_custody).
MISSING = "missing"
PREVIOUS_HASH = "previous_hash"
CONTENT = "content"
SHORT = "short"
REASONS = {
    MISSING: gettext_lazy("event missing from the sequence"),
    PREVIOUS_HASH: gettext_lazy("previous hash does not match"),
    CONTENT: gettext_lazy("content does not match its hash"),
    SHORT: gettext_lazy("chain ends at event %(length)s but the sample records %(recorded)s events"),
}


@dataclass(frozen=True)
class ChainReport:
    sample_code: str
    length: int
    intact: bool
    broken_at: int | None = None  # sequence number of the first bad link
    reason_key: str = ""
    reason_params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Why the chain is broken, in English ("" when intact)."""
        return worded.in_english(lambda: self.explanation)

    @property
    def explanation(self) -> str:
        """Why the chain is broken, in the active language ("" when intact)."""
        return worded.word(REASONS, self.reason_key, self.reason_params) or ""

    def describe(self) -> str:
        """One line of verify_custody, in the active language."""
        if self.intact:
            return _("%(sample)s: intact (%(count)s events)") % {"sample": self.sample_code, "count": self.length}
        return _("%(sample)s: BROKEN at event %(event)s: %(reason)s") % {
            "sample": self.sample_code,
            "event": self.broken_at,
            "reason": self.explanation,
        }


def verify(sample, events=None) -> ChainReport:
    """Recompute a sample's chain from the database (or from `events`, its events in order)."""
    if events is None:
        events = list(sample.events.select_related("actor").order_by("sequence"))
    prev = GENESIS
    for expected_sequence, event in enumerate(events, start=1):
        if event.sequence != expected_sequence:
            return ChainReport(sample.code, len(events), False, expected_sequence, MISSING)
        if event.prev_hash != prev:
            return ChainReport(sample.code, len(events), False, event.sequence, PREVIOUS_HASH)
        recomputed = event_hash(event, sample_code=sample.code, actor_username=event.actor.username)
        if recomputed != event.hash:
            return ChainReport(sample.code, len(events), False, event.sequence, CONTENT)
        prev = event.hash
    if len(events) != sample.custody_length or prev != (sample.custody_head or GENESIS):
        return ChainReport(
            sample.code,
            len(events),
            False,
            len(events) + 1 if len(events) < sample.custody_length else len(events),
            SHORT,
            {"length": len(events), "recorded": sample.custody_length},
        )
    return ChainReport(sample.code, len(events), True)


def verify_many(samples) -> Iterator[ChainReport]:
    """Verify the chains of `samples` (a queryset), a batch at a time to bound memory."""
    from django.db.models import Prefetch

    from samples.models import CustodyEvent

    events = Prefetch("events", queryset=CustodyEvent.objects.select_related("actor").order_by("sequence"))
    for sample in samples.order_by("pk").prefetch_related(events).iterator(chunk_size=500):
        yield verify(sample, list(sample.events.all()))
