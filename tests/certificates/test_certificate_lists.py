"""The certificates lists (API, page, admin changelist) run as many queries with many amended
certificates as with few, state each amendment's number, and never load a snapshot: the amendment's
number is annotated by selectors.certificate_list, snapshots are deferred.

Rows come from the scale dataset's builder (customs.scale), which amends some issued certificates."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Certificate
from customs import scale

# A column named exactly "snapshot" in a SELECT (not snapshot_sha256).
SNAPSHOT_COLUMN = re.compile(r'\."snapshot"(?!_)')


@pytest.fixture
def cast(
    sampler, technician, reviewer, manager, exporter, exporter2, exporter_org, exporter2_org, customs_org, inspector
):
    return scale.Cast(
        sampler=sampler, technician=technician, reviewer=reviewer, manager=manager,
        exporters=[exporter_org, exporter2_org], exporter_users=[exporter, exporter2], customs_office=customs_org,
        inspector=inspector,
    )  # fmt: skip


def _queries(client, url: str) -> tuple[int, list[str], object]:
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), [q["sql"] for q in queries.captured_queries], response


def _amended() -> int:
    return Certificate.objects.filter(superseded_by__isnull=False).count()


@pytest.mark.parametrize(
    "who,url", [("manager", "/api/v1/certificates/?page_size=100"), ("superuser", "/admin/certificates/certificate/")]
)
def test_lists_run_a_constant_number_of_queries_with_amendments(client, cast, who, url, request):
    client.force_login(request.getfixturevalue(who))
    scale.build(lots=2, cast=cast)
    few_amended = _amended()
    few, _sql, _response = _queries(client, url)

    scale.build(lots=12, cast=cast)
    # The second build amended more certificates, so a query per amendment would show.
    assert _amended() > few_amended
    many, sql, _response = _queries(client, url)

    assert many == few, "\n".join(sql)
    # Snapshots are the bulk of a row and no list shows them, not even the superseded one's.
    assert not [q for q in sql if SNAPSHOT_COLUMN.search(q)]


def test_api_list_names_each_amendment(client, cast, manager):
    scale.build(lots=12, cast=cast)
    client.force_login(manager)
    rows = client.get("/api/v1/certificates/?page_size=100").json()["results"]

    expected = dict(Certificate.objects.filter(supersedes__isnull=False).values_list("supersedes__number", "number"))
    assert expected  # the builder amended some
    listed = {row["number"]: row["superseded_by"] for row in rows if row["superseded_by"] is not None}
    assert listed == {old: new for old, new in expected.items() if old in {row["number"] for row in rows}}
    # The amendment cites what it supersedes; a certificate nobody amended says so.
    by_number = {row["number"]: row for row in rows}
    for old, new in listed.items():
        assert by_number[new]["supersedes"] == old
    assert any(row["superseded_by"] is None for row in rows)


def test_api_detail_names_its_amendment(client, cast, manager):
    """A single certificate, not annotated by the list's selector, still names its amendment."""
    scale.build(lots=12, cast=cast)
    client.force_login(manager)
    amendment = Certificate.objects.filter(supersedes__isnull=False).select_related("supersedes").first()

    old = client.get(f"/api/v1/certificates/{amendment.supersedes.pk}/").json()
    assert old["superseded_by"] == amendment.number
    new = client.get(f"/api/v1/certificates/{amendment.pk}/").json()
    assert new["superseded_by"] is None
