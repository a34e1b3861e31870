"""Units: exact conversions between mass fractions, from a digest to the solid, between dry and
as-received bases, rounding for the certificate, and rare-earth oxides."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assays import units
from assays.units import (
    REO_FACTORS,
    REO_OXIDES,
    SOLID_UNITS,
    SOLUTION_UNITS,
    UnitError,
    convert,
    convert_solution,
    dry_mass,
    is_solution_unit,
    normalise_unit,
    round_to,
    solution_to_solid,
    to_as_received,
    to_dry,
    total_reo,
)
from lims.exceptions import ApplicationError

D = Decimal

# Any Decimal a lab could write: up to 18 significant digits, from 1e-12 to 1e+12 in scale.
decimals_written = st.builds(
    lambda coefficient, exponent: D(coefficient).scaleb(exponent),
    st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1),
    st.integers(min_value=-12, max_value=6),
)
solid_pairs = st.tuples(st.sampled_from(list(SOLID_UNITS)), st.sampled_from(list(SOLID_UNITS)))
solution_pairs = st.tuples(st.sampled_from(list(SOLUTION_UNITS)), st.sampled_from(list(SOLUTION_UNITS)))
moistures = st.decimals(min_value=0, max_value=D("99.99"), places=2)
contents = st.decimals(min_value=0, max_value=D("1000000"), places=4)


# Conversions ------------------------------------------------------------------------------------


@given(value=decimals_written, pair=st.one_of(solid_pairs, solution_pairs))
def test_a_conversion_there_and_back_gives_the_same_decimal(value, pair):
    there, back = pair
    # Not merely equal: the same digits, so no precision was invented or lost on the way.
    assert convert(convert(value, there, back), back, there).as_tuple() == value.as_tuple()


@given(value=decimals_written, pair=solid_pairs)
def test_a_conversion_keeps_the_significant_digits(value, pair):
    converted = convert(value, *pair)
    assert converted.as_tuple().digits == value.as_tuple().digits


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        ("1", "%", "ppm", "10000"),
        ("1", "%", "g/t", "10000"),
        ("23.33", "%", "ppm", "233300"),  # CCU-1f Cu
        ("0.0821", "%", "ug/g", "821"),  # CCU-1f As
        ("19.08", "ug/g", "g/t", "19.08"),  # CCU-1f Au
        ("1", "g/t", "mg/kg", "1"),
        ("1", "ppm", "ppb", "1000"),
        ("1", "ppb", "ug/kg", "1"),
        ("1", "ppb", "ng/g", "1"),
        ("1", "ppb", "ppt", "1000"),
        ("3724", "ppm", "%", "0.3724"),  # AMIS0298 Sb
        ("1", "mg/L", "ug/L", "1000"),
        ("250", "ng/L", "ug/L", "0.25"),
    ],
)
def test_conversions_match_the_definitions(value, from_unit, to_unit, expected):
    assert convert(D(value), from_unit, to_unit) == D(expected)


def test_a_conversion_reads_the_units_as_written_in_files():
    assert convert(D("2.5"), "[ µg/g ]", "MG/KG") == D("2.5")


@pytest.mark.parametrize(("from_unit", "to_unit"), [("ug/L", "ppm"), ("mg/kg", "mg/L"), ("ppb", "ug/L")])
def test_a_solution_is_not_converted_to_a_solid_without_the_preparation(from_unit, to_unit):
    # In `convert` "ppb" is a mass fraction of a solid: turning it into ug/L needs the digest.
    with pytest.raises(UnitError, match="solution_to_solid"):
        convert(D(1), from_unit, to_unit)


@pytest.mark.parametrize("unit", ["kg", "ppq", "mol/L", "", "% w/w"])
def test_unknown_units_are_refused_with_the_known_ones_listed(unit):
    with pytest.raises(UnitError, match=r"Unknown unit .*known units are %, g/t"):
        convert(D(1), unit, "ppm")


def test_a_unit_error_is_an_application_error_and_a_value_error():
    # A service shows it to the user; a parser catching ValueError catches it too.
    with pytest.raises(ApplicationError):
        convert(D(1), "kg", "ppm")
    with pytest.raises(ValueError, match="Unknown unit"):
        convert(D(1), "kg", "ppm")


def test_floats_are_refused_because_they_have_lost_digits_already():
    with pytest.raises(TypeError, match="Decimal"):
        convert(0.1, "%", "ppm")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_numbers_that_are_not_finite_are_refused(value):
    with pytest.raises(UnitError, match="finite"):
        convert(D(value), "%", "ppm")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("µg/g", "ug/g"),  # MICRO SIGN
        ("μg/L", "ug/L"),  # GREEK SMALL LETTER MU
        ("ug/l", "ug/L"),
        ("mg/l", "mg/L"),
        ("[ ppb ]", "ppb"),  # MassHunter `Conc. [ ppb ]`
        ("(mg/L)", "mg/L"),  # Syngistix `Cu 63\n(mg/L)`
        ("g/dmt", "g/t"),
        ("PPM", "ppm"),
        (" mg / kg ", "mg/kg"),
        ("%", "%"),
    ],
)
def test_unit_spellings_are_normalised(written, canonical):
    assert normalise_unit(written) == canonical


def test_normalising_a_unit_does_not_guess():
    with pytest.raises(UnitError):
        normalise_unit("g/dmtx")
    with pytest.raises(UnitError, match="text"):
        normalise_unit(None)


# From the digest to the solid -------------------------------------------------------------------


def test_a_digest_concentration_becomes_a_content_of_the_solid():
    # 12.5 ug/L x 0.050 L x 10 / 0.25 g = 6.25 ug / 0.25 g = 25 ug/g = 25 mg/kg
    content = solution_to_solid(
        D("12.5"), "ug/L", final_volume_ml=D(50), sample_mass_g=D("0.25"), dilution_factor=D(10), to_unit="mg/kg"
    )
    assert content == D(25)


def test_icp_ms_ppb_in_a_digest_is_micrograms_per_litre():
    as_ppb = solution_to_solid(D("12.5"), "ppb", final_volume_ml=D(50), sample_mass_g=D("0.25"), to_unit="ppm")
    as_ug_l = solution_to_solid(D("12.5"), "ug/L", final_volume_ml=D(50), sample_mass_g=D("0.25"), to_unit="ppm")
    assert as_ppb == as_ug_l == D("2.5")


@pytest.mark.parametrize(
    ("value", "unit", "to_unit", "expected"),
    [
        ("1", "mg/L", "mg/kg", "200"),  # 1 mg/L x 0.050 L / 0.25 g = 0.2 mg/g
        ("1", "ppm", "%", "0.02"),
        ("400", "ng/L", "ppb", "80"),  # 400 ng/L x 0.050 L / 0.25 g = 80 ng/g
        ("-0.5", "ug/L", "ppm", "-0.1"),  # a reading below the calibration blank is kept as measured
    ],
)
def test_digest_conversions_in_other_units(value, unit, to_unit, expected):
    content = solution_to_solid(D(value), unit, final_volume_ml=D(50), sample_mass_g=D("0.25"), to_unit=to_unit)
    assert content == D(expected)


@pytest.mark.parametrize(
    ("volume", "mass", "dilution", "message"),
    [
        ("0", "0.25", "1", "final volume"),
        ("50", "0", "1", "digested mass"),
        ("50", "-0.25", "1", "digested mass"),
        ("50", "0.25", "0.1", "dilution factor is at least 1"),
    ],
)
def test_impossible_preparations_are_refused(volume, mass, dilution, message):
    with pytest.raises(UnitError, match=message):
        solution_to_solid(
            D(1), "ug/L", final_volume_ml=D(volume), sample_mass_g=D(mass), dilution_factor=D(dilution), to_unit="ppm"
        )


def test_the_digest_must_be_a_solution_and_the_target_a_solid():
    prep = {"final_volume_ml": D(50), "sample_mass_g": D("0.25")}
    with pytest.raises(UnitError, match="not a solution concentration"):
        solution_to_solid(D(1), "mg/kg", to_unit="ppm", **prep)
    with pytest.raises(UnitError, match="not a unit of a solid"):
        solution_to_solid(D(1), "ug/L", to_unit="mg/L", **prep)


@pytest.mark.parametrize(
    ("unit", "solution"),
    [("ug/L", True), ("mg/l", True), ("ng/L", True), ("ppb", True), ("ppm", True), ("mg/kg", False), ("%", False)],
)
def test_instrument_units_are_told_apart(unit, solution):
    assert is_solution_unit(unit) is solution


def test_solution_units_convert_among_themselves_reading_ppb_as_micrograms_per_litre():
    assert convert_solution(D("5"), "ppb", "mg/L") == D("0.005")
    assert convert_solution(D("2"), "mg/L", "ug/L") == D("2000")
    with pytest.raises(UnitError):
        convert_solution(D("2"), "mg/kg", "ug/L")


# Dry basis --------------------------------------------------------------------------------------


def test_dry_basis_divides_by_the_dry_fraction():
    # 20 % Cu as received at 8 % moisture: 20 / 0.92
    assert to_dry(D(20), D(8)) == D(20) / D("0.92")
    assert to_as_received(D(25), D(8)) == D(23)
    assert to_dry(D(23), D(8)) == D(25)


@given(value=decimals_written, moisture=moistures)
def test_dry_and_back_is_the_value_as_received(value, moisture):
    back = to_as_received(to_dry(value, moisture), moisture)
    # The division is carried to 28 digits; rounded to the value's own digits it is the value.
    assert back.quantize(value) == value


@given(value=contents, moisture=moistures)
def test_the_dry_value_is_never_below_the_value_as_received(value, moisture):
    assert to_dry(value, moisture) >= value
    assert to_as_received(value, moisture) <= value


@given(value=contents.filter(lambda v: v > 0), lower=moistures, higher=moistures)
def test_more_moisture_means_a_higher_dry_value(value, lower, higher):
    if lower > higher:
        lower, higher = higher, lower
    assert to_dry(value, lower) <= to_dry(value, higher)
    assert (lower == higher) == (to_dry(value, lower) == to_dry(value, higher))


@given(smaller=contents, larger=contents, moisture=moistures)
def test_a_larger_content_stays_larger_on_dry_basis(smaller, larger, moisture):
    if smaller > larger:
        smaller, larger = larger, smaller
    assert to_dry(smaller, moisture) <= to_dry(larger, moisture)


@pytest.mark.parametrize("moisture", ["100", "100.5", "-0.01", "-1"])
def test_moisture_must_be_from_0_to_below_100(moisture):
    for function in (to_dry, to_as_received, dry_mass):
        with pytest.raises(UnitError, match="Moisture must be"):
            function(D(10), D(moisture))


def test_zero_moisture_changes_nothing():
    assert to_dry(D("23.33"), D(0)) == D("23.33")


def test_the_dry_mass_of_a_lot():
    # 10 000 wet tonnes at 8.5 % moisture are 9 150 dry tonnes, exactly.
    assert dry_mass(D("10000.000"), D("8.5")) == D("9150")
    with pytest.raises(UnitError, match="negative"):
        dry_mass(D(-1), D(8))


# Rounding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        ("2.345", 2, "2.34"),  # exactly halfway: to the even neighbour
        ("2.355", 2, "2.36"),
        ("2.3451", 2, "2.35"),  # beyond halfway: up
        ("-2.345", 2, "-2.34"),
        ("0.5", 0, "0"),
        ("1.5", 0, "2"),
        ("23.33", 3, "23.330"),
        ("1250", -2, "1.2E+3"),  # to hundreds
    ],
)
def test_reporting_rounds_half_to_even(value, decimals, expected):
    rounded = round_to(D(value), decimals)
    assert rounded == D(expected)
    assert rounded.as_tuple().exponent == -decimals


def test_rounding_takes_whole_decimal_places():
    with pytest.raises(TypeError):
        round_to(D("1.25"), 1.0)


# Rare-earth oxides ------------------------------------------------------------------------------

# IUPAC standard atomic weights (CIAAW), conventional values.
ATOMIC_WEIGHTS = {
    "O": "15.999",
    "La": "138.90547",
    "Ce": "140.116",
    "Pr": "140.90766",
    "Nd": "144.242",
    "Sm": "150.36",
    "Eu": "151.964",
    "Gd": "157.249",
    "Tb": "158.925354",
    "Dy": "162.500",
    "Ho": "164.930329",
    "Er": "167.259",
    "Tm": "168.934219",
    "Yb": "173.045",
    "Lu": "174.9668",
    "Sc": "44.955907",
    "Y": "88.905838",
}


@pytest.mark.parametrize("element", list(ATOMIC_WEIGHTS)[1:])
def test_each_oxide_factor_follows_from_the_atomic_weights(element):
    formula = re.fullmatch(r"([A-Z][a-z]?)(\d*)O(\d+)", REO_OXIDES[element])
    assert formula[1] == element
    metal_atoms, oxygen_atoms = int(formula[2] or 1), int(formula[3])
    metal = metal_atoms * D(ATOMIC_WEIGHTS[element])
    factor = (metal + oxygen_atoms * D(ATOMIC_WEIGHTS["O"])) / metal
    assert REO_FACTORS[element] == factor.quantize(D("0.0001"))


def test_the_oxide_table_covers_the_rare_earths_but_promethium():
    assert set(REO_FACTORS) == set(ATOMIC_WEIGHTS) - {"O"}
    assert "Pm" not in REO_FACTORS  # no stable isotope: never assayed


def test_treo_sums_the_oxides_of_oreas_502c():
    ree = {"La": "33.1", "Ce": "67", "Nd": "29.4", "Eu": "1.36", "Gd": "4.94", "Dy": "4.45", "Ho": "0.88"}
    ree |= {"Er": "2.49", "Lu": "0.35"}
    result = total_reo({symbol: D(value) for symbol, value in ree.items()})
    expected = (
        D("33.1") * D("1.1728")
        + D("67") * D("1.2284")
        + D("29.4") * D("1.1664")
        + D("1.36") * D("1.1579")
        + D("4.94") * D("1.1526")
        + D("4.45") * D("1.1477")
        + D("0.88") * D("1.1455")
        + D("2.49") * D("1.1435")
        + D("0.35") * D("1.1372")
    )
    assert result.total_ppm == expected == D("172.043868")
    assert result.oxides_ppm["La"] == D("38.81968")
    assert result.censored == ()
    assert result.not_determined == ("Pr", "Sm", "Tb", "Tm", "Yb", "Sc", "Y")
    assert not result.all_censored


def test_censored_rare_earths_add_nothing_and_are_listed():
    result = total_reo({"La": D("10"), "Tb": None, "Lu": None})
    # Not the detection limit, not half of it: nothing that was not measured.
    assert result.total_ppm == D("11.728")
    assert result.censored == ("Tb", "Lu")
    assert "Tb" not in result.oxides_ppm


def test_a_treo_of_only_censored_elements_is_below_detection_not_zero():
    result = total_reo({"La": None, "Ce": None})
    assert result.total_ppm == 0
    assert result.all_censored


def test_treo_refuses_what_is_not_a_rare_earth_or_not_a_content():
    with pytest.raises(UnitError, match="Not rare-earth elements of the oxide table: Cu"):
        total_reo({"La": D(1), "Cu": D(5)})
    with pytest.raises(UnitError, match="negative"):
        total_reo({"La": D("-0.1")})


@given(st.dictionaries(st.sampled_from(list(REO_FACTORS)), st.one_of(st.none(), contents)))
def test_treo_is_the_sum_of_the_oxides_and_accounts_for_every_element(ree):
    result = total_reo(ree)
    assert result.total_ppm == sum(result.oxides_ppm.values(), D(0))
    assert set(result.oxides_ppm) | set(result.censored) | set(result.not_determined) == set(REO_FACTORS)
    assert set(result.censored) == {symbol for symbol, value in ree.items() if value is None}
    assert result.total_ppm >= sum((value for value in ree.values() if value is not None), D(0))


def test_units_module_refuses_booleans_as_numbers():
    # True is an int in Python; as a content it is a bug upstream.
    with pytest.raises(TypeError):
        units.to_dry(True, D(5))
