"""Builders for customs tests. The cast is tests/conftest.py's: alice (Altyn Copper) declares her
lot, bob (Steppe Metals) must see none of it, ivan inspects for customs, max manages the laboratory.

Certificates are made here as rows, issued, with a snapshot in the schema of certificates/snapshot.py
("lims.coa/1"): the checks read only the snapshot and the certificate's number, status, sample and
dates, so the real pipeline (rendering, signing) is not needed to test them.

The default certificate states (dry basis): Cu 22.50 %, Au 5.00 g/t, Ag 40.0 g/t, La 118, Ce 236 and
Nd 96.5 ppm, Tm 0.04 ppm (below its reporting limit of 0.05), Lu below detection, As 0.182 %, Sb 212
and Mo 610 ppm, moisture 8.50 %; the lot's 5000 t wet are 4575.000 t dry.
"""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from assays import units
from assays.models import Analyte
from certificates.models import Certificate
from customs import services
from customs.models import MetalPrice
from lims.roles import Role
from tests.conftest import make_user, sealed_split

DECLARED_ON = date(2026, 10, 15)
PRICES_FROM = date(2026, 1, 1)

# symbol, value (None: below detection), unit, reporting limit, rare earth, detection limit
RESULTS = [
    ("Cu", "22.50", "%", "0.01", False, None),
    ("Au", "5.00", "g/t", "0.05", False, None),
    ("Ag", "40.0", "g/t", "1", False, None),
    ("H2O", "8.50", "%", "0.01", False, None),
    ("La", "118.00", "ppm", "0.05", True, None),
    ("Ce", "236.00", "ppm", "0.05", True, None),
    ("Nd", "96.50", "ppm", "0.05", True, None),
    ("Tm", "0.04", "ppm", "0.05", True, None),
    ("Lu", None, "ppm", "0.05", True, "0.020"),
    ("As", "0.182", "%", "0.001", False, None),
    ("Sb", "212.00", "ppm", "0.05", False, None),
    ("Mo", "610.00", "ppm", "0.05", False, None),
]
# What an honest declaration of that certificate declares: every element at or above its limit.
HONEST = {"Cu": "22.50 %", "Au": "5.00 g/t", "Ag": "40.0 g/t", "La": "118 ppm", "Ce": "236 ppm", "Nd": "96.5 ppm",
          "As": "0.182 %", "Sb": "212 ppm", "Mo": "610 ppm"}  # fmt: skip

_numbers = itertools.count(1)


def result_row(symbol, value, unit, reporting_limit, rare_earth=False, detection_limit=None) -> dict:
    return {
        "analyte": symbol,
        "name": symbol,
        "rare_earth": rare_earth,
        "method": "test method",
        "method_code": "test",
        "standard": "",
        "unit": unit,
        "basis": "as_received" if symbol == "H2O" else "dry",
        "qualifier": "<" if value is None else "",
        "value": value,
        "detection_limit": detection_limit,
        "uncertainty": None,
        "reporting_limit": reporting_limit,
        "approved_by": "Rita Reviewer",
        "approved_at": "2026-10-01T10:00+05:00",
    }


def make_snapshot(sample, *, results=RESULTS, hs_code=None, dry_mass_t="4575.000", contract=None) -> dict:
    """A snapshot of `sample` in the documented schema, with the results given as RESULTS rows."""
    lot = sample.lot
    rows = [result_row(*row) for row in results]
    rare_earths = {
        r["analyte"]: units.convert(Decimal(r["value"]), r["unit"], "ppm") if r["value"] is not None else None
        for r in rows
        if r["rare_earth"]
    }
    treo = units.total_reo(rare_earths)
    moisture = next((r["value"] for r in rows if r["analyte"] == "H2O"), None)
    return {
        "schema": "lims.coa/1",
        "laboratory": {"name": "Kazakh Independent Laboratory", "address": "", "country": "KZ", "code": "KZL"},
        "customer": {"name": lot.exporter.name, "address": "", "registration_number": "", "country": "KZ"},
        "lot": {
            "number": lot.lot_number,
            "material": lot.material.name,
            "material_code": lot.material.code,
            "hs_code": hs_code or lot.hs_code,
            "origin": lot.origin,
            "wet_mass_t": str(lot.wet_mass_t),
            "dry_mass_t": dry_mass_t,
            "contract": lot.contract_reference if contract is None else contract,
            "export_licence": lot.export_licence_number,
            "destination_country": str(lot.destination_country),
        },
        "sample": {"code": sample.code, "purpose": sample.purpose, "seal_number": sample.seal_number},
        "moisture": {"value": moisture, "unit": "%", "method": "Moisture by mass loss on drying"},
        "results": rows,
        "headline": {r["analyte"]: [r["value"], r["unit"]] for r in rows if r["analyte"] in ("Cu", "Au", "Ag")},
        "treo": {
            "value": str(units.round_to(treo.total_ppm, 1)),
            "unit": "ppm",
            "oxides": {k: str(units.round_to(v, 2)) for k, v in treo.oxides_ppm.items()},
            "censored": sorted(treo.censored),
            "not_determined": sorted(treo.not_determined),
        },
    }


