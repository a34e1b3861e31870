"""Batches: build one from samples ready for analysis with its method's QC mask (assays.masks), cancel
it, and move it along with the run uploaded against it (assays.services.runs calls `batch_run_*`).

Decisions a lab auditor will look for:
- A sample may join a batch in the statuses in which it may take results (assays.models.ANALYSABLE),
  only when its panel reports an analyte of the batch's method, and in one open (planned or running)
  batch of a method at a time.
- The CRM of a batch is the active reference material certifying the most of the analytes the method
  reports; among equals, the first by name. None certifying any is a refusal, never a batch without
  its CRM positions.
- Every name the sequence gives the instrument is read back by the importers as what it is (a sample
  code as a sample, OREAS 991 2 as that CRM, METHOD BLANK 1 as a method blank...): a name they would
  read otherwise refuses the batch, naming it.
"""

from collections import Counter
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import masks
from assays.batch_models import Batch, BatchPosition, BatchRun, PositionKind, QCKind, QCMask
from assays.importers.vocabulary import Classifier
from assays.models import ANALYSABLE, Instrument, Method, PanelEntry, ReferenceMaterial, RowType, Run
from assays.services.imports import crm_names
from lims import permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError
from lims.models import User
from samples.models import Sample

# The most samples one batch holds: a day of an ICP-MS, with room.
MAX_SAMPLES = 500
OPEN = (Batch.Status.PLANNED, Batch.Status.RUNNING)

# The row type the importers must read each position's name as.
EXPECTED_TYPE = {
    PositionKind.SAMPLE: RowType.SAMPLE,
    PositionKind.CAL_BLANK: RowType.CAL_BLANK,
    PositionKind.METHOD_BLANK: RowType.METHOD_BLANK,
    PositionKind.CRM: RowType.CRM,
    PositionKind.DUPLICATE: RowType.DUPLICATE,
    PositionKind.CCV: RowType.CCV,
}
# The names of QC positions, numbered in the batch: CAL BLANK 1, METHOD BLANK 2, CCV 3 (a CRM's is its
# name and number, a duplicate's DUP and the position it repeats).
QC_NAMES = {
    QCKind.CAL_BLANK: "CAL BLANK",
    QCKind.METHOD_BLANK: "METHOD BLANK",
    QCKind.CCV: "CCV",
}


def method_analyte_ids(method: Method) -> set[int]:
    """The analytes `method` reports: those of panel entries measured by it."""
    return set(PanelEntry.objects.filter(method=method).values_list("analyte_id", flat=True))


def crm_for(method: Method) -> ReferenceMaterial:
    """The active reference material certifying the most of the method's analytes, the first by name
    among equals; ApplicationError when none certifies any."""
    analytes = method_analyte_ids(method)
    best = (
        ReferenceMaterial.objects.filter(active=True)
        .annotate(certified=Count("values", filter=Q(values__analyte_id__in=analytes), distinct=True))
        .filter(certified__gt=0)
        .order_by("-certified", "name")
        .first()
    )
    if best is None:
        raise ApplicationError(
            _(
                "No active reference material certifies an analyte of %(method)s, and its QC mask has CRM "
                "positions. Enter a CRM's certified values in the reference data first."
            )
            % {"method": method},
            field="method",
        )
    return best


def _check_request(*, method: Method, instrument: Instrument) -> QCMask:
    if not method.imported:
        raise ApplicationError(
            _("%(method)s results are entered by hand: a batch plans an instrument run.") % {"method": method},
            field="method",
        )
    mask = QCMask.objects.filter(method=method).first()
    if mask is None or not mask.rules.exists():
        raise ApplicationError(
            _("%(method)s has no QC mask: a lab manager sets its QC positions in the reference data first.")
            % {"method": method},
            field="method",
        )
    if not instrument.active:
        raise ApplicationError(_("%(instrument)s is out of service.") % {"instrument": instrument}, field="instrument")
    if not instrument.calibration_valid_on(timezone.localdate()):
        raise ApplicationError(
            _("The calibration of %(instrument)s was due on %(due)s; calibrate it before planning a batch.")
            % {"instrument": instrument, "due": instrument.calibration_due.isoformat()},
            field="instrument",
        )
    return mask


