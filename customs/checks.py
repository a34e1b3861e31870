"""The cross-checks of a declaration against the certificates it cites.

Every check records an Outcome (stored as a Finding): blocking, warning, or info when it passed. A
declaration with any blocking finding is flagged for an inspector. The checks read the certificate's
frozen snapshot (certificates/snapshot.py), never live results: a declaration is measured against
what the certificate states.

1. Citations. Each cited number must name a certificate of this laboratory, issued to the declaring
   exporter, of a sample of the declared lot, and still issued (not pending, failed, revoked or
   superseded). Anything else is blocking; so is a declaration left with no valid certificate. The
   remaining checks run once per valid certificate.
2. HS code: declared and certified codes agree at the six-digit subheading (2603.00 = 2603.00.000.0);
   national digits beyond it are the declarant's to choose. A code written with only the four-digit
   heading is compared on those four. A mismatch is blocking.
3. Dry mass: the declared net dry mass may not exceed the certified dry mass of the lot (equal
   passes). More is blocking: it would ship uncertified material under the certificate.
4. Undeclared elements: every element the certificate reports at or above its reporting limit must
   be declared. A missing rare-earth element, or a missing element the payable schedule pays for
   (Cu, Au, Ag by default), is blocking: that is how valuable content leaves undeclared. Other missing
   elements (penalty and by-product elements) are a warning. Moisture is stated on the certificate
   and in the mass, not declared as a component. Elements below their reporting limit or below
   detection need not be declared.
5. Declared contents (dry basis): each agrees with the certified value, compared in the certificate's
   unit (assays.units.convert), when it differs by at most the tolerance of its analyte in % of the
   certified value (settings.LIMS_CUSTOMS_CONTENT_TOLERANCE_PCT; exactly at the tolerance passes).
   Beyond it is blocking, in either direction. A declared element the certificate does not report,
   or reports below detection, cannot be compared: info.
6. Customs value: the payable value of the declared dry mass at the certified contents, on the lot
   contract's payable schedule (customs/valuation.py) with the prices in effect on the declaration
   date, converted to the declaration's currency at the rate in effect that day. A declared value
   more than settings.LIMS_CUSTOMS_VALUE_TOLERANCE_PCT below it is blocking. When the value cannot be
   computed (no price, no exchange rate) the check fails closed: blocking, so an inspector looks.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.utils import timezone

from assays import units
from assays.models import MOISTURE
from certificates import snapshot as snapshots
from certificates.models import Certificate
from certificates.snapshot import Snapshot
from customs import findings as T
from customs import selectors
from customs.models import TREO, CitedCertificate, Declaration, DeclaredComponent, Finding, MetalPrice, PayableTerm
from customs.valuation import Valuation, ValuationError, payable_value
from lims.lib.numbers import trimmed

# Qualifiers under which a certificate states a value (measured, or above the range: a lower bound).
_VALUED = ("", ">")

BLOCKING, WARNING, INFO = Finding.Severity.BLOCKING, Finding.Severity.WARNING, Finding.Severity.INFO
Rule = Finding.Rule


@dataclass(frozen=True)
class Outcome:
    """A check's verdict. What it says is `text` (a key of customs.findings.TEXTS) with `params`
    (strings and numbers, stored as JSON), put into words when read: `message`."""

    rule: str
    severity: str
    text: str
    params: dict
    certificate_number: str = ""
    analyte: str = ""
    figures: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The text in the active language."""
        return T.render(self.text, self.params) or ""


class UndeclaredElement(TypedDict):
    """An element a certificate reports above its reporting limit that the declaration leaves out."""

    analyte: str
    value: str | None
    unit: str
    reporting_limit: str
    rare_earth: bool
    order: int


def _pct(value: Decimal) -> str:
    return trimmed(units.round_to(value, 2))


def reported_value(row: snapshots.ResultRow) -> Decimal | None:
    """The value a certificate's result row states, or None when it states none (below detection,
    not reported)."""
    value = row.get("value")
    if row.get("qualifier", "") in _VALUED and value is not None:
        return Decimal(value)
    return None


def certified_contents(snapshot: Snapshot) -> dict[str, tuple[Decimal, str]]:
    """What the valuation may pay for: every stated content (dry basis) and TREO, when any rare earth
    was quantified."""
    contents = {
        row["analyte"]: (value, row["unit"])
        for row in snapshot.get("results", [])
        if row["analyte"] != MOISTURE and (value := reported_value(row)) is not None
    }
    treo = snapshot.get("treo") or {}
    if treo.get("oxides") and treo.get("value") is not None:
        contents[TREO] = (Decimal(treo["value"]), treo["unit"])
    return contents


