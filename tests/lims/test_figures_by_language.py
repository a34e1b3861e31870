"""Figures in the reader's language: numbers typed in forms (lims.lib.numbers.typed, lims.forms.DecimalField)
are read as the page's language writes them and never otherwise than meant; pages print figures with the
language's decimal sign and group the large ones (lims_format's quantity); CSV exports follow the
spreadsheets of the language (";" and a decimal comma in Russian and Kazakh), XLSX keeps typed numbers."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django import forms
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from lims.forms import DecimalField
from lims.lib.numbers import AmbiguousNumber, typed
from lims.templatetags.lims_format import quantity
from lims.web import Column, export_response

D = Decimal


# Reading what people type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "english", "russian"),
    [
        ("22.50", D("22.50"), D("22.50")),
        ("22,50", D("22.50"), D("22.50")),  # a Russian keyboard's numeric pad types a comma
        ("-3,5", D("-3.5"), D("-3.5")),
        ("5 120,500", D("5120.500"), D("5120.500")),  # thousands grouped by a space
        ("5\xa0120,500", D("5120.500"), D("5120.500")),  # ... or a no-break space, as the page prints them
        ("1 234 567.25", D("1234567.25"), D("1234567.25")),
        ("1,234.5", D("1234.5"), ValueError),  # English grouping; in Russian both signs: refused
        ("1,234,567", D("1234567"), ValueError),
        ("1,234", AmbiguousNumber, D("1.234")),  # a thousand or a decimal comma? In Russian only the latter
        ("1.234,5", ValueError, ValueError),
        ("1.234.567", ValueError, ValueError),
        ("12 34", ValueError, ValueError),
        ("1e5", ValueError, ValueError),
        ("NaN", ValueError, ValueError),
        ("abc", ValueError, ValueError),
    ],
)
def test_a_typed_number_is_read_as_meant_or_refused(text, english, russian):
    for thousand_separator, expected in ((",", english), ("\xa0", russian)):
        if isinstance(expected, Decimal):
            assert typed(text, thousand_separator=thousand_separator) == expected
            assert typed(text, thousand_separator=thousand_separator).as_tuple() == expected.as_tuple()
        else:
            with pytest.raises(expected):
                typed(text, thousand_separator=thousand_separator)


class MassForm(forms.Form):
    mass = DecimalField(max_digits=12, decimal_places=3, min_value=D("0.001"))


def read(language: str, text: str) -> tuple[Decimal | None, list[str]]:
    """What MassForm makes of `text` on a page in `language`: the number, or the errors as shown."""
    with translation.override(language):
        form = MassForm({"mass": text})
        return form.cleaned_data.get("mass") if form.is_valid() else None, [str(e) for e in form.errors.get("mass", [])]


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_russian_and_kazakh_forms_take_a_decimal_comma_and_grouped_thousands(language):
    assert read(language, "22,50") == (D("22.50"), [])
    assert read(language, "5 120,5") == (D("5120.5"), [])
    assert read(language, "5\xa0120,500") == (D("5120.500"), [])
    assert read(language, "1,234") == (D("1.234"), [])
    assert read(language, "22.50") == (D("22.50"), [])


def test_english_refuses_a_number_that_reads_two_ways_and_says_both():
    assert read("en", "1,234") == (None, ["1,234 could mean 1234 or 1.234: enter it without a thousands separator."])
    assert read("en", "1,234.5") == (D("1234.5"), [])
    assert read("en", "22,5") == (D("22.5"), [])


def test_what_is_no_number_is_refused_with_an_example_in_the_pages_language():
    assert read("en", "12 kg") == (None, ["Enter a number, such as 22.50."])
    assert read("ru", "12 kg")[1] == ["Введите число, например 22,50."]
    assert read("kk", "12 kg")[1] == ["Санды енгізіңіз, мысалы, 22,50."]
    # The field's other rules still hold.
    assert read("en", "0") == (None, ["Ensure this value is greater than or equal to 0.001."])
    assert read("en", "1.23456") == (None, ["Ensure that there are no more than 3 decimal places."])


def test_the_field_shows_its_value_as_the_page_writes_it_and_reads_it_back():
    for language, shown in (("en", "5120.500"), ("ru", "5120,500"), ("kk", "5120,500")):
        with translation.override(language):
            html = str(MassForm(initial={"mass": D("5120.500")})["mass"])
        # A text field with a decimal keypad: a number field would follow the browser's language.
        assert 'type="text"' in html and 'inputmode="decimal"' in html and f'value="{shown}"' in html
        assert read(language, shown) == (D("5120.500"), [])


# Figures on pages --------------------------------------------------------------------------------


def test_quantity_groups_thousands_and_keeps_the_stated_decimals():
    with translation.override("en"):
        assert quantity(D("5120.500")) == "5,120.500"
        assert quantity("4575.000") == "4,575.000"  # as a snapshot stores it
        assert quantity(D("12.5")) == "12.5"
    with translation.override("ru"):
        assert quantity(D("5120.500")) == "5\xa0120,500"
    with translation.override("kk"):
        assert quantity(D("1234567.25")) == "1\xa0234\xa0567,25"
    assert quantity(None) == "" and quantity("n/a") == "n/a"


def test_a_lots_wet_mass_reads_in_the_pages_language(client, exporter, lot):
    lot.wet_mass_t = D("5120.500")
    lot.save(update_fields=["wet_mass_t"])
    client.force_login(exporter)
    url = reverse("lot_detail", kwargs={"lot_pk": lot.pk})

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    kazakh_list = client.get(reverse("lot_list"), HTTP_ACCEPT_LANGUAGE="kk").content.decode()

    assert "5,120.500" in english
    assert "5\xa0120,500" in russian and "5,120.500" not in russian
    assert "5\xa0120,500" in kazakh_list


def test_a_russian_exporter_registers_a_lot_typing_a_decimal_comma(client, exporter, copper):
    exporter.language = "ru"
    exporter.save(update_fields=["language"])
    client.force_login(exporter)
    data = {
        "exporter": exporter.organisation.pk, "lot_number": "LOT-RU-1", "material": copper.pk, "hs_code": "2603.00",
        "origin": "Aktogay", "wet_mass_t": "5 120,5", "destination_country": "CN",
    }  # fmt: skip

    response = client.post(reverse("lot_create"), data)

    assert response.status_code == 302, response.context["form"].errors
    assert exporter.organisation.lots.get(lot_number="LOT-RU-1").wet_mass_t == D("5120.500")


# Exports -----------------------------------------------------------------------------------------

ROWS = [
    {"lot": "LOT-1", "mass": D("5120.500"), "moisture": 8.5, "count": 3, "at": datetime.date(2026, 10, 15)},
    {"lot": "LOT-2", "mass": D("1E+2"), "moisture": None, "count": 1200, "at": datetime.date(2026, 10, 16)},
]
COLUMNS = [
    Column("Lot", lambda row: row["lot"]),
    Column("Wet mass (t)", lambda row: row["mass"]),
    Column("Moisture", lambda row: row["moisture"]),
    Column("Samples", lambda row: row["count"]),
    Column("Registered", lambda row: row["at"]),
]


def export(language: str, kind: str):
    request = RequestFactory().get("/lots/", {"format": kind})
    with translation.override(language):
        response = export_response(request, ROWS, COLUMNS, "lots")
        return b"".join(response.streaming_content) if kind == "csv" else response.content


def test_an_english_csv_has_commas_between_cells_and_points_in_figures():
    text = export("en", "csv").decode("utf-8-sig")

    assert list(csv.reader(io.StringIO(text))) == [
        ["Lot", "Wet mass (t)", "Moisture", "Samples", "Registered"],
        ["LOT-1", "5120.500", "8.5", "3", "2026-10-15"],
        ["LOT-2", "100", "", "1200", "2026-10-16"],  # never in exponent form, never grouped
    ]


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_russian_or_kazakh_csv_has_semicolons_and_decimal_commas(language):
    text = export(language, "csv").decode("utf-8-sig")

    assert text.splitlines()[1] == "LOT-1;5120,500;8,5;3;2026-10-15"
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[2] == ["LOT-2", "100", "", "1200", "2026-10-16"]


def test_the_xlsx_holds_typed_numbers_in_every_language():
    for language in ("en", "ru", "kk"):
        sheet = openpyxl.load_workbook(io.BytesIO(export(language, "xlsx"))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][:4] == ("LOT-1", 5120.5, 8.5, 3)
        assert rows[1][4] == datetime.datetime(2026, 10, 15)
