"""Instrument files as other laboratories export them, through the import service to the stored numbers: a
MassHunter dilution series with empty and over-range cells, `<0.000`, exact zeros, readings only a person can
choose between, a Syngistix workbook whose factored sheet is per sample mass, files from another vendor's
instrument, runs that would create nothing, withdrawal, and values no sample can have.

The cast is tests/conftest.py's: tess imports, rita reviews, the sample is a laboratory split received intact.
The digest is 0.25 g made up to 50 mL (tests.assays.conftest.import_run), so 1 ug/L of solution is 0.2 ppm."""

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command

from assays import services, tasks
from assays.models import Method, MethodAnalyte, Reading, ReadingChoice, Result, Run
from lims.exceptions import ApplicationError, Conflict
from tests.assays.conftest import csv_file, import_run, manual, qc_rows

D = Decimal


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# A MassHunter batch as the 7900 exports it: two header rows, Total Dil. per row, La and Ce in He mode.
MH_GROUPS = ",,,,,,,,139  La  [ He ] ,,,140  Ce  [ He ] ,,,45  Sc ( ISTD )  [ He ] ,"
MH_SUBS = (
    ",Rjct,Data File,Acq. Date-Time,Type,Level,Sample Name,Total Dil.,CPS,Conc. [ ppb ],Conc. RSD,"
    "CPS,Conc. [ ppb ],Conc. RSD,CPS,CPS RSD"
)


def masshunter(*rows: str) -> bytes:
    """rows: "type,name,dilution,La,Ce" (cells as MassHunter prints them)."""
    lines = [MH_GROUPS, MH_SUBS]
    for number, row in enumerate(("CalBlk,Cal Blank,1,<0.000,<0.000", "CCV,CCV 10 ppb,1,10.1,9.9", *rows), start=1):
        kind, name, dilution, la, ce = row.split(",")
        lines.append(
            f",FALSE,{number:03d}SMPL.d,3/14/2026 10:{number:02d},{kind},,{name},{dilution},1000,{la},1.2,1000,{ce},1.1,"
            "350000,0.9"
        )
    return ("\n".join(lines) + "\n").encode()


def result(sample, symbol) -> Result:
    return sample.results.get(analyte__symbol=symbol, status__in=["entered", "approved"])


def test_a_dilution_series_reports_the_lowest_dilution_in_range(technician, instrument, icpms, sample):
    data = masshunter(
        # La saturates at x2 (OR), reads at x10 and x100; Ce is empty at x2 and x10, reads at x100.
        f"Sample,{sample.code},2,OR,",
        f"Sample,{sample.code},10,1523.4,",
        f"Sample,{sample.code},100,1498.0,452.1",
        f"Sample,{sample.code},1000,1510,<0.5",
    )
    run = import_run(technician, instrument, icpms, data, filename="series.csv")
    services.run_accept(actor=technician, run=run)

    # La from x10: 1523.4 ug/L x 50 mL / 0.25 g = 304.68 ppm; never the OR row, never the last row.
    la = result(sample, "La")
    assert la.value_as_received == D("304.68")
    assert la.reading.dilution_factor == D("10") and la.reading.row == 6
    # Ce from x100, the lowest dilution with a value: the empty cells replace nothing.
    assert result(sample, "Ce").value_as_received == D("90.42")
    why = dict(run.readings.filter(sample_name=sample.code, analyte__symbol="La").values_list("row", "choice"))
    assert why[5].startswith("not chosen: over") and why[6].startswith("chosen: lowest dilution")
    assert "re-assayed" not in why[7] and why[7].startswith("not chosen")


