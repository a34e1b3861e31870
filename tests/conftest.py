"""Shared cast and builders.

The cast, as in every test: the laboratory's sampler `sam`, technician `tess`, reviewer `rita`
and manager `max`; `alice` of the exporter Altyn Copper owns the lots; `bob` of the exporter
Steppe Metals must see none of them; `ivan` inspects for customs.
"""

import itertools
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from lims.models import Organisation, User
from lims.roles import Role
from samples import services
from samples.models import Lot, Material, Sample

PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    from django.conf import settings

    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production serves collected, hashed static files; tests do not run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def require_or_skip(condition: bool, reason: str) -> None:
    """Tests that need an outside service or tool skip with a reason on a developer's machine and
    fail under CI=true, where the service must be there."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def make_user(username: str, role: Role | None, organisation: Organisation | None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, organisation=organisation, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _operators_language_unset(monkeypatch):
    """Commands and the offline kit answer in the operator's language (lims.lib.commands: LIMS_LANGUAGE,
    LC_ALL, LC_MESSAGES, LANG); the tests expect the default unless they set one, whatever the shell's."""
    for name in ("LIMS_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A request leaves its language active in the thread
    (LocaleMiddleware and lims.languages activate, nothing deactivates: the next request activates its
    own), so after a page read in Russian a service called directly would answer in Russian."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def lab(db):
    return Organisation.objects.create(name="Kazakh Independent Laboratory", kind=Organisation.Kind.LABORATORY)


@pytest.fixture
def exporter_org(db):
    return Organisation.objects.create(name="Altyn Copper LLP", kind=Organisation.Kind.EXPORTER)


@pytest.fixture
def exporter2_org(db):
    return Organisation.objects.create(name="Steppe Metals JSC", kind=Organisation.Kind.EXPORTER)


@pytest.fixture
def customs_org(db):
    return Organisation.objects.create(name="Khorgos Customs Post", kind=Organisation.Kind.CUSTOMS)


@pytest.fixture
def sampler(lab):
    return make_user("sam", Role.SAMPLER, lab, first_name="Sam", last_name="Sampler")


@pytest.fixture
def sampler2(lab):
    return make_user("sid", Role.SAMPLER, lab, first_name="Sid", last_name="Second")


@pytest.fixture
def technician(lab):
    return make_user("tess", Role.TECHNICIAN, lab, first_name="Tess", last_name="Tech")


@pytest.fixture
def reviewer(lab):
    return make_user("rita", Role.REVIEWER, lab, first_name="Rita", last_name="Reviewer")


@pytest.fixture
def manager(lab):
    return make_user("max", Role.MANAGER, lab, first_name="Max", last_name="Manager", is_staff=True)


@pytest.fixture
def exporter(exporter_org):
    return make_user("alice", Role.EXPORTER, exporter_org, first_name="Alice", last_name="Exporter")


@pytest.fixture
def exporter2(exporter2_org):
    return make_user("bob", Role.EXPORTER, exporter2_org, first_name="Bob", last_name="Other")


@pytest.fixture
def inspector(customs_org):
    return make_user("ivan", Role.INSPECTOR, customs_org, first_name="Ivan", last_name="Inspector")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password=PASSWORD, email="root@example.org")


@pytest.fixture
def instrument(db):
    from assays.models import Instrument

    return Instrument.objects.create(
        name="ICP-MS 1", model="Agilent 7900", serial="SG-1", calibration_due=date.today() + timedelta(days=90)
    )


@pytest.fixture(scope="session")
def lab_keys_dir(tmp_path_factory):
    """The laboratory's development keys, made once per test session (RSA-3072 takes a while)."""
    return tmp_path_factory.mktemp("lab-var")


@pytest.fixture(scope="session")
def local_tsa(lab_keys_dir):
    """The development RFC 3161 timestamp authority (certificates.tsa) over HTTP on a free port, for
    the whole session, with the session's development keys."""
    from django.test import override_settings

    from certificates import tsa

    with override_settings(VAR_DIR=lab_keys_dir, LIMS_GENERATE_DEV_KEYS=True):
        server = tsa.serve_in_thread(tsa.dev_authority())
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def keys_dir(settings, lab_keys_dir, local_tsa, tmp_path):
    """Signing with the session's development keys and timestamp authority (over HTTP, so every
    certificate issued here is PAdES B-LTA through pyHanko's HTTP client); files (PDFs, runs) under
    this test's tmp_path."""
    from certificates import keys

    settings.VAR_DIR = lab_keys_dir
    settings.LIMS_GENERATE_DEV_KEYS = True
    settings.LIMS_TSA_URL = local_tsa.url
    settings.MEDIA_ROOT = tmp_path / "media"
    keys.load_signing_material()
    return lab_keys_dir / "keys"


@pytest.fixture
def dispatched(monkeypatch):
    """The ids of certificates whose issue task was sent, instead of sending it. On-commit
    callbacks run only inside django_capture_on_commit_callbacks: the test's transaction never
    commits."""
    from certificates import services

    sent: list[int] = []
    monkeypatch.setattr(services, "dispatch", sent.append)
    return sent


@pytest.fixture
def copper(db):
    return Material.objects.get(code="copper-concentrate")


_lot_numbers = itertools.count(1)
_seal_numbers = itertools.count(1)


def next_seal() -> str:
    return f"KZS-{next(_seal_numbers):08d}"


def make_lot(*, exporter: User | None = None, actor: User, exporter_org: Organisation, **fields) -> Lot:
    material = fields.pop("material", None) or Material.objects.get(code="copper-concentrate")
    values = {
        "lot_number": f"LOT-{next(_lot_numbers):05d}",
        "hs_code": "2603.00",
        "origin": "Aktogay concentrator",
        "wet_mass_t": Decimal("5000.000"),
        "destination_country": "CN",
        "contract_reference": "C-2026-17",
        "export_licence_number": "EL-0042",
    }
    values.update(fields)
    return services.lot_register(actor=actor, exporter=exporter_org, material=material, **values)


@pytest.fixture
def lot(exporter, exporter_org):
    return make_lot(actor=exporter, exporter_org=exporter_org)


@pytest.fixture
def lot2(exporter2, exporter2_org):
    return make_lot(actor=exporter2, exporter_org=exporter2_org)


def register_splits(lot: Lot, sampler: User, purposes=("laboratory", "exporter", "archive")) -> tuple[Sample, list]:
    """A composite collected by `sampler` and split, each split sealed."""
    specs = [services.SplitSpec(purpose=p, mass_g=Decimal("250.0"), seal_number=next_seal()) for p in purposes]
    return services.sample_register(
        actor=sampler, lot=lot, mass_g=Decimal("2000.0"), location="Loading bay 3", splits=specs
    )


def sealed_split(lot: Lot, sampler: User, purpose: str = "laboratory") -> Sample:
    _, splits = register_splits(lot, sampler, purposes=(purpose,))
    return splits[0]


def in_transit_to(lot: Lot, sampler: User, receiver: User, purpose: str = "laboratory") -> Sample:
    """A split of `purpose` handed to `receiver`, who must be someone that split may go to (the
    exporter takes only the exporter split: samples.selectors.hand_over_recipients)."""
    sample = sealed_split(lot, sampler, purpose)
    return services.sample_hand_over(
        actor=sampler, sample=sample, to_user=receiver, seal_number_seen=sample.seal_number
    )


def received(lot: Lot, sampler: User, technician: User) -> Sample:
    sample = in_transit_to(lot, sampler, technician)
    return services.sample_receive(
        actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True, location="Lab reception"
    )
