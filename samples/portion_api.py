"""REST API of retained portions: a sample's portions, keeping one, moving it, disposing of it (a lab
manager, after its retention date). Laboratory staff only; every action is a custody event."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from lims import permissions
from samples import portions, selectors
from samples.models import RetainedPortion


class LabStaffPermission(BasePermission):
    message = "Retained portions are open to laboratory staff only."

    def has_permission(self, request, view):
        return permissions.works_in_lab(request.user)


class PortionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="One of the kinds its input accepts.")
    sample = serializers.CharField(source="sample.code", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    disposed_by = serializers.CharField(source="disposed_by.username", read_only=True, default=None)

    class Meta:
        model = RetainedPortion
        fields = [
            "id", "sample", "kind", "mass_g", "location", "retain_until", "status", "recorded_by", "recorded_at",
            "disposed_by", "disposed_at", "disposal_note",
        ]  # fmt: skip
        ref_name = "RetainedPortion"


class SamplePortionListApi(APIView):
    """The retained portions of a sample (GET), or keep one more (POST)."""

    permission_classes = (LabStaffPermission,)

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=RetainedPortion.Kind.choices)
        location = serializers.CharField(max_length=200)
        retain_until = serializers.DateField()
        mass_g = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PortionRetainInput"

    def get_serializer_class(self):
        return self.InputSerializer

    @extend_schema(responses={200: PortionSerializer(many=True)})
    def get(self, request, code: str):
        sample = selectors.sample_get(request.user, code)
        rows = portions.sample_portions(request.user, sample).select_related("sample")
        return Response(PortionSerializer(rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PortionSerializer})
    def post(self, request, code: str):
        sample = selectors.sample_get(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        portion = portions.portion_retain(actor=request.user, sample=sample, **serializer.validated_data)
        return Response(PortionSerializer(portion).data, status=status.HTTP_201_CREATED)


class _PortionActionApi(APIView):
    permission_classes = (LabStaffPermission,)
    InputSerializer: type[serializers.Serializer]

    def get_serializer_class(self):
        return self.InputSerializer

    def act(self, request, portion, data) -> RetainedPortion:
        raise NotImplementedError

    def _post(self, request, code: str, portion_pk: int):
        sample = selectors.sample_get(request.user, code)
        portion = portions.sample_portions(request.user, sample).filter(pk=portion_pk).first()
        if portion is None:
            raise Http404
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        portion = self.act(request, portion, serializer.validated_data)
        return Response(PortionSerializer(portion).data)


class PortionMoveApi(_PortionActionApi):
    """Move a stored portion to another location."""

    class InputSerializer(serializers.Serializer):
        location = serializers.CharField(max_length=200)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "PortionMoveInput"

    def act(self, request, portion, data):
        return portions.portion_move(actor=request.user, portion=portion, **data)

    @extend_schema(request=InputSerializer, responses={200: PortionSerializer})
    def post(self, request, code: str, portion_pk: int):
        return self._post(request, code, portion_pk)


class PortionDisposeApi(_PortionActionApi):
    """Dispose of a portion: a lab manager, after its retention date, with the reason."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(allow_blank=True, max_length=2000)

        class Meta:
            ref_name = "PortionDisposeInput"

    def act(self, request, portion, data):
        return portions.portion_dispose(actor=request.user, portion=portion, **data)

    @extend_schema(request=InputSerializer, responses={200: PortionSerializer})
    def post(self, request, code: str, portion_pk: int):
        return self._post(request, code, portion_pk)
