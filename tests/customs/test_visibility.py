"""Who sees which declarations: exporters and their brokers their own organisation's, inspectors all,
laboratory staff none (the laboratory certifies without seeing what was declared), in every
channel that reads through lims.permissions, the admin included."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from customs.models import Declaration, DeclaredComponent, Finding
from lims import permissions
from lims.roles import Role
from samples.models import Lot
from tests.conftest import make_user, sealed_split
from tests.customs.conftest import file, make_certificate


@pytest.fixture
def both(declare, exporter2, lot2, customs_org, sampler, manager):
    """A declaration of alice's and one of bob's."""
    bobs_certificate = make_certificate(sealed_split(lot2, sampler), requested_by=manager)
    return declare(), file(exporter2, [bobs_certificate], lot=lot2, customs_office=customs_org)


def seen(user, model=Declaration):
    return set(permissions.visible(user, model.objects.all()))


def test_exporters_and_brokers_see_their_own_organisations(both, exporter, exporter2, broker):
    alices, bobs = both
    assert seen(exporter) == seen(broker) == {alices}
    assert seen(exporter2) == {bobs}
    assert seen(exporter2, Finding) == set(bobs.findings.all())
    assert seen(exporter2, DeclaredComponent) == set(bobs.components.all())


def test_inspectors_and_administrators_see_all(both, inspector, superuser):
    assert seen(inspector) == seen(superuser) == set(both)


@pytest.mark.parametrize("who", ["sampler", "technician", "reviewer", "manager"])
def test_the_laboratory_sees_no_declaration(request, both, who):
    user = request.getfixturevalue(who)
    assert seen(user) == set()
    assert seen(user, Finding) == set()
    # ...while it still sees the lots, as before.
    assert permissions.visible(user, Lot.objects.all()).count() == 2


def test_a_broker_role_counts_only_in_an_exporter_organisation(both, lab):
    fake = make_user("mallory", Role.BROKER, lab)
    assert seen(fake) == set()
    assert not permissions.can(fake, "declaration.file")


def test_the_admin_is_scoped_and_read_only(client, both, manager, exporter_org):
    alices, bobs = both
    staff_exporter = make_user("eve", Role.EXPORTER, exporter_org, is_staff=True)
    for user in (staff_exporter, manager):
        user.user_permissions.add(*Permission.objects.filter(codename__in=["view_declaration", "change_declaration"]))

    client.force_login(staff_exporter)
    page = client.get(reverse("admin:customs_declaration_changelist"))
    assert page.status_code == 200
    assert alices.number.encode() in page.content and bobs.number.encode() not in page.content
    assert client.post(reverse("admin:customs_declaration_change", args=[alices.pk]), {"value": "1"}).status_code == 403

    client.force_login(manager)  # the lab manager is staff: still sees none
    page = client.get(reverse("admin:customs_declaration_changelist"))
    assert alices.number.encode() not in page.content and bobs.number.encode() not in page.content
