"""The QC gate of a run: every check stored with its figures; a run passes only when all pass;
a failed run's results wait for a reviewer's written override."""

from decimal import Decimal

import pytest

from assays import services
from assays.models import CertifiedValue, ReferenceMaterial, Run
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from tests.assays.conftest import analyte, csv_file, import_run, qc_rows, sample_rows

# ug/L of digest per ppm of solid, for 0.25 g made up to 50 mL.
PER_PPM = 5


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_with(technician, instrument, icpms, sample, *rows):
    return import_run(technician, instrument, icpms, csv_file(*rows, *sample_rows(sample.code, ["La"])))


def test_a_clean_run_passes(technician, instrument, icpms, sample):
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"]))
    assert run.qc_status == Run.QCStatus.PASSED
    kinds = sorted(run.qc_checks.values_list("kind", flat=True))
    assert kinds == ["blank", "ccv_recovery"]
    assert all(run.qc_checks.values_list("passed", flat=True))


def test_a_run_without_any_qc_rows_does_not_pass(technician, instrument, icpms, sample):
    run = run_with(technician, instrument, icpms, sample)
    assert run.qc_status == Run.QCStatus.FAILED  # no evidence is no pass


def test_a_blank_above_its_limit_fails_the_run(technician, instrument, icpms, sample):
    # The La blank limit is 0.05 ug/L (method performance).
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"], blank="0.06"))
    assert run.qc_status == Run.QCStatus.FAILED
    blank = run.qc_checks.get(kind="blank")
    assert not blank.passed
    assert blank.figures["limit"] == "0.05" or blank.figures["limit"].startswith("0.05")


def test_a_blank_at_its_limit_passes(technician, instrument, icpms, sample):
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"], blank="0.049"))
    assert run.qc_checks.get(kind="blank").passed


@pytest.mark.parametrize(("measured", "passes"), [("11.0", True), ("11.1", False), ("9.0", True), ("8.9", False)])
def test_ccv_recovery_within_ten_percent(technician, instrument, icpms, sample, measured, passes):
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"], ccv=measured))
    assert run.qc_checks.get(kind="ccv_recovery").passed is passes
    assert (run.qc_status == Run.QCStatus.PASSED) is passes


def test_a_ccv_without_a_nominal_value_fails(technician, instrument, icpms, sample):
    run = run_with(technician, instrument, icpms, sample, "CalBlank,La,,ug/L,<,0.01,cal_blank", "CCV,La,10,ug/L,,,ccv")
    check = run.qc_checks.get(kind="ccv_recovery")
    assert not check.passed and "nominal" in check.message


def test_the_run_nominal_serves_unnamed_ccvs(technician, instrument, icpms, sample):
    run = import_run(
        technician, instrument, icpms,
        csv_file("CalBlank,La,,ug/L,<,0.01,cal_blank", "CCV,La,10.4,ug/L,,,ccv", *sample_rows(sample.code, ["La"])),
        ccv_nominal=Decimal("10"),
    )  # fmt: skip
    assert run.qc_status == Run.QCStatus.PASSED


def crm_row(ppm: str, symbol="Sb", crm="CCU-1f") -> str:
    return f"{crm},{symbol},{Decimal(ppm) * PER_PPM},ug/L,,,crm"


@pytest.mark.parametrize(
    ("sb_ppm", "passes"),
    # CCU-1f certifies Sb at 85.5 ppm without an uncertainty: +-10 %, 76.95 .. 94.05 ppm.
    [("94.05", True), ("94.06", False), ("76.95", True), ("76.94", False)],
)
def test_crm_recovery_without_a_certified_uncertainty_is_ten_percent(
    technician, instrument, icpms, sample, sb_ppm, passes
):
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"]), crm_row(sb_ppm))
    check = run.qc_checks.get(kind="crm_recovery")
    assert check.reference_material.name == "CCU-1f"
    assert check.passed is passes, check.figures
    assert (run.qc_status == Run.QCStatus.PASSED) is passes


@pytest.mark.parametrize(
    ("la_ppm", "passes"),
    # La 100 ppm +-4 (95 % CI) widened by the method's 10 % (k=2): sqrt(4² + 10²) = 10.7703 ppm.
    [("110.77", True), ("110.78", False), ("89.23", True), ("89.22", False)],
)
def test_crm_recovery_within_the_widened_certified_interval(technician, instrument, icpms, sample, la_ppm, passes):
    crm = ReferenceMaterial.objects.create(name="REE-TEST-1", producer="Test", matrix="Ore")
    CertifiedValue.objects.create(
        reference_material=crm, analyte=analyte("La"), value=100, unit="ppm", uncertainty=4, convention="ci95"
    )
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"]), crm_row(la_ppm, "La", "REE-TEST-1"))
    check = run.qc_checks.get(kind="crm_recovery")
    assert check.passed is passes, check.figures
    # Against a certified 100 ppm, the recovery in % is the measured content in ppm.
    assert Decimal(check.figures["recovery_pct"]).quantize(Decimal("0.01")) == Decimal(la_ppm)


def test_a_misspelt_crm_name_is_still_recognised(technician, instrument, icpms, sample):
    run = run_with(technician, instrument, icpms, sample, *qc_rows(["La"]), crm_row("85.5", crm="CCU 1f"))
    assert run.qc_checks.get(kind="crm_recovery").reference_material.name == "CCU-1f"


def test_duplicate_rpd_over_its_limit_fails(technician, instrument, icpms, sample):
    # 100 ug/L against 130 ug/L: RPD 26 %, far above 10x the detection limit (limit 10-20 %).
    rows = [*qc_rows(["La"]), f"{sample.code} DUP,La,130,ug/L,,0.01,duplicate"]
    run = import_run(
        technician, instrument, icpms,
        csv_file(*rows, f"{sample.code},La,100,ug/L,,0.01,sample"),
    )  # fmt: skip
    check = run.qc_checks.get(kind="duplicate_rpd")
    assert not check.passed
    assert run.qc_status == Run.QCStatus.FAILED


def test_the_operator_cannot_override_his_own_run(technician, manager, instrument, icpms, sample):
    run = run_with(manager, instrument, icpms, sample)
    with pytest.raises(NotPermitted):
        services.run_override_qc(actor=manager, run=run, reason="fine")


def test_an_override_needs_a_reason_and_a_failed_run(technician, reviewer, instrument, icpms, sample):
    failed = run_with(technician, instrument, icpms, sample)
    with pytest.raises(ApplicationError, match="why"):
        services.run_override_qc(actor=reviewer, run=failed, reason="  ")
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.FAILED

    services.run_override_qc(actor=reviewer, run=failed, reason="Blank failure on an element not reported.")
    failed.refresh_from_db()
    assert failed.qc_status == Run.QCStatus.OVERRIDDEN
    assert failed.override_by == reviewer

    with pytest.raises(Conflict):
        services.run_override_qc(actor=reviewer, run=failed, reason="again")


def test_technicians_cannot_override(technician, instrument, icpms, sample, manager):
    run = run_with(manager, instrument, icpms, sample)
    with pytest.raises(NotPermitted):
        services.run_override_qc(actor=technician, run=run, reason="looks fine to me")


def test_a_discarded_run_cannot_be_overridden(technician, reviewer, instrument, icpms, sample):
    run = run_with(technician, instrument, icpms, sample)
    services.run_discard(actor=technician, run=run)
    with pytest.raises(Conflict, match="discarded"):
        services.run_override_qc(actor=reviewer, run=run, reason="It was fine.")
    run.refresh_from_db()
    assert run.qc_status == Run.QCStatus.FAILED
