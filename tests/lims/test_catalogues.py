"""The Russian and Kazakh catalogues stay complete: every message translated and none fuzzy, every
translation keeping its message's placeholders, and no string of the product missing from them
(`makemessages` run into a temporary folder finds nothing the catalogues lack)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from tests.conftest import require_or_skip

LANGUAGES = ("ru", "kk")
ROOT = Path(settings.BASE_DIR)
# What makemessages reads: the product, not its tests, benchmarks or virtual environment.
IGNORED = (".venv", "tests", "bench", "var", "staticfiles", "test-results")
# A named placeholder (%(name)s), a positional one (%s, %d) and a template variable ({{ name }}).
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdrf]|%[sdrf]|\{\{\s*\w+\s*\}\}")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert (untranslated, fuzzy) == ([], []), f"{language}: untranslated {untranslated[:10]}, fuzzy {fuzzy[:10]}"
    assert len(po) > 1500


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    wrong = []
    for entry in catalogue(language).translated_entries():
        if entry.msgid_plural:
            # A form may leave the count out ("One result…"), never add a placeholder.
            allowed = set(placeholders(entry.msgid)) | set(placeholders(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                if not set(placeholders(form)) <= allowed:
                    wrong.append((entry.msgid, form))
        elif placeholders(entry.msgid) != placeholders(entry.msgstr):
            wrong.append((entry.msgid, entry.msgstr))
    assert wrong == [], wrong[:10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_gettext_accepts_the_catalogue(language):
    """GNU msgfmt's own check of formats and plural forms, where gettext is installed (CI installs it)."""
    require_or_skip(shutil.which("msgfmt") is not None, "GNU gettext's msgfmt is not installed")
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    done = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_makemessages_finds_no_string_the_catalogues_lack(tmp_path):
    require_or_skip(shutil.which("xgettext") is not None, "GNU gettext's xgettext is not installed")
    # makemessages writes under the folder it runs in: a copy of the product's sources, not the checkout.
    sources = tmp_path / "src"
    shutil.copytree(ROOT, sources, ignore=shutil.ignore_patterns(*IGNORED, "locale", "*.pyc", "__pycache__", ".git"))
    (sources / "locale").mkdir()
    done = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-location", "--no-obsolete",
         *[f"--ignore={name}" for name in IGNORED]],
        cwd=sources, capture_output=True, text=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = {(e.msgctxt, e.msgid) for e in polib.pofile(str(sources / "locale/ru/LC_MESSAGES/django.po"))}
    for language in LANGUAGES:
        known = {(e.msgctxt, e.msgid) for e in catalogue(language) if not e.obsolete}
        assert sorted(found - known, key=str) == [], f"strings missing from locale/{language}: run makemessages"


@pytest.mark.parametrize(
    ("language", "english", "expected"),
    [("ru", "Dashboard", "Рабочий стол"), ("kk", "Dashboard", "Жұмыс үстелі"), ("ru", "Seal number seen", None)],
)
def test_the_compiled_catalogue_is_what_pages_read(language, english, expected):
    """`make test` compiles the catalogues (manage.py compile_catalogues); a page in the language
    reads the translation, not the English."""
    with translation.override(language):
        text = translation.gettext(english)
    if expected is None:
        assert text != english and re.search(r"[А-Яа-я]", text)
    else:
        assert text == expected


# Country names ----------------------------------------------------------------------------------
COUNTRIES_KK = ROOT / "lims" / "countries" / "locale" / "kk" / "LC_MESSAGES" / "django.po"
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def test_the_kazakh_country_names_are_a_catalogue_of_their_own():
    """django-countries has no Kazakh catalogue: lims/countries/locale/kk holds the names, complete,
    beside locale/ in LOCALE_PATHS (after it, so the product's own catalogue wins) and apart from
    what makemessages writes."""
    assert [Path(path) for path in settings.LOCALE_PATHS] == [ROOT / "locale", COUNTRIES_KK.parents[2]]
    po = polib.pofile(str(COUNTRIES_KK))
    assert (po.untranslated_entries(), po.fuzzy_entries()) == ([], [])
    assert all(CYRILLIC.search(entry.msgstr) for entry in po)
    assert len(po) >= 249


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_country_reads_in_the_language(language):
    """Each country django-countries lists (lot origins and destinations, organisations, the
    certificate) is named in Russian (django-countries' own catalogue) and Kazakh (ours), none left
    in English; a name removed from lims/countries/locale fails here."""
    from django_countries import countries

    with translation.override(language):
        names = {code: str(name) for code, name in countries}
    assert len(names) >= 249
    assert sorted(f"{code} {name}" for code, name in names.items() if not CYRILLIC.search(name)) == []
    expected = {"ru": ("Китай", "Казахстан"), "kk": ("Қытай", "Қазақстан")}[language]
    assert (names["CN"], names["KZ"]) == expected
