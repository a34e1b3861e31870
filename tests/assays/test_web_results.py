"""The result pages: the manual entry grid (all cells or none, each error in its cell), the
reviewer's queue (never one's own results) with approve and reject, and a sample's results."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assays.forms import ManualGridForm
from assays.models import Method, PanelEntry, Result
from samples.models import Sample
from tests.assays.conftest import analyte, csv_file, import_run, manual, qc_rows, sample_rows
from tests.assays.test_web_runs import by_class, page, table_rows, text_of
from tests.conftest import in_transit_to


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# The manual entry grid ------------------------------------------------------------------------


def grid_url(method="fire-assay") -> str:
    return f"{reverse('result_enter')}?method={method}"


def cell(sample, symbol: str, part="v") -> str:
    """The name of a cell of the grid: its value ("v") or its uncertainty ("u")."""
    return ManualGridForm.cell_name(sample, analyte(symbol), part)


def unit(symbol: str) -> str:
    return ManualGridForm.unit_name(analyte(symbol))


def post_grid(client, values: dict, method="fire-assay"):
    """Post the grid as a browser does: every field, empty unless given, units as offered."""
    form = client.get(grid_url(method)).context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items()}
    return client.post(grid_url(method), data | values)


def cell_text(response, name: str) -> str:
    """The text of the table cell holding the input `name`, errors included."""
    (td,) = page(response).xpath(f"//td[.//input[@name='{name}']]")
    return td.text_content()


def test_the_grid_offers_the_samples_that_may_take_results(client, technician, sample, lot, sampler):
    not_yet_here = in_transit_to(lot, sampler, technician)
    client.force_login(technician)

    response = client.get(grid_url())

    assert response.status_code == 200
    form = response.context["form"]
    # Only a sample received with an intact seal takes results; one in transit does not.
    assert form.samples == [sample]
    assert not_yet_here.code not in response.content.decode()
    # One column per analyte of the method, each with its unit as the panel reports it.
    assert [a.symbol for a in response.context["analytes"]] == ["Ag", "Au"]
    assert [field.value() for field in form.unit_fields()] == ["g/t", "g/t"]
    # Each cell takes a value and its uncertainty.
    inputs = [td.xpath(".//input/@name") for td in by_class(page(response), "td", "cell")]
    assert inputs == [[cell(sample, s), cell(sample, s, "u")] for s in ("Ag", "Au")]


def test_a_sample_stays_in_the_grid_until_every_analyte_has_a_result(client, technician, sample):
    client.force_login(technician)
    manual(technician, "fire-assay", sample, Au="5")

    # Ag is still missing: the sample is offered.
    assert client.get(grid_url()).context["form"].samples == [sample]
    manual(technician, "fire-assay", sample, Ag="40")
    # Both analytes have a result now: nothing waits for fire assay.
    assert client.get(grid_url()).context["form"].samples == []


def test_valid_cells_become_results_awaiting_review(client, technician, sample):
    client.force_login(technician)

    response = post_grid(
        client,
        {
            # A whole column may be typed in another unit: Au in ppb here.
            unit("Au"): "ppb",
            cell(sample, "Au"): "5200",
            cell(sample, "Au", "u"): "100",
            cell(sample, "Ag"): "<1",
        },
    )

    assert response.status_code == 302 and response.url == grid_url()
    au = sample.results.get(analyte__symbol="Au")
    # Converted to the panel's unit, g/t, uncertainty included.
    assert (au.value_as_received, au.uncertainty_as_received, au.unit) == (Decimal("5.2"), Decimal("0.1"), "g/t")
    ag = sample.results.get(analyte__symbol="Ag")
    # A censored value keeps its detection limit; it is never stored as a value.
    assert (ag.qualifier, ag.value_as_received, ag.detection_limit_as_received) == ("<", None, Decimal("1"))
    assert {r.status for r in sample.results.all()} == {Result.Status.ENTERED}
    assert {r.entered_by for r in sample.results.all()} == {technician}
    assert "2 result(s) entered; they await review." in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("value", "uncertainty", "bad_part", "error"),
    [
        ("abc", "", "v", "Enter a number, or < and the detection limit"),
        ("<-1", "", "v", "A detection limit is a positive number."),
        ("-5", "", "v", "A content cannot be negative."),
        ("", "0.3", "v", "Enter the value this uncertainty belongs to."),
        ("5", "<0.1", "u", "An uncertainty is a plain number."),
    ],
    ids=["not-a-number", "negative-detection-limit", "negative-value", "uncertainty-alone", "censored-uncertainty"],
)
def test_a_bad_cell_shows_its_error_in_its_cell_and_nothing_is_saved(
    client, technician, sample, value, uncertainty, bad_part, error
):
    client.force_login(technician)

    response = post_grid(
        client, {cell(sample, "Au"): value, cell(sample, "Au", "u"): uncertainty, cell(sample, "Ag"): "40"}
    )

    assert response.status_code == 400
    (au_cell,) = by_class(page(response), "td", "cell", "has-error")
    # The error sits in the Au cell, next to what was typed, not in the valid Ag cell.
    assert au_cell.xpath(f".//input[@name='{cell(sample, 'Au', bad_part)}']")
    assert error in au_cell.text_content()
    assert response.content.decode().count("errorlist") == 1
    # The valid Ag cell was not saved either, and it is shown again as typed.
    assert not Result.objects.exists()
    assert page(response).xpath(f"//input[@name='{cell(sample, 'Ag')}']/@value") == ["40"]
    sample.refresh_from_db()
    assert sample.status == Sample.Status.RECEIVED


def test_a_refusal_of_the_service_is_shown_next_to_its_cell(client, technician, sample):
    manual(technician, "fire-assay", sample, Au="5")
    client.force_login(technician)

    response = post_grid(client, {cell(sample, "Au"): "6", cell(sample, "Ag"): "40"})

    assert response.status_code == 409
    # The service refused the Au entry: a current result must be rejected before a retest.
    assert f"{sample.code} already has a Au result" in cell_text(response, cell(sample, "Au"))
    assert "already has" not in cell_text(response, cell(sample, "Ag"))
    # All or nothing: the valid Ag entry was not saved.
    assert list(sample.results.values_list("analyte__symbol", flat=True)) == ["Au"]


def test_an_empty_grid_asks_for_a_result(client, technician, sample):
    client.force_login(technician)

    response = post_grid(client, {})

    assert response.status_code == 400
    assert "The grid is empty: enter at least one result." in text_of(page(response), "div", "form-errors")


def test_only_those_who_enter_results_see_the_grid(client, reviewer, exporter, sample):
    for outsider in (reviewer, exporter):
        client.force_login(outsider)
        assert client.get(grid_url()).status_code == 403


# The review queue -----------------------------------------------------------------------------


def queue(client, user) -> list[str]:
    """The results in `user`'s review queue, as sample and analyte."""
    client.force_login(user)
    response = client.get(reverse("result_review"))
    assert response.status_code == 200
    # Dry-basis results waiting for the moisture are listed apart, still in the queue.
    shown = [*response.context["page_obj"], *response.context["awaiting_moisture"]]
    return [f"{r.sample.code} {r.analyte.symbol}" for r in shown]


