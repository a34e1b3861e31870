"""A sample's preparation with its weights: drying gives the moisture result (four eyes still),
a failed sizing check blocks the method's analysis until a check passes, the aliquot's mass and
volume are the sample's factors in every run of the method, balances out of calibration weigh
nothing. tess prepares and imports, rita reviews, max manages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from assays import preparation, services
from assays.models import Balance, PreparationSpec, PreparationStep, Result
from assays.services import preparation as prep
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.models import AuditEvent
from samples.models import Sample
from tests.assays.conftest import csv_file, import_run, qc_rows
from tests.conftest import received

D = Decimal


@pytest.fixture
def balance(db):
    return Balance.objects.create(
        name="Prep balance 2", model="Sartorius Quintix", serial="SQ-0042", calibration_due=date.today() + timedelta(90)
    )


@pytest.fixture
def spec(icpms):
    """ICP-MS wants every step, the pulp at least 85 % passing 75 µm, and its samples' own aliquots."""
    return PreparationSpec.objects.create(method=icpms, screen_um=75, min_passing_pct=D("85"))


def _dry(technician, sample, balance, *, tare="120.00", wet="620.00", dry="580.00"):
    return prep.prep_drying(
        actor=technician, sample=sample, balance=balance, tare_g=D(tare), wet_g=D(wet), dry_g=D(dry),
        temperature_c=D("105"), duration_min=240,
    )  # fmt: skip


def _size(technician, sample, method, balance, *, screened="100.00", retained):
    return prep.prep_sizing(
        actor=technician, sample=sample, method=method, balance=balance, screened_g=D(screened), retained_g=D(retained)
    )


def _aliquot(technician, sample, method, balance, *, mass="0.2000", volume="100"):
    return prep.prep_aliquot(
        actor=technician, sample=sample, method=method, balance=balance, mass_g=D(mass), volume_ml=D(volume)
    )


def _la_run(technician, instrument, icpms, *codes, value="12.5", **kwargs):
    rows = [*qc_rows(["La"]), *(f"{code},La,{value},ug/L,,,sample" for code in codes)]
    return import_run(technician, instrument, icpms, csv_file(*rows), filename=f"{'-'.join(codes)}.csv", **kwargs)


# Drying --------------------------------------------------------------------------------------


def test_drying_computes_the_moisture_from_the_weights(technician, sample, balance):
    step = _dry(technician, sample, balance)

    # (620.00 - 580.00) / (620.00 - 120.00) x 100 = 40 / 500 x 100
    assert step.moisture_pct == D("8.00")
    result = Result.objects.get(sample=sample, analyte__symbol="H2O")
    assert step.result == result
    assert result.value_as_received == D("8.00") and result.unit == "%"
    assert result.status == Result.Status.ENTERED and result.entered_by == technician
    assert result.method.code == "moisture"
    assert AuditEvent.objects.filter(action="preparation.record", object_id=str(step.pk)).exists()
    sample.refresh_from_db()
    assert "prepare" in list(sample.events.values_list("action", flat=True))


def test_the_moisture_from_drying_follows_the_four_eyes_rule(technician, reviewer, sample, balance):
    step = _dry(technician, sample, balance, tare="118.40", wet="642.15", dry="603.33")
    result = step.result

    with pytest.raises(NotPermitted):
        services.result_approve(actor=technician, result=result)
    services.result_approve(actor=reviewer, result=result)

    result.refresh_from_db()
    assert result.status == Result.Status.APPROVED and result.decided_by == reviewer
    # (642.15 - 603.33) / (642.15 - 118.40) x 100 = 38.82 / 523.75 x 100
    assert result.value_as_received == D("7.41193317")


def test_drying_refuses_impossible_weights(technician, sample, balance):
    with pytest.raises(ApplicationError) as heavier:
        _dry(technician, sample, balance, dry="630.00")
    assert heavier.value.field == "dry_g"
    with pytest.raises(ApplicationError) as below_tare:
        _dry(technician, sample, balance, wet="110.00")
    assert below_tare.value.field == "wet_g"
    assert not PreparationStep.objects.exists() and not Result.objects.exists()


