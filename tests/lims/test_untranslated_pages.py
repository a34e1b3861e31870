"""Every page of the product reads in Russian and in Kazakh, with no English left over: each demo
user (one per role, the broker, and a visitor who is not signed in) opens every page they may open
(lims.page_urls.discover, with the demo data of seed_demo) in each language, and the visible text of
each page holds no word of the English interface.

"The English interface" is every word (3+ letters, compared in lower case) of the English messages of
the Russian catalogue that have a translation: a word a translator translated. Words the catalogue
keeps untranslated on purpose (formats, acronyms, vendors' names) are not among them
(KEPT_UNTRANSLATED, each checked to stand in some translation).

"Visible text" is what a reader sees or hears:
- the text of the document, <title> included, outside <script> and <style>; text inside hidden
  elements (a closed <details>, a [hidden] panel, a <template> row) counts, as it is shown on a click;
- the attributes a browser shows or reads aloud: placeholder, title, aria-label, alt, the value of an
  <input> button (submit, button, reset), and data-label (lims.css shows it above each cell when a
  list turns into cards);
- not other attribute values (href, name, class, an input's value: addresses, identifiers, data).
A word is a run of Latin letters; a token holding a digit, "@", "_", "://" or a file's extension is a
code, an address or a file name and is not read (sample codes, lot and seal numbers, hashes, e-mails).

What may stay English is listed below with a reason each: proper names and codes (PHRASES), the
demo's data as entered (DATA_FIELDS: names, addresses, notes, reasons), and reference data that is not
translated yet (REFERENCE_DATA). A failure names the user, the page, the language and each English
word with its context.
"""

import logging
import re
from collections import defaultdict
from contextlib import redirect_stdout
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from lims.models import User
from lims.page_urls import discover

pytestmark = pytest.mark.django_db

LANGUAGES = ("ru", "kk")

# Words of English messages that the catalogue keeps in English in its translations, by design.
KEPT_UNTRANSLATED = {
    # File formats, protocols and acronyms written the same in every language.
    "api", "csv", "json", "pdf", "xlsx", "zip", "txt", "pem", "sha", "cbor", "icp", "icpms", "oes", "iso",
    "ppm", "ppb", "ppt", "cps", "usd", "sop", "rpd", "crm", "ccv", "icv", "ccb", "treo", "dmt", "lme", "lbma",
    # Codes typed in an instrument's file: do not use, a blank's name.
    "dnu", "blk",
    # Vendors' software and instruments, reference materials, and the names of rules and tools (proper names).
    "agilent", "masshunter", "qtegra", "thermo", "perkinelmer", "syngistix", "winlab", "pyhanko", "python",
    "cryptography", "westgard", "thompson", "howarth", "oreas",
}  # fmt: skip

# Proper names, codes and commands shown as they are, in any language.
PHRASES = {
    "Assay LIMS": "the product's name (kept in English by the catalogue)",
    "English": "the language switcher names each language in itself (lims.languages.NATIVE_NAMES)",
    "--keys FOLDER": "the offline verifier's command line, typed as shown (templates/verify)",
    "--inclusion PROOF.json": "the offline verifier's check of the log, typed as shown (templates/verify)",
}

