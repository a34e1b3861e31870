"""The open statistics' scenario, built with the customs builders (tests/customs/conftest.py): issued
certificates with snapshots in the documented schema, declarations filed through the real service
(so their checks and findings are real), then moved to the months the scenario needs.

Two months ago (`m1`), at Khorgos, copper concentrate:
- alice (Altyn Copper) to China: three lots, each declared honestly citing its certificate (certified
  dry masses 4575, 3000 and 2000 t; Cu 22.50 %, 24.00 %, 22.50 %): a cell of 3 lots, shown; the first
  lot is declared again (a second shipment): counted, its lot not again;
- alice to Russia: one lot, declared leaving out the rare earths: flagged for undeclared rare
  earths, and a cell of 1 lot, suppressed;
- bob (Steppe Metals) to China: two lots, a cell of 2 lots, suppressed; one of his declarations
  cites a certificate revoked before it was filed (not valid at filing);
Last month (`m2`): alice to China, one lot whose certificate is revoked after filing (valid at
filing, withdrawn since). This month: alice to China, one lot (the month is open: pending).
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from certificates.models import Certificate
from customs.models import Declaration
from lims.models import Organisation
from tests.conftest import make_lot, sealed_split
from tests.customs.conftest import HONEST, RESULTS, file, make_certificate, make_prices, make_snapshot


def month_start(months_ago: int) -> datetime:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return datetime.combine(
        today.replace(year=index // 12, month=index % 12 + 1, day=1), time(9), tzinfo=timezone.get_current_timezone()
    )


def month_name(months_ago: int) -> str:
    return month_start(months_ago).strftime("%Y-%m")


def results_with(**values: str) -> list[tuple]:
    """The default certificate's results with some values changed ({"Cu": "24.00"})."""
    return [(row[0], values.get(row[0], row[1]), *row[2:]) for row in RESULTS]


@dataclass
class Scenario:
    m1: str
    m2: str
    now: str
    certificates: dict[str, Certificate] = field(default_factory=dict)
    declarations: dict[str, Declaration] = field(default_factory=dict)
    lots: dict = field(default_factory=dict)