def test_a_second_drying_waits_for_the_first_moisture_to_be_rejected(technician, reviewer, sample, balance):
    first = _dry(technician, sample, balance)
    with pytest.raises(Conflict, match="already has a H2O result"):
        _dry(technician, sample, balance, dry="585.00")
    services.result_reject(actor=reviewer, result=first.result, reason="Tray not cooled in the desiccator")

    second = _dry(technician, sample, balance, dry="585.00")

    assert second.moisture_pct == D("7.00")
    assert PreparationStep.objects.filter(sample=sample, kind="drying").count() == 2


# Balances ------------------------------------------------------------------------------------


def test_a_balance_past_its_calibration_date_is_refused(technician, sample, balance):
    balance.calibration_due = date.today() - timedelta(days=1)
    balance.save()

    with pytest.raises(ApplicationError) as refused:
        _dry(technician, sample, balance)

    assert refused.value.field == "balance"
    assert "Prep balance 2 (SQ-0042)" in refused.value.message
    assert balance.calibration_due.isoformat() in refused.value.message
    assert not PreparationStep.objects.exists() and not Result.objects.exists()


def test_a_balance_due_today_still_weighs(technician, sample, balance, icpms, spec):
    balance.calibration_due = date.today()
    balance.save()
    assert _aliquot(technician, sample, icpms, balance).mass_g == D("0.2000")


def test_a_balance_out_of_service_is_refused(technician, sample, balance, icpms, spec):
    balance.active = False
    balance.save()
    with pytest.raises(ApplicationError, match="out of service") as refused:
        _aliquot(technician, sample, icpms, balance)
    assert refused.value.field == "balance"


# Sizing --------------------------------------------------------------------------------------


def test_a_sizing_check_is_judged_against_the_methods_specification(technician, sample, balance, icpms, spec):
    failed = _size(technician, sample, icpms, balance, retained="20.00")
    passed = _size(technician, sample, icpms, balance, retained="15.00")

    assert (failed.passing_pct, failed.passed, failed.screen_um, failed.required_pct) == (D("80"), False, 75, D("85"))
    # Exactly the specification passes.
    assert (passed.passing_pct, passed.passed) == (D("85"), True)


def test_a_failed_sizing_blocks_analysis_until_a_check_passes(technician, instrument, sample, balance, icpms, spec):
    _aliquot(technician, sample, icpms, balance)
    _size(technician, sample, icpms, balance, retained="28.00")
    run = _la_run(technician, instrument, icpms, sample.code)

    with pytest.raises(Conflict, match=f"{sample.code} failed its sizing check") as refused:
        services.run_accept(actor=technician, run=run)
    assert "72.0 % passing 75 µm" in refused.value.message
    assert not Result.objects.exists()
    # No aliquot of a pulp too coarse either.
    with pytest.raises(Conflict, match="failed its sizing check"):
        _aliquot(technician, sample, icpms, balance)

    _size(technician, sample, icpms, balance, retained="9.50")
    results = services.run_accept(actor=technician, run=run)

    assert [r.analyte.symbol for r in results] == ["La"]
    # Both checks stay in the record, the failed one first.
    assert list(sample.prep_steps.filter(kind="sizing").values_list("passed", flat=True)) == [False, True]


def test_a_failed_sizing_blocks_manual_entry_of_that_method_only(technician, sample, balance):
    from assays.models import Method
    from tests.assays.conftest import manual

    fire = Method.objects.get(code="fire-assay")
    PreparationSpec.objects.create(method=fire, screen_um=75, min_passing_pct=D("90"), requires_aliquot=False)
    _size(technician, sample, fire, balance, retained="12.00")  # 88 % < 90 %

    with pytest.raises(Conflict, match="failed its sizing check for fire-assay"):
        manual(technician, "fire-assay", sample, Au="5.20")
    # Titration has no failed check: its entry goes on.
    assert manual(technician, "titration-cu", sample, Cu="22.50")
    _size(technician, sample, fire, balance, retained="8.00")
    (au,) = manual(technician, "fire-assay", sample, Au="5.20")
    assert au.value_as_received == D("5.20")


