"""The cell-level rules every format shares: numbers, censored values, formulas, dates."""

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assays.importers import Qualifier
from assays.importers.base import cell_value, day_first, parse_datetime, unit

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)


@given(finite_decimals)
def test_every_decimal_reads_back_as_itself(number):
    assert cell_value(str(number)) == (number, Qualifier.NONE, None)


@given(finite_decimals.map(abs))
def test_a_censored_value_keeps_its_limit_and_has_no_value(limit):
    assert cell_value(f"<{limit}") == (None, Qualifier.BELOW_DL, limit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-0.003", (Decimal("-0.003"), Qualifier.NONE, None)),
        ("1.5E-05", (Decimal("1.5E-05"), Qualifier.NONE, None)),
        ("< 0.004", (None, Qualifier.BELOW_DL, Decimal("0.004"))),
        ("<LQ", (None, Qualifier.BELOW_DL, None)),
        (">100", (Decimal("100"), Qualifier.ABOVE, None)),
        ("OR", (None, Qualifier.OVER_RANGE, None)),
        ("n/a", (None, Qualifier.NOT_REPORTED, None)),
        ("  ", (None, Qualifier.NOT_REPORTED, None)),
    ],
)
def test_cell_forms(text, expected):
    assert cell_value(text) == expected


@pytest.mark.parametrize("text", ["Infinity", "NaN", "1_000", "0x10", "1e", "--1", "<", "<abc", ">", "٣"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="not a number"):
        cell_value(text)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("[ ppb ]", "ppb"),
        ("[ ug/l ]", "ug/L"),
        ("(mg/L)", "mg/L"),
        ("µg/L", "ug/L"),
        ("μg/kg", "ug/kg"),
        ("G/T", "g/t"),
    ],
)
def test_units_are_normalised(text, canonical):
    assert unit(text) == canonical


def test_an_unknown_unit_is_none():
    assert unit("mg/dL") is None


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    )
)
def test_dates_read_back_in_either_order(moment):
    assert parse_datetime(moment.strftime("%d/%m/%Y %H:%M:%S"), day_first=True) == moment
    assert parse_datetime(moment.strftime("%m-%d-%y %I:%M:%S %p"), day_first=False) == moment
    assert parse_datetime(moment.isoformat(), day_first=False) == moment


def test_the_order_of_dates_is_settled_by_the_file():
    assert day_first(["05/03/2024", "13/03/2024"], hint=False) is True
    assert day_first(["05/03/2024", "03/13/2024"], hint=True) is False
    assert day_first(["05/03/2024"], hint=True) is True
    with pytest.raises(ValueError, match="both"):
        day_first(["13/03/2024", "03/13/2024"], hint=True)


@pytest.mark.parametrize("text", ["31/02/2024", "13:00 PM 01/01/2024", "2024-01-01T10:00+05:00", "yesterday"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_datetime(text, day_first=True)