@pytest.fixture
def scenario(exporter, exporter_org, exporter2, exporter2_org, customs_org, sampler, manager):
    make_prices()
    m1, m2 = month_start(2), month_start(1)
    s = Scenario(m1=month_name(2), m2=month_name(1), now=month_name(0))

    def lot_with_certificate(name, *, actor, org, destination, dry="4575.000", issued_at=m1, **values):
        lot = make_lot(actor=actor, exporter_org=org, destination_country=destination)
        sample = sealed_split(lot, sampler)
        snapshot = make_snapshot(sample, results=results_with(**values), dry_mass_t=dry)
        s.lots[name] = lot
        s.certificates[name] = make_certificate(sample, requested_by=manager, snapshot=snapshot, issued_at=issued_at)
        return lot

    def declare(name, lot_name, *, actor, filed_at, certificate_names=None, **changes):
        lot = s.lots[lot_name]
        cited = [s.certificates[n] for n in (certificate_names or [lot_name])]
        declaration = file(actor, cited, lot=lot, customs_office=customs_org, **changes)
        Declaration.objects.filter(pk=declaration.pk).update(filed_at=filed_at)
        declaration.refresh_from_db()
        s.declarations[name] = declaration
        return declaration

    day = timedelta(days=1)
    # alice, China, m1: three lots.
    lot_with_certificate("a1", actor=exporter, org=exporter_org, destination="CN")
    lot_with_certificate("a2", actor=exporter, org=exporter_org, destination="CN", dry="3000.000", Cu="24.00")
    lot_with_certificate("a3", actor=exporter, org=exporter_org, destination="CN", dry="2000.000")
    declare("a1", "a1", actor=exporter, filed_at=m1 + 5 * day)
    declare("a2", "a2", actor=exporter, filed_at=m1 + 6 * day, dry_mass_t="3000.000",
            components={**HONEST, "Cu": "24.00 %"})  # fmt: skip
    declare("a3", "a3", actor=exporter, filed_at=m1 + 7 * day, dry_mass_t="2000.000")
    declare("a1-again", "a1", actor=exporter, filed_at=m1 + 9 * day, dry_mass_t="1000.000")
    # alice, Russia, m1: one lot, rare earths left out.
    lot_with_certificate("r1", actor=exporter, org=exporter_org, destination="RU", dry="1500.000")
    without_rare_earths = {k: v for k, v in HONEST.items() if k not in ("La", "Ce", "Nd")}
    declare("r1", "r1", actor=exporter, filed_at=m1 + 8 * day, dry_mass_t="1500.000", components=without_rare_earths)
    # bob, China, m1: two lots; a third declaration cites a certificate revoked before it was filed.
    lot_with_certificate("b1", actor=exporter2, org=exporter2_org, destination="CN", dry="1200.000")
    lot_with_certificate("b2", actor=exporter2, org=exporter2_org, destination="CN", dry="800.000")
    lot_with_certificate("b3", actor=exporter2, org=exporter2_org, destination="CN", dry="900.000")
    Certificate.objects.filter(pk=s.certificates["b3"].pk).update(
        status=Certificate.Status.REVOKED, revoked_at=m1 + 2 * day, revocation_reason="Wrong contract."
    )
    declare("b1", "b1", actor=exporter2, filed_at=m1 + 5 * day, dry_mass_t="1200.000")
    declare("b2", "b2", actor=exporter2, filed_at=m1 + 6 * day, dry_mass_t="800.000")
    declare("b3", "b3", actor=exporter2, filed_at=m1 + 7 * day, dry_mass_t="900.000")
    # alice, China, m2: valid at filing, revoked since.
    lot_with_certificate("w1", actor=exporter, org=exporter_org, destination="CN", issued_at=m2)
    declare("w1", "w1", actor=exporter, filed_at=m2 + 3 * day)
    Certificate.objects.filter(pk=s.certificates["w1"].pk).update(
        status=Certificate.Status.REVOKED, revoked_at=m2 + 10 * day, revocation_reason="Wrong contract."
    )
    # alice, China, this month.
    lot_with_certificate("n1", actor=exporter, org=exporter_org, destination="CN", issued_at=timezone.now() - day)
    declare("n1", "n1", actor=exporter, filed_at=timezone.now())
    for certificate in s.certificates.values():
        certificate.refresh_from_db()
    return s


def contained(certificate: Certificate) -> dict[str, Decimal]:
    """What the test expects a certificate to certify, from its snapshot: Cu t = % / 100 x dry t;
    Au, Ag, each rare earth kg = g/t (ppm) x dry t / 1000; TREO kg = ppm x dry t / 1000."""
    snapshot = certificate.snapshot
    dry = Decimal(snapshot["lot"]["dry_mass_t"])
    values = {row["analyte"]: row for row in snapshot["results"]}
    assert values["Cu"]["unit"] == "%" and values["Au"]["unit"] == values["Ag"]["unit"] == "g/t"

    def stated(symbol: str) -> Decimal:
        row = values.get(symbol)
        return Decimal(row["value"]) if row and row["value"] is not None else Decimal(0)

    expected = {
        "dry_mass_t": dry,
        "cu_t": stated("Cu") / 100 * dry,
        "au_kg": stated("Au") * dry / 1000,
        "ag_kg": stated("Ag") * dry / 1000,
        "treo_kg": Decimal(snapshot["treo"]["value"]) * dry / 1000,
    }
    for symbol in ("La", "Ce", "Nd", "Tm", "Lu"):
        assert values[symbol]["unit"] == "ppm"
        expected[f"{symbol.lower()}_kg"] = stated(symbol) * dry / 1000
    return expected


@pytest.fixture
def second_office(db):
    return Organisation.objects.create(name="Dostyk Customs Post", kind=Organisation.Kind.CUSTOMS)
