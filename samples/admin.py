from django.contrib import admin

from lims.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, ScopedAdmin
from samples.models import CustodyEvent, Lot, Material, Nonconformance, RetainedPortion, Sample, Seal


@admin.register(Material)
class MaterialAdmin(AuditedAdmin):
    audit_permission = "reference.change"
    list_display = ["name", "name_ru", "name_kk", "code", "hs_heading", "active"]
    list_filter = ["active"]


@admin.register(Lot)
class LotAdmin(AuditedAdmin, ScopedAdmin):
    """Lots are registered through the services; the admin may correct descriptive fields only, of
    the lots its user may change (an exporter's own), each correction on record."""

    audit_permission = "lot.change"

    list_display = ["lot_number", "exporter", "material", "hs_code", "wet_mass_t", "status", "registered_at"]
    list_select_related = ["exporter", "material"]
    list_filter = ["status", "material", "exporter"]
    search_fields = ["lot_number", "contract_reference", "export_licence_number"]
    readonly_fields = ["exporter", "lot_number", "status", "registered_by", "registered_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CustodyEventInline(ReadOnlyInline):
    model = CustodyEvent
    readonly_fields = fields = (
        "sequence",
        "action",
        "actor",
        "from_party",
        "to_party",
        "occurred_at",
        "seal_number_seen",
        "seal_intact",
    )


@admin.register(Sample)
class SampleAdmin(ReadOnlyAdmin):
    list_display = ["code", "lot", "purpose", "status", "seal_number", "current_custodian"]
    # A lot names its exporter.
    list_select_related = ["lot__exporter", "current_custodian"]
    # Tens of thousands of rows: no second count of the whole table under a search or filter.
    show_full_result_count = False
    list_filter = ["status", "purpose"]
    search_fields = ["code", "seal_number", "lot__lot_number"]
    inlines = [CustodyEventInline]


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyAdmin):
    list_display = ["sample", "sequence", "action", "actor", "occurred_at", "hash"]
    list_select_related = ["sample", "actor"]
    show_full_result_count = False
    list_filter = ["action"]
    search_fields = ["sample__code", "hash"]


@admin.register(Seal)
class SealAdmin(ReadOnlyAdmin):
    list_display = ["number", "sample", "applied_by", "applied_at"]
    list_select_related = ["sample", "applied_by"]
    show_full_result_count = False
    search_fields = ["number", "sample__code"]


@admin.register(Nonconformance)
class NonconformanceAdmin(ReadOnlyAdmin):
    list_display = ["sample", "kind", "status", "raised_at", "resolved_by"]
    list_select_related = ["sample", "resolved_by"]
    list_filter = ["status", "kind"]


@admin.register(RetainedPortion)
class RetainedPortionAdmin(ReadOnlyAdmin):
    """Kept, moved and disposed of through the sample's portions page or the API (custody events)."""

    list_display = ["sample", "kind", "location", "retain_until", "status", "disposed_by"]
    list_select_related = ["sample", "disposed_by"]
    list_filter = ["kind", "status"]
    search_fields = ["sample__code", "location"]
