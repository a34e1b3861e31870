"""The QC checks of one run, assembled from its QC readings and the reference data (limits, certified
values, check levels): assays.qc judges each check, this module finds what to judge it against."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from assays import qc, units
from assays.models import (
    CertifiedValue,
    MethodAnalyte,
    PanelEntry,
    QCCheck,
    Qualifier,
    ReferenceMaterial,
    RowType,
    Run,
)


class QCRow(NamedTuple):
    """What the QC checks need of a reading."""

    row: int
    row_type: str
    rejected: bool
    analyte_id: int
    symbol: str
    unit: str
    value: Decimal | None
    qualifier: str
    detection_limit: Decimal | None
    sample_name: str
    duplicate_of: str
    crm: ReferenceMaterial | None
    acquired_at: datetime | None


def _solid(reading: QCRow, run: Run, to_unit: str) -> Decimal | None:
    """A reading's value (or detection limit when censored) as a content of the solid."""
    value = reading.value if reading.value is not None else reading.detection_limit
    if value is None:
        return None
    return to_solid(value, reading.unit, run=run, to_unit=to_unit)


def to_solid(value: Decimal, unit: str, *, run: Run, to_unit: str) -> Decimal:
    if units.is_solution_unit(unit):
        volume, mass = run.prep_volume_ml, run.prep_mass_g
        if volume is None or mass is None:  # the import refuses a solution file without them
            raise TypeError(f"run {run.pk} has {unit} readings but no digested mass or final volume")
        return units.solution_to_solid(value, unit, final_volume_ml=volume, sample_mass_g=mass, to_unit=to_unit)
    return units.convert(value, unit, to_unit)


def _nominal(reading: QCRow, run: Run, level: str) -> Decimal | None:
    """The nominal concentration of a check standard for the reading's analyte: stated in its name
    (`CCV 10 ppb`), the lower or higher of two (`CCV 20 ppb / 1000 ppb`: trace elements at one
    level, majors at the other) as the method's `check_level` for the analyte says, or else the
    run's CCV nominal concentration. Two nominals and no level: None, so the check fails and says
    which level to set, rather than compare with a guess."""
    stated = qc.nominals_from_name(reading.sample_name, reading.unit) if units.is_solution_unit(reading.unit) else []
    if len(stated) == 1:
        return stated[0]
    if len(stated) > 1:
        if level == MethodAnalyte.CheckLevel.LOW:
            return stated[0]
        if level == MethodAnalyte.CheckLevel.HIGH:
            return stated[-1]
        return None
    return run.ccv_nominal


def _reported_analytes(run: Run, samples) -> set[int]:
    """Analytes the run will report: those of the matched samples' panels measured by the run's
    method (or every analyte when no sample matched, so a QC-only run is still checked)."""
    materials = {s.lot.material_id for s in samples}
    entries = PanelEntry.objects.filter(method=run.method)
    if materials:
        entries = entries.filter(panel__material_id__in=materials)
    return set(entries.values_list("analyte_id", flat=True))


def run_checks(run: Run, readings: list[QCRow], samples) -> list[QCCheck]:
    """Every QC check of a run, each with its figures. Only analytes the run reports are checked:
    a blank of an element nobody reports says nothing about the reported ones."""
    reported = _reported_analytes(run, samples)
    performance = {p.analyte_id: p for p in MethodAnalyte.objects.filter(method=run.method)}
    certified: defaultdict[int, dict[int, CertifiedValue]] = defaultdict(dict)
    crm_ids = {r.crm.pk for r in readings if r.crm}
    for value in CertifiedValue.objects.filter(reference_material_id__in=crm_ids):
        certified[value.reference_material_id][value.analyte_id] = value
    originals = {
        (r.sample_name.upper(), r.analyte_id): r for r in readings if r.row_type == RowType.SAMPLE and not r.rejected
    }
    checks = []

    def add(reading, outcome, crm=None):
        checks.append(
            QCCheck(
                run=run, kind=outcome.kind, analyte_id=reading.analyte_id, subject=reading.sample_name[:120],
                reference_material=crm, passed=outcome.passed, figures=outcome.figures, message=outcome.message,
                text_key=outcome.key, text_params=outcome.params, acquired_at=reading.acquired_at,
            )
        )  # fmt: skip

    for r in readings:
        if r.rejected or r.analyte_id not in reported:
            continue
        perf = performance.get(r.analyte_id)
        if r.row_type in (RowType.CAL_BLANK, RowType.METHOD_BLANK, RowType.CCB):
            if perf is None or perf.blank_limit is None:
                add(r, qc.missing_limit("blank", r.symbol, run.method.code))
                continue
            limit = perf.blank_limit
            measured = r.value
            qualifier, dl = r.qualifier, r.detection_limit
            if r.unit != perf.blank_unit:
                measured = units.convert_solution(measured, r.unit, perf.blank_unit) if measured is not None else None
                dl = units.convert_solution(dl, r.unit, perf.blank_unit) if dl is not None else None
            add(r, qc.blank_check(measured, qualifier=qualifier, detection_limit=dl, limit=limit))
        elif r.row_type == RowType.CRM and r.crm:
            cv = certified[r.crm.pk].get(r.analyte_id)
            if cv is None:
                continue
            measured = _solid(r, run, cv.unit) if r.qualifier == Qualifier.NONE else None
            add(
                r,
                qc.crm_recovery(
                    measured,
                    qualifier=r.qualifier,
                    certified=cv.value,
                    uncertainty=cv.uncertainty,
                    convention=cv.convention,
                    method_rel_uncertainty_pct=perf.rel_uncertainty_pct if perf else None,
                ),
                crm=r.crm,
            )
        elif r.row_type in (RowType.CCV, RowType.ICV):
            nominal = _nominal(r, run, perf.check_level if perf else "")
            if nominal is None and len(qc.nominals_from_name(r.sample_name, r.unit)) > 1:
                add(r, qc.missing_limit("ccv_recovery", r.symbol, run.method.code))
                continue
            add(r, qc.ccv_recovery(r.value, qualifier=r.qualifier, nominal=nominal))
        elif r.row_type == RowType.DUPLICATE:
            original = originals.get((r.duplicate_of.upper(), r.analyte_id))
            if original is None:
                continue
            add(
                r,
                qc.duplicate_rpd(
                    original.value,
                    r.value,
                    qualifiers=(original.qualifier, r.qualifier),
                    detection_limit=r.detection_limit or original.detection_limit,
                ),
            )
    return checks
