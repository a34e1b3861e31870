"""Text that goes onto a signed certificate: refused, with the character named, when it holds a
control or format character or one the certificate's fonts cannot draw."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from lims.lib import text

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "certificates" / "certificate.css"


def test_names_in_the_scripts_of_the_region_are_printed():
    # Kazakh and Russian letters, accents, the apostrophe of O'Brien: all in DejaVu Sans.
    for name in ("Әсел Қожахметова", "Сергей Иванов", "Zoë O'Brien-Núñez", "Altyn Copper LLP", "EL-0042/2026"):
        assert text.clean(name) == name


def test_a_right_to_left_override_is_refused_by_name():
    # "EL-0042" stored, "2400-LE" printed: the classic way to make a document read otherwise.
    with pytest.raises(ValidationError) as refused:
        text.clean("EL-\u202e0042")
    assert refused.value.messages == ["U+202E RIGHT-TO-LEFT OVERRIDE cannot be printed on a certificate."]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("Max\u200bManager", "U+200B ZERO WIDTH SPACE"),
        ("\ufeffAltyn", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("Aktogay\tplant", "U+0009 CHARACTER TABULATION"),
        ("Aktogay\x00", "U+0000 NULL"),
        ("Aktogay\u2028plant", "U+2028 LINE SEPARATOR"),
    ],
)
def test_control_and_format_characters_are_refused(value, named):
    assert text.problem(value) == f"{named} cannot be printed on a certificate."


def test_a_character_the_fonts_cannot_draw_is_refused():
    # DejaVu Sans has no CJK ideographs: WeasyPrint would print another font's glyph or a box.
    assert text.problem("Lot 中国") == "U+4E2D CJK UNIFIED IDEOGRAPH-4E2D cannot be printed on a certificate."
    assert text.problem("한") == "U+D55C HANGUL SYLLABLE HAN cannot be printed on a certificate."


def test_a_name_is_one_line_and_a_reason_may_span_lines():
    assert text.problem("Max\nManager") == "U+000A LINE FEED cannot be printed on a certificate."

    # A browser sends a textarea's lines with CR LF; they are kept as line feeds.
    assert text.clean("Sample swapped.\r\nRe-sampled on 3 May.", multiline=True) == (
        "Sample swapped.\nRe-sampled on 3 May."
    )
    # A lone carriage return is not a line break anywhere.
    assert text.problem("Sample\rswapped", multiline=True) == (
        "U+000D CARRIAGE RETURN cannot be printed on a certificate."
    )


def test_the_fonts_read_are_the_ones_the_stylesheet_sets():
    families = set(re.findall(r'font-family:\s*"([^"]+)"', STYLESHEET.read_text()))
    # Text people enter is set in DejaVu Sans; Mono prints only the address and hashes the system writes.
    assert families == {"DejaVu Sans", "DejaVu Sans Mono"}
    assert [path.name for path in text.font_files()] == ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]