def _samples(codes: Sequence[str], method: Method) -> list[Sample]:
    """The samples named by `codes`, in that order, each one checked; ApplicationError on field
    `samples` naming every code refused for the same reason."""
    codes = [code.strip() for code in codes if code.strip()]
    if not codes:
        raise ApplicationError(_("Name at least one sample."), field="samples")
    if len(codes) > MAX_SAMPLES:
        raise ApplicationError(
            _("A batch holds at most %(max)d samples; this one names %(count)d.")
            % {"max": MAX_SAMPLES, "count": len(codes)},
            field="samples",
        )
    repeated = [code for code, times in Counter(code.upper() for code in codes).items() if times > 1]
    if repeated:
        raise ApplicationError(
            _("Each sample once: %(codes)s named twice (the mask adds the duplicates).")
            % {"codes": ", ".join(repeated)},
            field="samples",
        )
    found = {s.code.upper(): s for s in Sample.objects.filter(code__in=codes).select_related("lot__material")}
    # Codes are stored as registered; a case-insensitive second look finds codes typed in lower case.
    missing = [code for code in codes if code.upper() not in found]
    if missing:
        lookup = Q()
        for code in missing:
            lookup |= Q(code__iexact=code)
        found.update({s.code.upper(): s for s in Sample.objects.filter(lookup).select_related("lot__material")})
    unknown = [code for code in codes if code.upper() not in found]
    if unknown:
        raise ApplicationError(_("No sample has the code %(codes)s.") % {"codes": ", ".join(unknown)}, field="samples")
    samples = [found[code.upper()] for code in codes]
    not_ready = [s for s in samples if s.status not in ANALYSABLE]
    if not_ready:
        shown = ", ".join(f"{s.code} ({s.get_status_display().lower()})" for s in not_ready)
        raise ApplicationError(
            _("Not ready for analysis (received, in preparation or in analysis): %(samples)s.") % {"samples": shown},
            field="samples",
        )
    measured = set(
        PanelEntry.objects.filter(method=method, panel__material__in={s.lot.material_id for s in samples}).values_list(
            "panel__material_id", flat=True
        )
    )
    off_panel = [s.code for s in samples if s.lot.material_id not in measured]
    if off_panel:
        raise ApplicationError(
            _("%(method)s measures nothing of the panel of %(samples)s.")
            % {"method": method.code, "samples": ", ".join(off_panel)},
            field="samples",
        )
    busy = (
        BatchPosition.objects.filter(
            kind=PositionKind.SAMPLE, sample__in=samples, batch__method=method, batch__status__in=OPEN
        )
        .order_by("batch_id", "number")
        .values_list("sample__code", "batch_id")
    )
    if busy:
        # The message outside the f-string: makemessages does not read one inside it.
        shown = ", ".join(f"{code} (" + _("batch %(number)s") % {"number": batch} + ")" for code, batch in busy)
        raise ApplicationError(
            _("Already in an open batch of this method: %(samples)s. Cancel that batch, or leave them out.")
            % {"samples": shown},
            field="samples",
        )
    return samples


def _labels(slots: list[masks.Slot], samples: list[Sample], crm: ReferenceMaterial | None) -> list[str]:
    numbers = {id(slot): position for position, slot in enumerate(slots, 1)}
    counts: Counter[str] = Counter()
    labels = []
    for slot in slots:
        counts[slot.kind] += 1
        if slot.kind == PositionKind.SAMPLE and slot.sample is not None:
            labels.append(samples[slot.sample].code)
        elif slot.kind == PositionKind.DUPLICATE and slot.original is not None:
            labels.append(f"DUP {numbers[id(slot.original)]}")
        elif slot.kind == PositionKind.CRM and crm is not None:
            labels.append(f"{crm.name} {counts[slot.kind]}")
        else:
            labels.append(f"{QC_NAMES[QCKind(slot.kind)]} {counts[slot.kind]}")
    return labels


def _check_labels(slots: list[masks.Slot], labels: list[str], crm: ReferenceMaterial | None) -> None:
    """Every name must come back from the instrument as what it is (see the module docstring)."""
    names = crm_names()
    classifier = Classifier(list(names))
    for slot, label in zip(slots, labels, strict=True):
        row_type, crm_name, _original = classifier.classify(label, None, {})
        expected = EXPECTED_TYPE[PositionKind(slot.kind)]
        read = RowType(row_type).label.lower()
        if row_type == RowType.CRM:
            read = f"{read} {names[crm_name].name}" if crm_name in names else read
        wanted = PositionKind(slot.kind).label.lower()
        if expected == RowType.CRM and crm is not None:
            wanted = f"{wanted} {crm.name}"
        if read != wanted and (row_type != expected or expected == RowType.CRM):
            raise ApplicationError(
                _(
                    "The importers would read “%(label)s” as a %(read)s, not as a %(kind)s; rename the sample or the "
                    "reference material before batching it."
                )
                % {"label": label, "read": read, "kind": wanted},
                field="samples",
            )


