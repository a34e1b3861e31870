"""What ISO/IEC 17025 asks of the certificate beyond 7.8.2.1, read back from the rendered PDF with
poppler: the customer's information marked and disclaimed (7.8.2.2), the dry mass said to be computed
from it, the wet mass's source, the ICP-MS method identified by the laboratory's procedure code and
revision, the accreditation when configured, every split of the composite with its seal; and the
snapshot refusing what the certificate could not print."""

import shutil
import subprocess
from pathlib import Path

import pytest

from assays.models import Method
from certificates import document, services
from certificates import snapshot as snapshots
from certificates.models import Certificate
from lims.exceptions import ApplicationError
from lims.models import User
from samples import services as sample_services
from samples.models import Lot
from tests.conftest import make_lot, register_splits, require_or_skip

from .conftest import freeze, report_panel

NUMBER = "KZL-2026-000007"
TICKET = "weighbridge ticket WB-2026-0142"
DISCLAIMER = (
    "† Supplied by the customer (ISO/IEC 17025 7.8.2.2). The laboratory is not responsible for information "
    "supplied by the customer; it can affect the validity of the results derived from it, such as the dry mass "
    "of the lot."
)
RLO = "\u202e"


def text_of(certificate: Certificate, tmp_path: Path) -> str:
    """The rendered certificate's text as poppler extracts it in reading order (a box at a time, not
    the page's columns side by side), whitespace collapsed."""
    require_or_skip(bool(shutil.which("pdftotext")), "pdftotext (poppler-utils)")
    path = tmp_path / f"{certificate.number}.pdf"
    path.write_bytes(document.render_certificate(certificate, token="LIMS1:TEST"))
    extracted = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", path.name, "-"], cwd=tmp_path, capture_output=True, check=True
    )
    return " ".join(extracted.stdout.decode().split())


@pytest.fixture
def split_lot(exporter, exporter_org):
    return make_lot(
        actor=exporter, exporter_org=exporter_org, wet_mass_source=TICKET, origin="Aktogay concentrator",
        contract_reference="C-2026-17", export_licence_number="EL-0042", destination_country="CN",
    )  # fmt: skip


@pytest.fixture
def composite_splits(split_lot, sampler, technician, reviewer, instrument, lab_addresses, keys_dir):
    """A composite split four ways under seal; the laboratory's split received and its panel reported."""
    _, splits = register_splits(split_lot, sampler, purposes=("laboratory", "exporter", "buyer", "umpire"))
    laboratory = splits[0]
    laboratory = sample_services.sample_hand_over(
        actor=sampler, sample=laboratory, to_user=technician, seal_number_seen=laboratory.seal_number
    )
    laboratory = sample_services.sample_receive(
        actor=technician, sample=laboratory, seal_number_seen=laboratory.seal_number, seal_intact=True,
        location="Lab reception",
    )  # fmt: skip
    report_panel(laboratory, technician=technician, reviewer=reviewer, instrument=instrument)
    return splits


@pytest.fixture
def certificate(composite_splits, manager) -> Certificate:
    return freeze(composite_splits[0], authoriser=manager, number=NUMBER)


def test_the_customers_information_is_marked_and_disclaimed(certificate, tmp_path):
    text = text_of(certificate, tmp_path)
    lot = certificate.snapshot["lot"]

    # Each value the exporter declared carries the dagger (the reading order puts a box's labels
    # before its values, so values are looked for without their labels)...
    for marked in (
        "HS / ТН ВЭД 2603.00 †",
        "Aktogay concentrator †",
        f"{lot['wet_mass_t']} t †, per {TICKET} / по документу: {TICKET} †",
        "China (CN) / Китай (CN) †",  # the destination in both of the certificate's languages
        "C-2026-17 †",
        "EL-0042 †",
    ):
        assert marked in text, marked
    # ...and the dagger is explained in the standard's terms.
    assert DISCLAIMER in text
    # The lot number identifies the lot; it is not a measured or declared property.
    assert f"{lot['number']} †" not in text


def test_the_dry_mass_says_how_it_was_computed(certificate, tmp_path):
    text = text_of(certificate, tmp_path)
    lot, moisture = certificate.snapshot["lot"], certificate.snapshot["moisture"]

    # 5000.000 t at 8.42 % moisture as received.
    assert lot["dry_mass_t"] == "4579.000"
    assert f"Dry mass of the lot / Масса партии сухая {lot['dry_mass_t']} t" in text
    assert f"from wet {lot['wet_mass_t']} t из влажной массы {lot['wet_mass_t']} t †" in text
    assert "Dry mass: the customer's wet mass † less the laboratory's moisture." in text
    assert f"Moisture / Влажность (H₂O) {moisture['value']} %" in text


def test_the_icp_ms_method_is_identified_by_the_laboratorys_procedure(certificate, tmp_path):
    text = text_of(certificate, tmp_path)

    # Reference data (assays migration 0007) gives the in-house method its procedure and revision.
    assert "ICP-MS after four-acid digestion / ИСП-МС после разложения четырьмя кислотами SOP-ICPMS-01 rev. 1" in text
    assert "ISO 10258" in text
    assert "in-house procedure" not in text


def test_a_revised_procedure_prints_its_revision(composite_splits, manager, tmp_path):
    Method.objects.filter(code="icpms-4acid").update(procedure_code="KZL-SOP-017", procedure_revision="4")

    text = text_of(freeze(composite_splits[0], authoriser=manager, number=NUMBER), tmp_path)

    assert "KZL-SOP-017 rev. 4" in text


