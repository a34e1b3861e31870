"""A finding says what it found in its reader's language (customs.findings): it stores a key and
its parameters, the English text beside them for the API; a finding stored before the keys is shown
by its stored message."""

from datetime import date

from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from customs import findings
from customs.models import Finding
from tests.customs.test_checks_composition import finding, honest

UNDECLARED_LA_RU = (
    "Не задекларированы, хотя в сертификате %(number)s указаны выше предела отчётности: La 118.00 ppm. "
    "Из них редкоземельные элементы: La."
)


def test_a_finding_stores_its_key_its_parameters_and_english(declare, certificate):
    # Filed by someone working in Russian: what is stored does not depend on it.
    with translation.override("ru"):
        declaration = declare(components=honest(La=None))

    found = finding(declaration, "undeclared")
    assert found.text_key == findings.UNDECLARED
    assert found.text_params == {"number": certificate.number, "list": "La 118.00 ppm", "rare": "La"}
    assert found.message == (
        f"Not declared, though certificate {certificate.number} reports them above their reporting limits: "
        "La 118.00 ppm. Rare-earth elements among them: La."
    )


def test_a_finding_is_read_in_the_readers_language(declare, certificate):
    found = finding(declare(components=honest(La=None)), "undeclared")
    with translation.override("ru"):
        assert found.text == UNDECLARED_LA_RU % {"number": certificate.number}
    with translation.override("kk"):
        assert "Олардың ішінде сирек жер элементтері: La." in found.text
    with translation.override("en"):
        assert found.text == found.message


def test_the_declaration_page_shows_the_findings_in_russian(client, declare, certificate, inspector):
    declaration = declare(components=honest(La=None, Cu="23.9 %"))
    client.force_login(inspector)
    with translation.override("en"):  # the page activates Russian; the tests after this one stay in English
        page = client.get(
            reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk}), HTTP_ACCEPT_LANGUAGE="ru"
        ).content.decode()
    assert UNDECLARED_LA_RU % {"number": certificate.number} in page
    assert "Not declared, though" not in page
    # The side-by-side table's row of Cu says it in Russian too.
    cu = finding(declaration, "content", "Cu")
    with translation.override("ru"):
        assert cu.text in page and cu.text != cu.message


def test_a_finding_from_before_the_keys_shows_its_stored_message(declare):
    found = finding(declare(components=honest(La=None)), "undeclared")
    Finding.objects.filter(pk=found.pk).update(text_key="", text_params={}, message="Сохранённый текст.")
    found.refresh_from_db()
    with translation.override("kk"):
        assert found.text == "Сохранённый текст."


def test_parameters_named_by_the_product_are_said_when_read():
    with translation.override("ru"):
        # No successor's number: "an amendment" in the reader's language.
        assert findings.render(findings.SUPERSEDED, {"number": "KZL-1", "successor": ""}) == (
            "Сертификат KZL-1 заменён (замена: исправленный сертификат); укажите действующий сертификат."
        )
        # A status by its code, named in Russian.
        assert findings.render(findings.NOT_ISSUED, {"number": "KZL-1", "status": "pending"}) == (
            findings.TEXTS[findings.NOT_ISSUED] % {"number": "KZL-1", "status": "ожидает"}
        )
        # A valuation's reason by its key.
        text = findings.render(
            findings.VALUE_UNCHECKED,
            {"date": date(2026, 10, 15).isoformat(), "reason": "no_price", "reason_params": {"commodity": "Au"}},
        )
        assert text == findings.TEXTS[findings.VALUE_UNCHECKED] % {
            "date": "2026-10-15",
            "reason": findings.REASONS["no_price"] % {"commodity": "Au"},
        }
        assert "Au" in text and "cannot be checked" not in text
    # An unknown key (a newer version's): nothing, so the stored message is shown.
    assert findings.render("from_the_future", {}) is None
    # A parameter missing reads as "?".
    with translation.override("en"):
        assert findings.render(findings.ALL_DECLARED, {}) == (
            "Every element certificate ? reports above its reporting limit is declared."
        )


def test_the_api_returns_the_english_message(declare, exporter):
    declaration = declare(components=honest(La=None))
    client = APIClient()
    client.force_authenticate(exporter)
    with translation.override("en"):
        body = client.get(
            reverse("api_declaration_detail", kwargs={"declaration_pk": declaration.pk}), HTTP_ACCEPT_LANGUAGE="ru"
        ).json()
    messages = [f["message"] for f in body["findings"] if f["rule"] == "undeclared"]
    assert messages == [finding(declaration, "undeclared").message]
    assert messages[0].startswith("Not declared, though certificate")
