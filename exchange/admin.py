"""The exchange in the admin, for lab managers and administrators (lims.permissions "exchange.manage"):

- clients: made here (the secret is shown once, on the page after saving, and never again; the
  action "Replace the secret" makes a new one, shown the same way);
- subscriptions (webhooks) of each client;
- the requests customs systems made (read-only, never deleted: append-only);
- pushed messages with every attempt; the filter "Acknowledgement: not acknowledged" lists what a
  receiver has not confirmed (pending, delivered without acknowledgement, failed), and the action
  "Send again" sends the chosen ones again;
- the signed records (read-only).
"""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange import services
from exchange.models import (
    Client,
    DeliveryAttempt,
    OutboxMessage,
    RequestLog,
    SignedRecord,
    Subscription,
)
from lims.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline
from lims.exceptions import ApplicationError


def _secret_page(request, client: Client, secret: str) -> TemplateResponse:
    """The one page that shows a client's secret; it is not stored, so it is not shown again."""
    return TemplateResponse(
        request,
        "exchange/client_secret.html",
        {
            **admin.site.each_context(request),
            "title": _("Secret of %(client)s") % {"client": client.name},
            "client": client,
            "secret": secret,
        },
    )


# Webhook addresses typed without a scheme are read as https.
_URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    formfield_overrides = _URL_FIELDS
    extra = 0
    fields = ("url", "active", "created_at")
    readonly_fields = ("created_at",)
    can_delete = False


@admin.register(Client)
class ClientAdmin(AuditedAdmin):
    audit_permission = "exchange.manage"
    list_display = ["name", "client_id", "organisation", "scopes", "rate", "active", "created_at"]
    list_select_related = ["organisation"]
    list_filter = ["active"]
    search_fields = ["name", "client_id"]
    fields = ["name", "organisation", "scopes", "rate", "active", "client_id", "secret_set_at", "created_at"]
    readonly_fields = ["client_id", "secret_set_at", "created_at"]
    inlines = [SubscriptionInline]
    actions = ["replace_secret"]

    def has_delete_permission(self, request, obj=None):
        # Its requests and messages name it for good: deactivate it instead.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, secret = services.client_create(
            actor=request.user,
            name=obj.name,
            scopes=obj.scopes,
            organisation=obj.organisation,
            rate=obj.rate,
        )
        obj.pk, obj.client_id = client.pk, client.client_id
        obj._state.adding = False
        request._exchange_secret = (client, secret)

    def response_add(self, request, obj, post_url_continue=None):
        made = getattr(request, "_exchange_secret", None)
        if made is not None:
            return _secret_page(request, *made)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=gettext_lazy("Replace the secret (shown once)"))
    def replace_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one client."), messages.ERROR)
            return None
        client = queryset.get()
        try:
            secret = services.client_new_secret(actor=request.user, client=client)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        return _secret_page(request, client, secret)


@admin.register(Subscription)
class SubscriptionAdmin(AuditedAdmin):
    audit_permission = "exchange.manage"
    formfield_overrides = _URL_FIELDS
    list_display = ["client", "url", "active", "created_at"]
    list_select_related = ["client"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    """Every request to the certificate endpoint; append-only, never deleted."""

    list_display = ["at", "client", "number", "bin", "outcome", "status_code", "remote_addr"]
    list_select_related = ["client"]
    list_filter = ["outcome", "client"]
    search_fields = ["number", "bin", "remote_addr"]
    show_full_result_count = False


class AcknowledgementFilter(admin.SimpleListFilter):
    title = gettext_lazy("acknowledgement")
    parameter_name = "acknowledgement"

    def lookups(self, request, model_admin):
        return [("awaiting", _("Not acknowledged")), ("acknowledged", _("Acknowledged"))]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(status__in=OutboxMessage.UNACKNOWLEDGED)
        if self.value() == "acknowledged":
            return queryset.filter(status=OutboxMessage.Status.ACKNOWLEDGED)
        return queryset


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = readonly_fields = ("number", "at", "status_code", "acknowledged", "duration_ms", "error")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "number", "subscription", "status", "attempts", "next_attempt_at", "tried"]
    list_select_related = ["subscription__client"]
    list_filter = [AcknowledgementFilter, "status", "kind"]
    search_fields = ["number", "message_id"]
    readonly_fields = [
        "message_id", "subscription", "number", "kind", "status", "created_at", "attempts", "next_attempt_at",
        "delivered_at", "acknowledged_at", "acknowledged_via", "last_error", "body", "signature",
    ]  # fmt: skip
    exclude = ["event"]
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tried=Count("deliveries"))

    @admin.display(description=gettext_lazy("attempts in all"), ordering="tried")
    def tried(self, obj) -> int:
        return obj.tried

    @admin.action(description=gettext_lazy("Send again"))
    def resend(self, request, queryset):
        sent, refused = 0, []
        for message in queryset:
            try:
                services.message_resend(actor=request.user, message=message)
                sent += 1
            except ApplicationError as exc:
                refused.append(f"{message.number}: {exc.message}")
        if sent:
            self.message_user(request, _("%(count)s messages will be sent again.") % {"count": sent})
        for text in refused:
            self.message_user(request, text, messages.WARNING)


@admin.register(SignedRecord)
class SignedRecordAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "certificate", "status", "kid"]
    list_select_related = ["certificate"]
    list_filter = ["status"]
    search_fields = ["certificate__number"]
