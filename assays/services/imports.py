"""Reading an instrument file as an import would, touching nothing: parse it, check every value's
basis, detection limits and vendor against the reference data, and pick the reading each result
comes from (assays.selection). `run_parse` is the dry run; assays.services.runs stores what
`prepare` returns."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays import importers, selection, units
from assays.models import (
    Instrument,
    Method,
    MethodAnalyte,
    PanelEntry,
    ReferenceMaterial,
    RowType,
)
from lims.exceptions import ApplicationError
from lims.lib.numbers import trimmed


def _problem_list(problems) -> list[dict]:
    return [{"row": p.row, "column": p.column, "message": p.message} for p in problems]


def reject_file(problems) -> ApplicationError:
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
    return prepare(data=data, filename=filename, format=format, method=method, instrument=None)


def _max_bytes() -> int:
    return settings.LIMS_IMPORT_MAX_BYTES


@dataclass
class Prepared:
    """A parsed file that passed every check of an import, with the choice of each reading
    (index in `parsed.readings` -> (chosen, why))."""

    parsed: "importers.ParsedRun"
    chosen: dict[int, bool]
    why: dict[int, selection.Why]

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
                "why": why.english if (why := self.why.get(index)) else "",
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
SOLID_TYPES = frozenset((RowType.SAMPLE, RowType.DUPLICATE, RowType.CRM, RowType.SPIKE))


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
                if r.basis and r.basis != method.export_basis and r.row_type in SOLID_TYPES and r.value is not None
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


# Lazy: a module constant is made once, at import, before any request says which language to speak.
_BASIS_WORDS = {"solution": gettext_lazy("per litre of solution"), "solid": gettext_lazy("per sample mass")}


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
        if perf is not None and perf.detection_limit is not None and r.basis == importers.SOLUTION:
            try:
                limit = units.convert_solution(perf.detection_limit, perf.blank_unit, r.unit)
            except units.UnitError:
                limit = None
        if perf is not None and limit is not None:
            dilution = r.dilution_factor or Decimal(1)
            r.detection_limit = limit * dilution
            r.note = _("the instrument printed %(raw)s; the method's detection limit %(limit)s %(unit)s is used") % {
                "raw": raw,
                "limit": trimmed(perf.detection_limit),
                "unit": perf.blank_unit,
            } + (_(" (× dilution %(dilution)s)") % {"dilution": trimmed(dilution)} if dilution != 1 else "")
        elif r.row_type not in SOLID_TYPES or (method is not None and r.analyte not in reported):
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
    if method is None:  # without a method every zero limit got a note above; this is for the type checker
        return []
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


_EXCLUDED = selection.Why.of(selection.NOT_CHOSEN, selection.EXCLUDED)
_REJECTED = selection.Why.of(selection.NOT_CHOSEN, selection.REJECTED)


def _choose(parsed, method: Method | None) -> tuple[dict[int, bool], dict[int, selection.Why]]:
    """Which sample reading becomes each result (assays.selection)."""
    readings = parsed.readings
    sample_type = importers.RowType.SAMPLE
    why: dict[int, selection.Why] = {}
    chosen: dict[int, bool] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    for index, r in enumerate(readings):
        if r.row_type is not sample_type:
            continue
        if r.excluded:
            why[index] = _EXCLUDED
        elif r.rejected:
            why[index] = _REJECTED
        else:
            key = (r.sample_name.upper(), r.analyte)
            group = groups.get(key)
            if group is None:
                groups[key] = [index]
            else:
                group.append(index)
    # The only reading of a sample and analyte is its result (most of a batch): no rule to apply.
    candidates = []
    for indices in groups.values():
        if len(indices) == 1:
            r = readings[indices[0]]
            why[indices[0]] = selection.alone(r.value, r.qualifier)
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
    # The candidates' keys are the readings' indices.
    why.update(cast(dict[int, selection.Why], ruled_why))
    chosen.update(cast(dict[int, bool], ruled_chosen))
    for index, r in enumerate(parsed.readings):
        if index in why:
            continue
        if r.excluded:
            why[index] = _EXCLUDED
        elif r.rejected:
            why[index] = _REJECTED
    return chosen, why


def prepare(*, data: bytes, filename: str, format: str | None, method: Method | None, instrument) -> Prepared:
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
        raise reject_file(exc.problems) from exc
    vendor = _vendor_problem(parsed, instrument)
    if vendor is not None:
        raise reject_file([vendor])
    problems = _basis_problems(parsed, method) + _rounded_limits(parsed, method)
    if problems:
        raise reject_file(problems)
    _zero_notes(parsed)
    chosen, why = _choose(parsed, method)
    return Prepared(parsed, chosen, why)
