"""The lot pages: the list with its filters, registering a lot, and a lot with its sample tree."""

from django.urls import reverse

from samples.models import Lot
from tests.conftest import make_lot, register_splits


def lot_form(exporter_org, copper, **changes):
    data = {
        "exporter": exporter_org.pk,
        "lot_number": "AC-2026-0500",
        "material": copper.pk,
        "hs_code": "2603.00",
        "origin": "Aktogay concentrator",
        "wet_mass_t": "5120.500",
        "destination_country": "CN",
        "contract_reference": "CT-9",
        "export_licence_number": "EL-0009",
    }
    data.update(changes)
    return data


# The list ------------------------------------------------------------------------------------


def test_it_lists_only_the_exporters_own_lots(client, exporter, lot, lot2):
    client.force_login(exporter)

    page = client.get(reverse("lot_list"))

    assert page.status_code == 200
    assert [row.pk for row in page.context["page_obj"]] == [lot.pk]
    assert lot2.lot_number not in page.content.decode()


def test_staff_see_every_exporters_lots_and_filter_by_exporter(client, sampler, lot, lot2, exporter2_org):
    client.force_login(sampler)

    assert {row.pk for row in client.get(reverse("lot_list")).context["page_obj"]} == {lot.pk, lot2.pk}
    page = client.get(reverse("lot_list"), {"exporter": exporter2_org.pk})
    assert [row.pk for row in page.context["page_obj"]] == [lot2.pk]


def test_exporters_get_no_exporter_filter(client, exporter, lot):
    client.force_login(exporter)
    assert "exporter" not in client.get(reverse("lot_list")).context["form"].fields


def test_it_filters_by_status_and_material_and_searches(client, sampler, exporter, exporter_org, copper):
    sampled = make_lot(actor=exporter, exporter_org=exporter_org, lot_number="AC-1", contract_reference="CT-ALPHA")
    register_splits(sampled, sampler)
    waiting = make_lot(actor=exporter, exporter_org=exporter_org, lot_number="AC-2", contract_reference="CT-BETA")
    client.force_login(sampler)

    def listed(**params):
        return [row.pk for row in client.get(reverse("lot_list"), params).context["page_obj"]]

    assert listed(status="sampling") == [sampled.pk]
    assert listed(status="registered") == [waiting.pk]
    assert listed(q="beta") == [waiting.pk]
    assert listed(material="copper-concentrate") == [waiting.pk, sampled.pk]
    assert listed(material="gold-ore") == []


def test_an_unrecognised_filter_is_shown_and_dropped_while_the_others_apply(
    client, sampler, exporter, exporter_org, lot
):
    beta = make_lot(actor=exporter, exporter_org=exporter_org, lot_number="AC-2", contract_reference="CT-BETA")
    client.force_login(sampler)

    page = client.get(reverse("lot_list"), {"status": "lost", "q": "beta"})

    assert [row.pk for row in page.context["page_obj"]] == [beta.pk]
    assert list(page.context["form"].errors) == ["status"]


def test_the_page_and_the_api_filter_alike(client, sampler, exporter, exporter_org, lot, lot2, exporter2_org):
    client.force_login(sampler)
    # The same query string, the same lots: one FilterSet serves both.
    params = {"exporter": exporter2_org.pk, "status": "registered", "material": lot2.material.code}

    page = client.get(reverse("lot_list"), params)
    api = client.get("/api/v1/lots/", params)

    assert [row.pk for row in page.context["page_obj"]] == [row["id"] for row in api.json()["results"]] == [lot2.pk]


def test_it_pages_the_list(client, exporter, exporter_org):
    for _ in range(26):
        make_lot(actor=exporter, exporter_org=exporter_org)
    client.force_login(exporter)

    first = client.get(reverse("lot_list"))
    second = client.get(reverse("lot_list"), {"page": 2})

    assert len(first.context["page_obj"]) == 25
    assert len(second.context["page_obj"]) == 1
    assert "page=2" in first.content.decode()


# Registering --------------------------------------------------------------------------------


def test_an_exporter_registers_a_lot(client, exporter, exporter_org, copper):
    client.force_login(exporter)

    response = client.post(reverse("lot_create"), lot_form(exporter_org, copper))

    lot = Lot.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("lot_detail", kwargs={"lot_pk": lot.pk})
    assert (lot.lot_number, lot.exporter, lot.registered_by, lot.status) == (
        "AC-2026-0500",
        exporter_org,
        exporter,
        Lot.Status.REGISTERED,
    )


def test_an_exporter_is_offered_only_its_own_organisation(client, exporter, exporter_org, exporter2_org, copper):
    client.force_login(exporter)

    page = client.get(reverse("lot_create"))
    assert list(page.context["form"].fields["exporter"].queryset) == [exporter_org]

    response = client.post(reverse("lot_create"), lot_form(exporter2_org, copper))
    assert "exporter" in response.context["form"].errors
    assert not Lot.objects.exists()


def test_a_duplicate_lot_number_is_shown_at_the_lot_number(client, exporter, exporter_org, copper, lot):
    client.force_login(exporter)

    response = client.post(reverse("lot_create"), lot_form(exporter_org, copper, lot_number=lot.lot_number.lower()))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["lot_number"]
    assert "already has a lot numbered" in response.context["form"].errors["lot_number"][0]
    assert Lot.objects.count() == 1


def test_an_hs_code_of_another_heading_is_shown_at_the_hs_code(client, exporter, exporter_org, copper):
    client.force_login(exporter)

    # 2616 is the heading of precious-metal ores, not of copper concentrate (2603).
    response = client.post(reverse("lot_create"), lot_form(exporter_org, copper, hs_code="2616.10"))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["hs_code"]
    assert "2603" in response.context["form"].errors["hs_code"][0]
    assert not Lot.objects.exists()


def test_technicians_do_not_register_lots(client, technician):
    client.force_login(technician)
    assert client.get(reverse("lot_create")).status_code == 403


# One lot ------------------------------------------------------------------------------------


def test_it_shows_the_lot_with_its_samples_as_a_tree(client, exporter, lot, sampler):
    composite, splits = register_splits(lot, sampler)
    client.force_login(exporter)

    page = client.get(reverse("lot_detail", kwargs={"lot_pk": lot.pk}))

    assert page.status_code == 200
    # The composite comes first, its splits follow one level down.
    assert page.context["tree"] == [(composite, 0), *((split, 1) for split in splits)]
    html = page.content.decode()
    assert html.index(composite.code + "<") < html.index(splits[0].code)
    # Exporters do not take samples: no link to register one.
    assert reverse("sample_register", kwargs={"lot_pk": lot.pk}) not in html


def test_samplers_get_the_link_to_register_a_sample(client, sampler, lot):
    client.force_login(sampler)
    page = client.get(reverse("lot_detail", kwargs={"lot_pk": lot.pk}))
    assert reverse("sample_register", kwargs={"lot_pk": lot.pk}) in page.content.decode()


def test_another_exporters_lot_is_not_found(client, exporter2, lot):
    client.force_login(exporter2)
    assert client.get(reverse("lot_detail", kwargs={"lot_pk": lot.pk})).status_code == 404
