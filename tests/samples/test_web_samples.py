"""The sample worklist and a sample's page with its chain of custody."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from samples import services
from samples.models import Sample
from tests.conftest import in_transit_to, received, register_splits, sealed_split


def detail(client, sample):
    return client.get(reverse("sample_detail", kwargs={"code": sample.code}))


# The worklist -------------------------------------------------------------------------------


def test_exporters_list_only_their_own_samples(client, exporter, exporter2, lot, lot2, sampler):
    _, own = register_splits(lot, sampler, purposes=("laboratory",))
    _, other = register_splits(lot2, sampler, purposes=("laboratory",))
    client.force_login(exporter)

    page = client.get(reverse("sample_list"))

    codes = {sample.code for sample in page.context["page_obj"]}
    assert own[0].code in codes
    assert other[0].code not in codes and other[0].code not in page.content.decode()


def test_in_my_custody_lists_what_the_user_holds(client, lot, sampler, technician):
    mine = in_transit_to(lot, sampler, technician)
    client.force_login(technician)

    everything = client.get(reverse("sample_list")).context["page_obj"]
    held = client.get(reverse("sample_list"), {"mine": "on"}).context["page_obj"]

    assert len(everything) == 2  # the composite stays with the sampler
    assert [sample.code for sample in held] == [mine.code]


def test_it_filters_by_status_and_purpose_and_searches(client, lot, sampler):
    composite, (lab, archive) = register_splits(lot, sampler, purposes=("laboratory", "archive"))
    client.force_login(sampler)

    def listed(**params):
        return {sample.code for sample in client.get(reverse("sample_list"), params).context["page_obj"]}

    assert listed(status="split") == {composite.code}
    assert listed(purpose="archive") == {archive.code}
    assert listed(q=lab.seal_number) == {lab.code}


# One sample and its timeline ----------------------------------------------------------------


def test_it_shows_the_timeline_and_the_verified_chain(client, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    client.force_login(technician)

    page = detail(client, sample)

    assert page.status_code == 200
    assert [event.action for event in page.context["events"]] == ["collect", "seal", "hand_over", "receive"]
    html = page.content.decode()
    assert "Chain verified" in html and "BROKEN" not in html
    for event in page.context["events"]:
        assert event.hash[:12] in html
    # The seal as seen at reception and who took it in.
    assert sample.seal_number in html and technician.party_label() in html


def test_times_are_shown_in_the_local_time_zone(client, lot, sampler):
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)

    page = detail(client, sample)

    event = page.context["events"][0]
    # Asia/Almaty is UTC+5 all year.
    local = (event.occurred_at + timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")
    assert local in page.content.decode()
    assert "Asia/Almaty" in page.content.decode()


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="on PostgreSQL a trigger refuses any change to a custody event"
)
def test_an_event_edited_behind_the_applications_back_shows_the_chain_broken(client, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE samples_custodyevent SET location = %s WHERE sample_id = %s AND sequence = 3",
            ["Somewhere else", sample.pk],
        )
    client.force_login(technician)

    html = detail(client, sample).content.decode()

    assert "Chain BROKEN at event 3: content does not match its hash" in html
    assert "Chain verified" not in html


def test_another_exporters_sample_is_not_found(client, exporter2, lot, sampler):
    sample = sealed_split(lot, sampler)
    client.force_login(exporter2)
    assert detail(client, sample).status_code == 404
    assert client.get(reverse("sample_label", kwargs={"code": sample.code})).status_code == 404


def test_it_offers_the_steps_the_user_may_take_now(client, lot, sampler, technician, manager, exporter):
    sample = sealed_split(lot, sampler)

    def offered(user):
        client.force_login(user)
        return [url_name for url_name, _ in detail(client, sample).context["actions"]]

    # A sealed sample can be handed over, by the roles that hand over.
    assert offered(sampler) == ["sample_hand_over"]
    assert offered(exporter) == []
    services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)
    # In transit: the laboratory receives (or passes it on).
    assert offered(technician) == ["sample_hand_over", "sample_receive"]
    # Sam, who gave it, may take it back until it is received; only Tess may pass it on.
    assert offered(sampler) == ["sample_recall"]
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)
    assert offered(technician) == ["sample_hand_over", "sample_prepare", "sample_store"]
    services.sample_store(actor=technician, sample=sample)
    # Only the lab manager disposes.
    assert offered(technician) == []
    assert offered(manager) == ["sample_dispose"]
    html = detail(client, sample).content.decode()
    assert reverse("sample_dispose", kwargs={"code": sample.code}) in html


def test_a_composite_links_to_its_splits_and_back(client, lot, sampler):
    composite, (split,) = register_splits(lot, sampler, purposes=("laboratory",))
    client.force_login(sampler)

    assert reverse("sample_detail", kwargs={"code": split.code}) in detail(client, composite).content.decode()
    assert reverse("sample_detail", kwargs={"code": composite.code}) in detail(client, split).content.decode()
    assert Sample.objects.get(code=split.code).parent == composite
