"""Every write to runs and results goes through a function here (see samples.services for the
conventions: keyword-only arguments with the acting user, one transaction, permission and state
checks, a record of what happened, ApplicationError on refusal with nothing changed).

Decisions a lab auditor will look for:
- Instrument values are taken as the instrument software reports them: dilution-corrected
  concentrations of the digest. The dilution factor of each row is kept for traceability and not
  applied again. Solution concentrations become contents of the solid with the run's explicit
  preparation factors (digested mass and final volume); files that already report per sample
  mass (mg/kg) need none.
- A sample may carry results only once it was received with an intact seal, or its seal problem
  was accepted by the lab manager: statuses received, in preparation and in analysis.
- Reported values are on the panel entry's basis: dry for everything except moisture. The dry
  value needs the sample's approved moisture, so a dry-basis result can be approved only after
  the moisture result, and approving the moisture computes the dry values of the sample's other
  results (each gets a ResultEvent saying so).
- When a run holds the same sample and analyte twice (a re-assay), the later row is the result:
  the re-assay is made because the first reading was doubtful. Both readings stay on the run.
  When one row reports an analyte on several isotopes or modes (Cu 63 and Cu 65), the first
  column in the file is the reported one: labs put the preferred isotope first.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import importers, qc, units
from assays.models import (
    Analyte,
    Basis,
    CertifiedValue,
    Instrument,
    Method,
    MethodAnalyte,
    PanelEntry,
    QCCheck,
    Qualifier,
    Reading,
    ReferenceMaterial,
    Result,
    ResultEvent,
    RowType,
    Run,
)
from lims import permissions
from lims.audit import audit_record
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.lib.bulk import bulk_insert
from lims.models import User
from samples import services as sample_services
from samples.models import Sample

S = Sample.Status
# Statuses in which a sample may receive results.
ANALYSABLE = frozenset({S.RECEIVED, S.IN_PREPARATION, S.IN_ANALYSIS})
MOISTURE = "H2O"


def _problem_list(problems) -> list[dict]:
    return [{"row": p.row, "column": p.column, "message": p.message} for p in problems]


def _reject_file(problems) -> ApplicationError:
    """One refusal for a whole file, each problem with its row and column; the message names the
    first problem, so a person sees at once what to fix."""
    problems = list(problems)
    first = problems[0]
    where = _("row %(row)s, %(column)s: ") % {"row": first.row, "column": first.column} if first.row else ""
    message = (
        _("The file was not imported: %(where)s%(problem)s") % {"where": where, "problem": first.message}
        if len(problems) == 1
        else _("The file was not imported: %(count)d problems, the first %(where)s%(problem)s")
        % {"count": len(problems), "where": where, "problem": first.message}
    )
    return ApplicationError(message, field="file", extra={"problems": _problem_list(problems)})


def crm_names() -> dict[str, ReferenceMaterial]:
    """Every name and alias of an active reference material, for the importers' tolerant matching."""
    names = {}
    for crm in ReferenceMaterial.objects.filter(active=True):
        names[crm.name] = crm
        for alias in filter(None, (line.strip() for line in crm.aliases.splitlines())):
            names[alias] = crm
    return names


def run_parse(*, data: bytes, filename: str = "", format: str | None = None) -> "importers.ParsedRun":
    """Parse a file as an import would, touching nothing (the preview of `import_run --dry-run`)."""
    try:
        return importers.parse(
            data, filename=filename, format=format or None, crm_names=list(crm_names()), max_bytes=_max_bytes()
        )
    except importers.ImportRejected as exc:
        raise _reject_file(exc.problems) from exc


def _max_bytes() -> int:
    return settings.LIMS_IMPORT_MAX_BYTES


