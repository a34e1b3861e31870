"""Text that may go onto a signed document: the Certificate of Analysis, its attached data and the
signed status list. Such text is fixed for good once signed, so it is refused at entry, with the
character named, rather than printed wrong.

Refused everywhere:
- control characters (Unicode category Cc): a name has no line break, and a tab or NUL prints as
  nothing or as a box;
- format characters (Cf: U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH SPACE, U+FEFF...): they
  change how the text around them reads without being seen, the classic way to make a printed
  "EL-0042" that is stored as something else;
- line and paragraph separators (Zl, Zp), surrogates, private-use and unassigned code points;
- any character the certificate's fonts cannot draw: WeasyPrint would fall back to another
  installed font or print a box, so what the inspector reads would depend on the server.

Decision: reasons (revocation, amendment) may span lines (`multiline=True`): a line feed is kept,
a CR LF from a browser's textarea becomes a line feed, a lone CR is refused. Names, addresses and lot
fields are one line.

The fonts are the ones the certificate's stylesheet sets (static/certificates/certificate.css):
DejaVu Sans, regular and bold (tests/lims/test_text.py checks that the stylesheet names no other
face; DejaVu Sans Mono sets only the verification address and hashes, which the system writes).
Their character maps are read with fontTools once per process from the font folders where Debian's
fonts-dejavu-core puts them; lims.checks reports a missing file as a system check error.
"""

import functools
import unicodedata
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

# The faces the certificate sets text in, by the file names fonts-dejavu-core installs.
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Control characters have no Unicode name; these are the ones people paste.
CONTROL_NAMES = {
    0x00: "NULL",
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
}


def font_files() -> list[Path]:
    """The certificate's font files, or ImproperlyConfigured naming the one not installed."""
    return [_font_file(name) for name in FONT_FILES]


@functools.cache
def _font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if folder.is_dir():
            found = next(iter(sorted(folder.rglob(name))), None)
            if found is not None:
                return found
    raise ImproperlyConfigured(
        f"the certificate font {name} is not installed (looked under {', '.join(map(str, FONT_DIRS))}); "
        "install Debian's fonts-dejavu-core"
    )


@functools.cache
def drawable() -> frozenset[int]:
    """The code points every face of the certificate can draw (read once per process)."""
    from fontTools.ttLib import TTFont

    maps = [set(TTFont(path, lazy=True).getBestCmap()) for path in font_files()]
    return frozenset(set.intersection(*maps))


def describe(char: str) -> str:
    """A character as a person can look it up: "U+202E RIGHT-TO-LEFT OVERRIDE"."""
    code = ord(char)
    name = unicodedata.name(char, "") or CONTROL_NAMES.get(code) or _("a control character")
    return f"U+{code:04X} {name}"


def problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` cannot be printed on a certificate (the first offending character), or None."""
    fonts = drawable()
    for char in text:
        if multiline and char == "\n":
            continue
        if unicodedata.category(char) in REFUSED_CATEGORIES or ord(char) not in fonts:
            return _("%(character)s cannot be printed on a certificate.") % {"character": describe(char)}
    return None


def clean(text: str, *, multiline: bool = False) -> str:
    """`text` stripped (and, multiline, with CR LF made LF), or ValidationError naming the first
    character a certificate cannot print."""
    text = text.strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    reason = problem(text, multiline=multiline)
    if reason:
        raise ValidationError(reason, code="unprintable")
    return text


def validate_printable(value: str) -> None:
    """Validator of one-line text that goes onto a certificate (names, lot fields)."""
    clean(value or "")


def validate_printable_lines(value: str) -> None:
    """Validator of text of several lines that goes onto a certificate (reasons)."""
    clean(value or "", multiline=True)
