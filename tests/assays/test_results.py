"""Results: acceptance of runs, manual entry, the four-eyes rule, dry basis and reporting."""

from decimal import Decimal

import pytest

from assays import selectors, services
from assays.models import PanelEntry, Result, ResultEvent
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples.models import Sample
from tests.assays.conftest import analyte, csv_file, import_run, manual, qc_rows, sample_rows
from tests.conftest import in_transit_to, make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def accepted(technician, instrument, icpms, sample):
    """A QC-passed run with La (ICP-MS, in the panel) and Fe (not in the panel) for the sample."""
    data = csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La", "Fe"], value="500"))
    run = import_run(technician, instrument, icpms, data)
    services.run_accept(actor=technician, run=run)
    return run


def test_accepting_a_run_makes_results_in_the_panel_unit(accepted, sample):
    result = sample.results.get()
    # 500 ug/L x 50 mL / 0.25 g = 100 mg/kg, the panel reports La in ppm.
    assert result.analyte.symbol == "La"
    assert result.value_as_received == Decimal("100")
    assert result.unit == "ppm"
    # Dry basis waits for the moisture.
    assert result.basis == "dry" and result.value is None and result.basis_pending
    # The method's expanded uncertainty (10 %) travels with the value.
    assert result.uncertainty_as_received == Decimal("10")
    assert result.status == Result.Status.ENTERED and result.reading.run == accepted
    sample.refresh_from_db()
    assert sample.status == Sample.Status.IN_ANALYSIS
    assert sample.events.last().action == "analyse"


def test_a_run_is_accepted_once(accepted, technician):
    with pytest.raises(Conflict):
        services.run_accept(actor=technician, run=accepted)


def test_a_reassay_row_wins_over_the_first(technician, instrument, icpms, sample):
    data = csv_file(*qc_rows(["La"]), f"{sample.code},La,500,ug/L,,,sample", f"{sample.code},La,600,ug/L,,,sample")
    services.run_accept(actor=technician, run=import_run(technician, instrument, icpms, data))
    assert sample.results.get().value_as_received == Decimal("120")


def test_accepting_refuses_a_second_current_result(accepted, technician, instrument, icpms, sample):
    data = csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"], value="700"))
    second = import_run(technician, instrument, icpms, data)
    with pytest.raises(Conflict, match="already has a La result"):
        services.run_accept(actor=technician, run=second)
    second.refresh_from_db()
    assert second.status == "preview" and sample.results.count() == 1


def test_the_reviewer_approves_what_the_technician_entered(accepted, reviewer, technician, sample):
    manual(technician, "moisture", sample, H2O="8.0")
    moisture = sample.results.get(analyte__symbol="H2O")
    services.result_approve(actor=reviewer, result=moisture)

    la = sample.results.get(analyte__symbol="La")
    # The moisture's approval computed the dry value: 100 / (1 - 0.08) = 108.695...
    assert la.value.quantize(Decimal("0.001")) == Decimal("108.696")
    assert la.events.filter(action=ResultEvent.Action.DRY_BASIS).exists()

    services.result_approve(actor=reviewer, result=la, reason="ok")
    la.refresh_from_db()
    assert la.status == Result.Status.APPROVED and la.decided_by == reviewer
    assert list(la.events.values_list("action", flat=True)) == ["enter", "dry_basis", "approve"]


def test_nobody_approves_a_result_they_entered(technician, manager, sample, lab):
    # The manager may enter and approve, but never both on one result: no role bypasses this.
    manual(manager, "moisture", sample, H2O="8.0")
    result = sample.results.get()
    with pytest.raises(NotPermitted, match="second person"):
        services.result_approve(actor=manager, result=result)
    result.refresh_from_db()
    assert result.status == Result.Status.ENTERED


def test_nobody_approves_a_result_of_a_run_they_imported(manager, technician, instrument, icpms, sample):
    data = csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"]))
    run = import_run(manager, instrument, icpms, data)
    services.run_accept(actor=technician, run=run)  # accepted by another person
    result = sample.results.get()
    with pytest.raises(NotPermitted):
        services.result_approve(actor=manager, result=result)


def test_not_even_a_superuser_approves_his_own_result(superuser, technician, sample, lab):
    superuser.organisation = lab
    superuser.save()
    manual(superuser, "moisture", sample, H2O="8.0")
    with pytest.raises(NotPermitted):
        services.result_approve(actor=superuser, result=sample.results.get())


def test_the_database_refuses_four_eyes_violations_too(technician, sample):
    from django.db import IntegrityError, transaction

    manual(technician, "moisture", sample, H2O="8.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(sample=sample).update(status="approved", decided_by=technician)


def test_results_of_a_qc_failed_run_wait_for_an_override(technician, reviewer, instrument, icpms, sample):
    run = import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))
    services.run_accept(actor=technician, run=run)
    manual(technician, "moisture", sample, H2O="5")
    services.result_approve(actor=reviewer, result=sample.results.get(analyte__symbol="H2O"))
    la = sample.results.get(analyte__symbol="La")

    with pytest.raises(Conflict, match="failed QC"):
        services.result_approve(actor=reviewer, result=la)
    services.run_override_qc(actor=reviewer, run=run, reason="No QC rows: the CCV file was exported separately.")
    services.result_approve(actor=reviewer, result=la)
    la.refresh_from_db()
    assert la.status == Result.Status.APPROVED


