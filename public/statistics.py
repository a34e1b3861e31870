"""Open export statistics: per month, exporter, material, destination country and customs office,
how many export declarations were filed, how many cited a valid certificate, how many were flagged
and for what, and the certified composition they carried out of the country.

Decisions (the page, the CSV/JSON and the signed publications all say the same):

- **Month.** A declaration counts in the month it was filed in this system (`filed_at`, in the
  laboratory's time zone, LIMS_TIME_ZONE): the system's own record of when it happened, which the
  declarant cannot backdate (the declaration date is typed).
- **Valid certificate: at filing.** A declaration cited a valid certificate when one of the numbers
  it cites names a certificate of the declared lot (so of its exporter) that was issued before the
  declaration was filed and was neither revoked nor superseded by then. A later revocation does not
  undo what was valid when the goods were declared (the statistics describe exports as they
  happened); the count of those whose every valid certificate was withdrawn since is shown beside it
  (`certificate_withdrawn_since`). Judged from the certificates' own times, not from stored
  findings, so an inspector's re-run of the checks does not move it.
- **Flagged, and for what.** A declaration is flagged when the last run of its checks
  (customs.checks) found anything blocking, whatever the inspector decided afterwards. It counts
  once under each kind of blocking finding it has (FLAG_KINDS): undeclared rare earths, undeclared
  payable metals (Cu, Au, Ag), declared content, customs value, dry mass, certificate (none valid,
  or a citation refused), HS code.
- **Certified composition, never the declared one.** A lot's contained masses are its certificate's
  frozen snapshot contents (dry basis) times the snapshot's certified dry mass: t of Cu, kg of Au, Ag,
  of each rare-earth element (as the element) and of TREO (as the oxides the certificate totals). A
  value below detection counts as 0 and a value above the range (">") at its bound. Nothing the
  exporter typed enters them. Each lot counts once: under the first declaration (in filing order,
  all months) that cites a certificate valid for it, with the latest such certificate it cites;
  later declarations of that lot (partial shipments, corrections) count as declarations but carry
  no composition, so a lot is never counted twice. A certificate without a dry mass carries none.
- **Rounding.** Each cell's masses are rounded to 3 decimals (half to even, assays.units.round_to);
  every total is the sum of the rounded cells it covers, so published figures add up exactly.
- **Small cells: suppression.** Nothing may identify one lot's composition. A cell is the finest
  breakdown (month, exporter, material, destination, office): it holds one exporter's lots. A cell
  carrying 1 or 2 lots shows its counts but not its composition ("suppressed", with the reason in a
  footnote). Rather than complementary suppression, every figure of composition above a cell (the
  month's, the period's, a chart's, any filter's) is a sum over the cells shown only, and says how
  many lots and cells it leaves out as suppressed. Since no published composition figure includes a
  suppressed cell, no subtraction of one published figure from another (or of a breakdown from a
  total, or of two filters) recovers it. The cells do not depend on the filters (they only choose
  which cells are summed), so neither does suppression.
- **Open month: composition withheld.** A month's composition is shown and published once the month
  is over. While it is open, every new declaration changes its cells, and two readings a day apart
  would give the newest lot's composition by difference; its counts are shown, its composition says
  "after the month closes". A closed month's figures do not move (filing times and certificates'
  issue times are fixed), except when a declaration's checks are run again or a record is removed:
  then the page shows that the live figures differ from the last publication, and the next
  publication (public.publication) records the new figures, signed and logged.

Who sees what: the figures are public, the same for every reader, signed in or not; they name
exporters, materials, countries and offices, never a declaration, lot, sample or certificate.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from assays import units
from certificates import snapshot as snapshots
from certificates import transparency
from certificates.models import Certificate
from customs.checks import reported_value
from customs.models import CitedCertificate, Declaration, Finding
from lims.lib.translated import pick

SCHEMA = "lims.statistics/1"
# Fewer lots than this in a cell: its composition is suppressed.
MIN_LOTS = 3
DECIMALS = 3

# The kinds of blocking finding counted, as column names, with their labels.
FLAG_KINDS: dict[str, object] = {
    "flagged_undeclared_rare_earths": _("undeclared rare earths"),
    "flagged_undeclared_payable_metals": _("undeclared payable metals"),
    "flagged_content": _("declared content"),
    "flagged_value": _("customs value"),
    "flagged_dry_mass": _("dry mass"),
    "flagged_certificate": _("certificate"),
    "flagged_hs_code": _("HS code"),
}
_RULE_KIND = {
    Finding.Rule.CONTENT: "flagged_content",
    Finding.Rule.VALUE: "flagged_value",
    Finding.Rule.DRY_MASS: "flagged_dry_mass",
    Finding.Rule.CERTIFICATE: "flagged_certificate",
    Finding.Rule.NO_CERTIFICATE: "flagged_certificate",
    Finding.Rule.HS_CODE: "flagged_hs_code",
}

# Contained masses: column -> (element symbol or TREO, the unit the content is read in, divisor to
# the column's unit). Content in % times dry t / 100 is t; in g/t times dry t / 1000 is kg.
RARE_EARTHS = tuple(units.REO_FACTORS)  # La ... Lu, Sc, Y
MASSES: dict[str, tuple[str, str, Decimal]] = {
    "cu_t": ("Cu", "%", Decimal(100)),
    "au_kg": ("Au", "g/t", Decimal(1000)),
    "ag_kg": ("Ag", "g/t", Decimal(1000)),
    "treo_kg": ("TREO", "g/t", Decimal(1000)),
    **{f"{symbol.lower()}_kg": (symbol, "g/t", Decimal(1000)) for symbol in RARE_EARTHS},
}
COMPOSITION = ("dry_mass_t", *MASSES)
UNITS = {"dry_mass_t": "t", **{name: name.rsplit("_", 1)[1] for name in MASSES}}
COUNTS = ("declarations", "with_valid_certificate", "certificate_withdrawn_since", "flagged", *FLAG_KINDS)

# Why a cell's composition is not shown.
SHOWN, SUPPRESSED, PENDING = "shown", "suppressed", "pending"

# The stable columns of the open data (CSV header, JSON keys of a cell), documented in README.
COLUMNS = ("month", "exporter", "material", "destination", "customs_office", *COUNTS, "lots", "composition",
           *COMPOSITION)  # fmt: skip
_ZERO = Decimal(0).quantize(Decimal(1).scaleb(-DECIMALS))


@dataclass
class Cell:
    """One month's declarations of one exporter, material, destination and customs office."""

    month: str
    exporter_id: int
    exporter: str
    material: str  # code
    material_name: str  # in the reader's language
    destination: str  # ISO 3166 code
    office_id: int
    office: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    lots: int = 0
    composition: str = SHOWN
    # Masses, rounded; filled in for every cell (the withheld ones are never published).
    masses: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COMPOSITION, _ZERO))

    @property
    def key(self) -> tuple:
        return (self.month, self.exporter_id, self.material, self.destination, self.office_id)

    @property
    def destination_name(self) -> str:
        return str(countries.name(self.destination)) or self.destination

    @property
    def shown(self) -> bool:
        return self.composition == SHOWN

    def published_masses(self) -> dict[str, Decimal] | None:
        return self.masses if self.shown else None

    def as_data(self) -> dict:
        """The cell as the open data states it: counts as integers, masses as decimal strings in the
        unit their name ends with, null when not shown (`composition` says why)."""
        masses = self.published_masses()
        return {
            "month": self.month,
            "exporter": self.exporter,
            "material": self.material,
            "destination": self.destination,
            "customs_office": self.office,
            **self.counts,
            "lots": self.lots,
            "composition": self.composition,
            **{name: (str(masses[name]) if masses is not None else None) for name in COMPOSITION},
        }


