"""Batches with QC masks: the layout a mask gives, the CRM it picks, who may build a batch of which
samples, and the batch's lifecycle with its run. tess builds, max manages the reference data."""

from datetime import date, timedelta

import pytest

from assays import masks
from assays.batch_models import Batch, BatchPosition, QCMask, QCMaskRule
from assays.importers.vocabulary import Classifier
from assays.models import CertifiedValue, Method, PanelEntry, ReferenceMaterial
from assays.services import batches
from assays.services.imports import crm_names
from lims import services as reference
from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.models import AuditEvent
from tests.conftest import received, sealed_split

DEFAULT = [
    masks.Rule("cal_blank", "start"),
    masks.Rule("duplicate", "per_samples", 20),
    masks.Rule("method_blank", "per_samples", 20),
    masks.Rule("crm", "per_samples", 20),
    masks.Rule("ccv", "every_positions", 10),
    masks.Rule("ccv", "end"),
]


def test_the_default_mask_lays_out_45_samples():
    layout = masks.describe(masks.expand(DEFAULT, 45))
    samples = [f"S{n}" for n in range(1, 46)]
    # Groups 1-20, 21-40, 41-45 each end with a duplicate of their last sample, a method blank and a CRM;
    # a CCV follows every 10 positions (the 11th, 22nd, ...) and closes the batch.
    expected = [
        "cal_blank", *samples[0:9], "ccv", *samples[9:19], "ccv", samples[19], "DUP(23)", "method_blank", "crm",
        *samples[20:26], "ccv", *samples[26:36], "ccv", *samples[36:40], "DUP(48)", "method_blank", "crm",
        *samples[40:43], "ccv", *samples[43:45], "DUP(57)", "method_blank", "crm", "ccv",
    ]  # fmt: skip
    assert layout == expected
    assert len(layout) == 61


def test_a_closing_ccv_is_not_doubled():
    # 9 samples after the blank: the 10th position is followed by the periodic CCV, which also closes.
    layout = masks.describe(masks.expand([DEFAULT[0], DEFAULT[4], DEFAULT[5]], 9))
    assert layout == ["cal_blank", *[f"S{n}" for n in range(1, 10)], "ccv"]


def test_the_migration_gives_icp_ms_methods_the_default_mask(db):
    for code in ("icpms-4acid", "icpms-aqua-regia"):
        rules = QCMask.objects.get(method__code=code).rules.order_by("order")
        assert [(r.kind, r.placement, r.interval) for r in rules] == [tuple(rule) for rule in DEFAULT]
    assert not QCMask.objects.filter(method__code="fire-assay").exists()


def test_mask_rules_are_reference_data_changed_on_record(manager):
    rule = QCMaskRule.objects.get(mask__method__code="icpms-4acid", kind="crm")
    reference.reference_save(actor=manager, permission="reference.change", instance=rule, fields={"interval": 10})
    event = AuditEvent.objects.get(action="reference.change", object_type="assays.qcmaskrule")
    assert event.data == {"before": {"interval": "20"}, "after": {"interval": "10"}}
    # A counted placement without its N is refused, next to the field.
    with pytest.raises(ApplicationError) as refused:
        reference.reference_save(actor=manager, permission="reference.change", instance=rule, fields={"interval": None})
    assert refused.value.field == "interval"


@pytest.fixture
def icpms(db):
    return Method.objects.get(code="icpms-4acid")


@pytest.fixture
def ready(lot, sampler, technician):
    return [received(lot, sampler, technician) for _ in range(4)]


def positions(batch):
    return [
        (
            p.number,
            p.kind,
            p.label,
            p.sample.code if p.sample else None,
            p.duplicate_of.number if p.duplicate_of else None,
        )
        for p in batch.positions.select_related("sample", "duplicate_of").order_by("number")
    ]


def test_a_technician_builds_a_batch_with_its_qc_positions(technician, instrument, icpms, ready):
    codes = [s.code for s in ready]
    batch = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=codes)
    crm = batch.reference_material.name
    assert batch.status == "planned"
    assert positions(batch) == [
        (1, "cal_blank", "CAL BLANK 1", None, None),
        (2, "sample", codes[0], codes[0], None),
        (3, "sample", codes[1], codes[1], None),
        (4, "sample", codes[2], codes[2], None),
        (5, "sample", codes[3], codes[3], None),
        (6, "duplicate", "DUP 5", codes[3], 5),
        (7, "method_blank", "METHOD BLANK 1", None, None),
        (8, "crm", f"{crm} 1", None, None),
        (9, "ccv", "CCV 1", None, None),
    ]
    # The importers read every name back as what it is.
    classifier = Classifier(list(crm_names()))
    read = [classifier.classify(label, None, {})[0] for _n, _k, label, _s, _d in positions(batch)]
    assert read == ["cal_blank", "sample", "sample", "sample", "sample", "duplicate", "method_blank", "crm", "ccv"]
    assert AuditEvent.objects.filter(action="batch.create", object_id=str(batch.pk)).count() == 1


