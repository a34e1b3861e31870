"""Certificates in two languages (certificates.languages): the pair is chosen at the request (page,
API, service; LIMS_CERTIFICATE_LANGUAGES by default), frozen into the snapshot (lims.coa/3) with the
elements' names in both, printed in both on the signed PDF with fonts that draw every Kazakh letter,
shown in the reader's language on the verification page; the QR token says nothing in any language.

The Russian and Kazakh labels come from the catalogues: until the fragments
/tmp/i18n/new/i3_{ru,kk}.po are merged into locale/, the tests reading them fail, as
tests/lims/test_catalogues.py does."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader
from rest_framework.test import APIClient

from certificates import document, keys, languages, services, signing, tokens, verifier
from certificates import snapshot as snapshots
from certificates.models import Certificate
from lims.exceptions import ApplicationError
from lims.lib import text as certificate_text
from tests.certificates.builders import issue_now
from tests.conftest import require_or_skip

from .conftest import freeze

KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")
# Labels of the certificate as the two catalogues give them (context "certificate").
KK_LABELS = ("Талдау сертификаты", "Негізгі нәтижелер", "Партияның құрғақ массасы", "Сынақ объектісі",
             "Сирек жер элементтері", "Ылғалдылық", "Сапа бақылауы", "Ауытқулар", "Есептің соңы", "Өлш. бірл.",
             "Түпнұсқалығын қалай тексеруге болады")  # fmt: skip
RU_LABELS = ("Сертификат анализа", "Основные результаты", "Масса партии сухая", "Объект испытаний",
             "Редкоземельные элементы", "Влажность", "Контроль качества", "Отклонения", "Конец отчёта",
             "Партия", "Пломба")  # fmt: skip


def pdf_text(path: Path) -> str:
    require_or_skip(bool(shutil.which("pdftotext")), "pdftotext (poppler-utils)")
    extracted = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(extracted.stdout.decode().split())


@pytest.fixture
def kk_ru(reported_sample, manager) -> Certificate:
    certificate = freeze(reported_sample, authoriser=manager, number="KZL-2026-000011")
    frozen = snapshots.build(sample=reported_sample, authoriser=manager, languages=("kk", "ru"))
    Certificate.objects.filter(pk=certificate.pk).update(
        snapshot=frozen, snapshot_sha256=tokens.snapshot_sha256(frozen)
    )
    certificate.refresh_from_db()
    return certificate


@pytest.fixture
def signed_kk_ru(kk_ru, keys_dir, local_tsa, tmp_path) -> Path:
    token_key = keys.load_token_key()
    token = tokens.encode_token(document.token_claims(kk_ru), key=token_key.key, kid=token_key.kid)
    path = tmp_path / f"{kk_ru.number}.pdf"
    path.write_bytes(signing.sign_pdf(document.render_certificate(kk_ru, token=token), reason="CoA", location="KZ"))
    return path


# The pair ---------------------------------------------------------------------------------------


def test_the_allowed_pairs_in_either_order():
    assert languages.parse("kk,ru") == ("kk", "ru")
    assert languages.parse(" RU , en ") == ("ru", "en")
    assert languages.parse(["en", "kk"]) == ("en", "kk")
    # Not a pair, twice the same, or a language certificates are not issued in.
    for refused in ("ru", "ru,ru", "en,de", "kk,ru,en", ""):
        with pytest.raises(languages.LanguageError):
            languages.parse(refused)


def test_the_default_is_the_setting_and_a_bad_one_fails_the_system_check(settings):
    from certificates.checks import certificate_languages

    assert languages.default() == ("ru", "en")
    settings.LIMS_CERTIFICATE_LANGUAGES = "kk,ru"
    assert languages.default() == ("kk", "ru") and certificate_languages() == []
    settings.LIMS_CERTIFICATE_LANGUAGES = "ru,de"
    assert [error.id for error in certificate_languages()] == ["certificates.E002"]


def test_the_snapshot_records_the_pair_and_the_names_in_it(kk_ru):
    frozen = kk_ru.snapshot

    assert frozen["schema"] == "lims.coa/3" and frozen["languages"] == ["kk", "ru"]
    copper = next(row for row in frozen["results"] if row["analyte"] == "Cu")
    # The reference data's names at the request (lims.lib.translated), English kept in "name".
    assert copper["name"] == "Copper" and set(copper["names"]) == {"kk", "ru"}
    assert all(set(row["names"]) == {"kk", "ru"} for row in frozen["results"])
    assert set(frozen["lot"]["material_names"]) == {"kk", "ru"}


def test_the_names_are_frozen_not_read_again(kk_ru, tmp_path):
    from assays.models import Analyte

    frozen_name = next(row for row in kk_ru.snapshot["results"] if row["analyte"] == "Cu")["names"]["kk"]
    Analyte.objects.filter(symbol="Cu").update(name_kk="Өзгертілген атау")

    html = document.html_for(kk_ru, token="LIMS1:X")

    assert frozen_name in html and "Өзгертілген атау" not in html


def test_the_service_and_the_api_take_a_pair(reported_sample, manager, dispatched):
    client = APIClient()
    client.force_authenticate(manager)

    refused = client.post("/api/v1/certificates/", {"sample": reported_sample.code, "languages": "en,de"})
    assert refused.status_code == 400 and "Kazakh and Russian" in refused.json()["message"]
    assert not Certificate.objects.exists()

    response = client.post("/api/v1/certificates/", {"sample": reported_sample.code, "languages": "kk,en"})
    assert response.status_code == 201
    assert Certificate.objects.get().snapshot["languages"] == ["kk", "en"]


def test_the_request_page_offers_the_pairs_default_first(client, manager, reported_sample, dispatched, settings):
    settings.LIMS_CERTIFICATE_LANGUAGES = "kk,ru"
    client.force_login(manager)

    page = client.get("/certificates/request/").content.decode()
    # The configured default first, then every other ordered pair.
    offered = [value for value, _label in languages.choices()]
    assert offered[0] == "kk,ru" and sorted(offered) == ["en,kk", "en,ru", "kk,en", "kk,ru", "ru,en", "ru,kk"]
    assert page.index('value="kk,ru"') < page.index('value="ru,en"')
    assert (
        client.post("/certificates/request/", {"sample": reported_sample.code, "languages": "ru,kk"}).status_code == 302
    )
    assert Certificate.objects.get().snapshot["languages"] == ["ru", "kk"]


def test_no_pair_means_the_default(reported_sample, manager, dispatched, settings):
    settings.LIMS_CERTIFICATE_LANGUAGES = "kk,en"
    certificate = services.certificate_request(actor=manager, sample=reported_sample)
    assert certificate.snapshot["languages"] == ["kk", "en"]


def test_a_bad_pair_is_refused_by_the_service(reported_sample, manager, dispatched):
    with pytest.raises(ApplicationError) as refused:
        services.certificate_request(actor=manager, sample=reported_sample, languages="ru,ru")
    assert refused.value.field == "languages"


def test_an_amendment_keeps_the_pair_and_lists_no_name_as_a_change(reported_sample, manager, keys_dir, dispatched):
    original = issue_now(services.certificate_request(actor=manager, sample=reported_sample, languages="kk,ru"))

    amendment = services.certificate_amend(actor=manager, certificate=original, reason="Re-assayed.")

    assert amendment.snapshot["languages"] == ["kk", "ru"]
    changed = [change["field"] for change in amendment.snapshot["amendment"]["changes"]]
    assert not [field for field in changed if "names" in field or field == "languages"]


def test_a_snapshot_from_before_pairs_still_reads_and_prints_in_english(certificate_row):
    old = dict(certificate_row.snapshot, schema="lims.coa/2")
    old.pop("languages")
    for row in old["results"]:
        row.pop("names"), row.pop("method_names")
    Certificate.objects.filter(pk=certificate_row.pk).update(snapshot=old)
    certificate_row.refresh_from_db()

    html = document.html_for(certificate_row, token="LIMS1:X")

    assert snapshots.read(old)["schema"] == "lims.coa/2"
    assert languages.of(old) == ("en",)
    assert '<html lang="en">' in html and 'class="l2"' not in html and "Certificate of Analysis" in html


# The printed certificate ---------------------------------------------------------------------


def test_a_kazakh_and_russian_certificate_prints_both(signed_kk_ru, kk_ru):
    text = pdf_text(signed_kk_ru)

    # Headings are set in capitals by the stylesheet, which the extracted text follows.
    for label in (*KK_LABELS, *RU_LABELS):
        assert label.lower() in text.lower(), label
    # Every Kazakh letter its Kazakh labels use reaches the page as that letter.
    used = KAZAKH_LETTERS & set("".join(KK_LABELS).lower())
    assert used <= set(text.lower()), used - set(text.lower())
    assert {"ә", "ғ", "қ", "ң", "ө", "ұ", "ү", "і"} <= used
    # Element names in both languages, as frozen.
    copper = next(row for row in kk_ru.snapshot["results"] if row["analyte"] == "Cu")["names"]
    assert f"{copper['kk']} / {copper['ru']}" in text or copper["kk"] == copper["ru"]
    # The title of the document, in both, primary first.
    info = PdfFileReader(io.BytesIO(signed_kk_ru.read_bytes())).trailer["/Info"]
    assert str(info["/Title"]) == f"Талдау сертификаты / Сертификат анализа {kk_ru.number}"


def test_the_embedded_fonts_draw_every_kazakh_letter(signed_kk_ru):
    require_or_skip(bool(shutil.which("pdffonts")), "pdffonts (poppler-utils)")
    listed = subprocess.run(["pdffonts", str(signed_kk_ru)], capture_output=True, check=True).stdout.decode()
    fonts = [line.split()[0] for line in listed.splitlines()[2:]]

    # Only the certificate's faces, embedded (no fallback to another installed font for a missing glyph)...
    assert fonts and all(font.split("+")[-1].startswith("DejaVu-Sans") for font in fonts), fonts
    assert all(" yes " in line for line in listed.splitlines()[2:])
    # ...and those faces have a glyph, not .notdef, for every Kazakh letter.
    for path in certificate_text.font_files():
        cmap = TTFont(path).getBestCmap()
        missing = {letter for letter in KAZAKH_LETTERS if cmap.get(ord(letter), ".notdef") == ".notdef"}
        assert not missing, (path.name, missing)


def test_the_bilingual_pdf_passes_the_independent_checks(signed_kk_ru, kk_ru, keys_dir):
    data = signed_kk_ru.read_bytes()

    verdict = verifier.verify_pdf(
        data, trust_roots=keys.trust_roots(), token_keys=keys.published_token_keys(), revocations=None
    )
    assert verdict.status == "authentic", verdict
    assert b'pdfaid:part="3"' in PdfFileReader(io.BytesIO(data)).root["/Metadata"].data
    if shutil.which("pdfsig"):
        checked = subprocess.run(["pdfsig", str(signed_kk_ru)], capture_output=True, check=False).stdout.decode()
        assert "Signature is Valid" in checked or "Signature Validation: Signature is Valid" in checked, checked
    if shutil.which("qpdf"):
        assert subprocess.run(["qpdf", "--check", str(signed_kk_ru)], capture_output=True).returncode == 0


def test_numbers_are_grouped_once_for_both_languages():
    assert document._figure("12345.6") == "12\u202f345.6"
    assert document._figure("4579.000") == "4579.000"  # four digits: not grouped (ISO 80000-1)
    assert document._figure("< 1234567") == "< 1\u202f234\u202f567"
    assert document._figure("0.00012") == "0.00012"  # decimals are not grouped


def test_the_qr_token_is_the_same_whatever_the_languages(kk_ru, certificate_row, keys_dir):
    kk_claims, ru_claims = document.token_claims(kk_ru), document.token_claims(certificate_row)

    # Only the number and the snapshot's hash differ: nothing in the token is in a language.
    differing = {claim for claim in kk_claims if kk_claims[claim] != ru_claims[claim]}
    assert differing == {"n", "h"}


# The verification page ---------------------------------------------------------------------------


def test_the_verify_page_reads_in_kazakh(client, reported_sample, manager, keys_dir, dispatched):
    certificate = issue_now(services.certificate_request(actor=manager, sample=reported_sample, languages="ru,en"))
    copper = next(row for row in certificate.snapshot["results"] if row["analyte"] == "Cu")
    client.force_login(manager)  # who may see it all

    # The language a request activates stays with the thread: not past this test.
    with translation.override("en"):
        page = client.get(f"/verify/?number={certificate.number}", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
        russian = client.get(f"/verify/?number={certificate.number}", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Талдау сертификаты" in page and "Тілдер" in page
    # The element's name in the reader's language only where the certificate froze it: not in Kazakh here.
    assert f'Cu <span class="meta">{copper["name"]}</span>' in page
    assert f'Cu <span class="meta">{copper["names"]["ru"]}</span>' in russian
