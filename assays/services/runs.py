"""Runs: importing a file (in this process, or queued to the imports worker), the technician's
choice of readings, accepting, discarding, withdrawing and overriding QC."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache, partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import importers, plausibility, preparation, qc, selection
from assays.batch_selectors import pair_duplicates
from assays.models import (
    ANALYSABLE,
    Analyte,
    Instrument,
    Method,
    MethodAnalyte,
    QCCheck,
    Qualifier,
    Reading,
    ReadingChoice,
    Result,
    ResultEvent,
    RowType,
    Run,
)
from assays.run_qc import QCRow, run_checks
from assays.services import batches
from assays.services.imports import SOLID_TYPES, Prepared, crm_names, prepare, reject_file
from assays.services.results import (
    approved_moisture,
    lock_for_results,
    mass_balance_problems,
    new_result,
    panel_entries,
)
from lims import permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.lib.bulk import bulk_insert
from lims.lib.gc import cyclic_gc_paused
from lims.models import User
from samples.models import Sample


def _match_samples(parsed, analytes: dict[str, Analyte]) -> tuple[dict[str, Sample], list[dict]]:
    """Map the file's sample ids to samples (by code, ignoring case), and list the rows that name
    no sample the laboratory may analyse. Nothing is guessed: an unknown id stays unmatched."""
    sample_type, duplicate_type = importers.RowType.SAMPLE, importers.RowType.DUPLICATE
    # The readings of one measurement share its sample: look at the first of each.
    measurements, last = [], None
    for reading in parsed.readings:
        if reading.run_row != last:
            last = reading.run_row
            if reading.row_type is sample_type or reading.row_type is duplicate_type:
                measurements.append(reading)
    wanted = set()
    for reading in measurements:
        if reading.row_type is sample_type:
            wanted.add(reading.sample_name.upper())
        elif reading.duplicate_of:
            wanted.add(reading.duplicate_of.upper())
    found = {s.code.upper(): s for s in Sample.objects.filter(code__in=wanted).select_related("lot__material")}
    unmatched, seen = [], set()
    for reading in measurements:
        name = reading.duplicate_of if reading.row_type is duplicate_type else reading.sample_name
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
    "acquired_at", "rejected", "basis", "excluded", "note", "chosen", "choice", "choice_key", "choice_params",
)  # fmt: skip
# The largest magnitudes a stored reading may have (DecimalField max_digits 20 and 12, 8 and 4 decimals).
MAX_READING = Decimal("1e12")
MAX_DILUTION = Decimal("1e8")


@lru_cache(maxsize=4096)
def _choice_columns(why: selection.Why | None) -> tuple[str, str, str]:
    """Reading.choice (English), choice_key and choice_params (JSON text, as COPY and executemany take it)
    of a verdict; most readings of a run share a few verdicts, so each is made once."""
    if why is None:
        return "", "", "{}"
    return why.english[:200], why.key, json.dumps(dict(why.params), sort_keys=True)


def _reading_records(run, prepared: Prepared, *, analytes, crms, samples, qc_rows: list) -> Iterator[tuple]:
    """The rows to insert for the run's readings, one at a time (tuples in READING_COLUMNS order: a
    large run is written with one COPY, not 30,000 model instances, and never held twice in memory),
    collecting in `qc_rows` those the QC checks need: every reading that is not a sample's, and the
    sample readings a duplicate repeats. Rows marked do not use feed no QC."""
    parsed = prepared.parsed
    chosen, why = prepared.chosen, prepared.why
    tz = timezone.get_current_timezone()
    moments: dict[datetime, datetime] = {}
    duplicate_type, sample_type = importers.RowType.DUPLICATE, importers.RowType.SAMPLE
    duplicated = {r.duplicate_of.upper() for r in parsed.readings if r.row_type is duplicate_type}
    analyte_ids = {symbol: analyte.pk for symbol, analyte in analytes.items()}
    sample_ids = {key: sample.pk for key, sample in samples.items()}
    # Enum members' .value is a property: a dict lookup is cheaper over 30,000 readings.
    type_text = {member: member.value for member in importers.RowType}
    qualifier_text = {member: member.value for member in importers.Qualifier}
    run_id = run.pk
    last_row, sample_id, key = None, None, None
    for index, r in enumerate(parsed.readings):
        row_type = type_text[r.row_type]
        if r.run_row != last_row:  # the readings of one measurement share its sample
            last_row = r.run_row
            if r.row_type is sample_type:
                key = r.sample_name.upper()
                sample_id = sample_ids.get(key)
            else:
                key = None
                duplicate = r.row_type is duplicate_type and r.duplicate_of
                sample_id = sample_ids.get(r.duplicate_of.upper()) if duplicate else None
        crm = crms.get(r.crm_name) if r.crm_name else None
        analyte_id = analyte_ids[r.analyte]
        qualifier = qualifier_text[r.qualifier]
        at = r.acquired_at
        if at is not None:
            at = moments.get(at) or moments.setdefault(at, timezone.make_aware(at, tz))
        yield (
            run_id, r.row, r.column[:120], r.sample_name[:120], row_type, sample_id, crm.pk if crm else None,
            r.duplicate_of[:120], analyte_id, r.isotope[:20], r.mode[:30], r.value, qualifier,
            r.detection_limit, r.unit, r.dilution_factor, at, r.rejected, r.basis, r.excluded, r.note[:200],
            chosen.get(index, False), *_choice_columns(why.get(index)),
        )  # fmt: skip
        if not r.excluded and (key is None or key in duplicated):
            qc_rows.append(
                QCRow(
                    r.row, row_type, r.rejected, analyte_id, r.analyte, r.unit, r.value, qualifier,
                    r.detection_limit, r.sample_name[:120], r.duplicate_of, crm, at,
                )
            )  # fmt: skip


def _file_problems(prepared: Prepared, analytes: dict[str, Analyte], run_fields: dict) -> list:
    """What the laboratory's reference data and the run's preparation figures refuse in a parsed file."""
    problems = []
    columns_seen = set()
    needs_preparation = False
    solution = importers.SOLUTION
    # A method whose samples take their factors from their preparation record needs the run's figures
    # for its CRM digests only (assays.preparation); otherwise every solid's solution reading needs them.
    needing = {importers.RowType.CRM} if run_fields["from_preparation"] else SOLID_TYPES
    for r in prepared.parsed.readings:
        if r.analyte not in analytes and (r.analyte, r.column) not in columns_seen:
            columns_seen.add((r.analyte, r.column))
            problems.append(
                importers.Problem(
                    r.row, r.column, _("%(analyte)s is not an analyte of this laboratory.") % {"analyte": r.analyte}
                )
            )
        value, limit, dilution = r.value, r.detection_limit, r.dilution_factor
        if (
            (value is not None and not -MAX_READING < value < MAX_READING)
            or (limit is not None and not -MAX_READING < limit < MAX_READING)
            or (dilution is not None and not -MAX_DILUTION < dilution < MAX_DILUTION)
        ):
            problems.append(
                importers.Problem(r.row, r.column, _("%(raw)s is too large to be a reading.") % {"raw": r.raw})
            )
        if not needs_preparation and r.basis == solution and r.row_type in needing and not r.excluded:
            needs_preparation = True
    if needs_preparation and not (run_fields["prep_mass_g"] and run_fields["prep_volume_ml"]):
        message = (
            _(
                "The file reports the CRMs' solution concentrations; enter the digested mass and the final volume "
                "of the CRM digests so they can be checked against their certified contents (the samples' own "
                "figures come from their preparation)."
            )
            if run_fields["from_preparation"]
            else _(
                "The file reports solution concentrations; enter the digested mass and the final volume so "
                "they can be turned into contents of the sample."
            )
        )
        problems.append(importers.Problem(None, "", message))
    return problems


def _fill_run(run: Run, prepared: Prepared, *, actor) -> Run:
    """Store the readings and QC checks of a checked file on `run` (saved, in a transaction) and
    put it in preview; ApplicationError when the reference data refuses the file."""
    analytes = {a.symbol: a for a in Analyte.objects.filter(active=True)}
    fields = {
        "prep_mass_g": run.prep_mass_g,
        "prep_volume_ml": run.prep_volume_ml,
        "from_preparation": preparation.takes_factors_from_preparation(run.method),
    }
    problems = _file_problems(prepared, analytes, fields)
    if problems:
        raise reject_file(problems)
    # A run of a batch: each duplicate's original is the one the batch says (assays.batch_selectors).
    pair_duplicates(run, prepared.parsed)
    samples, unmatched = _match_samples(prepared.parsed, analytes)
    qc_rows: list[QCRow] = []
    records = _reading_records(run, prepared, analytes=analytes, crms=crm_names(), samples=samples, qc_rows=qc_rows)
    bulk_insert(Reading, READING_COLUMNS, records)
    checks = run_checks(run, qc_rows, samples.values())
    QCCheck.objects.bulk_create(checks)
    run.format = prepared.parsed.format
    run.summary = prepared.summary()
    run.unmatched = unmatched
    run.problems = []
    run.status = Run.LIFECYCLE.require_transition(run, "import")
    verdict = Run.QCStatus.PASSED if qc.run_verdict(checks) else Run.QCStatus.FAILED
    run.qc_status = Run.QC_LIFECYCLE.require_transition(run, "check", to=verdict)
    run.save(update_fields=["format", "summary", "unmatched", "problems", "status", "qc_status"])
    audit_record(
        actor=actor,
        action=AuditAction.RUN_IMPORT,
        obj=run,
        data={
            "filename": run.filename,
            "sha256": run.sha256,
            "readings": len(prepared.parsed.readings),
            "qc": run.qc_status,
        },
    )
    return run


def _check_import_request(*, actor, instrument: Instrument, method: Method, prep_mass_g, prep_volume_ml) -> None:
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


@contextmanager
def _stored_upload(*, data: bytes, filename: str) -> Iterator[tuple[str, str]]:
    """(SHA-256, stored name) of an upload not imported yet, for the block that records its run. The
    file is written before any transaction (no file I/O while rows are locked) and removed when the
    block fails, so a refusal leaves no orphan file."""
    sha256 = hashlib.sha256(data).hexdigest()
    if Run.objects.filter(sha256=sha256).exclude(status__in=Run.RELEASED).exists():
        raise Conflict(_("This file has been imported already."), field="file")
    name = default_storage.save(
        f"runs/{timezone.localdate():%Y/%m}/{sha256[:16]}-{(filename or 'upload')[-120:]}", ContentFile(data)
    )
    try:
        yield sha256, name
    except BaseException:
        default_storage.delete(name)
        raise


def _new_run(
    *, actor, instrument, method, filename, sha256, stored_name, format, prep_mass_g, prep_volume_ml, ccv_nominal
):
    run = Run(
        instrument=instrument,
        method=method,
        operator=actor,
        filename=(filename or "upload")[:255],
        sha256=sha256,
        requested_format=format or "",
        prep_mass_g=prep_mass_g,
        prep_volume_ml=prep_volume_ml,
        ccv_nominal=ccv_nominal,
        status=Run.Status.QUEUED,
        qc_status=Run.QCStatus.PENDING,
    )
    run.raw_file.name = stored_name
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError as exc:
        raise Conflict(_("This file has been imported already."), field="file") from exc
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
    batch=None,
) -> Run:
    """Import an instrument file as a run in preview, in this process: every reading stored, QC
    checked, no results yet. A file with any problem is refused whole, each problem with its row
    and column, and nothing is kept; the same file is refused a second time. The raw file is kept,
    named by its SHA-256. The web and the API queue the file instead (run_upload), so a large file
    never ties up a web process; the management command and the tests import directly. `batch`: the
    planned batch the file measured (assays.services.batches), which then runs."""
    _check_import_request(
        actor=actor, instrument=instrument, method=method, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml
    )
    if batch is not None:
        batches.batch_check_for_run(batch=batch, method=method, instrument=instrument)
    with cyclic_gc_paused():
        return _import_checked(
            actor=actor, data=data, filename=filename, instrument=instrument, method=method, format=format,
            prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml, ccv_nominal=ccv_nominal, batch=batch,
        )  # fmt: skip


def _import_checked(
    *, actor, data, filename, instrument, method, format, prep_mass_g, prep_volume_ml, ccv_nominal, batch
) -> Run:
    prepared = prepare(data=data, filename=filename, format=format, method=method, instrument=instrument)
    with _stored_upload(data=data, filename=filename) as (sha256, stored_name), transaction.atomic():
        run = _new_run(
            actor=actor, instrument=instrument, method=method, filename=filename, sha256=sha256,
            stored_name=stored_name, format=format, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml,
            ccv_nominal=ccv_nominal,
        )  # fmt: skip
        if batch is not None:
            batches.batch_run_start(actor=actor, run=run, batch=batch)
        return _fill_run(run, prepared, actor=actor)


def run_upload(
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
    batch=None,
) -> Run:
    """Store an upload and queue its import (queue "imports"): the run is `queued` until a worker
    has parsed it (run_process), then in preview, or refused with every problem listed on it. Only
    what needs no parsing is checked here, so the web process answers at once."""
    _check_import_request(
        actor=actor, instrument=instrument, method=method, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml
    )
    if format and format not in importers.FORMATS:
        raise ApplicationError(
            _("Unknown format “%(format)s”; the formats are %(formats)s.")
            % {"format": format, "formats": ", ".join(importers.FORMATS)},
            field="format",
        )
    if batch is not None:
        batches.batch_check_for_run(batch=batch, method=method, instrument=instrument)
    with _stored_upload(data=data, filename=filename) as (sha256, stored_name), transaction.atomic():
        run = _new_run(
            actor=actor, instrument=instrument, method=method, filename=filename, sha256=sha256,
            stored_name=stored_name, format=format, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml,
            ccv_nominal=ccv_nominal,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditAction.RUN_UPLOAD, obj=run, data={"filename": run.filename, "sha256": sha256}
        )
        if batch is not None:
            batches.batch_run_start(actor=actor, run=run, batch=batch)
        transaction.on_commit(partial(_dispatch_import, run.pk), robust=True)
    return run


def _dispatch_import(run_id: int) -> None:
    from assays.tasks import import_run_file  # the tasks module imports this one

    import_run_file.delay(run_id)


def run_process(*, run_id: int) -> Run | None:
    """Parse and store a queued run (the imports task). Idempotent: a run no longer queued is left
    as it is. Parsing happens outside any transaction; the readings, QC checks and the status are
    written in one, so a worker killed half-way leaves the run queued for a redelivery, and a
    refusal leaves the run `refused` with every problem and no reading."""
    run = Run.objects.select_related("instrument", "method", "operator").filter(pk=run_id).first()
    if run is None or not Run.LIFECYCLE.allows(run, "import"):
        return run
    with run.raw_file.open("rb") as handle:
        data = handle.read()
    try:
        with cyclic_gc_paused():
            return _process_queued(run, data)
    except ApplicationError as exc:
        return _refuse_run(run, exc)


def _process_queued(run: Run, data: bytes) -> Run:
    prepared = prepare(
        data=data, filename=run.filename, format=run.requested_format, method=run.method, instrument=run.instrument
    )
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if not Run.LIFECYCLE.allows(locked, "import"):
            return locked
        return _fill_run(locked, prepared, actor=run.operator)


def run_refuse_lost(*, run_id: int, error: Exception) -> Run | None:
    """The imports task gave up on a queued run after its retries (the database kept failing): the
    run is refused with the reason, so it no longer waits as queued and its file may be uploaded again."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return None
    message = _(
        "The import failed repeatedly because the database could not be reached (%(error)s); upload the file again."
    ) % {"error": type(error).__name__}
    return _refuse_run(run, ApplicationError(message))


