"""Closing a lot: the laboratory ends its sampling once its composition is settled (a sample of it
reported, none still in work); a closed lot takes no more samples, and its other samples carry on."""

from decimal import Decimal

import pytest

from lims.exceptions import Conflict, NotPermitted
from lims.models import AuditEvent
from samples import services
from samples.models import Lot
from tests.conftest import received, register_splits


def reported(lot, sampler, technician, manager):
    """A laboratory split of `lot` through analysis to reported (as assays does when its panel is
    approved), with the composite and an exporter's split beside it."""
    _, (lab_split, exporter_split) = register_splits(lot, sampler, purposes=("laboratory", "exporter"))
    services.sample_hand_over(
        actor=sampler, sample=lab_split, to_user=technician, seal_number_seen=lab_split.seal_number
    )
    services.sample_receive(
        actor=technician, sample=lab_split, seal_number_seen=lab_split.seal_number, seal_intact=True
    )
    services.sample_start_analysis(actor=technician, sample=lab_split)
    services.sample_report(actor=manager, sample=lab_split)
    return lab_split, exporter_split


def test_it_closes_a_lot_whose_composition_is_reported(lot, sampler, technician, manager):
    _, exporter_split = reported(lot, sampler, technician, manager)

    services.lot_close(actor=manager, lot=lot, note="Certificate issued; vessel sailed.")

    lot.refresh_from_db()
    assert lot.status == Lot.Status.CLOSED
    event = AuditEvent.objects.get(action="lot.close")
    assert (event.actor, event.object_id, event.data) == (
        manager,
        str(lot.pk),
        {"note": "Certificate issued; vessel sailed."},
    )
    # The exporter's split (sealed, in the sampler's hands) did not hold the lot open, and goes on.
    services.sample_hand_over(
        actor=sampler, sample=exporter_split, carrier="KazExpress", seal_number_seen=exporter_split.seal_number
    )


def test_a_closed_lot_takes_no_more_samples(lot, sampler, technician, manager):
    reported(lot, sampler, technician, manager)
    services.lot_close(actor=manager, lot=lot)

    with pytest.raises(Conflict, match=rf"^Lot {lot.lot_number} is closed; it cannot be sampled\.$"):
        services.sample_collect(actor=sampler, lot=lot, mass_g=Decimal("1000"), location="Loading bay 3")
    assert lot.samples.count() == 3


def test_a_lot_stays_open_while_a_sample_is_in_work(lot, sampler, technician, manager):
    reported(lot, sampler, technician, manager)
    # A second laboratory split, received but not reported yet.
    waiting = received(lot, sampler, technician)

    with pytest.raises(Conflict) as refused:
        services.lot_close(actor=manager, lot=lot)

    assert refused.value.message == (
        f"Lot {lot.lot_number} cannot be closed while samples of it are in work: {waiting.code} (received)."
    )
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING


def test_a_lot_stays_open_until_a_sample_of_it_is_reported(lot, sampler, technician, manager):
    # Received and stored without analysis: nothing establishes the lot's composition.
    sample = received(lot, sampler, technician)
    services.sample_store(actor=technician, sample=sample)

    with pytest.raises(Conflict, match=r"No sample of lot LOT-\d+ has been reported yet"):
        services.lot_close(actor=manager, lot=lot)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING


def test_a_lot_without_samples_is_not_closed(lot, manager):
    with pytest.raises(Conflict, match=rf"^Lot {lot.lot_number} is registered; it cannot be closed\.$"):
        services.lot_close(actor=manager, lot=lot)


def test_a_lot_is_closed_once(lot, sampler, technician, manager):
    reported(lot, sampler, technician, manager)
    services.lot_close(actor=manager, lot=lot)

    with pytest.raises(Conflict, match=rf"^Lot {lot.lot_number} has been closed already\.$"):
        services.lot_close(actor=manager, lot=lot)
    assert AuditEvent.objects.filter(action="lot.close").count() == 1


def test_only_the_lab_manager_closes_a_lot(lot, sampler, technician, manager, exporter):
    reported(lot, sampler, technician, manager)

    for user in (sampler, technician, exporter):
        with pytest.raises(NotPermitted):
            services.lot_close(actor=user, lot=lot)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING


# The page and the API -------------------------------------------------------------------------


def test_the_manager_closes_a_lot_from_its_page(client, lot, sampler, technician, manager):
    from django.urls import reverse

    reported(lot, sampler, technician, manager)
    client.force_login(manager)
    page = client.get(reverse("lot_detail", kwargs={"lot_pk": lot.pk})).content.decode()
    assert reverse("lot_close", kwargs={"lot_pk": lot.pk}) in page

    response = client.post(reverse("lot_close", kwargs={"lot_pk": lot.pk}), {"reason": "Vessel sailed."})

    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == Lot.Status.CLOSED
    # Closed, the page no longer offers it.
    page = client.get(response.url).content.decode()
    assert reverse("lot_close", kwargs={"lot_pk": lot.pk}) not in page


def test_a_refused_close_is_shown_on_the_page_with_its_status(client, lot, sampler, manager):
    from django.urls import reverse

    register_splits(lot, sampler, purposes=("laboratory",))
    client.force_login(manager)

    response = client.post(reverse("lot_close", kwargs={"lot_pk": lot.pk}), {"reason": ""})

    # Nothing reported yet: the refusal sits in the close form, with 409, and the lot stays open.
    assert response.status_code == 409
    assert "has been reported yet" in response.content.decode()
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING


def test_the_api_closes_a_lot_and_refuses_others(lot, sampler, technician, manager, exporter):
    from rest_framework.test import APIClient

    reported(lot, sampler, technician, manager)
    url = f"/api/v1/lots/{lot.pk}/close/"
    client = APIClient()
    client.force_authenticate(exporter)
    # The exporter sees its lot but does not close it.
    assert client.post(url, {"note": ""}, format="json").status_code == 403
    client.force_authenticate(manager)

    response = client.post(url, {"note": "Vessel sailed."}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"
    again = client.post(url, {"note": ""}, format="json")
    assert again.status_code == 409 and "closed" in again.json()["message"]
