"""QC over time: the control series of reference materials and blanks, their points, the baseline
in force and the Westgard rules each point breaks (reads only; baselines are fixed by
assays.services.baselines).

Decisions:
- A series is one reference material (its recovery, measured x 100 / certified, in %) or the blanks
  (the blank as measured, in the method's blank unit) of one analyte by one method.
- Only accepted runs are charted: a run in preview may still be discarded, a discarded run never
  produced results, and a withdrawn run was taken back (imported under the wrong method or
  instrument), so its checks do not belong to the series. The run page judges its own preview
  points against the accepted series before them, so the technician sees a broken rule before
  accepting.
- A censored or unreported control (below the detection limit, over range, not reported) has no
  value: it is left off the chart and counted, never drawn at its detection limit.
- Limits and rules come from the baseline in force only; without one the chart and the run page
  say so and judge nothing.
- Times are the laboratory's (settings.TIME_ZONE, via django.utils.timezone.localtime): the time
  the control was acquired, or the run's import time when the file states none.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assays import westgard
from assays.baseline_models import ControlBaseline, ControlKind
from assays.charts import ControlLimits
from assays.models import Analyte, Method, MethodAnalyte, QCCheck, Reading, ReferenceMaterial, RowType, Run
from assays.westgard import Rule, Violation

CHECK_KIND = {ControlKind.CRM: QCCheck.Kind.CRM_RECOVERY, ControlKind.BLANK: QCCheck.Kind.BLANK}
KIND_OF_CHECK = {check: kind for kind, check in CHECK_KIND.items()}
CHARTED = (Run.Status.ACCEPTED,)


@dataclass(frozen=True)
class Series:
    """One control series: `kind` (ControlKind), method, analyte and, for a CRM, the material."""

    kind: str
    method: Method
    analyte: Analyte
    crm: ReferenceMaterial | None = None

    @property
    def name(self) -> str:
        """`CRM OREAS 501d Cu`, `blank Cu`."""
        if self.kind == ControlKind.CRM and self.crm is not None:
            return _("CRM %(crm)s %(analyte)s") % {"crm": self.crm.name, "analyte": self.analyte.symbol}
        return _("blank %(analyte)s") % {"analyte": self.analyte.symbol}

    @property
    def title(self) -> str:
        return f"{self.name} · {self.method.code}"

    @property
    def unit(self) -> str:
        if self.kind == ControlKind.CRM:
            return "%"
        performance = MethodAnalyte.objects.filter(method=self.method, analyte=self.analyte).first()
        return performance.blank_unit if performance else ""

    @property
    def value_label(self) -> str:
        if self.kind == ControlKind.CRM:
            return _("Recovery (%)")
        return _("Blank (%(unit)s)") % {"unit": self.unit}

    def _kwargs(self) -> dict:
        kwargs: dict[str, str | int] = {"method": self.method.code, "symbol": self.analyte.symbol}
        if self.crm is not None:
            kwargs["crm_pk"] = self.crm.pk
        return kwargs

    @property
    def url(self) -> str:
        """The chart's page (assays.control_views)."""
        return reverse(f"chart_{self.kind}", kwargs=self._kwargs())

    @property
    def baseline_url(self) -> str:
        return reverse(f"chart_{self.kind}_baseline", kwargs=self._kwargs())

    @property
    def api_url(self) -> str:
        return reverse(f"api_chart_{self.kind}", kwargs=self._kwargs())

    def checks(self) -> QuerySet:
        checks = QCCheck.objects.filter(
            kind=CHECK_KIND[ControlKind(self.kind)], analyte=self.analyte, run__method=self.method
        )
        if self.kind == ControlKind.CRM:
            return checks.filter(reference_material=self.crm)
        return checks

    def baselines(self) -> QuerySet:
        return ControlBaseline.objects.filter(
            kind=self.kind, method=self.method, analyte=self.analyte, reference_material=self.crm
        )

    def baseline(self) -> ControlBaseline | None:
        """The baseline in force, or None."""
        return self.baselines().filter(replaced_at__isnull=True).select_related("fixed_by").first()


def series_of(baseline: ControlBaseline) -> Series:
    return Series(baseline.kind, baseline.method, baseline.analyte, baseline.reference_material)


