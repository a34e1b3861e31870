"""A rejection says why, wherever the technician meets the result: the results list, the sample's
results page, the entry grid and the run's page; the retest is linked to the rejected result, and the
sample's history shows both."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from assays import selectors, services
from assays.models import Result
from tests.assays.conftest import csv_file, import_run, manual, qc_rows, sample_rows

REASON = "Crucible cracked during fusion; repeat the fire assay."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rejected(technician, reviewer, sample):
    """tess's Au, rejected by rita with a reason."""
    (au,) = manual(technician, "fire-assay", sample, Au="5.2")
    return services.result_reject(actor=reviewer, result=au, reason=REASON)


def test_the_retest_is_linked_to_the_rejected_result(technician, reviewer, sample, rejected):
    (retest,) = manual(technician, "fire-assay", sample, Au="5.4")

    assert retest.retest_of == rejected
    assert list(rejected.retests.all()) == [retest]
    # The retest rejected too: the next one retests it, not the first.
    services.result_reject(actor=reviewer, result=retest, reason="Still low recovery.")
    (third,) = manual(technician, "fire-assay", sample, Au="5.3")
    assert third.retest_of == retest
    # A first result retests nothing.
    (ag,) = manual(technician, "fire-assay", sample, Ag="41")
    assert ag.retest_of is None


def test_a_retest_withdrawn_with_its_run_leaves_the_rejection_open(technician, reviewer, instrument, icpms, sample):
    def run_of(value):
        run = import_run(
            technician, instrument, icpms, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"], value)),
            filename=f"la-{value}.csv",
        )  # fmt: skip
        services.run_accept(actor=technician, run=run)
        return run

    first = run_of("100")
    la = first.results.get()
    services.result_reject(actor=reviewer, result=la, reason="Drift on the CCV after row 40.")
    second = run_of("110")
    services.run_withdraw(actor=technician, run=second, reason="Wrong digest volume.")
    # The withdrawn retest answered nothing: the rejection awaits a retest, the next run's result is it.
    assert list(selectors.open_rejections().filter(sample=sample)) == [la]
    third = run_of("120")
    assert third.results.get().retest_of == la
    assert not selectors.open_rejections().filter(sample=sample).exists()


def test_the_reason_shows_on_the_results_list(client, technician, rejected):
    client.force_login(technician)
    page = client.get(reverse("result_list")).content.decode()
    assert REASON in page and f'id="rejection-{rejected.pk}"' in page
    assert "awaiting its retest" in page


def test_the_reason_shows_on_the_sample_results_page_with_the_retest(client, technician, sample, rejected):
    (retest,) = manual(technician, "fire-assay", sample, Au="5.4")
    client.force_login(technician)
    page = client.get(reverse("sample_results", kwargs={"code": sample.code})).content.decode()

    # The current Au line says which rejected result it retests, and why that one was rejected.
    assert f'href="{reverse("sample_results", kwargs={"code": sample.code})}#result-{rejected.pk}"' in page
    assert "rejected because" in page and REASON in page
    # The history lists both: the rejected one links its retest.
    assert f'id="result-{rejected.pk}"' in page and f'id="result-{retest.pk}"' in page
    assert f"#result-{retest.pk}" in page


def test_the_reason_shows_in_the_entry_grid(client, technician, sample, rejected):
    client.force_login(technician)
    page = client.get(reverse("result_enter"), {"method": "fire-assay"}).content.decode()
    assert "Retests asked for" in page and REASON in page and f'id="rejection-{rejected.pk}"' in page
    # Once the retest is entered the grid no longer asks for it.
    manual(technician, "fire-assay", sample, Au="5.4")
    page = client.get(reverse("result_enter"), {"method": "fire-assay"}).content.decode()
    assert REASON not in page


def test_the_reason_shows_on_the_run_page(client, technician, reviewer, instrument, icpms, sample):
    run = import_run(technician, instrument, icpms, csv_file(*qc_rows(["La"]), *sample_rows(sample.code, ["La"])))
    services.run_accept(actor=technician, run=run)
    services.result_reject(actor=reviewer, result=run.results.get(), reason="Drift on the CCV after row 40.")
    client.force_login(technician)
    page = client.get(reverse("run_detail", kwargs={"run_pk": run.pk})).content.decode()
    assert "Drift on the CCV after row 40." in page


def test_the_api_gives_the_reason_and_both_links(technician, sample, rejected):
    (retest,) = manual(technician, "fire-assay", sample, Au="5.4")
    api = APIClient()
    api.force_authenticate(technician)
    body = api.get(reverse("api_result_detail", kwargs={"result_pk": rejected.pk})).json()
    assert body["status"] == Result.Status.REJECTED and body["reason"] == REASON and body["retest"] == retest.pk
    listed = {r["id"]: r for r in api.get(reverse("api_result_list"), {"sample": sample.code}).json()["results"]}
    assert listed[retest.pk]["retest_of"] == rejected.pk and listed[rejected.pk]["retest"] == retest.pk


def test_the_demo_holds_a_rejection_with_its_reason_and_results_awaiting_review(db):
    from assays import demo_review
    from lims import demo as lims_demo
    from samples import demo as samples_demo

    context: dict = {}
    for module in (lims_demo, samples_demo, demo_review, demo_review):  # twice: idempotent
        module.seed(context)
    sample = context["review_sample"]
    states = sorted(sample.results.values_list("analyte__symbol", "status", "reason"))
    assert states == [
        ("Ag", "rejected", demo_review.AG_REJECTION),
        ("Au", "entered", ""),
        ("Au", "rejected", demo_review.AU_REJECTION),
        ("Cu", "entered", ""),
        ("H2O", "entered", ""),
    ]
    retest = sample.results.get(analyte__symbol="Au", status="entered")
    assert retest.retest_of.reason == demo_review.AU_REJECTION
    # Cu and the retested Au wait for the moisture; the reviewer sees them apart.
    reviewer = context["users"]["reviewer"]
    queue = selectors.ReviewFilter({"sample": sample.code}, queryset=selectors.review_queue(reviewer)).qs
    assert sorted(queue.filter(selectors.AWAITING_MOISTURE).values_list("analyte__symbol", flat=True)) == ["Au", "Cu"]
    assert [r.analyte.symbol for r in selectors.open_rejections().filter(sample=sample)] == ["Ag"]
