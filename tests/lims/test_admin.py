"""The admin is scoped like every other view, and custody records are read-only there."""

import pytest
from django.urls import reverse

from lims.roles import Role
from samples.models import CustodyEvent, Lot, Sample
from tests.conftest import make_user, received


@pytest.fixture
def sample(lot, sampler, technician):
    return received(lot, sampler, technician)


def test_custody_events_are_read_only_in_the_admin(client, superuser, sample):
    client.force_login(superuser)
    event = sample.events.first()
    url = reverse("admin:samples_custodyevent_change", args=[event.pk])

    assert client.get(reverse("admin:samples_custodyevent_changelist")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200 and b'name="note"' not in page.content  # shown, not editable
    assert client.post(url, {"note": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:samples_custodyevent_add")).status_code == 403
    assert (
        client.post(reverse("admin:samples_custodyevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    event.refresh_from_db()
    assert event.note == ""
    assert CustodyEvent.objects.filter(sample=sample).count() == 4


def test_samples_cannot_be_changed_or_deleted_in_the_admin(client, superuser, sample):
    client.force_login(superuser)
    url = reverse("admin:samples_sample_change", args=[sample.pk])
    assert client.post(url, {"status": "disposed"}).status_code == 403
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED


def test_admin_lists_are_scoped_to_the_users_organisation(client, lot, lot2, exporter_org):
    # An exporter who was (wrongly) made staff with view rights still sees only its own lots.
    from django.contrib.auth.models import Permission

    staff_exporter = make_user("eve", Role.EXPORTER, exporter_org, is_staff=True)
    staff_exporter.user_permissions.add(Permission.objects.get(codename="view_lot"))
    client.force_login(staff_exporter)

    page = client.get(reverse("admin:samples_lot_changelist"))

    assert page.status_code == 200
    assert lot.lot_number.encode() in page.content
    assert lot2.lot_number.encode() not in page.content
    assert client.get(reverse("admin:samples_lot_change", args=[lot2.pk])).status_code in (302, 404)
    assert Lot.objects.count() == 2