@transaction.atomic
def batch_create(*, actor: User, method: Method, instrument: Instrument, codes: Sequence[str]) -> Batch:
    """Build a planned batch of the samples named by `codes`, in that order, with the QC positions of
    the method's mask (assays.masks) and its CRM (crm_for)."""
    permissions.require(actor, "batch.create")
    mask = _check_request(method=method, instrument=instrument)
    samples = _samples(codes, method)
    # Lock the samples: two technicians batching the same sample at once, one waits and is refused.
    list(Sample.objects.select_for_update().filter(pk__in=[s.pk for s in samples]).values_list("pk", flat=True))
    _samples([s.code for s in samples], method)
    rules = [masks.Rule(r.kind, r.placement, r.interval) for r in mask.rules.order_by("order", "id")]
    slots = masks.expand(rules, len(samples))
    crm = crm_for(method) if any(slot.kind == PositionKind.CRM for slot in slots) else None
    labels = _labels(slots, samples, crm)
    _check_labels(slots, labels, crm)
    batch = Batch(method=method, instrument=instrument, reference_material=crm, created_by=actor)
    batch.save()
    positions = {}
    for number, (slot, label) in enumerate(zip(slots, labels, strict=True), 1):
        positions[id(slot)] = BatchPosition(
            batch=batch,
            number=number,
            kind=slot.kind,
            label=label,
            sample=samples[slot.sample] if slot.sample is not None else None,
            reference_material=crm if slot.kind == PositionKind.CRM else None,
        )
    # Originals first: a duplicate names its original's row.
    BatchPosition.objects.bulk_create([p for s, p in zip(slots, positions.values(), strict=True) if s.original is None])
    duplicates = []
    for slot in slots:
        if slot.original is not None:
            position = positions[id(slot)]
            position.duplicate_of = positions[id(slot.original)]
            duplicates.append(position)
    BatchPosition.objects.bulk_create(duplicates)
    audit_record(
        actor=actor,
        action=AuditAction.BATCH_CREATE,
        obj=batch,
        data={
            "method": method.code,
            "instrument": instrument.serial,
            "samples": [s.code for s in samples],
            "positions": len(slots),
            "reference_material": crm.name if crm else None,
        },
    )
    return batch


@transaction.atomic
def batch_cancel(*, actor: User, batch: Batch, reason: str) -> Batch:
    """Cancel a planned batch (its samples are free for another); the reason is kept."""
    permissions.require(actor, "batch.cancel", batch)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the batch is cancelled."), field="reason")
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    batch.status = Batch.LIFECYCLE.require_transition(batch, "cancel")
    batch.cancelled_by, batch.cancelled_at, batch.cancel_reason = actor, timezone.now(), reason
    batch.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
    audit_record(actor=actor, action=AuditAction.BATCH_CANCEL, obj=batch, data={"reason": reason})
    return batch


# The run's side (called by assays.services.runs, inside its transaction) ------------------------


def batch_check_for_run(*, batch: Batch, method: Method, instrument: Instrument) -> None:
    """A run may be uploaded against a planned batch of its method and instrument only."""
    if batch.method_id != method.pk:
        raise ApplicationError(
            _("%(batch)s is a batch of %(method)s, not of the method chosen.")
            % {"batch": batch, "method": batch.method},
            field="batch",
        )
    if batch.instrument_id != instrument.pk:
        raise ApplicationError(
            _("%(batch)s is planned on %(instrument)s, not on the instrument chosen.")
            % {"batch": batch, "instrument": batch.instrument},
            field="batch",
        )
    Batch.LIFECYCLE.require(batch, "start")


def batch_run_start(*, actor: User, run: Run, batch: Batch) -> None:
    """Record that `run` (just created) measures `batch`: the batch is running."""
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    batch_check_for_run(batch=locked, method=run.method, instrument=run.instrument)
    locked.status = Batch.LIFECYCLE.require_transition(locked, "start")
    locked.save(update_fields=["status"])
    BatchRun.objects.create(run=run, batch=locked)
    audit_record(actor=actor, action=AuditAction.BATCH_START, obj=locked, data={"run": run.pk})


def _move(*, actor: User | None, run: Run, action: str, audit: AuditAction) -> None:
    link = BatchRun.objects.filter(run=run).first()
    if link is None:
        return
    batch = Batch.objects.select_for_update().get(pk=link.batch_id)
    if not Batch.LIFECYCLE.allows(batch, action):
        return
    batch.status = Batch.LIFECYCLE.require_transition(batch, action)
    batch.save(update_fields=["status"])
    audit_record(actor=actor, action=audit, obj=batch, data={"run": run.pk})


def batch_run_accepted(*, actor: User, run: Run) -> None:
    """The batch's run is accepted: the batch is complete."""
    _move(actor=actor, run=run, action="complete", audit=AuditAction.BATCH_COMPLETE)


def batch_run_dropped(*, actor: User | None, run: Run) -> None:
    """The batch's run is refused, discarded or withdrawn: the batch is planned again, to be measured anew."""
    _move(actor=actor, run=run, action="reopen", audit=AuditAction.BATCH_REOPEN)
