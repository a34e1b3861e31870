"""Units of the laboratory's results, and the arithmetic between them.

Every function here is exact Decimal arithmetic: unit changes move the decimal point (`scaleb`), so a
conversion neither invents nor loses a digit, and a value converted there and back is the same
Decimal. The only inexact steps are divisions (by a sample mass, or by the dry fraction), carried at
the Decimal context's precision (28 significant digits by default), far beyond any measurement.
Rounding for the certificate happens once, at the end, with `round_to`; intermediate values are
never rounded, because rounding twice can move a result across a reporting boundary.

Floats are refused: a float has already lost decimal digits (0.1 is not one tenth), so it must not
enter a value that is certified.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext as _

from lims.exceptions import ApplicationError


class UnitError(ApplicationError, ValueError):
    """A unit, moisture or preparation figure the arithmetic cannot use.

    It is an ApplicationError so that a service can show its message to the person who typed the
    unit, and a ValueError so that a parser catching bad input catches it too.
    """


# Mass fractions of solids, as the power of ten of one gram per gram. g/t = ppm = mg/kg = ug/g and
# ppb = ug/kg = ng/g are the same quantity under names that different trades use; each name is kept
# as it was written so a certificate shows the unit its contract asks for.
# "ppt" is parts per trillion (1e-12), continuing ppm and ppb. It never means parts per thousand
# here: that use is written "‰" or "g/kg" and is not a unit of this laboratory.
SOLID_UNITS: dict[str, int] = {
    "%": -2,
    "g/t": -6,
    "ppm": -6,
    "mg/kg": -6,
    "ug/g": -6,
    "ppb": -9,
    "ug/kg": -9,
    "ng/g": -9,
    "ppt": -12,
}

# Concentrations in a solution (a digest), as the power of ten of one gram per litre.
SOLUTION_UNITS: dict[str, int] = {
    "ng/L": -9,
    "ug/L": -6,
    "mg/L": -3,
}

# ICP-MS software labels solution concentrations "ppb" or "ppm" (MassHunter: `Conc. [ ppb ]`). In a
# dilute aqueous digest (density 1 g/mL) a part per billion by mass is one microgram per litre, so
# where a figure is known to be a solution concentration these names mean the solution units.
_SOLUTION_PARTS: dict[str, str] = {"ppt": "ng/L", "ppb": "ug/L", "ppm": "mg/L"}

# Spellings seen in instrument exports and contracts, looked up case-insensitively after the micro
# sign is written "u". "g/dmt" (grams per dry metric tonne) is g/t: whether a figure is dry or as
# received is the basis recorded with the result, not part of the unit.
_ALIASES: dict[str, str] = {
    **{name.lower(): name for name in (*SOLID_UNITS, *SOLUTION_UNITS)},
    "g/dmt": "g/t",
}

_MICRO_SIGNS = ("\u00b5", "\u03bc")  # MICRO SIGN and GREEK SMALL LETTER MU: keyboards produce both


def normalise_unit(text: str) -> str:
    """The canonical name of a unit as written in a file or a form.

    Accepted: surrounding spaces and one or more pairs of enclosing brackets ("[ ppb ]", "(mg/L)",
    as instrument headers write them), spaces inside ("mg / kg"), either micro sign, and any letter
    case ("UG/L"). Case is ignored because exports are inconsistent ("mg/l") and none of the units
    here differ only by case. Anything else raises UnitError rather than being guessed.
    """
    if not isinstance(text, str):
        raise UnitError(_("A unit must be text, not %(type)s.") % {"type": type(text).__name__})
    cleaned = "".join(text.split())
    while len(cleaned) >= 2 and (cleaned[0], cleaned[-1]) in (("[", "]"), ("(", ")")):
        cleaned = cleaned[1:-1].strip()
    for sign in _MICRO_SIGNS:
        cleaned = cleaned.replace(sign, "u")
    try:
        return _ALIASES[cleaned.lower()]
    except KeyError:
        known = ", ".join([*SOLID_UNITS, *SOLUTION_UNITS])
        raise UnitError(
            _("Unknown unit %(unit)r; known units are %(known)s.") % {"unit": text, "known": known}
        ) from None


def finite_decimal(value, name: str) -> Decimal:
    """`value` as a finite Decimal; `name` says which argument was wrong.

    Decimals and ints are exact and accepted; floats and booleans raise TypeError (see the module
    docstring); NaN and infinities raise UnitError, because no limit or unit can be applied to them.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise UnitError(_("%(name)s must be a finite number, not %(value)s.") % {"name": name, "value": number})
    return number


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """`value` in `from_unit` expressed in `to_unit`, exactly.

    Both units must be mass fractions of a solid, or both concentrations in a solution. Going from a
    solution to a solid needs the digested mass, the final volume and the dilution: that is
    `solution_to_solid`, and asking `convert` for it is an error, not a silent assumption. Here
    "ppm", "ppb" and "ppt" are mass fractions of a solid.

    The result keeps the digits it was given and moves the decimal point: 23.33 % is 2.333E+5 ppm,
    not 233300 ppm, whose trailing zeros would claim a precision the assay does not have. Format or
    `round_to` for display.
    """
    number = finite_decimal(value, "value")
    source, target = normalise_unit(from_unit), normalise_unit(to_unit)
    for table in (SOLID_UNITS, SOLUTION_UNITS):
        if source in table and target in table:
            return number.scaleb(table[source] - table[target])
    raise UnitError(
        _(
            "Cannot convert %(source)s to %(target)s without the sample preparation: a solution "
            "concentration becomes a content of the solid only through the digested mass, the final "
            "volume and the dilution (use solution_to_solid)."
        )
        % {"source": source, "target": target}
    )


