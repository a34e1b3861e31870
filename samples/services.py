"""Every write to lots, samples and their custody goes through a function here.

Each service takes keyword-only arguments including the acting user, runs in one transaction,
checks permission (lims.permissions) and state (each model's LIFECYCLE), and records what happened: a
custody event for every change of a sample's state or custodian, an audit event otherwise.
A refused action raises ApplicationError (or a subclass) and changes nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lims import notifications, permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.lib import text
from lims.models import NotificationKind, Organisation, Sequence, User
from lims.roles import LAB_ROLES
from lims.services import validate
from samples import chain, selectors
from samples.models import (
    CustodyEvent,
    Lot,
    Material,
    Nonconformance,
    Priority,
    Sample,
    Seal,
    validate_seal_number,
)

Action = CustodyEvent.Action
S = Sample.Status

# Letters that mark a split's purpose in its code (KZL-26-000042-L1 is the first laboratory split).
PURPOSE_LETTER = {
    Sample.Purpose.LABORATORY: "L",
    Sample.Purpose.EXPORTER: "E",
    Sample.Purpose.BUYER: "B",
    Sample.Purpose.UMPIRE: "U",
    Sample.Purpose.CUSTOMS_REFEREE: "C",
    Sample.Purpose.ARCHIVE: "A",
}

# Clocks of tablets at the loading point drift; an event may be stamped this far in the future.
CLOCK_TOLERANCE = timedelta(minutes=5)


def _check_seal_format(seal_number: str, field: str) -> None:
    try:
        validate_seal_number(seal_number)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], field=field) from exc


def _locked(sample: Sample) -> Sample:
    """Reload the sample under a row lock: two people acting on one sample at once are serialised,
    and the second sees the first's result (so a sample cannot be received twice)."""
    return (
        Sample.objects.select_for_update(of=("self",))
        .select_related("lot", "current_custodian__organisation")
        .get(pk=sample.pk)
    )


def _party(user: User | None, carrier: str = "") -> str:
    return user.party_label() if user else carrier


def _giver_label(sample: Sample) -> str:
    """Whom a sample comes from at reception: the carrier that brings it, or the person who handed it
    to the receiver (not the receiver, who is its addressee while it travels)."""
    # A recall follows the hand-over it takes back at once (sample_recall): the two cancel out.
    recalled = 0
    for event in sample.events.filter(action__in=[Action.HAND_OVER, Action.RECALL]).order_by("-sequence"):
        if event.action == Action.RECALL:
            recalled += 1
        elif recalled:
            recalled -= 1
        else:
            return event.to_party if sample.current_custodian_id is None else event.from_party
    return _holder_label(sample)


def _holder_label(sample: Sample) -> str:
    if sample.current_custodian is not None:
        return sample.current_custodian.party_label()
    last = sample.events.order_by("-sequence").only("to_party").first()
    return last.to_party if last else ""


def _append_event(
    *,
    sample: Sample,
    action: str,
    actor: User,
    occurred_at: datetime | None,
    from_party: str = "",
    to_party: str = "",
    location: str = "",
    seal_number_seen: str = "",
    seal_intact: bool | None = None,
    note: str = "",
    custodian: User | None = None,
    to: str | None = None,
) -> CustodyEvent:
    """Check the transition, append the next link of the chain and move the sample. The caller
    holds the sample's row lock and the transaction. `to`: the state reached, for an action that may
    lead to several (a recall)."""
    status_after = Sample.LIFECYCLE.require_transition(sample, action, to=to)
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + CLOCK_TOLERANCE:
        raise ApplicationError(_("The time of the event cannot be in the future."), field="occurred_at")
    previous = sample.events.order_by("-sequence").first() if sample.custody_length else None
    if previous and occurred_at < previous.occurred_at:
        raise ApplicationError(
            _("The time of the event cannot be before the previous event (%(time)s).")
            % {"time": timezone.localtime(previous.occurred_at).strftime("%Y-%m-%d %H:%M")},
            field="occurred_at",
        )
    event = CustodyEvent(
        sample=sample,
        sequence=sample.custody_length + 1,
        action=action,
        actor=actor,
        from_party=from_party,
        to_party=to_party,
        occurred_at=occurred_at,
        recorded_at=now,
        location=location,
        seal_number_seen=seal_number_seen,
        seal_intact=seal_intact,
        status_before=sample.status,
        status_after=status_after,
        note=note,
        prev_hash=sample.custody_head or chain.GENESIS,
    )
    event.hash = chain.event_hash(event, sample_code=sample.code, actor_username=actor.username)
    event.save()
    sample.status = status_after
    sample.custody_head = event.hash
    sample.custody_length = event.sequence
    sample.current_custodian = custodian
    sample.save(update_fields=["status", "custody_head", "custody_length", "current_custodian"])
    return event


