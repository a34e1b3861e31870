from django.contrib import admin

from certificates.models import Certificate, CertificateEvent, LogCosignature, LogWitness, SigningKey
from lims.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline


class CertificateEventInline(ReadOnlyInline):
    """Append-only (lims.lib.append_only): shown, never changed."""

    model = CertificateEvent
    readonly_fields = fields = ("at", "action", "actor", "note")


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Certificates change only through their services (request, issue, revoke, amend)."""

    list_display = ["__str__", "sample", "status", "issued_at", "requested_by"]
    list_select_related = ["sample", "requested_by"]
    # Tens of thousands of rows: no second count of the whole table under a search or filter.
    show_full_result_count = False
    list_filter = ["status"]
    search_fields = ["number", "sample__code", "sample__lot__lot_number", "pdf_sha256"]
    exclude = ["qr_token"]
    inlines = [CertificateEventInline]

    def get_queryset(self, request):
        # The snapshot is most of a row and the changelist shows none of it; the change page loads it
        # when it shows it (one query).
        return super().get_queryset(request).defer("snapshot")


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    """Public halves only: private keys never reach the database."""

    list_display = ["kid", "kind", "subject", "first_used_at"]
    list_filter = ["kind"]


@admin.register(LogWitness)
class LogWitnessAdmin(AuditedAdmin):
    """The witnesses whose cosignatures the log collects (certificates.cosignatures): administrators
    add them (name and vkey as `witness.py vkey` prints them) and make them inactive, audited; others
    read. A witness that has cosigned cannot be deleted (its cosignatures protect it)."""

    audit_permission = "log_witness.change"
    list_display = ["name", "active", "added_at"]
    list_filter = ["active"]
    search_fields = ["name", "vkey"]
    readonly_fields = ["added_at"]


@admin.register(LogCosignature)
class LogCosignatureAdmin(ReadOnlyAdmin):
    """Append-only (lims.lib.append_only and a PostgreSQL trigger): collected, never changed."""

    list_display = ["checkpoint", "witness", "timestamp", "received_at"]
    list_select_related = ["checkpoint", "witness"]
    list_filter = ["witness"]