@transaction.atomic
def _refuse_run(run: Run, exc: ApplicationError) -> Run:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if not Run.LIFECYCLE.allows(run, "refuse"):
        return run
    run.status = Run.LIFECYCLE.require_transition(run, "refuse")
    run.problems = exc.extra.get("problems") or [{"row": None, "column": "", "message": exc.message}]
    run.summary = {"message": exc.message}
    run.save(update_fields=["status", "problems", "summary"])
    audit_record(actor=run.operator, action=AuditAction.RUN_REFUSE, obj=run, data={"message": exc.message})
    batches.batch_run_dropped(actor=run.operator, run=run)
    return run


@transaction.atomic
def run_override_qc(*, actor: User, run: Run, reason: str) -> Run:
    """Let the results of a QC-failed run be approved, for a written reason (the reviewer takes
    responsibility: for instance a failed blank on an analyte the batch does not report)."""
    permissions.require(actor, "run.override_qc", run)
    run = Run.objects.select_for_update().get(pk=run.pk)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Write why the QC failure may be overridden."), field="reason")
    Run.LIFECYCLE.require_transition(run, "override_qc")
    qc_status = Run.QC_LIFECYCLE.require_transition(run, "override")
    if run.operator_id == actor.pk:
        raise NotPermitted(_("You imported this run; another reviewer must decide on its QC."))
    run.qc_status = qc_status
    run.override_by, run.override_at, run.override_reason = actor, timezone.now(), reason
    run.save(update_fields=["qc_status", "override_by", "override_at", "override_reason"])
    audit_record(actor=actor, action=AuditAction.RUN_OVERRIDE_QC, obj=run, data={"reason": reason})
    return run


