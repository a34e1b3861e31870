"""Every list page exports what it shows (lims.web.Listing): `?format=csv` or `?format=xlsx` at the list's
own address gives every row its filters keep (not only the page), in the order `?sort=` asks, within what
the user may see, with text that would start a spreadsheet formula neutralised.

The lists are found by lims.list_urls, so a new list is covered here without being named: it must
declare a Listing (its page's `listing`), and its export must hold the rows its page counts. The lists
known today are also compared with their selectors, role by role (sam the sampler, tess, rita, max,
alice of Altyn Copper, bob of Steppe Metals and ivan of customs), on the scale dataset's rows."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import QueryDict
from django.urls import resolve
from django.utils import timezone

from assays import batch_selectors
from assays import selectors as assay_selectors
from assays.models import Method
from assays.services import batches
from certificates import selectors as certificate_selectors
from customs import scale
from customs import selectors as customs_selectors
from lims.list_urls import list_urls
from lims.web import PAGE_SIZE
from samples import selectors as sample_selectors
from samples.models import Lot
from tests.conftest import make_lot, received

ROLES = ["sampler", "technician", "reviewer", "manager", "exporter", "exporter2", "inspector"]
FORMULA = '=HYPERLINK("http://evil.example/","Click")'


def _text(value) -> str:
    return "" if value is None else str(value)


def _xlsx_text(value) -> str:
    """A cell of the XLSX as the CSV writes it: a datetime (local, no zone in a spreadsheet) in ISO 8601."""
    if isinstance(value, datetime.datetime):
        return timezone.make_aware(value).isoformat(timespec="seconds")
    return _text(value)


# What each list's first column holds for every row its selector gives the user (with no filter).
# A list that is not named here is still checked against its own page (test_every_list_exports).
SELECTED = {
    "lot_list": lambda user, q: [
        lot.lot_number for lot in sample_selectors.LotFilter(q, sample_selectors.lot_list(user)).qs
    ],
    "sample_list": lambda user, q: [
        s.code for s in sample_selectors.SampleFilter(q, sample_selectors.sample_list(user)).qs
    ],
    "nonconformance_list": lambda user, q: [
        nc.sample.code
        for nc in sample_selectors.NonconformanceFilter(q, sample_selectors.nonconformance_worklist(user)).qs
    ],
    "batch_list": lambda user, q: [
        str(b.pk) for b in batch_selectors.BatchFilter(q, batch_selectors.batch_list(user)).qs
    ],
    "run_list": lambda user, q: [str(r.pk) for r in assay_selectors.RunFilter(q, assay_selectors.run_list(user)).qs],
    "result_list": lambda user, q: [
        r.sample.code for r in assay_selectors.ResultFilter(q, assay_selectors.result_list(user)).qs
    ],
    "result_review": lambda user, q: [
        r.sample.code for r in assay_selectors.ReviewFilter(q, assay_selectors.review_queue(user)).qs
    ],
    "certificate_list": lambda user, q: [
        _text(c.number)
        for c in certificate_selectors.CertificateFilter(q, certificate_selectors.certificate_list(user)).qs
    ],
    "declaration_list": lambda user, q: [
        d.number for d in customs_selectors.DeclarationFilter(q, customs_selectors.declaration_list(user)).qs
    ],
    "declaration_queue": lambda user, q: [d.number for d in customs_selectors.review_queue(user)],
}


@pytest.fixture
def world(cast, technician, sampler, exporter, exporter_org, instrument):
    """The scale dataset's rows for both exporters, a planned batch, and a lot whose origin is a formula."""
    scale.build(lots=4, cast=cast)
    lot = make_lot(actor=exporter, exporter_org=exporter_org, origin=FORMULA, wet_mass_t=Decimal("1234.5"))
    codes = [received(lot, sampler, technician).code for _ in range(2)]
    batches.batch_create(
        actor=technician, method=Method.objects.get(code="icpms-4acid"), instrument=instrument, codes=codes
    )
    return lot


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response.streaming, "a CSV export is streamed"
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "UTF-8 with a byte order mark, for spreadsheets"
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def _with(url: str, **params) -> str:
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}"


def page_lists() -> list:
    """The pages that list rows a page at a time; a dashboard measured as a list has no rows to export."""
    return [
        item
        for item in list_urls().lists
        if item.kind == "page" and not getattr(resolve(item.url).func, "measured_as_list", False)
    ]