# Lots -----------------------------------------------------------------------------------------


@transaction.atomic
def lot_register(
    *,
    actor: User,
    exporter: Organisation,
    lot_number: str,
    material: Material,
    hs_code: str,
    origin: str,
    wet_mass_t: Decimal,
    destination_country: str,
    contract_reference: str = "",
    export_licence_number: str = "",
    wet_mass_source: str = "",
    due_date: date | None = None,
    priority: int = Priority.NORMAL,
) -> Lot:
    """Register a lot as its exporter declares it. The wet mass and its source (a weighbridge ticket or
    draft survey reference, when known), the origin, HS code, contract, licence and destination are the
    customer's information: its certificates print them marked as such (ISO/IEC 17025 7.8.2.2), so every
    text printed there must be printable (lims.lib.text), refused next to its field otherwise. The due
    date and priority order the laboratory's work; its samples take them unless given their own."""
    permissions.require(actor, "lot.register")
    permissions.require_exporter_scope(actor, exporter)
    if exporter.kind != Organisation.Kind.EXPORTER:
        raise ApplicationError(_("%(org)s is not an exporter.") % {"org": exporter}, field="exporter")
    if not material.active:
        raise ApplicationError(_("%(material)s is no longer in use.") % {"material": material}, field="material")
    printed = _printable_fields(
        lot_number=lot_number, hs_code=hs_code, origin=origin, contract_reference=contract_reference,
        export_licence_number=export_licence_number, wet_mass_source=wet_mass_source,
    )  # fmt: skip
    lot_number = printed["lot_number"]
    if Lot.objects.filter(exporter=exporter, lot_number__iexact=lot_number).exists():
        raise ApplicationError(
            _("%(exporter)s already has a lot numbered %(number)s.") % {"exporter": exporter, "number": lot_number},
            field="lot_number",
        )
    lot = Lot(
        exporter=exporter,
        lot_number=lot_number,
        material=material,
        hs_code=printed["hs_code"],
        origin=printed["origin"],
        wet_mass_t=wet_mass_t,
        wet_mass_source=printed["wet_mass_source"],
        destination_country=destination_country,
        contract_reference=printed["contract_reference"],
        export_licence_number=printed["export_licence_number"],
        due_date=due_date,
        priority=_priority(priority),
        registered_by=actor,
    )
    validate(lot)
    lot.save()
    audit_record(actor=actor, action=AuditAction.LOT_REGISTER, obj=lot, data={"lot_number": lot.lot_number})
    return lot


def _priority(value: int) -> int:
    if value not in Priority.values:
        raise ApplicationError(_("Choose urgent, high or normal."), field="priority")
    return value


def _printable_fields(**fields: str) -> dict[str, str]:
    """The fields stripped, or an ApplicationError, on the field, naming a character a certificate cannot print."""
    cleaned = {}
    for name, value in fields.items():
        try:
            cleaned[name] = text.clean(value)
        except ValidationError as exc:
            raise ApplicationError(exc.messages[0], field=name) from exc
    return cleaned


