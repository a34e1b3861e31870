"""REST API of QC over time: the control series, each chart's points with the Westgard rules they
break against the baseline in force (assays.control), and fixing a baseline (a lab manager,
assays.services.baselines). The laboratory's staff only; times in the laboratory's zone."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from assays import control
from assays.baseline_models import ControlBaseline
from assays.control_views import series_from_url
from assays.models import Analyte, Method, Run
from assays.services.baselines import control_baseline_fix
from lims import permissions
from lims.models import User


class LabQCPermission(BasePermission):
    """Control charts are the laboratory's own quality records; exporters and customs get 403."""

    message = "Control charts are open to laboratory staff only."

    def has_permission(self, request, view):
        return permissions.works_in_lab(request.user)


class SeriesSerializer(serializers.Serializer):
    kind = serializers.CharField()
    method = serializers.CharField(source="method.code")
    analyte = serializers.CharField(source="analyte.symbol")
    reference_material = serializers.CharField(source="crm.name", allow_null=True, default=None)
    name = serializers.CharField()
    unit = serializers.CharField()
    url = serializers.CharField(help_text="The chart's page.")
    api_url = serializers.CharField(help_text="The chart's data (this API).")


class BaselineSerializer(serializers.ModelSerializer):
    fixed_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(slug_field="username", read_only=True)
    replaced_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    runs: "serializers.PrimaryKeyRelatedField[Run]" = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ControlBaseline
        fields = [
            "id", "n", "mean", "sd", "unit", "period_start", "period_end", "runs", "reason", "fixed_by", "fixed_at",
            "replaced_by", "replaced_at",
        ]  # fmt: skip


class SeriesIndexSerializer(serializers.Serializer):
    series = SeriesSerializer()
    baseline = BaselineSerializer(allow_null=True)


class FlagSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="1-3s, 2-2s, R-4s, 4-1s or 10-x.")
    side = serializers.IntegerField(help_text="+1 above the mean, -1 below, 0 for R-4s (a range).")
    first_run = serializers.IntegerField(help_text="The run of the oldest point the rule looked at.")


class PointSerializer(serializers.Serializer):
    check = serializers.IntegerField(source="check_id")
    run = serializers.IntegerField(source="run_id")
    at = serializers.DateTimeField(help_text="When the control was acquired, in the laboratory's time zone.")
    value = serializers.DecimalField(max_digits=None, decimal_places=None, coerce_to_string=True)
    subject = serializers.CharField()
    in_baseline = serializers.BooleanField(help_text="One of the results the baseline was computed from.")
    flags = FlagSerializer(many=True)


class ChartSerializer(serializers.Serializer):
    series = SeriesSerializer()
    baseline = BaselineSerializer(allow_null=True, help_text="The baseline in force; null when none is fixed.")
    message = serializers.CharField(help_text="What the chart can say: the limits' source, or that there are none.")
    not_charted = serializers.IntegerField(help_text="Controls below the detection limit or not reported.")
    points = PointSerializer(many=True, help_text="Oldest first.")


def _chart_data(series: control.Series) -> dict:
    chart = control.chart(series)
    points = [
        {
            "check_id": p.check_id, "run_id": p.run_id, "at": p.at, "value": p.value, "subject": p.subject,
            "in_baseline": p.in_baseline,
            "flags": [
                {"rule": str(v.rule), "side": v.side, "first_run": chart.points[v.first].run_id} for v in p.violations
            ],
        }
        for p in chart.points
    ]  # fmt: skip
    if chart.baseline is None:
        message = _("No baseline is fixed for this series: no control limits, no Westgard rule judged.")
    else:
        message = _("Limits and Westgard rules from the baseline in force, never from the points shown.")
    return {
        "series": series, "baseline": chart.baseline, "message": message, "not_charted": chart.skipped,
        "points": points,
    }  # fmt: skip


class ChartIndexApi(APIView):
    """Every control series with a result on an accepted run, and its baseline in force."""

    permission_classes = (LabQCPermission,)

    @extend_schema(responses={200: SeriesIndexSerializer(many=True)})
    def get(self, request):
        rows = [{"series": series, "baseline": baseline} for series, baseline in control.series_index()]
        return Response(SeriesIndexSerializer(rows, many=True).data)


class ChartApi(APIView):
    """A control chart's data: the points of accepted runs (oldest first) and the rules each breaks."""

    permission_classes = (LabQCPermission,)

    @extend_schema(responses={200: ChartSerializer})
    def get(self, request, kind: str, method: str, symbol: str, crm_pk: int | None = None):
        return Response(ChartSerializer(_chart_data(series_from_url(kind, method, symbol, crm_pk))).data)


class BaselineInputSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    period_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    runs = serializers.PrimaryKeyRelatedField(many=True, queryset=Run.objects.all(), required=False, default=list)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ChartBaselineApi(APIView):
    """Fix the series' baseline from a period or chosen runs (a lab manager); replacing the one in
    force needs a reason."""

    permission_classes = (LabQCPermission,)

    def get_serializer_class(self):
        return BaselineInputSerializer

    @extend_schema(request=BaselineInputSerializer, responses={201: BaselineSerializer})
    def post(self, request, kind: str, method: str, symbol: str, crm_pk: int | None = None):
        series = series_from_url(kind, method, symbol, crm_pk)
        serializer = BaselineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        baseline = control_baseline_fix(
            actor=request.user, kind=series.kind, method=series.method, analyte=series.analyte,
            reference_material=series.crm, **serializer.validated_data,
        )  # fmt: skip
        return Response(BaselineSerializer(baseline).data, status=201)


class PrecisionPointSerializer(serializers.Serializer):
    check = serializers.IntegerField(source="check_id")
    run = serializers.IntegerField(source="run_id")
    at = serializers.DateTimeField(help_text="When the duplicate was acquired, in the laboratory's time zone.")
    a = serializers.DecimalField(max_digits=None, decimal_places=None)
    b = serializers.DecimalField(max_digits=None, decimal_places=None)
    mean = serializers.DecimalField(max_digits=None, decimal_places=None)
    relative_pct = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="|a - b| / mean x 100, unrounded."
    )
    subject = serializers.CharField()


class PrecisionGroupSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="The unit both members were read in; units are never mixed on one chart.")
    points = PrecisionPointSerializer(many=True, help_text="Oldest first.")


class PrecisionSerializer(serializers.Serializer):
    method = serializers.CharField(source="method.code")
    analyte = serializers.CharField(source="analyte.symbol")
    target_pct = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="The method's precision target; null: the reference data holds none.",
    )
    not_charted = serializers.IntegerField(help_text="Pairs with a member censored, over range or not reported.")
    groups = PrecisionGroupSerializer(many=True)


class PrecisionApi(APIView):
    """Duplicate precision of an analyte by a method (Thompson-Howarth): the pairs of accepted runs."""

    permission_classes = (LabQCPermission,)

    @extend_schema(responses={200: PrecisionSerializer})
    def get(self, request, method: str, symbol: str):
        method_obj, analyte = get_object_or_404(Method, code=method), get_object_or_404(Analyte, symbol=symbol)
        grouped, skipped = control.precision_points(method_obj, analyte)
        data = {
            "method": method_obj, "analyte": analyte, "target_pct": None, "not_charted": skipped,
            "groups": [{"unit": unit, "points": points} for unit, points in sorted(grouped.items())],
        }  # fmt: skip
        return Response(PrecisionSerializer(data).data)
