from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from assays.models import (
    Analyte,
    Balance,
    CertifiedValue,
    Instrument,
    Method,
    MethodAnalyte,
    Panel,
    PanelEntry,
    PreparationSpec,
    PreparationStep,
    QCCheck,
    Reading,
    ReadingChoice,
    ReferenceMaterial,
    Result,
    ResultEvent,
    Run,
)
from assays.selectors import with_reporting_decimals
from lims.admin import AuditedAdmin, EstimatedCountPaginator, ReadOnlyAdmin, ReadOnlyInline

# Lab managers keep the laboratory's reference data (lims.permissions); every change is on record.
REFERENCE = "reference.change"


@admin.register(Analyte)
class AnalyteAdmin(AuditedAdmin):
    audit_permission = REFERENCE
    list_display = ["symbol", "name", "name_ru", "name_kk", "default_unit", "is_rare_earth", "active"]
    list_filter = ["is_rare_earth", "active"]
    search_fields = ["symbol", "name", "name_ru", "name_kk"]


class MethodAnalyteInline(admin.TabularInline):
    model = MethodAnalyte
    extra = 0
    autocomplete_fields = ["analyte"]


@admin.register(Method)
class MethodAdmin(AuditedAdmin):
    """A method with its performance per analyte (blank limits, detection limits, ranges): the QC
    limits every run is checked against."""

    audit_permission = REFERENCE
    list_display = [
        "name", "name_ru", "name_kk", "code", "technique", "standard", "procedure_code", "procedure_revision",
        "imported", "export_basis", "active",
    ]  # fmt: skip
    list_filter = ["technique", "imported", "active"]
    inlines = [MethodAnalyteInline]


@admin.register(Instrument)
class InstrumentAdmin(AuditedAdmin):
    audit_permission = REFERENCE
    list_display = ["name", "model", "serial", "calibration_due", "active"]
    list_filter = ["active"]


class PanelEntryInline(admin.TabularInline):
    model = PanelEntry
    extra = 0
    autocomplete_fields = ["analyte"]


@admin.register(Panel)
class PanelAdmin(AuditedAdmin):
    audit_permission = REFERENCE
    list_display = ["name", "name_ru", "name_kk", "code", "material"]
    inlines = [PanelEntryInline]


class CertifiedValueInline(admin.TabularInline):
    model = CertifiedValue
    extra = 0
    autocomplete_fields = ["analyte"]


@admin.register(ReferenceMaterial)
class ReferenceMaterialAdmin(AuditedAdmin):
    audit_permission = REFERENCE
    list_display = ["name", "producer", "matrix", "basis", "active"]
    search_fields = ["name", "aliases"]
    inlines = [CertifiedValueInline]


class QCCheckInline(ReadOnlyInline):
    model = QCCheck
    readonly_fields = fields = ("kind", "analyte", "subject", "passed", "text")

    @admin.display(description=_("message"))
    def text(self, check):
        return check.text


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    """Runs are imported and decided through the services; the admin shows them."""

    list_display = ["pk", "filename", "instrument", "method", "status", "qc_status", "operator", "imported_at"]
    list_select_related = ["instrument", "method", "operator"]
    list_filter = ["status", "qc_status", "method"]
    search_fields = ["filename", "sha256"]
    inlines = [QCCheckInline]


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = [
        "run", "row", "sample_name", "row_type", "analyte", "qualifier", "value", "unit", "basis", "dilution_factor",
        "chosen",
    ]  # fmt: skip
    list_select_related = ["run", "analyte"]
    # A million rows: the newest first by primary key (the model's order goes through the run, a join
    # and a sort of every reading), and no second count of the whole table.
    ordering = ["-id"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_filter = ["row_type", "qualifier", "basis", "chosen", "excluded"]
    search_fields = ["sample_name"]


@admin.register(ReadingChoice)
class ReadingChoiceAdmin(ReadOnlyAdmin):
    """Technicians' decisions on readings the selection rule could not choose (assays.selection)."""

    list_display = ["run", "sample", "analyte", "reading", "chosen_by", "chosen_at", "reason"]
    list_select_related = ["run", "sample", "analyte", "reading", "chosen_by"]
    search_fields = ["sample__code", "reason"]


class ResultEventInline(ReadOnlyInline):
    """Append-only (lims.lib.append_only): shown, never changed."""

    model = ResultEvent
    readonly_fields = fields = ("action", "actor", "at", "reason")


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    """Read-only: approval needs a second person and goes through the review page or the API."""

    list_display = ["sample", "analyte", "display_value", "status", "entered_by", "decided_by"]
    list_select_related = ["sample", "analyte", "entered_by", "decided_by"]
    # Hundreds of thousands of rows: newest first, as an index has them (the model's order sorts every
    # result through a join), and no second count of the whole table.
    ordering = ["-entered_at", "-id"]
    show_full_result_count = False
    # By analyte with the filter: a search across two joined tables cannot use the trigram index of
    # sample codes (samples 0006) and scans every result.
    list_filter = ["status", "source", "method", "analyte"]
    search_fields = ["sample__code"]
    inlines = [ResultEventInline]

    def get_queryset(self, request):
        # Each value is shown at its panel entry's reporting precision (assays.precision), read in the same query.
        return with_reporting_decimals(super().get_queryset(request))


@admin.register(Balance)
class BalanceAdmin(AuditedAdmin):
    """A balance past its calibration date weighs nothing for preparation (assays.services.preparation)."""

    audit_permission = REFERENCE
    list_display = ["name", "model", "serial", "calibration_due", "active"]
    list_filter = ["active"]


@admin.register(PreparationSpec)
class PreparationSpecAdmin(AuditedAdmin):
    """Which steps a method requires and how fine its pulp must be."""

    audit_permission = REFERENCE
    list_display = [
        "method", "requires_drying", "requires_crushing", "requires_pulverising", "requires_splitting",
        "requires_aliquot", "screen_um", "min_passing_pct",
    ]  # fmt: skip
    list_select_related = ["method"]


@admin.register(PreparationStep)
class PreparationStepAdmin(ReadOnlyAdmin):
    """Append-only: recorded through the sample's preparation page or the API."""

    list_display = ["sample", "kind", "method", "balance", "passed", "performed_by", "performed_at"]
    list_select_related = ["sample", "method", "balance", "performed_by"]
    list_filter = ["kind", "passed"]
    search_fields = ["sample__code"]