@dataclass
class Point:
    """One control result of a series, in the laboratory's time zone."""

    check_id: int
    run_id: int
    at: datetime
    value: Decimal
    subject: str
    violations: list[Violation] = field(default_factory=list)
    in_baseline: bool = False

    @property
    def rules(self) -> list[str]:
        return [str(v.rule) for v in self.violations]

    @property
    def label(self) -> str:
        return _("run %(run)s: %(subject)s") % {"run": self.run_id, "subject": self.subject}


def point_value(kind: str, figures: dict) -> Decimal | None:
    """The charted value of a check's figures: a CRM's recovery in % (exact, from the measured and
    certified values, not the rounded recovery printed), a blank as measured; None when censored or
    not reported."""
    if figures.get("qualifier", "") != "":
        return None
    try:
        measured = Decimal(figures["measured"])
        if kind == ControlKind.CRM:
            expected = Decimal(figures["expected"])
            return measured * 100 / expected if expected else None
        return measured
    except (KeyError, InvalidOperation, TypeError):
        return None


def _ordered(checks: QuerySet) -> QuerySet:
    return (
        checks.select_related("run")
        .annotate(at=Coalesce("acquired_at", "run__imported_at"))
        .order_by(F("at").asc(), "run__imported_at", "id")
    )


def _point(kind: str, check: QCCheck) -> Point | None:
    value = point_value(kind, check.figures)
    if value is None:
        return None
    return Point(check.pk, check.run_id, timezone.localtime(check.at), value, check.subject)  # type: ignore[attr-defined]


def series_points(series: Series, *, run: Run | None = None) -> tuple[list[Point], int]:
    """The points of the series' accepted runs (and of `run`, whatever its status), oldest first, and
    how many checks had no value to chart (censored or not reported)."""
    runs = Q(run__status__in=CHARTED) | Q(run=run) if run is not None else Q(run__status__in=CHARTED)
    points, skipped = [], 0
    for check in _ordered(series.checks().filter(runs)):
        point = _point(series.kind, check)
        if point is None:
            skipped += 1
        else:
            points.append(point)
    return points, skipped


def baseline_limits(baseline: ControlBaseline) -> ControlLimits:
    """The chart's lines from the baseline's frozen figures."""
    mean, sd = baseline.mean, baseline.sd
    return {
        "n": baseline.n,
        "mean": mean,
        "sd": sd,
        "warning_low": mean - 2 * sd,
        "warning_high": mean + 2 * sd,
        "control_low": mean - 3 * sd,
        "control_high": mean + 3 * sd,
    }


def judge(points: list[Point], baseline: ControlBaseline | None) -> None:
    """Mark each point with the rules it breaks against the baseline, and whether it is one of the
    baseline's own results; nothing without a baseline."""
    if baseline is None:
        return
    used = {entry["check"] for entry in baseline.points}
    flags = westgard.evaluate([p.value for p in points], mean=baseline.mean, sd=baseline.sd)
    for point, found in zip(points, flags, strict=True):
        point.violations = found
        point.in_baseline = point.check_id in used


@dataclass
class Chart:
    series: Series
    baseline: ControlBaseline | None
    points: list[Point]
    skipped: int

    @property
    def limits(self) -> ControlLimits | None:
        return baseline_limits(self.baseline) if self.baseline is not None else None


def chart(series: Series) -> Chart:
    baseline = series.baseline()
    points, skipped = series_points(series)
    judge(points, baseline)
    return Chart(series, baseline, points, skipped)


