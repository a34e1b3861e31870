"""The frozen snapshot: everything a certificate states, gathered once when it is requested.

The PDF, the attached JSON and the QR token are all made from it, never from live rows, so a
certificate states exactly what was true when the lab manager asked for it. Numbers are strings with
the digits the panel reports (rounded half to even, assays.units.round_to), never floats. The schema is
versioned by "schema"; the certificate number and issue date are not part of it (they are given at
issue and carried by the PDF and the signed QR token).

Layout (schema "lims.coa/3"; "lims.coa/2", still read, lacks what is marked **; "lims.coa/1" lacks
what is marked * too):

    languages** [primary, secondary]: the pair the certificate is issued in (certificates.languages)
    laboratory  name, address, country, code, accreditation* {body, number} or null
    customer    name, address, registration_number, country
    lot         number, material, material_names** {language: name}, material_code, hs_code, origin,
                wet_mass_t, wet_mass_source*, dry_mass_t, contract, export_licence, destination_country
    sample      code, composite, purpose, mass_g, seal_number, condition, collected_at,
                collection_location, sampled_by, received_at, received_by,
                splits* [{code, purpose, seal_number, tested}]: every split of the composite
    customer_supplied*  [paths of the values the customer supplied: lot.origin, lot.wet_mass_t...]
    sampling    standard, plan
    dates       sampled, received, testing_started, testing_completed, requested
    moisture    value, unit, method
    results     [{analyte, name, names** {language: name}, rare_earth, method, method_names**
                 {language: name}, method_code, standard, procedure_code*, procedure_revision*, unit,
                 basis, qualifier, value, detection_limit, uncertainty, reporting_limit, approved_by,
                 approved_at}], panel order
    headline    {Cu: [value, unit], Au: [...], Ag: [...], TREO: [value, unit]}
    treo        value, unit, oxides, censored, not_determined
    qc          runs [{run, instrument, method, status, checks, failed, override}], manual [methods]
    custody     events, head, verified, steps [{sequence, action, at, from, to, location, seal, intact}]
    deviations  [text]: in English
    deviation_texts** [{language: text}]: the same, in each of the certificate's languages
    approvers   [{name, role}]
    authorised_by {name, role}
    statement   text
    amendment   {supersedes, reason} or null

Languages (lims.coa/3): `name`, `method` and `material` stay the English names (what the API, the
customs checks and the token's readers compare); `names`, `method_names` and `material_names` hold
the reference data's names in each of the certificate's languages as they were at the request
(lims.lib.translated.name_in: the English one where a translation is blank), so neither the PDF nor
the verification page changes with a later edit of the reference data. The deviations are frozen the
same way: `deviations` in English (what the attached data and an amendment compare), `deviation_texts`
each sentence in each of the certificate's languages, worded at the request (a /3 snapshot frozen
before them prints its English deviations in both places). The other texts the snapshot freezes
(statement, sampling plan, condition, roles) stay in English: they are the product's own sentences,
which the document translates from the catalogues when it prints them.

What goes onto the certificate is checked as it is frozen (build): every text must be printable
(lims.lib.text), and every method identified by a standard or the laboratory's procedure code (ISO/IEC
17025 7.8.2.1 f); a refusal names the value, so no certificate is requested that would print a box,
hide a reversed string, or say "in-house procedure".

Customer-supplied data (ISO/IEC 17025 7.8.2.2): the lot's identity and mass are the exporter's
declaration, not the laboratory's findings; `customer_supplied` lists them so the document marks
them and the attached data says so too. The dry mass is the laboratory's computation from the
customer's wet mass and its own moisture result, and is therefore not in the list.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import NotRequired, TypedDict, cast

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from assays import precision, units
from assays.models import PanelEntry, Qualifier, Result
from certificates import languages as certificate_languages
from lims.exceptions import ApplicationError
from lims.lib import text
from lims.lib.translated import name_in
from lims.models import Organisation, User
from lims.roles import Role
from samples import chain
from samples.models import CustodyEvent, Nonconformance, Sample

SCHEMA = "lims.coa/3"
# Schemas read(): lims.coa/1 and /2 are lims.coa/3 without some NotRequired keys, which consumers read
# with .get() (a snapshot without languages was issued in English alone).
READABLE = ("lims.coa/1", "lims.coa/2", SCHEMA)


# The contract: every consumer (the PDF, the verification page and API, customs cross-checks) reads a
# stored snapshot through `read()`, typed by these. Values are text (decimals as strings) or None.


class Party(TypedDict):
    name: str
    address: str
    country: str


class Accreditation(TypedDict):
    body: str
    number: str


class Laboratory(Party):
    code: str
    accreditation: NotRequired[Accreditation | None]


class Customer(Party):
    registration_number: str


class LotPart(TypedDict):
    number: str
    material: str
    material_names: NotRequired[dict[str, str]]
    material_code: str
    hs_code: str
    origin: str
    wet_mass_t: str
    wet_mass_source: NotRequired[str]
    dry_mass_t: str | None
    contract: str
    export_licence: str
    destination_country: str


class Split(TypedDict):
    code: str
    purpose: str
    seal_number: str
    tested: bool


class SamplePart(TypedDict):
    code: str
    composite: str | None
    purpose: str
    mass_g: str
    seal_number: str
    condition: str
    collected_at: str | None
    collection_location: str
    sampled_by: str
    received_at: str | None
    received_by: str
    splits: NotRequired[list[Split]]


class Sampling(TypedDict):
    standard: str
    plan: str


class Dates(TypedDict):
    sampled: str | None
    received: str | None
    testing_started: str | None
    testing_completed: str | None
    requested: str | None


class Moisture(TypedDict):
    value: str | None
    unit: str
    method: str


class ResultRow(TypedDict):
    analyte: str
    name: str
    names: NotRequired[dict[str, str]]
    rare_earth: bool
    method: str
    method_names: NotRequired[dict[str, str]]
    method_code: str
    standard: str
    procedure_code: NotRequired[str]
    procedure_revision: NotRequired[str]
    unit: str
    basis: str
    qualifier: str
    value: str | None
    detection_limit: str | None
    uncertainty: str | None
    reporting_limit: str
    approved_by: str
    approved_at: str | None


class Treo(TypedDict):
    value: str
    unit: str
    oxides: dict[str, str]
    censored: list[str]
    not_determined: list[str]


class RunQC(TypedDict):
    run: int
    instrument: str
    method: str
    status: str
    checks: int
    failed: int
    override: str | None


class QC(TypedDict):
    runs: list[RunQC]
    manual: list[str]


class Custody(TypedDict):
    events: int
    head: str
    verified: bool
    steps: list[dict]  # {sequence, action, at, from, to, location, seal, intact}: "from" is a Python keyword


class Person(TypedDict):
    name: str
    role: str


class Amendment(TypedDict, total=False):
    supersedes: str
    reason: str
    changes: list[dict]


class Snapshot(TypedDict):
    schema: str
    languages: NotRequired[list[str]]
    laboratory: Laboratory
    customer: Customer
    lot: LotPart
    sample: SamplePart
    customer_supplied: NotRequired[list[str]]
    sampling: Sampling
    dates: Dates
    moisture: Moisture
    results: list[ResultRow]
    headline: dict[str, list[str]]
    treo: Treo
    qc: QC
    custody: Custody
    deviations: list[str]
    deviation_texts: NotRequired[list[dict[str, str]]]
    approvers: list[Person]
    authorised_by: Person
    statement: str
    amendment: Amendment | None


class SchemaError(ValueError):
    """A stored snapshot of a schema this code does not read."""


def read(data: dict) -> Snapshot:
    """A stored snapshot as the typed contract; SchemaError when its schema is not one this code reads
    (a newer schema must be read by code that knows it, never guessed at)."""
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema not in READABLE:
        raise SchemaError(f"snapshot schema {schema!r} is not one of {', '.join(READABLE)}")
    return cast(Snapshot, data)


HEADLINE = ("Cu", "Au", "Ag")
# The snapshot's own sentences are frozen in English and printed from the catalogues (gettext_noop:
# makemessages finds them here; certificates.document translates them into the certificate's languages).
STATEMENT = gettext_noop(
    "The results relate only to the item tested, as received by the laboratory under the seal stated. "
    "Contents are reported on a dry basis (dried at 105 °C) unless stated otherwise; moisture is as received."
)
SAMPLING_PLAN = gettext_noop("Composite of increments taken at %(location)s, split under seal.")
CONDITION_INTACT = gettext_noop("seal intact")
CONDITION_ACCEPTED = gettext_noop("seal problem accepted (see deviations)")
SAMPLING_STANDARD = "ISO 12743:2021"
# ISO/IEC 17025 7.8.2.2: what the exporter declares when registering the lot.
CUSTOMER_SUPPLIED = (
    "lot.origin", "lot.hs_code", "lot.wet_mass_t", "lot.wet_mass_source", "lot.contract", "lot.export_licence",
    "lot.destination_country",
)  # fmt: skip
# Names of people, as the snapshot holds them.
PEOPLE = {"results.approved_by", "approvers.name", "authorised_by.name", "sample.sampled_by", "sample.received_by"}
# Text that may span lines on the certificate (lims.lib.text); every other text is one line.
MULTILINE = {
    "amendment.reason", "deviations", "qc.runs.override", "deviation_texts.en", "deviation_texts.ru", "deviation_texts.kk",
}  # fmt: skip
ROLE_NAMES = {
    Role.REVIEWER: gettext_noop("Reviewer"),
    Role.MANAGER: gettext_noop("Laboratory manager"),
    Role.TECHNICIAN: gettext_noop("Technician"),
}
ADMINISTRATOR = gettext_noop("Administrator")


def headline_items(snapshot: Snapshot | dict) -> list[tuple[str, str, str]]:
    """(analyte, value, unit) of the headline assays in their order: Cu, Au, Ag, TREO. The order is
    stated here, not taken from the stored dict: PostgreSQL's jsonb does not keep key order."""
    headline = snapshot.get("headline") or {}
    order = [*HEADLINE, "TREO"]
    symbols = [s for s in order if s in headline] + sorted(s for s in headline if s not in order)
    return [(symbol, headline[symbol][0], headline[symbol][1]) for symbol in symbols]


