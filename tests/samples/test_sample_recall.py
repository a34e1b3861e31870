"""Recalling a hand-over nobody has received yet (samples.services.sample_recall): the giver takes the
sample back, with a reason, as a link of its custody chain."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from lims.models import AuditEvent
from samples import chain, services
from samples.models import Sample
from tests.conftest import in_transit_to, received, sealed_split

REASON = "Handed to the wrong technician; the courier is not coming today."


def recall(actor, sample, reason=REASON, **kwargs):
    services.sample_recall(actor=actor, sample=sample, reason=reason, **kwargs)
    sample.refresh_from_db()  # the service moved its own, locked copy


def test_the_giver_takes_a_sample_back(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)

    recall(sampler, sample, location="Loading bay 3")

    sample.refresh_from_db()
    # Back with Sam, sealed as it was before he handed it over.
    assert (sample.status, sample.current_custodian) == (Sample.Status.SEALED, sampler)
    event = sample.events.last()
    assert (event.sequence, event.action, event.actor) == (4, "recall", sampler)
    assert (event.from_party, event.to_party) == (technician.party_label(), sampler.party_label())
    assert (event.status_before, event.status_after) == ("in_transit", "sealed")
    assert (event.note, event.location) == (REASON, "Loading bay 3")
    # The recall is a link like any other: the chain recomputes, the head is the recall.
    report = chain.verify(sample)
    assert (report.intact, report.length) == (True, 4)
    assert sample.custody_head == event.hash and event.prev_hash == sample.events.get(sequence=3).hash
    audit = AuditEvent.objects.get(action="custody.recall")
    assert (audit.actor, audit.object_id) == (sampler, str(sample.pk))
    assert audit.data == {
        "sequence": 4,
        "from": technician.party_label(),
        "to": sampler.party_label(),
        "reason": REASON,
    }


def test_a_recalled_sample_can_be_handed_over_again(lot, sampler, sampler2):
    sample = sealed_split(lot, sampler)
    services.sample_hand_over(
        actor=sampler, sample=sample, carrier="KazExpress, waybill 42", seal_number_seen=sample.seal_number
    )
    # The carrier never came: nobody with an account held it, and now Sam does again.
    recall(sampler, sample)
    assert (sample.status, sample.current_custodian) == (Sample.Status.SEALED, sampler)
    assert sample.events.last().from_party == "KazExpress, waybill 42"

    services.sample_hand_over(actor=sampler, sample=sample, to_user=sampler2, seal_number_seen=sample.seal_number)
    sample.refresh_from_db()
    assert sample.current_custodian == sampler2 and chain.verify(sample).intact


def test_a_received_sample_handed_on_returns_received(lot, sampler, technician, manager):
    sample = received(lot, sampler, technician)
    services.sample_hand_over(actor=technician, sample=sample, to_user=manager, seal_number_seen=sample.seal_number)

    recall(technician, sample)

    assert (sample.status, sample.current_custodian) == (Sample.Status.RECEIVED, technician)


def test_a_hand_on_before_reception_returns_to_its_giver_still_in_transit(lot, sampler, sampler2, technician):
    # Sam gives it to Tess; Tess, before receiving it, passes it to Sid, then takes that back.
    sample = in_transit_to(lot, sampler, technician)
    services.sample_hand_over(actor=technician, sample=sample, to_user=sampler2, seal_number_seen=sample.seal_number)

    recall(technician, sample)
    assert (sample.status, sample.current_custodian) == (Sample.Status.IN_TRANSIT, technician)

    # The recalled hand-on is not where it came from: Tess receives it from Sam.
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)
    sample.refresh_from_db()
    assert sample.events.last().from_party == sampler.party_label()
    assert (sample.status, sample.custody_length, chain.verify(sample).intact) == ("received", 6, True)


def test_it_is_refused_after_reception(lot, sampler, technician):
    sample = received(lot, sampler, technician)
    with pytest.raises(Conflict, match="is received; it cannot be recalled"):
        recall(sampler, sample)
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian, sample.custody_length) == ("received", technician, 4)


def test_it_is_refused_after_a_failed_seal_check(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=False)
    with pytest.raises(Conflict, match="is on hold"):
        recall(sampler, sample)


def test_only_the_giver_recalls(lot, sampler, sampler2, technician, manager, superuser):
    sample = in_transit_to(lot, sampler, technician)
    # Not a colleague of the giver, not the lab manager, not the addressee.
    for someone in (sampler2, manager, technician):
        with pytest.raises(NotPermitted, match="Only Sam Sampler"):
            recall(someone, sample)
    sample.refresh_from_db()
    assert (sample.status, sample.custody_length) == (Sample.Status.IN_TRANSIT, 3)
    # An administrator may, for the giver: the sample goes back to the giver.
    recall(superuser, sample)
    assert sample.current_custodian == sampler
    assert sample.events.last().actor == superuser


def test_exporters_cannot_recall(lot, sampler, exporter):
    sample = in_transit_to(lot, sampler, exporter, purpose="exporter")
    with pytest.raises(NotPermitted):
        recall(exporter, sample)


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_needs_a_reason(lot, sampler, technician, reason):
    sample = in_transit_to(lot, sampler, technician)
    with pytest.raises(ApplicationError) as refusal:
        recall(sampler, sample, reason=reason)
    assert (refusal.value.field, refusal.value.message) == ("reason", "Give the reason for recalling the sample.")
    sample.refresh_from_db()
    assert (sample.status, sample.custody_length) == (Sample.Status.IN_TRANSIT, 3)
    assert not AuditEvent.objects.filter(action="custody.recall").exists()


def test_verify_custody_verifies_a_chain_with_a_recall(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    recall(sampler, sample)
    out = StringIO()
    call_command("verify_custody", sample.code, stdout=out)
    assert out.getvalue() == "1 chain(s) checked, 0 broken\n"


# The page and the API -------------------------------------------------------------------------


def test_the_sample_page_offers_the_recall_to_the_giver_only(client, lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    url = reverse("sample_recall", kwargs={"code": sample.code})

    client.force_login(technician)
    assert url not in client.get(reverse("sample_detail", kwargs={"code": sample.code})).content.decode()

    client.force_login(sampler)
    assert url in client.get(reverse("sample_detail", kwargs={"code": sample.code})).content.decode()
    page = client.get(url)
    assert "Handed to Tess Tech (Kazakh Independent Laboratory) by Sam Sampler" in page.content.decode()

    # Without a reason: refused next to the field, nothing changed.
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["reason"]
    assert Sample.objects.get(pk=sample.pk).custody_length == 3

    response = client.post(url, {"reason": REASON, "location": "Loading bay 3"})
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian) == (Sample.Status.SEALED, sampler)
    assert f"Recalled: {sample.code}." in client.get(response.url).content.decode()


def test_the_api_recalls(lot, sampler, technician):
    sample = in_transit_to(lot, sampler, technician)
    api = APIClient()

    api.force_authenticate(technician)
    assert api.post(f"/api/v1/samples/{sample.code}/recall/", {"reason": REASON}, format="json").status_code == 403
    api.force_authenticate(sampler)
    assert "recall" in api.get(f"/api/v1/samples/{sample.code}/").json()["actions"]
    response = api.post(f"/api/v1/samples/{sample.code}/recall/", {"reason": ""}, format="json")
    assert response.status_code == 400 and response.json()["extra"] == {"field": "reason"}

    response = api.post(f"/api/v1/samples/{sample.code}/recall/", {"reason": REASON}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["current_custodian"]["username"]) == ("sealed", "sam")
    assert body["actions"] == ["hand_over"]
    # Received since: the API says why not, with the state.
    sample.refresh_from_db()
    services.sample_hand_over(actor=sampler, sample=sample, to_user=technician, seal_number_seen=sample.seal_number)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True)
    response = api.post(f"/api/v1/samples/{sample.code}/recall/", {"reason": REASON}, format="json")
    assert response.status_code == 409 and response.json()["extra"] == {"status": "received"}
