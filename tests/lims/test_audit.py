"""Audit actions are one vocabulary, lims.models.AuditAction: a record names a member of it, never
a string made up at the call site."""

import pytest

from lims.audit import AuditAction, audit_record
from lims.models import AuditEvent


def test_an_action_is_recorded_by_its_value(db, superuser):
    event = audit_record(actor=superuser, action=AuditAction.RUN_IMPORT, obj=superuser, data={"rows": 3})

    event.refresh_from_db()
    assert (event.action, event.get_action_display()) == ("run.import", "Run imported")
    assert (event.object_type, event.object_id) == ("lims.user", str(superuser.pk))


def test_a_plain_string_is_refused(db, superuser):
    # Even one that spells a member: a typo would look the same.
    with pytest.raises(TypeError):
        audit_record(actor=superuser, action="run.import")
    assert not AuditEvent.objects.exists()