def _text(value: Decimal | None, decimals: int) -> str | None:
    return None if value is None else str(units.round_to(value, decimals))


def _time(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def _role(user: User) -> str:
    for role in (Role.MANAGER, Role.REVIEWER, Role.TECHNICIAN):
        if user.has_role(role):
            return ROLE_NAMES[role]
    return ADMINISTRATOR if user.is_superuser else ""


def _approver(result: Result) -> User:
    """Who approved a result: an approved result always records it."""
    if result.decided_by is None:
        raise ValueError(f"approved result {result.pk} records no approver")
    return result.decided_by


def _approved_at(result: Result) -> datetime:
    """When a result was approved: an approved result always records it."""
    if result.decided_at is None:
        raise ValueError(f"approved result {result.pk} records no approval time")
    return result.decided_at


def _person(user: User) -> Person:
    return {"name": user.get_full_name() or user.username, "role": _role(user)}


def laboratory() -> Laboratory:
    lab = Organisation.objects.filter(kind=Organisation.Kind.LABORATORY).order_by("pk").first()
    body, number = settings.LIMS_ACCREDITATION_BODY, settings.LIMS_ACCREDITATION_NUMBER
    return {
        "name": lab.name if lab else settings.LIMS_LAB_CODE,
        "address": lab.address if lab else "",
        "country": str(lab.country) if lab else "",
        "code": settings.LIMS_LAB_CODE,
        # Both or neither (lims.checks).
        "accreditation": {"body": body, "number": number} if body and number else None,
    }


def names_in(obj, languages: tuple[str, ...]) -> dict[str, str]:
    """The reference-data row's name in each of `languages` (English where it has none of its own)."""
    return {language: name_in(obj, language) for language in languages}


def _results(sample: Sample, languages: tuple[str, ...]) -> tuple[list[ResultRow], list[Result]]:
    entries = {e.analyte_id: e for e in PanelEntry.objects.filter(panel__material_id=sample.lot.material_id)}
    results = list(
        Result.objects.filter(sample=sample, status=Result.Status.APPROVED)
        .select_related("analyte", "method", "decided_by", "run__instrument")
        .order_by("pk")
    )
    results.sort(key=lambda r: (entries[r.analyte_id].position, r.analyte.symbol))
    rows: list[ResultRow] = []
    for r in results:
        _require_identified(r.method)
        entry = entries[r.analyte_id]
        # As every page shows them (assays.precision): the uncertainty's two significant digits set the value's
        # decimal place, the panel entry's decimals where no uncertainty is stated.
        value, uncertainty = precision.figures(r.value, r.uncertainty, entry.decimals)
        rows.append(
            {
                "analyte": r.analyte.symbol,
                "name": r.analyte.name,
                "names": names_in(r.analyte, languages),
                "rare_earth": r.analyte.is_rare_earth,
                "method": r.method.name,
                "method_names": names_in(r.method, languages),
                "method_code": r.method.code,
                "standard": r.method.standard,
                "procedure_code": r.method.procedure_code,
                "procedure_revision": r.method.procedure_revision,
                "unit": r.unit,
                "basis": r.basis,
                "qualifier": r.qualifier,
                "value": value if r.qualifier in (Qualifier.NONE, Qualifier.ABOVE) else None,
                "detection_limit": (
                    precision.limit_text(r.detection_limit, entry.decimals) if r.detection_limit is not None else None
                ),
                "uncertainty": uncertainty,
                "reporting_limit": str(entry.reporting_limit.normalize()),
                "approved_by": _approver(r).get_full_name() or _approver(r).username,
                "approved_at": _time(r.decided_at),
            }
        )
    return rows, results


def _require_identified(method) -> None:
    """ISO/IEC 17025 7.8.2.1 f): a certificate identifies every method, by its standard or by the
    laboratory's own procedure (code and revision); "in-house" identifies nothing."""
    if not method.standard and not (method.procedure_code and method.procedure_revision):
        raise ApplicationError(
            _("The method %(method)s has neither a standard nor a procedure code and revision: give it its "
              "procedure code and revision in the reference data before a certificate states its results.")
            % {"method": method.name}
        )  # fmt: skip


def _splits(sample: Sample) -> list[Split]:
    """Every split of the composite the tested sample was split from, with its seal (ISO 12743: the
    laboratory's, the exporter's, the buyer's, the umpire's...): the certificate lists them all, so any
    party's sealed split can be matched to it. In the order they were split; a sample that is no split
    lists itself."""
    siblings = sample.parent.splits.order_by("pk") if sample.parent else [sample]
    return [
        {"code": s.code, "purpose": s.purpose, "seal_number": s.seal_number, "tested": s.pk == sample.pk}
        for s in siblings
    ]


def _require_printable(value, path: str = "") -> None:
    """Every text of the snapshot can be printed on the certificate (lims.lib.text), or an
    ApplicationError naming the value: a certificate is fixed once signed, so it is refused now."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _require_printable(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            _require_printable(item, path)
    elif isinstance(value, str):
        problem = text.problem(value, multiline=path in MULTILINE)
        if problem:
            raise ApplicationError(
                _("%(field)s cannot go on a certificate: %(problem)s Correct %(where)s first.")
                % {"field": path, "problem": problem, "where": _where(path)}
            )


def _where(path: str) -> str:
    """Where a person corrects the value at `path` of a snapshot."""
    if path in PEOPLE:
        return _("the person's name in their account")
    return {
        "laboratory": _("the laboratory's organisation"),
        "customer": _("the exporter's organisation"),
        "lot": _("the lot"),
        "sample": _("the sample"),
        "custody": _("the sample's custody record"),
        "amendment": _("the reason"),
    }.get(path.split(".")[0], _("the laboratory's record"))


def _treo(rows: list[ResultRow]) -> Treo:
    """Total rare-earth oxides in ppm (dry), from the reported rare-earth results; a censored element
    counts as zero and is named."""
    contents = {}
    for row in rows:
        if not row["rare_earth"]:
            continue
        value = Decimal(row["value"]) if row["value"] is not None else None
        contents[row["analyte"]] = units.convert(value, row["unit"], "ppm") if value is not None else None
    total = units.total_reo(contents)
    return {
        "value": str(units.round_to(total.total_ppm, 1)),
        "unit": "ppm",
        "oxides": {k: str(units.round_to(v, 2)) for k, v in total.oxides_ppm.items()},
        "censored": sorted(total.censored),
        "not_determined": sorted(total.not_determined),
    }


def _qc(results: list[Result]) -> QC:
    runs = {r.run for r in results if r.run is not None}
    return {
        "runs": [
            {
                "run": run.pk,
                "instrument": f"{run.instrument.model} {run.instrument.serial}",
                "method": run.method.name,
                "status": run.qc_status,
                "checks": run.qc_checks.count(),
                "failed": run.qc_checks.filter(passed=False).count(),
                "override": run.override_reason or None,
            }
            for run in sorted(runs, key=lambda run: run.pk)
        ],
        "manual": sorted({r.method.name for r in results if not r.run_id}),
    }


def _custody(sample: Sample) -> tuple[Custody, CustodyEvent | None]:
    events = list(sample.events.select_related("actor").order_by("sequence"))
    report = chain.verify(sample, events)
    steps = [
        {
            "sequence": e.sequence,
            "action": e.action,
            "at": _time(e.occurred_at),
            "from": e.from_party,
            "to": e.to_party,
            "location": e.location,
            "seal": e.seal_number_seen,
            "intact": e.seal_intact,
        }
        for e in events
    ]
    receipt = next((e for e in events if e.action in (CustodyEvent.Action.RECEIVE, CustodyEvent.Action.HOLD)), None)
    return {"events": len(events), "head": sample.custody_head, "verified": report.intact, "steps": steps}, receipt


# The deviations a certificate states, worded in each of its languages at the request.
DEVIATIONS = {
    "seal": gettext_lazy("Seal: %(problem)s at reception; accepted by %(by)s (%(resolution)s)."),
    "qc_override": gettext_lazy("QC of run %(run)s failed and was overridden by %(by)s: %(reason)s"),
    "negative": gettext_lazy("%(symbol)s: the instrument reported a negative reading."),
}


def _deviations(sample: Sample, results: list[Result], languages: tuple[str, ...]) -> tuple[list[str], list[dict]]:
    """The deviations in English, and each in every one of `languages` ({language: text})."""
    found: list[tuple[str, dict]] = [
        ("seal", {"problem": nc.get_kind_display, "by": str(nc.resolved_by), "resolution": nc.resolution})
        for nc in sample.nonconformances.filter(status=Nonconformance.Status.ACCEPTED).select_related("resolved_by")
    ]
    for run in sorted({r.run for r in results if r.run is not None and r.run.override_reason}, key=lambda run: run.pk):
        found.append(("qc_override", {"run": run.pk, "by": str(run.override_by), "reason": run.override_reason}))
    for r in results:
        if r.negative:
            found.append(("negative", {"symbol": r.analyte.symbol}))

    def worded(language: str) -> list[str]:
        with translation.override(language):
            # A choice's label (the seal problem) is named in the language too.
            return [
                str(DEVIATIONS[key]) % {name: value() if callable(value) else value for name, value in params.items()}
                for key, params in found
            ]

    english = worded("en")
    each = {language: worded(language) for language in languages}
    return english, [{language: each[language][index] for language in languages} for index in range(len(found))]


def build(
    *, sample: Sample, authoriser: User, amendment: Amendment | None = None, languages: tuple[str, ...] | None = None
) -> Snapshot:
    """The snapshot of a sample whose panel is complete and approved, for a certificate in `languages`
    (a pair, primary first; the configured default when not given)."""
    pair = certificate_languages.parse(languages) if languages else certificate_languages.default()
    sample = Sample.objects.select_related("lot__exporter", "lot__material", "parent").get(pk=sample.pk)
    lot, exporter = sample.lot, sample.lot.exporter
    rows, results = _results(sample, pair)
    moisture = next((r for r in results if r.analyte.symbol == "H2O"), None)
    custody, receipt = _custody(sample)
    first_event = sample.events.order_by("sequence").select_related("actor").first()
    tested = [r.entered_at for r in results]
    dry_mass: Decimal | None = None
    if moisture is not None:
        if moisture.value_as_received is None:
            raise TypeError(f"the approved moisture of {sample.code} has no value as received: no dry mass")
        dry_mass = units.dry_mass(lot.wet_mass_t, moisture.value_as_received)
    headline = {row["analyte"]: [row["value"] or f"<{row['detection_limit']}", row["unit"]] for row in rows}
    treo = _treo(rows)
    approvers = {r.decided_by_id: _approver(r) for r in results}
    deviations, deviation_texts = _deviations(sample, results, pair)
    snapshot: Snapshot = {
        "schema": SCHEMA,
        "languages": list(pair),
        "laboratory": laboratory(),
        "customer": {
            "name": exporter.name,
            "address": exporter.address,
            "registration_number": exporter.registration_number,
            "country": str(exporter.country),
        },
        "lot": {
            "number": lot.lot_number,
            "material": lot.material.name,
            "material_names": names_in(lot.material, pair),
            "material_code": lot.material.code,
            "hs_code": lot.hs_code,
            "origin": lot.origin,
            "wet_mass_t": str(lot.wet_mass_t),
            "wet_mass_source": lot.wet_mass_source,
            "dry_mass_t": str(units.round_to(dry_mass, 3)) if dry_mass is not None else None,
            "contract": lot.contract_reference,
            "export_licence": lot.export_licence_number,
            "destination_country": str(lot.destination_country),
        },
        "sample": {
            "code": sample.code,
            "composite": sample.parent.code if sample.parent else None,
            "purpose": sample.purpose,
            "mass_g": str(sample.mass_g),
            "seal_number": sample.seal_number,
            "condition": CONDITION_INTACT
            if receipt and receipt.seal_intact and receipt.action == "receive"
            else CONDITION_ACCEPTED,
            "collected_at": _time(sample.collected_at),
            "collection_location": sample.collection_location,
            "sampled_by": first_event.actor.get_full_name() if first_event else "",
            "received_at": _time(receipt.occurred_at) if receipt else None,
            "received_by": receipt.actor.get_full_name() if receipt else "",
            "splits": _splits(sample),
        },
        "customer_supplied": list(CUSTOMER_SUPPLIED),
        "sampling": {
            "standard": SAMPLING_STANDARD,
            "plan": SAMPLING_PLAN % {"location": sample.collection_location},
        },
        "dates": {
            "sampled": _time(sample.collected_at),
            "received": _time(receipt.occurred_at) if receipt else None,
            "testing_started": _time(min(tested)) if tested else None,
            "testing_completed": _time(max(_approved_at(r) for r in results)) if results else None,
            "requested": _time(timezone.now()),
        },
        "moisture": {
            "value": _text(moisture.value_as_received, 2) if moisture else None,
            "unit": "%",
            "method": moisture.method.name if moisture else "",
        },
        "results": rows,
        "headline": {
            **{symbol: headline[symbol] for symbol in HEADLINE if symbol in headline},
            "TREO": [treo["value"], treo["unit"]],
        },
        "treo": treo,
        "qc": _qc(results),
        "custody": custody,
        "deviations": deviations,
        "deviation_texts": deviation_texts,
        "approvers": [_person(user) for user in sorted(approvers.values(), key=lambda u: u.pk)],
        "authorised_by": _person(authoriser),
        "statement": STATEMENT,
        "amendment": amendment,
    }
    _require_printable(snapshot)
    return snapshot


# Parts of a snapshot that differ between any two requests and say nothing about the item: the request
# time and authoriser, and how the certificate names things in its languages (its language pair and
# the reference data's names in it).
_NOT_CONTENT = {
    "schema", "languages", "amendment", "dates.requested", "authorised_by.name", "authorised_by.role", "deviation_texts",
}  # fmt: skip
_NAMES = re.compile(r"(^|\.)(names|method_names|material_names)(\.|$)")


def _flatten(value, path: str, out: dict) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "analyte" in v for v in value):
        for row in value:  # results, by analyte
            _flatten({k: v for k, v in row.items() if k != "analyte"}, f"{path}.{row['analyte']}", out)
    else:
        out[path] = value


def differences(old: dict, new: dict) -> list[dict]:
    """What an amendment changes: every stated value that differs, as {field, old, new}, in the
    order of the new snapshot. The amendment states these beside its reason (ISO/IEC 17025 7.8.8).
    Between schemas, only what both snapshots state is compared."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    _flatten(old, "", before)
    _flatten(new, "", after)
    if old.get("schema") != new.get("schema"):
        # What the older document did not state has not changed: only what both state is compared.
        after = {field: value for field, value in after.items() if field in before}
    fields = [f for f in after if f not in _NOT_CONTENT and not _NAMES.search(f)] + [
        f for f in before if f not in after and f not in _NOT_CONTENT and not _NAMES.search(f)
    ]
    return [
        {"field": f, "old": before.get(f), "new": after.get(f)}
        for f in fields
        if before.get(f) != after.get(f) and not f.startswith("amendment")
    ]
