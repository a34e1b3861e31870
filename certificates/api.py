"""REST API of certificates: list and detail (exporters: their own), request, revoke, amend, retry,
and the PDF. One view per operation, as in samples.api.

The detail states the certificate's contents (snapshot, QR token) only to whom
selectors.contents_visible allows: an exporter gets a pending or failed certificate's status with
"snapshot" and "qr_token" null. Reasons are refused with a 400 naming the character a certificate
cannot print (lims.lib.text)."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import selectors, services
from certificates.models import Certificate
from lims.api_views import Pagination
from lims.lib.text import validate_printable_lines
from samples import selectors as sample_selectors
from samples.models import Sample


class CertificateSerializer(serializers.ModelSerializer):
    sample: "serializers.SlugRelatedField[Sample]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot_number = serializers.CharField(source="sample.lot.lot_number")
    exporter = serializers.CharField(source="sample.lot.exporter.name")
    supersedes: "serializers.SlugRelatedField[Certificate]" = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    superseded_by = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id", "number", "sample", "lot_number", "exporter", "status", "issued_at", "pdf_sha256",
            "snapshot_sha256", "signing_kid", "token_kid", "supersedes", "superseded_by", "amendment_reason",
            "revoked_at", "revocation_reason", "failure", "requested_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_superseded_by(self, certificate) -> str | None:
        """The amendment's number: annotated by selectors.certificate_list (no query per row); a single
        certificate (detail, or one a service returns) looks its amendment up."""
        if hasattr(certificate, "superseded_by_number"):
            return certificate.superseded_by_number
        return Certificate.objects.filter(supersedes=certificate).values_list("number", flat=True).first()


class CertificateDetailSerializer(CertificateSerializer):
    """The certificate with its contents; they are null for a caller who may not see them yet
    (context["request"].user, selectors.contents_visible)."""

    class Meta(CertificateSerializer.Meta):
        fields = [*CertificateSerializer.Meta.fields, "snapshot", "qr_token"]
        read_only_fields = fields

    def to_representation(self, certificate):
        data = super().to_representation(certificate)
        if not selectors.contents_visible(self.context["request"].user, certificate):
            data["snapshot"] = data["qr_token"] = None
        return data


class CertificateListApi(generics.ListAPIView):
    """GET: the certificates the caller may see (exporters: their own organisation's).
    POST: request the certificate of a reported sample (lab manager); it is issued by a worker."""

    serializer_class = CertificateSerializer
    pagination_class = Pagination
    filterset_class = selectors.CertificateFilter
    search_fields = ["number", "sample__code", "sample__lot__lot_number"]
    ordering_fields = ["issued_at", "requested_at", "number"]

    class InputSerializer(serializers.Serializer):
        sample = serializers.CharField(help_text="Code of a reported sample.")
        languages = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=20,
            help_text=(
                "The language pair, primary first: ru,en, kk,ru or kk,en, in either order. "
                "Default: the laboratory's (LIMS_CERTIFICATE_LANGUAGES)."
            ),
        )

        class Meta:
            ref_name = "CertificateRequestInput"

    def get_queryset(self):
        return selectors.certificate_list(self.request.user)

    @extend_schema(request=InputSerializer, responses={201: CertificateDetailSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sample = sample_selectors.sample_get(request.user, serializer.validated_data["sample"])
        certificate = services.certificate_request(
            actor=request.user, sample=sample, languages=serializer.validated_data.get("languages")
        )
        return Response(
            CertificateDetailSerializer(certificate, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class CertificateDetailApi(APIView):
    @extend_schema(responses={200: CertificateDetailSerializer})
    def get(self, request, cert_pk: int):
        certificate = selectors.certificate_get(request.user, cert_pk)
        return Response(CertificateDetailSerializer(certificate, context={"request": request}).data)


class CertificatePdfApi(APIView):
    """The signed PDF of an issued (or since revoked or superseded) certificate."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, cert_pk: int):
        certificate = selectors.certificate_get(request.user, cert_pk)
        if not certificate.was_issued:
            raise Http404
        response = FileResponse(certificate.pdf.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
        return response


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="", validators=[validate_printable_lines])

    class Meta:
        ref_name = "CertificateReasonInput"


class _CertificateActionApi(APIView):
    created = False

    def get_serializer_class(self):
        return ReasonInputSerializer

    def call(self, request, certificate, reason: str) -> Certificate:
        raise NotImplementedError

    @extend_schema(request=ReasonInputSerializer, responses={200: CertificateDetailSerializer})
    def post(self, request, cert_pk: int):
        certificate = selectors.certificate_get(request.user, cert_pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = self.call(request, certificate, serializer.validated_data["reason"])
        code = status.HTTP_201_CREATED if self.created else status.HTTP_200_OK
        return Response(CertificateDetailSerializer(result, context={"request": request}).data, status=code)


class CertificateRevokeApi(_CertificateActionApi):
    """Revoke an issued certificate; the reason is required and shown to inspectors."""

    def call(self, request, certificate, reason):
        return services.certificate_revoke(actor=request.user, certificate=certificate, reason=reason)


class CertificateAmendApi(_CertificateActionApi):
    """Request an amendment (a new certificate superseding this one); the reason is required."""

    created = True

    def call(self, request, certificate, reason):
        return services.certificate_amend(actor=request.user, certificate=certificate, reason=reason)


class CertificateRetryApi(_CertificateActionApi):
    """Send a failed certificate to the worker again."""

    def call(self, request, certificate, reason):
        return services.certificate_retry(actor=request.user, certificate=certificate)