def test_dilutions_that_disagree_wait_for_the_technician_who_says_why(technician, reviewer, instrument, icpms, sample):
    data = masshunter(f"Sample,{sample.code},2,<0.02,3.1", f"Sample,{sample.code},100,50.0,3.0")
    run = import_run(technician, instrument, icpms, data, filename="disagree.csv")

    with pytest.raises(Conflict, match=f"Choose the reading to report .*{sample.code} La"):
        services.run_accept(actor=technician, run=run)
    assert not Result.objects.exists()

    at_100 = run.readings.get(sample_name=sample.code, analyte__symbol="La", dilution_factor=100)
    with pytest.raises(ApplicationError, match="Say why"):
        services.run_choose_reading(actor=technician, run=run, reading=at_100, reason=" ")
    services.run_choose_reading(actor=technician, run=run, reading=at_100, reason="x2 aspirated air (autosampler log)")
    decision = ReadingChoice.objects.get()
    assert (decision.chosen_by, decision.reading) == (technician, at_100)
    services.run_accept(actor=technician, run=run)

    la = result(sample, "La")
    assert la.value_as_received == D("10.00") and la.reading == at_100  # 50 ug/L x 0.2
    # A person chose it: the reviewer must confirm, and the approval records that it was confirmed.
    assert "technician_choice" in la.flags
    manual(technician, "moisture", sample, H2O="8.0")
    services.result_approve(actor=reviewer, result=result(sample, "H2O"))
    with pytest.raises(Conflict, match="confirm the value"):
        services.result_approve(actor=reviewer, result=la)
    services.result_approve(actor=reviewer, result=la, confirm_flags=True)


def test_a_limit_printed_as_zero_takes_the_methods_limit(technician, instrument, icpms, sample):
    MethodAnalyte.objects.filter(method=icpms, analyte__symbol="Ce").update(detection_limit=D("0.002"))
    data = masshunter(f"Sample,{sample.code},10,12.0,<0.000")
    run = import_run(technician, instrument, icpms, data, filename="zero-limit.csv")

    ce = run.readings.get(sample_name=sample.code, analyte__symbol="Ce")
    # 0.002 ug/L at x10 is 0.02 ug/L in the instrument's dilution-corrected figures, and the reading says so.
    assert (ce.qualifier, ce.detection_limit) == ("<", D("0.02"))
    assert "printed <0.000" in ce.note and "0.002 ug/L" in ce.note
    services.run_accept(actor=technician, run=run)
    ce_result = result(sample, "Ce")
    assert ce_result.detection_limit_as_received == D("0.004")  # never "< 0"
    assert "method_limit" in ce_result.flags


def test_a_limit_printed_as_zero_without_a_method_limit_is_refused(technician, instrument, icpms, sample):
    MethodAnalyte.objects.filter(method=icpms, analyte__symbol="Ce").update(detection_limit=None)
    data = masshunter(f"Sample,{sample.code},10,12.0,<0.000", f"Sample,{sample.code},100,13.0,<0.000")
    with pytest.raises(ApplicationError) as refused:
        import_run(technician, instrument, icpms, data, filename="zero-limit.csv")
    (problem,) = refused.value.extra["problems"]
    assert (problem["row"], problem["column"]) == (5, "140 Ce [ He ] Conc. [ ppb ]")
    # One problem for the column, saying how many rows share it.
    assert "rounded to zero (2 rows" in problem["message"] and "icpms-4acid" in problem["message"]
    assert not Run.objects.exists()


def test_an_exact_zero_is_a_measured_zero_the_reviewer_confirms(technician, reviewer, instrument, icpms, sample):
    run = import_run(technician, instrument, icpms, masshunter(f"Sample,{sample.code},1,0.000,1.5"), filename="z.csv")
    services.run_accept(actor=technician, run=run)
    la = result(sample, "La")
    assert (la.qualifier, la.value_as_received, la.flags) == ("", D("0"), ["zero"])
    manual(technician, "moisture", sample, H2O="8.0")
    services.result_approve(actor=reviewer, result=result(sample, "H2O"))

    with pytest.raises(Conflict, match="exact zero"):
        services.result_approve(actor=reviewer, result=la)
    services.result_approve(actor=reviewer, result=la, confirm_flags=True)
    assert la.events.get(action="approve").data == {"confirmed_flags": ["zero"]}


