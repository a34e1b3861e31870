"""A sample's preparation record, read: the steps done, the steps its methods still want, whether a
failed sizing check blocks a method's analysis, and the preparation factors (digested mass and
final volume) a run uses for each of its samples.

Where a run's factors come from, per sample (the rule run_accept applies and the run page shows):
1. the aliquot weighed at the sample's preparation for the run's method, when there is one;
2. otherwise, for a method whose preparation specification does not require the aliquot (a
   laboratory that has not configured the method's preparation yet), the digested mass and final
   volume typed on the run, as before preparation was recorded;
3. otherwise nothing: the sample is named as lacking its factors and the run cannot be accepted.
No factor is ever guessed: a method that requires the aliquot never falls back on the run's figures
(they remain the figures of the run's QC digests, the CRMs, which have no preparation record).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from assays import units
from assays.models import Method, PanelEntry, PreparationSpec, PreparationStep, RowType, Run
from samples.models import Sample

Kind = PreparationStep.Kind

FROM_PREPARATION = "preparation"
FROM_RUN = "run"


@dataclass(frozen=True)
class Factors:
    """A digest of `mass_g` made up to `volume_ml`, and where the figures come from."""

    mass_g: Decimal
    volume_ml: Decimal
    source: str  # FROM_PREPARATION or FROM_RUN
    step_id: int | None = None

    @property
    def source_label(self) -> str:
        if self.source == FROM_PREPARATION:
            return _("weighed at preparation")
        return _("typed on the run (the method does not require the aliquot)")


def spec_of(method: Method) -> PreparationSpec | None:
    return PreparationSpec.objects.filter(method=method).first()


def takes_factors_from_preparation(method: Method) -> bool:
    """Whether the method's samples take their digested mass and final volume from their preparation
    record only (its specification requires the aliquot)."""
    return PreparationSpec.objects.filter(method=method, requires_aliquot=True).exists()


def _latest(steps, key) -> dict:
    """The latest step of each key, from steps ordered oldest first."""
    latest: dict = {}
    for step in steps:
        latest[key(step)] = step
    return latest


def sizing_blocks(sample_ids, method: Method) -> dict[int, str]:
    """The samples (by id) whose latest sizing check for `method` failed, each with why: the
    method's analysis of them waits until a check passes."""
    checks = (
        PreparationStep.objects.filter(sample_id__in=list(sample_ids), method=method, kind=Kind.SIZING)
        .select_related("sample", "method")
        .order_by("performed_at", "id")
    )
    return {
        sample_id: sizing_refusal(check)
        for sample_id, check in _latest(checks, lambda s: s.sample_id).items()
        if not check.passed
    }


def sizing_refusal(check: PreparationStep) -> str:
    """Why a failed sizing check holds the sample back."""
    return _(
        "%(code)s failed its sizing check for %(method)s (%(passing)s %% passing %(screen)s µm, %(required)s %% "
        "required): pulverise it again and record a check that passes"
    ) % {
        "code": check.sample.code,
        "method": check.method.code if check.method else "",
        "passing": units.round_to(check.passing_pct, 1) if check.passing_pct is not None else "",
        "screen": check.screen_um,
        "required": check.required_pct,
    }


def aliquots(sample_ids, method: Method) -> dict[int, PreparationStep]:
    """The latest aliquot weighed for `method` of each sample (by id) that has one."""
    steps = PreparationStep.objects.filter(sample_id__in=list(sample_ids), method=method, kind=Kind.ALIQUOT).order_by(
        "performed_at", "id"
    )
    return _latest(steps, lambda s: s.sample_id)