def series_index() -> list[tuple[Series, ControlBaseline | None]]:
    """Every series with a point on an accepted run, with its baseline in force: reference materials
    first, then blanks, by method, material and analyte. A fixed number of queries."""
    found = (
        QCCheck.objects.filter(kind__in=list(KIND_OF_CHECK), run__status__in=CHARTED)
        .values_list("kind", "run__method_id", "analyte_id", "reference_material_id")
        .order_by()
        .distinct()
    )
    keys: set[tuple[str, int, int, int | None]] = set()
    for check_kind, method_id, analyte_id, crm_id in found:
        kind = KIND_OF_CHECK[QCCheck.Kind(check_kind)]
        if kind == ControlKind.BLANK:
            keys.add((kind, method_id, analyte_id, None))
        elif crm_id is not None:
            keys.add((kind, method_id, analyte_id, crm_id))
    methods = Method.objects.in_bulk({key[1] for key in keys})
    analytes = Analyte.objects.in_bulk({key[2] for key in keys})
    crms = ReferenceMaterial.objects.in_bulk({key[3] for key in keys if key[3]})
    baselines = {
        (b.kind, b.method_id, b.analyte_id, b.reference_material_id): b
        for b in ControlBaseline.objects.filter(replaced_at__isnull=True)
    }
    rows = [
        (Series(kind, methods[m], analytes[a], crms[c] if c else None), baselines.get((kind, m, a, c)))
        for kind, m, a, c in keys
    ]
    return sorted(
        rows,
        key=lambda row: (
            row[0].kind != ControlKind.CRM,
            row[0].method.code,
            row[0].crm.name if row[0].crm else "",
            row[0].analyte.symbol,
        ),
    )


# The run's QC page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunFlag:
    """A rule a control of the run breaks, said in a sentence."""

    series: Series
    rule: Rule
    message: str
    check_id: int


def _runs_of(points: list[Point], violation: Violation) -> str:
    return ", ".join(dict.fromkeys(str(p.run_id) for p in points[violation.first : violation.index + 1]))


def significant(value: Decimal, digits: int = 4) -> str:
    """`value` to `digits` significant digits, for reading (100.4444 -> 100.4, 0.0012345 -> 0.001235)."""
    if not value:
        return "0"
    return f"{value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1)):f}"


def flag_message(series: Series, violation: Violation, points: list[Point]) -> str:
    """`Westgard 2-2s: CRM OREAS 501d Cu, this run and the previous beyond +2s (runs 41, 42).`"""
    sign = "+" if violation.side > 0 else "-"
    args = {"series": series.name, "runs": _runs_of(points, violation), "sign": sign}
    point = points[violation.index]
    args["value"] = f"{significant(point.value)} {series.unit}"
    messages = {
        Rule.R_1_3S: _("Westgard 1-3s: %(series)s, this run beyond %(sign)s3s (%(value)s)."),
        Rule.R_2_2S: _("Westgard 2-2s: %(series)s, this run and the previous beyond %(sign)s2s (runs %(runs)s)."),
        Rule.R_R_4S: _("Westgard R-4s: %(series)s, this run and the previous differ by more than 4s (runs %(runs)s)."),
        Rule.R_4_1S: _("Westgard 4-1s: %(series)s, this run and the 3 previous beyond %(sign)s1s (runs %(runs)s)."),
        Rule.R_10_X: (
            _("Westgard 10-x: %(series)s, this run and the 9 previous above the mean (runs %(runs)s).")
            if violation.side > 0
            else _("Westgard 10-x: %(series)s, this run and the 9 previous below the mean (runs %(runs)s).")
        ),
    }
    return messages[violation.rule] % args


@dataclass
class RunControl:
    """What the run page says about the run's controls over time."""

    flags: list[RunFlag]
    without_baseline: list[Series]


