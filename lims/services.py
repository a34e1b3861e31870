"""Writes shared by every app: model validation worded for the user, and reference data (kept by
managers or inspectors in the admin and the API) saved with an audit record."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from lims import permissions
from lims.audit import audit_record
from lims.exceptions import ApplicationError
from lims.models import User


def validate(instance: Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's full_clean() and raise its first complaint as an ApplicationError naming the
    field, as the forms and the API show it."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(messages[0], field=None if field == "__all__" else field) from exc


@transaction.atomic
def reference_save(*, actor: User, permission: str, instance: Model, fields: dict) -> Model:
    """Create or change a row of reference data, validated as the admin would, and audited as
    `<permission's subject>.create` or `.change`. No deletion: results, certificates and
    declarations cite reference rows; retire them instead."""
    permissions.require(actor, permission)
    creating = instance.pk is None
    for name, value in fields.items():
        setattr(instance, name, value)
    validate(instance)
    instance.save()
    subject = permission.removesuffix(".change")
    audit_record(
        actor=actor,
        action=f"{subject}.{'create' if creating else 'change'}",
        obj=instance,
        data={name: str(value) for name, value in fields.items()},
    )
    return instance