def _solution_unit(text: str) -> str:
    unit = normalise_unit(text)
    unit = _SOLUTION_PARTS.get(unit, unit)
    if unit not in SOLUTION_UNITS:
        raise UnitError(
            _("%(unit)r is not a solution concentration; use one of %(known)s.")
            % {"unit": text, "known": ", ".join(SOLUTION_UNITS)}
        )
    return unit


def is_solution_unit(text: str) -> bool:
    """Whether an instrument's unit is a concentration in a solution (the digest).

    True for ng/L, ug/L, mg/L, and for "ppt", "ppb", "ppm" as ICP-MS software writes them (see
    _SOLUTION_PARTS): this is a question about instrument readings, where those names mean ug/L and
    mg/L. A file that reports contents of the sample must therefore be read with a mass unit
    (mg/kg, ug/g); unknown units raise UnitError rather than answer False.
    """
    unit = normalise_unit(text)
    return unit in SOLUTION_UNITS or unit in _SOLUTION_PARTS


def convert_solution(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """A solution concentration in another solution unit, exactly; "ppb" and "ppm" read as ug/L
    and mg/L (see is_solution_unit). Used to compare a blank with a limit kept in another unit."""
    source, target = _solution_unit(from_unit), _solution_unit(to_unit)
    return finite_decimal(value, "value").scaleb(SOLUTION_UNITS[source] - SOLUTION_UNITS[target])


def solution_to_solid(
    value: Decimal,
    unit: str,
    *,
    final_volume_ml: Decimal,
    sample_mass_g: Decimal,
    dilution_factor: Decimal = Decimal(1),
    to_unit: str,
) -> Decimal:
    """The content of the solid from the concentration measured in its digest.

    content = concentration x final volume x dilution factor / digested mass, then expressed in
    `to_unit`. For example 12.5 ug/L measured in a 10-fold dilution of a 50 mL digest of 0.25 g is
    12.5 ug/L x 0.050 L x 10 / 0.25 g = 25 ug/g = 25 mg/kg.

    `unit` is read as a solution unit, so ICP-MS "ppb" is ug/L and "ppm" is mg/L (see
    _SOLUTION_PARTS). The dilution factor is final volume over aliquot volume of any dilution made
    after the digest was made up, so it is at least 1; a smaller figure is almost always its
    reciprocal typed by mistake and is refused. Negative concentrations (a blank-corrected reading
    below the calibration blank) are kept as measured: censoring them is the reporting rule's job,
    not the arithmetic's.
    """
    concentration = finite_decimal(value, "value")
    volume = finite_decimal(final_volume_ml, "final_volume_ml")
    mass = finite_decimal(sample_mass_g, "sample_mass_g")
    dilution = finite_decimal(dilution_factor, "dilution_factor")
    if volume <= 0:
        raise UnitError(_("The final volume must be more than 0 mL, not %(value)s.") % {"value": volume})
    if mass <= 0:
        raise UnitError(_("The digested mass must be more than 0 g, not %(value)s.") % {"value": mass})
    if dilution < 1:
        raise UnitError(
            _("A dilution factor is at least 1 (final volume over aliquot volume), not %(value)s.")
            % {"value": dilution}
        )
    source = _solution_unit(unit)
    target = normalise_unit(to_unit)
    if target not in SOLID_UNITS:
        raise UnitError(
            _("%(unit)r is not a unit of a solid; use one of %(known)s.")
            % {"unit": to_unit, "known": ", ".join(SOLID_UNITS)}
        )
    # g/L x mL x 1e-3 L/mL / g = g/g; the powers of ten are applied last, exactly.
    grams_per_gram = concentration * volume * dilution / mass
    return grams_per_gram.scaleb(SOLUTION_UNITS[source] - 3 - SOLID_UNITS[target])


def _moisture(moisture_pct: Decimal) -> Decimal:
    moisture = finite_decimal(moisture_pct, "moisture_pct")
    if not Decimal(0) <= moisture < Decimal(100):
        raise UnitError(
            _("Moisture must be at least 0 %% and below 100 %%, not %(value)s %%: at 100 %% nothing is left to assay.")
            % {"value": moisture}
        )
    return moisture


def to_dry(value_as_received: Decimal, moisture_pct: Decimal) -> Decimal:
    """A content on dry basis from the content as received: value / (1 - moisture / 100).

    Concentrates are traded per dry metric tonne and results are reported dry with the moisture
    stated (ISO 10251), so the dry value is never below the as-received one. Computed as
    value x 100 / (100 - moisture), one division, exact when it terminates.
    """
    value = finite_decimal(value_as_received, "value_as_received")
    moisture = _moisture(moisture_pct)
    return value * 100 / (100 - moisture)


def to_as_received(value_dry: Decimal, moisture_pct: Decimal) -> Decimal:
    """A content as received from the dry one: value x (1 - moisture / 100), exact."""
    value = finite_decimal(value_dry, "value_dry")
    return (value * (100 - _moisture(moisture_pct))).scaleb(-2)


def dry_mass(wet_mass: Decimal, moisture_pct: Decimal) -> Decimal:
    """The dry mass of a lot from its wet mass, in the same unit: wet x (1 - moisture / 100), exact.

    Payable metal is content per dry tonne times this dry mass.
    """
    mass = finite_decimal(wet_mass, "wet_mass")
    if mass < 0:
        raise UnitError(_("A mass cannot be negative (%(value)s).") % {"value": mass})
    return (mass * (100 - _moisture(moisture_pct))).scaleb(-2)


def round_to(value: Decimal, decimals: int) -> Decimal:
    """`value` rounded to `decimals` places for reporting, half to even.

    Half to even is rule A of ISO 80000-1 Annex B and the rounding of ASTM E29: a value exactly
    halfway goes to the even neighbour (2.345 -> 2.34, 2.355 -> 2.36). Rounding halves always up
    biases averages upwards, and seller's and buyer's results are averaged to settle a lot.
    Decimal holds the digits as written, so "exactly halfway" means the written digits, never a
    binary approximation. Negative `decimals` round to tens, hundreds and so on.
    """
    number = finite_decimal(value, "value")
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"decimals must be an int, not {type(decimals).__name__}")
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


