"""Admin of QC masks (reference data: audited saves, lab managers) and of batches (read-only: built and
moved by assays.services.batches). Registered by assays.apps.AssaysConfig.ready."""

from django.contrib import admin

from assays.batch_models import Batch, BatchPosition, QCMask, QCMaskRule
from lims.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline

REFERENCE = "reference.change"


class QCMaskRuleInline(admin.TabularInline):
    model = QCMaskRule
    extra = 0
    fields = ("order", "kind", "placement", "interval")


@admin.register(QCMask)
class QCMaskAdmin(AuditedAdmin):
    """A method's QC mask: its rules in order (assays.masks says how they lay out a batch). Every save of
    the mask and its rules is on record (lims.services.reference_save)."""

    audit_permission = REFERENCE
    list_display = ["name", "method"]
    list_select_related = ["method"]
    inlines = [QCMaskRuleInline]


class BatchPositionInline(ReadOnlyInline):
    model = BatchPosition
    fk_name = "batch"
    readonly_fields = fields = ("number", "kind", "label", "sample", "reference_material", "duplicate_of")


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "method", "instrument", "status", "reference_material", "created_by", "created_at"]
    list_select_related = ["method", "instrument", "reference_material", "created_by"]
    list_filter = ["status", "method"]
    inlines = [BatchPositionInline]