def test_a_dry_basis_result_waits_for_the_moisture(accepted, reviewer, sample):
    with pytest.raises(Conflict, match="moisture"):
        services.result_approve(actor=reviewer, result=sample.results.get())


def test_rejection_needs_a_reason_and_allows_a_retest(accepted, reviewer, technician, instrument, icpms, sample):
    result = sample.results.get()
    with pytest.raises(ApplicationError, match="why"):
        services.result_reject(actor=reviewer, result=result, reason="")
    services.result_reject(actor=reviewer, result=result, reason="Drift after the CCV; rerun.")
    result.refresh_from_db()
    assert result.status == Result.Status.REJECTED and result.reason.startswith("Drift")

    retest = csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"], value="505"))
    services.run_accept(actor=technician, run=import_run(technician, instrument, icpms, retest))
    assert sample.results.filter(status="entered").get().value_as_received == Decimal("101")
    assert sample.results.count() == 2  # the rejected one stays as history


def test_manual_entry_converts_units_and_keeps_censored_values(technician, sample):
    entries = [
        services.ManualEntry(sample=sample, analyte=analyte("Au"), value=Decimal("5.2"), unit="ppm"),
        services.ManualEntry(sample=sample, analyte=analyte("Ag"), value=Decimal("1"), qualifier="<", unit="g/t"),
    ]
    from assays.models import Method

    au, ag = services.results_enter(actor=technician, method=Method.objects.get(code="fire-assay"), entries=entries)
    assert au.value_as_received == Decimal("5.2") and au.unit == "g/t"
    assert ag.qualifier == "<" and ag.value_as_received is None and ag.detection_limit_as_received == Decimal("1")


def test_manual_entry_is_all_or_nothing(technician, sample):
    from assays.models import Method

    entries = [
        services.ManualEntry(sample=sample, analyte=analyte("Au"), value=Decimal("5.2")),
        services.ManualEntry(sample=sample, analyte=analyte("La"), value=Decimal("5")),  # not a fire-assay analyte
    ]
    with pytest.raises(ApplicationError, match="not determined by"):
        services.results_enter(actor=technician, method=Method.objects.get(code="fire-assay"), entries=entries)
    assert not Result.objects.exists()
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED  # not even moved to analysis


def test_only_received_samples_take_results(technician, lot, sampler):
    in_transit = in_transit_to(lot, sampler, technician)
    with pytest.raises(Conflict, match="received with an intact or accepted seal"):
        manual(technician, "fire-assay", in_transit, Au="5")
    assert not Result.objects.exists()


def test_an_accepted_seal_problem_lets_results_in(technician, manager, lot, sampler):
    from samples import services as sample_services

    held = in_transit_to(lot, sampler, technician)
    sample_services.sample_receive(actor=technician, sample=held, seal_number_seen=held.seal_number, seal_intact=False)
    with pytest.raises(Conflict):
        manual(technician, "fire-assay", held, Au="5")
    sample_services.nonconformance_resolve(
        actor=manager, nonconformance=held.nonconformances.get(), accept=True, reason="Bag intact."
    )
    assert manual(technician, "fire-assay", held, Au="5")


def test_a_complete_approved_panel_reports_the_sample(technician, reviewer, instrument, icpms, sample):
    entries = PanelEntry.objects.filter(panel__code="copper-concentrate-export").select_related("analyte", "method")
    icp = [e.analyte.symbol for e in entries if e.method.code == "icpms-4acid"]
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(icp), *sample_rows(sample.code, icp)))
    services.run_accept(actor=technician, run=run)
    manual(technician, "moisture", sample, H2O="7.5")
    manual(technician, "titration-cu", sample, Cu="22.1")
    manual(technician, "fire-assay", sample, Au="4.2", Ag="<1")

    pending = sorted(sample.results.all(), key=lambda r: r.analyte.symbol != "H2O")
    for result in pending[:-1]:
        services.result_approve(actor=reviewer, result=result)
        sample.refresh_from_db()
        assert sample.status == Sample.Status.IN_ANALYSIS
    services.result_approve(actor=reviewer, result=pending[-1])
    sample.refresh_from_db()
    assert sample.status == Sample.Status.REPORTED
    assert sample.events.last().action == "report"
    assert selectors.panel_complete(sample)


def test_an_exporter_cannot_enter_or_approve(exporter, technician, sample):
    with pytest.raises(NotPermitted):
        manual(exporter, "fire-assay", sample, Au="5")
    manual(technician, "fire-assay", sample, Au="5")
    with pytest.raises(NotPermitted):
        services.result_approve(actor=exporter, result=sample.results.get())


def test_a_technician_cannot_approve(technician, sample, lab):
    other = make_user("toby", "technician", lab)
    manual(other, "fire-assay", sample, Au="5")
    with pytest.raises(NotPermitted):
        services.result_approve(actor=technician, result=sample.results.get())
