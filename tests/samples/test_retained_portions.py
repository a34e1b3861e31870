"""Retained portions: stored with a location and a retention date, every move a link of the custody
chain, disposed of only by a lab manager and only after the retention date."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import chain, portions
from samples.models import RetainedPortion, Sample
from tests.conftest import received


@pytest.fixture
def sample(lot, sampler, technician):
    return received(lot, sampler, technician)


def _retain(technician, sample, *, days=30, kind=RetainedPortion.Kind.PULP, location="Pulp store, shelf 4, box 12"):
    return portions.portion_retain(
        actor=technician, sample=sample, kind=kind, location=location, mass_g=Decimal("150"),
        retain_until=timezone.localdate() + timedelta(days=days),
    )  # fmt: skip


def test_a_retained_portion_is_a_link_of_the_custody_chain(technician, sample):
    before = sample.custody_length
    portion = _retain(technician, sample)

    sample.refresh_from_db()
    last = sample.events.order_by("-sequence").first()
    # One more link, hash-chained, the sample's state unchanged.
    assert sample.custody_length == before + 1
    assert last.action == "portion_retain"
    assert last.status_before == last.status_after == Sample.Status.RECEIVED
    assert last.location == "Pulp store, shelf 4, box 12"
    assert f"#{portion.pk}" in last.note and portion.retain_until.isoformat() in last.note
    assert chain.verify(sample).intact


def test_a_move_says_from_where_to_where_in_the_chain(technician, sample):
    portion = _retain(technician, sample, kind=RetainedPortion.Kind.UMPIRE)

    portions.portion_move(actor=technician, portion=portion, location="Referee store, cabinet 2")

    portion.refresh_from_db()
    sample.refresh_from_db()
    last = sample.events.order_by("-sequence").first()
    assert portion.location == "Referee store, cabinet 2"
    assert last.action == "portion_move"
    assert "from Pulp store, shelf 4, box 12 to Referee store, cabinet 2" in last.note
    assert chain.verify(sample).intact


def test_a_portion_needs_a_location_and_a_future_retention_date(technician, sample):
    with pytest.raises(ApplicationError) as nowhere:
        _retain(technician, sample, location="  ")
    assert nowhere.value.field == "location"
    with pytest.raises(ApplicationError) as past:
        _retain(technician, sample, days=-1)
    assert past.value.field == "retain_until"
    assert not RetainedPortion.objects.exists()


def test_disposal_is_refused_before_the_retention_date(manager, technician, sample):
    portion = _retain(technician, sample, days=30)

    with pytest.raises(Conflict, match=portion.retain_until.isoformat()):
        portions.portion_dispose(actor=manager, portion=portion, note="Retention over")
    # On the retention date itself it is still retained.
    with time_machine.travel(timezone.now() + timedelta(days=30)), pytest.raises(Conflict):
        portions.portion_dispose(actor=manager, portion=portion, note="Retention over")
    portion.refresh_from_db()
    assert portion.status == RetainedPortion.Status.STORED


def test_a_manager_disposes_after_the_retention_date(manager, technician, sample):
    portion = _retain(technician, sample, days=30)

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        portions.portion_dispose(actor=manager, portion=portion, note="Retention period over, no dispute")

    portion.refresh_from_db()
    sample.refresh_from_db()
    assert portion.status == RetainedPortion.Status.DISPOSED
    assert portion.disposed_by == manager
    last = sample.events.order_by("-sequence").first()
    assert last.action == "portion_dispose" and "Retention period over" in last.note
    assert chain.verify(sample).intact
    # Disposed once: a second disposal is refused, naming the state.
    with time_machine.travel(timezone.now() + timedelta(days=32)), pytest.raises(Conflict, match="disposed"):
        portions.portion_dispose(actor=manager, portion=portion, note="again")


@pytest.mark.parametrize("who", ["technician", "reviewer", "sampler", "exporter"])
def test_only_a_manager_disposes(who, request, technician, sample):
    portion = _retain(technician, sample, days=1)
    actor = request.getfixturevalue(who)

    with time_machine.travel(timezone.now() + timedelta(days=5)), pytest.raises(NotPermitted):
        portions.portion_dispose(actor=actor, portion=portion, note="Retention over")
    portion.refresh_from_db()
    assert portion.status == RetainedPortion.Status.STORED


def test_a_disposal_needs_a_reason(manager, technician, sample):
    portion = _retain(technician, sample, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=5)), pytest.raises(ApplicationError) as exc:
        portions.portion_dispose(actor=manager, portion=portion, note=" ")
    assert exc.value.field == "note"


def test_exporters_see_no_portions(exporter, technician, sample):
    _retain(technician, sample)
    assert portions.sample_portions(exporter, sample).count() == 0
    assert portions.sample_portions(technician, sample).count() == 1


def _api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_keeps_moves_and_refuses_an_early_disposal(technician, manager, sample):
    base = f"/api/v1/samples/{sample.code}/portions/"
    until = (timezone.localdate() + timedelta(days=90)).isoformat()

    kept = _api(technician).post(base, {"kind": "referee", "location": "Referee store A", "retain_until": until})
    pk = kept.json()["id"]
    moved = _api(technician).post(f"{base}{pk}/move/", {"location": "Referee store B"})
    by_technician = _api(technician).post(f"{base}{pk}/dispose/", {"note": "x"})
    too_early = _api(manager).post(f"{base}{pk}/dispose/", {"note": "Space needed"})

    assert kept.status_code == 201 and moved.json()["location"] == "Referee store B"
    assert by_technician.status_code == 403
    assert too_early.status_code == 409 and until in too_early.json()["message"]
    assert [p["status"] for p in _api(technician).get(base).json()] == ["stored"]


def test_exporters_get_no_portions_from_the_api_or_the_page(client, exporter, technician, sample):
    _retain(technician, sample)
    assert _api(exporter).get(f"/api/v1/samples/{sample.code}/portions/").status_code == 403
    client.force_login(exporter)
    assert client.get(f"/samples/{sample.code}/portions/").status_code == 403


def test_the_page_keeps_a_portion_and_shows_a_refusal_next_to_the_field(client, technician, sample):
    client.force_login(technician)
    url = f"/samples/{sample.code}/portions/"
    past = (timezone.localdate() - timedelta(days=1)).isoformat()

    refused = client.post(
        f"{url}keep/", {"retain-kind": "pulp", "retain-location": "Shelf 4", "retain-retain_until": past}
    )
    kept = client.post(
        f"{url}keep/",
        {"retain-kind": "pulp", "retain-location": "Shelf 4", "retain-retain_until": "2099-01-01"},
    )

    assert refused.status_code == 400
    assert "cannot be in the past" in refused.content.decode()
    assert kept.status_code == 302
    page = client.get(url).content.decode()
    assert "Shelf 4" in page and "2099-01-01" in page
