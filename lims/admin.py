from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from lims import permissions
from lims.models import AuditEvent, Organisation, User


class ScopedAdmin(admin.ModelAdmin):
    """Admin whose rows are those lims.permissions lets the user see, as in every other view."""

    def get_queryset(self, request):
        return permissions.visible(request.user, super().get_queryset(request))


class ReadOnlyAdmin(ScopedAdmin):
    """For records that are written only by services (append-only logs, states with a history)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "registration_number", "country"]
    list_filter = ["kind"]
    search_fields = ["name", "registration_number"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "is_active", "is_staff"]
    list_filter = ["organisation__kind", "groups", "is_active", "is_staff"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Organisation"), {"fields": ["organisation"]}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Organisation"), {"fields": ["organisation"]}))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username"]
