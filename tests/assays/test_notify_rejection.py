"""A rejected result tells whoever entered it (lims.notifications): once per sample for a review in
bulk, naming the analytes and the reason, never a value; nobody else is told."""

from django.urls import reverse

from assays import selectors
from assays.services import result_reject
from assays.services.review import REJECT, results_review
from lims.models import Notification
from tests.assays.conftest import manual


def test_the_enterer_is_told_of_a_rejection(sample, technician, reviewer, manager, exporter):
    Notification.objects.all().delete()  # the hand-over to tess
    (au,) = manual(technician, "fire-assay", sample, Au="5.25")

    result_reject(actor=reviewer, result=au, reason="Duplicate out of tolerance")

    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind) == (technician, "result_rejected")
    assert notice.data == {
        "sample": sample.code, "by": "Rita Reviewer", "reason": "Duplicate out of tolerance", "analytes": ["Au"],
    }  # fmt: skip
    assert notice.link == reverse("sample_results", kwargs={"code": sample.code})


def test_a_review_in_bulk_tells_each_enterer_once_per_sample(sample, technician, reviewer, manager):
    Notification.objects.all().delete()
    manual(technician, "fire-assay", sample, Au="5.25", Ag="41.0")
    manual(manager, "titration-cu", sample, Cu="22.50")

    outcome = results_review(
        actor=reviewer, results=selectors.review_candidates(reviewer).filter(sample=sample), decision=REJECT,
        reason="Digest incomplete",
    )  # fmt: skip

    assert len(outcome.decided) == 3
    told = {n.recipient.username: n for n in Notification.objects.all()}
    assert sorted(told) == ["max", "tess"]
    assert told["tess"].data["analytes"] == ["Ag", "Au"]
    assert told["tess"].title() == f"2 results rejected on sample {sample.code}"
    assert told["max"].data["analytes"] == ["Cu"]
    assert "41.0" not in told["tess"].body() and "5.25" not in told["tess"].body()
