"""Demo runs and results, made through the services as the laboratory would: an ICP-MS instrument,
an accepted run with QC passed for the laboratory splits of two lots, manual fire-assay, titration
and moisture results, every result approved by the reviewer (both samples reported), and a
second run left in preview with a failed QC check for the technician to look at."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from assays import services
from assays.models import Analyte, Instrument, Method, PanelEntry, Result, Run
from samples.models import Sample

DEMO_RUN = "demo-icpms-run-001.csv"
DEMO_FAILED_RUN = "demo-icpms-run-002.csv"
PREP_MASS_G, PREP_VOLUME_ML = Decimal("0.25"), Decimal("50")
# ug/L of digest per ppm of solid for 0.25 g made up to 50 mL.
UG_L_PER_PPM = Decimal(5)

# Contents of the two demo concentrates (ppm, or % for As, Pb, Zn): rare earths well above their
# reporting limits, the content that would leave undeclared without a full assay.
CONTENTS = {
    "La": ("118", "96"), "Ce": ("236", "190"), "Pr": ("27.4", "22.1"), "Nd": ("96.5", "80.2"),
    "Sm": ("17.2", "14.0"), "Eu": ("3.41", "2.80"), "Gd": ("14.6", "12.3"), "Tb": ("2.12", "1.75"),
    "Dy": ("11.8", "9.6"), "Ho": ("2.31", "1.90"), "Er": ("6.52", "5.30"), "Tm": ("0.94", "0.77"),
    "Yb": ("6.05", "4.92"), "Lu": ("0.88", "0.71"), "Sc": ("14.2", "11.5"), "Y": ("61.0", "49.5"),
    "As": ("0.182", "0.094"), "Sb": ("212", "148"), "Bi": ("96.0", "41.0"), "Hg": ("4.6", "2.1"),
    "Cd": ("38.0", "22.0"), "Pb": ("0.412", "0.250"), "Zn": ("2.310", "1.850"), "Se": ("88.0", "61.0"),
    "Te": ("31.0", "17.5"), "Mo": ("610", "420"), "Re": ("1.92", "0.88"), "Ni": ("84.0", "56.0"),
    "Co": ("142", "98"), "In": ("6.1", "3.4"), "Ga": ("11.2", "8.4"), "Ge": ("2.8", "1.9"),
}  # fmt: skip
MANUAL = {
    # method: {analyte: (value for sample 1, value for sample 2, uncertainty, unit)}
    "moisture": {"H2O": ("8.42", "7.95", "0.10", "%")},
    "titration-cu": {"Cu": ("22.84", "19.63", "0.12", "%")},
    "fire-assay": {"Au": ("6.35", "3.12", "0.21", "g/t"), "Ag": ("74.0", "41.5", "2.8", "g/t")},
}
# OREAS 502c as measured in the run (ppm): within its certified intervals.
CRM_ROW = {"La": "33.6", "Ce": "66.1", "Nd": "29.0", "Eu": "1.38", "Gd": "4.87", "Dy": "4.51", "Ho": "0.87",
           "Er": "2.52", "Lu": "0.35"}  # fmt: skip


def _ug_l(ppm_or_pct: str, unit: str) -> Decimal:
    ppm = Decimal(ppm_or_pct) * (10000 if unit == "%" else 1)
    return ppm * UG_L_PER_PPM


def _csv(samples: list[Sample], *, fail_ccv: bool = False) -> bytes:
    entries = {
        e.analyte.symbol: e.unit
        for e in PanelEntry.objects.filter(
            panel__material__code="copper-concentrate", method__code="icpms-4acid"
        ).select_related("analyte")
    }
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)
    lines = ["sample,analyte,value,unit,qualifier,detection_limit,type,acquired_at"]

    def row(name, kind, values, minute):
        stamp = (start + timedelta(minutes=minute)).isoformat(timespec="seconds")
        for symbol, value in values.items():
            if value is None:
                lines.append(f"{name},{symbol},,ug/L,<,0.01,{kind},{stamp}")
            else:
                lines.append(f"{name},{symbol},{value},ug/L,,,{kind},{stamp}")

    row("CalBlank", "cal_blank", dict.fromkeys(entries), 0)
    row("CCV 10 ppb", "ccv", {s: Decimal("12.4") if fail_ccv else Decimal("10.2") for s in entries}, 2)
    row("OREAS 502c", "crm", {s: Decimal(v) * UG_L_PER_PPM for s, v in CRM_ROW.items()}, 4)
    row("Method blank", "method_blank", dict.fromkeys(entries), 6)
    for index, sample in enumerate(samples):
        values = {s: _ug_l(CONTENTS[s][index], unit) for s, unit in entries.items()}
        row(sample.code, "sample", values, 8 + index * 2)
    duplicate = {s: _ug_l(CONTENTS[s][0], u) * Decimal("1.03") for s, u in entries.items()}
    row(f"{samples[0].code} DUP", "duplicate", duplicate, 14)
    row("CCV 10 ppb", "ccv", dict.fromkeys(entries, Decimal("9.9")), 16)
    return ("\n".join(lines) + "\n").encode()


def demo_instrument() -> Instrument:
    """The demo's ICP-MS, shared by its runs, batches and QC history."""
    instrument, _ = Instrument.objects.get_or_create(
        serial="SG-7900-0042",
        defaults={
            "name": "ICP-MS 1",
            "model": "Agilent 7900",
            "calibration_due": timezone.localdate() + timedelta(days=180),
        },
    )
    return instrument


