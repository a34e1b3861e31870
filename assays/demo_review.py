"""Demo of review and rejection, made through the services: the umpire split of lot AC-2026-0101 has
its moisture, Cu, Au and Ag entered by the technician and awaiting review (Cu waits for the moisture
on the review page, shown apart); its first Au was rejected by the reviewer with a reason and retested
(the retest linked to it), and its Ag was rejected and awaits its retest in the entry grid.
Idempotent: nothing is added once the split has results. `seed(context)` needs the users and lots
of lims.demo and samples.demo."""

from decimal import Decimal

from assays import services
from assays.models import Analyte, Method
from samples.models import Sample

AU_REJECTION = "Prill lost from the cupel during cupellation; repeat the fire assay from the pulp."
AG_REJECTION = "Ag above the fire-assay calibration: repeat with a smaller charge."


def _enter(actor, method: str, sample: Sample, values: dict[str, tuple[str, str | None]]):
    entries = [
        services.ManualEntry(
            sample=sample, analyte=Analyte.objects.get(symbol=symbol), value=Decimal(value),
            uncertainty=Decimal(uncertainty) if uncertainty else None,
        )
        for symbol, (value, uncertainty) in values.items()
    ]  # fmt: skip
    return services.results_enter(actor=actor, method=Method.objects.get(code=method), entries=entries)


def seed(context: dict) -> None:
    users, lots = context["users"], context["lots"]
    technician, reviewer = users["technician"], users["reviewer"]
    sample = lots["AC-2026-0101"].samples.get(purpose=Sample.Purpose.UMPIRE)
    context["review_sample"] = sample
    if sample.results.exists():
        return
    _enter(technician, "moisture", sample, {"H2O": ("8.137", "0.10")})
    _enter(technician, "titration-cu", sample, {"Cu": ("22.6148", "0.1311")})
    au, ag = _enter(technician, "fire-assay", sample, {"Au": ("6.0137", "0.2113"), "Ag": ("161.4", None)})
    services.result_reject(actor=reviewer, result=au, reason=AU_REJECTION)
    services.result_reject(actor=reviewer, result=ag, reason=AG_REJECTION)
    _enter(technician, "fire-assay", sample, {"Au": ("6.4052", "0.2113")})
