"""A sample's preparation, recorded step by step (assays.preparation reads it back).

Each step is a new PreparationStep row (append-only: a step redone is a new row, the history
stays), recorded by a technician or manager of the laboratory that holds the sample, audited. The
first step moves a received sample into preparation (a custody event). Every weighing names the
balance it was read from; a balance out of service or past its calibration date is refused, as an
instrument is for runs.

- Drying computes the moisture (wet - dry) / (wet - tare) x 100 and enters it as the sample's
  moisture result through assays.services.results, so a second person approves it like any result.
- A sizing check computes the % passing the method's screen from the mass screened and the mass
  retained, and passes or fails against the method's specification; a failed check blocks the
  method's analysis of the sample (runs and manual entry refuse it) until a later check passes.
- The aliquot's digested mass and final volume become the sample's preparation factors in every
  run of the method (assays.preparation).
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import preparation
from assays.models import ANALYSABLE, MOISTURE, Analyte, Balance, Method, PanelEntry, PreparationStep
from assays.services.results import ManualEntry, results_enter
from lims import permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError, Conflict
from lims.models import User
from samples import services as sample_services
from samples.models import Sample

Kind = PreparationStep.Kind
# The moisture is stored as results are: eight decimals, rounded half to even only past them.
MOISTURE_PLACES = Decimal("1e-8")
# Plain steps: what was done, with what, by whom and when.
PLAIN_STEPS = (Kind.CRUSHING, Kind.PULVERISING, Kind.SPLITTING)


def moisture_pct(*, tare_g: Decimal, wet_g: Decimal, dry_g: Decimal) -> Decimal:
    """Mass loss on drying as a percentage of the wet sample (ISO 10251): (wet - dry) / (wet - tare) x 100,
    where wet and dry are weighed with the tray."""
    return ((wet_g - dry_g) / (wet_g - tare_g) * 100).quantize(MOISTURE_PLACES)


def passing_pct(*, screened_g: Decimal, retained_g: Decimal) -> Decimal:
    """The share of the screened mass that passed the screen, in %."""
    return ((screened_g - retained_g) / screened_g * 100).quantize(MOISTURE_PLACES)


def _check_balance(balance: Balance) -> None:
    if not balance.active:
        raise ApplicationError(_("%(balance)s is out of service.") % {"balance": balance}, field="balance")
    if not balance.calibration_valid_on(timezone.localdate()):
        raise ApplicationError(
            _("The calibration of %(balance)s was due on %(due)s; calibrate it before weighing with it.")
            % {"balance": balance, "due": balance.calibration_due.isoformat()},
            field="balance",
        )


def _positive(name: str, value: Decimal | None) -> Decimal:
    if value is None:
        raise ApplicationError(_("Enter a number."), field=name)
    if value <= 0:
        raise ApplicationError(_("Enter a positive number."), field=name)
    return value


def _check_time(performed_at: datetime | None) -> datetime:
    now = timezone.now()
    if performed_at is None:
        return now
    if performed_at > now + sample_services.CLOCK_TOLERANCE:
        raise ApplicationError(_("The time of the step cannot be in the future."), field="performed_at")
    return performed_at


def _sample_for_preparation(actor: User, sample: Sample) -> Sample:
    """Lock the sample, check the actor's laboratory holds it and it may be prepared, and move a
    received sample into preparation with its first step."""
    permissions.require(actor, "sample.prepare", sample)
    sample = Sample.objects.select_for_update(of=("self",)).select_related("lot").get(pk=sample.pk)
    permissions.require_custody(actor, sample)
    if sample.status not in ANALYSABLE:
        raise Conflict(
            _("Sample %(code)s is %(status)s; only samples received with an intact or accepted seal are prepared.")
            % {"code": sample.code, "status": sample.get_status_display().lower()},
            field="sample",
        )
    if Sample.LIFECYCLE.allows(sample, "prepare"):
        sample_services.sample_prepare(actor=actor, sample=sample, note=_("Preparation recorded"))
        sample.refresh_from_db()
    return sample


def _method_of_sample(sample: Sample, method: Method | None) -> Method:
    if method is None:
        raise ApplicationError(_("Choose the method this step prepares the sample for."), field="method")
    if not PanelEntry.objects.filter(panel__material_id=sample.lot.material_id, method=method).exists():
        raise ApplicationError(
            _("%(method)s determines nothing of %(material)s.") % {"method": method, "material": sample.lot.material},
            field="method",
        )
    return method


def _record(step: PreparationStep, actor: User, data: dict) -> PreparationStep:
    step.full_clean()
    step.save()
    audit_record(
        actor=actor,
        action=AuditAction.PREPARATION_RECORD,
        obj=step,
        data={"sample": step.sample.code, "kind": step.kind, **data},
    )
    return step


@transaction.atomic
def prep_drying(
    *,
    actor: User,
    sample: Sample,
    balance: Balance,
    tare_g: Decimal,
    wet_g: Decimal,
    dry_g: Decimal,
    temperature_c: Decimal,
    duration_min: int,
    performed_at: datetime | None = None,
    note: str = "",
) -> PreparationStep:
    """Record a drying and enter the moisture it gives as the sample's moisture result (entered;
    a second person approves it)."""
    sample = _sample_for_preparation(actor, sample)
    _check_balance(balance)
    if tare_g is None or tare_g < 0:
        raise ApplicationError(_("Enter the tray's tare, 0 g or more."), field="tare_g")
    if _positive("wet_g", wet_g) <= tare_g:
        raise ApplicationError(_("The tray with the wet sample must weigh more than the tray alone."), field="wet_g")
    if dry_g is None or dry_g < tare_g:
        raise ApplicationError(_("The tray with the dry sample cannot weigh less than the tray alone."), field="dry_g")
    if dry_g > wet_g:
        raise ApplicationError(
            _("The dried sample cannot weigh more than the wet one: check the two weighings."), field="dry_g"
        )
    if temperature_c is None or not Decimal(0) < temperature_c <= Decimal(300):
        raise ApplicationError(_("Enter the drying temperature in °C (above 0, at most 300)."), field="temperature_c")
    if duration_min is None or duration_min <= 0:
        raise ApplicationError(_("Enter the drying time in minutes."), field="duration_min")
    moisture = moisture_pct(tare_g=tare_g, wet_g=wet_g, dry_g=dry_g)
    water = Analyte.objects.get(symbol=MOISTURE)
    entry = PanelEntry.objects.filter(panel__material_id=sample.lot.material_id, analyte=water).first()
    if entry is None:
        raise ApplicationError(
            _("The panel of %(material)s reports no moisture.") % {"material": sample.lot.material}, field="sample"
        )
    (result,) = results_enter(
        actor=actor, method=entry.method, entries=[ManualEntry(sample=sample, analyte=water, value=moisture)]
    )
    step = PreparationStep(
        sample=sample, kind=Kind.DRYING, method=entry.method, balance=balance, tare_g=tare_g, wet_g=wet_g,
        dry_g=dry_g, temperature_c=temperature_c, duration_min=duration_min, moisture_pct=moisture, result=result,
        performed_by=actor, performed_at=_check_time(performed_at), note=note.strip(),
    )  # fmt: skip
    return _record(step, actor, {"moisture_pct": str(moisture), "result": result.pk, "balance": balance.serial})


@transaction.atomic
def prep_sizing(
    *,
    actor: User,
    sample: Sample,
    method: Method,
    balance: Balance,
    screened_g: Decimal,
    retained_g: Decimal,
    performed_at: datetime | None = None,
    note: str = "",
) -> PreparationStep:
    """Record a sizing check against the method's specification. A check that fails blocks the
    method's analysis of the sample; a later one that passes lifts the block (both stay)."""
    sample = _sample_for_preparation(actor, sample)
    method = _method_of_sample(sample, method)
    spec = preparation.spec_of(method)
    if spec is None or spec.screen_um is None or spec.min_passing_pct is None:
        raise ApplicationError(
            _("%(method)s has no sizing specification; a manager sets it with the method's preparation.")
            % {"method": method},
            field="method",
        )
    _check_balance(balance)
    _positive("screened_g", screened_g)
    if retained_g is None or retained_g < 0:
        raise ApplicationError(_("Enter the mass retained on the screen, 0 g or more."), field="retained_g")
    if retained_g > screened_g:
        raise ApplicationError(_("More cannot be retained than was screened."), field="retained_g")
    passing = passing_pct(screened_g=screened_g, retained_g=retained_g)
    passed = passing >= spec.min_passing_pct
    step = PreparationStep(
        sample=sample, kind=Kind.SIZING, method=method, balance=balance, screen_um=spec.screen_um,
        screened_g=screened_g, retained_g=retained_g, passing_pct=passing, required_pct=spec.min_passing_pct,
        passed=passed, performed_by=actor, performed_at=_check_time(performed_at), note=note.strip(),
    )  # fmt: skip
    return _record(
        step, actor, {"method": method.code, "passing_pct": str(passing), "passed": passed, "balance": balance.serial}
    )