def test_a_reading_outside_the_calibrated_range_is_flagged(technician, instrument, icpms, sample):
    # Calibrated to 100 ug/L: 2400 ppb at x2 was 1200 ug/L in the tube, and it is the only La reading.
    MethodAnalyte.objects.filter(method=icpms, analyte__symbol="La").update(range_low=D("0.01"), range_high=100)
    run = import_run(technician, instrument, icpms, masshunter(f"Sample,{sample.code},2,2400,1.5"), filename="r.csv")
    services.run_accept(actor=technician, run=run)
    assert result(sample, "La").flags == ["outside_range"]
    assert result(sample, "Ce").flags == []


def test_an_export_from_another_vendors_instrument_is_refused_with_both_names(technician, instrument, icpms):
    from tests.assays.importers import fixture

    with pytest.raises(ApplicationError) as refused:
        import_run(technician, instrument, icpms, fixture("qtegra_semicolon.csv"), filename="qtegra.csv")
    message = refused.value.message
    assert "Thermo Fisher export" in message and "Agilent 7900" in message and "Agilent instrument" in message


# Syngistix: the factored sheet is per sample mass ---------------------------------------------


def syngistix_report(code: str, *, unfactored=True) -> bytes:
    header = [" ", "Sample Id", "R", "Acquisition Time", "QC Status", "Dataset File", "Method File", "La 139\n(mg/L)"]
    rows = [
        ["1", "BLK", "", "13/04/24 09:00:05 AM", "", "C:\\D\\BLK.1", "REE.mth", "0.00001"],
        ["2", "CCV 10 ppb", "", "13/04/24 09:03:10 AM", "", "C:\\D\\CCV.2", "REE.mth", "0.0101"],
        ["3", code, "", "13/04/24 09:06:00 AM", "", f"C:\\D\\{code}.3", "REE.mth", "0.1523"],
    ]
    book = openpyxl.Workbook()
    book.remove(book.active)
    factored = book.create_sheet("Concentrations")
    factored.append(header)
    for row in rows:
        # The sample was weighed 0.25 g into 50 mL: Syngistix multiplied it by 200 and kept the mg/L label.
        factor = 200 if row[1] == code else 1
        factored.append([*row[:7], f"{D(row[7]) * factor}"])
    if unfactored:
        plain = book.create_sheet("Unfactored Concentrations")
        plain.append(header)
        for row in rows:
            plain.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_factored_syngistix_sheet_is_never_multiplied_again(technician, instrument, icpms, sample):
    instrument.model = "PerkinElmer NexION 350X"
    instrument.save()
    data = syngistix_report(sample.code)
    run = import_run(technician, instrument, icpms, data, filename="report.xlsx")
    services.run_accept(actor=technician, run=run)

    # 30.46 mg/kg of the sample, as the sheet says; the old importer made it 6092 ppm (200-fold).
    la = result(sample, "La")
    assert la.value_as_received == D("30.46")
    assert (la.reading.unit, la.reading.basis) == ("mg/kg", "solid")


def test_the_method_basis_is_checked_against_the_file(technician, instrument, icpms, sample):
    instrument.model = "PerkinElmer NexION 350X"
    instrument.save()
    Method.objects.filter(pk=icpms.pk).update(export_basis="solution")
    icpms.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:
        import_run(technician, instrument, icpms, syngistix_report(sample.code), filename="report.xlsx")
    message = refused.value.extra["problems"][0]["message"]
    assert "“Concentrations”" in message and "per sample mass" in message and "per litre of solution" in message


def test_a_lone_syngistix_sheet_is_refused_naming_what_to_export(technician, instrument, icpms, sample):
    instrument.model = "PerkinElmer NexION 350X"
    instrument.save()
    book = openpyxl.load_workbook(io.BytesIO(syngistix_report(sample.code)))
    text = "\n".join(
        ",".join(f'"{cell}"' for cell in row) for row in book["Concentrations"].iter_rows(values_only=True)
    )
    with pytest.raises(ApplicationError, match="Export the whole report workbook"):
        import_run(technician, instrument, icpms, text.encode(), filename="concentrations.csv")


# Runs that cannot be undone ---------------------------------------------------------------------


