"""Review in bulk (assays.services.review): a reviewer approves or rejects every entered result of a
sample, a run or a method in one action. The four-eyes rule, the moisture wait, unconfirmed flags and
failed QC skip single results with their reason; the others are decided, each on its own.

The cast: tess the technician enters, rita reviews, max the manager reviews too but enters some."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from assays import selectors
from assays.models import Result, ResultEvent
from assays.services import result_approve
from assays.services.review import APPROVE, AWAITING_MOISTURE, FLAGS, FOUR_EYES, REFUSED, REJECT, results_review
from lims.exceptions import ApplicationError
from tests.assays.conftest import csv_file, import_run, manual, qc_rows, sample_rows
from tests.conftest import received


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def entered(technician, manager, sample):
    """tess entered the moisture, Au and Ag; max entered Cu. All await review."""
    manual(technician, "moisture", sample, H2O="8.0")
    manual(technician, "fire-assay", sample, Au="5.2", Ag="41")
    manual(manager, "titration-cu", sample, Cu="22.5")
    return sample


def of_sample(user, sample):
    return selectors.ReviewFilter({"sample": sample.code}, queryset=selectors.review_candidates(user)).qs


def names(items) -> list[str]:
    return sorted(getattr(i, "result", i).analyte.symbol for i in items)


def test_approving_a_sample_skips_own_results_and_those_waiting_for_the_moisture(manager, entered):
    outcome = results_review(actor=manager, results=of_sample(manager, entered), decision=APPROVE)

    # Only the moisture could be approved: max entered Cu, and Au and Ag wait for the moisture.
    assert names(outcome.decided) == ["H2O"]
    assert names(outcome.skipped_for(FOUR_EYES)) == ["Cu"]
    assert names(outcome.skipped_for(AWAITING_MOISTURE)) == ["Ag", "Au"]
    assert outcome.counts() == {FOUR_EYES: 1, AWAITING_MOISTURE: 2, FLAGS: 0, "qc_failed": 0, REFUSED: 0}
    states = dict(entered.results.values_list("analyte__symbol", "status"))
    assert states == {"H2O": "approved", "Cu": "entered", "Au": "entered", "Ag": "entered"}
    # The moisture's approval computed the dry values, but Au and Ag stay for a second look.
    assert entered.results.get(analyte__symbol="Au").value is not None

    second = results_review(actor=manager, results=of_sample(manager, entered), decision=APPROVE)

    assert names(second.decided) == ["Ag", "Au"]
    assert names(second.skipped) == ["Cu"] and second.skipped[0].reason == FOUR_EYES
    assert ResultEvent.objects.filter(result__sample=entered, action="approve", actor=manager).count() == 3


def test_the_other_reviewer_approves_what_max_entered(manager, reviewer, entered):
    results_review(actor=manager, results=of_sample(manager, entered), decision=APPROVE)

    outcome = results_review(actor=reviewer, results=of_sample(reviewer, entered), decision=APPROVE)

    assert names(outcome.decided) == ["Ag", "Au", "Cu"] and outcome.skipped == []
    assert set(entered.results.values_list("status", flat=True)) == {"approved"}


def test_flagged_results_are_skipped_unless_the_reviewer_confirms_them(technician, reviewer, sample):
    manual(technician, "moisture", sample, H2O="8.0")
    (h2o,) = sample.results.all()
    result_approve(actor=reviewer, result=h2o)
    # A negative reading is flagged for the reviewer (assays.plausibility).
    manual(technician, "fire-assay", sample, Au="-0.1", Ag="41")

    outcome = results_review(actor=reviewer, results=of_sample(reviewer, sample), decision=APPROVE)

    assert names(outcome.decided) == ["Ag"]
    (skipped,) = outcome.skipped
    assert skipped.reason == FLAGS and skipped.result.analyte.symbol == "Au" and "negative" in skipped.message
    assert sample.results.get(analyte__symbol="Au").status == "entered"

    confirmed = results_review(
        actor=reviewer, results=of_sample(reviewer, sample), decision=APPROVE, confirm_flags=True
    )

    assert names(confirmed.decided) == ["Au"]
    event = ResultEvent.objects.get(result__analyte__symbol="Au", action="approve")
    assert event.data == {"confirmed_flags": ["negative"]}


def test_rejecting_a_run_rejects_each_of_its_results_with_the_reason(technician, reviewer, instrument, icpms, sample):
    run = import_run(
        technician, instrument, icpms, csv_file(*qc_rows(["La", "Ce"]), *sample_rows(sample.code, ["La", "Ce"]))
    )
    from assays.services import run_accept

    run_accept(actor=technician, run=run)
    manual(technician, "moisture", sample, H2O="8.0")
    by_run = selectors.ReviewFilter({"run": run.pk}, queryset=selectors.review_candidates(reviewer)).qs

    # A rejection without a reason decides nothing.
    with pytest.raises(ApplicationError, match="Say why"):
        results_review(actor=reviewer, results=by_run, decision=REJECT, reason="  ")
    assert set(run.results.values_list("status", flat=True)) == {"entered"}

    outcome = results_review(actor=reviewer, results=by_run, decision=REJECT, reason="Digest not cleared.")

    # Waiting for the moisture does not hold a rejection back; the moisture is no result of the run.
    assert names(outcome.decided) == ["Ce", "La"] and outcome.skipped == []
    assert set(run.results.values_list("status", "reason")) == {("rejected", "Digest not cleared.")}
    assert sample.results.get(analyte__symbol="H2O").status == "entered"


def test_the_method_filter_narrows_the_action(technician, reviewer, entered):
    by_method = selectors.ReviewFilter(
        {"sample": entered.code, "method": "moisture"}, queryset=selectors.review_candidates(reviewer)
    ).qs

    outcome = results_review(actor=reviewer, results=by_method, decision=APPROVE)

    assert names(outcome.decided) == ["H2O"] and outcome.skipped == []
    assert entered.results.filter(status="entered").count() == 3


def test_the_batch_filter_takes_the_results_of_the_runs_imported_against_it(
    technician, reviewer, sampler, instrument, icpms, lot, sample
):
    from assays.services import batches, run_accept

    other = received(lot, sampler, technician)
    batch = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[sample.code])
    measured = import_run(
        technician, instrument, icpms, csv_file(*qc_rows(["La", "Ce"]), *sample_rows(sample.code, ["La", "Ce"]))
    )
    batches.batch_run_start(actor=technician, run=measured, batch=batch)
    run_accept(actor=technician, run=measured)
    elsewhere = import_run(
        technician,
        instrument,
        icpms,
        csv_file(*qc_rows(["La"]), *sample_rows(other.code, ["La"])),
        filename="other.csv",
    )
    run_accept(actor=technician, run=elsewhere)
    by_batch = selectors.ReviewFilter({"batch": batch.pk}, queryset=selectors.review_candidates(reviewer)).qs

    outcome = results_review(
        actor=reviewer, results=by_batch, decision=REJECT, reason="Batch digested at the wrong temperature."
    )

    # The batch's run only: the other sample's La, from a run of no batch, is untouched.
    assert names(outcome.decided) == ["Ce", "La"] and {r.sample for r in outcome.decided} == {sample}
    assert other.results.get().status == "entered"
    response = post(reviewer, {"decision": "reject", "batch": batch.pk, "reason": "again"})
    assert response.status_code == 400 and "nothing to decide" in response.json()["message"]


def test_nothing_to_decide_is_refused(reviewer, entered):
    results_review(actor=reviewer, results=of_sample(reviewer, entered), decision=REJECT, reason="Wrong tray.")
    with pytest.raises(ApplicationError, match="nothing to decide"):
        results_review(actor=reviewer, results=of_sample(reviewer, entered), decision=APPROVE)


# The API ----------------------------------------------------------------------------------------


def post(user, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(reverse("api_result_review"), body, format="json")


def test_the_api_answers_what_was_approved_and_what_was_skipped_why(manager, entered):
    response = post(manager, {"decision": "approve", "sample": entered.code})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["analyte"] for r in body["decided"]] == ["H2O"]
    assert body["decided"][0]["status"] == "approved"
    skipped = {r["analyte"]: r["reason"] for r in body["skipped"]}
    assert skipped == {"Ag": AWAITING_MOISTURE, "Au": AWAITING_MOISTURE, "Cu": FOUR_EYES}
    assert body["skipped_counts"][FOUR_EYES] == 1 and body["skipped_counts"][AWAITING_MOISTURE] == 2


def test_the_api_refuses_an_action_on_everything_and_a_rejection_without_reason(reviewer, technician, entered):
    response = post(reviewer, {"decision": "approve"})
    assert response.status_code == 400 and "sample, the run, the batch or the method" in response.json()["message"]
    response = post(reviewer, {"decision": "reject", "sample": entered.code})
    assert response.status_code == 400 and "Say why" in response.json()["message"]
    # A technician does not review.
    assert post(technician, {"decision": "approve", "sample": entered.code}).status_code == 403
    assert entered.results.filter(status="entered").count() == 4


# The web page -----------------------------------------------------------------------------------


def test_the_page_shows_results_waiting_for_the_moisture_apart_and_approves_all(client, manager, entered):
    client.force_login(manager)
    response = client.get(reverse("result_review"), {"sample": entered.code})
    assert [r.analyte.symbol for r in response.context["page_obj"]] == ["H2O"]
    assert sorted(r.analyte.symbol for r in response.context["awaiting_moisture"]) == ["Ag", "Au"]
    # Cu is max's own: counted, not listed.
    assert response.context["own_count"] == 1
    assert "Waiting for the moisture" in response.content.decode()

    response = client.post(
        reverse("result_review_bulk"), {"decision": "approve", "sample": entered.code, "reason": ""}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("result_review") + f"?sample={entered.code}"
    message = str(next(iter(response.context["messages"])))
    assert message.startswith("1 result(s) approved.")
    assert f"Skipped 1 — You entered or imported it; a second person must review it. {entered.code} Cu" in message
    assert (
        f"Skipped 2 — Its dry basis waits for the sample's approved moisture. {entered.code} Ag, {entered.code} Au"
        in message
    )
    assert entered.results.get(analyte__symbol="H2O").status == "approved"


def test_the_page_refuses_all_without_a_filter(client, reviewer, entered):
    client.force_login(reviewer)
    response = client.post(reverse("result_review_bulk"), {"decision": "approve"})
    assert response.status_code == 400
    assert "Filter the results by sample, run, batch or method" in response.content.decode()
    assert entered.results.filter(status="entered").count() == 4


# Concurrency ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_result_decided_meanwhile_is_skipped_not_a_server_error(technician, reviewer, manager, sample):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are tested on PostgreSQL")
    manual(technician, "moisture", sample, H2O="8.0")
    manual(technician, "titration-cu", sample, Cu="22.5")
    h2o = sample.results.get(analyte__symbol="H2O")
    locked, done = threading.Event(), threading.Event()

    def single_approval():
        # rita approves the moisture alone and holds its row lock until the bulk action waits for it.
        try:
            with transaction.atomic():
                result_approve(actor=reviewer, result=h2o)
                locked.set()
                time.sleep(1.0)
        finally:
            done.set()
            connections.close_all()

    thread = threading.Thread(target=single_approval)
    thread.start()
    assert locked.wait(10)
    outcome = results_review(actor=manager, results=of_sample(manager, sample), decision=APPROVE)
    thread.join()

    # The bulk action read the moisture as entered, waited for rita's lock, then found it approved: skipped
    # with the reason, Cu waits for the moisture as it did when the action started, nothing decided twice.
    assert outcome.decided == []
    (refused,) = outcome.skipped_for(REFUSED)
    assert refused.result.analyte.symbol == "H2O" and refused.message == "This result has been approved already."
    assert names(outcome.skipped_for(AWAITING_MOISTURE)) == ["Cu"]
    h2o.refresh_from_db()
    assert h2o.status == Result.Status.APPROVED and h2o.decided_by == reviewer
    assert ResultEvent.objects.filter(result=h2o, action="approve").count() == 1
