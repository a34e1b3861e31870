"""run_import: a file becomes a run in preview, whole or not at all."""

import hashlib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from assays.models import QCCheck, Reading, Run
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows
from tests.conftest import in_transit_to

DUPLICATED_HEADER = "sample,analyte,value,value,unit,qualifier,detection_limit,type"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def nothing_stored(media=None):
    no_rows = Run.objects.count() == 0 and Reading.objects.count() == 0 and QCCheck.objects.count() == 0
    no_files = media is None or not [p for p in media.rglob("*") if p.is_file()]
    return no_rows and no_files


def test_it_imports_a_run_for_preview(technician, instrument, icpms, sample):
    data = csv_file(*qc_rows(["La", "Ce"]), *sample_rows(sample.code, ["La", "Ce"]), "NOT-A-SAMPLE,La,5,ug/L,,,sample")
    run = import_run(technician, instrument, icpms, data)

    assert run.status == Run.Status.PREVIEW
    assert run.format == "generic_long"
    assert run.sha256 == hashlib.sha256(data).hexdigest()
    # The raw file is kept as it came.
    with default_storage.open(run.raw_file.name) as stored:
        assert stored.read() == data
    assert run.readings.count() == 7
    # The sample rows found their sample; the unknown id is listed, not guessed.
    assert set(run.readings.filter(row_type="sample", sample=sample).values_list("analyte__symbol", flat=True)) == {
        "La",
        "Ce",
    }
    assert [u["sample_name"] for u in run.unmatched] == ["NOT-A-SAMPLE"]
    assert not sample.results.exists()  # results come with acceptance, not before


def test_censored_values_are_never_zero(technician, instrument, icpms, sample):
    data = csv_file(
        f"{sample.code},La,,ug/L,<,0.004,sample",
        f"{sample.code},Ce,,ug/L,OR,,sample",
        f"{sample.code},Nd,,ug/L,NA,,sample",
        f"{sample.code},Pr,-0.003,ug/L,,,sample",
    )
    run = import_run(technician, instrument, icpms, data)
    by_symbol = {r.analyte.symbol: r for r in run.readings.all()}

    assert by_symbol["La"].qualifier == "<" and by_symbol["La"].value is None
    assert by_symbol["La"].detection_limit == Decimal("0.004")
    assert by_symbol["Ce"].qualifier == "OR" and by_symbol["Ce"].value is None
    assert by_symbol["Nd"].qualifier == "NA" and by_symbol["Nd"].value is None
    # A negative reading is kept as it is, and flagged.
    assert by_symbol["Pr"].value == Decimal("-0.003") and by_symbol["Pr"].negative
    assert not Reading.objects.filter(value=0).exists()


def test_the_same_file_twice_is_refused(technician, instrument, icpms, sample):
    data = csv_file(*sample_rows(sample.code, ["La"]))
    import_run(technician, instrument, icpms, data)

    with pytest.raises(Conflict, match="imported already"):
        import_run(technician, instrument, icpms, data, filename="renamed.csv")
    assert Run.objects.count() == 1


def test_a_discarded_file_may_be_imported_again(technician, instrument, icpms, sample):
    from assays import services

    data = csv_file(*sample_rows(sample.code, ["La"]))
    services.run_discard(actor=technician, run=import_run(technician, instrument, icpms, data))

    again = import_run(technician, instrument, icpms, data)
    assert again.status == Run.Status.PREVIEW


def test_an_instrument_past_its_calibration_is_refused(technician, instrument, icpms, sample):
    instrument.calibration_due = date.today() - timedelta(days=1)
    instrument.save()

    with pytest.raises(ApplicationError, match="calibration") as refused:
        import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))
    assert refused.value.field == "instrument"
    assert nothing_stored()


def test_an_instrument_due_today_is_still_accepted(technician, instrument, icpms, sample):
    instrument.calibration_due = date.today()
    instrument.save()
    assert import_run(technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))


