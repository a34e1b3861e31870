"""Builders for certificates. The cast is tests/conftest.py's: sam samples, tess imports and enters,
rita approves, max authorises the certificate; its `keys_dir` gives the development keys.

`reported_sample` goes the whole way through the real services, as the laboratory would: a sealed
laboratory split received at the lab, an ICP-MS run of the full copper-concentrate panel with its QC
rows, manual Cu, Au, Ag and moisture, every result approved by a second person. Unlike
tests.assays.conftest.report, the contents are the demo concentrate's, the manual results carry
their uncertainties and one rare earth is below its detection limit: what a printed certificate
must show. `certificate_row` freezes it into a certificate with its number and issue time set, as
the issue task has it when it renders.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from assays import demo
from assays.models import Instrument, PanelEntry
from certificates import snapshot, tokens
from certificates.models import Certificate
from lims.models import Organisation, User
from samples.models import Sample
from tests.assays.conftest import report
from tests.conftest import received

LAB_ADDRESS = "12 Abay Avenue, Almaty 050000, Kazakhstan"
EXPORTER_ADDRESS = "3 Industrial Zone, Aktogay 071300, Kazakhstan"
EXPORTER_REGISTRATION = "BIN 150440056789"
# The one ICP-MS element reported below its detection limit.
CENSORED = "Tm"
# method code: {analyte: (value as received, expanded uncertainty)}, in the panel's units.
MANUAL = {
    "moisture": {"H2O": ("8.42", "0.10")},
    "titration-cu": {"Cu": ("22.84", "0.12")},
    "fire-assay": {"Au": ("6.35", "0.21"), "Ag": ("74.0", "2.8")},
}


def _icpms_rows(sample: Sample) -> list[str]:
    """The sample's rows of the run, in µg/L of digest as the instrument reports them (0.25 g made
    up to 50 mL), one element censored."""
    entries = PanelEntry.objects.filter(panel__material=sample.lot.material, method__code="icpms-4acid")
    rows = []
    for entry in entries.select_related("analyte").order_by("position"):
        symbol = entry.analyte.symbol
        if symbol == CENSORED:
            rows.append(f"{sample.code},{symbol},,ug/L,<,0.01,sample")
            continue
        ppm = Decimal(demo.CONTENTS[symbol][0]) * (10000 if entry.unit == "%" else 1)
        rows.append(f"{sample.code},{symbol},{ppm * demo.UG_L_PER_PPM},ug/L,,,sample")
    return rows


def report_panel(sample: Sample, *, technician: User, reviewer: User, instrument: Instrument) -> Sample:
    """Analyse a received sample's full panel with the demo concentrate's contents and approve every
    result: the sample is reported."""
    return report(
        sample, technician=technician, reviewer=reviewer, instrument=instrument, rows=_icpms_rows(sample),
        manual_results=MANUAL,
    )  # fmt: skip


def freeze(
    sample: Sample,
    *,
    authoriser: User,
    number: str,
    amendment: dict | None = None,
    languages: tuple[str, str] = ("en", "ru"),
    **fields,
) -> Certificate:
    """A certificate of `sample` with its snapshot, number and issue time, as rendering finds it. In
    English first (and Russian second) unless `languages` says otherwise: the tests of what the
    certificate states read its English wording (tests/certificates/test_bilingual.py the others)."""
    frozen = snapshot.build(sample=sample, authoriser=authoriser, amendment=amendment, languages=languages)
    certificate = Certificate.objects.create(
        sample=sample,
        snapshot=frozen,
        snapshot_sha256=tokens.snapshot_sha256(frozen),
        number=number,
        issued_at=timezone.now(),
        requested_by=authoriser,
        status=Certificate.Status.RENDERING,
        **fields,
    )
    certificate.refresh_from_db()
    return certificate


@pytest.fixture
def lab_addresses(lab, exporter_org):
    """A certificate states where the laboratory and its customer are."""
    Organisation.objects.filter(pk=lab.pk).update(address=LAB_ADDRESS)
    Organisation.objects.filter(pk=exporter_org.pk).update(
        address=EXPORTER_ADDRESS, registration_number=EXPORTER_REGISTRATION
    )


@pytest.fixture
def reported_sample(lot, sampler, technician, reviewer, instrument, lab_addresses, keys_dir) -> Sample:
    """The laboratory split of `lot` with its full panel approved (keys_dir: run files go under tmp)."""
    sample = received(lot, sampler, technician)
    return report_panel(sample, technician=technician, reviewer=reviewer, instrument=instrument)


@pytest.fixture
def certificate_row(reported_sample, manager) -> Certificate:
    return freeze(reported_sample, authoriser=manager, number="KZL-2026-000001")