def _match_samples(parsed, analytes: dict[str, Analyte]) -> tuple[dict[str, Sample], list[dict]]:
    """Map the file's sample ids to samples (by code, ignoring case), and list the rows that name
    no sample the laboratory may analyse. Nothing is guessed: an unknown id stays unmatched."""
    wanted = set()
    for reading in parsed.readings:
        if reading.row_type == RowType.SAMPLE:
            wanted.add(reading.sample_name.upper())
        elif reading.row_type == RowType.DUPLICATE and reading.duplicate_of:
            wanted.add(reading.duplicate_of.upper())
    found = {s.code.upper(): s for s in Sample.objects.filter(code__in=wanted).select_related("lot__material")}
    unmatched, seen = [], set()
    for reading in parsed.readings:
        if reading.row_type not in (RowType.SAMPLE, RowType.DUPLICATE):
            continue
        name = reading.duplicate_of if reading.row_type == RowType.DUPLICATE else reading.sample_name
        key = name.upper()
        if key in seen:
            continue
        seen.add(key)
        sample = found.get(key)
        if sample is None:
            reason = _("no sample has this code")
        elif sample.status not in ANALYSABLE:
            reason = _("sample %(code)s is %(status)s; it cannot take results") % {
                "code": sample.code,
                "status": sample.get_status_display().lower(),
            }
            del found[key]
        else:
            continue
        unmatched.append({"row": reading.row, "sample_name": reading.sample_name, "reason": reason})
    return found, unmatched


# Columns of a Reading row, in the order _reading_records writes them.
READING_COLUMNS = (
    "run_id", "row", "column", "sample_name", "row_type", "sample_id", "reference_material_id", "duplicate_of",
    "analyte_id", "isotope", "mode", "value", "qualifier", "detection_limit", "unit", "dilution_factor",
    "acquired_at", "rejected", "basis", "excluded", "note", "chosen", "choice",
)  # fmt: skip
# The largest magnitudes a stored reading may have (DecimalField max_digits 20 and 12, 8 and 4 decimals).
MAX_READING = Decimal("1e12")
MAX_DILUTION = Decimal("1e8")


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


def _reading_records(run, parsed, *, analytes, crms, samples) -> tuple[list[tuple], list[QCRow]]:
    """The rows to insert for the run's readings (tuples in READING_COLUMNS order: a large run is
    written with one COPY, not 30,000 model instances) and the QC rows among them: every reading
    that is not a sample's, and the sample readings a duplicate repeats."""
    tz = timezone.get_current_timezone()
    moments: dict[datetime, datetime] = {}
    duplicated = {r.duplicate_of.upper() for r in parsed.readings if r.row_type == RowType.DUPLICATE}
    analyte_ids = {symbol: analyte.pk for symbol, analyte in analytes.items()}
    sample_ids = {key: sample.pk for key, sample in samples.items()}
    records, qc_rows = [], []
    run_id = run.pk
    for r in parsed.readings:
        row_type = r.row_type.value
        if row_type == RowType.SAMPLE:
            key = r.sample_name.upper()
            sample_id = sample_ids.get(key)
        else:
            key = None
            duplicate = row_type == RowType.DUPLICATE and r.duplicate_of
            sample_id = sample_ids.get(r.duplicate_of.upper()) if duplicate else None
        crm = crms.get(r.crm_name) if r.crm_name else None
        analyte_id = analyte_ids[r.analyte]
        at = r.acquired_at
        if at is not None:
            at = moments.get(at) or moments.setdefault(at, timezone.make_aware(at, tz))
        records.append(
            (
                run_id, r.row, r.column[:120], r.sample_name[:120], row_type, sample_id, crm.pk if crm else None,
                r.duplicate_of[:120], analyte_id, r.isotope[:20], r.mode[:30], r.value, r.qualifier.value,
                r.detection_limit, r.unit, r.dilution_factor, at, r.rejected, r.basis, r.excluded, r.note[:200],
                False, "",
            )
        )  # fmt: skip
        if key is None or key in duplicated:
            qc_rows.append(
                QCRow(
                    r.row, row_type, r.rejected, analyte_id, r.analyte, r.unit, r.value, r.qualifier.value,
                    r.detection_limit, r.sample_name[:120], r.duplicate_of, crm, at,
                )
            )  # fmt: skip
    return records, qc_rows