def test_a_run_whose_rows_name_no_sample_is_not_accepted(technician, instrument, icpms, sample):
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(["La"]), "NOBODY-1,La,5,ug/L,,,sample"))
    with pytest.raises(Conflict, match="would create no result"):
        services.run_accept(actor=technician, run=run)
    run.refresh_from_db()
    assert run.status == "preview"


def test_an_accepted_run_is_withdrawn_and_its_file_imported_again(
    technician, reviewer, manager, instrument, icpms, sample
):
    data = csv_file(*qc_rows(["La"]), f"{sample.code},La,100,ug/L,,,sample")
    run = import_run(technician, instrument, icpms, data)
    services.run_accept(actor=technician, run=run)

    with pytest.raises(ApplicationError, match="Say why"):
        services.run_withdraw(actor=manager, run=run, reason="")
    services.run_withdraw(actor=manager, run=run, reason="Imported under the aqua-regia method by mistake")

    run.refresh_from_db()
    assert (run.status, run.withdrawn_by, run.withdraw_reason) == (
        "withdrawn",
        manager,
        "Imported under the aqua-regia method by mistake",
    )
    gone = Result.objects.get(run=run)
    assert gone.status == "withdrawn" and gone.events.filter(action="withdraw").exists()
    # The same file again: a new run, and new results.
    again = import_run(technician, instrument, icpms, data)
    services.run_accept(actor=technician, run=again)
    la = result(sample, "La")
    assert la.run == again

    # Once a result of the run is approved, the run stays.
    manual(technician, "moisture", sample, H2O="8.0")
    services.result_approve(actor=reviewer, result=result(sample, "H2O"))
    services.result_approve(actor=reviewer, result=la)
    with pytest.raises(Conflict, match="approved already"):
        services.run_withdraw(actor=manager, run=again, reason="too late")


def test_reviewers_do_not_withdraw_runs(technician, reviewer, instrument, icpms, sample):
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(["La"]), f"{sample.code},La,100,ug/L,,,sample"))
    services.run_accept(actor=technician, run=run)
    from lims.exceptions import NotPermitted

    with pytest.raises(NotPermitted):
        services.run_withdraw(actor=reviewer, run=run, reason="not mine to withdraw")


# Values no sample can have -------------------------------------------------------------------


def test_a_moisture_outside_0_to_100_is_refused(technician, sample):
    with pytest.raises(ApplicationError, match="not between 0 and 100") as refused:
        manual(technician, "moisture", sample, H2O="120")
    assert refused.value.field == "value"
    assert not Result.objects.exists()


def test_a_content_above_100_percent_is_refused(technician, sample):
    with pytest.raises(ApplicationError, match="more than the whole sample"):
        manual(technician, "titration-cu", sample, Cu="101.5")


def test_contents_and_moisture_above_the_whole_sample_are_refused(technician, sample):
    manual(technician, "moisture", sample, H2O="45")
    with pytest.raises(ApplicationError, match=r"add up to 105\.00 %"):
        manual(technician, "titration-cu", sample, Cu="60")
    assert sample.results.count() == 1


def test_an_imported_content_above_100_percent_refuses_the_acceptance(technician, instrument, icpms, sample):
    # 6,000,000 ug/L x 0.2 = 1,200,000 ppm = 120 %: a unit or dilution mistake, never a content.
    run = import_run(
        technician, instrument, icpms, csv_file(*qc_rows(["La"]), f"{sample.code},La,6000000,ug/L,,,sample")
    )
    with pytest.raises(ApplicationError, match="more than the whole sample"):
        services.run_accept(actor=technician, run=run)
    assert not Result.objects.exists()


# Queued imports and the dry run --------------------------------------------------------------


def test_an_upload_is_parsed_by_the_imports_task_once(technician, instrument, icpms, sample):
    data = csv_file(*qc_rows(["La"]), f"{sample.code},La,100,ug/L,,,sample")
    run = services.run_upload(
        actor=technician, data=data, filename="run.csv", instrument=instrument, method=icpms,
        prep_mass_g=D("0.25"), prep_volume_ml=D("50"),
    )  # fmt: skip
    assert (run.status, run.qc_status, run.readings.count()) == ("queued", "pending", 0)

    assert tasks.import_run_file(run.pk) == "preview"
    # A redelivered task finds the run done and leaves it.
    assert tasks.import_run_file(run.pk) == "preview"
    run.refresh_from_db()
    assert (run.status, run.qc_status, run.readings.count()) == ("preview", "passed", 3)


