"""The preview of a run lays the file out row by row, reading only the rows it shows."""

import pytest

from assays import selectors
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_lays_out_rows_and_analyte_columns(technician, instrument, icpms, sample):
    run = import_run(
        technician, instrument, icpms, csv_file(*qc_rows(["La", "Ce"]), *sample_rows(sample.code, ["La", "Ce"]))
    )

    preview = selectors.run_preview(run)

    assert preview.analytes == ["La", "Ce"]
    # One line per reading in the long layout: the QC lines, then the sample's two.
    names = ["CalBlank", "CCV 10 ppb", "CalBlank", "CCV 10 ppb", sample.code, sample.code]
    assert [row["reading"].sample_name for row in preview.rows] == names
    assert preview.total_rows == 6


def test_a_long_run_shows_its_first_rows_and_says_how_many_there_are(technician, instrument, icpms, sample):
    run = import_run(
        technician, instrument, icpms, csv_file(*qc_rows(["La", "Ce"]), *sample_rows(sample.code, ["La", "Ce"]))
    )

    preview = selectors.run_preview(run, limit_rows=2)

    # Two file rows; the count tells the page to say the rest is elsewhere.
    assert [row["reading"].sample_name for row in preview.rows] == ["CalBlank", "CCV 10 ppb"]
    assert preview.analytes == ["La"]  # only what the shown rows hold was read
    assert preview.total_rows == 6