# Samples still in the sampler's or the laboratory's hands: collected and not yet split or sealed,
# or at the laboratory before their results are reported. A lot with one of them is not closed.
IN_WORK = (S.COLLECTED, S.RECEIVED, S.ON_HOLD, S.IN_PREPARATION, S.IN_ANALYSIS)


@transaction.atomic
def lot_close(*, actor: User, lot: Lot, note: str = "") -> Lot:
    """End the sampling of a lot: no sample is taken from it afterwards. A lot closes once its
    composition is settled: at least one of its samples has been reported (its panel complete with
    approved results) and none is still in work (IN_WORK). Its other samples carry on as before:
    the exporter's, the buyer's and the umpire's splits are still handed over, stored and disposed."""
    permissions.require(actor, "lot.close", lot)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    status_after = Lot.LIFECYCLE.require_transition(lot, "close")
    # Locked, so that no sample of the lot is received or split while the lot closes.
    samples = list(Sample.objects.select_for_update().filter(lot=lot).order_by("code"))
    in_work = [sample for sample in samples if sample.status in IN_WORK]
    if in_work:
        raise Conflict(
            _("Lot %(number)s cannot be closed while samples of it are in work: %(samples)s.")
            % {
                "number": lot.lot_number,
                "samples": ", ".join(f"{s.code} ({s.get_status_display().lower()})" for s in in_work),
            }
        )
    if not CustodyEvent.objects.filter(sample__in=samples, action=Action.REPORT).exists():
        raise Conflict(
            _("No sample of lot %(number)s has been reported yet; close the lot once its composition is known.")
            % {"number": lot.lot_number}
        )
    lot.status = status_after
    lot.save(update_fields=["status"])
    audit_record(actor=actor, action=AuditAction.LOT_CLOSE, obj=lot, data={"note": note.strip()})
    return lot


# Samples --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitSpec:
    purpose: str
    mass_g: Decimal
    seal_number: str


def _new_code(lot: Lot) -> str:
    year = timezone.localdate().year
    number = Sequence.next_value(f"sample-{year}")
    return f"{settings.LIMS_LAB_CODE}-{year % 100:02d}-{number:06d}"


@transaction.atomic
def sample_collect(
    *,
    actor: User,
    lot: Lot,
    mass_g: Decimal,
    location: str,
    purpose: str = Sample.Purpose.COMPOSITE,
    occurred_at: datetime | None = None,
    note: str = "",
    due_date: date | None = None,
    priority: int | None = None,
) -> Sample:
    """Register a sample taken from a lot; the collector holds it. It is due when the lot is, with
    the lot's priority, unless given its own."""
    permissions.require(actor, "sample.collect", lot)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    lot_status = Lot.LIFECYCLE.require_transition(lot, "collect")
    if not location.strip():
        raise ApplicationError(_("Say where the sample was taken."), field="location")
    sample = _create_sample(
        actor=actor, lot=lot, code=_new_code(lot), purpose=purpose, mass_g=mass_g,
        collected_at=occurred_at or timezone.now(), location=location.strip(), occurred_at=occurred_at, note=note,
        due_date=due_date or lot.due_date, priority=lot.priority if priority is None else _priority(priority),
    )  # fmt: skip
    if lot.status != lot_status:
        lot.status = lot_status
        lot.save(update_fields=["status"])
    return sample


def _create_sample(
    *,
    actor: User,
    lot: Lot,
    code: str,
    purpose: str,
    mass_g: Decimal,
    collected_at: datetime,
    location: str,
    occurred_at: datetime | None,
    from_party: str = "",
    note: str = "",
    parent: Sample | None = None,
    due_date: date | None,
    priority: int,
) -> Sample:
    """Create a sample row and the first link of its chain; the collector holds it."""
    sample = Sample(
        code=code, lot=lot, parent=parent, purpose=purpose, mass_g=mass_g, status="",
        collected_at=collected_at, collection_location=location, due_date=due_date, priority=priority,
    )  # fmt: skip
    # The status is set by the first custody event, right after the row exists.
    validate(sample, exclude=["status"])
    sample.save()
    _append_event(
        sample=sample, action=Action.COLLECT, actor=actor, occurred_at=occurred_at, from_party=from_party,
        to_party=actor.party_label(), location=location, note=note, custodian=actor,
    )  # fmt: skip
    return sample


