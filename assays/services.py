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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import importers, plausibility, qc, selection, units
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
    ReadingChoice,
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
from lims.lib.gc import cyclic_gc_paused
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


def run_parse(
    *, data: bytes, filename: str = "", format: str | None = None, method: Method | None = None
) -> "Prepared":
    """Parse a file as an import would, touching nothing (the preview of `import_run --dry-run`):
    every check that needs no instrument, and which reading becomes each result."""
    return _prepare(data=data, filename=filename, format=format, method=method, instrument=None)


def _max_bytes() -> int:
    return settings.LIMS_IMPORT_MAX_BYTES


@dataclass
class Prepared:
    """A parsed file that passed every check of an import, with the choice of each reading
    (index in `parsed.readings` -> (chosen, why))."""

    parsed: "importers.ParsedRun"
    chosen: dict[int, bool]
    why: dict[int, str]

    def summary(self) -> dict:
        summary = self.parsed.summary()
        summary["undecided"] = sum(1 for why in self.why.values() if selection.is_undecided(why))
        return summary

    def readings(self) -> list[dict]:
        """One JSON-ready object per reading (the dry run's `readings`): values as decimal strings."""

        def text(value):
            return None if value is None else f"{value:f}"

        return [
            {
                "row": r.row,
                "sample_id": r.sample_name,
                "type": r.row_type.value,
                "analyte": r.analyte,
                "isotope": r.isotope,
                "mode": r.mode,
                "value": text(r.value),
                "unit": r.unit,
                "basis": r.basis,
                "qualifier": r.qualifier.value,
                "detection_limit": text(r.detection_limit),
                "dilution_factor": text(r.dilution_factor),
                "chosen": self.chosen.get(index, False),
                "why": self.why.get(index, ""),
                "note": r.note,
                "excluded": r.excluded,
                "rejected": r.rejected,
            }
            for index, r in enumerate(self.parsed.readings)
        ]


# Vendors, by the words that name them or their instruments and software, for telling a file from
# one instrument apart from a record of another.
_VENDORS = {
    "agilent": ("Agilent", ("agilent", "masshunter", "icp-qqq")),
    "perkinelmer": ("PerkinElmer", ("perkinelmer", "perkin elmer", "nexion", "optima", "pinaacle", "avio")),
    "thermo": ("Thermo Fisher", ("thermo", "icap", "qtegra")),
}
# Readings of these row types are contents of a sample (or of a reference material treated like one).
_SOLID_TYPES = frozenset((RowType.SAMPLE, RowType.DUPLICATE, RowType.CRM, RowType.SPIKE))


def _vendor_problem(parsed, instrument: Instrument | None) -> importers.Problem | None:
    """The file is from another vendor than the instrument chosen: its readings would be filed
    under the wrong instrument's calibration and QC history."""
    file_vendor = parsed.format.split("_")[0]
    if instrument is None or file_vendor not in _VENDORS:
        return None
    described = f"{instrument.name} {instrument.model}".casefold()
    for vendor, (name, words) in _VENDORS.items():
        if vendor != file_vendor and any(word in described for word in words):
            return importers.Problem(
                None,
                "",
                _(
                    "The file is a %(file_vendor)s export (%(format)s), but the instrument chosen is %(instrument)s, "
                    "a %(vendor)s instrument. Choose the instrument that measured the run."
                )
                % {
                    "file_vendor": _VENDORS[file_vendor][0],
                    "format": parsed.format,
                    "instrument": instrument,
                    "vendor": name,
                },
            )
    return None


