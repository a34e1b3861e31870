"""Nominal concentrations stated in a check standard's name, one level or two."""

from decimal import Decimal

import pytest

from assays.qc import nominal_from_name, nominals_from_name

D = Decimal


@pytest.mark.parametrize(
    ("name", "unit", "nominals"),
    [
        # A two-level check standard: traces at one level, majors at the other.
        ("CCV 20 ppb / 1000 ppb", "ppb", [D("20"), D("1000")]),
        ("CCV 20 ppb / 1000 ppb", "ug/L", [D("20"), D("1000")]),
        ("CCV 20 ppb / 1000 ppb", "ppm", [D("0.02"), D("1")]),
        ("CCV 20 ppb / 1000 ppb", "mg/L", [D("0.02"), D("1")]),
        # Lowest first, whatever the order of the name.
        ("CCV 1000 ppb / 20 ppb", "ppb", [D("20"), D("1000")]),
        # Numbers joined by a slash share the unit after the last one.
        ("CCV 20/1000 ppb", "ppb", [D("20"), D("1000")]),
        ("CCV 10 ppb/20 ppb", "ppb", [D("10"), D("20")]),
        # MassHunter calibration names as labs write them.
        ("0.5 ppb / 25 ppb", "ppb", [D("0.5"), D("25")]),
        ("CCV 20 ug/L / 1 mg/L", "ug/L", [D("20"), D("1000")]),
        # A decimal comma (French-locale exports).
        ("ICV 2,5 µg/l / 250 µg/l", "ppb", [D("2.5"), D("250")]),
        # One level is a list of one.
        ("CCV 10 ppb", "ppb", [D("10")]),
        # The same concentration stated in two units counts once.
        ("CCV 10 ppb / 0.01 ppm", "ppb", [D("10")]),
    ],
)
def test_every_nominal_of_a_name_in_the_reading_unit(name, unit, nominals):
    assert nominals_from_name(name, unit) == nominals


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("CCV 2", "ppb"),  # a sequence number, not a concentration
        ("CCV 2 / 3", "ppb"),  # no unit at all
        ("CCV 20 ppb / 1000 ppb", "mg/kg"),  # a per-mass reading: the solution figures do not apply
        ("CCV 5 ppm/kg", "ppm"),  # not a solution concentration
        ("", "ppb"),
    ],
)
def test_a_name_without_a_solution_concentration_states_none(name, unit):
    assert nominals_from_name(name, unit) == []


def test_the_single_nominal_rule_still_declines_a_two_level_name():
    # nominal_from_name is kept as it was: two concentrations, no single nominal.
    assert nominal_from_name("CCV 20 ppb / 1000 ppb", "ppb") is None
    assert nominal_from_name("CCV 20 ppb", "ppb") == D("20")
