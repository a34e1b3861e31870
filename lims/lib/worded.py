"""Texts the product stores as a key and parameters and puts into words when they are read.

Decision (as customs.findings and lims.notifications do): what the product writes about an event (a
QC check's verdict, why a reading was chosen, a line of a valuation) is stored as the key of its
sentence and the sentence's parameters, and worded with gettext in the reader's language when read.
The parameters are numbers, codes and names people gave, never text of the product. The sentence is
stored in English beside them as well, written when the event happened: what the API returns, the
admin searches and older clients read, the same whoever was working.

Rows written before the keys existed hold only that English sentence. `parse` reads it back into a
key and parameters by matching it against the English messages, so an old row reads in the reader's
language too; a sentence no message matches (written in another language, or by another version)
is shown as stored.
"""

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import TypeVar

from django.utils import translation

T = TypeVar("T")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


class Parameters(dict):
    """A text's parameters; one missing (a row written by another version) reads as "?" rather than
    breaking the page."""

    def __missing__(self, key):
        return "?"


def in_english(make: Callable[[], T]) -> T:
    """`make()` with English active: the stored sentence, whoever's request wrote it."""
    with translation.override("en"):
        return make()


def word(texts: Mapping[str, object], key: str, params: Mapping | None) -> str | None:
    """The text `key` of `texts` (lazy messages) with `params`, in the active language; None for a
    key this version does not know (the caller shows what was stored)."""
    text = texts.get(key)
    if text is None:
        return None
    return str(text) % Parameters(params or {})


@cache
def pattern(msgid: str) -> re.Pattern:
    """The English message as a pattern, each placeholder a group (the same name again must be the
    same text again)."""
    parts, seen, position = [], set(), 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position : match.start()]))
        name = match.group(1)
        if name is None:
            parts.append("%")
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.*?)")
        position = match.end()
    parts.append(re.escape(msgid[position:]))
    return re.compile("".join(parts), re.DOTALL)


def msgid(text: object) -> str:
    """The English message of a lazy translation (its msgid), whatever language is active."""
    return in_english(lambda: str(text))


def parse(sentence: str, texts: Mapping[str, object]) -> tuple[str, dict[str, str]] | None:
    """(key, parameters) of the English `sentence` written from one of `texts`, or None."""
    for key, text in texts.items():
        match = pattern(msgid(text)).fullmatch(sentence)
        if match:
            return key, match.groupdict()
    return None