@transaction.atomic
def sample_split(
    *,
    actor: User,
    sample: Sample,
    splits: list[SplitSpec],
    location: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
) -> list[Sample]:
    """Divide a collected composite into purpose-labelled splits, each sealed with its own seal."""
    permissions.require(actor, "sample.split", sample)
    sample = _locked(sample)
    permissions.require_custody(actor, sample)
    Sample.LIFECYCLE.require_transition(sample, Action.SPLIT)
    if not splits:
        raise ApplicationError(_("Add at least one split."), field="splits")
    for spec in splits:
        if spec.purpose not in PURPOSE_LETTER:
            raise ApplicationError(_("Choose the purpose of every split."), field="splits")
    total = sum((spec.mass_g for spec in splits), Decimal(0))
    if total > sample.mass_g:
        raise ApplicationError(
            _("The splits weigh %(total)s g together, more than the %(mass)s g composite.")
            % {"total": total, "mass": sample.mass_g},
            field="splits",
        )
    seals = [spec.seal_number for spec in splits]
    if len(set(seals)) != len(seals):
        raise ApplicationError(_("Each split needs its own seal; a seal number is repeated."), field="splits")
    location = location or sample.collection_location
    _append_event(
        sample=sample,
        action=Action.SPLIT,
        actor=actor,
        occurred_at=occurred_at,
        from_party=actor.party_label(),
        to_party=actor.party_label(),
        location=location,
        note=note or _("Split into %(count)d samples.") % {"count": len(splits)},
        custodian=actor,
    )
    counts: dict[str, int] = {}
    children = []
    for spec in splits:
        letter = PURPOSE_LETTER[Sample.Purpose(spec.purpose)]
        counts[letter] = counts.get(letter, 0) + 1
        child = _create_sample(
            actor=actor, lot=sample.lot, code=f"{sample.code}-{letter}{counts[letter]}", purpose=spec.purpose,
            mass_g=spec.mass_g, collected_at=sample.collected_at, location=location, occurred_at=occurred_at,
            from_party=_("composite %(code)s") % {"code": sample.code}, parent=sample,
            due_date=sample.due_date, priority=sample.priority,
        )  # fmt: skip
        _seal(sample=child, actor=actor, seal_number=spec.seal_number, location=location, occurred_at=occurred_at)
        children.append(child)
    return children


@transaction.atomic
def sample_register(
    *,
    actor: User,
    lot: Lot,
    mass_g: Decimal,
    location: str,
    splits: list[SplitSpec],
    occurred_at: datetime | None = None,
    note: str = "",
    due_date: date | None = None,
    priority: int | None = None,
) -> tuple[Sample, list[Sample]]:
    """Collect a composite and split it at once, as samplers do at the loading point. The splits are
    due when the composite is (the lot's due date and priority, unless given)."""
    composite = sample_collect(
        actor=actor, lot=lot, mass_g=mass_g, location=location, occurred_at=occurred_at, note=note,
        due_date=due_date, priority=priority,
    )  # fmt: skip
    children = sample_split(actor=actor, sample=composite, splits=splits, location=location, occurred_at=occurred_at)
    composite.refresh_from_db()
    return composite, children