@transaction.atomic
def _store_run(*, actor, instrument, method, name, sha256, parsed, fields, analytes, crms, samples, unmatched) -> Run:
    run = Run(
        instrument=instrument,
        method=method,
        operator=actor,
        filename=fields["filename"],
        sha256=sha256,
        format=parsed.format,
        prep_mass_g=fields["prep_mass_g"],
        prep_volume_ml=fields["prep_volume_ml"],
        ccv_nominal=fields["ccv_nominal"],
        summary=parsed.summary(),
        unmatched=unmatched,
        qc_status=Run.QCStatus.FAILED,
    )
    run.raw_file.name = name
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError as exc:
        raise Conflict(_("This file has been imported already."), field="file") from exc
    records, qc_rows = _reading_records(run, parsed, analytes=analytes, crms=crms, samples=samples)
    bulk_insert(Reading, READING_COLUMNS, records)
    checks = _qc_checks(run, qc_rows, samples.values())
    QCCheck.objects.bulk_create(checks)
    run.qc_status = Run.QCStatus.PASSED if qc.run_verdict(checks) else Run.QCStatus.FAILED
    run.save(update_fields=["qc_status"])
    audit_record(
        actor=actor,
        action="run.import",
        obj=run,
        data={"filename": run.filename, "sha256": sha256, "readings": len(records), "qc": run.qc_status},
    )
    return run


def run_import(
    *,
    actor: User,
    data: bytes,
    filename: str,
    instrument: Instrument,
    method: Method,
    format: str | None = None,
    prep_mass_g: Decimal | None = None,
    prep_volume_ml: Decimal | None = None,
    ccv_nominal: Decimal | None = None,
) -> Run:
    """Import an instrument file as a run in preview: every reading stored, QC checked, no results
    yet. A file with any problem is refused whole, each problem with its row and column; the same
    file is refused a second time. The raw file is kept, named by its SHA-256."""
    permissions.require(actor, "run.import")
    if not method.imported:
        raise ApplicationError(
            _("%(method)s results are entered by hand, not imported.") % {"method": method}, field="method"
        )
    if not instrument.active:
        raise ApplicationError(_("%(instrument)s is out of service.") % {"instrument": instrument}, field="instrument")
    today = timezone.localdate()
    if not instrument.calibration_valid_on(today):
        raise ApplicationError(
            _("The calibration of %(instrument)s was due on %(due)s; calibrate it before importing runs.")
            % {"instrument": instrument, "due": instrument.calibration_due.isoformat()},
            field="instrument",
        )
    for name, value in (("prep_mass_g", prep_mass_g), ("prep_volume_ml", prep_volume_ml)):
        if value is not None and value <= 0:
            raise ApplicationError(_("Enter a positive number."), field=name)
    parsed = run_parse(data=data, filename=filename, format=format)
    sha256 = hashlib.sha256(data).hexdigest()
    if Run.objects.filter(sha256=sha256).exclude(status=Run.Status.DISCARDED).exists():
        raise Conflict(_("This file has been imported already."), field="file")

    analytes = {a.symbol: a for a in Analyte.objects.filter(active=True)}
    problems = []
    columns_seen = set()
    for r in parsed.readings:
        if r.analyte not in analytes and (r.analyte, r.column) not in columns_seen:
            columns_seen.add((r.analyte, r.column))
            problems.append(
                importers.Problem(
                    r.row, r.column, _("%(analyte)s is not an analyte of this laboratory.") % {"analyte": r.analyte}
                )
            )
        too_large = any(v is not None and abs(v) >= MAX_READING for v in (r.value, r.detection_limit))
        if too_large or (r.dilution_factor is not None and abs(r.dilution_factor) >= MAX_DILUTION):
            problems.append(
                importers.Problem(r.row, r.column, _("%(raw)s is too large to be a reading.") % {"raw": r.raw})
            )
    if any(units.is_solution_unit(r.unit) for r in parsed.readings) and not (prep_mass_g and prep_volume_ml):
        problems.append(
            importers.Problem(
                None,
                "",
                _(
                    "The file reports solution concentrations; enter the digested mass and the final volume so "
                    "they can be turned into contents of the sample."
                ),
            )
        )
    if problems:
        raise _reject_file(problems)
    crm_by_name = crm_names()
    samples, unmatched = _match_samples(parsed, analytes)
    fields = {
        "filename": (filename or "upload")[:255],
        "prep_mass_g": prep_mass_g,
        "prep_volume_ml": prep_volume_ml,
        "ccv_nominal": ccv_nominal,
    }
    # The file is written before the transaction and removed if the transaction fails: no file
    # I/O while rows are locked, and no orphan file after a refusal.
    stored_name = default_storage.save(
        f"runs/{today:%Y/%m}/{sha256[:16]}-{fields['filename'][-120:]}", ContentFile(data)
    )
    try:
        return _store_run(
            actor=actor, instrument=instrument, method=method, name=stored_name, sha256=sha256, parsed=parsed,
            fields=fields, analytes=analytes, crms=crm_by_name, samples=samples, unmatched=unmatched,
        )  # fmt: skip
    except BaseException:
        default_storage.delete(stored_name)
        raise