@transaction.atomic
def prep_aliquot(
    *,
    actor: User,
    sample: Sample,
    method: Method,
    balance: Balance,
    mass_g: Decimal,
    volume_ml: Decimal,
    performed_at: datetime | None = None,
    note: str = "",
) -> PreparationStep:
    """Record the analytical aliquot weighed for a method and the volume its digest is made up to:
    the sample's preparation factors in every run of the method. Refused while a failed sizing check
    blocks the method: an aliquot of a pulp too coarse is not analysed."""
    sample = _sample_for_preparation(actor, sample)
    method = _method_of_sample(sample, method)
    _check_balance(balance)
    _positive("mass_g", mass_g)
    _positive("volume_ml", volume_ml)
    blocked = preparation.sizing_blocks([sample.pk], method)
    if blocked:
        raise Conflict(blocked[sample.pk] + ".", field="method")
    step = PreparationStep(
        sample=sample, kind=Kind.ALIQUOT, method=method, balance=balance, mass_g=mass_g, volume_ml=volume_ml,
        performed_by=actor, performed_at=_check_time(performed_at), note=note.strip(),
    )  # fmt: skip
    return _record(
        step,
        actor,
        {"method": method.code, "mass_g": str(mass_g), "volume_ml": str(volume_ml), "balance": balance.serial},
    )


@transaction.atomic
def prep_step(
    *,
    actor: User,
    sample: Sample,
    kind: str,
    equipment: str = "",
    method: Method | None = None,
    performed_at: datetime | None = None,
    note: str = "",
) -> PreparationStep:
    """Record crushing, pulverising or splitting (for every method of the sample, or for one)."""
    if kind not in PLAIN_STEPS:
        raise ApplicationError(
            _("Record crushing, pulverising or splitting here; drying, sizing and the aliquot have their own forms."),
            field="kind",
        )
    sample = _sample_for_preparation(actor, sample)
    if method is not None:
        method = _method_of_sample(sample, method)
    step = PreparationStep(
        sample=sample, kind=kind, method=method, equipment=equipment.strip(), performed_by=actor,
        performed_at=_check_time(performed_at), note=note.strip(),
    )  # fmt: skip
    return _record(step, actor, {"method": method.code if method else "", "equipment": step.equipment})