def test_sizing_needs_a_specification(technician, sample, balance, icpms):
    with pytest.raises(ApplicationError, match="no sizing specification") as refused:
        _size(technician, sample, icpms, balance, retained="5")
    assert refused.value.field == "method"


# Aliquot factors in runs ---------------------------------------------------------------------


def test_the_aliquot_is_the_samples_factors_in_a_run(technician, instrument, sample, balance, icpms, spec):
    _aliquot(technician, sample, icpms, balance, mass="0.2000", volume="100")
    # The run's typed figures (the CRM digests') are not the sample's.
    run = _la_run(technician, instrument, icpms, sample.code, prep_mass_g=D("0.25"), prep_volume_ml=D("50"))

    (result,) = services.run_accept(actor=technician, run=run)

    # 12.5 ug/L x 0.100 L / 0.2000 g = 6.25 ug/g = 6.25 ppm (the run's 0.25 g in 50 mL would give 2.5)
    assert result.value_as_received == D("6.25") and result.unit == "ppm"
    assert preparation.run_preparation(run).factors[sample.pk].source == preparation.FROM_PREPARATION


def test_a_run_needs_no_typed_figures_when_the_samples_were_weighed(
    technician, instrument, sample, balance, icpms, spec
):
    _aliquot(technician, sample, icpms, balance, mass="0.2500", volume="50")
    run = _la_run(technician, instrument, icpms, sample.code, prep_mass_g=None, prep_volume_ml=None)

    (result,) = services.run_accept(actor=technician, run=run)

    assert result.value_as_received == D("2.5")


def test_the_latest_aliquot_counts(technician, instrument, sample, balance, icpms, spec):
    _aliquot(technician, sample, icpms, balance, mass="0.2000", volume="100")
    _aliquot(technician, sample, icpms, balance, mass="0.2500", volume="100")
    run = _la_run(technician, instrument, icpms, sample.code, prep_mass_g=None, prep_volume_ml=None)

    (result,) = services.run_accept(actor=technician, run=run)

    assert result.value_as_received == D("5")  # 12.5 x 0.1 / 0.25


def test_a_run_names_the_samples_that_lack_their_factors(
    technician, instrument, sample, balance, icpms, spec, lot, sampler
):
    other = received(lot, sampler, technician)
    _aliquot(technician, sample, icpms, balance)
    run = _la_run(technician, instrument, icpms, sample.code, other.code, prep_mass_g=D("0.25"), prep_volume_ml=D("50"))

    found = preparation.run_preparation(run)
    assert [s.code for s in found.missing] == [other.code]
    with pytest.raises(Conflict) as refused:
        services.run_accept(actor=technician, run=run)

    assert other.code in refused.value.message and sample.code not in refused.value.message
    assert refused.value.extra["missing_factors"] == [other.code]
    assert not Result.objects.exists()
    run.refresh_from_db()
    assert run.status == "preview"


def test_without_a_preparation_spec_the_runs_typed_figures_still_apply(technician, instrument, sample, icpms):
    run = _la_run(technician, instrument, icpms, sample.code, prep_mass_g=D("0.25"), prep_volume_ml=D("50"))

    (result,) = services.run_accept(actor=technician, run=run)

    assert result.value_as_received == D("2.5")
    assert preparation.run_preparation(run).factors[sample.pk].source == preparation.FROM_RUN


