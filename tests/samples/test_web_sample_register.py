"""Registering a sample at the loading point: the composite and its splits, in one form."""

import pytest
from django.urls import reverse

from samples.models import CustodyEvent, Lot, Sample, Seal
from tests.conftest import next_seal, register_splits


def register_form(splits, **composite):
    """The posted form: the composite's fields and one formset row per (purpose, mass, seal)."""
    # As a browser sends it: the rows not filled in keep the purpose they were offered with.
    offered = ["laboratory", "exporter", "archive", ""]
    data = {f"splits-{index}-purpose": purpose for index, purpose in enumerate(offered)}
    data |= {
        "mass_g": "2000.0",
        "location": "Dostyk rail loading point, wagon 14",
        "occurred_at": "",
        "note": "",
        "splits-TOTAL_FORMS": "4",
        "splits-INITIAL_FORMS": "0",
        "splits-MIN_NUM_FORMS": "0",
        "splits-MAX_NUM_FORMS": "1000",
    }
    for index, (purpose, mass, seal) in enumerate(splits):
        data.update(
            {f"splits-{index}-purpose": purpose, f"splits-{index}-mass_g": mass, f"splits-{index}-seal_number": seal}
        )
    data.update(composite)
    return data


@pytest.fixture
def url(lot):
    return reverse("sample_register", kwargs={"lot_pk": lot.pk})


def nothing_saved():
    return not (Sample.objects.exists() or CustodyEvent.objects.exists() or Seal.objects.exists())


def test_it_offers_the_usual_splits(client, sampler, url):
    client.force_login(sampler)
    formset = client.get(url).context["formset"]
    assert [form["purpose"].value() for form in formset][:3] == ["laboratory", "exporter", "archive"]


def test_it_registers_a_composite_with_its_splits(client, sampler, lot, url):
    client.force_login(sampler)
    seals = [next_seal() for _ in range(3)]

    response = client.post(
        url,
        register_form(
            # Seal numbers are printed in capitals; a sampler may type them in lower case.
            [
                ("laboratory", "250.0", seals[0].lower()),
                ("exporter", "250.0", seals[1]),
                ("archive", "250.0", seals[2]),
            ],
            occurred_at="2026-01-05T09:30",
        ),
    )

    assert response.status_code == 302
    assert response.url == reverse("lot_detail", kwargs={"lot_pk": lot.pk})
    composite = Sample.objects.get(parent=None)
    splits = list(composite.splits.order_by("pk"))
    assert composite.status == Sample.Status.SPLIT
    assert [(s.purpose, s.seal_number, s.status) for s in splits] == [
        ("laboratory", seals[0], "sealed"),
        ("exporter", seals[1], "sealed"),
        ("archive", seals[2], "sealed"),
    ]
    # The time was typed in the local time zone (Asia/Almaty, UTC+5).
    assert composite.collected_at.isoformat() == "2026-01-05T04:30:00+00:00"
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SAMPLING
    # The codes of the new samples are announced on the next page.
    assert splits[0].code in client.get(response.url).content.decode()


def test_a_row_left_as_offered_is_skipped(client, sampler, url):
    client.force_login(sampler)
    # Rows 1-3 keep their offered purpose, with no mass or seal: they are not splits.
    response = client.post(url, register_form([("laboratory", "250.0", next_seal())]))
    assert response.status_code == 302
    assert Sample.objects.filter(parent__isnull=False).count() == 1


def test_a_seal_number_in_the_wrong_format_is_shown_in_its_cell(client, sampler, url):
    client.force_login(sampler)

    response = client.post(url, register_form([("laboratory", "250.0", next_seal()), ("exporter", "250.0", "KZS-12")]))

    formset = response.context["formset"]
    assert formset.errors[0] == {}
    assert list(formset.errors[1]) == ["seal_number"]
    assert nothing_saved()


def test_a_seal_used_before_is_shown_in_its_row(client, sampler, lot, url):
    _, (used,) = register_splits(lot, sampler, purposes=("laboratory",))
    client.force_login(sampler)

    response = client.post(
        url, register_form([("laboratory", "250.0", next_seal()), ("exporter", "250.0", used.seal_number)])
    )

    assert response.status_code == 400
    formset = response.context["formset"]
    assert formset.errors[0] == {}
    assert "has been used already" in formset.errors[1]["seal_number"][0]
    assert used.seal_number in response.content.decode()
    # Only the earlier composite and its split exist.
    assert Sample.objects.count() == 2


def test_a_seal_repeated_in_the_form_is_shown_above_the_splits(client, sampler, url):
    client.force_login(sampler)
    seal = next_seal()

    response = client.post(url, register_form([("laboratory", "250.0", seal), ("exporter", "250.0", seal)]))

    assert response.status_code == 400
    assert "a seal number is repeated" in response.context["formset"].non_form_errors()[0]
    assert 'id="splits-errors"' in response.content.decode()
    assert nothing_saved()


def test_splits_heavier_than_the_composite_are_refused_at_the_splits(client, sampler, url):
    client.force_login(sampler)

    response = client.post(
        url, register_form([("laboratory", "250.0", next_seal()), ("exporter", "250.0", next_seal())], mass_g="400.0")
    )

    assert "more than the 400.0 g composite" in response.context["formset"].non_form_errors()[0]
    assert nothing_saved()


def test_a_form_without_splits_is_refused_at_the_splits(client, sampler, url):
    client.force_login(sampler)
    response = client.post(url, register_form([]))
    assert response.context["formset"].non_form_errors() == ["Add at least one split."]
    assert nothing_saved()


def test_a_blank_location_is_shown_at_the_location(client, sampler, url):
    client.force_login(sampler)

    response = client.post(url, register_form([("laboratory", "250.0", next_seal())], location="   "))

    # Whitespace passes the form's own check (it strips to empty and is required), so it is the
    # service that refuses; either way the error sits at the field.
    assert list(response.context["form"].errors) == ["location"]
    assert nothing_saved()


def test_a_time_in_the_future_is_shown_at_the_time(client, sampler, url):
    client.force_login(sampler)

    response = client.post(url, register_form([("laboratory", "250.0", next_seal())], occurred_at="2099-01-01T10:00"))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["occurred_at"]
    assert nothing_saved()


def test_a_closed_lot_is_refused_above_the_form(client, sampler, lot, url):
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.CLOSED)
    client.force_login(sampler)

    response = client.post(url, register_form([("laboratory", "250.0", next_seal())]))

    assert response.status_code == 409
    assert "is closed" in response.context["form"].non_field_errors()[0]
    assert nothing_saved()


def test_exporters_do_not_take_samples(client, exporter, url):
    client.force_login(exporter)
    assert client.get(url).status_code == 403
    assert client.post(url, register_form([("laboratory", "250.0", next_seal())])).status_code == 403
    assert nothing_saved()


def test_a_lot_of_another_exporter_is_not_found(client, exporter2, url):
    client.force_login(exporter2)
    assert client.get(url).status_code == 404