def _basis_problems(parsed, method: Method | None) -> list:
    """The basis of every value must be shown by the file, and agree with the method's."""
    problems = []
    where = (_("sheet “%(sheet)s”") % {"sheet": parsed.sheet.strip()}) if parsed.sheet else _("the file")
    unknown = next((r for r in parsed.readings if not r.basis and r.value is not None), None)
    if unknown is not None:
        problems.append(
            importers.Problem(
                unknown.row,
                unknown.column,
                _(
                    "%(where)s does not show whether its values are per litre of solution or per sample mass: a "
                    "Syngistix sheet keeps the mg/L label even where it applied the sample weight. Export the whole "
                    "report workbook (with its “Unfactored Concentrations” sheet), so the importer can tell."
                )
                % {"where": where},
            )
        )
    if method is not None and method.export_basis:
        other = next(
            (
                r
                for r in parsed.readings
                if r.basis and r.basis != method.export_basis and r.row_type in _SOLID_TYPES and r.value is not None
            ),
            None,
        )
        if other is not None:
            problems.append(
                importers.Problem(
                    other.row,
                    other.column,
                    _(
                        "%(where)s reports %(name)s %(basis)s, but method %(method)s is set up for %(expected)s. "
                        "Export the %(expected)s values (for Syngistix, the sheet that matches), or correct the "
                        "method's basis in the reference data."
                    )
                    % {
                        "where": where,
                        "name": other.sample_name,
                        "basis": _BASIS_WORDS[other.basis],
                        "method": method.code,
                        "expected": _BASIS_WORDS[method.export_basis],
                    },
                )
            )
    return problems


_BASIS_WORDS = {"solution": _("per litre of solution"), "solid": _("per sample mass")}


def _rounded_limits(parsed, method: Method | None) -> list:
    """`<0.000`: the instrument printed a limit that rounds to zero at the export's precision. A
    limit of zero is no limit: the method's stated detection limit for the analyte takes its place
    (scaled by the row's dilution, since the instrument's figures are dilution-corrected), and the
    reading says so. Without one, a sample's reading refuses the file (a certificate must never
    print "< 0"); a QC row keeps what the print proves, that the limit is below half the last
    printed digit (<0.000 means below 0.0005), which is what its blank check then uses; so does an
    analyte the method reports on no panel, since it becomes no result."""
    limits, reported = {}, set()
    if method is not None:
        limits = {
            p.analyte.symbol: p
            for p in MethodAnalyte.objects.filter(method=method, detection_limit__isnull=False).select_related(
                "analyte"
            )
        }
        reported = set(PanelEntry.objects.filter(method=method).values_list("analyte__symbol", flat=True))
    problems: dict[str, importers.Problem] = {}
    counts: dict[str, int] = defaultdict(int)
    for r in parsed.readings:
        if r.qualifier != importers.Qualifier.BELOW_DL or r.detection_limit is None or r.detection_limit != 0:
            continue
        raw = r.raw.strip()
        perf = limits.get(r.analyte)
        limit = None
        if perf is not None and r.basis == importers.SOLUTION:
            try:
                limit = units.convert_solution(perf.detection_limit, perf.blank_unit, r.unit)
            except units.UnitError:
                limit = None
        if limit is not None:
            dilution = r.dilution_factor or Decimal(1)
            r.detection_limit = limit * dilution
            r.note = _("the instrument printed %(raw)s; the method's detection limit %(limit)s %(unit)s is used") % {
                "raw": raw,
                "limit": f"{perf.detection_limit.normalize():f}",
                "unit": perf.blank_unit,
            } + (_(" (× dilution %(dilution)s)") % {"dilution": f"{dilution.normalize():f}"} if dilution != 1 else "")
        elif r.row_type not in _SOLID_TYPES or (method is not None and r.analyte not in reported):
            # A QC row, or an analyte this method reports on no panel: it becomes no result.
            places = -r.detection_limit.as_tuple().exponent
            r.detection_limit = Decimal(5).scaleb(-places - 1)
            r.note = _("the instrument printed %(raw)s: the limit is below %(bound)s") % {
                "raw": raw,
                "bound": f"{r.detection_limit:f}",
            }
        elif method is None:
            r.detection_limit = None
            r.note = _("the instrument printed %(raw)s: the method's detection limit will apply") % {"raw": raw}
        else:
            counts[r.column] += 1
            problems.setdefault(r.column, importers.Problem(r.row, r.column, ""))
    # One problem per column, at its first row, with how many rows share it.
    return [
        importers.Problem(
            first.row,
            column,
            _(
                "“<0.000” is a detection limit rounded to zero (%(count)d rows of this column from this one). Enter "
                "the detection limit of %(analyte)s for method %(method)s in the reference data, or export the run "
                "with more decimals."
            )
            % {"count": counts[column], "analyte": _analyte_of(parsed, column), "method": method.code},
        )
        for column, first in problems.items()
    ]


