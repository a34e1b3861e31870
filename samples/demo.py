"""Demo lots and samples in several custody states, made through the services as people would."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from samples import services
from samples.models import Lot, Material, Priority

LOTS = [
    # (exporter key, lot number, origin, wet mass t, destination, priority, due in days or None)
    ("exporter", "AC-2026-0101", "Aktogay concentrator", "5120.500", "CN", Priority.URGENT, 3),
    # Due two days ago: the dashboards and lists mark it overdue.
    ("exporter", "AC-2026-0102", "Aktogay concentrator", "4870.250", "CN", Priority.HIGH, -2),
    ("exporter2", "SM-2026-0007", "Bozshakol concentrator", "6200.000", "UZ", Priority.NORMAL, None),
]


def _splits(prefix: int, purposes):
    return [
        services.SplitSpec(purpose=p, mass_g=Decimal("250.0"), seal_number=f"KZS-{prefix:04d}{i:04d}")
        for i, p in enumerate(purposes, start=1)
    ]


def seed(context: dict) -> None:
    orgs, users = context["orgs"], context["users"]
    sampler, technician, _manager = users["sampler"], users["technician"], users["manager"]
    copper = Material.objects.get(code="copper-concentrate")
    lots: dict[str, tuple[Lot, bool]] = {}
    today = timezone.localdate()
    for index, (exporter_key, number, origin, mass, destination, priority, due_in) in enumerate(LOTS, start=1):
        lot = Lot.objects.filter(exporter=orgs[exporter_key], lot_number=number).first()
        created = lot is None
        if lot is None:
            lot = services.lot_register(
                actor=users[exporter_key],
                exporter=orgs[exporter_key],
                lot_number=number,
                material=copper,
                hs_code="2603.00",
                origin=origin,
                wet_mass_t=Decimal(mass),
                destination_country=destination,
                contract_reference=f"CT-{number}",
                export_licence_number=f"EL-{index:04d}-2026",
                priority=priority,
                due_date=None if due_in is None else today + timedelta(days=due_in),
            )
        lots[number] = (lot, created)

    lot, created = lots["AC-2026-0101"]
    if created:
        # Laboratory and umpire splits received; archive split in transit to the lab; exporter split
        # handed to the exporter's own clerk (the one outside party who may hold it).
        _, (lab_split, exporter_split, archive_split, umpire_split) = services.sample_register(
            actor=sampler, lot=lot, mass_g=Decimal("2000.0"), location="Dostyk rail loading point, wagon 14",
            splits=_splits(101, ["laboratory", "exporter", "archive", "umpire"]),
        )  # fmt: skip
        services.sample_hand_over(
            actor=sampler, sample=umpire_split, to_user=technician, seal_number_seen=umpire_split.seal_number
        )
        services.sample_receive(
            actor=technician, sample=umpire_split, seal_number_seen=umpire_split.seal_number, seal_intact=True
        )
        services.sample_hand_over(
            actor=sampler,
            sample=lab_split,
            to_user=technician,
            seal_number_seen=lab_split.seal_number,
            location="Dostyk",
        )
        services.sample_receive(
            actor=technician,
            sample=lab_split,
            seal_number_seen=lab_split.seal_number,
            seal_intact=True,
            location="Sample reception",
        )
        services.sample_hand_over(actor=sampler, sample=archive_split, carrier="KazExpress courier, waybill 778812", seal_number_seen=archive_split.seal_number, location="Dostyk")  # fmt: skip
        services.sample_hand_over(
            actor=sampler, sample=exporter_split, to_user=users["exporter"],
            seal_number_seen=exporter_split.seal_number, location="Dostyk",
        )  # fmt: skip

    lot, created = lots["AC-2026-0102"]
    if created:
        # The laboratory split arrives with a broken seal: on hold, nonconformance open.
        _, (lab_split, buyer_split) = services.sample_register(
            actor=sampler, lot=lot, mass_g=Decimal("1500.0"), location="Dostyk rail loading point, wagon 22",
            splits=_splits(102, ["laboratory", "buyer"]),
        )  # fmt: skip
        services.sample_hand_over(
            actor=sampler, sample=lab_split, to_user=technician, seal_number_seen=lab_split.seal_number
        )
        services.sample_receive(
            actor=technician, sample=lab_split, seal_number_seen=lab_split.seal_number, seal_intact=False,
            location="Sample reception", note="Seal wire cut; bag intact.",
        )  # fmt: skip
        # The buyer's split went to the laboratory by mistake; the sampler takes it back before anyone
        # receives it (the recall is a link of its custody chain).
        services.sample_hand_over(
            actor=sampler, sample=buyer_split, to_user=technician, seal_number_seen=buyer_split.seal_number
        )
        services.sample_recall(
            actor=sampler, sample=buyer_split, location="Dostyk",
            reason="Handed to the laboratory by mistake: the buyer's courier collects it at the loading point.",
        )  # fmt: skip

    lot, created = lots["SM-2026-0007"]
    if created:
        # Laboratory and customs referee splits in preparation; umpire split stored in the archive.
        _, (lab_split, umpire_split, referee_split) = services.sample_register(
            actor=sampler, lot=lot, mass_g=Decimal("1200.0"), location="Bozshakol stockpile conveyor",
            splits=_splits(107, ["laboratory", "umpire", "customs_referee"]),
        )  # fmt: skip
        for split in (lab_split, umpire_split, referee_split):
            services.sample_hand_over(
                actor=sampler, sample=split, to_user=technician, seal_number_seen=split.seal_number
            )
            services.sample_receive(
                actor=technician, sample=split, seal_number_seen=split.seal_number, seal_intact=True
            )
        for split in (lab_split, referee_split):
            services.sample_prepare(actor=technician, sample=split, location="Preparation room")
        services.sample_store(actor=technician, sample=umpire_split, location="Archive shelf B-12")
    context["lots"] = {number: lot for number, (lot, _) in lots.items()}