# Element, oxide in which rare earths are reported, and the element-to-oxide factor (oxide mass per
# element mass, to four decimals, as the industry tables print them). Ce, Pr and Tb are reported in
# their usual commercial oxides (CeO2, Pr6O11, Tb4O7), the others as sesquioxides. Pm has no stable
# isotope and is never assayed. tests/assays/test_units.py recomputes every factor from IUPAC
# standard atomic weights: Lu2O3 is 1.1372 (1.13716), not the 1.1371 some published tables print.
_REO_TABLE: tuple[tuple[str, str, str], ...] = (
    ("La", "La2O3", "1.1728"),
    ("Ce", "CeO2", "1.2284"),
    ("Pr", "Pr6O11", "1.2082"),
    ("Nd", "Nd2O3", "1.1664"),
    ("Sm", "Sm2O3", "1.1596"),
    ("Eu", "Eu2O3", "1.1579"),
    ("Gd", "Gd2O3", "1.1526"),
    ("Tb", "Tb4O7", "1.1762"),
    ("Dy", "Dy2O3", "1.1477"),
    ("Ho", "Ho2O3", "1.1455"),
    ("Er", "Er2O3", "1.1435"),
    ("Tm", "Tm2O3", "1.1421"),
    ("Yb", "Yb2O3", "1.1387"),
    ("Lu", "Lu2O3", "1.1372"),
    ("Sc", "Sc2O3", "1.5338"),
    ("Y", "Y2O3", "1.2699"),
)
REO_OXIDES: dict[str, str] = {element: oxide for element, oxide, _factor in _REO_TABLE}
REO_FACTORS: dict[str, Decimal] = {element: Decimal(factor) for element, _oxide, factor in _REO_TABLE}