def _seal(*, sample: Sample, actor: User, seal_number: str, location: str, occurred_at, note: str = "") -> None:
    seal_number = seal_number.strip().upper()
    _check_seal_format(seal_number, "seal_number")
    if Seal.objects.filter(number=seal_number).exists():
        raise ApplicationError(
            _("Seal %(seal)s has been used already; seals are single-use.") % {"seal": seal_number}, field="seal_number"
        )
    event = _append_event(
        sample=sample,
        action=Action.SEAL,
        actor=actor,
        occurred_at=occurred_at,
        from_party=actor.party_label(),
        to_party=actor.party_label(),
        location=location,
        seal_number_seen=seal_number,
        seal_intact=True,
        note=note,
        custodian=actor,
    )
    Seal.objects.create(number=seal_number, sample=sample, applied_by=actor, applied_at=event.occurred_at)
    sample.seal_number = seal_number
    sample.save(update_fields=["seal_number"])


@transaction.atomic
def sample_seal(
    *, actor: User, sample: Sample, seal_number: str, location: str = "", occurred_at=None, note: str = ""
) -> Sample:
    permissions.require(actor, "sample.seal", sample)
    sample = _locked(sample)
    permissions.require_custody(actor, sample)
    Sample.LIFECYCLE.require_transition(sample, Action.SEAL)
    _seal(sample=sample, actor=actor, seal_number=seal_number, location=location, occurred_at=occurred_at, note=note)
    return sample


@transaction.atomic
def sample_hand_over(
    *,
    actor: User,
    sample: Sample,
    seal_number_seen: str,
    to_user: User | None = None,
    carrier: str = "",
    location: str = "",
    occurred_at=None,
    note: str = "",
) -> Sample:
    """Give a sealed sample to a person with an account (to_user) or to an outside carrier named
    in `carrier`. The giver states the seal they see; it must be the one applied.

    A sample goes only to someone who may hold it, so that it is never stranded with a person nobody
    can take it from (samples.selectors.hand_over_recipients, which the form offers):
    - the staff of its laboratory (people with a laboratory role), whatever the split;
    - an outside carrier, named in free text, whatever the split; any laboratory receives from it;
    - the exporter that owns the lot (its exporter users), for the lot's exporter split only;
    - an umpire or customs referee laboratory, for umpire and customs referee splits only. Such a
      laboratory is an Organisation of kind laboratory other than the sample's own (the laboratory
      of its holder, or of its collector while a carrier or the exporter has it); its people have
      accounts there with laboratory roles, so that its technicians receive the split and hand it
      back. An outside laboratory without accounts is reached through a carrier.
    Anyone else is refused on `to_user`, saying why. Until the sample is received its giver may
    take it back (sample_recall)."""
    permissions.require(actor, "sample.hand_over", sample)
    sample = _locked(sample)
    permissions.require_custody(actor, sample)
    Sample.LIFECYCLE.require_transition(sample, Action.HAND_OVER)
    holder = sample.current_custodian
    if (
        sample.status == S.IN_TRANSIT
        and holder is not None
        and holder.pk != actor.pk
        and not permissions.is_admin(actor)
    ):
        # On its way to a person, a sample is handed on by that person only, not again by the giver.
        raise NotPermitted(
            _("Sample %(code)s is on its way to %(holder)s; only they can hand it on.")
            % {"code": sample.code, "holder": holder.party_label()}
        )
    carrier = carrier.strip()
    if bool(to_user) == bool(carrier):
        raise ApplicationError(_("Hand the sample to one person or to one carrier."), field="to_user")
    if to_user is not None:
        _check_recipient(actor=actor, sample=sample, to_user=to_user)
    seal_number_seen = seal_number_seen.strip().upper()
    _check_seal_format(seal_number_seen, "seal_number_seen")
    if seal_number_seen != sample.seal_number:
        raise ApplicationError(
            _("Seal %(seen)s is not the seal applied to %(code)s. Check the seal before handing the sample over.")
            % {"seen": seal_number_seen, "code": sample.code},
            field="seal_number_seen",
        )
    _append_event(
        sample=sample,
        action=Action.HAND_OVER,
        actor=actor,
        occurred_at=occurred_at,
        from_party=_holder_label(sample),
        to_party=_party(to_user, carrier),
        location=location,
        seal_number_seen=seal_number_seen,
        seal_intact=True,
        note=note,
        custodian=to_user,
    )
    if to_user is not None:
        notifications.notify(
            kind=NotificationKind.SAMPLE_HANDED_OVER, recipients=[to_user], about=sample,
            link=reverse("sample_detail", kwargs={"code": sample.code}),
            data={"sample": sample.code, "by": actor.party_label()},
        )  # fmt: skip
    return sample


