"""REST API of batches: list and build, a batch with its positions, its sequence file per vendor,
cancelling it, uploading its run, and how a run matches its batch. The laboratory's staff only:
exporters and inspectors get 403.

As assays.api: one view per operation, reads through assays.batch_selectors (what a caller may not see
is 404), one service per write, errors as {"message", "extra"} with a 4xx status.
"""

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from assays import batch_selectors, selectors, sequences
from assays.api import RunDetailOutputSerializer, RunFileInputSerializer
from assays.batch_models import Batch, BatchPosition
from assays.models import Instrument, Method, ReferenceMaterial, Run
from assays.services import batches, run_upload
from lims import permissions
from lims.api_views import Pagination
from lims.models import User
from samples.models import Sample


class LabStaffPermission(BasePermission):
    """Batches are the bench's plans: laboratory staff (and administrators) only."""

    message = "Batches are open to laboratory staff only."

    def has_permission(self, request, view):
        return permissions.works_in_lab(request.user)


class BatchPositionSerializer(serializers.ModelSerializer):
    sample: "serializers.SlugRelatedField[Sample]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reference_material: "serializers.SlugRelatedField[ReferenceMaterial]" = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    duplicate_of: "serializers.SlugRelatedField[BatchPosition]" = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )

    class Meta:
        model = BatchPosition
        fields = ["number", "kind", "label", "sample", "reference_material", "duplicate_of"]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    method: "serializers.SlugRelatedField[Method]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    instrument: "serializers.SlugRelatedField[Instrument]" = serializers.SlugRelatedField(
        slug_field="serial", read_only=True
    )
    reference_material: "serializers.SlugRelatedField[ReferenceMaterial]" = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    created_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    # Named BatchStatusEnum in the schema (lims.settings ENUM_NAME_OVERRIDES), beside the other statuses.
    status = serializers.ChoiceField(choices=Batch.Status.choices, read_only=True)
    sample_count = serializers.IntegerField(read_only=True)
    position_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id", "method", "instrument", "reference_material", "status", "created_by", "created_at", "cancelled_at",
            "cancel_reason", "sample_count", "position_count",
        ]  # fmt: skip
        read_only_fields = fields


class BatchDetailSerializer(BatchSerializer):
    positions = serializers.SerializerMethodField()
    runs = serializers.SerializerMethodField()
    sequences = serializers.SerializerMethodField()

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "positions", "runs", "sequences"]
        read_only_fields = fields

    @extend_schema_field(BatchPositionSerializer(many=True))
    def get_positions(self, batch: Batch) -> list[dict]:
        return [dict(row) for row in BatchPositionSerializer(batch_selectors.batch_positions(batch), many=True).data]

    def get_runs(self, batch: Batch) -> list[int]:
        return list(batch_selectors.batch_runs(batch).values_list("pk", flat=True))

    def get_sequences(self, batch: Batch) -> dict[str, str]:
        return {
            vendor: reverse("api_batch_sequence", kwargs={"batch_pk": batch.pk, "vendor": vendor})
            for vendor in sequences.LAYOUTS
        }