def test_a_refused_upload_keeps_its_problems_and_no_reading(technician, instrument, icpms):
    run = services.run_upload(
        actor=technician, data=csv_file("S-1,Xx,5,ug/L,,,sample"), filename="bad.csv", instrument=instrument,
        method=icpms, prep_mass_g=D("0.25"), prep_volume_ml=D("50"),
    )  # fmt: skip
    assert tasks.import_run_file(run.pk) == "refused"
    run.refresh_from_db()
    assert [(p["row"], p["column"]) for p in run.problems] == [(2, "analyte")]
    assert not Reading.objects.exists()


def test_the_dry_run_prints_every_reading_with_the_chosen_one(tmp_path, db, sample):
    path = tmp_path / "series.csv"
    path.write_bytes(masshunter(f"Sample,{sample.code},2,OR,", f"Sample,{sample.code},10,1523.40,12"))
    out = io.StringIO()
    call_command("import_run", str(path), "--dry-run", "--method", "icpms-4acid", stdout=out)
    body = json.loads(out.getvalue())

    la = [r for r in body["readings"] if r["sample_id"] == sample.code and r["analyte"] == "La"]
    assert [(r["row"], r["value"], r["qualifier"], r["dilution_factor"], r["chosen"]) for r in la] == [
        (5, None, "OR", "2", False),
        (6, "1523.40", "", "10", True),
    ]
    first = la[0]
    assert {key: first[key] for key in ("type", "isotope", "unit", "basis", "detection_limit")} == {
        "type": "sample",
        "isotope": "139",
        "unit": "ppb",
        "basis": "solution",
        "detection_limit": None,
    }
    assert body["format"] == "agilent_masshunter" and body["undecided"] == 0


# Two-level check standards ----------------------------------------------------------------------


def test_a_two_level_ccv_is_checked_against_each_analytes_level(technician, instrument, icpms, sample):
    # La is a trace element (20 ppb level), Zn a major one (1000 ppb level); Ce has no level set.
    MethodAnalyte.objects.filter(method=icpms, analyte__symbol="La").update(check_level="low")
    MethodAnalyte.objects.filter(method=icpms, analyte__symbol="Zn").update(check_level="high")
    rows = [
        "CalBlank,La,,ug/L,<,0.01,cal_blank",
        "CalBlank,Zn,,ug/L,<,0.01,cal_blank",
        "CalBlank,Ce,,ug/L,<,0.01,cal_blank",
        "CCV 20 ppb / 1000 ppb,La,20.5,ug/L,,,ccv",
        "CCV 20 ppb / 1000 ppb,Zn,1012,ug/L,,,ccv",
        "CCV 20 ppb / 1000 ppb,Ce,20.1,ug/L,,,ccv",
        f"{sample.code},La,100,ug/L,,,sample",
    ]
    run = import_run(technician, instrument, icpms, csv_file(*rows))
    checks = {c.analyte.symbol: c for c in run.qc_checks.filter(kind="ccv_recovery")}
    # Each against its own nominal: 20.5/20 and 1012/1000 both within 10 %.
    assert checks["La"].passed and checks["La"].figures["expected"] == "20"
    assert checks["Zn"].passed and checks["Zn"].figures["expected"] == "1000"
    # Without a level the check cannot be made, so it fails and says what to set: never a guess.
    assert not checks["Ce"].passed


def test_a_moisture_below_its_detection_limit_is_refused(technician, sample):
    # A censored moisture would leave every dry-basis result without a value, and the lot without a dry mass.
    with pytest.raises(ApplicationError, match="A moisture is a measured value") as refused:
        manual(technician, "moisture", sample, H2O="<0.01")
    assert refused.value.extra == {"field": "value", "sample": sample.code, "analyte": "H2O"}
    assert not Result.objects.exists()