def test_a_crm_in_solution_still_needs_the_runs_figures(technician, instrument, sample, balance, icpms, spec):
    _aliquot(technician, sample, icpms, balance)
    rows = [*qc_rows(["La"]), f"{sample.code},La,12.5,ug/L,,,sample", "OREAS 502c,La,6.6,ug/L,,,crm"]
    with pytest.raises(ApplicationError, match="CRM digests"):
        import_run(technician, instrument, icpms, csv_file(*rows), prep_mass_g=None, prep_volume_ml=None)


# Who prepares --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "sampler", "exporter"])
def test_only_technicians_and_managers_prepare(who, request, sample, balance, icpms, spec):
    with pytest.raises(NotPermitted):
        _aliquot(request.getfixturevalue(who), sample, icpms, balance)
    assert not PreparationStep.objects.exists()


def test_a_sample_not_received_is_not_prepared(technician, lot, sampler, balance, icpms, spec):
    from tests.conftest import sealed_split

    sealed = sealed_split(lot, sampler)
    with pytest.raises((Conflict, NotPermitted)):
        _aliquot(technician, sealed, icpms, balance)
    sealed.refresh_from_db()
    assert sealed.status == Sample.Status.SEALED


# Pages and API -------------------------------------------------------------------------------


def _field_errors(response, name: str) -> str:
    import lxml.html

    doc = lxml.html.fromstring(response.content)
    groups = [
        div
        for div in doc.xpath("//div[contains(concat(' ', @class, ' '), ' has-error ')]")
        if div.xpath(f".//*[@name='{name}']")
    ]
    return " ".join(" ".join(g.xpath(".//ul[contains(@class, 'errorlist')]//text()")) for g in groups)


def test_the_page_records_a_drying_and_shows_it(client, technician, sample, balance):
    client.force_login(technician)
    url = f"/samples/{sample.code}/preparation/"
    form = {
        "drying-balance": balance.pk, "drying-tare_g": "120.00", "drying-wet_g": "620.00", "drying-dry_g": "580.00",
        "drying-temperature_c": "105", "drying-duration_min": "240", "drying-note": "",
    }  # fmt: skip

    response = client.post(f"{url}drying/", form)

    assert response.status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    assert "8.00 %" in page.content.decode()
    assert Result.objects.get(sample=sample, analyte__symbol="H2O").value_as_received == D("8.00")


def test_the_page_shows_a_refused_balance_next_to_its_field(client, technician, sample, balance):
    balance.calibration_due = date.today() - timedelta(days=3)
    balance.save()
    client.force_login(technician)
    form = {
        "drying-balance": balance.pk, "drying-tare_g": "120.00", "drying-wet_g": "620.00", "drying-dry_g": "580.00",
        "drying-temperature_c": "105", "drying-duration_min": "240",
    }  # fmt: skip

    response = client.post(f"/samples/{sample.code}/preparation/drying/", form)

    assert response.status_code == 400
    assert balance.calibration_due.isoformat() in _field_errors(response, "drying-balance")
    assert not PreparationStep.objects.exists()


def test_the_page_shows_a_dry_mass_above_the_wet_one_next_to_its_field(client, technician, sample, balance):
    client.force_login(technician)
    form = {
        "drying-balance": balance.pk, "drying-tare_g": "120.00", "drying-wet_g": "620.00", "drying-dry_g": "630.00",
        "drying-temperature_c": "105", "drying-duration_min": "240",
    }  # fmt: skip

    response = client.post(f"/samples/{sample.code}/preparation/drying/", form)

    assert response.status_code == 400
    assert "cannot weigh more than the wet one" in _field_errors(response, "drying-dry_g")


def test_exporters_do_not_see_the_preparation_page(client, exporter, sample):
    client.force_login(exporter)
    assert client.get(f"/samples/{sample.code}/preparation/").status_code == 403


