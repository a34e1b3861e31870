"""The demo's full preparation record (assays.demo_preparation), seeded after the assays demo as the
hook in seed_demo will: every step with its weights, the failed sizing check and its redo, the
moisture awaiting a reviewer, the aliquot as the sample's factors, three portions in the chain."""

from decimal import Decimal

import pytest

from assays import demo, demo_preparation, preparation
from assays.models import PreparationStep
from lims import demo as lims_demo
from samples import chain
from samples import demo as samples_demo
from samples.models import Sample

pytestmark = pytest.mark.django_db


def test_the_demo_holds_a_samples_full_preparation_record(settings):
    settings.DEBUG = True
    context: dict = {}
    for module in (lims_demo, samples_demo, demo, demo_preparation):
        module.seed(context)
    sample = context["prepared_sample"]

    steps = list(PreparationStep.objects.filter(sample=sample).order_by("performed_at", "id"))
    assert [s.kind for s in steps] == [
        "drying", "crushing", "pulverising", "sizing", "pulverising", "sizing", "splitting", "aliquot",
    ]  # fmt: skip
    assert steps[0].moisture_pct == Decimal("8.00") and steps[0].result.status == "entered"
    assert [(s.passing_pct, s.passed) for s in steps if s.kind == "sizing"] == [
        (Decimal(78), False),
        (Decimal(91), True),
    ]
    _steps, per_method = preparation.sample_preparation(sample)
    (icpms,) = [m for m in per_method if m.method.code == "icpms-4acid"]
    assert icpms.blocked == "" and icpms.aliquot.mass_g == Decimal("0.2500")
    assert sample.portions.count() == 3
    assert list(sample.events.values_list("action", flat=True))[-3:] == ["portion_retain"] * 3
    assert chain.verify(Sample.objects.get(pk=sample.pk)).intact

    # Idempotent, as every seed.
    demo_preparation.seed(context)
    assert PreparationStep.objects.filter(sample=sample).count() == 8
    # The demo keeps a sample in each custody state the seed_demo test looks for.
    assert "received" in set(Sample.objects.values_list("status", flat=True))
