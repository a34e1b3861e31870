from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from lims import permissions, services
from lims.models import AuditEvent, Organisation, User


class EstimatedCountPaginator(Paginator):
    """Pages of a table too large to count on every view (a million readings): unfiltered, on
    PostgreSQL, its size is the planner's estimate (pg_class.reltuples, kept by autovacuum), so the last
    page number is approximate; filtered or searched, or under ESTIMATE_FROM rows, the exact count."""

    ESTIMATE_FROM = 100_000

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        if connection.vendor == "postgresql" and not rows.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [rows.model._meta.db_table]
                )
                estimate = cursor.fetchone()
            if estimate and estimate[0] >= self.ESTIMATE_FROM:
                return estimate[0]
        return super().count


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


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, never added, changed or deleted there (events, findings)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Admin of rows kept by hand (reference data, lots, accounts). Those lims.permissions allows
    `audit_permission` (on top of Django's model rights) add, change and delete them, and every
    write goes through lims.services with an audit record of the fields before and after: the form's
    save, the rows of its inlines, the delete page and the bulk delete action."""

    audit_permission = ""  # an action of lims.permissions.ACTIONS

    def has_add_permission(self, request):
        return permissions.can(request.user, self.audit_permission) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return permissions.can(request.user, self.audit_permission, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.can(request.user, self.audit_permission, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # The form has set the row's fields; many-to-many values (groups) are set once it is saved.
        m2m = {
            field.name: form.cleaned_data[field.name]
            for field in obj._meta.many_to_many
            if field.name in form.cleaned_data
        }
        services.reference_save(actor=request.user, permission=self.audit_permission, instance=obj, m2m=m2m)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        # Deleted rows first: a row may be deleted and added again in one submission.
        services.reference_delete(
            actor=request.user, permission=self.audit_permission, instances=formset.deleted_objects
        )
        for obj in [*(obj for obj, _fields in formset.changed_objects), *formset.new_objects]:
            services.reference_save(actor=request.user, permission=self.audit_permission, instance=obj)
        formset.save_m2m()

    def delete_model(self, request, obj):
        services.reference_delete(actor=request.user, permission=self.audit_permission, instances=[obj])

    def delete_queryset(self, request, queryset):
        services.reference_delete(actor=request.user, permission=self.audit_permission, instances=queryset)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    audit_permission = "account.change"
    list_display = ["name", "kind", "registration_number", "country"]
    list_filter = ["kind"]
    search_fields = ["name", "registration_number"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    """Roles are groups: a change of a user's groups or organisation is recorded like any other field.
    A password set on the separate password page is Django's own form and is not recorded here."""

    audit_permission = "account.change"
    list_display = ["username", "first_name", "last_name", "organisation", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    list_filter = ["organisation__kind", "groups", "is_active", "is_staff"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Organisation"), {"fields": ["organisation", "language"]}))
    add_fieldsets = (*(BaseUserAdmin.add_fieldsets or ()), (_("Organisation"), {"fields": ["organisation"]}))


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    """Groups are the roles of lims.roles; what a role may do is decided in lims.permissions, the
    Django permissions of a group open admin pages."""

    audit_permission = "account.change"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_select_related = ["actor"]
    show_full_result_count = False
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username"]
