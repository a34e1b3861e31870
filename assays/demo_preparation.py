"""Demo preparation, made through the services as the laboratory would: a balance, ICP-MS's
preparation specification (pulp at least 85 % passing 75 µm), and the full preparation record of
the laboratory split of a lot of its own (AC-2026-0103, so the other demo samples keep their states):
sampled, handed over and received with its seal intact, then drying with
its weights (moisture 8.00 %, entered and awaiting a reviewer), crushing, pulverising, a sizing check
that fails (78 % passing), pulverising again, a check that passes (91 %), splitting, the analytical
aliquot (0.2500 g made up to 50 mL), and its pulp, coarse reject and referee split kept in store.

Hook: call `seed(context)` after assays.demo.seed (it needs the demo's users and lots)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from assays.models import Balance, Method, PreparationSpec, PreparationStep
from assays.services import preparation as prep
from samples import portions
from samples import services as sample_services
from samples.models import Lot, Material, RetainedPortion, Sample

LOT = "AC-2026-0103"

D = Decimal


def _received_sample(users: dict) -> Sample:
    exporter, sampler, technician = users["exporter"], users["sampler"], users["technician"]
    lot = Lot.objects.filter(lot_number=LOT, exporter=exporter.organisation).first()
    if lot is not None:
        return lot.samples.get(purpose=Sample.Purpose.LABORATORY)
    lot = sample_services.lot_register(
        actor=exporter, exporter=exporter.organisation, material=Material.objects.get(code="copper-concentrate"),
        lot_number=LOT, hs_code="2603.00", origin="Aktogay concentrator", wet_mass_t=D("4990.000"),
        destination_country="CN", contract_reference=f"CT-{LOT}", export_licence_number="EL-0103-2026",
    )  # fmt: skip
    _, (split,) = sample_services.sample_register(
        actor=sampler, lot=lot, mass_g=D("2500.0"), location="Dostyk rail loading point, wagon 31",
        splits=[sample_services.SplitSpec(purpose="laboratory", mass_g=D("2000.0"), seal_number="KZS-01030001")],
    )  # fmt: skip
    sample_services.sample_hand_over(
        actor=sampler, sample=split, to_user=technician, seal_number_seen=split.seal_number
    )
    return sample_services.sample_receive(
        actor=technician, sample=split, seal_number_seen=split.seal_number, seal_intact=True,
        location="Sample reception",
    )  # fmt: skip


def seed(context: dict) -> None:
    technician = context["users"]["technician"]
    sample = _received_sample(context["users"])
    context["prepared_sample"] = sample
    if PreparationStep.objects.filter(sample=sample).exists():
        return
    balance, _ = Balance.objects.get_or_create(
        serial="SQ-0042",
        defaults={
            "name": "Prep balance 2", "model": "Sartorius Quintix 224", "readability_g": D("0.0001"),
            "calibration_due": timezone.localdate() + timedelta(days=120),
        },
    )  # fmt: skip
    icpms = Method.objects.get(code="icpms-4acid")
    # The aliquot is not required yet: other demo runs still use their typed digest figures.
    PreparationSpec.objects.get_or_create(
        method=icpms, defaults={"screen_um": 75, "min_passing_pct": D("85"), "requires_aliquot": False}
    )
    prep.prep_drying(
        actor=technician, sample=sample, balance=balance, tare_g=D("120.00"), wet_g=D("620.00"), dry_g=D("580.00"),
        temperature_c=D("105"), duration_min=240, note="Tray T-17",
    )  # fmt: skip
    prep.prep_step(actor=technician, sample=sample, kind="crushing", equipment="Jaw crusher JC-1, 2 mm")
    prep.prep_step(actor=technician, sample=sample, kind="pulverising", equipment="LM2 ring mill, 3 min")
    prep.prep_sizing(
        actor=technician, sample=sample, method=icpms, balance=balance, screened_g=D("50.00"), retained_g=D("11.00")
    )
    prep.prep_step(
        actor=technician, sample=sample, kind="pulverising", equipment="LM2 ring mill, 2 min more",
        note="Sizing failed at 78 %",
    )  # fmt: skip
    prep.prep_sizing(
        actor=technician, sample=sample, method=icpms, balance=balance, screened_g=D("50.00"), retained_g=D("4.50")
    )
    prep.prep_step(actor=technician, sample=sample, kind="splitting", equipment="Rotary splitter RS-8")
    prep.prep_aliquot(
        actor=technician, sample=sample, method=icpms, balance=balance, mass_g=D("0.2500"), volume_ml=D("50")
    )
    until = timezone.localdate() + timedelta(days=365)
    for kind, location, mass in (
        (RetainedPortion.Kind.PULP, "Pulp store, shelf 4, box 12", D("120")),
        (RetainedPortion.Kind.COARSE_REJECT, "Reject store, bay 2", D("1450")),
        (RetainedPortion.Kind.REFEREE, "Referee cabinet, drawer 3", D("150")),
    ):
        portions.portion_retain(
            actor=technician, sample=sample, kind=kind, location=location, retain_until=until, mass_g=mass
        )
