from django.db import models

from lims.models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, obj: models.Model | None = None, data: dict | None = None
) -> AuditEvent:
    """Record a write. `obj` is None for actions on no single object (a nightly check, say)."""
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )
