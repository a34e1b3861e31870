"""The open statistics page and its open data: coverage, counts, flagged kinds, certified totals that
reconcile with the certificates' snapshots, and the CSV and JSON saying what the page says."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from assays import units
from public import statistics
from tests.public.conftest import contained

pytestmark = pytest.mark.django_db

URL = "/statistics/"


def rounded(value: Decimal) -> Decimal:
    return units.round_to(value, 3)


def json_of(client, **params):
    response = client.get(URL, {"format": "json", **params})
    assert response.status_code == 200, response.content
    return response.json()


def cell(data, month, exporter, destination):
    [found] = [
        c for c in data["cells"] if (c["month"], c["exporter"], c["destination"]) == (month, exporter, destination)
    ]
    return found


def test_the_coverage_states_the_record_the_period_and_the_date(scenario):
    data = json_of(Client(), start=scenario.m1)

    coverage = data["coverage"]
    # Every declaration on record: 4 + 1 + 3 in m1, 1 in m2, 1 this month.
    assert coverage["declarations_on_record"] == 10
    assert (coverage["first_month"], coverage["last_month"], coverage["open_month"]) == (
        scenario.m1,
        scenario.now,
        scenario.now,
    )
    assert coverage["figures_as_of"][:7] == scenario.now
    page = Client().get(URL, {"start": scenario.m1}).content.decode()
    assert f"the 10 declarations on record in this system, filed from {scenario.m1} to {scenario.now}" in page


def test_counts_valid_certificates_and_flags_per_cell(scenario):
    data = json_of(Client(), start=scenario.m1)

    china = cell(data, scenario.m1, "Altyn Copper LLP", "CN")
    # a1, a2, a3 and a1 declared again: all cite a certificate in force, none is flagged.
    assert (china["declarations"], china["with_valid_certificate"], china["flagged"], china["lots"]) == (4, 4, 0, 3)
    russia = cell(data, scenario.m1, "Altyn Copper LLP", "RU")
    # The rare earths were left out: flagged for them, and for nothing else.
    assert (russia["declarations"], russia["with_valid_certificate"], russia["flagged"]) == (1, 1, 1)
    assert russia["flagged_undeclared_rare_earths"] == 1
    assert sum(russia[kind] for kind in statistics.FLAG_KINDS) == 1
    bob = cell(data, scenario.m1, "Steppe Metals JSC", "CN")
    # b3 cites a certificate revoked before it was filed: not valid, and flagged for its certificate.
    assert (bob["declarations"], bob["with_valid_certificate"], bob["flagged"], bob["lots"]) == (3, 2, 1, 2)
    assert bob["flagged_certificate"] == 1 and bob["flagged_undeclared_rare_earths"] == 0
    later = cell(data, scenario.m2, "Altyn Copper LLP", "CN")
    # Valid when it was filed, revoked since: still counted valid, and counted as withdrawn since.
    assert (later["with_valid_certificate"], later["certificate_withdrawn_since"]) == (1, 1)


def test_certified_totals_reconcile_with_the_certificates(scenario):
    data = json_of(Client(), start=scenario.m1)

    china = cell(data, scenario.m1, "Altyn Copper LLP", "CN")
    assert china["composition"] == "shown"
    expected = {name: Decimal(0) for name in ("dry_mass_t", "cu_t", "au_kg", "ag_kg", "treo_kg", "la_kg", "ce_kg")}
    for name in ("a1", "a2", "a3"):  # each lot once, though a1 was declared twice
        for key, value in contained(scenario.certificates[name]).items():
            if key in expected:
                expected[key] += value
    for key, value in expected.items():
        assert Decimal(china[key]) == rounded(value), key
    # Worked figures: 4575 + 3000 + 2000 t dry; Cu 22.5 % of 4575 and 2000 t, 24 % of 3000 t.
    assert china["dry_mass_t"] == "9575.000"
    assert china["cu_t"] == "2199.375"
    assert china["au_kg"] == "47.875"  # 5 g/t x 9575 t
    # Month m1's total holds that cell only: the other cells are suppressed.
    [month] = [m for m in data["months"] if m["month"] == scenario.m1]
    assert month["cu_t"] == "2199.375" and month["suppressed_lots"] == 3 and month["lots"] == 6


def test_the_open_month_shows_counts_and_withholds_composition(scenario):
    data = json_of(Client(), start=scenario.m1)

    current = cell(data, scenario.now, "Altyn Copper LLP", "CN")
    assert (current["declarations"], current["lots"], current["composition"]) == (1, 1, "pending")
    assert current["cu_t"] is None and current["dry_mass_t"] is None


def test_csv_and_json_hold_the_page_figures(scenario):
    client = Client()
    data = json_of(client, start=scenario.m1)
    response = client.get(URL, {"format": "csv", "start": scenario.m1})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert list(rows[0]) == list(statistics.COLUMNS)
    assert len(rows) == len(data["cells"]) == 5
    for row, item in zip(rows, data["cells"], strict=True):
        for column in statistics.COLUMNS:
            assert row[column] == ("" if item[column] is None else str(item[column])), column
    # The page writes the same figures (grouped, as the quantity filter writes them).
    page = client.get(URL, {"start": scenario.m1}).content.decode()
    assert "2,199.375" in page and "9,575.000" in page and "47.875" in page


def test_filters_choose_cells_without_changing_them(scenario, exporter2_org):
    client = Client()
    everything = json_of(client, start=scenario.m1)
    bob = json_of(client, start=scenario.m1, exporter=exporter2_org.pk)

    assert [c["exporter"] for c in bob["cells"]] == ["Steppe Metals JSC"]
    assert bob["cells"][0] == cell(everything, scenario.m1, "Steppe Metals JSC", "CN")
    russia = json_of(client, start=scenario.m1, end=scenario.m1, destination="RU")
    assert [c["destination"] for c in russia["cells"]] == ["RU"]


@pytest.mark.parametrize(
    "params",
    [
        {"exporter": "abc"},
        {"start": "2026-13"},
        {"start": "2026-11", "end": "2026-01"},
        {"destination": "ZZ"},
    ],
)
def test_bad_filters_are_refused_with_a_message(scenario, params):
    client = Client()
    page = client.get(URL, params)
    assert page.status_code == 400 and b'class="errorlist' in page.content
    answer = client.get(URL, {**params, "format": "json"})
    assert answer.status_code == 400 and answer.json()["message"]


def test_a_nul_byte_is_refused(scenario):
    # lims's middleware answers 400 before the view (tests/lims/test_nul_input.py).
    assert Client().get(URL, {"material": "gold\x00"}).status_code == 400


def test_an_unknown_format_is_refused(scenario):
    assert Client().get(URL, {"format": "pdf"}).status_code == 400


def test_charts_are_inline_svg_with_translated_labels(scenario):
    page = Client(HTTP_ACCEPT_LANGUAGE="ru").get(URL, {"start": scenario.m1}).content.decode()

    assert page.count("<svg viewBox") == 3 and "<script" not in page.split("<main", 1)[-1].split("</main>")[0]
    assert "Декларации" in page or "деклараци" in page
    # Bars: the declarations chart draws m1's 8 filed declarations among its bars.
    assert f"{scenario.m1} " in page


@pytest.mark.parametrize("who", [None, "exporter", "exporter2"])
def test_nobody_reads_a_lot_sample_certificate_or_declaration_there(request, scenario, who):
    client = Client()
    if who:
        client.force_login(request.getfixturevalue(who))
    bodies = [
        client.get(URL, {"start": scenario.m1}).content.decode(),
        client.get(URL, {"start": scenario.m1, "format": "json"}).content.decode(),
        b"".join(client.get(URL, {"start": scenario.m1, "format": "csv"}).streaming_content).decode(),
    ]
    secrets = []
    for name, certificate in scenario.certificates.items():
        secrets += [certificate.number, certificate.sample.code, scenario.lots[name].lot_number]
    secrets += [declaration.number for declaration in scenario.declarations.values()]
    for body in bodies:
        for secret in secrets:
            assert secret not in body


def test_the_queries_do_not_grow_with_the_declarations(scenario, exporter, customs_org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.customs.conftest import file

    client = Client()
    client.get(URL, {"format": "json"})  # the certificates' contained masses are cached from here on
    with CaptureQueriesContext(connection) as before:
        client.get(URL, {"format": "json"})
    for _ in range(3):
        file(exporter, [scenario.certificates["a1"]], lot=scenario.lots["a1"], customs_office=customs_org,
             dry_mass_t="100.000")  # fmt: skip
    client.get(URL, {"format": "json"})
    with CaptureQueriesContext(connection) as after:
        client.get(URL, {"format": "json"})
    assert len(after) == len(before) <= 8
