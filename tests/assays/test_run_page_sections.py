"""The run's page lays a run out in sections a page at a time: its QC checks (failures first, open
when any failed), results, sample readings and the file's rows, each paged on its own query
parameter and folded until asked for, so a full-panel run is a page a tablet opens at once."""

import pytest
from django.urls import reverse

from assays import services
from assays.models import Run
from assays.views import RUN_SECTION_SIZE
from tests.assays.conftest import csv_file, icpms_symbols, import_run, qc_rows, sample_rows
from tests.assays.test_web_runs import by_class, page, table_rows


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def symbols(db):
    # The full ICP-MS panel: more sample and analyte pairs than a section's page holds.
    symbols = icpms_symbols()
    assert len(symbols) > RUN_SECTION_SIZE
    return symbols


def section(doc, name: str):
    (details,) = doc.xpath(f"//details[@id='{name}']")
    return details


def run_page(client, run: Run, **query):
    response = client.get(reverse("run_detail", kwargs={"run_pk": run.pk}), query)
    assert response.status_code == 200
    return page(response)


def test_a_failed_check_comes_first_and_its_section_is_open(client, technician, instrument, icpms, sample, symbols):
    # Every analyte's CCV recovers 100 % but the last one's, at 124 %.
    rows = [*qc_rows(symbols[:-1]), *qc_rows(symbols[-1:], ccv="12.4"), *sample_rows(sample.code, symbols)]
    run = import_run(technician, instrument, icpms, csv_file(*rows))
    client.force_login(technician)

    qc = section(run_page(client, run), "qc")

    assert qc.get("open") is not None
    checks = table_rows(by_class(qc, "table", "qc-checks")[0])
    assert len(checks) == RUN_SECTION_SIZE
    assert checks[0][:4] == ["CCV recovery", symbols[-1], "CCV 10 ppb", "FAIL"]
    assert all(row[3] == "pass" for row in checks[1:])
    assert "1 failed" in qc.xpath("summary")[0].text_content()
    # The next pages hold the rest, all passed: one blank and one CCV check per analyte in all.
    pages = -(-2 * len(symbols) // RUN_SECTION_SIZE)
    rest = [
        row
        for number in range(2, pages + 1)
        for row in table_rows(by_class(section(run_page(client, run, qc_page=number), "qc"), "table", "qc-checks")[0])
    ]
    assert len(checks) + len(rest) == run.qc_checks.count() == 2 * len(symbols)
    assert [row[3] for row in rest] == ["pass"] * len(rest)


def test_readings_and_file_rows_page_and_open_where_paged(client, technician, instrument, icpms, sample, symbols):
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(symbols), *sample_rows(sample.code, symbols)))
    client.force_login(technician)

    doc = run_page(client, run)

    # A passed run folds every section: its verdict says what matters.
    for name in ("qc", "selection", "rows"):
        assert section(doc, name).get("open") is None
    # One sample and analyte pair per group, a page of them at a time, in order of analyte.
    first = by_class(section(doc, "selection"), "tbody", "group")
    assert len(first) == RUN_SECTION_SIZE
    second_doc = run_page(client, run, readings_page=2)
    second = by_class(section(second_doc, "selection"), "tbody", "group")
    assert len(second) == len(symbols) - RUN_SECTION_SIZE
    assert section(second_doc, "selection").get("open") is not None
    shown = [group.xpath("tr/td")[1].text_content() for group in first + second]
    assert shown == sorted(symbols)
    # The file's rows: a blank and a CCV per analyte, then the sample's rows, a page at a time.
    file_rows = 3 * len(symbols)
    last_page = -(-file_rows // RUN_SECTION_SIZE)
    rows_doc = run_page(client, run, rows_page=last_page)
    assert section(rows_doc, "rows").get("open") is not None
    last = table_rows(by_class(section(rows_doc, "rows"), "table", "readings")[0])
    assert len(last) == file_rows - (last_page - 1) * RUN_SECTION_SIZE
    assert last[-1][0] == str(file_rows + 1)  # the file's last line: its first is the header


def test_results_page_by_sample_and_analyte(client, technician, instrument, icpms, sample, symbols):
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(symbols), *sample_rows(sample.code, symbols)))
    services.run_accept(actor=technician, run=run)
    client.force_login(technician)

    results = section(run_page(client, run), "results")
    paged = section(run_page(client, run, results_page=2), "results")

    assert results.get("open") is None and paged.get("open") is not None
    first = table_rows(by_class(results, "table", "results")[0])
    rest = table_rows(by_class(paged, "table", "results")[0])
    assert len(first) == RUN_SECTION_SIZE and len(rest) == len(symbols) - RUN_SECTION_SIZE
    assert [row[1] for row in first + rest] == sorted(symbols)
    assert f"{len(symbols)} results" in results.xpath("summary")[0].text_content()