def test_the_crm_certifies_most_of_the_methods_analytes_first_by_name_among_equals(
    technician, instrument, icpms, ready
):
    ReferenceMaterial.objects.update(active=False)
    # The analytes the method reports (its panel entries), not every analyte it has limits for.
    reported = [e.analyte for e in PanelEntry.objects.filter(method=icpms).select_related("analyte")[:3]]
    two_b = ReferenceMaterial.objects.create(name="ZZ-2", producer="p", matrix="m")
    two_a = ReferenceMaterial.objects.create(name="AA-2", producer="p", matrix="m")
    one = ReferenceMaterial.objects.create(name="AA-1", producer="p", matrix="m")
    for crm, certified in ((two_b, reported[:2]), (two_a, reported[1:3]), (one, reported[:1])):
        for analyte in certified:
            CertifiedValue.objects.create(reference_material=crm, analyte=analyte, value=1, unit="ppm")
    batch = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    # Two analytes each for AA-2 and ZZ-2: AA-2 by name.
    assert batch.reference_material == two_a
    assert batch.positions.get(kind="crm").label == "AA-2 1"


def test_no_crm_certifying_the_methods_analytes_refuses_the_batch(technician, instrument, icpms, ready):
    ReferenceMaterial.objects.update(active=False)
    with pytest.raises(ApplicationError) as refused:
        batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    assert refused.value.field == "method"
    assert "No active reference material certifies an analyte of" in refused.value.message
    assert not Batch.objects.exists()


def test_samples_not_ready_or_already_batched_are_refused_by_name(technician, instrument, icpms, ready, lot, sampler):
    sealed = sealed_split(lot, sampler)
    with pytest.raises(ApplicationError) as refused:
        batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code, sealed.code])
    assert (
        refused.value.message
        == f"Not ready for analysis (received, in preparation or in analysis): {sealed.code} (sealed)."
    )
    with pytest.raises(ApplicationError) as refused:
        batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=["NO-SUCH"])
    assert refused.value.message == "No sample has the code NO-SUCH."
    first = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    with pytest.raises(ApplicationError) as refused:
        batches.batch_create(
            actor=technician, method=icpms, instrument=instrument, codes=[ready[1].code, ready[0].code]
        )
    assert refused.value.message == (
        f"Already in an open batch of this method: {ready[0].code} (batch {first.pk}). Cancel that batch, or leave "
        "them out."
    )
    # Cancelled, the batch lets its samples go.
    batches.batch_cancel(actor=technician, batch=first, reason="Wrong rack")
    again = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    assert BatchPosition.objects.filter(batch=again, kind="sample").count() == 1


def test_a_manual_method_or_an_uncalibrated_instrument_plans_no_batch(technician, instrument, icpms, ready):
    with pytest.raises(ApplicationError) as refused:
        batches.batch_create(
            actor=technician, method=Method.objects.get(code="fire-assay"), instrument=instrument, codes=[ready[0].code]
        )
    assert refused.value.field == "method"
    instrument.calibration_due = date.today() - timedelta(days=1)
    instrument.save()
    with pytest.raises(ApplicationError) as refused:
        batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    assert refused.value.field == "instrument"


def test_only_laboratory_roles_build_and_cancel(exporter, reviewer, technician, instrument, icpms, ready):
    for outsider in (exporter, reviewer):
        with pytest.raises(NotPermitted):
            batches.batch_create(actor=outsider, method=icpms, instrument=instrument, codes=[ready[0].code])
    batch = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    with pytest.raises(NotPermitted):
        batches.batch_cancel(actor=exporter, batch=batch, reason="no")


def test_cancelling_needs_a_reason_and_a_planned_batch(technician, instrument, icpms, ready):
    batch = batches.batch_create(actor=technician, method=icpms, instrument=instrument, codes=[ready[0].code])
    with pytest.raises(ApplicationError):
        batches.batch_cancel(actor=technician, batch=batch, reason=" ")
    batches.batch_cancel(actor=technician, batch=batch, reason="Instrument down")
    batch.refresh_from_db()
    assert (batch.status, batch.cancel_reason) == ("cancelled", "Instrument down")
    with pytest.raises(Conflict) as refused:
        batches.batch_cancel(actor=technician, batch=batch, reason="again")
    assert refused.value.message == f"Batch {batch.pk} has been cancelled already."
