from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customs.models import (
    CitedCertificate,
    Declaration,
    DeclaredComponent,
    ExchangeRate,
    Finding,
    MetalPrice,
    PayableTerm,
)
from lims.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline
from lims.templatetags.lims_format import money


class DeclaredComponentInline(ReadOnlyInline):
    model = DeclaredComponent
    readonly_fields = fields = ("analyte", "content", "unit")


class CitedCertificateInline(ReadOnlyInline):
    model = CitedCertificate
    readonly_fields = fields = ("number", "certificate")


class FindingInline(ReadOnlyInline):
    model = Finding
    readonly_fields = fields = ("severity", "rule", "certificate_number", "analyte", "text")

    @admin.display(description=_("message"))
    def text(self, finding):
        return finding.text


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    """Declarations are filed, checked and decided through the services only; scoped like every view
    (exporters see their own, laboratory staff none)."""

    list_display = ["number", "exporter", "lot", "declared_on", "customs_value", "currency", "status", "filed_at"]
    # A lot names its exporter.
    list_select_related = ["exporter", "lot__exporter"]
    list_filter = ["status", "customs_office"]
    search_fields = ["number", "declarant", "lot__lot_number"]
    inlines = [DeclaredComponentInline, CitedCertificateInline, FindingInline]

    @admin.display(description=_("customs value"), ordering="value")
    def customs_value(self, declaration):
        return money(declaration.value)


class CustomsReferenceAdmin(AuditedAdmin):
    """Reference data of valuation: changed by those lims.permissions allows, every change on
    record. Never deleted: a price that was in effect stays on record; a term is retired with `active`."""

    audit_permission = "customs_reference.change"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MetalPrice)
class MetalPriceAdmin(CustomsReferenceAdmin):
    list_display = ["commodity", "amount", "currency", "unit", "effective_date", "source"]
    list_filter = ["commodity"]
    date_hierarchy = "effective_date"

    @admin.display(description=_("price"), ordering="price")
    def amount(self, price):
        return money(price.price)


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