def _analyte_of(parsed, column: str) -> str:
    return next(r.analyte for r in parsed.readings if r.column == column)


def _zero_notes(parsed) -> None:
    for r in parsed.readings:
        if r.qualifier == importers.Qualifier.NONE and r.value is not None and r.value == 0 and not r.note:
            r.note = _("the instrument reported exactly zero: kept as a measured zero for the reviewer")


def _ranges(method: Method | None) -> dict[str, selection.Range]:
    if method is None:
        return {}
    return {
        p.analyte.symbol: selection.Range(p.range_low, p.range_high, p.blank_unit)
        for p in MethodAnalyte.objects.filter(method=method).select_related("analyte")
        if p.range_low is not None or p.range_high is not None
    }


def _choose(parsed, method: Method | None) -> tuple[dict[int, bool], dict[int, str]]:
    """Which sample reading becomes each result (assays.selection)."""
    readings = parsed.readings
    sample_type = importers.RowType.SAMPLE
    why: dict[int, str] = {}
    chosen: dict[int, bool] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    for index, r in enumerate(readings):
        if r.row_type is not sample_type:
            continue
        if r.excluded:
            why[index] = f"{selection.NOT_CHOSEN}: " + _("marked do not use")
        elif r.rejected:
            why[index] = f"{selection.NOT_CHOSEN}: " + _("rejected by the instrument")
        else:
            key = (r.sample_name.upper(), r.analyte)
            group = groups.get(key)
            if group is None:
                groups[key] = [index]
            else:
                group.append(index)
    # The only reading of a sample and analyte is its result (most of a batch): no rule to apply.
    alone = selection.Alone()
    candidates = []
    for indices in groups.values():
        if len(indices) == 1:
            r = readings[indices[0]]
            why[indices[0]] = alone.why(r.value, r.qualifier)
            chosen[indices[0]] = True
            continue
        # A measurement is a row of a wide layout; in a long layout, the lines of one sample and time. The
        # same isotope and mode again within it is a measurement of its own (a re-assay line); another
        # isotope or mode of the analyte is another column of the same measurement.
        positions: dict[int, dict[tuple[str, str], int]] = {}
        repeats: dict[tuple, int] = {}
        for index in indices:
            r = readings[index]
            channel = (r.run_row, r.isotope, r.mode)
            repeat = repeats.get(channel, 0)
            repeats[channel] = repeat + 1
            seen = positions.setdefault(r.run_row, {})
            candidates.append(
                selection.Candidate(
                    index, r.sample_name, r.analyte, (r.run_row, repeat), seen.setdefault((r.isotope, r.mode), len(seen)),
                    r.row, r.value, r.qualifier.value, r.dilution_factor, r.unit, r.basis,
                )
            )  # fmt: skip
    ruled_why, ruled_chosen = selection.choose(candidates, ranges=_ranges(method), convert=units.convert_solution)
    why.update(ruled_why)
    chosen.update(ruled_chosen)
    for index, r in enumerate(parsed.readings):
        if index in why:
            continue
        if r.excluded:
            why[index] = f"{selection.NOT_CHOSEN}: " + _("marked do not use")
        elif r.rejected:
            why[index] = f"{selection.NOT_CHOSEN}: " + _("rejected by the instrument")
    return chosen, why


def _prepare(*, data: bytes, filename: str, format: str | None, method: Method | None, instrument) -> Prepared:
    """Parse and check a file as an import does; ApplicationError listing every problem otherwise."""
    try:
        parsed = importers.parse(
            data,
            filename=filename,
            format=format or None,
            crm_names=list(crm_names()),
            max_bytes=_max_bytes(),
            max_rows=settings.LIMS_IMPORT_MAX_ROWS,
            default_unit=(method.export_unit or None) if method else None,
        )
    except importers.ImportRejected as exc:
        raise _reject_file(exc.problems) from exc
    vendor = _vendor_problem(parsed, instrument)
    if vendor is not None:
        raise _reject_file([vendor])
    problems = _basis_problems(parsed, method) + _rounded_limits(parsed, method)
    if problems:
        raise _reject_file(problems)
    _zero_notes(parsed)
    chosen, why = _choose(parsed, method)
    return Prepared(parsed, chosen, why)


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
            chosen.get(index, False), why.get(index, "")[:200],
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
        if not needs_preparation and r.basis == solution and r.row_type in _SOLID_TYPES and not r.excluded:
            needs_preparation = True
    if needs_preparation and not (run_fields["prep_mass_g"] and run_fields["prep_volume_ml"]):
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
    return problems


