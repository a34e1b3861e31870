"""The money filter (lims/templatetags/lims_format.py): two decimals and thousands grouped, as the page's
language writes them, computed in Decimal."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from lims.templatetags.lims_format import money


def test_it_groups_thousands_with_two_decimals_in_english():
    with translation.override("en"):
        assert money(Decimal("1234567.5")) == "1,234,567.50"
        assert money("20000000.00") == "20,000,000.00"  # as a finding's figures store it
        assert money(Decimal("-1234.5")) == "-1,234.50"
        assert money(Decimal("999.99")) == "999.99"


def test_it_writes_russian_with_a_decimal_comma_and_no_break_spaces():
    with translation.override("ru"):
        assert money(Decimal("1234567.5")) == "1\xa0234\xa0567,50"


def test_it_rounds_half_up_to_the_cent_in_decimal():
    with translation.override("en"):
        # 1.005 is 1.00499999... as a binary float: the figure is read from its text, never through float.
        assert money(Decimal("1.005")) == "1.01"
        assert money("2.675") == "2.68"
        assert money(Decimal("0.004")) == "0.00"


@pytest.mark.parametrize("value", [None, ""])
def test_nothing_is_shown_as_nothing(value):
    assert money(value) == ""


@pytest.mark.parametrize("value", ["n/a", "NaN", "Infinity"])
def test_what_is_not_an_amount_is_shown_as_it_is(value):
    assert money(value) == value


def test_templates_load_it():
    with translation.override("en"):
        assert Template("{% load lims_format %}{{ v|money }} USD").render(Context({"v": Decimal("1234567.5")})) == (
            "1,234,567.50 USD"
        )