# QC ----------------------------------------------------------------------------------------------


def _solid(reading: QCRow, run: Run, to_unit: str) -> Decimal | None:
    """A reading's value (or detection limit when censored) as a content of the solid."""
    value = reading.value if reading.value is not None else reading.detection_limit
    if value is None:
        return None
    return to_solid(value, reading.unit, run=run, to_unit=to_unit)


def to_solid(value: Decimal, unit: str, *, run: Run, to_unit: str) -> Decimal:
    if units.is_solution_unit(unit):
        return units.solution_to_solid(
            value, unit, final_volume_ml=run.prep_volume_ml, sample_mass_g=run.prep_mass_g, to_unit=to_unit
        )
    return units.convert(value, unit, to_unit)


def _nominal(reading: QCRow, run: Run) -> Decimal | None:
    """The nominal concentration of a check standard: stated in its name (`CCV 10 ppb`) or, else,
    the run's CCV nominal concentration."""
    stated = qc.nominal_from_name(reading.sample_name, reading.unit)
    return stated if stated is not None else run.ccv_nominal


def _reported_analytes(run: Run, samples) -> set[int]:
    """Analytes the run will report: those of the matched samples' panels measured by the run's
    method (or every analyte when no sample matched, so a QC-only run is still checked)."""
    materials = {s.lot.material_id for s in samples}
    entries = PanelEntry.objects.filter(method=run.method)
    if materials:
        entries = entries.filter(panel__material_id__in=materials)
    return set(entries.values_list("analyte_id", flat=True))


def _qc_checks(run: Run, readings: list[QCRow], samples) -> list[QCCheck]:
    """Every QC check of a run, each with its figures. Only analytes the run reports are checked:
    a blank of an element nobody reports says nothing about the reported ones."""
    reported = _reported_analytes(run, samples)
    performance = {p.analyte_id: p for p in MethodAnalyte.objects.filter(method=run.method)}
    certified = defaultdict(dict)
    crm_ids = {r.crm.pk for r in readings if r.crm}
    for cv in CertifiedValue.objects.filter(reference_material_id__in=crm_ids):
        certified[cv.reference_material_id][cv.analyte_id] = cv
    originals = {
        (r.sample_name.upper(), r.analyte_id): r for r in readings if r.row_type == RowType.SAMPLE and not r.rejected
    }
    checks = []

    def add(reading, outcome, crm=None):
        checks.append(
            QCCheck(
                run=run, kind=outcome.kind, analyte_id=reading.analyte_id, subject=reading.sample_name[:120],
                reference_material=crm, passed=outcome.passed, figures=outcome.figures, message=outcome.message,
                acquired_at=reading.acquired_at,
            )
        )  # fmt: skip

    for r in readings:
        if r.rejected or r.analyte_id not in reported:
            continue
        perf = performance.get(r.analyte_id)
        if r.row_type in (RowType.CAL_BLANK, RowType.METHOD_BLANK, RowType.CCB):
            limit = perf.blank_limit if perf else None
            if limit is None:
                add(r, qc.missing_limit("blank", r.symbol, run.method.code))
                continue
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
            add(r, qc.ccv_recovery(r.value, qualifier=r.qualifier, nominal=_nominal(r, run)))
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


@transaction.atomic
def run_override_qc(*, actor: User, run: Run, reason: str) -> Run:
    """Let the results of a QC-failed run be approved, for a written reason (the reviewer takes
    responsibility: for instance a failed blank on an analyte the batch does not report)."""
    permissions.require(actor, "run.override_qc", run)
    run = Run.objects.select_for_update().get(pk=run.pk)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Write why the QC failure may be overridden."), field="reason")
    if run.qc_status != Run.QCStatus.FAILED or run.status == Run.Status.DISCARDED:
        raise Conflict(_("Only a run that failed QC, and was not discarded, can be overridden."))
    if run.operator_id == actor.pk:
        raise NotPermitted(_("You imported this run; another reviewer must decide on its QC."))
    run.qc_status = Run.QCStatus.OVERRIDDEN
    run.override_by, run.override_at, run.override_reason = actor, timezone.now(), reason
    run.save(update_fields=["qc_status", "override_by", "override_at", "override_reason"])
    audit_record(actor=actor, action="run.override_qc", obj=run, data={"reason": reason})
    return run