@dataclass(frozen=True)
class TotalREO:
    """Total rare-earth oxides (TREO) and what went into it.

    `oxides_ppm` holds each quantified element's oxide content; `censored` lists the elements
    reported below their detection limit, which add nothing to the total; `not_determined` lists the
    rare earths of REO_FACTORS that were not measured at all. A certificate states the last two,
    because the total is then a lower bound and says which elements it covers.
    """

    total_ppm: Decimal
    oxides_ppm: dict[str, Decimal] = field(default_factory=dict)
    censored: tuple[str, ...] = ()
    not_determined: tuple[str, ...] = ()

    @property
    def all_censored(self) -> bool:
        """Nothing was quantified: the total is not a measured 0 but "below detection"."""
        return not self.oxides_ppm


def total_reo(contents: Mapping[str, Decimal | None]) -> TotalREO:
    """TREO in ppm from element contents in ppm.

    `contents` maps an element symbol (exactly as in REO_FACTORS: "La", "Y") to its content in ppm,
    or to None when the laboratory reported it below its detection limit. A censored element
    contributes 0, not its detection limit and not half of it: substituting a value would report
    oxide that was not measured, and the censored list says what the total leaves out. Scandium and
    yttrium count when they are given, as the oxide table includes them. A negative content is
    refused: it must be censored by the reporting rules before it reaches a total. Unknown symbols
    are refused rather than skipped, so a misspelt element does not silently vanish from the sum.
    """
    unknown = sorted(symbol for symbol in contents if symbol not in REO_FACTORS)
    if unknown:
        raise UnitError(
            _("Not rare-earth elements of the oxide table: %(unknown)s; known: %(known)s.")
            % {"unknown": ", ".join(map(str, unknown)), "known": ", ".join(REO_FACTORS)}
        )
    oxides: dict[str, Decimal] = {}
    censored: list[str] = []
    for symbol in REO_FACTORS:  # the table's order, so the result reads the same every time
        if symbol not in contents:
            continue
        if contents[symbol] is None:
            censored.append(symbol)
            continue
        content = finite_decimal(contents[symbol], f"content of {symbol}")
        if content < 0:
            raise UnitError(
                _("The content of %(symbol)s is negative (%(value)s ppm); report it below detection.")
                % {"symbol": symbol, "value": content}
            )
        oxides[symbol] = content * REO_FACTORS[symbol]
    return TotalREO(
        total_ppm=sum(oxides.values(), Decimal(0)),
        oxides_ppm=oxides,
        censored=tuple(censored),
        not_determined=tuple(symbol for symbol in REO_FACTORS if symbol not in contents),
    )