def seed(context: dict) -> None:
    """The runs and results of the demo, then the bench: a sample's preparation record, results
    awaiting review and rejected with their reasons, a batch in each state, QC over time."""
    from assays import demo_batches, demo_control, demo_preparation, demo_review

    _seed_runs(context)
    for module in (demo_preparation, demo_review, demo_batches, demo_control):
        module.seed(context)


def _seed_runs(context: dict) -> None:
    users, lots = context["users"], context["lots"]
    technician, reviewer = users["technician"], users["reviewer"]
    instrument = demo_instrument()
    samples = [
        lots[number].samples.get(purpose=Sample.Purpose.LABORATORY) for number in ("AC-2026-0101", "SM-2026-0007")
    ]
    context["reported_samples"] = samples
    if Run.objects.filter(filename=DEMO_RUN).exists():
        return
    icpms = Method.objects.get(code="icpms-4acid")
    run = services.run_import(
        actor=technician, data=_csv(samples), filename=DEMO_RUN, instrument=instrument, method=icpms,
        prep_mass_g=PREP_MASS_G, prep_volume_ml=PREP_VOLUME_ML,
    )  # fmt: skip
    services.run_accept(actor=technician, run=run)
    for code, analytes in MANUAL.items():
        entries = [
            services.ManualEntry(
                sample=sample, analyte=Analyte.objects.get(symbol=symbol), value=Decimal(values[index]),
                unit=values[3], uncertainty=Decimal(values[2]),
            )
            for symbol, values in analytes.items()
            for index, sample in enumerate(samples)
        ]  # fmt: skip
        services.results_enter(actor=technician, method=Method.objects.get(code=code), entries=entries)
    # Moisture first: the dry values of the others follow from it.
    pending = Result.objects.filter(sample__in=samples, status=Result.Status.ENTERED)
    for result in sorted(pending, key=lambda r: r.analyte.symbol != "H2O"):
        services.result_approve(actor=reviewer, result=result)
    # A second run, left in preview: its CCV recovers 124 %, so QC fails.
    held = lots["AC-2026-0102"].samples.get(purpose=Sample.Purpose.LABORATORY)
    services.run_import(
        actor=technician, data=_csv([held], fail_ccv=True), filename=DEMO_FAILED_RUN, instrument=instrument,
        method=icpms, prep_mass_g=PREP_MASS_G, prep_volume_ml=PREP_VOLUME_ML,
    )  # fmt: skip