def _detail(user, pk: int) -> dict:
    batch = batch_selectors.batch_list(user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return BatchDetailSerializer(batch).data


class BatchListApi(generics.ListAPIView):
    """Batches: GET lists them, newest first; POST builds one from sample codes in measuring order, with
    the QC positions of the method's mask."""

    permission_classes = (LabStaffPermission,)
    serializer_class = BatchSerializer
    pagination_class = Pagination
    filterset_class = batch_selectors.BatchFilter

    class InputSerializer(serializers.Serializer):
        method = serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())
        instrument = serializers.SlugRelatedField(slug_field="serial", queryset=Instrument.objects.all())
        samples = serializers.ListField(child=serializers.CharField(max_length=60), allow_empty=True)

        class Meta:
            ref_name = "BatchCreateInput"

    def get_queryset(self):
        return batch_selectors.batch_list(self.request.user)

    @extend_schema(request=InputSerializer, responses={201: BatchDetailSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = batches.batch_create(
            actor=request.user, method=data["method"], instrument=data["instrument"], codes=data["samples"]
        )
        location = reverse("api_batch_detail", kwargs={"batch_pk": batch.pk})
        return Response(_detail(request.user, batch.pk), status=status.HTTP_201_CREATED, headers={"Location": location})


class BatchDetailApi(APIView):
    permission_classes = (LabStaffPermission,)

    @extend_schema(responses={200: BatchDetailSerializer})
    def get(self, request, batch_pk: int):
        return Response(_detail(request.user, batch_pk))


class BatchSequenceApi(APIView):
    """The batch's sequence as a file for the vendor's software (assays.sequences documents each layout):
    `agilent` (MassHunter CSV), `thermo` (Qtegra CSV), `perkinelmer` (Syngistix / WinLab, tab-separated)."""

    permission_classes = (LabStaffPermission,)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/tab-separated-values"): OpenApiResponse(OpenApiTypes.BINARY),
        }
    )
    def get(self, request, batch_pk: int, vendor: str):
        batch = batch_selectors.batch_get(request.user, batch_pk)
        file = sequences.sequence_file(batch, batch_selectors.batch_positions(batch), vendor)
        response = HttpResponse(file.data, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response


class BatchCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


class BatchCancelApi(APIView):
    permission_classes = (LabStaffPermission,)

    def get_serializer_class(self):
        return BatchCancelInputSerializer

    @extend_schema(request=BatchCancelInputSerializer, responses={200: BatchDetailSerializer})
    def post(self, request, batch_pk: int):
        batch = batch_selectors.batch_get(request.user, batch_pk)
        serializer = BatchCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batches.batch_cancel(actor=request.user, batch=batch, reason=serializer.validated_data["reason"])
        return Response(_detail(request.user, batch.pk))


class BatchRunInputSerializer(RunFileInputSerializer):
    prep_mass_g = serializers.DecimalField(max_digits=8, decimal_places=4, required=False, allow_null=True)
    prep_volume_ml = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    ccv_nominal = serializers.DecimalField(max_digits=14, decimal_places=6, required=False, allow_null=True)

    class Meta:
        ref_name = "BatchRunImportInput"


class BatchRunApi(APIView):
    """Upload the run of a planned batch (multipart), on the batch's method and instrument: 202 with the
    run `queued`, as POST runs/; the batch is running until the run is accepted (complete), or refused,
    discarded or withdrawn (planned again)."""

    permission_classes = (LabStaffPermission,)
    parser_classes = (MultiPartParser, FormParser)

    def get_serializer_class(self):
        return BatchRunInputSerializer

    @extend_schema(request={"multipart/form-data": BatchRunInputSerializer}, responses={202: RunDetailOutputSerializer})
    def post(self, request, batch_pk: int):
        batch = batch_selectors.batch_get(request.user, batch_pk)
        serializer = BatchRunInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.pop("file")
        run = run_upload(
            actor=request.user, data=upload.read(), filename=upload.name, format=data.pop("format", "") or None,
            instrument=batch.instrument, method=batch.method, batch=batch, **data,
        )  # fmt: skip
        location = reverse("api_run_detail", kwargs={"run_pk": run.pk})
        return Response(
            RunDetailOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


class BatchMatchSerializer(serializers.Serializer):
    class PositionSerializer(serializers.Serializer):
        position = serializers.IntegerField()
        kind = serializers.CharField()
        # A field named as Field's own `label` attribute: the serializer's metaclass takes it as a field.
        label = serializers.CharField()  # type: ignore[assignment]

        class Meta:
            ref_name = "BatchMatchPosition"

    class ExtraSerializer(serializers.Serializer):
        row = serializers.IntegerField()
        sample_name = serializers.CharField()

        class Meta:
            ref_name = "BatchMatchExtraRow"

    batch = serializers.IntegerField()
    missing = PositionSerializer(many=True)
    skipped = PositionSerializer(many=True)
    extra = ExtraSerializer(many=True)

    class Meta:
        ref_name = "BatchMatch"


class RunBatchMatchApi(APIView):
    """How a run's rows match its batch: sample positions not measured (`missing`), QC positions not
    measured (`skipped`), rows that are no position of the batch (`extra`). 404 for a run without a
    batch, 409 while the run is not read yet."""

    permission_classes = (LabStaffPermission,)

    @extend_schema(responses={200: BatchMatchSerializer})
    def get(self, request, run_pk: int):
        run: Run = selectors.run_get(request.user, run_pk)
        if batch_selectors.batch_of(run) is None:
            raise Http404(_("This run was not imported against a batch."))
        match = batch_selectors.batch_match(run)
        if match is None:
            return Response(
                {"message": _("The run's file is not read yet: its match with the batch comes with its preview.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(match.as_dict())
