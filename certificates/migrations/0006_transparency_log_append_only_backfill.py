"""The transparency log is append-only in the database itself, and starts with what the register
already holds.

On PostgreSQL a trigger per table (entries, nodes, checkpoints) refuses UPDATE and DELETE, as for
certificate events (0002); SQLite (development) relies on the ORM guards (lims.lib.append_only).

Backfill: a database issued certificates and recorded keys before the log existed. Their events are
appended here, once, in the order of the times the register recorded (a certificate's issued_at,
revoked_at, superseded_at; a key's first_used_at, retired_at; ties by number or key id), with those
times in the leaves: the log then states what the register states. A key marked compromised before
the log gets its key-compromised leaf at the migration's time (the register does not say when it was
marked). The leaves are those certificates.transparency writes (same fields, same canonical JSON);
the first checkpoint is signed by the worker's task (beat), which holds the log key: migrations never
sign. Reversing drops the triggers and leaves the entries to the schema migration's reversal.
"""

import hashlib
import json
from datetime import UTC

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import migrations
from django.utils import timezone

from certificates import merkle

TABLES = ("certificates_logentry", "certificates_lognode", "certificates_logcheckpoint")
CREATE = """
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only: % refused on {table}', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {table}_append_only();
"""


def _time(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public_key_sha256(kind: str, pem: str) -> str:
    data = pem.encode()
    public_key = (
        x509.load_pem_x509_certificate(data).public_key() if kind == "pdf" else serialization.load_pem_public_key(data)
    )
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _events(apps):
    Certificate = apps.get_model("certificates", "Certificate")
    SigningKey = apps.get_model("certificates", "SigningKey")
    events = []
    for c in Certificate.objects.filter(status__in=["issued", "revoked", "superseded"]).exclude(number=None):
        base = {"v": 1, "number": c.number, "pdf_sha256": c.pdf_sha256, "snapshot_sha256": c.snapshot_sha256,
                "kid": c.signing_kid, "token_kid": c.token_kid}  # fmt: skip
        for event, moment in (("issued", c.issued_at), ("revoked", c.revoked_at), ("superseded", c.superseded_at)):
            if moment is not None:
                events.append((moment, c.number, {**base, "event": event, "time": _time(moment)}, c.pk))
    now = timezone.now()
    for k in SigningKey.objects.all():
        try:
            base = {"v": 1, "kid": k.kid, "kind": k.kind, "public_key_sha256": _public_key_sha256(k.kind, k.public_pem)}
        except ValueError:
            continue  # a record without its public key is left out of the key set too (publication)
        events.append((k.first_used_at, k.kid, {**base, "event": "key-added", "time": _time(k.first_used_at)}, None))
        if k.retired_at is not None:
            events.append((k.retired_at, k.kid, {**base, "event": "key-retired", "time": _time(k.retired_at)}, None))
        if k.state == "compromised":
            since = _time(k.compromised_from) if k.compromised_from else ""
            fields = {**base, "event": "key-compromised", "time": _time(now), "compromised_from": since}
            events.append((now, k.kid, fields, None))
    events.sort(key=lambda event: (event[0], event[1]))
    return events


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(CREATE.format(table=table), params=None)
    backfill(apps)


def backfill(apps):
    """Append the register's events to an empty log (tests/certificates/test_transparency_certificates)."""
    LogEntry = apps.get_model("certificates", "LogEntry")
    LogNode = apps.get_model("certificates", "LogNode")
    if LogEntry.objects.exists():
        return
    frontier = merkle.Frontier()
    entries, nodes = [], []
    for moment, _name, fields, certificate_id in _events(apps):
        leaf = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        h = merkle.leaf_hash(leaf)
        entries.append(LogEntry(index=frontier.size, leaf=leaf, leaf_hash=h, event=fields["event"],
                                time=moment.replace(microsecond=0), certificate_id=certificate_id))  # fmt: skip
        # LogNode.key: the size the subtree completed at, times 64, plus its level (transparency.node_key).
        nodes += [LogNode(key=((i + 1) << lv) * 64 + lv, hash=nh) for lv, i, nh in frontier.push(h)]
    LogEntry.objects.bulk_create(entries, batch_size=2000)
    LogNode.objects.bulk_create(nodes, batch_size=2000)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP.format(table=table), params=None)


class Migration(migrations.Migration):
    dependencies = [("certificates", "0005_transparency_log")]
    operations = [migrations.RunPython(forwards, backwards)]