@dataclass
class Summary:
    """A sum of cells: every count over all of them, composition over the cells shown only."""

    counts: dict[str, int]
    lots: int
    masses: dict[str, Decimal]
    cells: int
    suppressed_cells: int
    suppressed_lots: int
    pending_cells: int
    pending_lots: int

    def as_data(self) -> dict:
        return {
            **self.counts,
            "lots": self.lots,
            **{name: str(value) for name, value in self.masses.items()},
            "cells": self.cells,
            "suppressed_cells": self.suppressed_cells,
            "suppressed_lots": self.suppressed_lots,
            "pending_cells": self.pending_cells,
            "pending_lots": self.pending_lots,
        }


def summarise(cells: Iterable[Cell]) -> Summary:
    counts = dict.fromkeys(COUNTS, 0)
    masses = dict.fromkeys(COMPOSITION, _ZERO)
    total = Summary(counts, 0, masses, 0, 0, 0, 0, 0)
    for cell in cells:
        total.cells += 1
        total.lots += cell.lots
        for name in COUNTS:
            counts[name] += cell.counts[name]
        if cell.composition == SUPPRESSED:
            total.suppressed_cells += 1
            total.suppressed_lots += cell.lots
        elif cell.composition == PENDING:
            total.pending_cells += 1
            total.pending_lots += cell.lots
        else:
            for name in COMPOSITION:
                masses[name] += cell.masses[name]
    return total