def _api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_records_the_steps_and_reads_the_record(technician, sample, balance, icpms, spec):
    api = _api(technician)
    base = f"/api/v1/samples/{sample.code}/preparation/"

    sized = api.post(
        f"{base}sizing/", {"method": icpms.code, "balance": balance.serial, "screened_g": "50", "retained_g": "10"}
    )
    weighed = api.post(
        f"{base}aliquot/", {"method": icpms.code, "balance": balance.serial, "mass_g": "0.2", "volume_ml": "50"}
    )
    record = api.get(base)

    # 40 / 50 = 80 % < 85 %: failed, and the aliquot of a pulp too coarse is refused with the reason.
    assert sized.status_code == 201 and sized.json()["passed"] is False
    assert weighed.status_code == 409 and "failed its sizing check" in weighed.json()["message"]
    (row,) = [m for m in record.json()["methods"] if m["method"] == icpms.code]
    assert "blocked" in row and "80.0 % passing 75 µm" in row["blocked"]


def test_the_api_refuses_a_balance_past_its_date(technician, sample, balance, icpms, spec):
    balance.calibration_due = date.today() - timedelta(days=1)
    balance.save()

    response = _api(technician).post(
        f"/api/v1/samples/{sample.code}/preparation/aliquot/",
        {"method": icpms.code, "balance": balance.serial, "mass_g": "0.2", "volume_ml": "50"},
    )

    assert response.status_code == 400
    assert "SQ-0042" in response.json()["message"] and balance.calibration_due.isoformat() in response.json()["message"]


def test_the_run_api_names_the_samples_without_factors(
    technician, reviewer, instrument, sample, balance, icpms, spec, lot, sampler
):
    other = received(lot, sampler, technician)
    _aliquot(technician, sample, icpms, balance, mass="0.2500", volume="50")
    run = _la_run(technician, instrument, icpms, sample.code, other.code, prep_mass_g=None, prep_volume_ml=None)

    body = _api(reviewer).get(f"/api/v1/runs/{run.pk}/preparation/").json()
    accept = _api(technician).post(f"/api/v1/runs/{run.pk}/accept/", {}, format="json")

    assert body["ready"] is False and body["missing_factors"] == [other.code]
    assert {r["sample"]: r["source"] for r in body["samples"]} == {sample.code: "preparation", other.code: None}
    assert accept.status_code == 409 and other.code in accept.json()["message"]


def test_exporters_get_nothing_of_preparation(exporter, sample, technician, instrument, icpms):
    run = _la_run(technician, instrument, icpms, sample.code, prep_mass_g=D("0.25"), prep_volume_ml=D("50"))
    assert _api(exporter).get(f"/api/v1/samples/{sample.code}/preparation/").status_code == 403
    assert _api(exporter).get(f"/api/v1/runs/{run.pk}/preparation/").status_code == 403


def test_the_run_page_names_the_samples_without_factors(
    client, technician, instrument, sample, balance, icpms, spec, lot, sampler
):
    other = received(lot, sampler, technician)
    _aliquot(technician, sample, icpms, balance, mass="0.2500", volume="50")
    run = _la_run(technician, instrument, icpms, sample.code, other.code, prep_mass_g=None, prep_volume_ml=None)
    client.force_login(technician)

    page = client.get(f"/runs/{run.pk}/").content.decode()
    refused = client.post(f"/runs/{run.pk}/accept/")

    assert "This run cannot be accepted yet" in page and f"no digested mass and final volume for {other.code}" in page
    assert "0.2500 g" in page
    assert refused.status_code == 409 and other.code in refused.content.decode()


@pytest.mark.parametrize(
    "sql", ["UPDATE {table} SET moisture_pct = 2.00 WHERE id = %s", "DELETE FROM {table} WHERE id = %s"]
)
def test_postgresql_refuses_rewriting_a_recorded_step(technician, sample, balance, sql):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (assays 0014)")
    step = _dry(technician, sample, balance)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=PreparationStep._meta.db_table), [step.pk])

    assert PreparationStep.objects.get(pk=step.pk).moisture_pct == D("8.00")