@transaction.atomic
def run_discard(*, actor: User, run: Run, reason: str = "") -> Run:
    """Drop a run in preview (a wrong file, a wrong method). Its readings stay for the record."""
    permissions.require(actor, "run.discard", run)
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status != Run.Status.PREVIEW:
        raise Conflict(_("Only a run in preview can be discarded."))
    run.status = Run.Status.DISCARDED
    run.save(update_fields=["status"])
    audit_record(actor=actor, action="run.discard", obj=run, data={"reason": reason.strip()})
    return run


# Results --------------------------------------------------------------------------------------


def _panel_entries(sample: Sample) -> dict[int, PanelEntry]:
    return {
        e.analyte_id: e
        for e in PanelEntry.objects.filter(panel__material_id=sample.lot.material_id).select_related("analyte")
    }


def _approved_moisture(sample: Sample) -> Decimal | None:
    moisture = (
        Result.objects.filter(sample=sample, analyte__symbol=MOISTURE, status=Result.Status.APPROVED)
        .values_list("value_as_received", flat=True)
        .first()
    )
    return moisture


def _reported(value: Decimal | None, basis: str, moisture: Decimal | None) -> Decimal | None:
    """A quantity on the reported basis, or None while the dry basis waits for the moisture."""
    if value is None or basis == Basis.AS_RECEIVED:
        return value
    return units.to_dry(value, moisture) if moisture is not None else None


def _lock_for_results(sample: Sample, actor: User) -> Sample:
    """Lock the sample, check it may take results, and move it to analysis on its first result."""
    sample = Sample.objects.select_for_update(of=("self",)).select_related("lot").get(pk=sample.pk)
    if sample.status not in ANALYSABLE:
        raise Conflict(
            _("Sample %(code)s is %(status)s; only samples received with an intact or accepted seal take results.")
            % {"code": sample.code, "status": sample.get_status_display().lower()},
            field="sample",
        )
    if sample.status != S.IN_ANALYSIS:
        sample = sample_services.sample_start_analysis(actor=actor, sample=sample)
    return sample


def _new_result(
    *, actor, sample, entry, method, qualifier, value_ar, dl, uncertainty_ar, source, moisture, run=None, reading=None
) -> Result:
    if Result.objects.filter(sample=sample, analyte=entry.analyte, status__in=["entered", "approved"]).exists():
        raise Conflict(
            _("%(code)s already has a %(analyte)s result; reject it before entering another.")
            % {"code": sample.code, "analyte": entry.analyte.symbol},
            extra={"sample": sample.code, "analyte": entry.analyte.symbol},
        )
    result = Result.objects.create(
        sample=sample,
        analyte=entry.analyte,
        method=method,
        unit=entry.unit,
        basis=entry.basis,
        qualifier=qualifier,
        value_as_received=value_ar,
        detection_limit_as_received=dl,
        uncertainty_as_received=uncertainty_ar,
        value=_reported(value_ar, entry.basis, moisture),
        detection_limit=_reported(dl, entry.basis, moisture),
        uncertainty=_reported(uncertainty_ar, entry.basis, moisture),
        negative=value_ar is not None and value_ar < 0,
        source=source,
        run=run,
        reading=reading,
        entered_by=actor,
    )
    ResultEvent.objects.create(result=result, action=ResultEvent.Action.ENTER, actor=actor)
    return result


