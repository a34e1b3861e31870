"""REST API of the laboratory's work: reference data, instrument runs (import, preview, accept,
QC override), results (manual entry, approve, reject) and the results of a sample.

As in samples.api: one view per operation, reads through selectors (so what a caller may not see
is 404), one service per write, errors as {"message", "extra"} with a 4xx status.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from assays import importers, selectors, services
from assays.batch_models import Batch
from assays.models import (
    Analyte,
    CertifiedValue,
    Instrument,
    Method,
    MethodAnalyte,
    Panel,
    PanelEntry,
    QCCheck,
    Reading,
    ReferenceMaterial,
    Result,
    ResultEvent,
    Run,
    Unit,
)
from assays.services import review
from lims import permissions
from lims.api_views import Pagination, reference_views
from lims.exceptions import ApplicationError
from lims.models import User
from samples import selectors as sample_selectors
from samples.models import Material, Sample


class LabWorkPermission(BasePermission):
    """Runs and results are the laboratory's working records; exporters get 403."""

    message = "Runs and results are open to laboratory staff and inspectors only."

    def has_permission(self, request, view):
        return permissions.sees_lab_work(request.user)


# Reference data -----------------------------------------------------------------------------------


class AnalyteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Analyte
        fields = ["id", "symbol", "name", "name_ru", "name_kk", "default_unit", "is_rare_earth", "active"]


class MethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = Method
        fields = [
            "id", "code", "name", "name_ru", "name_kk", "technique", "standard", "procedure_code",
            "procedure_revision", "imported", "export_basis", "export_unit", "active",
        ]  # fmt: skip


class MethodAnalyteSerializer(serializers.ModelSerializer):
    method = serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())
    analyte = serializers.SlugRelatedField(slug_field="symbol", queryset=Analyte.objects.all())

    class Meta:
        model = MethodAnalyte
        fields = [
            "id", "method", "analyte", "blank_limit", "blank_unit", "detection_limit", "range_low", "range_high",
            "check_level", "rel_uncertainty_pct",
        ]  # fmt: skip


class InstrumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = ["id", "name", "model", "serial", "calibration_due", "active"]


class CertifiedValueSerializer(serializers.ModelSerializer):
    reference_material = serializers.SlugRelatedField(slug_field="name", queryset=ReferenceMaterial.objects.all())
    analyte = serializers.SlugRelatedField(slug_field="symbol", queryset=Analyte.objects.all())

    class Meta:
        model = CertifiedValue
        fields = ["id", "reference_material", "analyte", "value", "unit", "uncertainty", "convention"]


class ReferenceMaterialSerializer(serializers.ModelSerializer):
    values = CertifiedValueSerializer(many=True, read_only=True)

    class Meta:
        model = ReferenceMaterial
        fields = ["id", "name", "producer", "matrix", "basis", "aliases", "active", "values"]


class PanelEntrySerializer(serializers.ModelSerializer):
    panel = serializers.SlugRelatedField(slug_field="code", queryset=Panel.objects.all())
    analyte = serializers.SlugRelatedField(slug_field="symbol", queryset=Analyte.objects.all())
    method = serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())

    class Meta:
        model = PanelEntry
        fields = ["id", "panel", "analyte", "method", "unit", "reporting_limit", "decimals", "basis", "position"]


class PanelSerializer(serializers.ModelSerializer):
    material: "serializers.SlugRelatedField[Material]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    entries = PanelEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Panel
        fields = ["id", "code", "name", "name_ru", "name_kk", "material", "entries"]


# Lab managers keep the laboratory's reference data.
REFERENCE = "reference.change"
AnalyteListApi, AnalyteDetailApi = reference_views(Analyte, AnalyteSerializer, "Analyte", permission=REFERENCE)
MethodListApi, MethodDetailApi = reference_views(Method, MethodSerializer, "Method", permission=REFERENCE)
MethodAnalyteListApi, MethodAnalyteDetailApi = reference_views(
    MethodAnalyte, MethodAnalyteSerializer, "MethodPerformance", permission=REFERENCE,
    queryset=MethodAnalyte.objects.select_related("method", "analyte"),
)  # fmt: skip
InstrumentListApi, InstrumentDetailApi = reference_views(
    Instrument, InstrumentSerializer, "Instrument", permission=REFERENCE
)
ReferenceMaterialListApi, ReferenceMaterialDetailApi = reference_views(
    ReferenceMaterial, ReferenceMaterialSerializer, "ReferenceMaterial", permission=REFERENCE,
    queryset=ReferenceMaterial.objects.prefetch_related(
        Prefetch("values", queryset=CertifiedValue.objects.select_related("reference_material", "analyte"))
    ),
)  # fmt: skip
CertifiedValueListApi, CertifiedValueDetailApi = reference_views(
    CertifiedValue, CertifiedValueSerializer, "CertifiedValue", permission=REFERENCE,
    queryset=CertifiedValue.objects.select_related("reference_material", "analyte"),
)  # fmt: skip
PanelEntryListApi, PanelEntryDetailApi = reference_views(
    PanelEntry, PanelEntrySerializer, "PanelEntry", permission=REFERENCE,
    queryset=PanelEntry.objects.select_related("panel", "analyte", "method"),
)  # fmt: skip