def decide(client, result, **data):
    return client.post(reverse("result_decide", kwargs={"result_pk": result.pk}), data)


def test_the_reviewer_sees_results_entered_by_others_with_their_decision(client, technician, reviewer, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")

    assert queue(client, reviewer) == [f"{sample.code} H2O"]
    row = page(client.get(reverse("result_review"))).xpath(f"//tr[@id='result-{moisture.pk}']")[0]
    # Approve and reject are one form on the row, posted to result_decide.
    assert row.xpath(".//form/@action") == [reverse("result_decide", kwargs={"result_pk": moisture.pk})]
    assert row.xpath(".//button/@value") == ["approve", "reject"]


def test_nobody_sees_their_own_results_in_their_queue(client, technician, manager, sample):
    manual(manager, "fire-assay", sample, Au="5")
    manual(technician, "fire-assay", sample, Ag="40")

    # The manager reviews, but not the Au he entered himself.
    assert queue(client, manager) == [f"{sample.code} Ag"]


def test_results_of_a_run_one_imported_are_not_in_ones_queue(
    client, manager, technician, reviewer, instrument, icpms, sample
):
    run = import_run(manager, instrument, icpms, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"])))
    client.force_login(technician)
    client.post(reverse("run_accept", kwargs={"run_pk": run.pk}))

    # Tess accepted the run, but Max imported it: he is not the second person.
    assert queue(client, manager) == []
    assert queue(client, reviewer) == [f"{sample.code} La"]


def test_the_reviewer_approves_a_result(client, technician, reviewer, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    client.force_login(reviewer)

    response = decide(client, moisture, decision="approve", reason="")

    assert response.status_code == 302 and response.url == reverse("result_review")
    moisture.refresh_from_db()
    assert (moisture.status, moisture.decided_by) == (Result.Status.APPROVED, reviewer)
    assert f"{sample.code} H2O: Approved." in client.get(response.url).content.decode()


def test_a_rejection_without_a_reason_shows_why_and_changes_nothing(client, technician, reviewer, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    client.force_login(reviewer)

    response = decide(client, moisture, decision="reject", reason=" ")

    # The worklist again, with 400 and the reason asked for in that result's own form.
    assert response.status_code == 400
    (row,) = page(response).xpath(f"//tr[@id='result-{moisture.pk}']")
    assert "Say why the result is rejected, so the retest can address it." in text_of(row, "div", "form-errors")
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.ENTERED and moisture.decided_by is None


def test_a_rejection_with_a_reason_asks_for_a_retest(client, technician, reviewer, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    client.force_login(reviewer)

    decide(client, moisture, decision="reject", reason="Crucible cracked.")

    moisture.refresh_from_db()
    assert (moisture.status, moisture.reason) == (Result.Status.REJECTED, "Crucible cracked.")
    # The sample waits for its moisture again, in the grid.
    client.force_login(technician)
    assert client.get(grid_url("moisture")).context["form"].samples == [sample]


def test_the_decision_never_redirects_off_the_site(client, technician, reviewer, sample):
    (moisture,) = manual(technician, "moisture", sample, H2O="8")
    client.force_login(reviewer)

    response = decide(client, moisture, decision="approve", next="https://evil.example/phish")

    assert response.url == reverse("result_review")
    # A page of this site is fine.
    (gold,) = manual(technician, "fire-assay", sample, Au="5")
    here = reverse("sample_results", kwargs={"code": sample.code})
    assert decide(client, gold, decision="reject", reason="Retest", next=here).url == here


def test_technicians_do_not_review(client, technician, manager, sample):
    (moisture,) = manual(manager, "moisture", sample, H2O="8")
    client.force_login(technician)

    assert client.get(reverse("result_review")).status_code == 403
    assert decide(client, moisture, decision="approve").status_code == 403
    moisture.refresh_from_db()
    assert moisture.status == Result.Status.ENTERED


# A sample's results ---------------------------------------------------------------------------


def test_the_sample_page_links_to_its_results_for_the_laboratory_only(client, technician, exporter, sample):
    results_url = reverse("sample_results", kwargs={"code": sample.code})
    detail_url = reverse("sample_detail", kwargs={"code": sample.code})

    client.force_login(technician)
    assert results_url in client.get(detail_url).content.decode()
    # Alice owns the lot and sees the sample, but results reach exporters on certificates only.
    client.force_login(exporter)
    assert results_url not in client.get(detail_url).content.decode()
    assert client.get(results_url).status_code == 403


def test_the_results_page_lists_the_panel_with_the_current_results(client, technician, sample):
    manual(technician, "moisture", sample, H2O="8")
    client.force_login(technician)

    response = client.get(reverse("sample_results", kwargs={"code": sample.code}))

    assert response.status_code == 200
    rows = {row[0]: row for row in table_rows(page(response).xpath("//table")[0])}
    # Every analyte of the panel has its line; the ones without a result say so.
    panel = PanelEntry.objects.filter(panel__material=sample.lot.material)
    assert set(rows) == set(panel.values_list("analyte__symbol", flat=True))
    # The moisture at the panel's 2 decimals (assays.precision), no uncertainty stated.
    assert rows["H2O"][3:] == ["8.00 % As received", "", "Entered"]
    assert rows["Au"][3:] == ["—", "", "missing"]
    assert "The panel is not complete yet." in response.content.decode()
    assert Method.objects.get(code="moisture").name in rows["H2O"][1]


def test_an_impossible_content_is_refused_next_to_its_cell(client, technician, sample):
    client.force_login(technician)

    # 1,200,000 g/t of gold is 120 % of the sample: a unit mistake, never a content.
    response = post_grid(client, {cell(sample, "Au"): "1200000", cell(sample, "Ag"): "40"})

    assert response.status_code == 400
    assert "more than the whole sample" in cell_text(response, cell(sample, "Au"))
    assert "whole sample" not in cell_text(response, cell(sample, "Ag"))
    assert not Result.objects.exists()
