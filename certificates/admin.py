from django.contrib import admin

from certificates.models import Certificate, CertificateEvent, SigningKey
from lims.admin import ReadOnlyAdmin, ReadOnlyInline


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
