"""Builders for runs and results. The cast is tests/conftest.py's: tess the technician imports and
enters, rita the reviewer approves, max the manager may do either (never on his own results)."""

from decimal import Decimal

import pytest

from assays import services
from assays.models import Analyte, Method, PanelEntry
from tests.conftest import received

HEADER = "sample,analyte,value,unit,qualifier,detection_limit,type"


def icpms_symbols() -> list[str]:
    return list(
        PanelEntry.objects.filter(panel__code="copper-concentrate-export", method__code="icpms-4acid")
        .order_by("position")
        .values_list("analyte__symbol", flat=True)
    )


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def qc_rows(symbols, *, blank="", ccv="10.0") -> list[str]:
    """A calibration blank below the limits and a CCV at 100 % for each analyte."""
    rows = []
    for s in symbols:
        rows.append(f"CalBlank,{s},{blank},ug/L,{'<' if not blank else ''},{'0.01' if not blank else ''},cal_blank")
        rows.append(f"CCV 10 ppb,{s},{ccv},ug/L,,,ccv")
    return rows


def sample_rows(code: str, symbols, value="100") -> list[str]:
    return [f"{code},{s},{value},ug/L,,,sample" for s in symbols]


@pytest.fixture
def icpms(db):
    return Method.objects.get(code="icpms-4acid")


@pytest.fixture
def sample(lot, sampler, technician):
    """A laboratory split received at the lab with its seal intact."""
    return received(lot, sampler, technician)


def import_run(actor, instrument, method, data: bytes, **kwargs):
    kwargs.setdefault("prep_mass_g", Decimal("0.25"))
    kwargs.setdefault("prep_volume_ml", Decimal("50"))
    return services.run_import(
        actor=actor, data=data, filename=kwargs.pop("filename", "run.csv"), instrument=instrument, method=method,
        **kwargs,
    )  # fmt: skip


def analyte(symbol: str) -> Analyte:
    return Analyte.objects.get(symbol=symbol)


def manual(actor, method_code: str, sample, **values):
    """Enter manual results, e.g. manual(tess, "fire-assay", s, Au="5.2", Ag="40")."""
    entries = []
    for symbol, text in values.items():
        qualifier = "<" if text.startswith("<") else ""
        entries.append(
            services.ManualEntry(
                sample=sample, analyte=analyte(symbol), value=Decimal(text.lstrip("<")), qualifier=qualifier
            )
        )
    return services.results_enter(actor=actor, method=Method.objects.get(code=method_code), entries=entries)


def report(sample, *, technician, reviewer, instrument, moisture="8.0", rows=None, manual_results=None):
    """Carry a received sample through the whole panel: an ICP-MS run with passing QC for every
    ICP-MS analyte (`rows`: the sample's rows of the run; by default every analyte at 100 ug/L), the
    manual results (`manual_results`: {method code: {symbol: (value, uncertainty or None)}}; by
    default moisture, Cu, Au and Ag), every result approved by the reviewer, moisture first. The
    sample ends reported, ready for a certificate."""
    symbols = list(
        PanelEntry.objects.filter(panel__material=sample.lot.material, method__code="icpms-4acid")
        .order_by("position")
        .values_list("analyte__symbol", flat=True)
    )
    rows = [*qc_rows(symbols), *(rows or sample_rows(sample.code, symbols, value="100"))]
    run = import_run(
        technician, instrument, Method.objects.get(code="icpms-4acid"), csv_file(*rows), filename=f"{sample.code}.csv"
    )
    services.run_accept(actor=technician, run=run)
    manual_results = manual_results or {
        "moisture": {"H2O": (moisture, None)},
        "titration-cu": {"Cu": ("22.50", None)},
        "fire-assay": {"Au": ("5.20", None), "Ag": ("41.0", None)},
    }
    for code, values in manual_results.items():
        entries = [
            services.ManualEntry(
                sample=sample, analyte=analyte(symbol), value=Decimal(value),
                uncertainty=Decimal(uncertainty) if uncertainty else None,
            )
            for symbol, (value, uncertainty) in values.items()
        ]  # fmt: skip
        services.results_enter(actor=technician, method=Method.objects.get(code=code), entries=entries)
    pending = sorted(sample.results.filter(status="entered"), key=lambda r: r.analyte.symbol != "H2O")
    for result in pending:
        services.result_approve(actor=reviewer, result=result)
    sample.refresh_from_db()
    assert sample.status == "reported", sample.status
    return sample