@transaction.atomic
def run_accept(*, actor: User, run: Run) -> list[Result]:
    """Turn the run's sample readings into results awaiting review: each in the panel's unit, on
    its basis, with the method's uncertainty. Only panel analytes of the run's method become
    results; everything else stays a reading. Refused whole when any sample cannot take a result."""
    permissions.require(actor, "run.accept", run)
    run = Run.objects.select_for_update().select_related("method").get(pk=run.pk)
    if run.status != Run.Status.PREVIEW:
        raise Conflict(_("This run has been %(status)s already.") % {"status": run.get_status_display().lower()})
    latest: dict[tuple[int, int], Reading] = {}
    sample_readings = run.readings.filter(row_type=RowType.SAMPLE, sample__isnull=False, rejected=False)
    for reading in sample_readings.order_by("row", "id"):
        key = (reading.sample_id, reading.analyte_id)
        # A later row (a re-assay) replaces an earlier one; within a row, the first isotope or mode
        # in the file is the one reported.
        if key not in latest or latest[key].row != reading.row:
            latest[key] = reading
    performance = {p.analyte_id: p for p in MethodAnalyte.objects.filter(method=run.method)}
    results = []
    by_sample = defaultdict(list)
    for (sample_id, _analyte_id), reading in latest.items():
        by_sample[sample_id].append(reading)
    for sample in Sample.objects.filter(pk__in=by_sample).select_related("lot").order_by("code"):
        sample = _lock_for_results(sample, actor)
        entries = _panel_entries(sample)
        moisture = _approved_moisture(sample)
        for reading in by_sample[sample.pk]:
            entry = entries.get(reading.analyte_id)
            if entry is None or entry.method_id != run.method_id:
                continue
            value_ar = (
                to_solid(reading.value, reading.unit, run=run, to_unit=entry.unit)
                if reading.value is not None
                else None
            )
            dl = (
                to_solid(reading.detection_limit, reading.unit, run=run, to_unit=entry.unit)
                if reading.detection_limit is not None
                else None
            )
            perf = performance.get(reading.analyte_id)
            uncertainty = (
                abs(value_ar) * perf.rel_uncertainty_pct / 100
                if value_ar is not None and perf and perf.rel_uncertainty_pct is not None
                else None
            )
            results.append(
                _new_result(
                    actor=actor, sample=sample, entry=entry, method=run.method, qualifier=reading.qualifier,
                    value_ar=value_ar, dl=dl, uncertainty_ar=uncertainty, source=Result.Source.READING,
                    moisture=moisture, run=run, reading=reading,
                )
            )  # fmt: skip
    run.status = Run.Status.ACCEPTED
    run.accepted_by, run.accepted_at = actor, timezone.now()
    run.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(actor=actor, action="run.accept", obj=run, data={"results": len(results)})
    return results


@dataclass(frozen=True)
class ManualEntry:
    """One cell of the manual entry grid, already parsed."""

    sample: Sample
    analyte: Analyte
    value: Decimal | None
    qualifier: str = ""
    unit: str = ""
    uncertainty: Decimal | None = None


@transaction.atomic
def results_enter(*, actor: User, method: Method, entries: list[ManualEntry]) -> list[Result]:
    """Enter results by hand (fire assay, titration, moisture): all or nothing."""
    permissions.require(actor, "result.enter")
    if method.imported:
        raise ApplicationError(
            _("%(method)s results arrive as instrument runs; import the run instead.") % {"method": method},
            field="method",
        )
    if not entries:
        raise ApplicationError(_("Enter at least one result."))
    results = []
    samples = {}
    for item in entries:
        sample = samples.get(item.sample.pk) or _lock_for_results(item.sample, actor)
        samples[sample.pk] = sample
        entry = _panel_entries(sample).get(item.analyte.pk)
        if entry is None or entry.method_id != method.pk:
            raise ApplicationError(
                _("%(analyte)s of %(material)s is not determined by %(method)s.")
                % {"analyte": item.analyte.symbol, "material": sample.lot.material, "method": method},
                extra={"sample": sample.code, "analyte": item.analyte.symbol},
            )
        unit = item.unit or entry.unit
        value_ar = dl = None
        if item.qualifier == Qualifier.BELOW_DL:
            if item.value is None or item.value <= 0:
                raise ApplicationError(_("Give the detection limit after <."), field="value")
            dl = units.convert(item.value, unit, entry.unit)
        elif item.qualifier == Qualifier.NONE:
            if item.value is None:
                raise ApplicationError(_("Enter a value."), field="value")
            value_ar = units.convert(item.value, unit, entry.unit)
        else:
            raise ApplicationError(_("A manual result is a value or <DL."), field="value")
        uncertainty = units.convert(item.uncertainty, unit, entry.unit) if item.uncertainty is not None else None
        if uncertainty is not None and uncertainty < 0:
            raise ApplicationError(_("The uncertainty cannot be negative."), field="uncertainty")
        results.append(
            _new_result(
                actor=actor, sample=sample, entry=entry, method=method, qualifier=item.qualifier, value_ar=value_ar,
                dl=dl, uncertainty_ar=uncertainty, source=Result.Source.MANUAL, moisture=_approved_moisture(sample),
            )
        )  # fmt: skip
    audit_record(actor=actor, action="result.enter", data={"method": method.code, "results": [r.pk for r in results]})
    return results


