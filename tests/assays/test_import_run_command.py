"""`manage.py import_run`: a dry run prints what the file holds and touches nothing; a real import
makes a run in preview for the technician named; a hostile file stops with every problem listed."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assays.models import Run
from tests.assays.conftest import csv_file, qc_rows, sample_rows
from tests.assays.test_web_runs import nothing_stored


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def write(tmp_path, data: bytes, name="run.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def import_run(*args) -> str:
    out = StringIO()
    call_command("import_run", *map(str, args), stdout=out)
    return out.getvalue()


REAL_IMPORT = ["--user", "tess", "--instrument", "SG-1", "--method", "icpms-4acid"]
PREPARATION = ["--prep-mass-g", "0.25", "--prep-volume-ml", "50"]


def test_a_dry_run_prints_a_summary_and_touches_nothing(tmp_path, media, sample):
    path = write(tmp_path, csv_file(*qc_rows(["La", "Ce"]), *sample_rows(sample.code, ["La", "Ce"])))

    summary = json.loads(import_run(path, "--dry-run"))

    assert summary["format"] == "generic_long"
    # Measurements by what they are: the two consecutive lines of the sample are one measurement.
    assert {kind: n for kind, n in summary["rows_by_type"].items() if n} == {"cal_blank": 2, "ccv": 2, "sample": 1}
    assert [(a["analyte"], a["unit"]) for a in summary["analytes"]] == [("La", "ug/L"), ("Ce", "ug/L")]
    assert summary["sample_ids"] == [sample.code]
    assert nothing_stored(media)


def test_a_hostile_file_stops_the_command_with_its_problems(db, tmp_path, media):
    path = write(tmp_path, csv_file("S-1,La,5,ug/L,,,sample", "S-2,Xx,5,ug/L,,,sample"))

    with pytest.raises(CommandError) as refused:
        import_run(path, "--dry-run")

    # The problem with where it is, so the file can be fixed.
    message = str(refused.value)
    assert message.startswith("The file was not imported: row 3, analyte: ")
    assert "  row 3, analyte: “Xx” is not a chemical element symbol." in message.splitlines()
    assert nothing_stored(media)


def test_it_imports_a_run_for_the_technician_named(tmp_path, technician, instrument, icpms, sample):
    path = write(tmp_path, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"])))

    output = import_run(path, *REAL_IMPORT, *PREPARATION)

    run = Run.objects.get()
    assert output.strip() == f"Run {run.pk} imported for preview: QC passed."
    assert (run.operator, run.instrument, run.method, run.filename) == (technician, instrument, icpms, "run.csv")
    assert run.status == Run.Status.PREVIEW and run.prep_mass_g == Decimal("0.25")


def test_the_services_rules_hold_for_the_command_too(tmp_path, exporter, instrument, icpms, sample, media):
    path = write(tmp_path, csv_file(*sample_rows(sample.code, ["La"])))

    # Alice is no technician: the command imports nothing for her.
    with pytest.raises(CommandError, match="not allowed"):
        import_run(path, "--user", "alice", "--instrument", "SG-1", "--method", "icpms-4acid", *PREPARATION)
    assert nothing_stored(media)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--instrument", "SG-1", "--method", "icpms-4acid"], "an import needs --user"),
        (["--user", "tess", "--instrument", "NO-SUCH", "--method", "icpms-4acid"], "no instrument 'NO-SUCH'"),
        (["--user", "tess", "--instrument", "SG-1", "--method", "no-such"], "no method 'no-such'"),
    ],
    ids=["no-user", "unknown-instrument", "unknown-method"],
)
def test_a_real_import_needs_who_with_what(tmp_path, technician, instrument, sample, media, args, message):
    path = write(tmp_path, csv_file(*sample_rows(sample.code, ["La"])))

    with pytest.raises(CommandError, match=message):
        import_run(path, *args, *PREPARATION)
    assert nothing_stored(media)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"nothing\.csv: No such file"):
        import_run(tmp_path / "nothing.csv", "--dry-run")
