"""Demo batches, one in each state, made through the services as the bench would: a lot of eight
laboratory splits received by the technician, then
- a cancelled batch (the rack was dropped),
- a planned batch of three samples, its worksheet ready to print and its sequence to export,
- a running batch whose run is in preview, measured without its CRM and with a stray row, so the run's
  page lists what is missing, skipped and extra,
- a complete batch whose run was accepted: its results await review.

Called after assays.demo (it needs the instrument and the users): `seed(context)`, idempotent."""

from decimal import Decimal

from assays import services
from assays.batch_models import Batch
from assays.batch_selectors import batch_positions
from assays.demo import demo_instrument
from assays.models import Method, PanelEntry
from assays.services import batches
from samples import services as sample_services
from samples.models import Lot, Material

LOT = "AC-2026-0120"
# ug/L in the digest (0.25 g to 50 mL): about 20 ppm of the solid, well inside every range.
SAMPLE_UG_L, DUPLICATE_UG_L, CCV_UG_L = Decimal("100"), Decimal("103"), Decimal("10.1")
CRM_ROW = {"La": "33.6", "Ce": "66.1", "Nd": "29.0", "Eu": "1.38", "Gd": "4.87", "Dy": "4.51", "Ho": "0.87",
           "Er": "2.52", "Lu": "0.35"}  # fmt: skip


def _samples(context: dict) -> list:
    users, orgs = context["users"], context["orgs"]
    sampler, technician = users["sampler"], users["technician"]
    lot = Lot.objects.filter(exporter=orgs["exporter"], lot_number=LOT).first()
    if lot is not None:
        return list(lot.samples.filter(purpose="laboratory").order_by("code"))
    lot = sample_services.lot_register(
        actor=users["exporter"], exporter=orgs["exporter"], lot_number=LOT,
        material=Material.objects.get(code="copper-concentrate"), hs_code="2603.00", origin="Aktogay concentrator",
        wet_mass_t=Decimal("5010.000"), destination_country="CN", contract_reference=f"CT-{LOT}",
        export_licence_number="EL-0120-2026",
    )  # fmt: skip
    specs = [
        sample_services.SplitSpec(purpose="laboratory", mass_g=Decimal("250.0"), seal_number=f"KZS-0120{i:04d}")
        for i in range(1, 9)
    ]
    _, splits = sample_services.sample_register(
        actor=sampler, lot=lot, mass_g=Decimal("2400.0"), location="Aktogay loadout, wagon 3", splits=specs
    )
    received = []
    for split in splits:
        split = sample_services.sample_hand_over(
            actor=sampler, sample=split, to_user=technician, seal_number_seen=split.seal_number
        )
        split = sample_services.sample_receive(
            actor=technician,
            sample=split,
            seal_number_seen=split.seal_number,
            seal_intact=True,
            location="Lab reception",
        )
        received.append(split)
    return received


def _run_file(batch: Batch, *, skip_crm: bool, extra: str = "") -> bytes:
    """The run of `batch` as the generic CSV, every position measured (the CRM too, unless skipped)."""
    symbols = list(
        PanelEntry.objects.filter(panel__material__code="copper-concentrate", method=batch.method).values_list(
            "analyte__symbol", flat=True
        )
    )
    lines = ["sample,analyte,value,unit,qualifier,detection_limit"]
    for position in batch_positions(batch):
        if position.kind in ("cal_blank", "method_blank"):
            lines += [f"{position.label},{s},,ug/L,<,0.01" for s in symbols]
        elif position.kind == "ccv":
            lines += [f"{position.label},{s},{CCV_UG_L},ug/L,," for s in symbols]
        elif position.kind == "crm" and not skip_crm:
            lines += [f"{position.label},{s},{Decimal(v) * 5},ug/L,," for s, v in CRM_ROW.items()]
        elif position.kind == "sample":
            lines += [f"{position.label},{s},{SAMPLE_UG_L},ug/L,," for s in symbols]
        elif position.kind == "duplicate":
            lines += [f"{position.label},{s},{DUPLICATE_UG_L},ug/L,," for s in symbols]
    if extra:
        lines += [f"{extra},{s},{SAMPLE_UG_L},ug/L,," for s in symbols]
    return ("\n".join(lines) + "\n").encode()


def seed(context: dict) -> None:
    technician = context["users"]["technician"]
    samples = _samples(context)
    if Batch.objects.filter(positions__sample__in=samples).exists():
        return
    icpms = Method.objects.get(code="icpms-4acid")
    instrument = demo_instrument()
    codes = [s.code for s in samples]

    def build(chosen):
        return batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=chosen)

    batches.batch_cancel(actor=technician, batch=build(codes[0:2]), reason="Rack dropped at the autosampler.")
    build(codes[0:3])
    running = build(codes[3:6])
    services.run_import(
        actor=technician, data=_run_file(running, skip_crm=True, extra="KZL-RINSE-CHECK"),
        filename=f"demo-batch-{running.pk}.csv", instrument=instrument, method=icpms, prep_mass_g=Decimal("0.25"),
        prep_volume_ml=Decimal("50"), batch=running,
    )  # fmt: skip
    complete = build(codes[6:8])
    run = services.run_import(
        actor=technician, data=_run_file(complete, skip_crm=False), filename=f"demo-batch-{complete.pk}.csv",
        instrument=instrument, method=icpms, prep_mass_g=Decimal("0.25"), prep_volume_ml=Decimal("50"), batch=complete,
    )  # fmt: skip
    services.run_accept(actor=technician, run=run)