def _check_recipient(*, actor: User, sample: Sample, to_user: User) -> None:
    """Refuse, on `to_user` and saying why, a person hand_over_recipients() does not offer."""
    if selectors.hand_over_recipients(actor, sample).filter(pk=to_user.pk).exists():
        return
    org = to_user.organisation
    names = {
        "user": to_user.party_label(),
        "code": sample.code,
        "org": org.name if org else "",
        "purpose": sample.get_purpose_display().lower(),
    }
    home = selectors.sample_laboratory(sample)
    if to_user.pk == actor.pk:
        message = _("You cannot hand a sample over to yourself.")
    elif not to_user.is_active:
        message = _("%(user)s has no active account.")
    elif org is None:
        message = _("%(user)s belongs to no organisation, so nobody could take %(code)s from them.")
    elif org.kind == Organisation.Kind.EXPORTER and org.pk != sample.lot.exporter_id:
        names["owner"] = sample.lot.exporter.name
        message = _("%(user)s works for %(org)s, which does not own the lot of %(code)s; of the exporters, only "
                    "%(owner)s may hold its samples.")  # fmt: skip
    elif org.kind == Organisation.Kind.EXPORTER and sample.purpose != Sample.Purpose.EXPORTER:
        message = _("Only the exporter split goes to %(org)s; %(code)s is a %(purpose)s split.")
    elif org.kind == Organisation.Kind.EXPORTER:
        message = _("%(user)s is no exporter user of %(org)s (customs brokers hold no samples).")
    elif org.kind == Organisation.Kind.LABORATORY and not permissions.effective_roles(to_user) & LAB_ROLES:
        message = _("%(user)s has no laboratory role at %(org)s.")
    elif org.kind == Organisation.Kind.LABORATORY and org != home:
        message = _("%(org)s is another laboratory: only umpire and customs referee splits go to another "
                    "laboratory, and %(code)s is a %(purpose)s split.")  # fmt: skip
    elif org.kind == Organisation.Kind.CUSTOMS:
        message = _("Customs officers do not hold samples: a customs referee split goes to the referee laboratory.")
    else:
        message = _("%(user)s may not hold %(code)s.")
    raise ApplicationError(message % names, field="to_user")


@transaction.atomic
def sample_recall(
    *, actor: User, sample: Sample, reason: str, location: str = "", occurred_at: datetime | None = None
) -> Sample:
    """Take back a sample handed over that nobody has received yet (a wrong addressee, a carrier that
    did not come): a recall event, with the reason, returns it to the giver, in the state it was
    handed over from. Only the giver (or an administrator) recalls, and only while the hand-over is
    the sample's last step; once received, the sample is handed back instead."""
    permissions.require(actor, "sample.recall", sample)
    sample = _locked(sample)
    Sample.LIFECYCLE.require(sample, Action.RECALL)
    hand_over = selectors.pending_hand_over(sample)
    if hand_over is None:
        raise Conflict(
            _("Sample %(code)s has not moved since it was taken back; there is no hand-over to recall.")
            % {"code": sample.code}
        )
    giver = hand_over.actor
    if giver.pk != actor.pk and not permissions.is_admin(actor):
        raise NotPermitted(
            _("Only %(giver)s, who handed %(code)s over, can recall it.")
            % {"giver": giver.party_label(), "code": sample.code}
        )
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for recalling the sample."), field="reason")
    event = _append_event(
        sample=sample, action=Action.RECALL, actor=actor, occurred_at=occurred_at, from_party=hand_over.to_party,
        to_party=giver.party_label(), location=location, note=reason, custodian=giver, to=hand_over.status_before,
    )  # fmt: skip
    audit_record(
        actor=actor, action=AuditAction.CUSTODY_RECALL, obj=sample,
        data={"sequence": event.sequence, "from": event.from_party, "to": event.to_party, "reason": reason},
    )  # fmt: skip
    return sample