def certificate_valuation(
    snapshot: Snapshot,
    *,
    dry_mass_t: Decimal,
    on: date,
    terms: list[PayableTerm],
    currency: str,
    prices: dict[str, MetalPrice] | None = None,
) -> Valuation:
    """The payable value of `dry_mass_t` of the certified composition, in `currency`, at `prices`
    (default: those in effect on `on`). Raises ValuationError when a price or the exchange rate in
    effect on `on` is missing."""
    if prices is None:
        prices = selectors.prices_in_effect(on)
    valuation = payable_value(contents=certified_contents(snapshot), dry_mass_t=dry_mass_t, prices=prices, terms=terms)
    if valuation.currency and valuation.currency != currency:
        rate = selectors.rate_in_effect(currency=currency, price_currency=valuation.currency, on=on)
        if rate is None:
            raise ValuationError("no_rate", currency=currency, base=valuation.currency)
        valuation = valuation.in_currency(
            currency=currency, rate=rate.rate, source=rate.source, effective_date=rate.effective_date
        )
    return valuation


# 1. Citations ---------------------------------------------------------------------------------


def check_citation(declaration: Declaration, citation: CitedCertificate) -> Outcome:
    number, certificate = citation.number, citation.certificate
    figures = {"number": number}

    def refuse(text: str, params: dict, **more) -> Outcome:
        return Outcome(
            Rule.CERTIFICATE, BLOCKING, text, {"number": number, **params}, number, figures={**figures, **more}
        )

    if certificate is None:
        return refuse(T.NOT_IN_REGISTER, {})
    lot = certificate.sample.lot
    # Checked before anything else: nothing about another exporter's certificate is told.
    if lot.exporter_id != declaration.exporter_id:
        return refuse(T.OTHER_EXPORTER, {"exporter": str(declaration.exporter)})
    figures.update(status=certificate.status, lot=lot.lot_number, sample=certificate.sample.code)
    if lot.pk != declaration.lot_id:
        return refuse(T.OTHER_LOT, {"lot": lot.lot_number, "declared": declaration.lot.lot_number})
    if certificate.status == Certificate.Status.REVOKED:
        return refuse(
            T.REVOKED,
            {
                "date": timezone.localdate(certificate.revoked_at).isoformat(),
                "reason": certificate.revocation_reason,
            },
            reason=certificate.revocation_reason,
        )
    if certificate.status == Certificate.Status.SUPERSEDED:
        successor = getattr(certificate, "superseded_by", None)
        successor_number = successor.number if successor else ""
        # No successor's number: "an amendment", said when read.
        return refuse(T.SUPERSEDED, {"successor": successor_number or ""}, superseded_by=successor_number)
    if certificate.status != Certificate.Status.ISSUED:
        return refuse(T.NOT_ISSUED, {"status": certificate.status})
    issued = timezone.localdate(certificate.issued_at)
    return Outcome(
        Rule.CERTIFICATE,
        INFO,
        T.IN_FORCE,
        {"number": number, "date": issued.isoformat(), "sample": certificate.sample.code, "lot": lot.lot_number},
        number,
        figures={**figures, "issued_on": issued.isoformat()},
    )


# 2. HS code -----------------------------------------------------------------------------------


def check_hs_code(declaration: Declaration, number: str, snapshot: Snapshot) -> Outcome:
    certified = snapshot["lot"]["hs_code"]
    declared_digits, certified_digits = re.sub(r"\D", "", declaration.hs_code), re.sub(r"\D", "", certified)
    digits = min(6, len(declared_digits), len(certified_digits))
    agree = declared_digits[:digits] == certified_digits[:digits]
    values = {"declared": declaration.hs_code, "certified": certified, "digits": digits}
    return Outcome(
        Rule.HS_CODE,
        INFO if agree else BLOCKING,
        T.HS_AGREES if agree else T.HS_DIFFERS,
        values,
        number,
        figures=values,
    )


# 3. Dry mass ----------------------------------------------------------------------------------