class PanelListApi(generics.ListAPIView):
    """Panels with their entries (change an entry through panel-entries/)."""

    queryset = Panel.objects.select_related("material").prefetch_related(
        Prefetch("entries", queryset=PanelEntry.objects.select_related("panel", "analyte", "method"))
    )
    serializer_class = PanelSerializer
    pagination_class = Pagination


# Runs ---------------------------------------------------------------------------------------------


class QCCheckSerializer(serializers.ModelSerializer):
    analyte: "serializers.SlugRelatedField[Analyte]" = serializers.SlugRelatedField(slug_field="symbol", read_only=True)
    reference_material: "serializers.SlugRelatedField[ReferenceMaterial]" = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = QCCheck
        fields = ["kind", "analyte", "subject", "reference_material", "passed", "figures", "message", "acquired_at"]


class RunOutputSerializer(serializers.ModelSerializer):
    instrument: "serializers.SlugRelatedField[Instrument]" = serializers.SlugRelatedField(
        slug_field="serial", read_only=True
    )
    method: "serializers.SlugRelatedField[Method]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    operator: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(slug_field="username", read_only=True)
    accepted_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    override_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    withdrawn_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Run
        fields = [
            "id", "filename", "sha256", "format", "instrument", "method", "operator", "prep_mass_g", "prep_volume_ml",
            "ccv_nominal", "status", "qc_status", "summary", "unmatched", "problems", "imported_at", "accepted_by",
            "accepted_at", "override_by", "override_at", "override_reason", "withdrawn_by", "withdrawn_at",
            "withdraw_reason",
        ]  # fmt: skip
        read_only_fields = fields


class RunDetailOutputSerializer(RunOutputSerializer):
    qc_checks = QCCheckSerializer(many=True)

    class Meta(RunOutputSerializer.Meta):
        fields = [*RunOutputSerializer.Meta.fields, "qc_checks"]
        read_only_fields = fields


class RunFileInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=list(importers.FORMATS), required=False, allow_blank=True)

    def validate_file(self, upload):
        limit = settings.LIMS_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                _("The file is %(size)d bytes; the limit is %(limit)d bytes.") % {"size": upload.size, "limit": limit}
            )
        return upload


