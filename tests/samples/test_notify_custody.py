"""Custody tells people (lims.notifications): a sample handed to a person tells that person; a
nonconformance raised at reception tells the lab managers. Nobody else is told."""

import pytest
from django.urls import reverse

from lims.models import Notification
from lims.roles import Role
from samples import services
from tests.conftest import make_user, sealed_split


def told() -> list[tuple[str, str]]:
    return sorted(Notification.objects.values_list("recipient__username", "kind"))


@pytest.fixture
def mia(lab):
    """A second lab manager."""
    return make_user("mia", Role.MANAGER, lab)


def test_the_person_a_sample_is_handed_to_is_told(lot, sampler, technician, manager, exporter):
    sample = sealed_split(lot, sampler)

    services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)

    assert told() == [("tess", "sample_handed_over")]
    notice = Notification.objects.get()
    assert notice.link == reverse("sample_detail", kwargs={"code": sample.code})
    assert notice.title() == f"Sample {sample.code} handed over to you"
    assert notice.body().startswith("Sam Sampler (Kazakh Independent Laboratory) handed sample")


def test_a_sample_handed_to_a_carrier_tells_nobody(lot, sampler, technician, manager):
    sample = sealed_split(lot, sampler)

    services.sample_hand_over(actor=sampler, sample=sample, carrier="DHL 1234", seal_number_seen=sample.seal_number)

    assert told() == []


def test_a_nonconformance_tells_the_lab_managers_only(lot, sampler, technician, reviewer, manager, mia, exporter):
    sample = sealed_split(lot, sampler)
    services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)
    Notification.objects.all().delete()

    services.sample_receive(actor=technician, sample=sample, seal_number_seen="KZS-99999999", seal_intact=False)

    # One notification a manager for the reception, naming both problems.
    assert told() == [("max", "nonconformance_raised"), ("mia", "nonconformance_raised")]
    notice = Notification.objects.get(recipient=manager)
    assert notice.data["problems"] == ["seal_broken", "seal_mismatch"]
    assert notice.body() == (
        f"Tess Tech (Kazakh Independent Laboratory) put sample {sample.code} of lot {lot.lot_number} on hold at "
        "reception: the seal was broken; the seal number did not match. A lab manager decides whether it is tested."
    )
    assert notice.link == reverse("nonconformance_list")


def test_a_sample_received_intact_tells_no_manager(lot, sampler, technician, manager):
    sample = sealed_split(lot, sampler)
    services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)

    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)

    assert told() == [("tess", "sample_handed_over")]