def check_dry_mass(declaration: Declaration, number: str, snapshot: Snapshot) -> Outcome:
    declared = declaration.dry_mass_t
    certified_text = snapshot["lot"].get("dry_mass_t")
    figures = {"declared": str(declared), "certified": certified_text}
    if certified_text is None:
        return Outcome(
            Rule.DRY_MASS,
            WARNING,
            T.NO_DRY_MASS,
            {"number": number, "declared": str(declared)},
            number,
            figures=figures,
        )
    certified = Decimal(certified_text)
    values = {"declared": str(declared), "certified": certified_text, "excess": str(declared - certified)}
    if declared > certified:
        return Outcome(
            Rule.DRY_MASS, BLOCKING, T.DRY_MASS_EXCEEDS, values, number, figures={**figures, "excess": values["excess"]}
        )
    return Outcome(Rule.DRY_MASS, INFO, T.DRY_MASS_WITHIN, values, number, figures=figures)


# 4 and 5. Composition -------------------------------------------------------------------------


def tolerance_pct(symbol: str) -> Decimal:
    table = settings.LIMS_CUSTOMS_CONTENT_TOLERANCE_PCT
    return Decimal(table.get(symbol, table["*"]))


def check_content(component: DeclaredComponent, row: snapshots.ResultRow, number: str, order: int) -> Outcome:
    symbol = component.analyte.symbol
    figures = {
        "declared": trimmed(component.content),
        "declared_unit": component.unit,
        "unit": row["unit"],
        "order": order,
    }
    certified = reported_value(row)
    if certified is None:
        figures["detection_limit"] = row.get("detection_limit")
        return Outcome(
            Rule.CONTENT,
            INFO,
            T.BELOW_DETECTION,
            {
                "symbol": symbol,
                "limit": row.get("detection_limit") or "—",
                "unit": row["unit"],
                "declared": trimmed(component.content),
                "declared_unit": component.unit,
            },
            number,
            symbol,
            figures,
        )
    declared = units.convert(component.content, component.unit, row["unit"])
    tolerance = tolerance_pct(symbol)
    if certified == 0:
        difference = Decimal(0) if declared == 0 else None
    else:
        difference = abs(declared - certified) / certified * 100
    agrees = difference is not None and difference <= tolerance
    figures.update(
        certified=row["value"],
        declared_in_certified_unit=trimmed(declared),
        difference_pct=_pct(difference) if difference is not None else None,
        tolerance_pct=trimmed(tolerance),
    )
    values = {
        "symbol": symbol,
        "declared": trimmed(declared),
        "certified": row["value"],
        "unit": row["unit"],
        "difference": figures["difference_pct"] or "∞",
        "tolerance": trimmed(tolerance),
    }
    return Outcome(
        Rule.CONTENT,
        INFO if agrees else BLOCKING,
        T.CONTENT_AGREES if agrees else T.CONTENT_DIFFERS,
        values,
        number,
        symbol,
        figures,
    )


def check_composition(
    components: list[DeclaredComponent], number: str, snapshot: Snapshot, paid_for: set[str]
) -> list[Outcome]:
    declared = {component.analyte.symbol: component for component in components}
    outcomes: list[Outcome] = []
    must: list[UndeclaredElement] = []
    should: list[UndeclaredElement] = []
    reported: set[str] = set()
    for order, row in enumerate(snapshot.get("results", [])):
        symbol = row["analyte"]
        if symbol == MOISTURE:
            continue
        reported.add(symbol)
        if symbol in declared:
            outcomes.append(check_content(declared[symbol], row, number, order))
            continue
        value = reported_value(row)
        if value is None or value < Decimal(row["reporting_limit"]):
            continue
        element: UndeclaredElement = {
            "analyte": symbol,
            "value": row["value"],
            "unit": row["unit"],
            "reporting_limit": row["reporting_limit"],
            "rare_earth": bool(row.get("rare_earth")),
            "order": order,
        }
        (must if element["rare_earth"] or symbol in paid_for else should).append(element)

    def listing(elements: list[UndeclaredElement]) -> str:
        return ", ".join(f"{e['analyte']} {e['value']} {e['unit']}" for e in elements)

    if must:
        rare = ", ".join(e["analyte"] for e in must if e["rare_earth"])
        params = {"number": number, "list": listing(must), "rare": rare}
        outcomes.append(Outcome(Rule.UNDECLARED, BLOCKING, T.UNDECLARED, params, number, figures={"elements": must}))
    if should:
        params = {"number": number, "list": listing(should)}
        outcomes.append(
            Outcome(Rule.UNDECLARED, WARNING, T.UNDECLARED_OTHER, params, number, figures={"elements": should})
        )
    if not must and not should:
        outcomes.append(
            Outcome(Rule.UNDECLARED, INFO, T.ALL_DECLARED, {"number": number}, number, figures={"elements": []})
        )
    for symbol, component in declared.items():
        if symbol not in reported:
            outcomes.append(
                Outcome(
                    Rule.CONTENT,
                    INFO,
                    T.NOT_REPORTED,
                    {"symbol": symbol, "number": number},
                    number,
                    symbol,
                    {"declared": trimmed(component.content), "declared_unit": component.unit, "order": 10_000},
                )
            )
    return outcomes


