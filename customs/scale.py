"""A dataset at a country's scale, for measuring lists and queries (bench/bench_lists.py) and for
the list query tests (tests/lims/test_list_queries.py), written straight into the tables.

At scale 1: 10,000 lots of copper concentrate, each with a composite and three sealed splits (40,000
samples) and their custody chains (hash chains computed by samples.chain, so chain verification
passes), 1,000,000 instrument readings in 1,000 accepted runs, 350,000 results, 10,000 issued
certificates (500 of them amendments of another), 5,000 customs declarations with their cited
certificates, declared components and findings, and a nonconformance (a broken seal, accepted) on every
fifth lot's laboratory sample. The newest 5 % of the lots are still in analysis
(results entered, not approved); the older lots are reported and certified.

It is written with COPY on PostgreSQL and bulk_create elsewhere, in chunks of lots, each chunk in one
transaction: no service runs, so nothing is checked or audited, and it is a dataset for measuring, not
a record. Certificates are snapshot rows only: no PDF is rendered, `pdf` names a file that does not
exist (certificates/scale/<number>.pdf) and the hashes and QR token are placeholders, so they do not
verify. Identifiers carry the prefix SC (lots SC-LOT-000001, samples SC-000001-L1, certificates
SC-CoA-000001, declarations SC-DT-000001); a second build adds lots after those of the first.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction

from assays.models import Instrument, Method, PanelEntry, Reading, Result, Run
from certificates.models import Certificate
from customs.models import CitedCertificate, Declaration, DeclaredComponent, Finding
from lims.models import Organisation, User
from lims.roles import Role
from samples import chain
from samples.models import CustodyEvent, Lot, Material, Nonconformance, Priority, Sample, Seal

PREFIX = "SC"
FULL_LOTS = 10_000
# Per lot, as the full dataset has them: 1,000,000 readings, 350,000 results, 10,000 certificates and
# 5,000 declarations for 10,000 lots.
READINGS_PER_LOT, RESULTS_PER_LOT, CERTIFICATES_PER_LOT, DECLARATIONS_PER_LOT = 100, 35, 1.0, 0.5
SAMPLES_PER_RUN = 10
CHUNK_LOTS = 250
# The full dataset spans two years up to `END`, a lot every 1.75 hours, the newest last.
END = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
LOT_EVERY = timedelta(days=730) / FULL_LOTS


@dataclass
class Cast:
    """Who the rows name: the laboratory's staff, the exporters (lots go round-robin to them, with
    `exporter_users[i]` filing for `exporters[i]`), a customs office and its inspector."""

    sampler: User
    technician: User
    reviewer: User
    manager: User
    exporters: list[Organisation]
    exporter_users: list[User]
    customs_office: Organisation
    inspector: User

    @classmethod
    def ensure(cls, *, exporters: int = 20) -> "Cast":
        """The cast of a scale database, made on first use: users scale-<role> with password unusable."""
        lab, _ = Organisation.objects.get_or_create(
            name="Scale Laboratory", defaults={"kind": Organisation.Kind.LABORATORY}
        )
        office, _ = Organisation.objects.get_or_create(
            name="Scale Customs Post", defaults={"kind": Organisation.Kind.CUSTOMS}
        )
        orgs = [
            Organisation.objects.get_or_create(
                name=f"Scale Exporter {n:02d}", defaults={"kind": Organisation.Kind.EXPORTER}
            )[0]
            for n in range(1, exporters + 1)
        ]

        def user(username: str, role: Role, org: Organisation) -> User:
            person, created = User.objects.get_or_create(
                username=username, defaults={"organisation": org, "first_name": username.title()}
            )
            if created:
                person.set_unusable_password()
                person.save(update_fields=["password"])
                person.groups.add(Group.objects.get(name=role))
            return person

        return cls(
            sampler=user("scale-sampler", Role.SAMPLER, lab),
            technician=user("scale-technician", Role.TECHNICIAN, lab),
            reviewer=user("scale-reviewer", Role.REVIEWER, lab),
            manager=user("scale-manager", Role.MANAGER, lab),
            exporters=orgs,
            exporter_users=[user(f"scale-exporter-{n:02d}", Role.EXPORTER, org) for n, org in enumerate(orgs, 1)],
            customs_office=office,
            inspector=user("scale-inspector", Role.INSPECTOR, office),
        )


def exists() -> bool:
    return Lot.objects.filter(lot_number__startswith=f"{PREFIX}-LOT-").exists()


class _Ids:
    """Primary keys handed out before the rows are written, so rows can point at each other within a
    chunk; the tables' sequences are moved past them at the end (finish())."""

    def __init__(self, *models_: type[models.Model]):
        self.next = {m: (m._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1 for m in models_}

    def take(self, model: type[models.Model]) -> int:
        pk = self.next[model]
        self.next[model] = pk + 1
        return pk

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.next))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _write(model: type[models.Model], rows: list[dict]) -> None:
    """Insert `rows` (dicts of attribute names) into `model`'s table: COPY on PostgreSQL."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    from psycopg.types.json import Jsonb

    fields = {f.attname: f for f in model._meta.concrete_fields}
    names = list(rows[0])
    json_names = {n for n in names if isinstance(fields[n], models.JSONField)}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(fields[n].column)) for n in names)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([Jsonb(row[n]) if n in json_names else row[n] for n in names])


class _Chain:
    """The custody chain of one sample, built as samples.services._append_event builds it."""

    def __init__(self, ids: _Ids, sample: dict, events: list[dict]):
        self.ids, self.sample, self.events = ids, sample, events
        self.head, self.length, self.status = chain.GENESIS, 0, ""

    def append(self, action: str, actor: User, at: datetime, **fields) -> None:
        status_after = Sample.LIFECYCLE.require_transition(self.status, action)
        event = CustodyEvent(
            sequence=self.length + 1, action=action, occurred_at=at, recorded_at=at,
            status_before=self.status, status_after=status_after, prev_hash=self.head,
            from_party=fields.get("from_party", ""), to_party=fields.get("to_party", ""),
            location=fields.get("location", "Loading bay 3"), seal_number_seen=fields.get("seal_number_seen", ""),
            seal_intact=fields.get("seal_intact"), note=fields.get("note", ""),
        )  # fmt: skip
        event.hash = chain.event_hash(event, sample_code=self.sample["code"], actor_username=actor.username)
        self.events.append(
            {
                "id": self.ids.take(CustodyEvent), "sample_id": self.sample["id"], "sequence": event.sequence,
                "action": action, "actor_id": actor.pk, "from_party": event.from_party, "to_party": event.to_party,
                "occurred_at": at, "recorded_at": at, "location": event.location,
                "seal_number_seen": event.seal_number_seen, "seal_intact": event.seal_intact,
                "status_before": event.status_before, "status_after": status_after, "note": event.note,
                "prev_hash": event.prev_hash, "hash": event.hash,
            }
        )  # fmt: skip
        self.head, self.length, self.status = event.hash, event.sequence, str(status_after)
        self.sample.update(status=self.status, custody_head=self.head, custody_length=self.length)


def _value(n: int, k: int) -> Decimal:
    """A plausible, varied positive figure."""
    return Decimal((n * 7919 + k * 104729) % 100_000 + 1) / Decimal(1000)


def build(*, lots: int, cast: Cast | None = None, log: Callable[[str], None] = lambda _: None) -> dict:
    """Write `lots` lots and what hangs off them (FULL_LOTS is the full size); returns the number of
    rows per kind. A second build adds lots after the first's."""
    cast = cast or Cast.ensure()
    start = Lot.objects.filter(lot_number__startswith=f"{PREFIX}-LOT-").count()
    material = Material.objects.get(code="copper-concentrate")
    method = Method.objects.get(code="icpms-4acid")
    entries = list(
        PanelEntry.objects.filter(panel__material=material).select_related("analyte", "method").order_by("position")
    )
    instrument, _ = Instrument.objects.get_or_create(
        serial=f"{PREFIX}-ICPMS-1",
        defaults={"name": "Scale ICP-MS", "model": "Agilent 7900", "calibration_due": END.date() + timedelta(365)},
    )
    icpms = [e for e in entries if e.method_id == method.pk]
    n_lots = lots
    shown = entries[:RESULTS_PER_LOT]
    # A run's QC rows count among the readings.
    per_sample_readings = max(len(icpms), READINGS_PER_LOT - 2 * len(icpms) // SAMPLES_PER_RUN)
    # The newest 5 %: results entered, not yet approved.
    in_analysis_from = start + n_lots - max(1, n_lots // 20)
    reported = in_analysis_from - start
    amend_every = max(1, round(reported / max(1, round(n_lots * CERTIFICATES_PER_LOT) - reported)))
    n_declared = start + min(round(n_lots * DECLARATIONS_PER_LOT) or 1, reported)
    ids = _Ids(
        Lot, Sample, Seal, CustodyEvent, Nonconformance, Run, Reading, Result, Certificate, Declaration, CitedCertificate,
        DeclaredComponent, Finding,
    )  # fmt: skip
    counts: dict[str, int] = dict.fromkeys(
        ["lots", "samples", "custody events", "runs", "readings", "results", "certificates", "declarations"], 0
    )
    started = datetime.now(UTC)
    for first in range(start, start + n_lots, CHUNK_LOTS):
        with transaction.atomic():
            chunk = _chunk(
                range(first, min(start + n_lots, first + CHUNK_LOTS)), cast=cast, ids=ids, material=material,
                instrument=instrument, method=method, icpms=icpms, shown=shown,
                per_sample_readings=per_sample_readings, in_analysis_from=in_analysis_from,
                amend_every=amend_every, n_declared=n_declared,
            )  # fmt: skip
            for model, rows in chunk:
                _write(model, rows)
        for model, rows in chunk:
            key = {Lot: "lots", Sample: "samples", CustodyEvent: "custody events"}.get(model)
            key = key or str(model._meta.verbose_name_plural)
            if key in counts:
                counts[key] += len(rows)
        elapsed = (datetime.now(UTC) - started).total_seconds()
        log(f"{min(n_lots, first - start + CHUNK_LOTS)}/{n_lots} lots, {counts['readings']} readings, {elapsed:.0f} s")
    ids.finish()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


def _chunk(lot_range, *, cast, ids, material, instrument, method, icpms, shown, per_sample_readings,
           in_analysis_from, amend_every, n_declared) -> list[tuple[type[models.Model], list[dict]]]:  # fmt: skip
    lots: list[dict] = []
    samples: list[dict] = []
    seals: list[dict] = []
    events: list[dict] = []
    runs: list[dict] = []
    readings: list[dict] = []
    results: list[dict] = []
    certificates: list[dict] = []
    declarations: list[dict] = []
    citations: list[dict] = []
    components: list[dict] = []
    findings: list[dict] = []
    nonconformances: list[dict] = []
    lab_samples: list[tuple[int, dict]] = []
    for i in lot_range:
        at = END - LOT_EVERY * (FULL_LOTS - i)
        n = i + 1
        org = i % len(cast.exporters)
        lot = {
            "id": ids.take(Lot), "exporter_id": cast.exporters[org].pk, "lot_number": f"{PREFIX}-LOT-{n:06d}",
            "material_id": material.pk, "hs_code": "2603.00", "origin": "Aktogay concentrator",
            "wet_mass_t": Decimal(4000 + n % 2000), "wet_mass_source": f"Weighbridge ticket WB-{n:06d}",
            "contract_reference": f"C-{2025 + i % 2}-{n % 97:02d}", "export_licence_number": f"EL-{n % 500:04d}",
            "destination_country": "CN", "status": Lot.Status.SAMPLING, "registered_by_id": cast.manager.pk,
            "registered_at": at, "priority": Priority.NORMAL, "due_date": None,
        }  # fmt: skip
        lots.append(lot)
        composite = _sample(ids, lot, f"{PREFIX}-{n:06d}", Sample.Purpose.COMPOSITE, Decimal("2000.0"), at, None)
        samples.append(composite)
        party = cast.sampler.party_label()
        c = _Chain(ids, composite, events)
        c.append(CustodyEvent.Action.COLLECT, cast.sampler, at, to_party=party)
        c.append(CustodyEvent.Action.SPLIT, cast.sampler, at, from_party=party, to_party=party, note="Split.")
        composite["current_custodian_id"] = cast.sampler.pk
        for letter, purpose in (("L", Sample.Purpose.LABORATORY), ("E", "exporter"), ("A", "archive")):
            split = _sample(ids, lot, f"{composite['code']}-{letter}1", purpose, Decimal("250.0"), at, composite)
            split["seal_number"] = f"KZS-9{n:06d}{'LEA'.index(letter)}"
            samples.append(split)
            seals.append(
                {"id": ids.take(Seal), "number": split["seal_number"], "sample_id": split["id"],
                 "applied_by_id": cast.sampler.pk, "applied_at": at}
            )  # fmt: skip
            c = _Chain(ids, split, events)
            c.append(CustodyEvent.Action.COLLECT, cast.sampler, at, from_party=f"composite {composite['code']}",
                     to_party=party)  # fmt: skip
            c.append(CustodyEvent.Action.SEAL, cast.sampler, at, seal_number_seen=split["seal_number"])
            split["current_custodian_id"] = cast.sampler.pk
            if letter == "L":
                later = at + timedelta(hours=6)
                seal = split["seal_number"]
                c.append(CustodyEvent.Action.HAND_OVER, cast.sampler, at + timedelta(hours=1), from_party=party,
                         to_party=cast.technician.party_label(), seal_number_seen=seal)  # fmt: skip
                if i % 5 == 0:  # seal broken on arrival, accepted for testing by the lab manager
                    c.append(CustodyEvent.Action.HOLD, cast.technician, later, seal_number_seen=seal, seal_intact=False,
                             location="Lab reception")  # fmt: skip
                    c.append(CustodyEvent.Action.RELEASE, cast.manager, later, note="Accepted: inner bag intact.")
                    nonconformances.append(
                        {"id": ids.take(Nonconformance), "sample_id": split["id"], "kind": "seal_broken",
                         "description": "Seal cut on arrival.", "raised_by_id": cast.technician.pk, "raised_at": later,
                         "status": "accepted", "resolved_by_id": cast.manager.pk, "resolved_at": later,
                         "resolution": "Inner bag intact."}
                    )  # fmt: skip
                else:
                    c.append(CustodyEvent.Action.RECEIVE, cast.technician, later, seal_number_seen=seal,
                             seal_intact=True, location="Lab reception")  # fmt: skip
                c.append(CustodyEvent.Action.ANALYSE, cast.technician, later + timedelta(days=1))
                if i < in_analysis_from:
                    c.append(CustodyEvent.Action.REPORT, cast.reviewer, later + timedelta(days=3))
                split["current_custodian_id"] = cast.technician.pk
                lab_samples.append((i, split))
    # Runs of SAMPLES_PER_RUN laboratory samples each: QC rows, then every sample's readings.
    for start in range(0, len(lab_samples), SAMPLES_PER_RUN):
        group = lab_samples[start : start + SAMPLES_PER_RUN]
        first_i = group[0][0]
        imported = END - LOT_EVERY * (FULL_LOTS - first_i) + timedelta(days=1, hours=2)
        run_id = ids.take(Run)
        runs.append(
            {
                "id": run_id, "instrument_id": instrument.pk, "method_id": method.pk, "operator_id": cast.technician.pk,
                "raw_file": f"runs/scale/run-{run_id:06d}.csv", "filename": f"run-{run_id:06d}.csv",
                "sha256": hashlib.sha256(f"{PREFIX}-run-{run_id}".encode()).hexdigest(), "format": "generic",
                "requested_format": "", "problems": [], "status": Run.Status.ACCEPTED,
                "qc_status": Run.QCStatus.PASSED, "summary": {"samples": len(group)}, "unmatched": [],
                "imported_at": imported, "accepted_by_id": cast.technician.pk, "accepted_at": imported,
                "override_reason": "", "withdraw_reason": "",
            }
        )  # fmt: skip
        row = 0
        for kind, name in (("cal_blank", "CalBlank"), ("ccv", "CCV 10 ppb")):
            row += 1
            for entry in icpms:
                readings.append(_reading(ids, run_id, row, name, kind, None, entry, Decimal("10.0"), imported))
        for i, split in group:
            chosen: dict[int, dict] = {}
            for k in range(per_sample_readings):
                entry = icpms[k % len(icpms)]
                row += 1 if k % len(icpms) == 0 else 0
                reading = _reading(
                    ids, run_id, row, split["code"], "sample", split["id"], entry, _value(i, k), imported
                )
                reading["isotope"] = str(k // len(icpms) + 1)
                if entry.analyte_id not in chosen:
                    reading["chosen"], reading["choice"] = True, "chosen: the only reading"
                    reading["choice_key"] = "only"
                    chosen[entry.analyte_id] = reading
                readings.append(reading)
            approved = i < in_analysis_from
            for k, entry in enumerate(shown):
                picked = chosen.get(entry.analyte_id)
                value = _value(i, k + 1000)
                results.append(
                    {
                        "id": ids.take(Result), "sample_id": split["id"], "analyte_id": entry.analyte_id,
                        "method_id": entry.method_id, "unit": entry.unit, "basis": entry.basis, "qualifier": "",
                        "value_as_received": value, "detection_limit_as_received": None,
                        "uncertainty_as_received": None, "value": value, "detection_limit": None, "uncertainty": None,
                        "negative": False, "flags": [], "source": "reading" if picked else "manual",
                        "run_id": run_id if picked else None, "reading_id": picked["id"] if picked else None,
                        "status": Result.Status.APPROVED if approved else Result.Status.ENTERED,
                        "entered_by_id": cast.technician.pk, "entered_at": imported + timedelta(minutes=k),
                        "decided_by_id": cast.reviewer.pk if approved else None,
                        "decided_at": imported + timedelta(days=1) if approved else None, "reason": "",
                    }
                )  # fmt: skip
    by_lot = {lot["id"]: lot for lot in lots}
    for i, split in lab_samples:
        if i >= in_analysis_from:
            continue
        lot = by_lot[split["lot_id"]]
        issued = lot["registered_at"] + timedelta(days=5)
        snapshot = _snapshot(lot, split, shown, i)
        certificate = _certificate(ids, split, snapshot, f"{PREFIX}-CoA-{i + 1:06d}", issued, cast)
        certificates.append(certificate)
        if i % amend_every == 0:
            amendment = _certificate(
                ids, split, snapshot, f"{PREFIX}-CoA-{i + 1:06d}-A", issued + timedelta(days=2), cast
            )
            amendment.update(supersedes_id=certificate["id"], amendment_reason="Contract reference corrected.")
            certificate.update(status=Certificate.Status.SUPERSEDED, superseded_at=amendment["issued_at"])
            certificates.append(amendment)
            certificate = amendment
        if i < n_declared:
            _declare(ids, i, lot, certificate, cast, issued + timedelta(days=3), shown, declarations, citations,
                     components, findings)  # fmt: skip
    # Superseding rows point at the rows they supersede: write those first.
    certificates.sort(key=lambda row: row["supersedes_id"] is not None)
    return [
        (Lot, lots), (Sample, [s for s in samples if s["parent_id"] is None]),
        (Sample, [s for s in samples if s["parent_id"] is not None]), (Seal, seals), (CustodyEvent, events),
        (Nonconformance, nonconformances),
        (Run, runs), (Reading, readings), (Result, results), (Certificate, certificates), (Declaration, declarations),
        (CitedCertificate, citations), (DeclaredComponent, components), (Finding, findings),
    ]  # fmt: skip


def _sample(ids, lot, code, purpose, mass, at, parent) -> dict:
    return {
        "id": ids.take(Sample), "code": code, "lot_id": lot["id"], "parent_id": parent["id"] if parent else None,
        "purpose": purpose, "mass_g": mass, "seal_number": "", "status": "", "current_custodian_id": None,
        "collected_at": at, "collection_location": "Loading bay 3", "custody_head": "", "custody_length": 0,
        "priority": Priority.NORMAL, "due_date": None,
    }  # fmt: skip


def _reading(ids, run_id, row, name, kind, sample_id, entry, value, at) -> dict:
    return {
        "id": ids.take(Reading), "run_id": run_id, "row": row, "column": entry.analyte.symbol, "sample_name": name,
        "row_type": kind, "sample_id": sample_id, "reference_material_id": None, "duplicate_of": "",
        "analyte_id": entry.analyte_id, "isotope": "", "mode": "", "value": value, "qualifier": "",
        "detection_limit": None, "unit": "ug/L", "dilution_factor": None, "acquired_at": at, "rejected": False,
        "basis": "", "excluded": False, "note": "", "chosen": False, "choice": "", "choice_key": "",
        "choice_params": {},
    }  # fmt: skip


def _snapshot(lot, sample, shown, i) -> dict:
    """A snapshot of the size and shape certificates/snapshot.py freezes (not its exact schema)."""
    rows = [
        {
            "analyte": e.analyte.symbol, "name": e.analyte.name, "rare_earth": e.analyte.is_rare_earth,
            "method": e.method.name, "method_code": e.method.code, "unit": e.unit, "basis": e.basis,
            "qualifier": "", "value": str(_value(i, k + 1000)), "detection_limit": None, "uncertainty": None,
            "reporting_limit": str(e.reporting_limit), "approved_by": "Scale Reviewer",
        }
        for k, e in enumerate(shown)
    ]  # fmt: skip
    return {
        "schema": "lims.coa/2",
        "scale_dataset": True,
        "lot": {"number": lot["lot_number"], "hs_code": lot["hs_code"], "origin": lot["origin"],
                "wet_mass_t": str(lot["wet_mass_t"]), "contract": lot["contract_reference"]},
        "sample": {"code": sample["code"], "purpose": sample["purpose"], "seal_number": sample["seal_number"]},
        "results": rows,
    }  # fmt: skip


def _certificate(ids, sample, snapshot, number, issued, cast) -> dict:
    digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
    return {
        "id": ids.take(Certificate), "number": number, "sample_id": sample["id"], "status": Certificate.Status.ISSUED,
        "snapshot": snapshot, "snapshot_sha256": digest, "supersedes_id": None, "amendment_reason": "",
        "requested_by_id": cast.manager.pk, "requested_at": issued - timedelta(minutes=5), "dispatched_at": issued,
        "claimed_by": "", "claimed_at": None, "attempts": 1, "failure": "", "issued_at": issued,
        "pdf": f"certificates/scale/{number}.pdf", "pdf_sha256": hashlib.sha256(number.encode()).hexdigest(),
        "qr_token": f"SCALE:{number}", "signing_kid": "", "verification_code_sha256": "", "token_kid": "",
        "revoked_at": None, "revoked_by_id": None, "revocation_reason": "", "superseded_at": None,
    }  # fmt: skip


DECLARATION_STATUSES = ["flagged", "cleared", "cleared", "cleared", "accepted", "cleared", "flagged", "accepted",
                        "rejected", "cleared"]  # fmt: skip


def _declare(ids, i, lot, certificate, cast, filed, shown, declarations, citations, components, findings) -> None:
    org = i % len(cast.exporters)
    status = DECLARATION_STATUSES[i % len(DECLARATION_STATUSES)]
    decided = status in ("accepted", "rejected")
    declaration_id = ids.take(Declaration)
    declarations.append(
        {
            "id": declaration_id, "number": f"{PREFIX}-DT-{i + 1:06d}", "declarant": f"Broker {org:02d} LLP",
            "exporter_id": lot["exporter_id"], "lot_id": lot["id"], "customs_office_id": cast.customs_office.pk,
            "hs_code": lot["hs_code"], "declared_on": filed.date(), "dry_mass_t": lot["wet_mass_t"] * Decimal("0.915"),
            "value": Decimal(1_000_000 + i), "currency": "USD", "status": status,
            "filed_by_id": cast.exporter_users[org].pk, "filed_at": filed, "checked_at": filed,
            "decided_by_id": cast.inspector.pk if decided else None,
            "decided_at": filed + timedelta(days=1) if decided else None,
            "decision_reason": "Reviewed against the certificate." if decided else "",
        }
    )  # fmt: skip
    citations.append(
        {"id": ids.take(CitedCertificate), "declaration_id": declaration_id, "position": 1,
         "number": certificate["number"], "certificate_id": certificate["id"]}
    )  # fmt: skip
    declared = [e for e in shown if not e.analyte.is_rare_earth][:8]
    for position, entry in enumerate(declared, 1):
        components.append(
            {"id": ids.take(DeclaredComponent), "declaration_id": declaration_id, "position": position,
             "analyte_id": entry.analyte_id, "content": _value(i, position + 1000), "unit": entry.unit}
        )  # fmt: skip
    rules = ["certificate", "hs_code", "dry_mass", "undeclared", "content", "content", "content", "value"]
    for position, rule in enumerate(rules, 1):
        blocking = status == "flagged" and rule == "undeclared"
        findings.append(
            {
                "id": ids.take(Finding), "declaration_id": declaration_id, "position": position, "rule": rule,
                "severity": "blocking" if blocking else "info", "certificate_number": certificate["number"],
                "analyte": "", "message": "Rare earths not declared." if blocking else "Matches the certificate.",
                "text_key": "", "text_params": {}, "figures": {},
            }
        )  # fmt: skip