@pytest.mark.parametrize("who", ROLES)
def test_every_list_exports_exactly_what_the_user_may_see(client, world, who, request):
    """Each role, each list: refused alike as its page, or the CSV and the XLSX hold the rows of the
    list's selector for that user (all of them, not a page), under the list's declared headers."""
    user = request.getfixturevalue(who)
    client.force_login(user)
    lists = page_lists()
    assert {item.name for item in lists} >= set(SELECTED)
    exported = 0
    for item in lists:
        page = client.get(item.url)
        as_csv, as_xlsx = client.get(_with(item.url, format="csv")), client.get(_with(item.url, format="xlsx"))
        if page.status_code != 200:
            # A list the role may not open is not downloadable either.
            assert (as_csv.status_code, as_xlsx.status_code) == (page.status_code, page.status_code), item.name
            continue
        listing = page.context.get("listing")
        assert listing is not None, f"{item.name} declares no Listing (lims.web): it cannot be exported"
        rows = csv_rows(as_csv)
        assert rows[0] == [str(column.header) for column in listing.columns], item.name
        assert f'filename="{listing.name}-' in as_csv["Content-Disposition"], item.name
        assert as_csv["Content-Disposition"].startswith("attachment;")
        firsts = [row[0] for row in rows[1:]]
        if item.name in SELECTED:
            assert sorted(firsts) == sorted(SELECTED[item.name](user, QueryDict())), f"{item.name} as {who}"
        else:
            # A list not named above: its export holds as many rows as its page counts.
            assert len(firsts) == page.context["page_obj"].paginator.count, f"{item.name} as {who}"
        sheet = xlsx_rows(as_xlsx)
        assert [_text(v) for v in sheet[0]] == rows[0]
        assert [_xlsx_text(row[0]) for row in sheet[1:]] == firsts, f"{item.name}: the XLSX holds the CSV's rows"
        exported += len(firsts)
    assert exported > 0


def test_exporters_export_their_own_organisation_only(client, world, exporter, exporter2, exporter_org):
    """alice's lots, certificates and declarations are Altyn Copper's; bob's none of them."""
    client.force_login(exporter)
    for url, column in [("/lots/", 1), ("/certificates/", 2), ("/declarations/", 2)]:
        rows = csv_rows(client.get(_with(url, format="csv")))
        assert len(rows) > 1, url
        assert {row[column] for row in rows[1:]} == {exporter_org.name}, url
    client.force_login(exporter2)
    lots = csv_rows(client.get("/lots/?format=csv"))
    assert world.lot_number not in [row[0] for row in lots[1:]]
    assert exporter_org.name not in {row[1] for row in lots[1:]}


def test_an_export_holds_every_row_not_only_the_page(client, world, manager):
    client.force_login(manager)
    page = client.get("/results/")
    count = page.context["page_obj"].paginator.count
    assert count > PAGE_SIZE
    assert len(csv_rows(client.get("/results/?format=csv"))) - 1 == count
    assert len(xlsx_rows(client.get("/results/?format=xlsx"))) - 1 == count


def test_filters_apply_to_the_export(client, world, manager):
    client.force_login(manager)
    rows = csv_rows(client.get(f"/lots/?q={world.lot_number}&format=csv"))
    assert [row[0] for row in rows[1:]] == [world.lot_number]

    approved = csv_rows(client.get("/results/?status=approved&format=csv"))
    status = approved[0].index("Status")
    assert {row[status] for row in approved[1:]} == {"Approved"}
    expected = SELECTED["result_list"](manager, QueryDict("status=approved"))
    assert sorted(row[0] for row in approved[1:]) == sorted(expected) and expected
    sheet = xlsx_rows(client.get("/results/?status=approved&format=xlsx"))
    assert len(sheet) == len(approved)


def test_sorting_orders_the_export_and_the_page(client, world, manager):
    client.force_login(manager)
    lots = Lot.objects.order_by("wet_mass_t", "pk")
    rows = csv_rows(client.get("/lots/?sort=mass&format=csv"))
    mass = rows[0].index("Wet mass (t)")
    assert [row[0] for row in rows[1:]] == [lot.lot_number for lot in lots]
    assert [Decimal(row[mass]) for row in rows[1:]] == sorted(Decimal(row[mass]) for row in rows[1:])

    rows = csv_rows(client.get("/lots/?sort=-mass&format=csv"))
    assert [row[0] for row in rows[1:]] == [lot.lot_number for lot in lots.reverse()]
    # Numbers stay numbers in the XLSX, in the same order.
    sheet = xlsx_rows(client.get("/lots/?sort=-mass&format=xlsx"))
    masses = [row[mass] for row in sheet[1:]]
    assert all(isinstance(value, (int, float)) for value in masses)
    assert masses == sorted(masses, reverse=True) and masses[0] != masses[-1]

    page = client.get("/lots/?sort=-mass")
    assert [lot.lot_number for lot in page.context["page_obj"]] == [lot.lot_number for lot in lots.reverse()][
        :PAGE_SIZE
    ]
    html = page.content.decode()
    assert 'aria-sort="descending"' in html and html.count("aria-sort=") == 1
    # The header sorts the other way next, and the export links keep the sort.
    assert 'href="?sort=mass"' in html and 'href="?sort=-mass&amp;format=csv"' in html


