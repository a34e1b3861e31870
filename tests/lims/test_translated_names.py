"""Reference data in the reader's language (lims.lib.translated): every analyte, material, method and
panel the migrations seed has a Russian and a Kazakh name; pages show them (a blank one falls back to
English); the API and the stored names stay English."""

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from assays.models import Analyte, Method, Panel
from lims.lib.translated import name_in, pick
from samples.models import Material
from tests.conftest import sealed_split

SEEDED = [Analyte, Material, Method, Panel]


@pytest.mark.parametrize("model", SEEDED, ids=lambda m: m.__name__)
def test_every_seeded_row_has_a_russian_and_a_kazakh_name(db, model):
    rows = list(model.objects.all())
    # 92 elements and moisture; 8 materials; 5 methods; 2 panels.
    assert len(rows) == {Analyte: 93, Material: 8, Method: 5, Panel: 2}[model]
    assert [row.name for row in rows if not row.name_ru.strip() or not row.name_kk.strip()] == []
    # Translated, not copied: at most the international words (Лантан, Церий...) read alike in both.
    assert all(row.name_ru != row.name and row.name_kk != row.name for row in rows)


def test_element_names_are_the_chemical_names(db):
    names = {a.symbol: (a.name_ru, a.name_kk) for a in Analyte.objects.all()}
    assert names["Cu"] == ("Медь", "Мыс")
    assert names["Au"] == ("Золото", "Алтын")
    assert names["Ag"] == ("Серебро", "Күміс")
    assert names["La"] == ("Лантан", "Лантан")
    assert names["Ce"] == ("Церий", "Церий")
    assert names["H2O"] == ("Влажность", "Ылғалдылық")
    assert Material.objects.get(code="copper-concentrate").name_ru == "Концентрат медный"
    assert Material.objects.get(code="copper-concentrate").name_kk == "Мыс концентраты"


def test_name_in_picks_the_language_and_falls_back_to_english(db):
    copper = Analyte.objects.get(symbol="Cu")
    assert [name_in(copper, lang) for lang in ("en", "ru", "kk", "ru-ru", "kk-KZ", None, "de")] == [
        "Copper", "Медь", "Мыс", "Медь", "Мыс", "Copper", "Copper",
    ]  # fmt: skip
    copper.name_kk = " "
    assert name_in(copper, "kk") == "Copper"  # blank: English
    assert pick("ru", "Copper", ru="", kk="Мыс") == "Copper"
    assert pick("kk", "Copper", ru="Медь", kk="Мыс") == "Мыс"


def test_display_name_and_str_follow_the_active_language(db):
    method = Method.objects.get(code="titration-cu")
    material = Material.objects.get(code="copper-concentrate")
    with translation.override("ru"):
        assert method.display_name == str(method) == "Титриметрическое определение меди"
        assert str(material) == "Концентрат медный"
    with translation.override("kk"):
        assert str(material) == "Мыс концентраты"
    with translation.override("en"):
        assert str(method) == "Copper by titration"
    method.name_ru = ""
    with translation.override("ru"):
        assert str(method) == "Copper by titration"


def get(client, url, language):
    # The page activates its language; the tests after this one stay in English.
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


def test_the_lot_page_names_the_material_in_the_readers_language(client, lot, exporter):
    client.force_login(exporter)
    url = reverse("lot_detail", kwargs={"lot_pk": lot.pk})
    assert "<dd>Концентрат медный</dd>" in get(client, url, "ru")
    assert "<dd>Мыс концентраты</dd>" in get(client, url, "kk")
    assert "<dd>Copper concentrate</dd>" in get(client, url, "en")
    # The lot list's filter offers the materials by the same names.
    assert '<option value="zinc-concentrate">Мырыш концентраты</option>' in get(client, reverse("lot_list"), "kk")


def test_a_blank_translation_shows_english(client, lot, exporter):
    Material.objects.filter(pk=lot.material_id).update(name_kk="")
    client.force_login(exporter)
    assert "<dd>Copper concentrate</dd>" in get(client, reverse("lot_detail", kwargs={"lot_pk": lot.pk}), "kk")


def test_the_declaration_form_lists_elements_by_their_names(client, exporter):
    client.force_login(exporter)
    url = reverse("declaration_create")
    assert '<option value="Cu">Медь</option>' in get(client, url, "ru")
    assert '<option value="Cu">Мыс</option>' in get(client, url, "kk")
    assert '<option value="Cu">Copper</option>' in get(client, url, "en")


def test_manual_entry_names_the_methods(client, technician):
    client.force_login(technician)
    page = get(client, reverse("result_enter"), "ru")
    assert "Пробирный анализ с гравиметрическим окончанием (золото, серебро)" in page
    assert "Fire assay with gravimetric finish" not in page


def test_the_lot_export_names_the_material_as_the_page_does(client, lot, exporter):
    client.force_login(exporter)
    assert "Концентрат медный" in get(client, reverse("lot_list") + "?format=csv", "ru")


def test_the_api_keeps_the_english_names(db, manager, lot):
    client = APIClient()
    client.force_authenticate(manager)
    cu = Analyte.objects.get(symbol="Cu")
    with translation.override("en"):
        copper = client.get(reverse("api_analyte_detail", kwargs={"ref_pk": cu.pk}), HTTP_ACCEPT_LANGUAGE="ru").json()
        materials = client.get(reverse("api_material_list"), HTTP_ACCEPT_LANGUAGE="kk").json()
    assert (copper["name"], copper["name_ru"], copper["name_kk"]) == ("Copper", "Медь", "Мыс")
    concentrate = next(m for m in materials if m["code"] == "copper-concentrate")
    assert (concentrate["name"], concentrate["name_kk"]) == ("Copper concentrate", "Мыс концентраты")


def test_a_samples_status_purpose_and_custody_steps_read_in_russian(client, lot, sampler):
    # TextChoices labels are marked for translation; the page shows them through get_*_display.
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)
    page = get(client, reverse("sample_detail", kwargs={"code": sample.code}), "ru")
    assert f'<span class="badge status-sealed">{_ru("Sealed")}</span>' in page
    assert f"<dt>Назначение</dt><dd>{_ru('Laboratory')}</dd>" in page
    assert f'<strong class="event-action">{_ru("Collected")}</strong>' in page
    assert _ru("Sealed") == "Опломбирована" and _ru("Laboratory") == "Лаборатория"
    assert 'class="event-action">Sealed<' not in page


def _ru(text: str) -> str:
    with translation.override("ru"):
        return translation.gettext(text)
