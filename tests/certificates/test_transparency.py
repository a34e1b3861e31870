"""The transparency log in the database (certificates.transparency): appends, stored proofs checked
against the independent RFC 9162 implementation of test_transparency_merkle, signed checkpoints, the
public endpoints and their refusals, verify_log, and the append-only rule."""

import base64
import hashlib
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from certificates import merkle, publication, transparency, verifier
from certificates.models import LogCheckpoint, LogEntry, LogNode, SigningKey
from certificates.tasks import sign_log_checkpoint
from tests.certificates.test_transparency_merkle import mth, path, subproof

pytestmark = pytest.mark.django_db


def statistics(n: int) -> dict:
    return {"v": 1, "event": "statistics", "period": f"2026-{n:04d}", "document_sha256": "ab" * 32,
            "time": "2026-12-07T17:59:03Z"}  # fmt: skip


def grow(count: int) -> None:
    with transaction.atomic():
        for n in range(count):
            transparency.append(statistics(n))


def leaves() -> list[bytes]:
    return [bytes(leaf) for leaf in LogEntry.objects.order_by("index").values_list("leaf", flat=True)]


def test_appends_are_dense_and_stored_proofs_are_the_rfcs(keys_dir, client):
    # Appends in several transactions, the batch path too: indexes 0.. without a gap.
    grow(5)
    with transaction.atomic():
        transparency.append_many([(statistics(100 + n), None) for n in range(30)])
    grow(2)
    sign_log_checkpoint()  # the log key's own key-added leaf goes in first
    d = leaves()
    size = len(d)
    assert list(LogEntry.objects.values_list("index", flat=True)) == list(range(size)) and size == 38
    checkpoint = transparency.latest_checkpoint()
    assert (checkpoint.size, checkpoint.root_hash) == (size, mth(d).hex())
    # Every consistency proof between sizes up to the checkpoint, through the API, as the RFC makes it.
    for second in range(1, size + 1):
        for first in range(1, second + 1):
            got = transparency.consistency(first, second)
            assert got["proof"] == [h.hex() for h in subproof(first, d[:second], True)], (first, second)
            assert (got["first_root"], got["second_root"]) == (mth(d[:first]).hex(), mth(d[:second]).hex())
    answer = client.get(reverse("api_log_consistency"), {"first": 3, "second": size}).json()
    assert answer["proof"] == [h.hex() for h in subproof(3, d, True)]
    # Every stored inclusion path (the API answers them for certificates; the function for any leaf).
    for index in range(size):
        wanted = merkle.subtrees_for_inclusion(index, size)
        stored = merkle.tree_inclusion_path(index, size, transparency._stored(wanted))
        assert stored == path(index, d), index
    assert transparency.recompute() == (size, 1, [])


def test_a_checkpoint_is_signed_only_when_the_log_grew(keys_dir):
    grow(3)
    first = sign_log_checkpoint()
    assert first == 4  # three leaves and the log key's key-added
    assert sign_log_checkpoint() is None
    grow(1)
    assert sign_log_checkpoint() == 5
    assert list(LogCheckpoint.objects.order_by("size").values_list("size", flat=True)) == [4, 5]
    # The pending mark that batches appends is cleared by the task that covers them.
    with transaction.atomic():
        transparency.append(statistics(9))
    assert LogEntry.objects.count() == 6


def test_the_checkpoint_is_a_c2sp_signed_note_by_the_published_log_key(keys_dir, client, settings):
    grow(2)
    sign_log_checkpoint()
    text = client.get(reverse("verify_log_checkpoint"))
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    note = text.content.decode()
    body, signature_line = note.split("\n\n")
    origin = settings.LIMS_LOG_ORIGIN
    lines = body.split("\n")
    size, root = int(lines[1]), base64.b64decode(lines[2])
    assert lines[0] == origin and size == 3 and root == merkle.root([merkle.leaf_hash(leaf) for leaf in leaves()])
    assert lines[3].startswith("time ") and lines[3].endswith("Z")
    dash, name, encoded = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", origin)
    raw = base64.b64decode(encoded)
    # The key as published in keys.json (kind "log", signed by the status key) verifies it.
    publication.publish()
    key_set = verifier.load_key_set(json.loads(publication.published_file("keys")))
    (log_key,) = key_set.public_keys("log").values()
    public = log_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw[:4] == hashlib.sha256(origin.encode() + b"\n\x01" + public).digest()[:4]
    log_key.verify(raw[4:], (body + "\n").encode())
    # And the C2SP vkey at /verify/log/key names the same key.
    vkey = client.get(reverse("verify_log_key")).content.decode().strip()
    encoded_key = base64.b64encode(b"\x01" + public).decode()
    assert vkey == f"{origin}+{raw[:4].hex()}+{encoded_key}"


def test_the_log_refuses_what_it_cannot_answer(keys_dir, client):
    missing = client.get(reverse("verify_log_checkpoint"))
    assert missing.status_code == 404 and "no signed checkpoint" in missing.content.decode()
    grow(4)
    sign_log_checkpoint()  # size 5
    cases = [
        ({"first": 0, "second": 3}, "first"),
        ({"first": 4, "second": 3}, "second"),
        ({"first": 2, "second": 6}, "second"),
        ({"first": "x", "second": 3}, "first"),
        ({"second": 3}, "first"),
    ]
    for query, field in cases:
        answer = client.get(reverse("api_log_consistency"), query)
        assert answer.status_code == 400, query
        extra = answer.json()["extra"]
        # Out of range: the service names the field; not a number: the serializer lists it.
        assert answer.json()["message"] and field in (extra.get("field"), *extra.get("fields", {})), query
    for query in ({"start": 0, "end": 5}, {"start": 3, "end": 2}, {"start": -1, "end": 2}):
        answer = client.get(reverse("api_log_entries"), query)
        assert answer.status_code == 400 and answer.json()["message"], query
    unknown = client.get(reverse("api_log_inclusion", kwargs={"number": "KZL-2026-999999"}))
    assert unknown.status_code == 404 and "KZL-2026-999999" in unknown.json()["message"]
    malformed = client.get(reverse("api_log_inclusion", kwargs={"number": "bad!number"}))
    assert malformed.status_code == 400 and malformed.json()["extra"]["field"] == "number"


def test_entries_page_through_the_leaves(keys_dir, client):
    grow(6)
    sign_log_checkpoint()
    answer = client.get(reverse("api_log_entries"), {"start": 2, "end": 4}).json()
    assert [e["index"] for e in answer["entries"]] == [2, 3, 4] and answer["end"] == 4
    for entry in answer["entries"]:
        leaf = base64.b64decode(entry["leaf"])
        assert json.loads(leaf) == statistics(entry["index"])
        assert entry["leaf_hash"] == hashlib.sha256(b"\x00" + leaf).hexdigest()


def test_the_log_is_append_only_through_the_orm(keys_dir):
    grow(1)
    entry = LogEntry.objects.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        LogEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        LogNode.objects.all().update(hash=b"x")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE certificates_logentry SET leaf = 'x'::bytea",
        "DELETE FROM certificates_logentry",
        "UPDATE certificates_lognode SET hash = 'x'::bytea",
        "DELETE FROM certificates_lognode",
        "UPDATE certificates_logcheckpoint SET root_hash = 'x'",
        "DELETE FROM certificates_logcheckpoint",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(keys_dir, statement):
    grow(2)
    sign_log_checkpoint()
    from django.db import DatabaseError

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert LogEntry.objects.count() == 3 and LogCheckpoint.objects.count() == 1


def _tamper(sql: str, params: list) -> None:
    """Change the log behind the application's back: on PostgreSQL with triggers off for the rest of
    this test's transaction (SET LOCAL, as a superuser could; rolled back with the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_verify_log_passes_a_whole_log(keys_dir):
    grow(9)
    sign_log_checkpoint()
    grow(3)
    sign_log_checkpoint()
    out = StringIO()
    call_command("verify_log", stdout=out)
    assert "13 leaves, 2 checkpoints" in out.getvalue()


@pytest.mark.parametrize(
    ("sql", "params", "found"),
    [
        # A leaf rewritten with its hash: the nodes and the checkpoint no longer agree.
        ('UPDATE certificates_logentry SET leaf = %s, leaf_hash = %s WHERE "index" = 3', "rewrite", "differs"),
        # A leaf rewritten without its hash.
        ('UPDATE certificates_logentry SET leaf = %s WHERE "index" = 5', "leaf", "stored hash"),
        # A stored node replaced: proofs would lie, verify_log sees it.
        ("UPDATE certificates_lognode SET hash = %s WHERE key = %s", "node", "differs"),
        # A checkpoint's root changed.
        ("UPDATE certificates_logcheckpoint SET root_hash = %s", "root", "states root"),
    ],
)
def test_verify_log_catches_tampering(keys_dir, sql, params, found):
    grow(9)
    sign_log_checkpoint()
    forged = transparency.canonical(statistics(77))
    values = {
        "rewrite": [forged, merkle.leaf_hash(forged)],
        "leaf": [forged],
        "node": [b"\x00" * 32, transparency.node_key(1, 1)],
        "root": ["00" * 32],
    }[params]
    _tamper(sql, values)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_log", stderr=err)
    assert found in err.getvalue()


def test_a_rolled_back_append_leaves_no_leaf(keys_dir):
    grow(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        transparency.append(statistics(5))
        raise RuntimeError("the event failed")
    grow(1)
    assert list(LogEntry.objects.values_list("index", flat=True)) == [0, 1, 2]
    assert json.loads(leaves()[2]) == statistics(0)


def test_key_records_are_logged(keys_dir):
    record = publication.record_key(
        "0011223344556677",
        SigningKey.Kind.TOKEN,
        _pem_of_new_key(),
    )
    # A key already on record is not logged again.
    publication.record_key(record.kid, SigningKey.Kind.TOKEN, record.public_pem)
    (leaf,) = [json.loads(leaf) for leaf in leaves()]
    assert leaf["event"] == "key-added" and leaf["kid"] == record.kid and leaf["kind"] == "token"
    assert leaf["public_key_sha256"] == transparency.public_key_sha256(record)


def _pem_of_new_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
