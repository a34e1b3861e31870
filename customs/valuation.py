"""The payable value of a lot of concentrate, with its working, line by line.

A pure function of certified contents, dry mass, prices and payable terms: no database, no clock.
Prices and terms are read by attribute (customs.models.MetalPrice and PayableTerm rows, saved or
not), so tests and the checks hand in the same kind of object.

How a line is computed (REFERENCE.md, "Payable value of copper concentrate"):
- payable metal: the content in the term's unit, times the payable percentage, but at least the
  minimum deduction taken off it (copper 96.5 %, minimum deduction 1 unit: 22.5 % pays 21.5 %), and
  nothing when the content is below the minimum payable content (gold below 1 g/dmt). Payable
  content per dry tonne times the dry mass is the metal, expressed in the price's unit (t, kg, troy
  ounce, lb) and priced. Rare-earth oxides are valued as TREO per kg.
- penalty: for each step of content above the free allowance, pro rata, the rate per dry tonne,
  times the dry mass; subtracted.
- treatment charge: the rate per dry tonne times the dry mass; subtracted.
A commodity the certificate does not report (or reports below detection) gets no line.

Rounding, so that anyone can redo the working from the lines as printed: the metal quantity is
rounded to 3 decimals, a penalty per dry tonne to 4, and each amount is the printed quantity times
the printed price, rounded to cents; the total is the sum of the printed amounts. Rounding is half
to even, as everywhere in the laboratory (assays.units.round_to).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from assays import units
from customs import findings
from customs.findings import REASONS
from customs.models import MetalPrice, PayableTerm, PriceUnit
from lims.exceptions import ApplicationError
from lims.lib import worded
from lims.lib.numbers import trimmed

# Grams in one unit a price is quoted per. A troy ounce is exactly 31.1034768 g, a pound 453.59237 g.
GRAMS_PER_UNIT: dict[str, Decimal] = {
    PriceUnit.TONNE: Decimal(1_000_000),
    PriceUnit.KILOGRAM: Decimal(1000),
    PriceUnit.TROY_OUNCE: Decimal("31.1034768"),
    PriceUnit.POUND: Decimal("453.59237"),
}
DRY_TONNE = "dmt"


class ValuationError(ApplicationError):
    """The value cannot be computed: a price, a rate or a consistent currency is missing. `reason`
    names the text (customs.findings.REASONS) and `params` its parameters, so a finding that quotes it
    can say it again in its reader's language."""

    def __init__(self, reason: str, **params: str):
        self.reason, self.params = reason, params
        super().__init__(REASONS[reason] % params, extra=params)


@dataclass(frozen=True)
class Line:
    """One line of the working. What it says is `key` (customs.findings.LINES) with `params`:
    `description` in the active language; the stored JSON keeps it in English as well (what the API
    returns), beside the key and parameters pages word it from."""

    key: str
    params: dict[str, str]
    quantity: Decimal
    unit: str
    price: Decimal
    amount: Decimal

    @property
    def description(self) -> str:
        return findings.line_text({"text": self.key, "params": self.params})

    def as_json(self) -> dict:
        return {
            "description": worded.in_english(lambda: self.description),
            "text": self.key,
            "params": self.params,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "price": str(self.price),
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class Conversion:
    """The total restated in the declaration's currency at the rate in effect on its date."""

    currency: str
    rate: Decimal
    source: str
    effective_date: date
    total: Decimal


@dataclass(frozen=True)
class Valuation:
    lines: tuple[Line, ...]
    total: Decimal
    currency: str
    conversion: Conversion | None = None

    @property
    def final_total(self) -> Decimal:
        return self.conversion.total if self.conversion else self.total

    @property
    def final_currency(self) -> str:
        return self.conversion.currency if self.conversion else self.currency

    def in_currency(self, *, currency: str, rate: Decimal, source: str, effective_date: date) -> "Valuation":
        """The same valuation with its total restated: `rate` units of `currency` per unit of the
        valuation's currency."""
        total = units.round_to(self.total * rate, 2)
        return replace(self, conversion=Conversion(currency, rate, source, effective_date, total))

    def as_json(self) -> dict:
        conversion = self.conversion
        return {
            "lines": [line.as_json() for line in self.lines],
            "total": str(self.total),
            "currency": self.currency,
            "conversion": {
                "currency": conversion.currency,
                "rate": str(conversion.rate),
                "source": conversion.source,
                "effective_date": conversion.effective_date.isoformat(),
                "total": str(conversion.total),
            }
            if conversion
            else None,
        }


def _num(value: Decimal) -> str:
    """A figure for a description: no trailing zeros, never in exponent form."""
    return trimmed(units.round_to(value, 6))


def _payable_line(term, content: Decimal, dry_mass_t: Decimal, price) -> Line:
    symbol, unit = term.commodity, term.unit
    if term.min_content is not None and content < term.min_content:
        params = {"symbol": symbol, "content": _num(content), "unit": unit, "minimum": _num(term.min_content)}
        return Line(findings.LINE_NOT_PAID, params, Decimal("0.000"), price.unit, price.price, Decimal("0.00"))
    paid = content * term.payable_pct / 100
    if term.min_deduction is not None:
        paid = min(paid, content - term.min_deduction)
    paid = max(paid, Decimal(0))
    grams = units.convert(paid, unit, "g/t") * dry_mass_t
    quantity = units.round_to(grams / GRAMS_PER_UNIT[price.unit], 3)
    params = {
        "symbol": symbol,
        "content": _num(content),
        "unit": unit,
        "paid": _num(paid),
        "pct": _num(term.payable_pct),
        "mass": _num(dry_mass_t),
    }
    if term.min_deduction is not None:
        params["deduction"] = _num(term.min_deduction)
    if term.min_content is not None:
        params["minimum"] = _num(term.min_content)
    amount = units.round_to(quantity * price.price, 2)
    return Line(findings.LINE_PAYABLE, params, quantity, price.unit, price.price, amount)


def _penalty_line(term, content: Decimal, dry_mass_t: Decimal) -> Line:
    symbol, unit = term.commodity, term.unit
    excess = max(content - term.free_allowance, Decimal(0))
    per_tonne = units.round_to(excess / term.step * term.rate, 4)
    values = {
        "symbol": symbol,
        "content": _num(content),
        "unit": unit,
        "free": _num(term.free_allowance),
        "excess": _num(excess),
        "rate": _num(term.rate),
        "currency": term.currency,
        "step": _num(term.step),
    }
    key = findings.LINE_FREE if excess == 0 else findings.LINE_PENALTY
    return Line(key, values, dry_mass_t, DRY_TONNE, -per_tonne, units.round_to(dry_mass_t * -per_tonne, 2))


def payable_value(
    *,
    contents: Mapping[str, tuple[Decimal, str]],
    dry_mass_t: Decimal,
    prices: Mapping[str, MetalPrice],
    terms: Iterable,
) -> Valuation:
    """The value of `dry_mass_t` dry tonnes of the certified composition.

    `contents` maps a commodity (analyte symbol, or TREO) to its certified content and unit, dry
    basis; `prices` maps a commodity to its price in effect; `terms` is the payable schedule. Raises
    ValuationError when a paid commodity has no price or when prices and charges are in several
    currencies (each currency needs its own rate; none is assumed).
    """
    lines: list[Line] = []
    currencies: set[str] = set()
    for term in sorted(terms, key=lambda t: (list(PayableTerm.Kind).index(t.kind), t.commodity)):
        if term.kind == PayableTerm.Kind.TREATMENT:
            rate = term.rate
            lines.append(
                Line(
                    findings.LINE_TREATMENT,
                    {"rate": _num(rate), "currency": term.currency},
                    dry_mass_t,
                    DRY_TONNE,
                    -rate,
                    units.round_to(dry_mass_t * -rate, 2),
                )
            )
            currencies.add(term.currency)
            continue
        if term.commodity not in contents:
            continue
        value, unit = contents[term.commodity]
        content = units.convert(value, unit, term.unit)
        if term.kind == PayableTerm.Kind.PAYABLE:
            price = prices.get(term.commodity)
            if price is None:
                raise ValuationError("no_price", commodity=term.commodity)
            lines.append(_payable_line(term, content, dry_mass_t, price))
            currencies.add(price.currency)
        else:
            lines.append(_penalty_line(term, content, dry_mass_t))
            currencies.add(term.currency)
    if len(currencies) > 1:
        raise ValuationError("currencies", currencies=", ".join(sorted(currencies)))
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return Valuation(lines=tuple(lines), total=total, currency=currencies.pop() if currencies else "")