def test_solution_units_need_the_preparation_factors(technician, instrument, icpms, sample):
    with pytest.raises(ApplicationError, match="digested mass") as refused:
        import_run(
            technician, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])),
            prep_mass_g=None, prep_volume_ml=None,
        )  # fmt: skip
    assert refused.value.extra["problems"]
    assert nothing_stored()


def test_per_mass_units_need_no_preparation_factors(technician, instrument, icpms, sample):
    data = csv_file(f"{sample.code},La,12.5,mg/kg,,,sample")
    run = import_run(technician, instrument, icpms, data, prep_mass_g=None, prep_volume_ml=None)
    assert run.readings.get().unit == "mg/kg"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff" * 100, "binary|not a text"),
        (csv_file("S-1,Xx,5,ug/L,,,sample"), "Xx"),
        (csv_file('S-1,La,=HYPERLINK("http://x"),ug/L,,,sample'), "formula"),
        # A formula where a value belongs; a sample name that starts like one is text (see the importers).
        (csv_file("S-1,La,@SUM(A1),ug/L,,,sample"), "formula"),
        (csv_file("S-1,La,five,ug/L,,,sample"), "number"),
        (b"a,b,c\n1,2,3\n", "format|column|recognis"),
        (csv_file("S-1,La,5,5,ug/L,,,sample", header=DUPLICATED_HEADER), "duplicat|twice|value"),
    ],
    ids=[
        "empty",
        "binary",
        "unknown-element",
        "formula-equals",
        "formula-at",
        "not-a-number",
        "wrong-columns",
        "duplicated-column",
    ],
)
def test_hostile_files_are_refused_whole(technician, instrument, icpms, media, data, expected):
    with pytest.raises(ApplicationError, match="not imported") as refused:
        import_run(technician, instrument, icpms, data)
    messages = " ".join(p["message"] for p in refused.value.extra["problems"])
    assert re.search(expected, messages, re.IGNORECASE), messages
    assert nothing_stored(media)


def test_an_oversized_file_is_refused_before_parsing(settings, technician, instrument, icpms, sample):
    settings.LIMS_IMPORT_MAX_BYTES = 2048
    data = csv_file(*[f"{sample.code},Ce,{i},ug/L,,,sample" for i in range(200)])
    with pytest.raises(ApplicationError) as refused:
        import_run(technician, instrument, icpms, data)
    assert "MB" in str(refused.value.extra["problems"]) or "limit" in str(refused.value.extra["problems"])
    assert nothing_stored()


def test_an_element_the_lab_does_not_report_is_refused(technician, instrument, icpms, sample):
    from assays.models import Analyte

    Analyte.objects.filter(symbol="Pm").update(active=False)
    with pytest.raises(ApplicationError) as refused:
        import_run(technician, instrument, icpms, csv_file(f"{sample.code},Pm,5,ug/L,,,sample"))
    problem = refused.value.extra["problems"][0]
    assert problem["row"] == 2 and "Pm" in problem["message"]
    assert nothing_stored()


def test_a_sample_on_hold_is_listed_not_matched(technician, instrument, icpms, lot, sampler):
    from samples import services as sample_services

    held = in_transit_to(lot, sampler, technician)
    sample_services.sample_receive(actor=technician, sample=held, seal_number_seen=held.seal_number, seal_intact=False)

    run = import_run(technician, instrument, icpms, csv_file(*sample_rows(held.code, ["La"])))
    assert run.readings.get().sample is None
    assert "on hold" in run.unmatched[0]["reason"]


def test_only_laboratory_staff_import(exporter, reviewer, instrument, icpms, sample):
    for outsider in (exporter, reviewer):
        with pytest.raises(NotPermitted):
            import_run(outsider, instrument, icpms, csv_file(*sample_rows(sample.code, ["La"])))
    assert nothing_stored()


def test_a_manual_method_cannot_be_imported(technician, instrument, sample):
    from assays.models import Method

    with pytest.raises(ApplicationError, match="by hand"):
        import_run(
            technician, instrument, Method.objects.get(code="fire-assay"), csv_file(*sample_rows(sample.code, ["Au"]))
        )
