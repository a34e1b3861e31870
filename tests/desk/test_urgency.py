"""Due dates and priorities of lots and samples: set when the lot is registered (page and API), taken
by its samples unless given their own, and the order of the lot and sample lists (priority, then the
earliest due date, none last); a lot or sample past its due date is marked overdue."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from samples import services
from samples.models import Lot, Priority
from tests.conftest import make_lot, register_splits


def test_splits_take_the_lots_due_date_and_priority_unless_given(sampler, exporter, exporter_org):
    due = date.today() + timedelta(days=7)
    lot = make_lot(actor=exporter, exporter_org=exporter_org, due_date=due, priority=Priority.HIGH)

    composite, splits = register_splits(lot, sampler)
    own = services.sample_collect(
        actor=sampler, lot=lot, mass_g=Decimal("100.0"), location="Bay 1", priority=Priority.URGENT,
        due_date=due - timedelta(days=3),
    )  # fmt: skip

    assert {(s.due_date, s.priority) for s in [composite, *splits]} == {(due, Priority.HIGH)}
    assert (own.due_date, own.priority) == (due - timedelta(days=3), Priority.URGENT)


def test_the_lists_put_the_most_urgent_first(client, manager, exporter, exporter_org, sampler):
    today = date.today()
    plain = make_lot(actor=exporter, exporter_org=exporter_org)
    later = make_lot(actor=exporter, exporter_org=exporter_org, due_date=today + timedelta(days=9))
    overdue = make_lot(actor=exporter, exporter_org=exporter_org, due_date=today - timedelta(days=2))
    urgent = make_lot(actor=exporter, exporter_org=exporter_org, priority=Priority.URGENT)
    for lot in (plain, later, overdue, urgent):
        register_splits(lot, sampler, purposes=("laboratory",))
    client.force_login(manager)

    lots = client.get(reverse("lot_list"))
    samples = client.get(reverse("sample_list"))

    expected = [urgent.lot_number, overdue.lot_number, later.lot_number, plain.lot_number]
    assert [lot.lot_number for lot in lots.context["page_obj"]] == expected
    # Each lot's composite and split, in the lots' order.
    assert [s.lot.lot_number for s in samples.context["page_obj"]][::2] == expected
    assert "Overdue" in lots.content.decode() and "Urgent" in lots.content.decode()
    assert overdue.overdue and not later.overdue


def test_the_lot_form_and_the_api_take_them(client, exporter, exporter_org, copper):
    client.force_login(exporter)
    form = {
        "exporter": exporter_org.pk, "lot_number": "AC-URGENT-1", "material": copper.pk, "hs_code": "2603.00",
        "origin": "Aktogay", "wet_mass_t": "1000", "destination_country": "CN", "due_date": "2026-12-31",
        "priority": "1",
    }  # fmt: skip
    api = {**form, "lot_number": "AC-URGENT-2", "material": copper.code, "priority": 2, "due_date": None}

    assert client.post(reverse("lot_create"), form).status_code == 302
    created = client.post("/api/v1/lots/", api, content_type="application/json")
    wrong = client.post("/api/v1/lots/", {**api, "lot_number": "X", "priority": 7}, content_type="application/json")

    lot = Lot.objects.get(lot_number="AC-URGENT-1")
    assert (lot.due_date, lot.priority) == (date(2026, 12, 31), Priority.URGENT)
    assert created.status_code == 201 and (created.json()["priority"], created.json()["due_date"]) == (2, None)
    assert wrong.status_code == 400
