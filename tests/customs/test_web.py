"""The customs pages: filing a declaration (errors next to the field or row), the declaration with
its findings side by side, the inspectors' queue and the review page."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from customs.models import Declaration
from lims.models import AuditEvent


@pytest.fixture
def form_data(lot, customs_org, certificate, prices):
    def form_data(rows: dict[str, tuple[str, str]] | None = None, **changes):
        rows = rows if rows is not None else {"Cu": ("22.50", "%"), "Au": ("5.00", "g/t"), "Ag": ("40.0", "g/t")}
        data = {
            "number": "55201000/151026/0000555",
            "declarant": "Altyn Copper LLP",
            "lot": lot.pk,
            "customs_office": customs_org.pk,
            "hs_code": "2603.00",
            "declared_on": "2026-10-15",
            "dry_mass_t": "4575.000",
            "value": "20000000.00",
            "currency": "usd",
            "certificate_numbers": f"{certificate.number}\n",
            "components-TOTAL_FORMS": "24",
            "components-INITIAL_FORMS": "0",
        }
        for index, (symbol, (content, unit)) in enumerate(rows.items()):
            data[f"components-{index}-analyte"] = symbol  # typed, or picked from the page's list of elements
            data[f"components-{index}-content"] = content
            data[f"components-{index}-unit"] = unit
        data.update(changes)
        return data

    return form_data


def test_the_form_offers_the_usual_components_first(client, exporter, lot):
    client.force_login(exporter)
    page = client.get(reverse("declaration_create"))

    assert page.status_code == 200
    formset = page.context["formset"]
    assert [f.initial.get("analyte").symbol for f in formset.forms[:3]] == ["Cu", "Au", "Ag"]
    assert list(page.context["form"].fields["lot"].queryset) == [lot]
    assert page.context["form"]["declarant"].initial == "Altyn Copper LLP"


def test_filing_without_the_rare_earths_is_flagged(client, exporter, form_data):
    client.force_login(exporter)

    response = client.post(reverse("declaration_create"), form_data(), follow=True)

    declaration = Declaration.objects.get()
    assert response.redirect_chain[-1][0] == reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk})
    assert declaration.status == Declaration.Status.FLAGGED and declaration.currency == "USD"
    body = response.content.decode()
    assert "is flagged for review" in body
    assert "Rare-earth elements among them: La, Ce, Nd" in body
    # Side by side: La not declared, certified 118.00 ppm.
    rows = {row.label: row for row in response.context["comparisons"][0].rows}
    assert (rows["La"].declared, rows["La"].certified, rows["La"].severity) == ("—", "118.00 ppm", "blocking")
    assert (rows["Cu"].declared, rows["Cu"].certified, rows["Cu"].severity) == ("22.5 %", "22.50 %", "info")


def test_an_offered_row_left_empty_is_skipped_and_a_chosen_element_needs_its_content(client, exporter, form_data):
    client.force_login(exporter)
    data = form_data(rows={"Cu": ("22.5", "%")})
    # The browser sends the offered Au row as offered, without a content: skipped.
    data.update({"components-1-analyte": "Au", "components-1-unit": "g/t"})
    assert client.post(reverse("declaration_create"), data).status_code == 302
    Declaration.objects.all().delete()

    # La chosen in a spare row and its content forgotten: an error in that row, nothing filed.
    data["components-5-analyte"] = "La"
    response = client.post(reverse("declaration_create"), data)
    assert response.status_code == 400
    assert response.context["formset"].forms[5].errors["content"]
    assert not Declaration.objects.exists()


def test_bad_input_is_shown_next_to_the_field(client, exporter, form_data):
    client.force_login(exporter)

    response = client.post(reverse("declaration_create"), form_data(hs_code="26.03"))

    assert response.status_code == 400
    assert response.context["form"].errors["hs_code"]
    assert not Declaration.objects.exists()


def test_a_component_twice_is_shown_in_its_row(client, exporter, form_data):
    client.force_login(exporter)

    data = form_data(rows={"Cu": ("22.5", "%")})
    data.update(
        {"components-1-analyte": data["components-0-analyte"], "components-1-content": "22", "components-1-unit": "%"}
    )
    response = client.post(reverse("declaration_create"), data)

    assert response.status_code == 400
    assert "declared in another row" in str(response.context["formset"].forms[1].errors["analyte"])


def test_a_row_without_its_unit_is_refused(client, exporter, form_data):
    client.force_login(exporter)
    response = client.post(reverse("declaration_create"), form_data(rows={"La": ("118", "")}))

    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["unit"]


def test_a_refusal_of_the_service_goes_next_to_its_field(client, exporter, form_data, declare):
    declare(number="55201000/151026/0000555")
    client.force_login(exporter)

    response = client.post(reverse("declaration_create"), form_data())

    assert response.status_code == 400
    assert "was filed already" in str(response.context["form"].errors["number"])


def test_the_laboratory_and_inspectors_get_no_form(client, manager, inspector):
    for user in (manager, inspector):
        client.force_login(user)
        assert client.get(reverse("declaration_create")).status_code == 403


def test_the_detail_shows_the_valuation_working(client, exporter, declare):
    declaration = declare()
    client.force_login(exporter)

    page = client.get(reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk}))

    body = page.content.decode()
    assert "Payable value: the working" in body
    assert "Cu 22.5 %: payable 21.5 %" in body
    assert "Review" not in body.split("<main")[1].split("Declarant")[0]  # no decision for the exporter


def test_others_get_a_404(client, declare, exporter2, manager):
    declaration = declare()
    for user in (exporter2, manager):
        client.force_login(user)
        assert client.get(reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk})).status_code == 404


def test_the_queue_lists_flagged_declarations_for_inspectors(client, declare, inspector, exporter):
    cleared = declare()
    flagged = declare(components={"Cu": "22.5 %"})

    client.force_login(inspector)
    page = client.get(reverse("declaration_queue"))
    assert [d.pk for d in page.context["page_obj"]] == [flagged.pk]
    assert cleared.number not in page.content.decode()

    client.force_login(exporter)
    assert client.get(reverse("declaration_queue")).status_code == 403


def test_the_inspector_rejects_on_the_review_page(client, declare, inspector):
    flagged = declare(components={"Cu": "22.5 %"})
    url = reverse("declaration_review", kwargs={"declaration_pk": flagged.pk})
    client.force_login(inspector)

    assert client.get(url).status_code == 200
    refused = client.post(url, {"accept": "reject", "reason": ""})
    assert refused.status_code == 400 and refused.context["form"].errors["reason"]
    response = client.post(url, {"accept": "reject", "reason": "Rare earths left out."})

    assert response.status_code == 302
    flagged.refresh_from_db()
    assert (flagged.status, flagged.decision_reason) == ("rejected", "Rare earths left out.")
    assert AuditEvent.objects.filter(action="declaration.reject", object_id=str(flagged.pk)).exists()


def test_the_exporter_cannot_review(client, declare, exporter):
    flagged = declare(components={"Cu": "22.5 %"})
    client.force_login(exporter)
    url = reverse("declaration_review", kwargs={"declaration_pk": flagged.pk})
    assert client.post(url, {"accept": "accept", "reason": "fine"}).status_code == 403
    flagged.refresh_from_db()
    assert flagged.status == "flagged"


def test_the_inspector_checks_again_from_the_page(client, declare, inspector):
    declaration = declare()
    client.force_login(inspector)
    response = client.post(reverse("declaration_recheck", kwargs={"declaration_pk": declaration.pk}))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="declaration.recheck").exists()


def test_the_list_shows_ones_own_declarations(client, declare, exporter, exporter2):
    declaration = declare()
    client.force_login(exporter)
    assert declaration.number in client.get(reverse("declaration_list")).content.decode()
    client.force_login(exporter2)
    assert declaration.number not in client.get(reverse("declaration_list")).content.decode()


def test_money_shows_with_thousands_separators_and_two_decimals(client, exporter, inspector, declare):
    declaration = declare(value="20000000")
    client.force_login(exporter)

    page = client.get(reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk}))

    body = page.content.decode()
    assert "<dd>20,000,000.00 USD</dd>" in body
    value_row = next(row for row in page.context["comparisons"][0].rows if row.label == "Customs value")
    payable = page.context["comparisons"][0].value.figures["payable"]
    assert value_row.declared == "20,000,000.00 USD"
    assert value_row.certified == f"{Decimal(payable):,.2f} USD" and "," in value_row.certified
    assert "Cu 9,000.00 USD/t" in body  # the price in effect
    assert "20,000,000.00 USD" in client.get(reverse("declaration_list")).content.decode()
    # In Russian: a decimal comma, thousands apart by no-break spaces.
    with translation.override("en"):  # the page activates Russian; the tests after this one stay in English
        ru = client.get(
            reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk}), HTTP_ACCEPT_LANGUAGE="ru"
        )
    assert "20\xa0000\xa0000,00 USD" in ru.content.decode()
