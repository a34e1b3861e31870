"""Builders for runs and results. The cast is tests/conftest.py's: tess the technician imports and
enters, rita the reviewer approves, max the manager may do either (never on his own results)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from assays import services
from assays.models import Analyte, Instrument, Method, PanelEntry
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
def instrument(db):
    return Instrument.objects.create(
        name="ICP-MS 1", model="Agilent 7900", serial="SG-1", calibration_due=date.today() + timedelta(days=90)
    )


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
