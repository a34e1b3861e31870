"""A certificate's deviations are printed in both of its languages (certificates.snapshot): the snapshot
keeps them in English (`deviations`, what the attached data and an amendment compare) and frozen in each
language of the pair at the request (`deviation_texts`); the document prints them bilingual, a snapshot
without them in English as before. Country names follow the pair too."""

from django.utils import timezone, translation

from assays.models import Result
from certificates import document
from certificates import snapshot as snapshots
from samples.models import Nonconformance

RESOLUTION = "Courier's seal replaced at the gate; contents intact"


def with_deviations(sample, manager):
    """An accepted seal problem at reception and a negative La reading."""
    now = timezone.now()
    Nonconformance.objects.create(
        sample=sample, kind=Nonconformance.Kind.SEAL_BROKEN, description="Seal cut", raised_by=manager,
        raised_at=now, status="accepted", resolved_by=manager, resolved_at=now, resolution=RESOLUTION,
    )  # fmt: skip
    Result.objects.filter(sample=sample, analyte__symbol="La").update(negative=True)
    return sample


def test_the_deviations_are_frozen_in_english_and_in_both_languages(reported_sample, manager):
    with_deviations(reported_sample, manager)
    by = str(manager)
    # Requested by someone working in Russian: the English stays English.
    with translation.override("ru"):
        frozen = snapshots.build(sample=reported_sample, authoriser=manager, languages=("kk", "ru"))
    assert frozen["deviations"] == [
        f"Seal: Seal broken at reception; accepted by {by} ({RESOLUTION}).",
        "La: the instrument reported a negative reading.",
    ]
    assert frozen["deviation_texts"] == [
        {
            "kk": f"Пломба: қабылдау кезінде Пломба бұзылған; қабылдаған: {by} ({RESOLUTION}).",
            "ru": f"Пломба: Пломба повреждена при приёмке; принято: {by} ({RESOLUTION}).",
        },
        {"kk": "La: құрал теріс көрсеткіш берді.", "ru": "La: прибор выдал отрицательное показание."},
    ]


def test_the_document_prints_them_in_both_and_old_snapshots_in_english(reported_sample, manager):
    with_deviations(reported_sample, manager)
    frozen = snapshots.build(sample=reported_sample, authoriser=manager, languages=("ru", "en"))
    texts = document.Texts(("ru", "en"))
    printed = [deviation.plain() for deviation in document._deviations(frozen, texts)]
    assert printed[1] == "La: прибор выдал отрицательное показание. / La: the instrument reported a negative reading."
    # A lims.coa/3 snapshot frozen before the texts: English, once.
    del frozen["deviation_texts"]
    assert [d.plain() for d in document._deviations(frozen, texts)][1] == (
        "La: the instrument reported a negative reading."
    )


def test_the_texts_are_no_change_of_an_amendment(reported_sample, manager):
    with_deviations(reported_sample, manager)
    before = snapshots.build(sample=reported_sample, authoriser=manager, languages=("ru", "en"))
    after = snapshots.build(sample=reported_sample, authoriser=manager, languages=("kk", "en"))
    assert [c for c in snapshots.differences(before, after) if "deviation" in c["field"]] == []


def test_countries_are_named_in_both_languages():
    texts = document.Texts(("kk", "ru"))
    assert document._country("CN", texts).plain() == "Қытай (CN) / Китай (CN)"
    assert str(document._address({"address": "Almaty", "country": "KZ"}, texts)) == (
        'Almaty, Қазақстан<span class="l2" lang="ru"><span class="sep"> / </span>Казахстан</span>'
    )