def run_control(run: Run) -> RunControl:
    """The Westgard rules the run's reference materials and blanks break, each against its series
    (the accepted runs before it, and this run), and the series that have no baseline to judge by."""
    own = (
        QCCheck.objects.filter(run=run, kind__in=list(KIND_OF_CHECK))
        .select_related("analyte", "reference_material")
        .order_by("id")
    )
    series_list: dict[tuple, Series] = {}
    for check in own:
        kind = KIND_OF_CHECK[QCCheck.Kind(check.kind)]
        crm = check.reference_material if kind == ControlKind.CRM else None
        if kind == ControlKind.CRM and crm is None:
            continue
        series_list.setdefault(
            (kind, check.analyte_id, crm.pk if crm else None), Series(kind, run.method, check.analyte, crm)
        )
    if not series_list:
        return RunControl([], [])
    baselines = {
        (b.kind, b.analyte_id, b.reference_material_id): b
        for b in ControlBaseline.objects.filter(method=run.method, replaced_at__isnull=True)
    }
    judged = {key for key in series_list if key in baselines}
    # Every point of the judged series in one query, grouped by series.
    grouped: defaultdict[tuple, list[Point]] = defaultdict(list)
    if judged:
        checks = QCCheck.objects.filter(
            Q(run__status__in=CHARTED) | Q(run=run),
            run__method=run.method,
            kind__in=list(KIND_OF_CHECK),
            analyte_id__in={key[1] for key in judged},
        )
        for check in _ordered(checks):
            kind = KIND_OF_CHECK[QCCheck.Kind(check.kind)]
            key = (kind, check.analyte_id, check.reference_material_id if kind == ControlKind.CRM else None)
            if key in judged:
                point = _point(kind, check)
                if point is not None:
                    grouped[key].append(point)
    flags = []
    for key, series in series_list.items():
        if key not in judged:
            continue
        points = grouped[key]
        judge(points, baselines[key])
        for point in points:
            if point.run_id != run.pk:
                continue
            for violation in point.violations:
                flags.append(RunFlag(series, violation.rule, flag_message(series, violation, points), point.check_id))
    without = [series for key, series in series_list.items() if key not in judged]
    return RunControl(flags, sorted(without, key=lambda s: (s.kind != ControlKind.CRM, s.name)))


# Duplicate precision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrecisionPoint:
    """One duplicate pair of an accepted run: its members, mean and relative difference |a - b| / mean
    in %, in the unit the instrument read them."""

    check_id: int
    run_id: int
    at: datetime
    a: Decimal
    b: Decimal
    unit: str
    subject: str

    @property
    def mean(self) -> Decimal:
        return (self.a + self.b) / 2

    @property
    def relative_pct(self) -> Decimal:
        return abs(self.a - self.b) * 100 / self.mean

    @property
    def label(self) -> str:
        return _("run %(run)s: %(subject)s") % {"run": self.run_id, "subject": self.subject}


def precision_points(method: Method, analyte: Analyte) -> tuple[dict[str, list[PrecisionPoint]], int]:
    """The duplicate pairs of the analyte by the method on accepted runs, oldest first, grouped by the
    unit they were read in (pairs in different units are never drawn on one axis), and how many pairs
    could not be charted (a member censored, over range or not reported, or no positive mean)."""
    checks = list(
        _ordered(
            QCCheck.objects.filter(
                kind=QCCheck.Kind.DUPLICATE_RPD, analyte=analyte, run__method=method, run__status__in=CHARTED
            )
        )
    )
    units = {
        (run_id, name.upper()): unit
        for run_id, name, unit in Reading.objects.filter(
            run_id__in={check.run_id for check in checks}, analyte=analyte, row_type=RowType.DUPLICATE
        ).values_list("run_id", "sample_name", "unit")
    }
    grouped: defaultdict[str, list[PrecisionPoint]] = defaultdict(list)
    skipped = 0
    for check in checks:
        figures = check.figures
        unit = units.get((check.run_id, check.subject.upper()))
        try:
            a, b = Decimal(figures["a"]), Decimal(figures["b"])
        except (KeyError, InvalidOperation, TypeError):
            a = b = Decimal(0)
        measured = figures.get("a_qualifier", "") == "" and figures.get("b_qualifier", "") == ""
        if not measured or unit is None or a + b <= 0:
            skipped += 1
            continue
        at = timezone.localtime(check.at)
        grouped[unit].append(PrecisionPoint(check.pk, check.run_id, at, a, b, unit, check.subject))
    return dict(grouped), skipped


def precision_index() -> list[tuple[Method, Analyte]]:
    """(method, analyte) pairs with a duplicate pair on an accepted run, by method code and symbol."""
    pairs = list(
        QCCheck.objects.filter(kind=QCCheck.Kind.DUPLICATE_RPD, run__status__in=CHARTED)
        .values_list("run__method_id", "analyte_id")
        .order_by()
        .distinct()
    )
    methods = Method.objects.in_bulk({m for m, _a in pairs})
    analytes = Analyte.objects.in_bulk({a for _m, a in pairs})
    return sorted(((methods[m], analytes[a]) for m, a in pairs), key=lambda pair: (pair[0].code, pair[1].symbol))
