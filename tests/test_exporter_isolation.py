"""bob (exporter2) must get nothing of alice's organisation from any page or API endpoint.

The test walks every URL pattern of the project, so an endpoint added later is covered without
anyone remembering to add it here. A pattern with a keyword this table does not know fails the
test: teach the table how to fill it.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from assays.models import Analyte, Instrument, Method, ReferenceMaterial
from assays.services.batches import batch_create
from certificates.models import Certificate
from customs.services import ComponentSpec, declaration_file
from lims.models import Notification
from samples import services
from samples.portions import portion_retain
from tests.assays.conftest import csv_file, manual, sample_rows
from tests.assays.conftest import import_run as run_import
from tests.conftest import in_transit_to, received

SKIP_PREFIXES = ("admin/",)
# Rows of reference data belong to no organisation: readable by everyone, never writable by an exporter.
SHARED_KEYWORD = "<int:ref_pk>"  # the admin is covered by tests/lims/test_admin.py (scoped querysets)
# The customs systems' interface knows clients by their bearer token, never a person's session: to a
# signed-in person it answers 401 (authenticate with a client token) before it looks anything up.
MACHINE_ONLY = "api/v1/exchange/"


def walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def project_routes():
    routes = []
    for route in walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        if route.startswith("^") or "(?P<" in route:
            raise AssertionError(f"regex URL pattern {route!r}: use path() so this test can fill it")
        routes.append(route)
    return routes


@pytest.fixture
def alices_world(lot, sampler, technician, exporter, customs_org, settings, tmp_path):
    """alice's lot with a received sample, one on hold with a nonconformance, and one handed to her;
    an instrument run and a result of the received sample; a customs declaration of the lot."""
    settings.MEDIA_ROOT = tmp_path
    ok = received(lot, sampler, technician)
    held = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=held, seal_number_seen="KZS-99999999", seal_intact=True)
    mine = in_transit_to(lot, sampler, exporter, purpose="exporter")
    instrument = Instrument.objects.create(name="ICP-MS", model="7900", serial="S-1", calibration_due=date(2099, 1, 1))
    run = run_import(
        technician, instrument, Method.objects.get(code="icpms-4acid"), csv_file(*sample_rows(ok.code, ["La"]))
    )
    (result,) = manual(technician, "fire-assay", ok, Au="5.25")
    crm = ReferenceMaterial.objects.get(name="CCU-1f")
    declaration = declaration_file(
        actor=exporter, number="55201000/151026/0000042", declarant="Altyn Copper LLP", lot=lot,
        customs_office=customs_org, hs_code="2603.00", declared_on=date(2026, 10, 15),
        dry_mass_t=Decimal("4000.000"), value=Decimal("9000000.00"), currency="USD",
        components=[ComponentSpec(Analyte.objects.get(symbol="Cu"), Decimal("22.5"), "%")],
        certificate_numbers=["KZL-2026-000042"],
    )  # fmt: skip
    # A batch planned with alice's sample, and a portion of it kept in store.
    batch = batch_create(
        actor=technician, method=Method.objects.get(code="icpms-4acid"), instrument=instrument, codes=[ok.code]
    )
    portion = portion_retain(
        actor=technician, sample=ok, kind="pulp", location="Store A, shelf 3", retain_until=date(2099, 1, 1)
    )
    # A certificate of alice's sample (as requested; its content does not matter here).
    certificate = Certificate.objects.create(
        sample=ok, snapshot={"lot": {"number": lot.lot_number}}, snapshot_sha256="0" * 64, requested_by=technician
    )
    return {
        "lot_pk": str(lot.pk),
        "code": ok.code,
        "nc_pk": str(held.nonconformances.get().pk),
        "cert_pk": str(certificate.pk),
        "run_pk": str(run.pk),
        "result_pk": str(result.pk),
        "crm_pk": str(crm.pk),
        "symbol": "Cu",
        "method": "icpms-4acid",
        "batch_pk": str(batch.pk),
        "vendor": "agilent",
        "portion_pk": str(portion.pk),
        "step": "drying",
        "declaration_pk": str(declaration.pk),
        # alice's own notification (the sample handed to her): bob can neither read it nor mark it read.
        "notification_pk": str(Notification.objects.filter(recipient=exporter).values_list("pk", flat=True)[0]),
        # The public verification portal answers anyone about any issued certificate by its number, on
        # purpose (DESIGN.md, Verification); alice's certificate is not issued, so the register does not
        # know this number. Key ids name the laboratory's published public keys, nobody's secret.
        "number": "KZL-2026-000042",
        "kid": "0123456789abcdef",
        # A pushed message's id (the customs systems' acknowledgement); no message exists, none may be made.
        "message_id": "0b6f2c7e-3f1a-4d0e-9c55-6a1f1b2c3d4e",
        # Reference data is shared by everyone; any row will do.
        "ref_pk": str(crm.pk),
        "samples": [ok, held, mine],
        "secrets": [lot.lot_number, ok.code, held.code, mine.code, ok.seal_number, run.sha256, declaration.number],
    }


def fill(route: str, values: dict) -> str:
    def replace(match):
        name = match.group(2)
        if name not in values:
            raise AssertionError(f"{route!r} has <{name}>: add how to fill it to tests/test_exporter_isolation.py")
        return values[name]

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def state_now(world):
    for s in world["samples"]:
        s.refresh_from_db()
    unread = Notification.objects.filter(read_at__isnull=True).count()
    return [(s.status, s.custody_length, s.current_custodian_id) for s in world["samples"]] + [unread]


def test_the_walk_finds_the_object_endpoints():
    routes = project_routes()
    # Guards the walk itself: if it found nothing, the tests below would pass vacuously.
    assert any("<int:lot_pk>" in r for r in routes)
    assert sum("<str:code>" in r for r in routes) >= 8
    assert any("<int:nc_pk>" in r for r in routes)


@pytest.mark.parametrize("route", [r for r in project_routes() if "<" in r])
def test_bob_gets_nothing_from_an_object_endpoint(client, alices_world, exporter2, route):
    client.force_login(exporter2)
    before = state_now(alices_world)
    url = fill(route, alices_world)

    got = client.get(url)
    posted = client.post(url, {}, content_type="application/json")

    # Not found (or not allowed at all): never a page or a change. Reference data (analytes,
    # methods, reference materials) belongs to no organisation and may be read.
    refused = (401, 403, 404, 405) if route.startswith(MACHINE_ONLY) else (403, 404, 405)
    assert got.status_code in refused or (SHARED_KEYWORD in route and got.status_code == 200), (
        url,
        got.status_code,
    )
    assert posted.status_code in refused, (url, posted.status_code)
    for response in (got, posted):
        body = response.content.decode(errors="replace")
        assert not any(secret in body for secret in alices_world["secrets"]), url
    assert state_now(alices_world) == before


@pytest.mark.parametrize("route", [r for r in project_routes() if "<" not in r])
def test_bobs_lists_show_nothing_of_alices(client, alices_world, exporter2, route, keys_dir):
    # keys_dir and publish(): the laboratory's keys and its signed key set and status list, which a
    # worker publishes (before the first publication those addresses answer 503).
    from certificates import publication

    publication.publish()
    client.force_login(exporter2)
    response = client.get("/" + route)
    body = response.content.decode(errors="replace")
    assert response.status_code < 500, route
    assert not any(secret in body for secret in alices_world["secrets"]), route


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_bobs_exports_hold_nothing_of_alices(client, alices_world, exporter2, kind):
    """Every list's download (lims.web.Listing, `?format=`) holds what bob's page may show, never alice's."""
    import io

    import openpyxl
    from django.urls import resolve

    from lims.list_urls import list_urls

    client.force_login(exporter2)
    for item in list_urls().lists:
        if item.kind != "page" or getattr(resolve(item.url).func, "measured_as_list", False):
            continue
        response = client.get(f"{item.url}?format={kind}")
        assert response.status_code in (200, 403), item.url
        if response.status_code != 200:
            continue
        if kind == "csv":
            body = b"".join(response.streaming_content).decode()
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
            body = "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
        assert not any(secret in body for secret in alices_world["secrets"]), item.url
