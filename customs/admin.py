from django.contrib import admin

from customs import services
from customs.models import (
    CitedCertificate,
    Declaration,
    DeclaredComponent,
    ExchangeRate,
    Finding,
    MetalPrice,
    PayableTerm,
)
from lims import permissions
from lims.admin import ReadOnlyAdmin


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeclaredComponentInline(_ReadOnlyInline):
    model = DeclaredComponent
    fields = ["analyte", "content", "unit"]
    readonly_fields = fields


class CitedCertificateInline(_ReadOnlyInline):
    model = CitedCertificate
    fields = ["number", "certificate"]
    readonly_fields = fields


class FindingInline(_ReadOnlyInline):
    model = Finding
    fields = ["severity", "rule", "certificate_number", "analyte", "message"]
    readonly_fields = fields


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    """Declarations are filed, checked and decided through the services only; scoped like every view
    (exporters see their own, laboratory staff none)."""

    list_display = ["number", "exporter", "lot", "declared_on", "value", "currency", "status", "filed_at"]
    list_filter = ["status", "customs_office"]
    search_fields = ["number", "declarant", "lot__lot_number"]
    inlines = [DeclaredComponentInline, CitedCertificateInline, FindingInline]


class CustomsReferenceAdmin(admin.ModelAdmin):
    """Reference data of valuation: changed by those lims.permissions allows, through the service,
    so every change has its audit record."""

    def has_add_permission(self, request):
        return permissions.can(request.user, "customs_reference.change") and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return permissions.can(request.user, "customs_reference.change") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data} if change else form.cleaned_data
        services.customs_reference_save(actor=request.user, instance=obj, fields=fields)


@admin.register(MetalPrice)
class MetalPriceAdmin(CustomsReferenceAdmin):
    list_display = ["commodity", "price", "currency", "unit", "effective_date", "source"]
    list_filter = ["commodity"]
    date_hierarchy = "effective_date"


@admin.register(PayableTerm)
class PayableTermAdmin(CustomsReferenceAdmin):
    list_display = [
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
    list_filter = ["kind", "active"]
    search_fields = ["contract_reference", "commodity"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(CustomsReferenceAdmin):
    list_display = ["currency", "price_currency", "rate", "effective_date", "source"]
    list_filter = ["currency"]
