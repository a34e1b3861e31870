"""Demo customs data: a customs broker of Altyn Copper (user `broker`), metal prices and exchange rates
on two dates, and, once a certificate is issued, declarations of its lot in every state, filed and
decided through the services:

- one honest declaration in tenge: every element declared, value at the payable value: cleared;
- one filed by the broker that leaves out the rare earths and states 70 % of the value: flagged,
  waiting in the inspectors' queue;
- one whose value is 8 % under the payable value, accepted by the inspector with the reason;
- one citing the superseded certificate only (or, without one, declaring more dry mass than is
  certified): rejected by the inspector.

Certificates are issued after the demo transaction commits (certificates/demo.py), so the
declarations are filed in seed_after_commit; seed files them too when issued certificates exist
already (a second run). Idempotent: a declaration number that exists is not filed again.
"""

from datetime import date
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from assays.models import Analyte
from certificates import snapshot as snapshots
from certificates.models import Certificate
from customs import checks, selectors, services
from customs.models import Declaration, ExchangeRate, MetalPrice
from lims.demo import DEMO_PASSWORD
from lims.models import User
from lims.roles import Role

PRICES = [
    # commodity, per, (price from 2 January 2026, price from 1 October 2026), source
    ("Cu", "t", ("9800.00", "10450.00"), "LME copper grade A, cash settlement"),
    ("Au", "oz", ("2650.00", "2900.00"), "LBMA gold price PM"),
    ("Ag", "oz", ("31.00", "34.50"), "LBMA silver price"),
    ("TREO", "kg", ("12.00", "12.00"), "Mixed rare-earth oxide, indicative"),
]
PRICE_DATES = (date(2026, 1, 2), date(2026, 10, 1))
KZT_PER_USD = ("515.00", "538.20")
RATE_SOURCE = "National Bank of Kazakhstan"
NUMBER = "55201000/{day:%d%m%y}/0000{serial}"
ACCEPT_REASON = (
    "The price was fixed in the sales contract before the rise in copper; contract and invoice seen at the post."
)
REJECT_REASON = "Cites only a superseded certificate; refile citing the amendment in force."
REJECT_MASS_REASON = "Declares more dry mass than the certificate covers; the excess is uncertified."


def _broker(orgs: dict) -> User:
    broker = User.objects.filter(username="broker").first()
    if broker is None:
        broker = User.objects.create_user(
            username="broker",
            password=DEMO_PASSWORD,
            first_name="Bakyt",
            last_name="Broker",
            organisation=orgs["exporter"],
        )
        broker.groups.add(Group.objects.get(name=Role.BROKER))
    return broker


def _reference_data() -> None:
    for commodity, unit, prices, source in PRICES:
        for effective_date, price in zip(PRICE_DATES, prices, strict=True):
            MetalPrice.objects.get_or_create(
                commodity=commodity,
                effective_date=effective_date,
                defaults={"unit": unit, "price": Decimal(price), "currency": "USD", "source": source},
            )
    for effective_date, rate in zip(PRICE_DATES, KZT_PER_USD, strict=True):
        ExchangeRate.objects.get_or_create(
            currency="KZT",
            price_currency="USD",
            effective_date=effective_date,
            defaults={"rate": Decimal(rate), "source": RATE_SOURCE},
        )


def seed(context: dict) -> None:
    context["users"]["broker"] = _broker(context["orgs"])
    _reference_data()
    _declarations(context)


def seed_after_commit(context: dict) -> None:
    _declarations(context)


def _issued(context: dict) -> list[Certificate]:
    given = context.get("certificates") or []
    if isinstance(given, dict):
        given = list(given.values())
    issued = [c for c in given if c.status == Certificate.Status.ISSUED]
    return issued or list(Certificate.objects.filter(status=Certificate.Status.ISSUED).order_by("pk"))


def _payable(certificate: Certificate, *, dry_mass_t: Decimal, on: date, currency: str) -> Decimal:
    lot = certificate.sample.lot
    valuation = checks.certificate_valuation(
        certificate.snapshot,
        dry_mass_t=dry_mass_t,
        on=on,
        terms=selectors.schedule_for(lot.contract_reference),
        currency=currency,
    )
    return valuation.final_total


def _full_composition(certificate: Certificate) -> list[services.ComponentSpec]:
    specs = []
    for row in snapshots.read(certificate.snapshot)["results"]:
        value = checks.reported_value(row)
        if row["analyte"] == checks.MOISTURE or value is None or value < Decimal(row["reporting_limit"]):
            continue
        specs.append(services.ComponentSpec(Analyte.objects.get(symbol=row["analyte"]), value, row["unit"]))
    return specs


def _declarations(context: dict) -> None:
    issued = _issued(context)
    if not issued:
        return
    orgs, users = context["orgs"], context["users"]
    # A certificate of Altyn Copper's, if there is one: its broker files too.
    certificate = next((c for c in issued if c.sample.lot.exporter_id == orgs["exporter"].pk), issued[0])
    lot = certificate.sample.lot
    exporter = User.objects.filter(organisation=lot.exporter, groups__name=Role.EXPORTER).order_by("pk").first()
    if exporter is None:
        return
    broker = users.get("broker") if lot.exporter_id == orgs["exporter"].pk else None
    inspector = users["inspector"]
    today = timezone.localdate()
    old = Certificate.objects.filter(superseded_by=certificate).first()
    full = _full_composition(certificate)
    headline = [spec for spec in full if spec.analyte.symbol in ("Cu", "Au", "Ag")]

    def file(serial: int, *, actor, dry_mass: str, currency: str, share: str, components, cited) -> Declaration | None:
        number = NUMBER.format(day=today, serial=serial)
        if Declaration.objects.filter(number__endswith=f"/0000{serial}", lot=lot).exists():
            return None
        mass = Decimal(dry_mass)
        payable = _payable(certificate, dry_mass_t=mass, on=today, currency=currency)
        value = (payable * Decimal(share)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        return services.declaration_file(
            actor=actor, number=number, declarant=lot.exporter.name if actor != broker else "Khorgos Customs Brokers LLP",
            lot=lot, customs_office=orgs["customs"], hs_code=lot.hs_code, declared_on=today, dry_mass_t=mass,
            value=value, currency=currency, components=components, certificate_numbers=cited,
        )  # fmt: skip

    file(
        101,
        actor=exporter,
        dry_mass="1500.000",
        currency="KZT",
        share="1.01",
        components=full,
        cited=[certificate.number],
    )
    file(102, actor=broker or exporter, dry_mass="1500.000", currency="USD", share="0.70", components=headline,
         cited=[certificate.number])  # fmt: skip
    accepted = file(
        103,
        actor=exporter,
        dry_mass="1000.000",
        currency="USD",
        share="0.92",
        components=full,
        cited=[certificate.number],
    )
    if accepted is not None:
        services.declaration_decide(actor=inspector, declaration=accepted, accept=True, reason=ACCEPT_REASON)
    if old is not None:
        rejected = file(
            104, actor=exporter, dry_mass="1000.000", currency="USD", share="1.00", components=full, cited=[old.number]
        )
        reason = REJECT_REASON
    else:
        excess = str(Decimal(snapshots.read(certificate.snapshot)["lot"]["dry_mass_t"] or "0") + 250)
        rejected = file(
            104, actor=exporter, dry_mass=excess, currency="USD", share="1.00", components=full,
            cited=[certificate.number],
        )  # fmt: skip
        reason = REJECT_MASS_REASON
    if rejected is not None:
        services.declaration_decide(actor=inspector, declaration=rejected, accept=False, reason=reason)
