import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lims import permissions
from lims.models import Organisation, User
from samples.models import CustodyEvent, Lot, Nonconformance, Sample

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Organisation, User, Lot, Sample, CustodyEvent, Nonconformance)]


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_it_creates_the_demo_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first

    # One user per role plus exporter2, all with the password "demo".
    roles = ["sampler", "technician", "reviewer", "manager", "exporter", "exporter2", "inspector", "admin"]
    for username in roles:
        assert User.objects.get(username=username).check_password("demo")
    assert {o.kind for o in Organisation.objects.all()} == {"laboratory", "exporter", "customs"}
    assert Organisation.objects.filter(kind="exporter").count() == 2
    # Several custody states, and one sample on hold for a broken seal.
    assert {"sealed", "in_transit", "received", "on_hold", "in_preparation", "reported", "archived"} <= set(
        Sample.objects.values_list("status", flat=True)
    )
    held = Sample.objects.get(status="on_hold")
    assert held.nonconformances.get().kind == "seal_broken"
    # exporter2 sees only its own lot.
    exporter2 = User.objects.get(username="exporter2")
    assert list(permissions.visible(exporter2, Lot.objects.all()).values_list("lot_number", flat=True)) == [
        "SM-2026-0007"
    ]
