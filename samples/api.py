"""REST API of lots, samples, their chain of custody and nonconformances.

One view per operation: it validates its input, looks the object up through a selector (so rows of
other organisations are 404) and calls one service, which checks permission and state. Custody
events are read-only here: every change goes through an action endpoint that appends one.
"""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django_countries.serializer_fields import CountryField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from lims import permissions
from lims.api_views import OrganisationOutputSerializer, Pagination, UserOutputSerializer
from lims.lib.text import validate_printable
from lims.models import Organisation, User
from samples import selectors, services
from samples.models import CustodyEvent, Lot, Material, Nonconformance, Priority, Sample

# Serializers shared by several operations -------------------------------------------------------


class MaterialOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Material
        fields = ["code", "name", "name_ru", "name_kk", "hs_heading", "active"]


class LotOutputSerializer(serializers.ModelSerializer):
    exporter = OrganisationOutputSerializer()
    material = MaterialOutputSerializer()
    destination_country = CountryField()

    class Meta:
        model = Lot
        fields = [
            "id",
            "lot_number",
            "exporter",
            "material",
            "hs_code",
            "origin",
            "wet_mass_t",
            "wet_mass_source",
            "contract_reference",
            "export_licence_number",
            "destination_country",
            "status",
            "due_date",
            "priority",
            "registered_by",
            "registered_at",
        ]
        read_only_fields = fields


class SampleOutputSerializer(serializers.ModelSerializer):
    lot_number = serializers.CharField(source="lot.lot_number")
    # REST framework's metaclass takes declared fields off the class, so this field does not replace
    # Field.parent (the serializer a field belongs to) as the stubs believe.
    parent: "serializers.SlugRelatedField[Sample]" = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    current_custodian = UserOutputSerializer(
        allow_null=True, help_text="Null while the sample travels with an outside carrier."
    )

    class Meta:
        model = Sample
        fields = [
            "code",
            "lot",
            "lot_number",
            "parent",
            "purpose",
            "mass_g",
            "seal_number",
            "status",
            "due_date",
            "priority",
            "current_custodian",
            "collected_at",
            "collection_location",
        ]
        read_only_fields = fields


class SampleDetailOutputSerializer(SampleOutputSerializer):
    exporter = OrganisationOutputSerializer(source="lot.exporter")
    actions = serializers.SerializerMethodField(help_text="Custody actions the caller may take on the sample now.")

    class Meta(SampleOutputSerializer.Meta):
        fields = [*SampleOutputSerializer.Meta.fields, "exporter", "custody_length", "actions"]

    def get_actions(self, sample) -> list[str]:
        return selectors.sample_actions(self.context["request"].user, sample)


class SampleSplitOutputSerializer(serializers.Serializer):
    composite = SampleDetailOutputSerializer()
    splits = SampleDetailOutputSerializer(many=True)


class NonconformanceOutputSerializer(serializers.ModelSerializer):
    sample: "serializers.SlugRelatedField[Sample]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sample_status = serializers.CharField(source="sample.status")
    raised_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    resolved_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Nonconformance
        fields = [
            "id",
            "sample",
            "sample_status",
            "kind",
            "description",
            "status",
            "raised_by",
            "raised_at",
            "resolved_by",
            "resolved_at",
            "resolution",
        ]