@transaction.atomic
def run_discard(*, actor: User, run: Run, reason: str = "") -> Run:
    """Drop a run in preview (a wrong file, a wrong method). Its readings stay for the record."""
    permissions.require(actor, "run.discard", run)
    run = Run.objects.select_for_update().get(pk=run.pk)
    run.status = Run.LIFECYCLE.require_transition(run, "discard")
    run.save(update_fields=["status"])
    audit_record(actor=actor, action=AuditAction.RUN_DISCARD, obj=run, data={"reason": reason.strip()})
    batches.batch_run_dropped(actor=actor, run=run)
    return run


def run_undecided(run: Run) -> list[tuple[Sample, Analyte]]:
    """The (sample, analyte) pairs of a run whose reading the rule could not choose and nobody has
    chosen yet (assays.selection); a run with any cannot be accepted."""
    decided = set(run.choices.values_list("sample_id", "analyte_id"))
    pending: dict[tuple[int | None, int], tuple[Sample, Analyte]] = {}
    undecided = (
        run.readings.filter(row_type=RowType.SAMPLE, sample__isnull=False, choice__startswith=selection.UNDECIDED)
        .select_related("analyte", "sample")
        .order_by("row", "id")
    )
    for r in undecided:
        if r.sample is not None and (r.sample_id, r.analyte_id) not in decided:
            pending.setdefault((r.sample_id, r.analyte_id), (r.sample, r.analyte))
    return list(pending.values())


