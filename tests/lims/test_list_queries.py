"""Every list (pages and their CSV and XLSX exports, API endpoints, admin changelists: lims.list_urls
finds them, so a new list is covered without being named here) runs as many queries with 13 lots
behind it as with 2: no query per row. Measured as max the manager, who sees the laboratory's work,
as alice, who sees her own rows, and as a superuser, who opens every admin changelist.

The rows come from the scale dataset's builder (customs.scale) with the cast of tests/conftest.py:
lots alternate between alice's Altyn Copper and bob's Steppe Metals, each with a composite and three
splits, custody chains, a run's readings, results (entered and approved), certificates (one amended),
declarations (flagged, cleared, decided) and a nonconformance."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assays.models import Run
from customs import scale
from lims.list_urls import list_urls
from lims.web import EXPORT_FORMATS
from samples.models import Sample


def _url_kwargs() -> dict:
    """The newest run and laboratory sample, for lists under an object (a run's readings)."""
    return {
        "run_pk": Run.objects.order_by("-pk").values_list("pk", flat=True).first(),
        "code": Sample.objects.filter(purpose="laboratory").order_by("-pk").values_list("code", flat=True).first(),
    }


def _measure(client, user) -> dict[str, tuple[int, int, list[str]]]:
    """Status, query count and the queries of every list, each asked once before to warm caches."""
    client.force_login(user)
    found = list_urls(_url_kwargs())
    measured = {}
    for item in found.lists:
        # A page's exports too (lims.web.Listing): every row, still no query per row.
        exports = [f"?format={kind}" for kind in EXPORT_FORMATS] if item.kind == "page" else []
        for query in ["", *exports]:
            _read(client.get(item.url + query))
            with CaptureQueriesContext(connection) as queries:
                response = client.get(item.url + query)
                _read(response)
            measured[f"{item.kind} {item.name}{query}"] = (
                response.status_code,
                len(queries),
                [q["sql"] for q in queries.captured_queries],
            )
    return measured


def _read(response) -> None:
    """A streamed response runs its queries while it is read."""
    if response.streaming:
        b"".join(response.streaming_content)


# Lists that still run a query per row, with why and whose they are; each must still grow (so a fix
# shows here and its entry goes).
KNOWN: dict[str, str] = {}


def _grown(small: dict, large: dict) -> list[str]:
    grown = []
    for url, (status, count, _sql) in large.items():
        before = small[url]
        if url in KNOWN:
            assert count > before[1], f"{url} no longer grows: remove it from KNOWN"
            continue
        if count > before[1]:
            extra = "\n      ".join(sql[:200] for sql in _sql[before[1] :][:5])
            grown.append(f"{url}: {before[1]} queries with 2 lots, {count} with 13 (status {status})\n      {extra}")
    return grown


# The superuser, too: the manager may open few admin changelists (Django's model permissions), and a
# refusal costs the same whatever the rows.
@pytest.mark.parametrize("who", ["manager", "exporter", "superuser"])
def test_lists_run_a_constant_number_of_queries(client, cast, who, request):
    user = request.getfixturevalue(who)
    scale.build(lots=2, cast=cast)
    small = _measure(client, user)

    scale.build(lots=11, cast=cast)
    large = _measure(client, user)

    # No list may answer a server error, whoever asks.
    errors = [f"{url}: {status}" for url, (status, _n, _sql) in large.items() if status >= 500]
    assert not errors, errors
    grown = _grown(small, large)
    assert not grown, "queries grow with rows:\n" + "\n".join(grown)


def test_every_kind_of_list_is_walked(client, cast, manager):
    """The walk finds pages, API lists and changelists, and reaches the known offenders (so a change in
    how lists are found cannot leave them out silently)."""
    scale.build(lots=2, cast=cast)
    found = list_urls(_url_kwargs())
    names = {item.name for item in found.lists}
    assert {item.kind for item in found.lists} == {"page", "api", "admin"}
    assert {
        "lot_list", "sample_list", "run_list", "result_list", "certificate_list", "declaration_list",
        "api_run_list", "api_result_list", "api_certificate_list", "api_declaration_list", "api_run_readings",
        "samples_sample_changelist", "assays_reading_changelist", "assays_result_changelist",
        "notification_list", "api_notification_list",
    } <= names  # fmt: skip
    assert not found.skipped


def test_lists_show_rows(client, cast, manager, superuser):
    """The lists measured are full, not refusals: the manager gets rows in each of the offenders, the
    superuser in the admin's."""
    scale.build(lots=13, cast=cast)
    client.force_login(manager)
    for url in ["/api/v1/runs/", "/api/v1/results/", "/api/v1/declarations/", "/api/v1/lots/", "/api/v1/samples/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        # Declarations are between exporters and customs: the laboratory sees none.
        assert response.json()["count"] > 0 or url == "/api/v1/declarations/", url
    for url in ["/results/", "/runs/", "/lots/", "/samples/"]:
        response = client.get(url)
        assert response.status_code == 200 and response.context["page_obj"].object_list, url
    client.force_login(superuser)
    for url in ["/admin/samples/sample/", "/admin/assays/reading/", "/admin/assays/result/"]:
        response = client.get(url)
        assert response.status_code == 200 and response.context["cl"].result_count > 0, url