@extend_schema_field(OpenApiTypes.INT)
class VisibleLotField(serializers.PrimaryKeyRelatedField):
    """A lot id the caller may see: another organisation's lot is refused as if it did not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:  # schema generation
            return Lot.objects.none()
        return permissions.visible(request.user, Lot.objects.all())


class StepInputSerializer(serializers.Serializer):
    """Where and when a custody step happened; the time defaults to now."""

    location = serializers.CharField(max_length=200, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(allow_null=True, default=None)
    note = serializers.CharField(allow_blank=True, default="")


class SplitInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=[(p.value, p.label) for p in services.PURPOSE_LETTER])
    mass_g = serializers.DecimalField(max_digits=10, decimal_places=1, min_value=Decimal("0.1"))
    seal_number = serializers.CharField(max_length=32, help_text="Number of the seal applied to this split.")

    def to_internal_value(self, data) -> services.SplitSpec:
        return services.SplitSpec(**super().to_internal_value(data))


# Materials and lots -------------------------------------------------------------------------------


class MaterialListApi(APIView):
    @extend_schema(responses={200: MaterialOutputSerializer(many=True)})
    def get(self, request):
        return Response(MaterialOutputSerializer(selectors.material_list(), many=True).data)


@extend_schema_view(get=extend_schema(description="The lots the caller may see."))
class LotListApi(generics.ListAPIView):
    """The lots of `lots/`: GET lists them, POST registers one (two operations, one URL)."""

    class OutputSerializer(LotOutputSerializer):
        sample_count = serializers.IntegerField()

        class Meta(LotOutputSerializer.Meta):
            fields = [*LotOutputSerializer.Meta.fields, "sample_count"]
            ref_name = "LotListOutput"

    class InputSerializer(serializers.Serializer):
        exporter = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), help_text="Organisation id.")
        # Text fields print on the certificate: a character it cannot print is a 400 naming it (lims.lib.text).
        lot_number = serializers.CharField(max_length=40, validators=[validate_printable])
        material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())
        hs_code = serializers.CharField(max_length=16, help_text="For example 2603.00.")
        origin = serializers.CharField(max_length=200, validators=[validate_printable])
        wet_mass_t = serializers.DecimalField(max_digits=12, decimal_places=3)
        wet_mass_source = serializers.CharField(
            max_length=120, allow_blank=True, default="", validators=[validate_printable],
            help_text="Weighbridge ticket or draft survey reference of the wet mass, when known.",
        )  # fmt: skip
        destination_country = CountryField()
        contract_reference = serializers.CharField(
            max_length=80, allow_blank=True, default="", validators=[validate_printable]
        )
        export_licence_number = serializers.CharField(
            max_length=80, allow_blank=True, default="", validators=[validate_printable]
        )
        due_date = serializers.DateField(allow_null=True, default=None, help_text="When the certificate is needed.")
        priority = serializers.ChoiceField(
            choices=Priority.choices, default=Priority.NORMAL, help_text="1 urgent, 2 high, 3 normal."
        )

        class Meta:
            ref_name = "LotRegisterInput"

    serializer_class = OutputSerializer
    pagination_class = Pagination
    filterset_class = selectors.LotFilter
    search_fields = ["lot_number", "contract_reference", "export_licence_number", "origin"]
    ordering_fields = ["registered_at", "lot_number", "wet_mass_t", "status", "sample_count", "due_date", "priority"]
    # The most urgent first (samples.selectors.lot_list).
    ordering = Lot.ORDER

    def get_queryset(self):
        return selectors.lot_list(self.request.user)

    @extend_schema(
        description="Register a lot for an exporter; exporter users register for their own organisation only.",
        request=InputSerializer,
        responses={201: LotOutputSerializer},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lot = services.lot_register(actor=request.user, **serializer.validated_data)
        return Response(LotOutputSerializer(lot).data, status=status.HTTP_201_CREATED)


class LotDetailApi(APIView):
    @extend_schema(responses={200: LotOutputSerializer})
    def get(self, request, lot_pk: int):
        return Response(LotOutputSerializer(selectors.lot_get(request.user, lot_pk)).data)


class LotCloseApi(APIView):
    """End the sampling of a lot (lab manager): refused with 409 while a sample is in work or none is reported."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(allow_blank=True, default="")

        class Meta:
            ref_name = "LotCloseInput"

    def get_serializer_class(self):
        return self.InputSerializer

    @extend_schema(request=InputSerializer, responses={200: LotOutputSerializer})
    def post(self, request, lot_pk: int):
        lot = selectors.lot_get(request.user, lot_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lot = services.lot_close(actor=request.user, lot=lot, note=serializer.validated_data["note"])
        return Response(LotOutputSerializer(lot).data)


# Samples ------------------------------------------------------------------------------------------


class SampleListApi(generics.ListAPIView):
    """The samples the caller may see; `custodian=me` keeps those in the caller's hands."""

    serializer_class = SampleOutputSerializer
    pagination_class = Pagination
    filterset_class = selectors.SampleFilter
    search_fields = ["code", "seal_number", "lot__lot_number"]
    ordering_fields = ["code", "collected_at", "status", "mass_g", "due_date", "priority"]

    def get_queryset(self):
        return selectors.sample_list(self.request.user)


class SampleRegisterApi(APIView):
    """Collect a composite sample from a lot and split it at once into sealed, purpose-labelled
    splits, as samplers do at the loading point."""

    class InputSerializer(StepInputSerializer):
        lot = VisibleLotField(help_text="Lot id.")
        mass_g = serializers.DecimalField(max_digits=10, decimal_places=1, min_value=Decimal("0.1"))
        location = serializers.CharField(max_length=200, help_text="Where the composite was taken.")
        splits = SplitInputSerializer(many=True)

        class Meta:
            ref_name = "SampleRegisterInput"

    @extend_schema(request=InputSerializer, responses={201: SampleSplitOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        composite, splits = services.sample_register(actor=request.user, **serializer.validated_data)
        # The service hands back the composite as collected; splitting it changed it since.
        composite.refresh_from_db()
        output = SampleSplitOutputSerializer({"composite": composite, "splits": splits}, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class SampleDetailApi(APIView):
    @extend_schema(responses={200: SampleDetailOutputSerializer})
    def get(self, request, code: str):
        sample = selectors.sample_get(request.user, code)
        return Response(SampleDetailOutputSerializer(sample, context={"request": request}).data)


class SampleEventsApi(APIView):
    """The sample's chain of custody, every field of every event, and the verdict of recomputing
    the chain: `intact` is false when an event was changed, inserted or removed."""

    class OutputSerializer(serializers.Serializer):
        class EventSerializer(serializers.ModelSerializer):
            actor_username = serializers.CharField(source="actor.username")

            class Meta:
                model = CustodyEvent
                fields = [
                    "sequence",
                    "action",
                    "actor",
                    "actor_username",
                    "from_party",
                    "to_party",
                    "occurred_at",
                    "recorded_at",
                    "location",
                    "seal_number_seen",
                    "seal_intact",
                    "status_before",
                    "status_after",
                    "note",
                    "prev_hash",
                    "hash",
                ]
                ref_name = "CustodyEventOutput"

        class VerificationSerializer(serializers.Serializer):
            intact = serializers.BooleanField()
            length = serializers.IntegerField(help_text="Number of events found.")
            broken_at = serializers.IntegerField(allow_null=True, help_text="Sequence number of the first bad link.")
            reason = serializers.CharField()

            class Meta:
                ref_name = "CustodyVerificationOutput"

        sample = serializers.CharField()
        verification = VerificationSerializer()
        events = EventSerializer(many=True)

        class Meta:
            ref_name = "CustodyChainOutput"

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, code: str):
        sample = selectors.sample_get(request.user, code)
        events, report = selectors.sample_timeline(sample)
        return Response(self.OutputSerializer({"sample": sample.code, "verification": report, "events": events}).data)


class SampleSplitApi(APIView):
    """Divide a collected composite into purpose-labelled splits, each sealed with its own seal."""

    class InputSerializer(StepInputSerializer):
        splits = SplitInputSerializer(many=True)

        class Meta:
            ref_name = "SampleSplitInput"

    @extend_schema(request=InputSerializer, responses={201: SampleSplitOutputSerializer})
    def post(self, request, code: str):
        sample = selectors.sample_get(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        splits = services.sample_split(actor=request.user, sample=sample, **serializer.validated_data)
        sample.refresh_from_db()  # the service changed its own, locked copy
        output = SampleSplitOutputSerializer({"composite": sample, "splits": splits}, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class SampleStepApi(APIView):
    """Base of the custody actions on one sample that answer with the sample as it is afterwards.
    A subclass names its service and, when the step needs more than where/when/note, its input."""

    InputSerializer = StepInputSerializer
    service: Callable[..., Sample] | None = None

    def get_serializer_class(self):
        # drf-spectacular documents the subclass's input from here.
        return self.InputSerializer

    @extend_schema(responses={200: SampleDetailOutputSerializer})
    def post(self, request, code: str):
        sample = selectors.sample_get(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if self.service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} names no service")
        sample = self.service(actor=request.user, sample=sample, **serializer.validated_data)
        return Response(SampleDetailOutputSerializer(sample, context={"request": request}).data)


class SampleSealApi(SampleStepApi):
    """Seal a collected sample. Seals are single-use."""

    class InputSerializer(StepInputSerializer):
        seal_number = serializers.CharField(max_length=32)

        class Meta:
            ref_name = "SampleSealInput"

    service = staticmethod(services.sample_seal)


class SampleHandOverApi(SampleStepApi):
    """Give a sealed sample to a person with an account (`to_user`) or to an outside carrier
    (`carrier`), stating the seal number seen."""

    class InputSerializer(StepInputSerializer):
        seal_number_seen = serializers.CharField(max_length=32)
        to_user = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(organisation__isnull=False),
            allow_null=True,
            default=None,
            help_text="Id of the person who takes the sample.",
        )
        carrier = serializers.CharField(
            max_length=300, allow_blank=True, default="", help_text="Name of the outside carrier (instead of to_user)."
        )

        class Meta:
            ref_name = "SampleHandOverInput"

    service = staticmethod(services.sample_hand_over)


class SampleRecallApi(SampleStepApi):
    """Take back a sample handed over that nobody has received yet: only its giver (or an
    administrator), with a reason; it returns to the giver in the state it was handed over from."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(allow_blank=True, help_text="Why the hand-over is taken back; required.")
        location = serializers.CharField(max_length=200, allow_blank=True, default="")
        occurred_at = serializers.DateTimeField(allow_null=True, default=None)

        class Meta:
            ref_name = "SampleRecallInput"

    service = staticmethod(services.sample_recall)


class SampleReceiveApi(SampleStepApi):
    """Take a sample in and check its seal. A broken seal or another seal number puts the sample
    on hold and raises a nonconformance."""

    class InputSerializer(StepInputSerializer):
        seal_number_seen = serializers.CharField(max_length=32, allow_blank=True, default="")
        seal_intact = serializers.BooleanField()

        class Meta:
            ref_name = "SampleReceiveInput"

    service = staticmethod(services.sample_receive)


class SamplePrepareApi(SampleStepApi):
    """Start the preparation of a received sample."""

    service = staticmethod(services.sample_prepare)


class SampleStoreApi(SampleStepApi):
    """Put a sample in the archive."""

    service = staticmethod(services.sample_store)


class SampleDisposeApi(SampleStepApi):
    """Dispose of an archived or rejected sample; the note gives the reason and is required."""

    service = staticmethod(services.sample_dispose)


# Nonconformances ----------------------------------------------------------------------------------


class NonconformanceListApi(generics.ListAPIView):
    serializer_class = NonconformanceOutputSerializer
    pagination_class = Pagination
    filterset_class = selectors.NonconformanceFilter
    search_fields = ["sample__code", "description"]
    ordering_fields = ["raised_at", "status"]

    def get_queryset(self):
        return selectors.nonconformance_list(self.request.user)


class NonconformanceDetailApi(APIView):
    @extend_schema(responses={200: NonconformanceOutputSerializer})
    def get(self, request, nc_pk: int):
        return Response(NonconformanceOutputSerializer(selectors.nonconformance_get(request.user, nc_pk)).data)


class NonconformanceResolveApi(APIView):
    """Accept the sample for testing despite the problem, or reject it; the reason goes on record."""

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()
        reason = serializers.CharField(allow_blank=True)

        class Meta:
            ref_name = "NonconformanceResolveInput"

    @extend_schema(request=InputSerializer, responses={200: NonconformanceOutputSerializer})
    def post(self, request, nc_pk: int):
        nonconformance = selectors.nonconformance_get(request.user, nc_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        nonconformance = services.nonconformance_resolve(
            actor=request.user, nonconformance=nonconformance, **serializer.validated_data
        )
        return Response(NonconformanceOutputSerializer(nonconformance).data)
