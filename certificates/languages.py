"""The two languages a certificate is issued in.

A certificate is bilingual: every heading, label, statement and note is printed in both of its
languages, and every element in both (the names frozen into the snapshot at request). The pairs are
Russian and English, Kazakh and Russian, Kazakh and English.

Decision: the order matters, and either order of an allowed pair may be asked for. The first is
the primary language (printed first, in the regular style), the second follows in a lighter one;
"kk,ru" puts Kazakh first for a Kazakh authority, "en,ru" English first for a foreign buyer. The
snapshot records the pair in its order (lims.coa/3), so the printed page, its attached data and the
verification page all say which one was primary. An amendment keeps the pair of the certificate it
replaces: the correction reads like the document it corrects.

The default is LIMS_CERTIFICATE_LANGUAGES ("ru,en" unless configured; checked at start-up).
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")
# The pairs, unordered: either order may be asked for (the first is the primary language).
PAIRS = (frozenset({"ru", "en"}), frozenset({"kk", "ru"}), frozenset({"kk", "en"}))
NAMES = {"en": _("English"), "ru": _("Russian"), "kk": _("Kazakh")}
# A lims.coa/1 or /2 snapshot records no languages: it was issued in English alone.
BEFORE_PAIRS = ("en",)


class LanguageError(ValueError):
    """Not one of the pairs a certificate may be issued in."""


def parse(value: str | list | tuple) -> tuple[str, str]:
    """A pair as "kk,ru" (or ["kk", "ru"]), in its order; LanguageError when it is not allowed."""
    codes = value.split(",") if isinstance(value, str) else list(value)
    pair = tuple(str(code).strip().lower() for code in codes)
    if len(pair) != 2 or frozenset(pair) not in PAIRS or pair[0] == pair[1]:
        raise LanguageError(
            f"{','.join(pair)!r} is not a language pair of certificates: one of "
            f"{', '.join(sorted(','.join(sorted(p)) for p in PAIRS))}, in either order"
        )
    return pair[0], pair[1]


def default() -> tuple[str, str]:
    return parse(settings.LIMS_CERTIFICATE_LANGUAGES)


def value(pair: tuple[str, ...] | list[str]) -> str:
    return ",".join(pair)


def choices() -> list[tuple[str, str]]:
    """Every ordered pair, the default first, labelled "Russian + English" in the reader's language."""
    first = default()
    ordered = [first] + [
        (a, b) for pair in PAIRS for a in sorted(pair) for b in sorted(pair) if a != b and (a, b) != first
    ]
    return [(value(pair), label(pair)) for pair in ordered]


def label(pair: tuple[str, ...] | list[str]) -> str:
    """ "Russian + English": the primary language first."""
    return " + ".join(str(NAMES[language]) for language in pair)


def of(snapshot) -> tuple[str, ...]:
    """The languages a snapshot was issued in, primary first."""
    return tuple(snapshot.get("languages") or BEFORE_PAIRS)


def in_each(pair: tuple[str, ...], make: Callable[[], T]) -> list[T]:
    """`make()` called with each language of `pair` active (translation.override), in order: the
    catalogues give each language's strings."""
    made = []
    for language in pair:
        with translation.override(language):
            made.append(make())
    return made