@transaction.atomic
def run_choose_reading(*, actor: User, run: Run, reading: Reading, reason: str) -> ReadingChoice:
    """Decide which reading of a sample and analyte becomes the result where the selection rule
    cannot (assays.selection), with the reason, recorded with who chose and when. Only on a run in
    preview, by someone who may accept it; the decision may be changed until the run is accepted.
    The rule's own verdict stays on each reading (`choice`); the decision is the ReadingChoice."""
    permissions.require(actor, "run.accept", run)
    run = Run.objects.select_for_update().get(pk=run.pk)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why this reading is the one to report."), field="reason")
    Run.LIFECYCLE.require_transition(run, "choose_reading")
    found = (
        run.readings.filter(pk=reading.pk, row_type=RowType.SAMPLE, sample__isnull=False)
        .select_related("sample", "analyte")
        .first()
    )
    if found is None or found.sample is None:
        raise ApplicationError(_("Choose a reading of a sample of this run."), field="reading")
    reading, sample = found, found.sample
    if reading.rejected or reading.excluded or reading.qualifier == Qualifier.NOT_REPORTED:
        raise ApplicationError(
            _("This reading cannot be reported: it is empty, rejected by the instrument or marked do not use."),
            field="reading",
        )
    group = run.readings.filter(sample=sample, analyte=reading.analyte, row_type=RowType.SAMPLE)
    if not group.filter(choice__startswith=selection.UNDECIDED).exists():
        raise Conflict(_("The rule chose the reading of this sample and analyte; there is nothing to decide."))
    group.filter(chosen=True).update(chosen=False)
    Reading.objects.filter(pk=reading.pk).update(chosen=True)
    decision, _created = ReadingChoice.objects.update_or_create(
        run=run,
        sample=sample,
        analyte=reading.analyte,
        defaults={"reading": reading, "chosen_by": actor, "chosen_at": timezone.now(), "reason": reason},
    )
    audit_record(
        actor=actor,
        action=AuditAction.RUN_CHOOSE_READING,
        obj=run,
        data={
            "reading": reading.pk,
            "sample": sample.code,
            "analyte": reading.analyte.symbol,
            "reason": reason,
        },
    )
    return decision


