"""The demo batches: one in each state, made through the services, and seeding twice changes nothing."""

from assays import demo, demo_batches, demo_preparation, demo_review
from assays.batch_models import Batch
from assays.batch_selectors import batch_match
from assays.models import Result, Run
from lims import demo as lims_demo
from samples import demo as samples_demo


def test_the_demo_holds_a_batch_in_each_state(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    context: dict = {}
    # After the other demo seeds of the bench, as seed_demo runs them.
    for module in (lims_demo, samples_demo, demo, demo_preparation, demo_review):
        module.seed(context)
    demo_batches.seed(context)
    assert sorted(Batch.objects.values_list("status", flat=True)) == ["cancelled", "complete", "planned", "running"]
    running = Batch.objects.get(status="running")
    run = Run.objects.get(batch_link__batch=running)
    match = batch_match(run)
    # The running batch's run skipped its CRM and measured a stray row: its page says so.
    assert [p.kind for p in match.skipped] == ["crm"] and [e["sample_name"] for e in match.extra] == ["KZL-RINSE-CHECK"]
    complete = Batch.objects.get(status="complete")
    assert Result.objects.filter(run__batch_link__batch=complete, status="entered").exists()
    demo_batches.seed(context)
    assert Batch.objects.count() == 4