# The demo's data as entered: shown as typed, in whatever language it was typed in.
DATA_FIELDS = {
    ("lims", "Organisation", "name"): "organisation names (proper names)",
    ("lims", "Organisation", "address"): "postal addresses as entered",
    ("lims", "User", "first_name"): "people's names",
    ("lims", "User", "last_name"): "people's names",
    ("samples", "Lot", "origin"): "the mine or plant a lot comes from, as the exporter typed it",
    ("samples", "Sample", "collection_location"): "where a sample was taken, as the sampler typed it",
    ("samples", "CustodyEvent", "location"): "where a hand-over happened, as typed",
    ("samples", "CustodyEvent", "to_party"): "an outside party a sample went to (a courier and its waybill)",
    ("samples", "CustodyEvent", "from_party"): "an outside party a sample came from",
    ("samples", "CustodyEvent", "note"): "notes typed at a custody step",
    ("samples", "Nonconformance", "description"): "a nonconformance as the technician described it",
    ("samples", "Nonconformance", "resolution"): "a manager's resolution, as typed",
    ("samples", "RetainedPortion", "location"): "a storage place, as typed",
    ("assays", "Instrument", "name"): "an instrument's name in the laboratory",
    ("assays", "Instrument", "model"): "a vendor's instrument model",
    ("assays", "Balance", "name"): "a balance's name in the laboratory",
    ("assays", "Reading", "sample_name"): "a row's name as the instrument's file has it (CAL BLANK 1)",
    ("assays", "QCCheck", "subject"): "a row checked, as the file names it",
    ("assays", "ReferenceMaterial", "matrix"): "a reference material's matrix, as its producer states it",
    ("assays", "ReadingChoice", "reason"): "why a technician chose a reading, as typed",
    ("assays", "Result", "reason"): "a reviewer's reason for a rejection, as typed",
    ("assays", "ResultEvent", "reason"): "reasons typed at a result's steps",
    ("assays", "PreparationStep", "equipment"): "equipment named by the technician",
    ("certificates", "Certificate", "revocation_reason"): "a manager's reason for a revocation, as typed",
    ("certificates", "Certificate", "amendment_reason"): "a manager's reason for an amendment, as typed",
    ("certificates", "CertificateEvent", "note"): "reasons typed at a certificate's steps",
    ("customs", "Declaration", "declarant"): "the declarant's name",
    ("customs", "Declaration", "decision_reason"): "an inspector's reason, as typed",
    ("customs", "MetalPrice", "source"): "where a price was taken from (LME cash settlement)",
}

# Text recognised by its form, shown as it is in any language.
PATTERNS = {
    r"^(?:sample|analyte|value|unit|qualifier|type|isotope|duplicate|spike|other)$": (
        "the generic CSV's column names and row types, each alone in its cell or <code> as a file must have it "
        "(templates/assays/generic_csv.html)"
    ),
}

# Pages not translated yet, by URL name: none (the valuation's lines, QC messages, reading choices and the
# generic CSV page read in the reader's language).
PAGES: dict[str, str] = {}

# Reference data (element, material, method and panel names) reads in the page's language from its
# translated fields (lims.lib.translated): none may stay English.
REFERENCE_DATA: dict[tuple[str, str, str], str] = {}

# Text the product writes into the database in English when something happens and shows as stored: none.
# What it writes is a key and parameters, put into words when read (lims.lib.worded: QC checks, reading
# choices, findings, the valuation's lines, notifications).
STORED_IN_ENGLISH: dict[tuple[str, str, str], str] = {}

WORD = re.compile(r"[A-Za-z]{3,}")
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdrfi]|%[sdrfi]|\{\{.*?\}\}|\{%.*?%\}|\{\w*\}|<[^>]+>|&\w+;")
# Not words: a code (has a digit), an e-mail or address, an identifier (snake_case), a file name.
NOT_WORDS = re.compile(r"\d|@|_|://|^/|/$|\.[A-Za-z]{2,4}$")
TOKEN = re.compile(r"\S+")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"))


def interface_words() -> set[str]:
    """Words of the English messages the Russian catalogue translates (and does not copy as they are)."""
    words: set[str] = set()
    for entry in catalogue("ru").translated_entries():
        if entry.msgstr == entry.msgid:
            continue
        for text in (entry.msgid, entry.msgid_plural or ""):
            words |= {word.lower() for word in WORD.findall(PLACEHOLDER.sub(" ", text))}
    return words - KEPT_UNTRANSLATED


