import pytest

from lims import permissions
from lims.roles import Role
from samples.models import CustodyEvent, Lot, Sample
from tests.conftest import make_user, received


@pytest.fixture
def world(lot, lot2, sampler, technician):
    """Samples of both exporters."""
    return received(lot, sampler, technician), received(lot2, sampler, technician)


def visible_lots(user):
    return set(permissions.visible(user, Lot.objects.all()))


def test_exporters_see_only_their_own_organisation(world, lot, lot2, exporter, exporter2):
    assert visible_lots(exporter) == {lot}
    assert visible_lots(exporter2) == {lot2}
    assert set(permissions.visible(exporter, Sample.objects.all())) == set(Sample.objects.filter(lot=lot))
    assert set(permissions.visible(exporter2, CustodyEvent.objects.all())) == set(
        CustodyEvent.objects.filter(sample__lot=lot2)
    )


def test_lab_staff_inspectors_and_admins_see_everything(
    world, lot, lot2, sampler, technician, reviewer, manager, inspector, superuser
):
    for user in (sampler, technician, reviewer, manager, inspector, superuser):
        assert visible_lots(user) == {lot, lot2}, user


def test_a_role_counts_only_in_an_organisation_of_its_kind(world, exporter_org, lab):
    # A "technician" of an exporter is no technician, and a lab member with the exporter role is no exporter.
    fake_technician = make_user("mallory", Role.TECHNICIAN, exporter_org)
    assert visible_lots(fake_technician) == set()
    assert not permissions.can(fake_technician, "sample.receive")
    fake_exporter = make_user("trent", Role.EXPORTER, lab)
    assert visible_lots(fake_exporter) == set()


def test_users_without_organisation_role_or_activity_see_nothing(world, lab, sampler):
    assert visible_lots(make_user("nobody", None, lab)) == set()
    assert visible_lots(make_user("loner", Role.SAMPLER, None)) == set()
    sampler.is_active = False
    sampler.save()
    assert visible_lots(sampler) == set()


def test_a_model_without_exporter_path_shows_exporters_nothing(world, exporter):
    from lims.models import AuditEvent

    assert AuditEvent.objects.exists()
    assert not permissions.visible(exporter, AuditEvent.objects.all()).exists()


def test_unknown_actions_are_refused_for_everybody(superuser, manager):
    assert not permissions.can(superuser, "sample.teleport")
    assert not permissions.can(manager, "sample.teleport")


def test_action_table(sampler, technician, reviewer, manager, exporter, inspector):
    assert permissions.can(sampler, "sample.collect") and not permissions.can(technician, "sample.collect")
    assert permissions.can(technician, "sample.receive") and not permissions.can(sampler, "sample.receive")
    assert permissions.can(manager, "nonconformance.resolve")
    assert not any(permissions.can(u, "nonconformance.resolve") for u in (technician, reviewer, exporter, inspector))
    assert permissions.can(exporter, "lot.register") and not permissions.can(inspector, "lot.register")
    assert not any(permissions.can(u, "sample.dispose") for u in (sampler, technician, reviewer))


def test_can_checks_the_object_is_visible(world, lot, lot2, exporter):
    assert permissions.can(exporter, "lot.register", lot)
    assert not permissions.can(exporter, "lot.register", lot2)
