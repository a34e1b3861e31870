from django.db import models

from lims.models import AuditAction, AuditEvent, User

__all__ = ["AuditAction", "audit_record"]


def audit_record(
    *, actor: User | None, action: AuditAction, obj: models.Model | None = None, data: dict | None = None
) -> AuditEvent:
    """Record a write. `obj` is None for actions on no single object (a nightly check, say).
    `action` is a member of AuditAction, never a string: the enum is the whole vocabulary."""
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit_record takes an AuditAction, not {action!r}")
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )
