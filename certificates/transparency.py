"""The transparency log of the certificate register: an append-only Merkle tree (RFC 6962 / RFC 9162
section 2.1, certificates.merkle) of every event that matters to a verifier, with signed checkpoints.

Leaves. Each leaf is the canonical JSON of one event (canonical(): sorted keys, no spaces, ASCII),
every one with "v": 1 and "time" as RFC 3339 UTC seconds ("2026-12-07T17:59:03Z"):
- a certificate issued, revoked or superseded: number, event, time, pdf_sha256, snapshot_sha256, kid
  (PDF signing key id), token_kid. Never a result or a value: the snapshot's hash stands for them.
  The time is the register's: issued_at, revoked_at, superseded_at;
- a key added, retired or compromised: kid, kind, public_key_sha256 (SHA-256 of the DER
  SubjectPublicKeyInfo; of the certificate's key for a PDF key), time (+ compromised_from);
- statistics published (customs/statistics, through append()): period, document_sha256, time.

Appends happen in the transaction of the event they record (certificates.services, publication,
rotate_key), so a rolled-back event leaves no leaf and a committed one always has its leaf. Indexes
are dense and gap-free: append() locks one counter row (lims.models.Sequence "transparency-log") for
the rest of the transaction, so appends queue there as certificate numbers do, and reads the next
index from the entries. With each leaf it stores the hashes of the complete subtrees the leaf
completes (LogNode), so a proof reads O(log n) rows and never the leaves.

Checkpoints (C2SP tlog-checkpoint as a C2SP signed note, key name = origin = LIMS_LOG_ORIGIN):

    <origin>\\n<tree size>\\n<base64 root hash>\\ntime <RFC 3339 UTC>\\n\\n— <origin> <base64(key hash || sig)>\\n

signed with the log key (Ed25519; key hash = SHA-256(origin || 0x0A || 0x01 || public key)[:4]). A
Celery task on queue "default" (tasks.sign_log_checkpoint) signs one a couple of seconds after the
commit of an append (one task for all the appends of those seconds: the first commit sends it, the
others see it pending in the cache) and beat every LIMS_LOG_CHECKPOINT_SECONDS as a sweep; a
checkpoint is signed only when the log has grown. Web processes never sign: they serve the latest
stored checkpoint, and proofs are given against it, so a reader can check them with the note alone.

Backfill: migration 0006 appends the "issued" leaf (and "revoked" / "superseded") of every certificate
issued before the log existed, in issue order (issued_at, then number), with the times the register
recorded; the log's own order is append order from then on. Keys recorded before the log get their
"key-added" leaf there too.
"""

import base64
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509 import load_pem_x509_certificate
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import keys, merkle
from certificates.models import Certificate, LogCheckpoint, LogEntry, LogNode, SigningKey
from lims.exceptions import ApplicationError, Conflict
from lims.models import Sequence

logger = logging.getLogger(__name__)

SEQUENCE_KEY = "transparency-log"
PENDING_KEY = "transparency-log-checkpoint-pending"
CHECKPOINT_DELAY_SECONDS = 2
ENTRIES_PAGE = 1000  # the most leaves one /api/v1/log/entries/ answer carries
EM_DASH = "\u2014"
CERTIFICATE_EVENTS = ("issued", "revoked", "superseded")
KEY_EVENTS = ("key-added", "key-retired", "key-compromised")


class LogError(ApplicationError):
    """A question the log cannot answer as asked (400): a size or range out of bounds."""


class NotInLog(LogError):
    """No such certificate, or its issue is not in the log (404)."""

    status_code = 404


class NotYetCheckpointed(Conflict):
    """The leaf is in the log but no signed checkpoint covers it yet (409): ask again in seconds."""


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root_hash: str  # lowercase hex
    text: str
    signed_at: datetime


# Leaves ------------------------------------------------------------------------------------------


def canonical(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def node_key(level: int, index: int) -> int:
    """LogNode.key of the complete subtree (level, index): the size it completed at, times 64, plus
    its level; so the nodes sort in the order they were made."""
    return ((index + 1) << level) * 64 + level


def certificate_fields(certificate: Certificate, event: str) -> dict:
    moment = {
        "issued": certificate.issued_at,
        "revoked": certificate.revoked_at,
        "superseded": certificate.superseded_at,
    }
    when = moment[event]
    if when is None or not certificate.number:
        raise ValueError(f"certificate {certificate.pk} has no {event} time or number to log")
    return {
        "v": 1,
        "event": event,
        "number": certificate.number,
        "time": rfc3339(when),
        "pdf_sha256": certificate.pdf_sha256,
        "snapshot_sha256": certificate.snapshot_sha256,
        "kid": certificate.signing_kid,
        "token_kid": certificate.token_kid,
    }


def public_key_sha256(record: SigningKey) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo of a recorded key (a PDF key: its certificate's)."""
    pem = record.public_pem.encode()
    public_key = (
        load_pem_x509_certificate(pem).public_key()
        if record.kind == SigningKey.Kind.PDF
        else serialization.load_pem_public_key(pem)
    )
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def key_fields(record: SigningKey, event: str, when: datetime | None = None) -> dict:
    fields = {
        "v": 1,
        "event": event,
        "kid": record.kid,
        "kind": record.kind,
        "public_key_sha256": public_key_sha256(record),
        "time": rfc3339(when or timezone.now()),
    }
    if event == "key-compromised":
        fields["compromised_from"] = rfc3339(record.compromised_from) if record.compromised_from else ""
    return fields


# Appending ---------------------------------------------------------------------------------------


def _lock() -> int:
    """Lock the log's counter row for the rest of the transaction; returns the current size."""
    assert transaction.get_connection().in_atomic_block, "the log is appended to inside a transaction"
    try:
        with transaction.atomic():
            Sequence.objects.get_or_create(key=SEQUENCE_KEY)
    except IntegrityError:
        pass  # another transaction created it first; the lock below waits for it
    Sequence.objects.select_for_update().filter(key=SEQUENCE_KEY).values_list("pk", flat=True).get()
    last = LogEntry.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _subtree_hashes(wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of complete subtrees (level, index): leaves' from the entries, the rest
    from the nodes, in one statement (a proof is a few index probes and one round trip: the ORM's
    two querysets cost twice the round trips and more in building them)."""
    wanted = list(wanted)
    leaves = [index for level, index in wanted if level == 0]
    nodes = {node_key(level, index): (level, index) for level, index in wanted if level > 0}
    # Only quoted identifiers and placeholders go into the text; the values are parameters.
    quote = connection.ops.quote_name
    parts, params = [], []
    if leaves:
        parts.append(
            f"SELECT 0, {quote('index')}, {quote('leaf_hash')} FROM {quote(LogEntry._meta.db_table)} "  # noqa: S608
            f"WHERE {quote('index')} IN ({', '.join(['%s'] * len(leaves))})"
        )
        params += leaves
    if nodes:
        parts.append(
            f"SELECT 1, {quote('key')}, {quote('hash')} FROM {quote(LogNode._meta.db_table)} "  # noqa: S608
            f"WHERE {quote('key')} IN ({', '.join(['%s'] * len(nodes))})"
        )
        params += list(nodes)
    found: dict[tuple[int, int], bytes] = {}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for is_node, key, h in cursor.fetchall():
                found[nodes[key] if is_node else (0, key)] = bytes(h)
    missing = set(wanted) - set(found)
    if missing:
        raise RuntimeError(f"the transparency log lacks stored subtrees {sorted(missing)[:5]}: run verify_log")
    return found


def _stored(wanted: list[tuple[int, int]]) -> merkle.Subtree:
    found = _subtree_hashes(wanted)
    return lambda level, index: found[(level, index)]


def append_many(items: Iterable[tuple[dict, Certificate | None]]) -> range:
    """Append leaves in order (fields, and the certificate a leaf is about or None) in the caller's
    transaction; returns their indexes. A checkpoint is requested for after the commit."""
    size = _lock()
    frontier_keys = merkle.subtrees_for_root(size)
    found = _subtree_hashes(frontier_keys)
    frontier = merkle.Frontier(size, [found[key] for key in frontier_keys])
    entries, nodes = [], []
    for fields, certificate in items:
        if fields.get("v") != 1 or not isinstance(fields.get("event"), str) or not isinstance(fields.get("time"), str):
            raise ValueError("a log leaf has v = 1, an event and a time")
        leaf = canonical(fields)
        h = merkle.leaf_hash(leaf)
        certificate_id = certificate.pk if certificate is not None else None
        entries.append((frontier.size, leaf, h, fields["event"], _parse_time(fields["time"]), certificate_id))
        nodes += [(node_key(level, index), nh) for level, index, nh in frontier.push(h)]
    _insert(entries, nodes)
    request_checkpoint()
    return range(size, frontier.size)


ENTRY_COLUMNS = ("index", "leaf", "leaf_hash", "event", "time", "certificate_id")


def _insert(entries: list[tuple], nodes: list[tuple]) -> None:
    """Store the rows: on PostgreSQL a large batch goes by COPY (a million leaves in minutes, not an
    hour of ORM inserts); otherwise, and for the usual one leaf, bulk_create."""
    if connection.vendor == "postgresql" and len(entries) >= 100:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            columns = ", ".join(f'"{column}"' for column in ENTRY_COLUMNS)
            with raw.copy(f"COPY {LogEntry._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in entries:
                    copy.write_row(row)
            with raw.copy(f'COPY {LogNode._meta.db_table} ("key", "hash") FROM STDIN') as copy:
                for row in nodes:
                    copy.write_row(row)
        return
    LogEntry.objects.bulk_create([LogEntry(**dict(zip(ENTRY_COLUMNS, row, strict=True))) for row in entries])
    LogNode.objects.bulk_create([LogNode(key=key, hash=h) for key, h in nodes])


def append(fields: dict, *, certificate: Certificate | None = None) -> LogEntry:
    """Append one leaf in the caller's transaction (see the module's docstring)."""
    (index,) = append_many([(fields, certificate)])
    return LogEntry.objects.get(index=index)


def log_certificate(certificate: Certificate, event: str) -> LogEntry:
    """The certificate's issued / revoked / superseded leaf, in the transaction that made it so."""
    return append(certificate_fields(certificate, event), certificate=certificate)


def log_key(record: SigningKey, event: str, when: datetime | None = None) -> LogEntry:
    """A key's key-added / key-retired / key-compromised leaf, in the transaction that recorded it."""
    return append(key_fields(record, event, when))


# Checkpoints -------------------------------------------------------------------------------------


def request_checkpoint() -> None:
    """Have a checkpoint signed a couple of seconds after this transaction commits: one task for all
    the appends of those seconds (the pending mark lives in the cache until the task starts). Safe
    when the broker is down: beat signs one anyway."""
    transaction.on_commit(_send_checkpoint_task, robust=True)


def _send_checkpoint_task() -> None:
    from certificates.tasks import sign_log_checkpoint

    if not cache.add(PENDING_KEY, True, timeout=60):
        return  # a task is on its way and will cover this append
    try:
        sign_log_checkpoint.apply_async(countdown=CHECKPOINT_DELAY_SECONDS)
    except Exception:
        cache.delete(PENDING_KEY)
        logger.exception("could not send the checkpoint task; beat will sign one on schedule")


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """C2SP signed-note key hash of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n\x01" + _raw(public_key)).digest()[:4]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_note(body: str, *, key: Ed25519PrivateKey | None = None, name: str | None = None) -> str:
    """A C2SP signed note of `body` (which ends in a newline) by the log key: workers and operators'
    commands only (it loads the private key unless given one)."""
    if not body.endswith("\n"):
        raise ValueError("a note's body ends with a newline")
    key = key or keys.load_log_key().key
    name = name or settings.LIMS_LOG_ORIGIN
    signature = key.sign(body.encode())
    line = base64.b64encode(key_hash(name, key.public_key()) + signature).decode()
    return f"{body}\n{EM_DASH} {name} {line}\n"


def verify_note(text: str, public_key: Ed25519PublicKey, *, name: str | None = None) -> str:
    """The body of a signed note carrying a valid signature of `public_key` under `name`; raises
    ValueError otherwise."""
    name = name or settings.LIMS_LOG_ORIGIN
    body, sep, signatures = text.rpartition("\n\n")
    if not sep:
        raise ValueError("not a signed note")
    body += "\n"
    wanted = key_hash(name, public_key)
    for line in signatures.splitlines():
        prefix = f"{EM_DASH} {name} "
        if not line.startswith(prefix):
            continue
        try:
            raw = base64.b64decode(line[len(prefix) :], validate=True)
        except ValueError:
            continue
        if raw[:4] == wanted:
            try:
                public_key.verify(raw[4:], body.encode())
            except InvalidSignature:
                continue
            return body
    raise ValueError("no valid signature of the log key")


def verifier_key() -> str:
    """The current log key in C2SP vkey form: <name>+<key hash hex>+<base64(0x01 || public key)>.
    Reads public keys only (the register, else published/log-keys): what a web process may call."""
    public_key = log_public_key()
    name = settings.LIMS_LOG_ORIGIN
    encoded = base64.b64encode(b"\x01" + _raw(public_key)).decode()
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def log_public_keys() -> list[Ed25519PublicKey]:
    """Every log public key, current first: the register's records, then published/log-keys."""
    found = []
    records = SigningKey.objects.filter(kind=SigningKey.Kind.LOG).order_by("state", "-first_used_at")
    for pem in records.values_list("public_pem", flat=True):
        public_key = serialization.load_pem_public_key(pem.encode())
        if isinstance(public_key, Ed25519PublicKey):
            found.append(public_key)
    found += list(keys.published_public_keys("log").values())
    return found


def log_public_key() -> Ed25519PublicKey:
    found = log_public_keys()
    if not found:
        raise NotInLog(_("The transparency log has no key yet: no checkpoint has been signed."))
    return found[0]


def checkpoint_body(size: int, root_hash: bytes, moment: datetime) -> str:
    return f"{settings.LIMS_LOG_ORIGIN}\n{size}\n{base64.b64encode(root_hash).decode()}\ntime {rfc3339(moment)}\n"


def sign_checkpoint() -> LogCheckpoint | None:
    """Sign a checkpoint of the log as it is now, if it grew since the last one (the task; needs the
    log key). The log key's own key-added leaf goes in first, the first time it signs."""
    from certificates import publication

    cache.delete(PENDING_KEY)  # appends committed from now on send a task of their own
    log_key = keys.load_log_key()
    public_pem = log_key.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with transaction.atomic():
        publication.record_key(log_key.kid, SigningKey.Kind.LOG, public_pem.decode())
        size = _lock()  # no append in between: the root below is this size's
        latest = LogCheckpoint.objects.order_by("-size").values_list("size", flat=True).first()
        if latest is not None and latest >= size:
            return None
        root = merkle.tree_root(size, _stored(merkle.subtrees_for_root(size)))
        now = timezone.now()
        text = sign_note(checkpoint_body(size, root, now), key=log_key.key)
        return LogCheckpoint.objects.create(size=size, root_hash=root.hex(), text=text, signed_at=now)


def latest_checkpoint() -> Checkpoint | None:
    row = LogCheckpoint.objects.order_by("-size").values_list("size", "root_hash", "text", "signed_at").first()
    return Checkpoint(*row) if row else None


# Proofs ------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checkpoint_of_size(size: int) -> Checkpoint | None:
    row = LogCheckpoint.objects.filter(size=size).values_list("size", "root_hash", "text", "signed_at").first()
    return Checkpoint(*row) if row else None


def inclusion(number: str, tree_size: int | None = None) -> dict:
    """The inclusion proof of certificate `number`'s "issued" leaf in the latest checkpoint, or in the
    signed checkpoint of `tree_size` (one an inspector already holds: the offline kit needs a proof of
    that checkpoint's size). Raises NotInLog (no such certificate, or not issued; no checkpoint of
    that size), LogError (a checkpoint older than the issue) or NotYetCheckpointed (issued seconds
    ago)."""
    entry = (
        LogEntry.objects.filter(certificate__number=number, event="issued")
        .values_list("index", "leaf", "leaf_hash")
        .first()
    )
    if entry is None:
        raise NotInLog(_("Certificate %(number)s is not in the transparency log.") % {"number": number})
    if tree_size is not None:
        held = checkpoint_of_size(tree_size)
        if held is None:
            raise NotInLog(
                _("The log signed no checkpoint of %(size)s entries; give the size of a checkpoint it published.")
                % {"size": tree_size},
                field="tree_size",
            )
        if entry[0] >= held.size:
            raise LogError(
                _(
                    "Certificate %(number)s entered the log after the checkpoint of %(size)s entries; "
                    "prove it against a later checkpoint."
                )
                % {"number": number, "size": tree_size},
                field="tree_size",
            )
        return _inclusion(entry[0], bytes(entry[1]), bytes(entry[2]), held)
    checkpoint = latest_checkpoint()
    if checkpoint is None or entry[0] >= checkpoint.size:
        raise NotYetCheckpointed(
            _(
                "Certificate %(number)s is in the transparency log, but no signed checkpoint covers it yet; "
                "ask again in a few seconds."
            )
            % {"number": number}
        )
    return _inclusion(entry[0], bytes(entry[1]), bytes(entry[2]), checkpoint)


def inclusion_at(index: int) -> dict:
    """The inclusion proof of leaf `index` in the latest checkpoint (which must cover it)."""
    checkpoint = latest_checkpoint()
    if checkpoint is None or not 0 <= index < checkpoint.size:
        raise LogError(_("No signed checkpoint covers leaf %(index)s.") % {"index": index})
    leaf, h = LogEntry.objects.filter(index=index).values_list("leaf", "leaf_hash").get()
    return _inclusion(index, bytes(leaf), bytes(h), checkpoint)


def _inclusion(index: int, leaf: bytes, h: bytes, checkpoint: Checkpoint) -> dict:
    size = checkpoint.size
    path = merkle.tree_inclusion_path(index, size, _stored(merkle.subtrees_for_inclusion(index, size)))
    if not merkle.verify_inclusion(index, size, h, path, bytes.fromhex(checkpoint.root_hash)):
        logger.error("transparency log: the proof of leaf %s does not reach checkpoint %s", index, size)
        raise RuntimeError("the stored transparency log does not match its checkpoint: run verify_log")
    return {
        "leaf_index": index,
        "tree_size": size,
        "leaf": _b64(leaf),
        "leaf_hash": h.hex(),
        "audit_path": [p.hex() for p in path],
        "root_hash": checkpoint.root_hash,
        "checkpoint": checkpoint.text,
    }


def _checkpointed_size() -> int:
    checkpoint = latest_checkpoint()
    return checkpoint.size if checkpoint else 0


def consistency(first: int, second: int) -> dict:
    """The consistency proof between tree sizes 0 < first <= second <= the latest checkpoint's."""
    latest = _checkpointed_size()
    if not 0 < first <= second <= latest:
        raise LogError(
            _("Give sizes with 0 < first <= second <= %(latest)s (the latest checkpoint's size).") % {"latest": latest},
            field="second" if first > 0 else "first",
        )
    wanted = {
        *merkle.subtrees_for_root(first),
        *merkle.subtrees_for_root(second),
        *merkle.subtrees_for_consistency(first, second),
    }
    subtree = _stored(list(wanted))
    return {
        "first": first,
        "second": second,
        "first_root": merkle.tree_root(first, subtree).hex(),
        "second_root": merkle.tree_root(second, subtree).hex(),
        "proof": [p.hex() for p in merkle.tree_consistency_proof(first, second, subtree)],
    }


def entries(start: int, end: int) -> dict:
    """Leaves start..end (both included, as RFC 6962's get-entries), at most ENTRIES_PAGE of them and
    none beyond the latest checkpoint: an auditor pages through with the next start."""
    latest = _checkpointed_size()
    if not 0 <= start <= end < latest:
        raise LogError(
            _("Give 0 <= start <= end < %(latest)s (the latest checkpoint's size).") % {"latest": latest},
            field="end" if start >= 0 else "start",
        )
    end = min(end, start + ENTRIES_PAGE - 1)
    rows = LogEntry.objects.filter(index__gte=start, index__lte=end).order_by("index")
    return {
        "start": start,
        "end": end,
        "entries": [
            {"index": index, "leaf": _b64(bytes(leaf)), "leaf_hash": bytes(h).hex()}
            for index, leaf, h in rows.values_list("index", "leaf", "leaf_hash")
        ],
    }


# Recomputing (manage.py verify_log) --------------------------------------------------------------


def recompute(limit: int = 50) -> tuple[int, int, list[str]]:
    """Recompute every leaf hash, every stored node and the root at every checkpoint from the leaves
    alone, and check each checkpoint's text and signature; returns (leaves, checkpoints, problems),
    at most `limit` problems. Reads the log in index order, in chunks, holding O(log n) hashes."""
    problems: list[str] = []

    def problem(message: str) -> None:
        if len(problems) < limit:
            problems.append(message)

    checkpoints = {row.size: row for row in LogCheckpoint.objects.all()}
    public_keys = log_public_keys()
    nodes = LogNode.objects.order_by("key").values_list("key", "hash").iterator(chunk_size=5000)
    frontier = merkle.Frontier()

    def check_checkpoint(size: int) -> None:
        checkpoint = checkpoints.get(size)
        if checkpoint is None:
            return
        root = frontier.root()
        if checkpoint.root_hash != root.hex():
            problem(
                _("checkpoint of size %(size)s states root %(stated)s, the leaves give %(computed)s")
                % {"size": size, "stated": checkpoint.root_hash, "computed": root.hex()}
            )
        body = None
        for public_key in public_keys:
            try:
                body = verify_note(checkpoint.text, public_key)
                break
            except ValueError:
                continue
        if body is None:
            problem(_("checkpoint of size %(size)s: its signature does not verify with a log key") % {"size": size})
        elif body.split("\n")[1:3] != [str(size), base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()]:
            problem(_("checkpoint of size %(size)s: its signed text states another size or root") % {"size": size})

    check_checkpoint(0)
    rows = LogEntry.objects.order_by("index").values_list("index", "leaf", "leaf_hash").iterator(chunk_size=5000)
    for index, leaf, stored_hash in rows:
        if index != frontier.size:
            problem(
                _("leaf %(index)s follows leaf %(previous)s: a gap") % {"index": index, "previous": frontier.size - 1}
            )
            break
        h = merkle.leaf_hash(bytes(leaf))
        if h != bytes(stored_hash):
            problem(_("leaf %(index)s: its stored hash is not the hash of its bytes") % {"index": index})
        for level, node_index, computed in frontier.push(h):
            stored = next(nodes, None)
            if stored is None or stored[0] != node_key(level, node_index) or bytes(stored[1]) != computed:
                problem(
                    _("stored node (level %(level)s, index %(node)s) differs from the leaves' hash")
                    % {"level": level, "node": node_index}
                )
                if stored is not None and stored[0] != node_key(level, node_index):
                    break
        check_checkpoint(frontier.size)
    if next(nodes, None) is not None:
        problem(_("stored nodes beyond the leaves"))
    beyond = sorted(size for size in checkpoints if size > frontier.size)
    if beyond:
        problem(_("checkpoints of sizes beyond the log: %(sizes)s") % {"sizes": ", ".join(map(str, beyond[:5]))})
    return frontier.size, len(checkpoints), problems