class VisibleText(HTMLParser):
    """The chunks of text a reader sees (see the module's docstring)."""

    ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "data-label")
    BUTTONS = ("submit", "button", "reset")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0  # depth inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        values = dict(attrs)
        self.chunks += [values[name] for name in self.ATTRIBUTES if values.get(name)]
        if tag == "input" and (values.get("type") or "").lower() in self.BUTTONS and values.get("value"):
            self.chunks.append(values["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.chunks


def english_words(chunks: list[str], vocabulary: set[str], allowed: re.Pattern) -> list[str]:
    """The chunks holding English words of the interface, each as "'word', 'word' in “…context…”"."""
    found = []
    for chunk in dict.fromkeys(chunks):
        text = allowed.sub(lambda match: " " * len(match.group()), chunk)
        words, first = [], None
        for token in TOKEN.finditer(text):
            if NOT_WORDS.search(token.group().strip(".,;:()[]«»\"'!?")):
                continue
            for word in WORD.finditer(token.group()):
                if word.group().lower() in vocabulary:
                    words.append(repr(word.group()))
                    first = token.start() if first is None else first
        if words:
            context = chunk[max(0, first - 30) : first + 90]
            found.append(f"{', '.join(dict.fromkeys(words))} in “{context}”")
    return found


def data_values(fields) -> set[str]:
    values: set[str] = set()
    for app_label, model_name, field in fields:
        model = apps.get_model(app_label, model_name)
        values |= {value for value in model.objects.values_list(field, flat=True) if value}
    return values


def allowed_pattern(phrases, patterns=()) -> re.Pattern:
    # Whole words only, the longest first, so that a name is taken whole before a shorter one inside it.
    ordered = sorted({phrase.strip() for phrase in phrases if phrase.strip()}, key=len, reverse=True)
    alternatives = [*patterns, *(re.escape(phrase) for phrase in ordered)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


class RecordingClient(Client):
    """The test client, keeping the HTML of each page it opens: discovery's own visits are the pages
    read in the first language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pages: dict[str, str] = {}

    def get(self, path, *args, **kwargs):
        response = super().get(path, *args, **kwargs)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            self.pages[path] = response.content.decode(response.charset or "utf-8")
        return response


def client_in(language: str, user: User | None) -> RecordingClient:
    client = RecordingClient(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user:
        client.force_login(user)
    return client


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, lab_keys_dir, local_tsa, tmp_path_factory):
    """seed_demo, certificates issued, once for the module, rolled back at its end."""
    from certificates import keys

    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(
            DEBUG=True,  # seed_demo runs only with DEBUG on
            VAR_DIR=lab_keys_dir,
            LIMS_GENERATE_DEV_KEYS=True,
            LIMS_TSA_URL=local_tsa.url,
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        ):
            keys.load_signing_material()
            with redirect_stdout(StringIO()):
                call_command("seed_demo")
            yield
        transaction.set_rollback(True)
    keys.reset_cache()


def test_kept_words_are_kept_by_the_catalogues():
    """KEPT_UNTRANSLATED says what the translators did: each word stands in some translation."""
    translations = " ".join(
        " ".join([entry.msgstr, *entry.msgstr_plural.values()]).lower()
        for language in LANGUAGES
        for entry in catalogue(language).translated_entries()
    )
    assert sorted(word for word in KEPT_UNTRANSLATED if word not in translations) == []


def test_no_page_shows_english_in_russian_or_kazakh(demo):
    # Pages a role may not open answer 403 while they are found; each would log its traceback.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    vocabulary = interface_words()
    assert {"sample", "certificate", "approve", "seal"} <= vocabulary  # the list is the interface's
    allowed = allowed_pattern(
        [
            *PHRASES,
            *data_values(DATA_FIELDS),
            *data_values(REFERENCE_DATA),
            *data_values(STORED_IN_ENGLISH),
        ],
        patterns=PATTERNS,
    )
    people = [*User.objects.order_by("pk"), None]
    # Each finding ("'word' in “context”") and the pages it is on: the same leftover shows on many.
    problems: dict[str, list[str]] = defaultdict(list)
    read: dict[str, int] = defaultdict(int)
    first = LANGUAGES[0]  # read while the pages are found
    for user in people:
        who = user.username if user else "visitor"
        cache.clear()
        client = client_in(first, user)
        found = discover(client, per_route=2)
        assert found.pages, who
        for language in LANGUAGES:
            # The public verification pages are throttled per address (60 a minute), and every reader
            # here is the same address: each walk starts with none counted.
            cache.clear()
            reader = client if language == first else client_in(language, user)
            for page in found.pages:
                if page.name in PAGES:
                    continue
                html = reader.pages.get(page.url) if language == first else None
                if html is None:
                    response = reader.get(page.url)
                    assert response.status_code == 200, f"{who} {page.url} {language}: {response.status_code}"
                    html = response.content.decode(response.charset or "utf-8")
                assert f'lang="{language}"' in html, f"{who} {page.url} is not in {language}"
                read[who] += 1
                for finding in english_words(visible_text(html), vocabulary, allowed):
                    problems[finding].append(f"{who} {page.url} ({language})")
    print("pages read per user, both languages:", dict(read))
    # The walk itself: every role and the visitor read pages, so the assertion below is not vacuous.
    assert len(read) == len(people) and sum(read.values()) > 300, read
    assert not problems, "English words on pages read in Russian or Kazakh:\n" + "\n".join(
        f"{finding}\n    on {', '.join(pages[:6])}{f' and {len(pages) - 6} more' if len(pages) > 6 else ''}"
        for finding, pages in problems.items()
    )