class RunListApi(generics.ListAPIView):
    """Instrument runs: GET lists them; POST (multipart) uploads a file and answers 202 at once with the run
    `queued`: a worker parses it, and GET runs/<id>/ shows it in `preview`, or `refused` with its `problems`."""

    permission_classes = (LabWorkPermission,)
    parser_classes = (MultiPartParser, FormParser)
    serializer_class = RunOutputSerializer
    pagination_class = Pagination
    filterset_class = selectors.RunFilter
    ordering_fields = ["imported_at"]

    class InputSerializer(RunFileInputSerializer):
        instrument = serializers.SlugRelatedField(slug_field="serial", queryset=Instrument.objects.all())
        method = serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())
        prep_mass_g = serializers.DecimalField(max_digits=8, decimal_places=4, required=False, allow_null=True)
        prep_volume_ml = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
        ccv_nominal = serializers.DecimalField(max_digits=14, decimal_places=6, required=False, allow_null=True)
        # The planned batch the file measured (assays.services.batches): its rows are matched with its positions.
        batch = serializers.PrimaryKeyRelatedField(queryset=Batch.objects.all(), required=False, allow_null=True)

        class Meta:
            ref_name = "RunImportInput"

    def get_queryset(self):
        return selectors.run_list(self.request.user)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={202: RunDetailOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.pop("file")
        run = services.run_upload(
            actor=request.user, data=upload.read(), filename=upload.name, format=data.pop("format", "") or None, **data
        )
        location = reverse("api_run_detail", kwargs={"run_pk": run.pk})
        return Response(
            RunDetailOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


class RunDetailApi(APIView):
    permission_classes = (LabWorkPermission,)

    @extend_schema(responses={200: RunDetailOutputSerializer})
    def get(self, request, run_pk: int):
        return Response(RunDetailOutputSerializer(selectors.run_get(request.user, run_pk)).data)


class ReadingSerializer(serializers.ModelSerializer):
    analyte: "serializers.SlugRelatedField[Analyte]" = serializers.SlugRelatedField(slug_field="symbol", read_only=True)
    sample: "serializers.SlugRelatedField[Sample]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reference_material: "serializers.SlugRelatedField[ReferenceMaterial]" = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = Reading
        fields = [
            "row", "column", "sample_name", "row_type", "sample", "reference_material", "duplicate_of", "analyte",
            "isotope", "mode", "value", "qualifier", "detection_limit", "unit", "basis", "dilution_factor", "acquired_at",
            "rejected", "excluded", "negative", "note", "chosen", "choice", "id",
        ]  # fmt: skip


class RunReadingsApi(generics.ListAPIView):
    """Every reading of a run, in file order."""

    permission_classes = (LabWorkPermission,)
    serializer_class = ReadingSerializer
    pagination_class = Pagination
    queryset = Reading.objects.none()  # for the schema; get_queryset scopes the real rows

    def get_queryset(self):
        return selectors.run_readings(selectors.run_get(self.request.user, self.kwargs["run_pk"]))


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


class _RunActionApi(APIView):
    permission_classes = (LabWorkPermission,)
    service: Callable[..., object] | None = None
    takes_reason = False

    def get_serializer_class(self):
        return ReasonInputSerializer

    @extend_schema(request=ReasonInputSerializer, responses={200: RunDetailOutputSerializer})
    def post(self, request, run_pk: int):
        run = selectors.run_get(request.user, run_pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extra = {"reason": serializer.validated_data["reason"]} if self.takes_reason else {}
        if self.service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} names no service")
        self.service(actor=request.user, run=run, **extra)
        return Response(RunDetailOutputSerializer(selectors.run_get(request.user, run_pk)).data)


class RunAcceptApi(_RunActionApi):
    """Turn the run's sample readings into results awaiting review."""

    service = staticmethod(services.run_accept)


class RunDiscardApi(_RunActionApi):
    """Drop a run in preview."""

    service = staticmethod(services.run_discard)
    takes_reason = True


class RunWithdrawApi(_RunActionApi):
    """Take back an accepted run none of whose results is approved; the reason is required."""

    service = staticmethod(services.run_withdraw)
    takes_reason = True


class RunChooseApi(APIView):
    """Choose the reading reported for a sample and analyte where the selection rule cannot."""

    permission_classes = (LabWorkPermission,)

    class InputSerializer(serializers.Serializer):
        reading = serializers.IntegerField()
        reason = serializers.CharField(allow_blank=True, default="")

        class Meta:
            ref_name = "RunChooseInput"

    def get_serializer_class(self):
        return self.InputSerializer

    @extend_schema(request=InputSerializer, responses={200: ReadingSerializer})
    def post(self, request, run_pk: int):
        run = selectors.run_get(request.user, run_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reading = run.readings.filter(pk=serializer.validated_data["reading"]).first()
        if reading is None:
            raise ApplicationError(_("Choose a reading of this run."), field="reading")
        services.run_choose_reading(
            actor=request.user, run=run, reading=reading, reason=serializer.validated_data["reason"]
        )
        reading.refresh_from_db()
        return Response(ReadingSerializer(reading).data)


class RunOverrideQCApi(_RunActionApi):
    """Let the results of a QC-failed run be approved; the reason is required."""

    service = staticmethod(services.run_override_qc)
    takes_reason = True


# Results ------------------------------------------------------------------------------------------


class ResultEventSerializer(serializers.ModelSerializer):
    actor: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ResultEvent
        fields = ["action", "actor", "at", "reason", "data"]


class ResultSerializer(serializers.ModelSerializer):
    sample: "serializers.SlugRelatedField[Sample]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    analyte: "serializers.SlugRelatedField[Analyte]" = serializers.SlugRelatedField(slug_field="symbol", read_only=True)
    method: "serializers.SlugRelatedField[Method]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    entered_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    decided_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    # The figures as printed (assays.precision), beside the stored full-precision values.
    display_value = serializers.SerializerMethodField(
        help_text="The value as shown on pages and certificates: GUM-rounded, `<DL`, `OR`, or `…` while the "
        "dry basis waits for the moisture."
    )
    display_uncertainty = serializers.SerializerMethodField(
        help_text="The expanded uncertainty as shown; empty if none."
    )
    display_value_as_received = serializers.SerializerMethodField(help_text="display_value, as received.")
    display_uncertainty_as_received = serializers.SerializerMethodField(help_text="display_uncertainty, as received.")
    retest = serializers.SerializerMethodField(help_text="Id of the retest that answers this rejected result.")

    class Meta:
        model = Result
        fields = [
            "id", "sample", "analyte", "method", "unit", "basis", "qualifier", "value", "detection_limit",
            "uncertainty", "value_as_received", "detection_limit_as_received", "uncertainty_as_received", "negative", "flags",
            "source", "run", "status", "entered_by", "entered_at", "decided_by", "decided_at", "reason",
            "display_value", "display_uncertainty", "display_value_as_received", "display_uncertainty_as_received",
            "retest_of", "retest",
        ]  # fmt: skip
        read_only_fields = fields

    def get_display_value(self, result: Result) -> str:
        return result.shown().value

    def get_display_uncertainty(self, result: Result) -> str:
        return result.shown().uncertainty

    def get_display_value_as_received(self, result: Result) -> str:
        return result.shown(as_received=True).value

    def get_display_uncertainty_as_received(self, result: Result) -> str:
        return result.shown(as_received=True).uncertainty

    def get_retest(self, result: Result) -> int | None:
        if hasattr(result, "retest_id"):  # annotated by the selectors (assays.selectors.with_retest)
            return result.retest_id
        return result.retests.order_by("-entered_at", "-pk").values_list("pk", flat=True).first()


class ResultDetailSerializer(ResultSerializer):
    events = ResultEventSerializer(many=True)

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ResultListApi(generics.ListAPIView):
    """Results the caller may see; filter by status, sample code, analyte symbol, method code, run."""

    permission_classes = (LabWorkPermission,)
    serializer_class = ResultSerializer
    pagination_class = Pagination
    filterset_class = selectors.ResultFilter
    ordering_fields = ["entered_at", "sample__code"]

    def get_queryset(self):
        return selectors.result_list(self.request.user).order_by(*selectors.NEWEST_RESULTS)


class ResultDetailApi(APIView):
    permission_classes = (LabWorkPermission,)

    @extend_schema(responses={200: ResultDetailSerializer})
    def get(self, request, result_pk: int):
        return Response(ResultDetailSerializer(selectors.result_get(request.user, result_pk)).data)


class _ResultDecisionApi(APIView):
    permission_classes = (LabWorkPermission,)
    service: Callable[..., Result] | None = None

    def get_serializer_class(self):
        return ReasonInputSerializer

    @extend_schema(request=ReasonInputSerializer, responses={200: ResultDetailSerializer})
    def post(self, request, result_pk: int):
        result = selectors.result_get(request.user, result_pk)
        serializer = self.get_serializer_class()(data=request.data)
        serializer.is_valid(raise_exception=True)
        if self.service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} names no service")
        result = self.service(actor=request.user, result=result, **serializer.validated_data)
        return Response(ResultDetailSerializer(result).data)


class ApproveInputSerializer(ReasonInputSerializer):
    confirm_flags = serializers.BooleanField(default=False)


class ResultApproveApi(_ResultDecisionApi):
    """Approve a result entered or imported by someone else; a flagged result needs `confirm_flags`."""

    service = staticmethod(services.result_approve)

    def get_serializer_class(self):
        return ApproveInputSerializer


class ResultRejectApi(_ResultDecisionApi):
    """Reject a result and ask for a retest; the reason is required."""

    service = staticmethod(services.result_reject)


class ResultReviewApi(APIView):
    """Approve or reject, in one action, every entered result that matches the filter (sample code,
    run id, method code, batch id; at least one). Each result is decided on its own (assays.services.review):
    those the caller entered or imported, those whose dry basis waits for the moisture, flagged ones
    without `confirm_flags` and those of a run whose QC failed are skipped and listed with the reason."""

    permission_classes = (LabWorkPermission,)

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[review.APPROVE, review.REJECT])
        reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")
        confirm_flags = serializers.BooleanField(
            default=False, help_text="Approve flagged results too: the caller confirms their flagged values."
        )
        sample = serializers.CharField(required=False, allow_blank=True, default="", help_text="Sample code, exactly.")
        run = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Run id.")
        method = serializers.CharField(required=False, allow_blank=True, default="", help_text="Method code.")
        batch = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Batch id.")

        class Meta:
            ref_name = "ResultReviewInput"

    class OutputSerializer(serializers.Serializer):
        class RowSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            sample = serializers.CharField()
            analyte = serializers.CharField()
            status = serializers.CharField()

            class Meta:
                ref_name = "ResultReviewRow"

        class SkippedSerializer(RowSerializer):
            reason = serializers.ChoiceField(choices=list(review.SKIP_REASONS), help_text="Why it was skipped.")
            message = serializers.CharField()

            class Meta:
                ref_name = "ResultReviewSkipped"

        decision = serializers.CharField()
        decided = RowSerializer(many=True)
        skipped = SkippedSerializer(many=True)
        skipped_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Skipped, per reason.")

        class Meta:
            ref_name = "ResultReviewOutput"

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        decision, reason, confirm_flags = data.pop("decision"), data.pop("reason"), data.pop("confirm_flags")
        filters = selectors.ReviewFilter(data, queryset=selectors.review_candidates(request.user))
        if not filters.narrowed:
            raise ApplicationError(_("Name the sample, the run, the batch or the method whose results you decide on."))
        outcome = review.results_review(
            actor=request.user, results=filters.qs, decision=decision, reason=reason, confirm_flags=confirm_flags
        )

        def row(result: Result) -> dict:
            return {"id": result.pk, "sample": result.sample.code, "analyte": result.analyte.symbol,
                    "status": result.status}  # fmt: skip

        return Response(
            {
                "decision": outcome.decision,
                "decided": [row(r) for r in outcome.decided],
                "skipped": [{**row(s.result), "reason": s.reason, "message": s.message} for s in outcome.skipped],
                "skipped_counts": outcome.counts(),
            }
        )


class ResultManualApi(APIView):
    """Enter results by hand (fire assay, titration, moisture): all entries or none."""

    permission_classes = (LabWorkPermission,)

    class InputSerializer(serializers.Serializer):
        class EntrySerializer(serializers.Serializer):
            sample = serializers.CharField(help_text="Sample code.")
            analyte = serializers.SlugRelatedField(slug_field="symbol", queryset=Analyte.objects.all())
            value = serializers.DecimalField(max_digits=20, decimal_places=8, help_text="The value, or the DL after <.")
            qualifier = serializers.ChoiceField(choices=["", "<"], default="")
            unit = serializers.ChoiceField(choices=Unit.choices, required=False, allow_blank=True, default="")
            uncertainty = serializers.DecimalField(
                max_digits=20, decimal_places=8, required=False, allow_null=True, default=None
            )

            class Meta:
                ref_name = "ManualResultEntry"

        method = serializers.SlugRelatedField(slug_field="code", queryset=Method.objects.all())
        entries = EntrySerializer(many=True, allow_empty=False)

        class Meta:
            ref_name = "ManualResultsInput"

    @extend_schema(request=InputSerializer, responses={201: ResultSerializer(many=True)})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entries = []
        for index, item in enumerate(data["entries"]):
            sample = sample_selectors.sample_list(request.user).filter(code=item["sample"]).first()
            if sample is None:
                raise ApplicationError(
                    _("Entry %(n)d: no sample %(code)s.") % {"n": index + 1, "code": item["sample"]},
                    extra={"entry": index},
                )
            if item["value"] < 0:
                raise ApplicationError(_("Entry %(n)d: a content cannot be negative.") % {"n": index + 1})
            entries.append(services.ManualEntry(**{**item, "sample": sample}))
        results = services.results_enter(actor=request.user, method=data["method"], entries=entries)
        return Response(ResultSerializer(results, many=True).data, status=status.HTTP_201_CREATED)


class SampleResultsApi(APIView):
    """The sample's panel with its current result per analyte, and whether the panel is complete."""

    permission_classes = (LabWorkPermission,)

    @extend_schema(responses={200: dict})
    def get(self, request, code: str):
        sample = sample_selectors.sample_get(request.user, code)
        rows = selectors.sample_results(sample)
        return Response(
            {
                "sample": sample.code,
                "complete": selectors.panel_complete(sample),
                "results": [
                    {
                        "analyte": row["entry"].analyte.symbol,
                        "method": row["entry"].method.code,
                        "unit": row["entry"].unit,
                        "reporting_limit": row["entry"].reporting_limit,
                        "result": ResultSerializer(row["result"]).data if row["result"] else None,
                    }
                    for row in rows
                ],
            }
        )
