"""Result events and certificate events are append-only, as custody events are
(tests/samples/test_custody_chain.py): the ORM refuses to change or delete them, the admin shows
them read-only, and on PostgreSQL the database itself refuses UPDATE and DELETE."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from certificates import services as certificate_services
from tests.assays.conftest import manual, report
from tests.conftest import received

# The events come from fixtures named in the parameters; the mark tells pytest-django up front that
# these tests use the database (and so run before the transactional tests that flush it).
pytestmark = pytest.mark.django_db


@pytest.fixture
def result_event(lot, sampler, technician):
    [result] = manual(technician, "moisture", received(lot, sampler, technician), H2O="8.0")
    return result.events.get()


@pytest.fixture
def certificate_event(lot, sampler, technician, reviewer, instrument, manager, dispatched):
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
    return certificate_services.certificate_request(actor=manager, sample=sample).events.get()


EVENTS = [
    pytest.param("result_event", "reason", "admin:assays_result_change", "result_id", id="result"),
    pytest.param(
        "certificate_event", "note", "admin:certificates_certificate_change", "certificate_id", id="certificate"
    ),
]


@pytest.mark.parametrize(("fixture", "text_field", "parent_admin", "parent_id"), EVENTS)
def test_the_orm_refuses_to_change_or_delete_an_event(request, fixture, text_field, parent_admin, parent_id):
    event = request.getfixturevalue(fixture)
    model = type(event)
    setattr(event, text_field, "rewritten")

    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        model.objects.filter(pk=event.pk).update(**{text_field: "rewritten"})
    with pytest.raises(PermissionError):
        model.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        model.objects.bulk_update([event], [text_field])
    with pytest.raises(PermissionError):
        getattr(event, parent_id.removesuffix("_id")).events.all().delete()  # through the parent
    # The stored event is as it was.
    assert getattr(model.objects.get(pk=event.pk), text_field) != "rewritten"


@pytest.mark.parametrize(("fixture", "text_field", "parent_admin", "parent_id"), EVENTS)
def test_the_admin_shows_events_read_only(request, client, superuser, fixture, text_field, parent_admin, parent_id):
    event = request.getfixturevalue(fixture)
    client.force_login(superuser)
    url = reverse(parent_admin, args=[getattr(event, parent_id)])

    page = client.get(url)

    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    assert inline.formset.model is type(event)
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)
    assert client.post(url, {}).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only triggers exist on PostgreSQL only")
@pytest.mark.parametrize("fixture", ["result_event", "certificate_event"])
@pytest.mark.parametrize(
    "sql", ["UPDATE {table} SET action = 'forged' WHERE id = %s", "DELETE FROM {table} WHERE id = %s"]
)
def test_postgresql_refuses_updates_and_deletes(request, fixture, sql):
    event = request.getfixturevalue(fixture)
    table = type(event)._meta.db_table

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), [event.pk])

    assert type(event).objects.get(pk=event.pk).action == event.action