def _fill_run(run: Run, prepared: Prepared, *, actor) -> Run:
    """Store the readings and QC checks of a checked file on `run` (saved, in a transaction) and
    put it in preview; ApplicationError when the reference data refuses the file."""
    analytes = {a.symbol: a for a in Analyte.objects.filter(active=True)}
    fields = {"prep_mass_g": run.prep_mass_g, "prep_volume_ml": run.prep_volume_ml}
    problems = _file_problems(prepared, analytes, fields)
    if problems:
        raise _reject_file(problems)
    samples, unmatched = _match_samples(prepared.parsed, analytes)
    qc_rows: list[QCRow] = []
    records = _reading_records(run, prepared, analytes=analytes, crms=crm_names(), samples=samples, qc_rows=qc_rows)
    bulk_insert(Reading, READING_COLUMNS, records)
    checks = _qc_checks(run, qc_rows, samples.values())
    QCCheck.objects.bulk_create(checks)
    run.format = prepared.parsed.format
    run.summary = prepared.summary()
    run.unmatched = unmatched
    run.problems = []
    run.status = Run.Status.PREVIEW
    run.qc_status = Run.QCStatus.PASSED if qc.run_verdict(checks) else Run.QCStatus.FAILED
    run.save(update_fields=["format", "summary", "unmatched", "problems", "status", "qc_status"])
    audit_record(
        actor=actor,
        action="run.import",
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
) -> Run:
    """Import an instrument file as a run in preview, in this process: every reading stored, QC
    checked, no results yet. A file with any problem is refused whole, each problem with its row
    and column, and nothing is kept; the same file is refused a second time. The raw file is kept,
    named by its SHA-256. The web and the API queue the file instead (run_upload), so a large file
    never ties up a web process; the management command and the tests import directly."""
    _check_import_request(
        actor=actor, instrument=instrument, method=method, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml
    )
    with cyclic_gc_paused():
        return _import_checked(
            actor=actor, data=data, filename=filename, instrument=instrument, method=method, format=format,
            prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml, ccv_nominal=ccv_nominal,
        )  # fmt: skip


def _import_checked(
    *, actor, data, filename, instrument, method, format, prep_mass_g, prep_volume_ml, ccv_nominal
) -> Run:
    prepared = _prepare(data=data, filename=filename, format=format, method=method, instrument=instrument)
    with _stored_upload(data=data, filename=filename) as (sha256, stored_name), transaction.atomic():
        run = _new_run(
            actor=actor, instrument=instrument, method=method, filename=filename, sha256=sha256,
            stored_name=stored_name, format=format, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml,
            ccv_nominal=ccv_nominal,
        )  # fmt: skip
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
    with _stored_upload(data=data, filename=filename) as (sha256, stored_name), transaction.atomic():
        run = _new_run(
            actor=actor, instrument=instrument, method=method, filename=filename, sha256=sha256,
            stored_name=stored_name, format=format, prep_mass_g=prep_mass_g, prep_volume_ml=prep_volume_ml,
            ccv_nominal=ccv_nominal,
        )  # fmt: skip
        audit_record(actor=actor, action="run.upload", obj=run, data={"filename": run.filename, "sha256": sha256})
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
    if run is None or run.status != Run.Status.QUEUED:
        return run
    with run.raw_file.open("rb") as handle:
        data = handle.read()
    try:
        with cyclic_gc_paused():
            return _process_queued(run, data)
    except ApplicationError as exc:
        return _refuse_run(run, exc)


