"""Reference data in the reader's language: the names of analytes, materials, methods and panels.

Decision: translated fields rather than the catalogues. These rows are the laboratory's data, edited
in the admin (a lab manager adds a method or renames one); the catalogues are the product's text and
change only with a release. So each such model keeps its English `name` (what is stored, exported
by the API, frozen into certificate snapshots and searched) and a `name_ru` and `name_kk` beside
it, blank allowed. A page shows `display_name`, the active language's name; a blank translation
falls back to English, so a row someone added without translating still reads.

`name_in(obj, language)` gives the name in a language chosen by the caller, for documents that carry
a language pair of their own (the certificate) rather than the reader's.
"""

from django.utils import translation

# The languages with a name field of their own (settings.LANGUAGES, English being `name` itself).
TRANSLATED = ("ru", "kk")


def _base(language: str | None) -> str:
    return (language or "").split("-")[0].split("_")[0].lower()


def pick(language: str | None, english: str, **translations: str | None) -> str:
    """`translations[language]` (keyed ru=, kk=) when given and not blank, else `english`: for
    names read from a values() query without the model."""
    translated = translations.get(_base(language))
    return translated if translated and translated.strip() else english


def name_in(obj, language: str | None, field: str = "name") -> str:
    """The object's `field` in `language` ("ru", "kk", "ru-ru"...), falling back to the English
    `field` when that language has no name of its own or it is blank."""
    base = _base(language)
    if base in TRANSLATED:
        translated = getattr(obj, f"{field}_{base}", "")
        if translated and translated.strip():
            return translated
    return getattr(obj, field)


class TranslatedName:
    """For models with `name`, `name_ru` and `name_kk`: `display_name` in the active language."""

    @property
    def display_name(self) -> str:
        return name_in(self, translation.get_language())
