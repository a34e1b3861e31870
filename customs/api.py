"""REST API of customs declarations and the reference data of valuation.

As in samples.api: one view per operation, reads through selectors (a declaration the caller may not
see is 404), one service per write, errors as {"message", "extra"} with a 4xx status.
- declarations/: list (scoped), file (exporters and brokers); declarations/<id>/: the declaration
  with its components, citations and findings; decide/ and recheck/ for inspectors.
- metal-prices/, payable-terms/, exchange-rates/: everyone signed in reads; inspectors and
  administrators create and change (no delete: what was in effect stays on record).
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assays.models import Analyte, Unit
from customs import selectors, services
from customs.models import (
    CitedCertificate,
    Declaration,
    DeclaredComponent,
    ExchangeRate,
    Finding,
    MetalPrice,
    PayableTerm,
)
from lims.api_views import OrganisationOutputSerializer, Pagination, reference_views
from lims.models import Organisation, User
from samples.api import VisibleLotField

# Declarations -------------------------------------------------------------------------------------


class ComponentSerializer(serializers.ModelSerializer):
    analyte: "serializers.SlugRelatedField[Analyte]" = serializers.SlugRelatedField(slug_field="symbol", read_only=True)

    class Meta:
        model = DeclaredComponent
        fields = ["analyte", "content", "unit"]


class CitationSerializer(serializers.ModelSerializer):
    found = serializers.SerializerMethodField(help_text="Whether the number names a certificate of the laboratory.")

    class Meta:
        model = CitedCertificate
        fields = ["number", "found"]

    def get_found(self, citation) -> bool:
        return citation.certificate_id is not None


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["rule", "severity", "certificate_number", "analyte", "message", "figures"]


class DeclarationOutputSerializer(serializers.ModelSerializer):
    exporter = OrganisationOutputSerializer()
    customs_office = OrganisationOutputSerializer()
    lot_number = serializers.CharField(source="lot.lot_number")
    filed_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Declaration
        fields = [
            "id",
            "number",
            "declarant",
            "exporter",
            "lot",
            "lot_number",
            "customs_office",
            "hs_code",
            "declared_on",
            "dry_mass_t",
            "value",
            "currency",
            "status",
            "filed_by",
            "filed_at",
            "checked_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class DeclarationDetailOutputSerializer(DeclarationOutputSerializer):
    components = ComponentSerializer(many=True)
    certificates = CitationSerializer(many=True, source="citations")
    findings = serializers.SerializerMethodField()

    class Meta(DeclarationOutputSerializer.Meta):
        fields = [*DeclarationOutputSerializer.Meta.fields, "components", "certificates", "findings"]

    @extend_schema(responses=FindingSerializer(many=True))
    def get_findings(self, declaration) -> list[dict]:
        # many=True makes a ListSerializer, whose data is a list; the stubs keep FindingSerializer's dict.
        return FindingSerializer(selectors.declaration_findings(declaration), many=True).data  # type: ignore[return-value]


class DeclarationListApi(generics.ListAPIView):
    """The declarations of `declarations/`: GET lists those the caller may see, POST files one."""

    class OutputSerializer(DeclarationOutputSerializer):
        blocking = serializers.IntegerField(help_text="Number of blocking findings.")

        class Meta(DeclarationOutputSerializer.Meta):
            fields = [*DeclarationOutputSerializer.Meta.fields, "blocking"]
            ref_name = "DeclarationListOutput"

    class InputSerializer(serializers.Serializer):
        class ComponentInputSerializer(serializers.Serializer):
            analyte = serializers.SlugRelatedField(slug_field="symbol", queryset=Analyte.objects.all())
            content = serializers.DecimalField(max_digits=20, decimal_places=8, min_value=Decimal(0))
            unit = serializers.ChoiceField(choices=Unit.choices)

            class Meta:
                ref_name = "DeclaredComponentInput"

            def to_internal_value(self, data) -> services.ComponentSpec:
                return services.ComponentSpec(**super().to_internal_value(data))

        number = serializers.CharField(max_length=40)
        declarant = serializers.CharField(max_length=200)
        lot = VisibleLotField(help_text="Lot id; the declaration's exporter is the lot's.")
        customs_office = serializers.PrimaryKeyRelatedField(
            queryset=Organisation.objects.filter(kind=Organisation.Kind.CUSTOMS), help_text="Organisation id."
        )
        hs_code = serializers.CharField(max_length=16, help_text="For example 2603.00.")
        declared_on = serializers.DateField()
        dry_mass_t = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
        value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
        currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217, e.g. USD.")
        components = ComponentInputSerializer(many=True)
        certificate_numbers = serializers.ListField(
            child=serializers.CharField(max_length=40), help_text="The certificates cited, as in box 44."
        )

        class Meta:
            ref_name = "DeclarationFileInput"

    serializer_class = OutputSerializer
    pagination_class = Pagination
    filterset_class = selectors.DeclarationFilter
    search_fields = ["number", "declarant", "lot__lot_number"]
    ordering_fields = ["filed_at", "declared_on", "number", "status", "value"]
    ordering = Declaration._meta.ordering

    def get_queryset(self):
        return selectors.declaration_list(self.request.user)

    @extend_schema(
        description="File a declaration of one of the caller's organisation's lots; it is checked at once.",
        request=InputSerializer,
        responses={201: DeclarationDetailOutputSerializer},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_file(actor=request.user, **serializer.validated_data)
        return Response(DeclarationDetailOutputSerializer(declaration).data, status=status.HTTP_201_CREATED)


class DeclarationDetailApi(APIView):
    @extend_schema(responses={200: DeclarationDetailOutputSerializer})
    def get(self, request, declaration_pk: int):
        declaration = selectors.declaration_get(request.user, declaration_pk)
        return Response(DeclarationDetailOutputSerializer(declaration).data)


class DeclarationDecideApi(APIView):
    """Accept or reject a declaration (flagged or cleared); the reason goes on record."""

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()
        reason = serializers.CharField(allow_blank=True)

        class Meta:
            ref_name = "DeclarationDecideInput"

    @extend_schema(request=InputSerializer, responses={200: DeclarationDetailOutputSerializer})
    def post(self, request, declaration_pk: int):
        declaration = selectors.declaration_get(request.user, declaration_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_decide(
            actor=request.user, declaration=declaration, **serializer.validated_data
        )
        return Response(DeclarationDetailOutputSerializer(declaration).data)


class DeclarationRecheckApi(APIView):
    """Run the checks again against the certificates, prices and terms as they are now."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            allow_blank=True, default="", help_text="Why the checks are run again; goes in the audit record."
        )

        class Meta:
            ref_name = "DeclarationRecheckInput"

    @extend_schema(request=InputSerializer, responses={200: DeclarationDetailOutputSerializer})
    def post(self, request, declaration_pk: int):
        declaration = selectors.declaration_get(request.user, declaration_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_recheck(
            actor=request.user, declaration=declaration, **serializer.validated_data
        )
        return Response(DeclarationDetailOutputSerializer(declaration).data)


# Reference data of valuation ----------------------------------------------------------------------


class MetalPriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetalPrice
        fields = ["id", "commodity", "unit", "price", "currency", "effective_date", "source"]


class PayableTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayableTerm
        fields = [
            "id",
            "contract_reference",
            "kind",
            "commodity",
            "unit",
            "payable_pct",
            "min_deduction",
            "min_content",
            "free_allowance",
            "step",
            "rate",
            "currency",
            "active",
        ]


class ExchangeRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "price_currency", "rate", "effective_date", "source"]


# Inspectors keep the reference data of valuation.
CUSTOMS_REFERENCE = "customs_reference.change"
MetalPriceListApi, MetalPriceDetailApi = reference_views(
    MetalPrice, MetalPriceSerializer, "MetalPrice", permission=CUSTOMS_REFERENCE
)
PayableTermListApi, PayableTermDetailApi = reference_views(
    PayableTerm, PayableTermSerializer, "PayableTerm", permission=CUSTOMS_REFERENCE
)
ExchangeRateListApi, ExchangeRateDetailApi = reference_views(
    ExchangeRate, ExchangeRateSerializer, "ExchangeRate", permission=CUSTOMS_REFERENCE
)
