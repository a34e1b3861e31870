"""Demo of QC over time: twenty earlier ICP-MS runs of the demo instrument, accepted, one a day
ending three days ago, each with OREAS 502c read for La and Ce (their CRM checks judged by
assays.qc as at import); the lab manager fixed La's baseline from them, Ce's is left for the manager
to fix (the README's manager journey). Against La's baseline (mean 99.8 %, SD 0.82 %) the demo's
accepted run and its run in preview both read 101.5 % (33.6 of 33.1 ppm), beyond +2 SD: the run in
preview shows "Westgard 2-2s" on its QC page.

The earlier runs stand for the laboratory's past months: they are stored as accepted runs holding
their QC checks (and their QC rows as the run's file), not imported sample by sample. Idempotent:
nothing is added once they exist. `seed(context)` needs the users of lims.demo and the instrument of
assays.demo (made here when missing)."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from assays import qc
from assays.demo import demo_instrument
from assays.models import (
    Analyte,
    CertifiedValue,
    Method,
    MethodAnalyte,
    QCCheck,
    ReferenceMaterial,
    Run,
)
from assays.services.baselines import control_baseline_fix

HISTORY = "demo-history-{:02d}.csv"
CRM = "OREAS 502c"
# Recoveries (%) of the twenty earlier runs, alternating: La mean 99.8, SD 0.82; Ce mean 100, SD 1.54.
RECOVERY = {"La": (Decimal("99.0"), Decimal("100.6")), "Ce": (Decimal("98.5"), Decimal("101.5"))}
REASON = "First twenty runs of OREAS 502c after the instrument's annual service."


def seed(context: dict) -> None:
    users = context["users"]
    technician, manager = users["technician"], users["manager"]
    if Run.objects.filter(filename=HISTORY.format(1)).exists():
        return
    instrument = demo_instrument()
    icpms = Method.objects.get(code="icpms-4acid")
    crm = ReferenceMaterial.objects.get(name=CRM)
    analytes = {symbol: Analyte.objects.get(symbol=symbol) for symbol in RECOVERY}
    certified = {
        value.analyte.symbol: value
        for value in CertifiedValue.objects.filter(reference_material=crm, analyte__in=analytes.values())
    }
    performance = {
        symbol: MethodAnalyte.objects.filter(method=icpms, analyte=analyte)
        .values_list("rel_uncertainty_pct", flat=True)
        .first()
        for symbol, analyte in analytes.items()
    }
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    runs = []
    for i in range(20):
        at = today - timedelta(days=23 - i)
        name = HISTORY.format(i + 1)
        lines = ["sample,analyte,value,unit,qualifier,detection_limit,type,acquired_at"]
        checks = []
        for symbol, pair in RECOVERY.items():
            value = certified[symbol]
            measured = pair[i % 2] * value.value / 100
            lines.append(f"{CRM},{symbol},{measured},{value.unit},,,crm,{at.isoformat(timespec='seconds')}")
            outcome = qc.crm_recovery(
                measured, qualifier="", certified=value.value, uncertainty=value.uncertainty,
                convention=value.convention, method_rel_uncertainty_pct=performance[symbol],
            )  # fmt: skip
            checks.append(
                QCCheck(
                    kind=outcome.kind, analyte=analytes[symbol], subject=CRM, reference_material=crm,
                    passed=outcome.passed, figures=outcome.figures, message=outcome.message, acquired_at=at,
                    text_key=outcome.key, text_params=outcome.params,
                )
            )  # fmt: skip
        data = ("\n".join(lines) + "\n").encode()
        run = Run(
            instrument=instrument, method=icpms, operator=technician, filename=name,
            sha256=hashlib.sha256(data).hexdigest(), format="generic-csv", status=Run.Status.ACCEPTED,
            qc_status=Run.QCStatus.PASSED, imported_at=at, accepted_by=technician, accepted_at=at,
            summary={"rows_by_type": {"crm": len(RECOVERY)}},
        )  # fmt: skip
        run.raw_file.save(name, ContentFile(data), save=False)
        run.save()
        for check in checks:
            check.run = run
        QCCheck.objects.bulk_create(checks)
        runs.append(run)
    control_baseline_fix(
        actor=manager, kind="crm", method=icpms, analyte=analytes["La"], reference_material=crm, runs=runs,
        reason=REASON,
    )  # fmt: skip