@dataclass
class Coverage:
    """What the figures rest on: every declaration on record in this system, the months they were
    filed in, and when the figures were read."""

    declarations: int
    first_month: str | None
    last_month: str | None
    as_of: datetime
    open_month: str

    def as_data(self) -> dict:
        return {
            "declarations_on_record": self.declarations,
            "first_month": self.first_month,
            "last_month": self.last_month,
            "figures_as_of": timezone.localtime(self.as_of).isoformat(timespec="seconds"),
            "open_month": self.open_month,
        }


@dataclass
class Figures:
    """Every cell of every month on record (the filters choose among them), and the coverage."""

    cells: list[Cell]
    coverage: Coverage

    def months(self) -> list[str]:
        return sorted({cell.month for cell in self.cells})

    def of_month(self, month: str) -> list[Cell]:
        return [cell for cell in self.cells if cell.month == month]


def month_of(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


def _rounded(value: Decimal) -> Decimal:
    return units.round_to(value, DECIMALS)


def contained(snapshot: snapshots.Snapshot) -> dict[str, Decimal] | None:
    """The contained masses one certificate certifies (unrounded), or None when it states no dry mass."""
    dry_text = (snapshot.get("lot") or {}).get("dry_mass_t")
    if dry_text is None:
        return None
    dry = Decimal(dry_text)
    contents: dict[str, tuple[Decimal, str]] = {}
    for row in snapshot.get("results", []):
        if row.get("basis") != "dry":
            continue
        value = reported_value(row)
        if value is not None:
            contents[row["analyte"]] = (value, row["unit"])
    treo = snapshot.get("treo") or {}
    if treo.get("oxides") and treo.get("value") is not None:
        contents["TREO"] = (Decimal(treo["value"]), treo["unit"])
    masses = {"dry_mass_t": dry}
    for name, (symbol, unit, divisor) in MASSES.items():
        if symbol in contents:
            value, given_unit = contents[symbol]
            masses[name] = units.convert(value, given_unit, unit) * dry / divisor
        else:
            masses[name] = Decimal(0)
    return masses


CONTAINED_CACHE_KEY = f"public:contained:{SCHEMA}"


def _contributions(certificate_ids: set[int]) -> dict[int, dict[str, Decimal] | None]:
    """contained() of each certificate. An issued certificate's snapshot never changes, so its masses
    are read from the snapshot once and kept in the cache, all of them under one key (snapshots are
    large, a page needs thousands, and a per-process cache keeps only a few hundred keys)."""
    stored: dict[int, dict[str, str] | None] = cache.get(CONTAINED_CACHE_KEY) or {}
    missing = certificate_ids - stored.keys()
    if missing:
        stored = dict(stored)
        for pk, snapshot in Certificate.objects.filter(pk__in=missing).values_list("pk", "snapshot"):
            try:
                masses = contained(snapshots.read(snapshot))
            except snapshots.SchemaError:  # a schema this code does not read: no figure is guessed from it
                masses = None
            stored[pk] = None if masses is None else {name: str(value) for name, value in masses.items()}
        cache.set(CONTAINED_CACHE_KEY, stored, timeout=24 * 3600)
    return {
        pk: None if (masses := stored.get(pk)) is None else {name: Decimal(value) for name, value in masses.items()}
        for pk in certificate_ids
    }


def _flags() -> dict[int, set[str]]:
    """{declaration id: the FLAG_KINDS of its blocking findings}."""
    blocking = Finding.objects.filter(severity=Finding.Severity.BLOCKING)
    kinds: dict[int, set[str]] = defaultdict(set)
    for declaration_id, rule in blocking.exclude(rule=Finding.Rule.UNDECLARED).values_list("declaration_id", "rule"):
        kinds[declaration_id].add(_RULE_KIND.get(rule, "flagged_certificate"))
    undeclared = blocking.filter(rule=Finding.Rule.UNDECLARED).values_list("declaration_id", "figures")
    for declaration_id, figures in undeclared:
        elements = (figures or {}).get("elements") or []
        if any(element.get("rare_earth") for element in elements):
            kinds[declaration_id].add("flagged_undeclared_rare_earths")
        if any(not element.get("rare_earth") for element in elements) or not elements:
            kinds[declaration_id].add("flagged_undeclared_payable_metals")
    return kinds


def compute(now: datetime | None = None) -> Figures:
    """Every cell on record. Five queries, whatever the number of declarations (plus one for the
    snapshots of certificates not yet in the cache)."""
    now = now or timezone.now()
    language = translation.get_language()
    declarations = list(
        Declaration.objects.order_by("filed_at", "pk").values_list(
            "pk", "filed_at", "exporter_id", "exporter__name", "lot_id", "lot__material__code",
            "lot__material__name", "lot__material__name_ru", "lot__material__name_kk", "lot__destination_country",
            "customs_office_id", "customs_office__name",
        )
    )  # fmt: skip
    citations: dict[int, list[tuple]] = defaultdict(list)
    issued = Certificate.WAS_ISSUED
    rows = CitedCertificate.objects.filter(certificate__status__in=issued).values_list(
        "declaration_id", "certificate_id", "certificate__sample__lot_id", "certificate__status",
        "certificate__issued_at", "certificate__revoked_at", "certificate__superseded_at",
    )  # fmt: skip
    for declaration_id, *certificate in rows:
        citations[declaration_id].append(tuple(certificate))
    flags = _flags()

    cells: dict[tuple, Cell] = {}
    carried: dict[int, int] = {}  # lot id -> the certificate whose composition it carries
    carriers: dict[tuple, list[int]] = defaultdict(list)  # cell key -> certificate ids carried
    for pk, filed_at, exporter_id, exporter, lot_id, code, name, ru, kk, destination, office_id, office in declarations:
        cell_key = (month_of(filed_at), exporter_id, code, destination, office_id)
        cell = cells.get(cell_key)
        if cell is None:
            cell = cells[cell_key] = Cell(
                month=cell_key[0], exporter_id=exporter_id, exporter=exporter, material=code,
                material_name=pick(language, name, ru=ru, kk=kk), destination=destination, office_id=office_id,
                office=office,
            )  # fmt: skip
        counts = cell.counts
        counts["declarations"] += 1
        valid = [
            (issued_at, certificate_id, status)
            for certificate_id, certificate_lot, status, issued_at, revoked_at, superseded_at in citations.get(pk, [])
            if certificate_lot == lot_id
            and issued_at is not None
            and issued_at <= filed_at
            and (revoked_at is None or revoked_at > filed_at)
            and (superseded_at is None or superseded_at > filed_at)
        ]
        if valid:
            counts["with_valid_certificate"] += 1
            if all(status != Certificate.Status.ISSUED for _at, _pk, status in valid):
                counts["certificate_withdrawn_since"] += 1
            if lot_id not in carried:
                carried[lot_id] = max(valid)[1]
                carriers[cell_key].append(carried[lot_id])
        kinds = flags.get(pk)
        if kinds is not None:
            counts["flagged"] += 1
            for kind in kinds:
                counts[kind] += 1

    contributions = _contributions(set(carried.values()))
    open_month = month_of(now)
    for cell_key, certificate_ids in carriers.items():
        cell = cells[cell_key]
        for certificate_id in certificate_ids:
            masses = contributions.get(certificate_id)
            if masses is None:
                continue
            cell.lots += 1
            for name in COMPOSITION:
                cell.masses[name] += masses[name]
    for cell in cells.values():
        cell.masses = {name: _rounded(value) for name, value in cell.masses.items()}
        if cell.month >= open_month:
            cell.composition = PENDING
        elif 0 < cell.lots < MIN_LOTS:
            cell.composition = SUPPRESSED
    ordered = sorted(
        cells.values(), key=lambda c: (c.month, c.exporter, c.material, c.destination, c.office, c.office_id)
    )
    months = [cell.month for cell in ordered]
    coverage = Coverage(
        declarations=len(declarations),
        first_month=min(months) if months else None,
        last_month=max(months) if months else None,
        as_of=now,
        open_month=open_month,
    )
    return Figures(ordered, coverage)


# The document a publication signs -----------------------------------------------------------------


def document(month: str, cells: list[Cell]) -> bytes:
    """The canonical JSON of one closed month's figures: what a publication stores, signs and logs.
    Sorted keys, no spaces, ASCII (the transparency log's canonical form), no time of its own, so
    the same figures always give the same bytes and a changed figure a different SHA-256."""
    content = {
        "v": 1,
        "schema": SCHEMA,
        "laboratory": settings.LIMS_LAB_CODE,
        "period": month,
        "units": UNITS,
        "min_lots": MIN_LOTS,
        "cells": [cell.as_data() for cell in cells],
        "total": summarise(cells).as_data(),
    }
    return transparency.canonical(content)  # the log's own byte form: its leaf holds this document's hash


def document_sha256(month: str, cells: list[Cell]) -> str:
    return hashlib.sha256(document(month, cells)).hexdigest()