# 6. Customs value -----------------------------------------------------------------------------


def check_value(declaration: Declaration, number: str, snapshot: Snapshot, terms: list[PayableTerm]) -> Outcome:
    declared, on = declaration.value, declaration.declared_on
    prices = selectors.prices_in_effect(on)
    paid_for = {term.commodity for term in terms if term.kind == PayableTerm.Kind.PAYABLE}
    figures: dict[str, object] = {
        "declared": str(declared),
        "currency": declaration.currency,
        "declared_on": on.isoformat(),
        "schedule": terms[0].contract_reference if terms else "",
        "prices": [
            {
                "commodity": price.commodity,
                "price": str(price.price),
                "unit": price.unit,
                "currency": price.currency,
                "effective_date": price.effective_date.isoformat(),
                "source": price.source,
            }
            for commodity, price in sorted(prices.items())
            if commodity in paid_for
        ],
    }
    try:
        valuation = certificate_valuation(
            snapshot,
            dry_mass_t=declaration.dry_mass_t,
            on=on,
            terms=terms,
            currency=declaration.currency,
            prices=prices,
        )
    except ValuationError as exc:
        return Outcome(
            Rule.VALUE,
            BLOCKING,
            T.VALUE_UNCHECKED,
            {"date": declaration.declared_on.isoformat(), "reason": exc.reason, "reason_params": exc.params},
            number,
            figures=figures,
        )
    payable, tolerance = valuation.final_total, settings.LIMS_CUSTOMS_VALUE_TOLERANCE_PCT
    figures.update(
        valuation=valuation.as_json(),
        payable=str(payable),
        payable_currency=valuation.final_currency or declaration.currency,
        tolerance_pct=trimmed(tolerance),
    )
    if payable <= 0:
        return Outcome(Rule.VALUE, INFO, T.NOTHING_PAYABLE, {"number": number}, number, figures=figures)
    floor = payable * (100 - tolerance) / 100
    shortfall = (payable - declared) / payable * 100
    figures.update(floor=str(floor), shortfall_pct=_pct(shortfall))
    values = {
        "declared": str(declared),
        "currency": declaration.currency,
        "payable": str(payable),
        "shortfall": _pct(abs(shortfall)),
        "tolerance": trimmed(tolerance),
    }
    if declared < floor:
        return Outcome(Rule.VALUE, BLOCKING, T.VALUE_TOO_LOW, values, number, figures=figures)
    return Outcome(
        Rule.VALUE, INFO, T.VALUE_BELOW if declared < payable else T.VALUE_NOT_BELOW, values, number, figures=figures
    )


# All of them ----------------------------------------------------------------------------------


def run(declaration: Declaration) -> list[Outcome]:
    """Every check of the declaration, in order: citations, then per valid certificate HS code, dry
    mass, composition and value."""
    outcomes: list[Outcome] = []
    valid: list[Certificate] = []
    citations = declaration.citations.select_related("certificate__sample__lot", "certificate__superseded_by").order_by(
        "position"
    )
    for citation in citations:
        outcome = check_citation(declaration, citation)
        outcomes.append(outcome)
        if outcome.severity != BLOCKING:
            if citation.certificate is None:  # check_citation blocks a citation of no certificate
                raise AssertionError(f"citation {citation.number} passed without a certificate")
            valid.append(citation.certificate)
    if not valid:
        outcomes.append(Outcome(Rule.NO_CERTIFICATE, BLOCKING, T.NO_CERTIFICATE, {"lot": declaration.lot.lot_number}))
    components = list(declaration.components.select_related("analyte").order_by("position"))
    terms = selectors.schedule_for(declaration.lot.contract_reference)
    paid_for = {term.commodity for term in terms if term.kind == PayableTerm.Kind.PAYABLE}
    for certificate in valid:
        number, snapshot = certificate.number, snapshots.read(certificate.snapshot)
        if number is None:  # check_citation passes only issued certificates, and issuing numbers them
            raise AssertionError(f"certificate {certificate.pk} is in force without a number")
        outcomes.append(check_hs_code(declaration, number, snapshot))
        outcomes.append(check_dry_mass(declaration, number, snapshot))
        outcomes.extend(check_composition(components, number, snapshot, paid_for))
        outcomes.append(check_value(declaration, number, snapshot, terms))
    return outcomes