def _process_queued(run: Run, data: bytes) -> Run:
    prepared = _prepare(
        data=data, filename=run.filename, format=run.requested_format, method=run.method, instrument=run.instrument
    )
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.QUEUED:
            return locked
        return _fill_run(locked, prepared, actor=run.operator)


@transaction.atomic
def _refuse_run(run: Run, exc: ApplicationError) -> Run:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status != Run.Status.QUEUED:
        return run
    run.status = Run.Status.REFUSED
    run.problems = exc.extra.get("problems") or [{"row": None, "column": "", "message": exc.message}]
    run.summary = {"message": exc.message}
    run.save(update_fields=["status", "problems", "summary"])
    audit_record(actor=run.operator, action="run.refuse", obj=run, data={"message": exc.message})
    return run


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
    *,
    actor,
    sample,
    entry,
    method,
    qualifier,
    value_ar,
    dl,
    uncertainty_ar,
    source,
    moisture,
    run=None,
    reading=None,
    flags=(),
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
        flags=list(flags),
        source=source,
        run=run,
        reading=reading,
        entered_by=actor,
    )
    ResultEvent.objects.create(result=result, action=ResultEvent.Action.ENTER, actor=actor)
    return result


def run_undecided(run: Run) -> list[tuple[Sample, Analyte]]:
    """The (sample, analyte) pairs of a run whose reading the rule could not choose and nobody has
    chosen yet (assays.selection); a run with any cannot be accepted."""
    decided = set(run.choices.values_list("sample_id", "analyte_id"))
    pending = {}
    undecided = (
        run.readings.filter(row_type=RowType.SAMPLE, sample__isnull=False, choice__startswith=selection.UNDECIDED)
        .select_related("analyte", "sample")
        .order_by("row", "id")
    )
    for r in undecided:
        if (r.sample_id, r.analyte_id) not in decided:
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
    if run.status != Run.Status.PREVIEW:
        raise Conflict(_("Readings are chosen on a run in preview only."))
    reading = (
        run.readings.filter(pk=reading.pk, row_type=RowType.SAMPLE, sample__isnull=False)
        .select_related("sample", "analyte")
        .first()
    )
    if reading is None:
        raise ApplicationError(_("Choose a reading of a sample of this run."), field="reading")
    if reading.rejected or reading.excluded or reading.qualifier == Qualifier.NOT_REPORTED:
        raise ApplicationError(
            _("This reading cannot be reported: it is empty, rejected by the instrument or marked do not use."),
            field="reading",
        )
    group = run.readings.filter(sample=reading.sample, analyte=reading.analyte, row_type=RowType.SAMPLE)
    if not group.filter(choice__startswith=selection.UNDECIDED).exists():
        raise Conflict(_("The rule chose the reading of this sample and analyte; there is nothing to decide."))
    group.filter(chosen=True).update(chosen=False)
    Reading.objects.filter(pk=reading.pk).update(chosen=True)
    decision, _created = ReadingChoice.objects.update_or_create(
        run=run,
        sample=reading.sample,
        analyte=reading.analyte,
        defaults={"reading": reading, "chosen_by": actor, "chosen_at": timezone.now(), "reason": reason},
    )
    audit_record(
        actor=actor,
        action="run.choose_reading",
        obj=run,
        data={
            "reading": reading.pk,
            "sample": reading.sample.code,
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
    if run.status in (Run.Status.ACCEPTED, Run.Status.DISCARDED, Run.Status.WITHDRAWN):
        raise Conflict(_("This run has been %(status)s already.") % {"status": run.get_status_display().lower()})
    if run.status != Run.Status.PREVIEW:
        raise Conflict(
            _("This run is %(status)s; only a run in preview is accepted.")
            % {"status": run.get_status_display().lower()}
        )
    undecided = run_undecided(run)
    if undecided:
        shown = ", ".join(f"{sample.code} {analyte.symbol}" for sample, analyte in undecided[:10])
        raise Conflict(
            _("Choose the reading to report for %(count)d sample and analyte pairs first: %(pairs)s.")
            % {"count": len(undecided), "pairs": shown},
            extra={"undecided": [{"sample": s.code, "analyte": a.symbol} for s, a in undecided]},
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
            problem = plausibility.content_problem(reading.analyte.symbol, value_ar, entry.unit)
            if problem:
                problems.append(f"{sample.code} {problem}")
                continue
            results.append(
                _new_result(
                    actor=actor, sample=sample, entry=entry, method=run.method, qualifier=reading.qualifier,
                    value_ar=value_ar, dl=dl, uncertainty_ar=uncertainty, source=Result.Source.READING,
                    moisture=moisture, run=run, reading=reading, flags=_reading_flags(reading, perf),
                )
            )  # fmt: skip
        problems.extend(_mass_balance_problems(sample))
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
    run.status = Run.Status.ACCEPTED
    run.accepted_by, run.accepted_at = actor, timezone.now()
    run.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(actor=actor, action="run.accept", obj=run, data={"results": len(results)})
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


def _mass_balance_problems(sample: Sample) -> list[str]:
    current = Result.objects.filter(sample=sample, status__in=[Result.Status.ENTERED, Result.Status.APPROVED])
    problem = plausibility.mass_balance_problem(
        [(r.analyte.symbol, r.value_as_received, r.unit) for r in current.select_related("analyte")]
    )
    return [f"{sample.code}: {problem}"] if problem else []


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
    if run.status != Run.Status.ACCEPTED:
        raise Conflict(_("Only an accepted run is withdrawn; a run in preview is discarded."))
    results = Result.objects.select_for_update().filter(run=run)
    approved = results.filter(status=Result.Status.APPROVED).count()
    if approved:
        raise Conflict(
            _("%(count)d results of this run are approved already: an approved result is final, so the run stays.")
            % {"count": approved}
        )
    withdrawn = list(results.filter(status=Result.Status.ENTERED))
    for result in withdrawn:
        result.status = Result.Status.WITHDRAWN
        result.save(update_fields=["status"])
        ResultEvent.objects.create(result=result, action=ResultEvent.Action.WITHDRAW, actor=actor, reason=reason)
    run.status = Run.Status.WITHDRAWN
    run.withdrawn_by, run.withdrawn_at, run.withdraw_reason = actor, timezone.now(), reason
    run.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdraw_reason"])
    audit_record(actor=actor, action="run.withdraw", obj=run, data={"reason": reason, "results": len(withdrawn)})
    return run


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
        problem = plausibility.content_problem(item.analyte.symbol, value_ar, entry.unit)
        if problem:
            raise ApplicationError(
                f"{sample.code}: {problem}",
                field="value",
                extra={"sample": sample.code, "analyte": item.analyte.symbol},
            )
        flags = ["negative"] if value_ar is not None and value_ar < 0 else []
        results.append(
            _new_result(
                actor=actor, sample=sample, entry=entry, method=method, qualifier=item.qualifier, value_ar=value_ar,
                dl=dl, uncertainty_ar=uncertainty, source=Result.Source.MANUAL, moisture=_approved_moisture(sample),
                flags=flags,
            )
        )  # fmt: skip
    for sample in samples.values():
        for problem in _mass_balance_problems(sample):
            raise ApplicationError(problem, field="value", extra={"sample": sample.code})
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
def result_approve(*, actor: User, result: Result, reason: str = "", confirm_flags: bool = False) -> Result:
    """Approve a result. A flagged result (assays.plausibility) is approved only when the reviewer
    confirms its flags, which the approval event records. When it is the sample's moisture, the dry
    values of its other results are computed; when it completes the sample's panel, the sample is
    reported."""
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
    if result.flags and not confirm_flags:
        raise Conflict(
            _("%(code)s %(analyte)s is flagged (%(flags)s): confirm the value to approve it.")
            % {
                "code": result.sample.code,
                "analyte": result.analyte.symbol,
                "flags": plausibility.describe(result.flags),
            },
            field="confirm_flags",
            extra={"flags": result.flags},
        )
    result.status = Result.Status.APPROVED
    result.decided_by, result.decided_at, result.reason = actor, timezone.now(), reason.strip()
    result.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    ResultEvent.objects.create(
        result=result,
        action=ResultEvent.Action.APPROVE,
        actor=actor,
        reason=reason.strip(),
        data={"confirmed_flags": result.flags} if result.flags else {},
    )
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
