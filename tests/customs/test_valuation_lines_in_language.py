"""The valuation's working reads in its reader's language (customs.findings.LINES): each line stored in the
value finding's figures keeps its English description, what the API returns, beside its key and parameters;
the declaration page words it when read, and a line from before the keys is read back from its English."""

from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from customs import findings

# The fixtures of a copper-only certificate and its declaration.
from tests.customs.test_checks_value import copper_certificate, declare_copper, value_finding  # noqa: F401

CU_EN = "Cu 21 %: payable 20 % (96.5 % of content, at least 1 % deducted) on 1000 dmt"
CU_RU = "Cu 21 %: к оплате 20 % (96.5 % содержания, вычет не менее 1 %) на 1000 dmt"
CU_KK = "Cu 21 %: 1000 dmt бойынша төленетіні 20 % (құрамның 96.5 %-ы, кемінде 1 % шегеріледі)"


def test_a_line_stores_its_key_its_parameters_and_english(declare_copper):  # noqa: F811
    # Filed by someone working in Kazakh: what is stored does not depend on it.
    with translation.override("kk"):
        declaration = declare_copper("1800000.00")
    (line,) = value_finding(declaration).figures["valuation"]["lines"]
    assert line["description"] == CU_EN
    assert (line["text"], line["params"]) == (
        findings.LINE_PAYABLE,
        {"symbol": "Cu", "content": "21", "unit": "%", "paid": "20", "pct": "96.5", "mass": "1000", "deduction": "1"},
    )


def test_a_line_reads_in_the_readers_language_and_old_lines_too(declare_copper):  # noqa: F811
    (line,) = value_finding(declare_copper("1800000.00")).figures["valuation"]["lines"]
    old = {key: value for key, value in line.items() if key not in ("text", "params")}
    for language, expected in (("ru", CU_RU), ("kk", CU_KK), ("en", CU_EN)):
        with translation.override(language):
            assert findings.line_text(line) == expected
            assert findings.line_text(old) == expected  # read back from the English
    # A description no line matches is shown as stored.
    with translation.override("ru"):
        assert findings.line_text({"description": "Свободный текст"}) == "Свободный текст"


def test_the_declaration_page_words_the_lines_and_the_api_keeps_the_english(
    client,
    declare_copper,  # noqa: F811
    inspector,
):
    declaration = declare_copper("1800000.00")
    client.force_login(inspector)
    with translation.override("en"):  # the page activates Russian; the tests after this one stay in English
        page = client.get(
            reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk}), HTTP_ACCEPT_LANGUAGE="ru"
        ).content.decode()
    assert CU_RU in page and CU_EN not in page
    api = APIClient()
    api.force_authenticate(inspector)
    body = api.get(f"/api/v1/declarations/{declaration.pk}/", HTTP_ACCEPT_LANGUAGE="kk").json()
    (value,) = [f for f in body["findings"] if f["rule"] == "value"]
    assert value["figures"]["valuation"]["lines"][0]["description"] == CU_EN
