"""Writes shared by every app: model validation worded for the user, and the rows kept by hand in
the admin and the API (the laboratory's reference data: methods and their QC limits, instruments,
panels, reference materials and certified values, analytes, materials; the reference data of
customs valuation; the descriptive fields of lots; organisations and accounts), created, changed
and deleted with an audit record of what each field held before and after.

Every admin save and delete of such rows (inline rows and the bulk delete action included) comes
here through lims.admin.AuditedAdmin, every API write through lims.api_views.reference_views.

Why not django-simple-history: it would keep a full copy of every row on every save, in a history
table per model, and it learns who acted from the request through a middleware. Here that buys
little and costs much:
- it writes from post_save signals, so it also fires for rows that services already record in their
  own append-only logs (custody, result and certificate events) and cannot tell a service's write
  from a forgery through the ORM; this project keeps every write and its record in one service call
  (STYLE.md), with the acting user passed in, also from Celery tasks and commands, where there is
  no request;
- an assessor's question ("who changed this blank limit, from what to what, when?") would be
  answered from a dozen history tables, one per model, when every other write of the system
  (runs, results, certificates, declarations) is answered from the one AuditEvent table;
- queryset update() and bulk writes bypass it silently, as they bypass this; the difference is that
  here the only writers are the services, which do not use them on these rows.
What it offers that this lacks (the whole row at any past moment) is not asked for: a change record
holds the fields that changed, a creation or deletion every field, so the row's history can be
replayed from the AuditEvent rows of its object.
"""

from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import Field, Model
from django.db.models.deletion import Collector

from lims import permissions
from lims.audit import audit_record
from lims.exceptions import ApplicationError
from lims.models import AuditAction, User

# Recorded as changed, never with their value: a password hash, an API token (deleted with its account).
SECRET_FIELDS = frozenset({"password", "key"})
HIDDEN = "(hidden)"


def validate(instance: Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's full_clean() and raise its first complaint as an ApplicationError naming the
    field, as the forms and the API show it."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(messages[0], field=None if field == "__all__" else field) from exc


def _snapshot(row: Model) -> dict[str, tuple[object, object]]:
    """What `row` holds now, field by field: a value to compare (a related row's key, the set of
    related rows of a many-to-many field such as an account's groups) and the same as JSON-safe
    text (related rows as the admin names them, times in ISO 8601, secrets hidden)."""
    fields = [field for field in row._meta.concrete_fields if not field.primary_key]
    snapshot: dict[str, tuple[object, object]] = {
        field.name: (field.value_from_object(row), _text(row, field)) for field in fields
    }
    for field in row._meta.many_to_many:
        related = frozenset(field.value_from_object(row))
        snapshot[field.name] = (related, sorted(str(item) for item in related))
    return snapshot


def _text(row: Model, field: Field) -> str | None:
    value = field.value_from_object(row)
    if field.name in SECRET_FIELDS:
        return HIDDEN
    if value is None:
        return None
    if field.is_relation:
        return str(getattr(row, field.name))
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


def _difference(before: dict, after: dict) -> dict[str, dict]:
    """{"before": {...}, "after": {...}} of the fields that differ between two snapshots: every field
    of a created row (before is empty) or of a deleted one (after is empty)."""
    names = [
        name
        for name in (after or before)
        if name not in before or name not in after or before[name][0] != after[name][0]
    ]
    return {
        "before": {name: before[name][1] for name in names if name in before},
        "after": {name: after[name][1] for name in names if name in after},
    }


def _action(permission: str, verb: str) -> AuditAction:
    """`reference.change` guards reference.create, .change and .delete; an action that is not an
    AuditAction (customs_reference.delete: valuation data is never deleted) raises ValueError."""
    return AuditAction(f"{permission.removesuffix('.change')}.{verb}")


def _stored(instance: Model) -> Model:
    return type(instance)._base_manager.select_for_update().get(pk=instance.pk)


@transaction.atomic
def reference_save(
    *, actor: User, permission: str, instance: Model, fields: dict | None = None, m2m: dict | None = None
) -> Model:
    """Create or change a row kept by hand, validated as the admin would, and audited as
    `<permission's subject>.create` or `.change` with the fields it changed, before and after.
    `fields` are set on `instance` first (the admin's form has set them already); `m2m` are the
    many-to-many values to set once the row is saved (an account's groups)."""
    creating = instance._state.adding
    permissions.require(actor, permission, None if creating else instance)
    before = {} if creating else _snapshot(_stored(instance))
    for name, value in (fields or {}).items():
        setattr(instance, name, value)
    validate(instance)
    instance.save()
    for name, related in (m2m or {}).items():
        getattr(instance, name).set(related)
    difference = _difference(before, _snapshot(_stored(instance)))
    if difference["after"]:
        audit_record(
            actor=actor, action=_action(permission, "create" if creating else "change"), obj=instance, data=difference
        )
    return instance


@transaction.atomic
def reference_delete(*, actor: User, permission: str, instances: Iterable[Model]) -> None:
    """Delete rows kept by hand (all of one model) and the rows that go with them (a method's QC
    limits, a reference material's certified values), each audited as `<subject>.delete` with every
    field it held. Results, certificates and declarations protect the rows they cite: the deletion
    raises ProtectedError and nothing is deleted; retire such rows instead."""
    instances = list(instances)
    if not instances:
        return
    for instance in instances:
        permissions.require(actor, permission, instance)
    collector = Collector(using=router.db_for_write(type(instances[0])))
    collector.collect(instances)
    doomed = [row for rows in collector.data.values() for row in rows]
    doomed += [row for queryset in collector.fast_deletes for row in queryset]
    action = _action(permission, "delete")
    for row in doomed:
        if not row._meta.auto_created:  # a many-to-many link is recorded with its row
            audit_record(actor=actor, action=action, obj=row, data=_difference(_snapshot(row), {}))
    collector.delete()