def make_certificate(sample, *, requested_by, status=Certificate.Status.ISSUED, number=None, snapshot=None, **fields):
    """A certificate row in `status`, with the placeholders an issued certificate must have."""
    issued = status in (Certificate.Status.ISSUED, Certificate.Status.REVOKED, Certificate.Status.SUPERSEDED)
    values = {
        "number": number or f"KZL-2026-{next(_numbers):06d}",
        "issued_at": timezone.now() if issued else None,
        "pdf": "certificates/test.pdf" if issued else "",
        "pdf_sha256": "f" * 64 if issued else "",
        "qr_token": "test-token" if issued else "",
    }
    if status == Certificate.Status.REVOKED:
        values.update(revoked_at=timezone.now(), revocation_reason="Issued against the wrong contract.")
    values.update(fields)
    return Certificate.objects.create(
        sample=sample,
        status=status,
        snapshot=snapshot or make_snapshot(sample),
        snapshot_sha256="0" * 64,
        requested_by=requested_by,
        **values,
    )


def components(spec: dict[str, str]) -> list[services.ComponentSpec]:
    """{"Cu": "22.5 %"} -> component specs."""
    out = []
    for symbol, text in spec.items():
        value, unit = text.split(" ", 1)
        out.append(services.ComponentSpec(Analyte.objects.get(symbol=symbol), Decimal(value), unit))
    return out


def declaration_kwargs(certificates, *, lot, customs_office, **changes) -> dict:
    """What an honest declaration of the default certificate files: every element declared as
    certified, the whole certified dry mass, a value well above the payable value."""
    values = {
        "number": f"55201000/151026/{next(_numbers):07d}",
        "declarant": lot.exporter.name,
        "lot": lot,
        "customs_office": customs_office,
        "hs_code": "2603.00",
        "declared_on": DECLARED_ON,
        "dry_mass_t": Decimal("4575.000"),
        "value": Decimal("20000000.00"),
        "currency": "USD",
        "components": components(HONEST),
        "certificate_numbers": [c.number for c in certificates],
    }
    if isinstance(changes.get("components"), dict):
        changes["components"] = components(changes["components"])
    for name in ("dry_mass_t", "value"):
        if isinstance(changes.get(name), str):
            changes[name] = Decimal(changes[name])
    values.update(changes)
    return values


def file(actor, certificates, **changes):
    return services.declaration_file(actor=actor, **declaration_kwargs(certificates, **changes))


def blocking(declaration) -> list:
    return list(declaration.findings.filter(severity="blocking"))


def make_prices(**prices):
    """Prices in effect from PRICES_FROM: Cu 9000 USD/t, Au 2000 and Ag 25 USD/oz, TREO 10 USD/kg."""
    values = {"Cu": ("9000", "t"), "Au": ("2000", "oz"), "Ag": ("25", "oz"), "TREO": ("10", "kg"), **prices}
    return {
        commodity: MetalPrice.objects.create(
            commodity=commodity, unit=unit, price=Decimal(price), effective_date=PRICES_FROM, source="test"
        )
        for commodity, (price, unit) in values.items()
    }


@pytest.fixture
def prices(db):
    return make_prices()


@pytest.fixture
def lab_sample(lot, sampler):
    """alice's laboratory split (its custody does not matter to customs: the certificate does)."""
    return sealed_split(lot, sampler)


@pytest.fixture
def certificate(lab_sample, manager):
    return make_certificate(lab_sample, requested_by=manager)


@pytest.fixture
def broker(exporter_org):
    user = make_user("bella", None, exporter_org, first_name="Bella", last_name="Broker")
    user.groups.add(Group.objects.get(name=Role.BROKER))
    return user


@pytest.fixture
def declare(exporter, lot, customs_org, certificate, prices):
    """File as alice, citing the default certificate, with `changes` to the honest declaration."""

    def declare(actor=None, certificates=None, **changes):
        return file(
            actor or exporter, certificates or [certificate], **{"lot": lot, "customs_office": customs_org, **changes}
        )

    return declare