@transaction.atomic
def sample_receive(
    *,
    actor: User,
    sample: Sample,
    seal_number_seen: str,
    seal_intact: bool,
    location: str = "",
    occurred_at=None,
    note: str = "",
) -> Sample:
    """Take a sample in at the laboratory and check its seal. A broken seal or a seal number other
    than the one applied puts the sample on hold with a nonconformance for the lab manager."""
    permissions.require(actor, "sample.receive", sample)
    sample = _locked(sample)
    permissions.require_addressee(actor, sample)
    Sample.LIFECYCLE.require_transition(sample, Action.RECEIVE)
    seal_number_seen = seal_number_seen.strip().upper()
    if seal_number_seen:
        _check_seal_format(seal_number_seen, "seal_number_seen")
    elif seal_intact:
        raise ApplicationError(_("Enter the number on the seal, or mark the seal as broken."), field="seal_number_seen")
    problems = []
    if not seal_intact:
        problems.append((Nonconformance.Kind.SEAL_BROKEN, _("The seal was found broken at reception.")))
    if seal_number_seen != sample.seal_number:
        problems.append(
            (
                Nonconformance.Kind.SEAL_MISMATCH,
                _("Seal %(seen)s was found where %(applied)s was applied.")
                % {"seen": seal_number_seen or _("(none)"), "applied": sample.seal_number},
            )
        )
    event = _append_event(
        sample=sample,
        action=Action.HOLD if problems else Action.RECEIVE,
        actor=actor,
        occurred_at=occurred_at,
        from_party=_giver_label(sample),
        to_party=actor.party_label(),
        location=location,
        seal_number_seen=seal_number_seen,
        seal_intact=seal_intact,
        note=note,
        custodian=actor,
    )
    for kind, description in problems:
        Nonconformance.objects.create(
            sample=sample,
            kind=kind,
            description=description + (f" {note}" if note else ""),
            raised_by=actor,
            raised_at=event.recorded_at,
        )
    if problems:
        notifications.notify(
            kind=NotificationKind.NONCONFORMANCE_RAISED, recipients=permissions.lab_managers(), about=sample,
            link=reverse("nonconformance_list"),
            data={
                "sample": sample.code, "lot": sample.lot.lot_number, "by": actor.party_label(),
                "problems": [kind.value for kind, _description in problems],
            },
        )  # fmt: skip
    return sample


@transaction.atomic
def nonconformance_resolve(*, actor: User, nonconformance: Nonconformance, accept: bool, reason: str) -> Nonconformance:
    """Accept the sample for testing despite the problem (the reason goes on record and, later, on
    the certificate) or reject it. The sample leaves hold when its last open problem is resolved."""
    permissions.require(actor, "nonconformance.resolve", nonconformance)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for your decision."), field="reason")
    sample = _locked(nonconformance.sample)
    nonconformance = Nonconformance.objects.select_for_update().get(pk=nonconformance.pk)
    nonconformance.status = Nonconformance.LIFECYCLE.require_transition(
        nonconformance, "resolve", to=Nonconformance.Status.ACCEPTED if accept else Nonconformance.Status.REJECTED
    )
    nonconformance.resolved_by = actor
    nonconformance.resolved_at = timezone.now()
    nonconformance.resolution = reason
    nonconformance.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    still_open = sample.nonconformances.filter(status=Nonconformance.Status.OPEN).exists()
    if not accept:
        # One rejected problem rejects the sample; the others are closed with it.
        sample.nonconformances.filter(status=Nonconformance.Status.OPEN).update(
            status=Nonconformance.Status.REJECTED, resolved_by=actor, resolved_at=timezone.now(), resolution=reason
        )
        holder = _holder_label(sample)
        _append_event(
            sample=sample, action=Action.REJECT, actor=actor, occurred_at=None,
            from_party=holder, to_party=holder, note=reason, custodian=sample.current_custodian,
        )  # fmt: skip
    elif not still_open:
        holder = _holder_label(sample)
        _append_event(
            sample=sample, action=Action.RELEASE, actor=actor, occurred_at=None,
            from_party=holder, to_party=holder, note=reason, custodian=sample.current_custodian,
        )  # fmt: skip
    return nonconformance