@transaction.atomic
def run_accept(*, actor: User, run: Run) -> list[Result]:
    """Turn the run's chosen sample readings (assays.selection) into results awaiting review: each
    in the panel's unit, on its basis, with the method's uncertainty and the flags a reviewer must
    confirm. Only panel analytes of the run's method become results; everything else stays a
    reading. Refused whole, with the reason, when a reading waits for the technician's choice, when
    the run would create no result, or when a value is impossible (assays.plausibility)."""
    permissions.require(actor, "run.accept", run)
    run = Run.objects.select_for_update().select_related("method").get(pk=run.pk)
    status_after = Run.LIFECYCLE.require_transition(run, "accept")
    undecided = run_undecided(run)
    if undecided:
        shown = ", ".join(f"{sample.code} {analyte.symbol}" for sample, analyte in undecided[:10])
        raise Conflict(
            _("Choose the reading to report for %(count)d sample and analyte pairs first: %(pairs)s.")
            % {"count": len(undecided), "pairs": shown},
            extra={"undecided": [{"sample": s.code, "analyte": a.symbol} for s, a in undecided]},
        )
    prepared = preparation.run_preparation(run)
    if not prepared.ready:
        problems = prepared.problems()
        raise Conflict(
            _("The run was not accepted: %(problems)s.") % {"problems": "; ".join(problems)},
            extra={
                "problems": problems,
                "missing_factors": [s.code for s in prepared.missing],
                "sizing_failed": sorted(prepared.blocked.values()),
            },
        )
    chosen = run.readings.filter(row_type=RowType.SAMPLE, sample__isnull=False, chosen=True).select_related("analyte")
    by_sample = defaultdict(list)
    for reading in chosen.order_by("row", "id"):
        by_sample[reading.sample_id].append(reading)
    if not by_sample:
        raise Conflict(
            _("No row of this run names a sample that can take results (%(unmatched)d names unmatched): accepting it "
              "would create no result. Check the sample ids in the file, or discard the run.")
            % {"unmatched": len(run.unmatched)}
        )  # fmt: skip
    performance = {p.analyte_id: p for p in MethodAnalyte.objects.filter(method=run.method)}
    results, problems = [], []
    for sample in Sample.objects.filter(pk__in=list(by_sample)).select_related("lot").order_by("code"):
        sample = lock_for_results(sample, actor)
        entries = panel_entries(sample)
        moisture = approved_moisture(sample)
        factors = prepared.factors.get(sample.pk)
        for reading in by_sample[sample.pk]:
            entry = entries.get(reading.analyte_id)
            if entry is None or entry.method_id != run.method_id:
                continue
            value_ar = (
                preparation.to_solid(reading.value, reading.unit, factors=factors, to_unit=entry.unit)
                if reading.value is not None
                else None
            )
            dl = (
                preparation.to_solid(reading.detection_limit, reading.unit, factors=factors, to_unit=entry.unit)
                if reading.detection_limit is not None
                else None
            )
            perf = performance.get(reading.analyte_id)
            uncertainty = (
                abs(value_ar) * perf.rel_uncertainty_pct / 100
                if value_ar is not None and perf and perf.rel_uncertainty_pct is not None
                else None
            )
            problem = plausibility.content_problem(reading.analyte.symbol, value_ar, entry.unit)
            if problem:
                problems.append(f"{sample.code} {problem}")
                continue
            results.append(
                new_result(
                    actor=actor, sample=sample, entry=entry, method=run.method, qualifier=reading.qualifier,
                    value_ar=value_ar, dl=dl, uncertainty_ar=uncertainty, source=Result.Source.READING,
                    moisture=moisture, run=run, reading=reading, flags=_reading_flags(reading, perf),
                )
            )  # fmt: skip
        problems.extend(mass_balance_problems(sample))
    if problems:
        raise ApplicationError(
            _("The run was not accepted: %(problems)s") % {"problems": "; ".join(problems)},
            extra={"problems": problems},
        )
    if not results:
        raise Conflict(
            _("The run's samples have no analyte of their panel measured by %(method)s: accepting it would create no "
              "result. Check the method chosen for the run, or discard it.")
            % {"method": run.method}
        )  # fmt: skip
    run.status = status_after
    run.accepted_by, run.accepted_at = actor, timezone.now()
    run.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(actor=actor, action=AuditAction.RUN_ACCEPT, obj=run, data={"results": len(results)})
    batches.batch_run_accepted(actor=actor, run=run)
    return results