@pytest.mark.parametrize("who", ["manager", "inspector", "exporter"])
def test_every_sort_key_of_every_list_works_both_ways(client, world, who, request):
    """Each whitelisted key orders its list without an error, keeps the same rows, and the page marks it."""
    client.force_login(request.getfixturevalue(who))
    for item in page_lists():
        page = client.get(item.url)
        if page.status_code != 200:
            continue
        unsorted = sorted(row[0] for row in csv_rows(client.get(_with(item.url, format="csv")))[1:])
        for key in page.context["listing"].sorts:
            for asked, direction in [(key, "ascending"), (f"-{key}", "descending")]:
                rows = csv_rows(client.get(_with(item.url, sort=asked, format="csv")))
                assert sorted(row[0] for row in rows[1:]) == unsorted, f"{item.name} sort={asked}"
                sorted_page = client.get(_with(item.url, sort=asked))
                assert sorted_page.status_code == 200, f"{item.name} sort={asked}"
                if sorted_page.context["page_obj"].object_list:
                    assert f'aria-sort="{direction}"' in sorted_page.content.decode(), f"{item.name} sort={asked}"


def test_the_sorted_column_holds_sorted_values(client, world, manager):
    client.force_login(manager)
    rows = csv_rows(client.get("/samples/?sort=code&format=csv"))
    codes = [row[0] for row in rows[1:]]
    assert codes == sorted(codes) and len(set(codes)) > 1
    rows = csv_rows(client.get("/runs/?sort=-readings&format=csv"))
    readings = [int(row[rows[0].index("Readings")]) for row in rows[1:]]
    assert readings == sorted(readings, reverse=True)


def test_an_unknown_sort_key_is_ignored(client, world, manager):
    client.force_login(manager)
    plain = [row[0] for row in csv_rows(client.get("/lots/?format=csv"))[1:]]
    for key in ["bogus", "-bogus", "exporter__password", "-", "", "pk;drop"]:
        assert [row[0] for row in csv_rows(client.get(f"/lots/?sort={key}&format=csv"))[1:]] == plain, key
        page = client.get(f"/lots/?sort={key}")
        assert page.status_code == 200 and "aria-sort" not in page.content.decode(), key


def test_an_unknown_format_is_refused_with_a_message(client, world, manager):
    client.force_login(manager)
    for item in page_lists():
        if client.get(item.url).status_code != 200:
            continue
        response = client.get(_with(item.url, format="pdf"))
        assert response.status_code == 400, item.name
        assert "csv or xlsx" in response.content.decode(), item.name


def test_a_formula_is_neutralised_in_both_formats(client, world, manager):
    client.force_login(manager)
    rows = csv_rows(client.get(f"/lots/?q={world.lot_number}&format=csv"))
    origin = rows[0].index("Origin")
    assert rows[1][origin] == "'" + FORMULA
    sheet = xlsx_rows(client.get(f"/lots/?q={world.lot_number}&format=xlsx"))
    assert sheet[1][origin] == "'" + FORMULA
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/lots/?q={world.lot_number}&format=xlsx").content))
    cell = book.active.cell(row=2, column=origin + 1)
    assert cell.data_type == "s", "text, not a formula"
    # A number stays a number, also negative; a date is a real date.
    assert isinstance(sheet[1][rows[0].index("Wet mass (t)")], (int, float))
    assert isinstance(sheet[1][rows[0].index("Registered")], datetime.datetime)


def test_the_page_offers_export_links_that_keep_the_filters(client, world, manager):
    client.force_login(manager)
    html = client.get("/lots/?status=registered&sort=number&page=1").content.decode()
    assert 'href="?status=registered&amp;sort=number&amp;format=csv"' in html
    assert 'href="?status=registered&amp;sort=number&amp;format=xlsx"' in html
    # The filter form keeps the sort when it is sent again.
    assert '<input type="hidden" name="sort" value="number">' in html
    # Pagination keeps filters and sort.
    html = client.get("/results/?status=approved&sort=-value").content.decode()
    assert "?status=approved&amp;sort=-value&amp;page=2" in html
