"""People around a sample's custody beyond the shared cast: an umpire laboratory's technician `uma`,
alice's customs broker `bea` and alice's colleague `carl`, who has left (inactive)."""

import pytest

from lims.models import Organisation
from lims.roles import Role
from tests.conftest import make_user


@pytest.fixture
def umpire_lab(db):
    return Organisation.objects.create(name="Almaty Umpire Laboratory", kind=Organisation.Kind.LABORATORY)


@pytest.fixture
def umpire_technician(umpire_lab):
    return make_user("uma", Role.TECHNICIAN, umpire_lab, first_name="Uma", last_name="Umpire")


@pytest.fixture
def broker(exporter_org):
    return make_user("bea", Role.BROKER, exporter_org, first_name="Bea", last_name="Broker")


@pytest.fixture
def former_exporter(exporter_org):
    return make_user("carl", Role.EXPORTER, exporter_org, first_name="Carl", last_name="Gone", is_active=False)
