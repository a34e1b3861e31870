"""What an import writes about a run reads in the reader's language (lims.lib.worded): a QC check's
verdict (assays.qc) and why a reading was chosen (assays.selection) are stored as a key and parameters
beside their English, put into words when read; the API keeps the English; rows from before the keys
are read back from their English."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from assays import qc, selection
from assays.models import QCCheck, Reading
from tests.assays.conftest import csv_file, import_run, qc_rows, sample_rows

D = Decimal
# The La blank limit of the method, as its table stores it (six decimals).
BLANK_EN = "Blank read 0.06, above the limit 0.050000."
BLANK_RU = "Показание холостой пробы 0.06 выше предела 0.050000."
BLANK_KK = "Бос сынама көрсеткіші 0.06, 0.050000 шегінен жоғары."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def run(technician, instrument, icpms, sample):
    """Imported by a technician working in Russian: what is stored does not depend on it."""
    data = csv_file(*qc_rows(["La"], blank="0.06"), *sample_rows(sample.code, ["La"]))
    with translation.override("ru"):
        return import_run(technician, instrument, icpms, data)


def test_a_qc_check_stores_its_key_its_parameters_and_english(run):
    blank = run.qc_checks.get(kind="blank")
    assert (blank.text_key, blank.text_params) == (qc.BLANK_ABOVE_LIMIT, {"measured": "0.06", "limit": "0.050000"})
    assert blank.message == BLANK_EN


def test_a_qc_check_reads_in_the_readers_language(run):
    blank = run.qc_checks.get(kind="blank")
    with translation.override("ru"):
        assert blank.text == BLANK_RU
    with translation.override("kk"):
        assert blank.text == BLANK_KK
    with translation.override("en"):
        assert blank.text == blank.message


def test_a_qc_check_from_before_the_keys_is_read_back_from_its_english(run):
    QCCheck.objects.filter(run=run, kind="blank").update(text_key="", text_params={})
    blank = run.qc_checks.get(kind="blank")
    with translation.override("kk"):
        assert blank.text == BLANK_KK
    # A message no text matches (another version's, or typed in another language) is shown as stored.
    blank.message = "Холостая проба: старая запись"
    with translation.override("kk"):
        assert blank.text == "Холостая проба: старая запись"


def test_a_crm_window_reads_in_the_language_with_its_basis():
    outcome = qc.crm_recovery(
        D("24.1"), certified=D("23.33"), uncertainty=D("0.08"), convention="sd1", method_rel_uncertainty_pct=D("1.5")
    )
    assert outcome.message == (
        "CRM read 24.1 against certified 23.33: outside 22.9453 to 23.7147 (certificate 1 SD 0.08, doubled to "
        "±0.16, widened by the method's ±1.5 %), recovery 103.30 %."
    )
    assert outcome.params["basis"] == {"key": "sd1", "u": "0.08", "h": "0.16", "widened": "1.5"}
    with translation.override("ru"):
        assert "(по сертификату: 1 СКО 0.08, удвоено до ±0.16, расширено с учётом ±1.5 % метода)" in outcome.text
    with translation.override("kk"):
        assert "(сертификат бойынша 1 SD 0.08, екі еселенгенде ±0.16, әдістің ±1.5 % шамасына кеңейтілген)" in (
            outcome.text
        )
        # The English an older version stored is read back into the same words, basis included.
        assert qc.text_of("", {}, outcome.message) == outcome.text


def test_a_missing_limit_names_the_check_in_the_language():
    outcome = qc.missing_limit("crm_recovery", "Cu", "icpms-4acid")
    assert outcome.message.startswith("No CRM recovery limit is set for Cu by method icpms-4acid")
    with translation.override("ru"):
        assert "не задан предел (открываемость стандартного образца)" in outcome.text
    with translation.override("kk"):
        assert "стандартты үлгінің табылу дәрежесі шегі белгіленбеген" in outcome.text


def test_the_run_page_and_the_api(client, run, technician):
    client.force_login(technician)
    with translation.override("en"):  # the page activates Kazakh; the tests after this one stay in English
        page = client.get(reverse("run_detail", kwargs={"run_pk": run.pk}), HTTP_ACCEPT_LANGUAGE="kk").content
    page = page.decode()
    assert BLANK_KK in page and BLANK_EN not in page
    assert "таңдалды: жалғыз көрсеткіш" in page and "chosen: the only reading" not in page
    # The API's values are the English ones, whatever the request's language.
    api = APIClient()
    api.force_authenticate(technician)
    body = api.get(f"/api/v1/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert {c["kind"]: c["message"] for c in body["qc_checks"]}["blank"] == BLANK_EN
    readings = api.get(f"/api/v1/runs/{run.pk}/readings/", HTTP_ACCEPT_LANGUAGE="kk").json()
    rows = readings["results"] if isinstance(readings, dict) else readings
    assert {row["choice"] for row in rows if row["chosen"]} == {"chosen: the only reading"}


def test_a_reading_stores_why_as_a_key_and_reads_in_the_language(run):
    reading = Reading.objects.get(run=run, row_type="sample")
    assert (reading.choice, reading.choice_key, reading.choice_params) == (
        "chosen: the only reading",
        selection.ONLY,
        {},
    )
    with translation.override("ru"):
        assert reading.choice_text == "выбрано: единственное показание"
    with translation.override("kk"):
        assert reading.choice_text == "таңдалды: жалғыз көрсеткіш"


def test_a_reason_with_a_dilution_reads_in_the_language_and_old_rows_too():
    why = selection.Why.of(selection.NOT_CHOSEN, selection.OVER_AT, dilution="2")
    assert why.english == "not chosen: over the calibrated range at ×2"
    with translation.override("ru"):
        assert why.text == "не выбрано: выше калиброванного диапазона при ×2"
        # Stored before the keys: the English is read back.
        assert selection.choice_text(why.english, "", {}) == why.text
    with translation.override("kk"):
        assert why.text == "таңдалмады: ×2 кезінде калибрленген диапазоннан жоғары"
    # The services still tell an undecided group by the stored English.
    assert selection.is_undecided("undecided: " + "x") and selection.is_undecided(
        selection.Why.of(selection.UNDECIDED, selection.OVER_AND_BELOW)
    )