def _reading_flags(reading: Reading, perf: MethodAnalyte | None) -> list[str]:
    """What a reviewer must confirm about a result from this reading (assays.plausibility)."""
    return plausibility.reading_flags(
        value=reading.value,
        qualifier=reading.qualifier,
        unit=reading.unit,
        basis=reading.basis,
        dilution=reading.dilution_factor,
        note=reading.note,
        range_low=perf.range_low if perf else None,
        range_high=perf.range_high if perf else None,
        range_unit=perf.blank_unit if perf else "",
        technician_choice=not reading.choice.startswith(selection.CHOSEN),
    )


@transaction.atomic
def run_withdraw(*, actor: User, run: Run, reason: str) -> Run:
    """Take back an accepted run none of whose results has been approved (a wrong method or
    instrument, a file of another batch): its results are withdrawn (kept as history, each with an
    event), the run says who withdrew it and why, and the same file may be imported again."""
    permissions.require(actor, "run.withdraw", run)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the run is withdrawn."), field="reason")
    run = Run.objects.select_for_update().get(pk=run.pk)
    status_after = Run.LIFECYCLE.require_transition(run, "withdraw")
    results = Result.objects.select_for_update().filter(run=run)
    approved = results.filter(status=Result.Status.APPROVED).count()
    if approved:
        raise Conflict(
            _("%(count)d results of this run are approved already: an approved result is final, so the run stays.")
            % {"count": approved}
        )
    withdrawn = list(results.filter(status=Result.Status.ENTERED))
    for result in withdrawn:
        result.status = Result.LIFECYCLE.require_transition(result, "withdraw")
        result.save(update_fields=["status"])
        ResultEvent.objects.create(result=result, action=ResultEvent.Action.WITHDRAW, actor=actor, reason=reason)
    run.status = status_after
    run.withdrawn_by, run.withdrawn_at, run.withdraw_reason = actor, timezone.now(), reason
    run.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdraw_reason"])
    audit_record(
        actor=actor, action=AuditAction.RUN_WITHDRAW, obj=run, data={"reason": reason, "results": len(withdrawn)}
    )
    batches.batch_run_dropped(actor=actor, run=run)
    return run