def _in_house_step(
    *,
    actor: User,
    sample: Sample,
    action: str,
    permission: str,
    location: str,
    occurred_at,
    note: str,
    reason_required: bool = False,
    keep_holder: bool = False,
) -> Sample:
    """A step taken by the organisation that holds the sample, without changing hands. The steps the
    assays app takes when results arrive (analyse, report) leave the sample with the person who
    holds it (`keep_holder`)."""
    permissions.require(actor, permission, sample)
    sample = _locked(sample)
    permissions.require_custody(actor, sample)
    Sample.LIFECYCLE.require_transition(sample, action)
    if reason_required and not note.strip():
        raise ApplicationError(_("Give the reason for this step."), field="note")
    custodian = sample.current_custodian if keep_holder else actor
    holder = _party(custodian)
    _append_event(
        sample=sample, action=action, actor=actor, occurred_at=occurred_at,
        from_party=holder, to_party=holder, location=location, note=note.strip(), custodian=custodian,
    )  # fmt: skip
    return sample


@transaction.atomic
def sample_prepare(*, actor: User, sample: Sample, location: str = "", occurred_at=None, note: str = "") -> Sample:
    """Record that the holder of a sample has prepared it (dried, crushed, pulverised, split)."""
    return _in_house_step(
        actor=actor, sample=sample, action=Action.PREPARE, permission="sample.prepare", location=location,
        occurred_at=occurred_at, note=note,
    )  # fmt: skip


@transaction.atomic
def sample_store(*, actor: User, sample: Sample, location: str = "", occurred_at=None, note: str = "") -> Sample:
    """Record that the holder of a sample has put it in store."""
    return _in_house_step(
        actor=actor, sample=sample, action=Action.STORE, permission="sample.store", location=location,
        occurred_at=occurred_at, note=note,
    )  # fmt: skip


@transaction.atomic
def sample_dispose(*, actor: User, sample: Sample, location: str = "", occurred_at=None, note: str = "") -> Sample:
    """Record that the holder of a sample has disposed of it; the reason is required."""
    return _in_house_step(
        actor=actor, sample=sample, action=Action.DISPOSE, permission="sample.dispose", location=location,
        occurred_at=occurred_at, note=note, reason_required=True,
    )  # fmt: skip


@transaction.atomic
def sample_start_analysis(
    *, actor: User, sample: Sample, location: str = "", occurred_at=None, note: str = ""
) -> Sample:
    """Record that the laboratory has started analysing a sample (its first result); the holder keeps it."""
    return _in_house_step(
        actor=actor, sample=sample, action=Action.ANALYSE, permission="sample.analyse", location=location,
        occurred_at=occurred_at, note=note, keep_holder=True,
    )  # fmt: skip


@transaction.atomic
def sample_report(*, actor: User, sample: Sample, location: str = "", occurred_at=None, note: str = "") -> Sample:
    """Record that every analyte of a sample's panel is approved; the holder keeps it."""
    return _in_house_step(
        actor=actor, sample=sample, action=Action.REPORT, permission="sample.report", location=location,
        occurred_at=occurred_at, note=note, keep_holder=True,
    )  # fmt: skip
