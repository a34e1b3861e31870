"""Retained portions of a sample (pulp, coarse reject, referee and umpire splits): kept somewhere
until a date, moved, and disposed of. Every one of these is a link of the sample's custody chain
(samples.services appends it, hash-chained like every other event), so the chain shows where each
portion went; the sample's own state does not change.

Disposal is a lab manager's decision (`sample.dispose`), and only after the retention date: a
portion may be needed for a referee or umpire analysis until then.
"""

from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lims import permissions
from lims.exceptions import ApplicationError, Conflict
from lims.models import User
from samples import services
from samples.models import CustodyAction, RetainedPortion, Sample


def _custody_note(portion: RetainedPortion, text: str) -> str:
    return f"{portion.get_kind_display()} #{portion.pk}: {text}"


def _event(*, actor: User, sample: Sample, action: str, occurred_at, location: str, note: str) -> None:
    holder = sample.current_custodian.party_label() if sample.current_custodian else ""
    services._append_event(
        sample=sample, action=action, actor=actor, occurred_at=occurred_at, from_party=holder, to_party=holder,
        location=location, note=note, custodian=sample.current_custodian,
    )  # fmt: skip


def _location(location: str) -> str:
    location = location.strip()
    if not location:
        raise ApplicationError(_("Say where the portion is kept (room, shelf, box)."), field="location")
    if len(location) > 200:
        raise ApplicationError(_("Keep the location under 200 characters."), field="location")
    return location


@transaction.atomic
def portion_retain(
    *,
    actor: User,
    sample: Sample,
    kind: str,
    location: str,
    retain_until: date,
    mass_g=None,
    occurred_at: datetime | None = None,
    note: str = "",
) -> RetainedPortion:
    """Put a portion of the sample in store until `retain_until`."""
    permissions.require(actor, "sample.store", sample)
    sample = services._locked(sample)
    permissions.require_custody(actor, sample)
    if kind not in RetainedPortion.Kind.values:
        raise ApplicationError(_("Choose the kind of portion."), field="kind")
    location = _location(location)
    if retain_until is None or retain_until < timezone.localdate():
        raise ApplicationError(_("The retention date cannot be in the past."), field="retain_until")
    if mass_g is not None and mass_g <= 0:
        raise ApplicationError(_("Enter a positive number."), field="mass_g")
    Sample.LIFECYCLE.require_transition(sample, CustodyAction.PORTION_RETAIN)
    portion = RetainedPortion(
        sample=sample, kind=kind, mass_g=mass_g, location=location, retain_until=retain_until, recorded_by=actor
    )
    portion.full_clean()
    portion.save()
    text = _("kept at %(location)s until %(date)s") % {"location": location, "date": retain_until.isoformat()}
    if note.strip():
        text = f"{text}. {note.strip()}"
    _event(
        actor=actor, sample=sample, action=CustodyAction.PORTION_RETAIN, occurred_at=occurred_at, location=location,
        note=_custody_note(portion, text),
    )  # fmt: skip
    return portion


def _locked_portion(portion: RetainedPortion) -> RetainedPortion:
    return RetainedPortion.objects.select_for_update().select_related("sample").get(pk=portion.pk)


@transaction.atomic
def portion_move(
    *, actor: User, portion: RetainedPortion, location: str, occurred_at: datetime | None = None, note: str = ""
) -> RetainedPortion:
    """Move a stored portion to another place; the chain records from where to where."""
    permissions.require(actor, "sample.store", portion.sample)
    sample = services._locked(portion.sample)
    permissions.require_custody(actor, sample)
    portion = _locked_portion(portion)
    RetainedPortion.LIFECYCLE.require_transition(portion, "move")
    location = _location(location)
    if location == portion.location:
        raise ApplicationError(_("The portion is kept there already."), field="location")
    text = _("moved from %(old)s to %(new)s") % {"old": portion.location, "new": location}
    if note.strip():
        text = f"{text}. {note.strip()}"
    portion.location = location
    portion.save(update_fields=["location"])
    _event(
        actor=actor, sample=sample, action=CustodyAction.PORTION_MOVE, occurred_at=occurred_at, location=location,
        note=_custody_note(portion, text),
    )  # fmt: skip
    return portion


@transaction.atomic
def portion_dispose(
    *, actor: User, portion: RetainedPortion, note: str, occurred_at: datetime | None = None
) -> RetainedPortion:
    """Dispose of a portion: a lab manager, after its retention date, with the reason."""
    permissions.require(actor, "sample.dispose", portion.sample)
    sample = services._locked(portion.sample)
    permissions.require_custody(actor, sample)
    portion = _locked_portion(portion)
    status_after = RetainedPortion.LIFECYCLE.require_transition(portion, "dispose")
    today = timezone.localdate()
    if today <= portion.retain_until:
        raise Conflict(
            _("%(portion)s of %(code)s is retained until %(date)s; it may be disposed of from the day after.")
            % {"portion": portion.get_kind_display(), "code": sample.code, "date": portion.retain_until.isoformat()},
            field="note",
        )
    if not note.strip():
        raise ApplicationError(_("Give the reason for this step."), field="note")
    portion.status = status_after
    portion.disposed_by, portion.disposed_at, portion.disposal_note = actor, timezone.now(), note.strip()
    portion.save(update_fields=["status", "disposed_by", "disposed_at", "disposal_note"])
    _event(
        actor=actor, sample=sample, action=CustodyAction.PORTION_DISPOSE, occurred_at=occurred_at,
        location=portion.location, note=_custody_note(portion, _("disposed of: %(why)s") % {"why": note.strip()}),
    )  # fmt: skip
    return portion


def sample_portions(user: User, sample: Sample) -> QuerySet:
    """The retained portions of a sample the user may see (the laboratory's staff)."""
    return permissions.visible(user, RetainedPortion.objects.filter(sample=sample)).select_related(
        "recorded_by", "disposed_by"
    )