def test_a_method_identified_by_nothing_is_refused(composite_splits, manager):
    Method.objects.filter(code="icpms-4acid").update(procedure_code="", procedure_revision="")

    with pytest.raises(ApplicationError, match="ICP-MS after four-acid digestion has neither a standard nor"):
        snapshots.build(sample=composite_splits[0], authoriser=manager)


def test_the_accreditation_prints_when_configured(composite_splits, manager, settings, tmp_path):
    settings.LIMS_ACCREDITATION_BODY = "National Center for Accreditation (NCA), Kazakhstan"
    settings.LIMS_ACCREDITATION_NUMBER = "KZ.T.02.0123"

    accredited = freeze(composite_splits[0], authoriser=manager, number=NUMBER)

    assert accredited.snapshot["laboratory"]["accreditation"] == {
        "body": "National Center for Accreditation (NCA), Kazakhstan",
        "number": "KZ.T.02.0123",
    }
    assert (
        "ISO/IEC 17025 accreditation No. KZ.T.02.0123, National Center for Accreditation (NCA), Kazakhstan"
    ) in text_of(accredited, tmp_path)


def test_no_accreditation_is_claimed_when_none_is_configured(certificate, tmp_path):
    assert certificate.snapshot["laboratory"]["accreditation"] is None
    assert "accreditation No." not in text_of(certificate, tmp_path)


def test_every_split_of_the_composite_is_listed_with_its_seal(certificate, composite_splits, tmp_path):
    text = text_of(certificate, tmp_path)

    assert [split["code"] for split in certificate.snapshot["sample"]["splits"]] == [s.code for s in composite_splits]
    laboratory, exporter, buyer, umpire = composite_splits
    # The tested split with its seal and condition, then every other split of the composite.
    assert f"{laboratory.code}, laboratory split of composite {laboratory.parent.code}" in text
    assert f"{laboratory.seal_number}, seal intact" in text
    for split, purpose in ((exporter, "exporter"), (buyer, "buyer"), (umpire, "umpire")):
        assert f"{split.code} {purpose}: seal {split.seal_number}" in text


def test_the_certificate_still_fits_three_pages(composite_splits, manager, settings, tmp_path):
    settings.LIMS_ACCREDITATION_BODY = "National Center for Accreditation (NCA), Kazakhstan"
    settings.LIMS_ACCREDITATION_NUMBER = "KZ.T.02.0123"
    certificate = freeze(composite_splits[0], authoriser=manager, number=NUMBER)
    require_or_skip(bool(shutil.which("pdfinfo")), "pdfinfo (poppler-utils)")
    path = tmp_path / "c.pdf"
    path.write_bytes(document.render_certificate(certificate, token="LIMS1:TEST"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()

    # Four splits, the marks and their note, and the accreditation, in two languages: three pages.
    assert "Pages: 3" in " ".join(info.split())


# Text that cannot be printed ------------------------------------------------------------------


def test_the_snapshot_refuses_a_value_the_certificate_cannot_print(composite_splits, manager):
    # Registered before the check existed, or written by hand in the database.
    Lot.objects.filter(pk=composite_splits[0].lot_id).update(origin=f"Aktogay {RLO}rotartnecnoc")

    with pytest.raises(ApplicationError) as refused:
        snapshots.build(sample=composite_splits[0], authoriser=manager)

    assert refused.value.message == (
        "lot.origin cannot go on a certificate: U+202E RIGHT-TO-LEFT OVERRIDE cannot be printed on a "
        "certificate. Correct the lot first."
    )


def test_a_name_the_fonts_cannot_draw_is_refused_before_the_certificate_is_requested(
    composite_splits, manager, reviewer, dispatched
):
    User.objects.filter(pk=reviewer.pk).update(last_name="한")

    with pytest.raises(ApplicationError, match=r"results\.approved_by cannot go on a certificate: U\+D55C HANGUL"):
        services.certificate_request(actor=manager, sample=composite_splits[0])

    # Nothing requested: no certificate that would print a box where the approver's name is.
    assert not Certificate.objects.exists() and dispatched == []


def test_a_reason_may_span_lines_but_a_name_may_not(composite_splits, manager):
    amendment = {"supersedes": "KZL-2026-000001", "reason": "Au re-assayed.\nCupel fault in the first assay."}
    assert snapshots.build(sample=composite_splits[0], authoriser=manager, amendment=amendment)["amendment"]

    User.objects.filter(pk=manager.pk).update(first_name="Max\nMaximilian")
    manager.refresh_from_db()
    with pytest.raises(ApplicationError, match=r"authorised_by\.name cannot go on a certificate: U\+000A LINE FEED"):
        snapshots.build(sample=composite_splits[0], authoriser=manager)


# The snapshot's schema ------------------------------------------------------------------------


def test_a_snapshot_of_the_first_schema_is_still_read_and_printed(certificate, tmp_path):
    # A certificate frozen before this schema: no customer_supplied, splits, accreditation or procedure.
    old = dict(certificate.snapshot, schema="lims.coa/1")
    for key in ("customer_supplied",):
        old.pop(key)
    old["results"] = [
        {k: v for k, v in row.items() if k not in ("procedure_code", "procedure_revision")} for row in old["results"]
    ]
    Certificate.objects.filter(pk=certificate.pk).update(snapshot=old)
    certificate.refresh_from_db()

    text = text_of(certificate, tmp_path)

    # It is printed as it was: unmarked, and the in-house method as it was then identified.
    assert "†" not in text and "in-house procedure" in text