def _lock_result(result: Result) -> Result:
    return (
        Result.objects.select_for_update(of=("self",))
        .select_related("sample__lot", "analyte", "run", "method")
        .get(pk=result.pk)
    )


def _check_four_eyes(actor: User, result: Result) -> None:
    """Nobody decides on a result they entered or imported: no role is exempt, not even admin."""
    involved = {result.entered_by_id}
    if result.run_id:
        involved.add(result.run.operator_id)
    if actor.pk in involved:
        raise NotPermitted(_("You entered or imported this result; a second person must review it."))


@transaction.atomic
def result_approve(*, actor: User, result: Result, reason: str = "") -> Result:
    """Approve a result. When it is the sample's moisture, the dry values of its other results are
    computed; when it completes the sample's panel, the sample is reported."""
    permissions.require(actor, "result.approve", result)
    result = _lock_result(result)
    _check_four_eyes(actor, result)
    if result.status != Result.Status.ENTERED:
        raise Conflict(_("This result has been %(status)s already.") % {"status": result.get_status_display().lower()})
    if result.run_id and not result.run.qc_cleared:
        raise Conflict(
            _("Run %(run)s failed QC; a reviewer must override it with a reason before its results are approved.")
            % {"run": result.run_id}
        )
    if result.basis_pending:
        raise Conflict(
            _("Approve the moisture of %(code)s first: this result is reported on a dry basis.")
            % {"code": result.sample.code}
        )
    result.status = Result.Status.APPROVED
    result.decided_by, result.decided_at, result.reason = actor, timezone.now(), reason.strip()
    result.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    ResultEvent.objects.create(result=result, action=ResultEvent.Action.APPROVE, actor=actor, reason=reason.strip())
    if result.analyte.symbol == MOISTURE:
        _apply_moisture(actor=actor, sample=result.sample, moisture=result.value_as_received)
    _report_if_complete(actor=actor, sample=result.sample)
    return result


def _apply_moisture(*, actor: User, sample: Sample, moisture: Decimal) -> None:
    """Compute the dry values of the sample's results that wait for its approved moisture."""
    pending = Result.objects.select_for_update().filter(sample=sample, basis=Basis.DRY, status=Result.Status.ENTERED)
    for result in pending:
        result.value = _reported(result.value_as_received, Basis.DRY, moisture)
        result.detection_limit = _reported(result.detection_limit_as_received, Basis.DRY, moisture)
        result.uncertainty = _reported(result.uncertainty_as_received, Basis.DRY, moisture)
        result.save(update_fields=["value", "detection_limit", "uncertainty"])
        ResultEvent.objects.create(
            result=result, action=ResultEvent.Action.DRY_BASIS, actor=actor, data={"moisture_pct": str(moisture)}
        )


def _report_if_complete(*, actor: User, sample: Sample) -> None:
    sample.refresh_from_db()
    if sample.status == S.IN_ANALYSIS and panel_complete(sample):
        sample_services.sample_report(actor=actor, sample=sample, note=_("Every analyte of the panel is approved."))


def panel_complete(sample: Sample) -> bool:
    required = set(_panel_entries(sample))
    approved = set(
        Result.objects.filter(sample=sample, status=Result.Status.APPROVED).values_list("analyte_id", flat=True)
    )
    return bool(required) and required <= approved


@transaction.atomic
def result_reject(*, actor: User, result: Result, reason: str) -> Result:
    """Reject a result and ask for a retest: the result stays as history, a new one may follow."""
    permissions.require(actor, "result.reject", result)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the result is rejected, so the retest can address it."), field="reason")
    result = _lock_result(result)
    _check_four_eyes(actor, result)
    if result.status != Result.Status.ENTERED:
        raise Conflict(_("This result has been %(status)s already.") % {"status": result.get_status_display().lower()})
    result.status = Result.Status.REJECTED
    result.decided_by, result.decided_at, result.reason = actor, timezone.now(), reason
    result.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    ResultEvent.objects.create(result=result, action=ResultEvent.Action.REJECT, actor=actor, reason=reason)
    return result


# Reference data -------------------------------------------------------------------------------