@dataclass
class RunPreparation:
    """What a run needs of its samples' preparation: the factors of each sample whose readings are
    solution concentrations, the samples lacking them, and the samples a failed sizing check blocks."""

    factors: dict[int, Factors] = field(default_factory=dict)
    rows: list[tuple[Sample, Factors | None]] = field(default_factory=list)
    missing: list[Sample] = field(default_factory=list)
    blocked: dict[int, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return not self.missing and not self.blocked

    def problems(self) -> list[str]:
        problems = list(self.blocked.values())
        if self.missing:
            problems.append(
                _(
                    "no digested mass and final volume for %(samples)s: weigh each one's analytical aliquot on "
                    "its preparation page"
                )
                % {"samples": ", ".join(s.code for s in self.missing)}
            )
        return problems


def run_preparation(run: Run) -> RunPreparation:
    """The preparation factors of a run's samples (see the module's rule) and what blocks them."""
    pairs = (
        run.readings.filter(row_type=RowType.SAMPLE, sample__isnull=False).values_list("sample_id", "unit").distinct()
    )
    all_ids: set[int] = set()
    solution_ids: set[int] = set()
    for sample_id, unit in pairs:
        all_ids.add(sample_id)
        if units.is_solution_unit(unit):
            solution_ids.add(sample_id)
    found = RunPreparation(blocked=sizing_blocks(all_ids, run.method))
    if not solution_ids:
        return found
    weighed = aliquots(solution_ids, run.method)
    fallback = None
    if run.prep_mass_g and run.prep_volume_ml and not takes_factors_from_preparation(run.method):
        fallback = Factors(run.prep_mass_g, run.prep_volume_ml, FROM_RUN)
    for sample in Sample.objects.filter(pk__in=solution_ids).order_by("code"):
        step = weighed.get(sample.pk)
        factors = (
            Factors(step.mass_g, step.volume_ml, FROM_PREPARATION, step.pk)
            if step is not None and step.mass_g and step.volume_ml
            else fallback
        )
        found.rows.append((sample, factors))
        if factors is None:
            found.missing.append(sample)
        else:
            found.factors[sample.pk] = factors
    return found


def to_solid(value: Decimal, unit: str, *, factors: Factors | None, to_unit: str) -> Decimal:
    """A reading's value as a content of the solid, with the sample's preparation factors."""
    if units.is_solution_unit(unit):
        if factors is None:  # run_accept refuses a run whose samples lack them, before converting
            raise TypeError(f"{unit} reading without preparation factors")
        return units.solution_to_solid(
            value, unit, final_volume_ml=factors.volume_ml, sample_mass_g=factors.mass_g, to_unit=to_unit
        )
    return units.convert(value, unit, to_unit)


# The sample's preparation page ---------------------------------------------------------------


def sample_methods(sample: Sample) -> QuerySet:
    """The methods of the sample's panel, which its preparation serves."""
    ids = PanelEntry.objects.filter(panel__material_id=sample.lot.material_id).values("method_id")
    return Method.objects.filter(pk__in=ids).select_related("preparation_spec").order_by("name")


def sample_steps(sample: Sample) -> QuerySet:
    return (
        PreparationStep.objects.filter(sample=sample)
        .select_related("method", "balance", "performed_by", "result")
        .order_by("performed_at", "id")
    )


@dataclass
class MethodPreparation:
    method: Method
    spec: PreparationSpec | None
    outstanding: list[str]
    blocked: str
    aliquot: PreparationStep | None


def sample_preparation(sample: Sample) -> tuple[list[PreparationStep], list[MethodPreparation]]:
    """The sample's steps in order, and per method of its panel: the required steps not done yet,
    the sizing block (if any) and the aliquot that gives its runs their factors."""
    steps = list(sample_steps(sample))
    done_any = {s.kind for s in steps if s.method_id is None}
    done_for: dict[int, set[str]] = {}
    latest_aliquot: dict[int, PreparationStep] = {}
    latest_sizing: dict[int, PreparationStep] = {}
    for step in steps:
        if step.method_id is not None:
            done_for.setdefault(step.method_id, set()).add(step.kind)
            if step.kind == Kind.ALIQUOT:
                latest_aliquot[step.method_id] = step
            elif step.kind == Kind.SIZING:
                latest_sizing[step.method_id] = step
    per_method = []
    labels = dict(Kind.choices)
    for method in sample_methods(sample):
        spec = getattr(method, "preparation_spec", None)
        done = done_any | done_for.get(method.pk, set())
        outstanding = [str(labels[k]) for k in (spec.required_steps() if spec else []) if k not in done]
        sizing = latest_sizing.get(method.pk)
        blocked = ""
        if sizing is not None and not sizing.passed:
            blocked = sizing_refusal(sizing)
        per_method.append(MethodPreparation(method, spec, outstanding, blocked, latest_aliquot.get(method.pk)))
    return steps, per_method
