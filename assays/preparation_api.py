"""REST API of preparation: balances and the methods' preparation specifications (reference data),
a sample's preparation record and one endpoint per step, and the preparation factors a run takes
from its samples (which sample lacks them, which a failed sizing check blocks).

As the rest of the API: reads through selectors (another organisation's sample is 404; exporters
get 403 on the laboratory's working records), one service per write, refusals as {"message"} 4xx."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assays import preparation, selectors
from assays.api import LabWorkPermission
from assays.models import Balance, Method, PreparationSpec, PreparationStep
from assays.services import preparation as services
from lims.api_views import reference_views
from samples import selectors as sample_selectors

REFERENCE = "reference.change"


class BalanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Balance
        fields = ["id", "name", "model", "serial", "readability_g", "calibration_due", "active"]


class PreparationSpecSerializer(serializers.ModelSerializer):
    method = serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())

    class Meta:
        model = PreparationSpec
        fields = [
            "id", "method", "requires_drying", "requires_crushing", "requires_pulverising", "requires_splitting",
            "requires_aliquot", "screen_um", "min_passing_pct",
        ]  # fmt: skip


BalanceListApi, BalanceDetailApi = reference_views(Balance, BalanceSerializer, "Balance", permission=REFERENCE)
PreparationSpecListApi, PreparationSpecDetailApi = reference_views(
    PreparationSpec, PreparationSpecSerializer, "PreparationSpec", permission=REFERENCE,
    queryset=PreparationSpec.objects.select_related("method"),
)  # fmt: skip


class PreparationStepSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="One of the kinds its input accepts.")
    method: "serializers.SlugRelatedField[Method]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    balance: "serializers.SlugRelatedField[Balance]" = serializers.SlugRelatedField(slug_field="serial", read_only=True)
    performed_by = serializers.CharField(source="performed_by.username", read_only=True)
    result_status = serializers.CharField(source="result.status", read_only=True, default=None)

    class Meta:
        model = PreparationStep
        fields = [
            "id", "kind", "method", "balance", "equipment", "tare_g", "wet_g", "dry_g", "temperature_c",
            "duration_min", "moisture_pct", "result", "result_status", "screen_um", "screened_g", "retained_g",
            "passing_pct", "required_pct", "passed", "mass_g", "volume_ml", "performed_by", "performed_at", "note",
        ]  # fmt: skip
        ref_name = "PreparationStep"


class SamplePreparationApi(APIView):
    """A sample's preparation: its steps in order and, per method of its panel, the steps still to do,
    a failed sizing check that blocks the method, and the aliquot that gives its runs their factors."""

    permission_classes = (LabWorkPermission,)

    @extend_schema(responses={200: dict})
    def get(self, request, code: str):
        sample = sample_selectors.sample_get(request.user, code)
        steps, per_method = preparation.sample_preparation(sample)
        return Response(
            {
                "sample": sample.code,
                "steps": PreparationStepSerializer(steps, many=True).data,
                "methods": [
                    {
                        "method": row.method.code,
                        "outstanding": row.outstanding,
                        "blocked": row.blocked,
                        "mass_g": row.aliquot.mass_g if row.aliquot else None,
                        "volume_ml": row.aliquot.volume_ml if row.aliquot else None,
                    }
                    for row in per_method
                ],
            }
        )


class _StepApi(APIView):
    permission_classes = (LabWorkPermission,)
    InputSerializer: type[serializers.Serializer]

    def get_serializer_class(self):
        return self.InputSerializer

    def record(self, request, sample, data) -> PreparationStep:
        raise NotImplementedError

    def _post(self, request, code: str):
        sample = sample_selectors.sample_get(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = self.record(request, sample, serializer.validated_data)
        return Response(PreparationStepSerializer(step).data, status=status.HTTP_201_CREATED)


def _balance_field():
    return serializers.SlugRelatedField(
        slug_field="serial", queryset=Balance.objects.all(), help_text="The balance's serial number."
    )


def _method_field(*, required: bool = True):
    if required:
        return serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Method.objects.all(), required=False, allow_null=True, default=None
    )


def _grams():
    return serializers.DecimalField(max_digits=10, decimal_places=4)


class PreparationDryingApi(_StepApi):
    """Record a drying; its moisture is entered as the sample's moisture result, for a second person to approve."""

    class InputSerializer(serializers.Serializer):
        balance = _balance_field()
        tare_g = _grams()
        wet_g = _grams()
        dry_g = _grams()
        temperature_c = serializers.DecimalField(max_digits=5, decimal_places=1)
        duration_min = serializers.IntegerField(min_value=1)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PreparationDryingInput"

    def record(self, request, sample, data):
        return services.prep_drying(actor=request.user, sample=sample, **data)

    @extend_schema(request=InputSerializer, responses={201: PreparationStepSerializer})
    def post(self, request, code: str):
        return self._post(request, code)


class PreparationSizingApi(_StepApi):
    """Record a sizing check against the method's specification; a failure blocks the method's analysis."""

    class InputSerializer(serializers.Serializer):
        method = _method_field()
        balance = _balance_field()
        screened_g = _grams()
        retained_g = _grams()
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PreparationSizingInput"

    def record(self, request, sample, data):
        return services.prep_sizing(actor=request.user, sample=sample, **data)

    @extend_schema(request=InputSerializer, responses={201: PreparationStepSerializer})
    def post(self, request, code: str):
        return self._post(request, code)


class PreparationAliquotApi(_StepApi):
    """Record the analytical aliquot for a method: the sample's digested mass and final volume in its runs."""

    class InputSerializer(serializers.Serializer):
        method = _method_field()
        balance = _balance_field()
        mass_g = serializers.DecimalField(max_digits=8, decimal_places=4)
        volume_ml = serializers.DecimalField(max_digits=8, decimal_places=2)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PreparationAliquotInput"

    def record(self, request, sample, data):
        return services.prep_aliquot(actor=request.user, sample=sample, **data)

    @extend_schema(request=InputSerializer, responses={201: PreparationStepSerializer})
    def post(self, request, code: str):
        return self._post(request, code)


class PreparationStepApi(_StepApi):
    """Record crushing, pulverising or splitting."""

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=[str(k) for k in services.PLAIN_STEPS])
        equipment = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
        method = _method_field(required=False)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PreparationPlainStepInput"

    def record(self, request, sample, data):
        return services.prep_step(actor=request.user, sample=sample, **data)

    @extend_schema(request=InputSerializer, responses={201: PreparationStepSerializer})
    def post(self, request, code: str):
        return self._post(request, code)


class RunPreparationApi(APIView):
    """The preparation factors of a run's samples: each with its digested mass, final volume and where
    they come from; the samples lacking them and those a failed sizing check blocks (the run cannot be
    accepted while there are any)."""

    permission_classes = (LabWorkPermission,)

    @extend_schema(responses={200: dict})
    def get(self, request, run_pk: int):
        run = selectors.run_get(request.user, run_pk)
        found = preparation.run_preparation(run)
        return Response(
            {
                "run": run.pk,
                "ready": found.ready,
                "samples": [
                    {
                        "sample": sample.code,
                        "mass_g": factors.mass_g if factors else None,
                        "volume_ml": factors.volume_ml if factors else None,
                        "source": factors.source if factors else None,
                    }
                    for sample, factors in found.rows
                ],
                "missing_factors": [s.code for s in found.missing],
                "sizing_failed": sorted(found.blocked.values()),
                "problems": found.problems(),
            }
        )
