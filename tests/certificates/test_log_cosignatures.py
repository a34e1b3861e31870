"""Witnesses' cosignatures collected and served by the log (certificates.cosignatures): a registered
witness's cosignature accepted, stored once and served after the log's signature (checked here with
code written from C2SP signed-note and tlog-cosignature, not the application's); every refusal a 400
with its reason; the table append-only in PostgreSQL; witness.py --submit against the running
application, and the offline kit requiring the witness on the checkpoint the portal serves."""

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from certificates import keys, transparency, witness
from certificates.models import LogCheckpoint, LogCosignature, LogWitness
from certificates.tasks import sign_log_checkpoint
from tests.certificates.test_offline_kit import download_kit, offline  # noqa: F401 - offline is a fixture
from tests.certificates.test_verification import issue, pdf_of  # noqa: F401 - issue is a fixture

pytestmark = pytest.mark.django_db

NAME = "witness.customs.example/1"
DASH = "\u2014 "
URL = "/api/v1/log/cosignatures/"
TIME = 1796752800  # 2026-12-08 18:00:00 UTC


# C2SP signed-note / tlog-cosignature, written here from the specifications -----------------------------


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def vkey_of(name: str, key: Ed25519PrivateKey, signature_type: int = 0x04) -> str:
    key_hash = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + raw(key)).digest()[:4]
    return f"{name}+{key_hash.hex()}+{base64.b64encode(bytes([signature_type]) + raw(key)).decode()}"


def cosignature_line(body: str, name: str, key: Ed25519PrivateKey, timestamp: int = TIME) -> str:
    """A cosignature/v1 line: base64(key hash of type 0x04 || 8-byte big-endian time || signature of
    "cosignature/v1\\ntime <t>\\n" + body)."""
    key_hash = hashlib.sha256(name.encode() + b"\n\x04" + raw(key)).digest()[:4]
    signature = key.sign(f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode())
    return f"{DASH}{name} {base64.b64encode(key_hash + timestamp.to_bytes(8, 'big') + signature).decode()}"


def split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    body, _, signatures = note.rpartition("\n\n")
    lines = []
    for line in signatures.splitlines():
        assert line.startswith(DASH), line
        name, encoded = line[len(DASH) :].split(" ")
        lines.append((name, base64.b64decode(encoded, validate=True)))
    return body + "\n", lines


def check_note(note: str, vkey: str) -> str:
    """The note's body when it carries a valid signature of the Ed25519 note key `vkey` (type 0x01)."""
    name, hash_hex, encoded = vkey.split("+", 2)
    key_bytes = base64.b64decode(encoded)
    assert key_bytes[0] == 0x01
    body, lines = split(note)
    ours = [sig for signer, sig in lines if signer == name and sig[:4].hex() == hash_hex]
    assert len(ours) == 1, note
    Ed25519PublicKey.from_public_bytes(key_bytes[1:]).verify(ours[0][4:], body.encode())
    return body


def check_cosignature(note: str, vkey: str) -> int:
    """The time of the witness `vkey`'s valid cosignature/v1 on `note` (raises when absent or invalid)."""
    name, hash_hex, encoded = vkey.split("+", 2)
    key_bytes = base64.b64decode(encoded)
    assert key_bytes[0] == 0x04
    body, lines = split(note)
    ours = [sig for signer, sig in lines if signer == name and sig[:4].hex() == hash_hex]
    assert len(ours) == 1 and len(ours[0]) == 76, note
    timestamp = int.from_bytes(ours[0][4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
    Ed25519PublicKey.from_public_bytes(key_bytes[1:]).verify(ours[0][12:], message)
    return timestamp


# Fixtures --------------------------------------------------------------------------------------------


def grow(count: int) -> None:
    with transaction.atomic():
        for n in range(count):
            transparency.append(
                {
                    "v": 1,
                    "event": "statistics",
                    "period": f"2026-{n:04d}",
                    "document_sha256": "ab" * 32,
                    "time": "2026-12-07T17:59:03Z",
                }
            )


@pytest.fixture
def log(keys_dir):
    """A log of 4 entries (3 + the log key's own) under a signed checkpoint; the checkpoint's text."""
    grow(3)
    assert sign_log_checkpoint() is not None
    return transparency.latest_checkpoint().text


@pytest.fixture
def customs():
    """A registered, active witness: (its private key, its vkey)."""
    key = Ed25519PrivateKey.generate()
    vkey = vkey_of(NAME, key)
    LogWitness.objects.create(name=NAME, vkey=vkey)
    return key, vkey


def body_of(note: str) -> str:
    return note.rpartition("\n\n")[0] + "\n"


def post(client, text: str, *, as_json: bool = False):
    if as_json:
        return client.post(URL, {"checkpoint": text}, content_type="application/json")
    return client.post(URL, text.encode(), content_type="text/plain; charset=utf-8")


# Accepted and served ----------------------------------------------------------------------------------


def test_a_registered_witness_is_accepted_stored_once_and_served(log, customs, client):
    key, vkey = customs
    cosigned = log + cosignature_line(body_of(log), NAME, key) + "\n"
    # A line by a key the log does not know rides along and is ignored.
    stranger = cosignature_line(body_of(log), "someone.else/1", Ed25519PrivateKey.generate())

    first = post(client, cosigned + stranger + "\n")
    again = post(client, cosigned, as_json=True)
    size = LogCheckpoint.objects.get().size

    assert first.status_code == 201, first.content
    assert first.json() == {"checkpoint_size": size, "accepted": [NAME]}
    assert again.status_code == 200 and again.json() == first.json()
    stored = LogCosignature.objects.get()
    assert stored.line == cosignature_line(body_of(log), NAME, key)  # Ed25519 is deterministic
    assert stored.timestamp == datetime.fromtimestamp(TIME, tz=UTC)
    assert stored.checkpoint.size == size and stored.witness.name == NAME

    served = client.get(reverse("verify_log_checkpoint"))
    text = served.content.decode()
    assert served.status_code == 200
    assert text == log + stored.line + "\n"  # the log's note unchanged, the cosignature after it
    log_vkey = client.get(reverse("verify_log_key")).content.decode().strip()
    assert check_note(text, log_vkey) == body_of(log)
    assert check_cosignature(text, vkey) == TIME
    # The application's own readers agree: the log's note reader, the witness's.
    assert transparency.verify_note(text, transparency.log_public_key()) == body_of(log)
    assert witness.verify_cosignature(text, witness.parse_vkey(vkey, signature_type=0x04)) == TIME

    page = client.get(reverse("verify"))
    assert f"The latest checkpoint (tree size {size}) is cosigned by 1 witness: {NAME}." in page.content.decode()


def test_an_inactive_witness_is_neither_accepted_nor_served(log, customs, client):
    key, _vkey = customs
    cosigned = log + cosignature_line(body_of(log), NAME, key) + "\n"
    assert post(client, cosigned).status_code == 201
    LogWitness.objects.update(active=False)

    refused = post(client, cosigned)
    served = client.get(reverse("verify_log_checkpoint")).content.decode()
    page = client.get(reverse("verify")).content.decode()

    assert refused.status_code == 400
    assert "no valid cosignature by an active witness registered" in refused.json()["message"]
    assert served == log
    assert "No witness has cosigned the latest checkpoint (tree size 4) yet." in page


def test_a_cosignature_for_a_newer_checkpoint_is_served_only_with_it(log, customs, client):
    key, vkey = customs
    assert post(client, log + cosignature_line(body_of(log), NAME, key) + "\n").status_code == 201
    grow(1)
    sign_log_checkpoint()
    newer = transparency.latest_checkpoint().text

    assert client.get(reverse("verify_log_checkpoint")).content.decode() == newer
    assert post(client, newer + cosignature_line(body_of(newer), NAME, key, TIME + 60) + "\n").status_code == 201
    served = client.get(reverse("verify_log_checkpoint")).content.decode()
    assert check_cosignature(served, vkey) == TIME + 60
    assert LogCosignature.objects.count() == 2


# Refused ---------------------------------------------------------------------------------------------


def refusal(client, text: str, *, as_json: bool = False) -> str:
    response = post(client, text, as_json=as_json)
    assert response.status_code == 400, (response.status_code, response.content)
    return response.json()["message"]


def test_refusals_say_why(log, customs, client, keys_dir):
    key, _vkey = customs
    body = body_of(log)
    good_line = cosignature_line(body, NAME, key)

    # A witness the log does not know (same name, another key), and no cosignature at all.
    unknown = refusal(client, log + cosignature_line(body, NAME, Ed25519PrivateKey.generate()) + "\n")
    bare = refusal(client, log)
    # A cosignature over another body, attached to the log's note.
    other_body = body.replace("\ntime ", "\ntime 1", 1)
    over_other = refusal(client, log + cosignature_line(other_body, NAME, key) + "\n")
    # A checkpoint the log never signed: another root, signed with the log's real key.
    lines = body.split("\n")
    lines[2] = base64.b64encode(b"\x07" * 32).decode()
    never = "\n".join(lines)
    real_key = keys.load_log_key().key
    never_signed = transparency.sign_note(never, key=real_key)
    not_ours = refusal(client, never_signed + cosignature_line(never, NAME, key) + "\n")
    # Our checkpoint's body with a forged log signature (another key under the log's name).
    forged = transparency.sign_note(body, key=Ed25519PrivateKey.generate())
    forged_log = refusal(client, forged + good_line + "\n")
    # Garbage of every kind.
    garbage = [
        refusal(client, "hello"),
        refusal(client, log.replace("\n\n", "\n")),
        refusal(client, log + f"{DASH}{NAME} !!!notbase64\n"),
        refusal(client, "x\n" * 40000),
        refusal(client, "a\n\n" + good_line + "\n"),
        refusal(client, body + "\n" + good_line + "\n"),  # the log's signature missing
        refusal(client, "3", as_json=True),
    ]
    no_field = client.post(URL, {"note": log}, content_type="application/json")
    not_utf8 = client.post(URL, b"\xff\xfe" + log.encode(), content_type="text/plain")
    wrong_type = client.post(URL, log.encode(), content_type="application/octet-stream")

    assert "no valid cosignature by an active witness registered" in unknown
    assert "no valid cosignature by an active witness registered" in bare
    assert "no valid cosignature by an active witness registered" in over_other
    assert not_ours == "This is not a checkpoint this log signed."
    assert forged_log == "The checkpoint does not carry the log's valid signature."
    assert garbage[0].startswith("The cosigned checkpoint is not a signed note")
    assert garbage[1].startswith("The cosigned checkpoint is not a signed note")
    assert garbage[2].startswith("The cosigned checkpoint is not a signed note")
    assert garbage[3].startswith("The cosigned checkpoint is too long")
    assert garbage[4] == "The note is not a checkpoint: its second line is not a tree size."
    assert garbage[5] == "The checkpoint does not carry the log's valid signature."
    assert garbage[6].startswith("The cosigned checkpoint is not a signed note")
    assert no_field.status_code == 400 and no_field.json()["message"]
    assert not_utf8.status_code == 400 and "UTF-8" in not_utf8.json()["message"]
    assert wrong_type.status_code == 415
    assert LogCosignature.objects.count() == 0


def test_a_witness_vkey_must_be_a_cosigning_key_under_its_name():
    key = Ed25519PrivateKey.generate()
    with pytest.raises(ValidationError, match="type 0x04"):
        LogWitness(name=NAME, vkey=vkey_of(NAME, key, 0x01)).full_clean()
    with pytest.raises(ValidationError, match="must be the verifier key's name"):
        LogWitness(name="another/1", vkey=vkey_of(NAME, key)).full_clean()
    LogWitness(name=NAME, vkey=vkey_of(NAME, key)).full_clean()


def test_cosignatures_are_append_only_through_the_orm(log, customs, client):
    key, _vkey = customs
    assert post(client, log + cosignature_line(body_of(log), NAME, key) + "\n").status_code == 201
    stored = LogCosignature.objects.get()
    with pytest.raises(PermissionError):
        LogCosignature.objects.all().update(line="x")
    with pytest.raises(PermissionError):
        stored.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "statement",
    ["UPDATE certificates_logcosignature SET line = 'x'", "DELETE FROM certificates_logcosignature"],
)
def test_the_database_refuses_raw_updates_and_deletes(log, customs, client, statement):
    key, _vkey = customs
    assert post(client, log + cosignature_line(body_of(log), NAME, key) + "\n").status_code == 201
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert LogCosignature.objects.get().line == cosignature_line(body_of(log), NAME, key)


# The witness and the kit against the running application -------------------------------------------


# The live server answers from its own thread: a transactional database, and serialized_rollback brings
# back what the data migrations load (roles, materials) after the flush, as for the browser journeys
# (a flush without it also leaves the content types renumbered for every later transactional test).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_witness_submits_and_the_kit_requires_it_on_the_served_checkpoint(
    live_server,
    client,
    issue,  # noqa: F811
    offline,  # noqa: F811
    tmp_path,
):
    certificate = issue()
    assert sign_log_checkpoint() is not None
    vkey = client.get("/verify/log/key").content.decode().strip()
    operator = tmp_path / "customs"
    operator.mkdir()
    shutil.copy(witness.__file__, operator / "witness.py")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "witness.py", *args], cwd=operator, capture_output=True, text=True, timeout=60
        )

    made = run("keygen", "--key", "w.pem", "--name", NAME)
    assert made.returncode == 0, made.stderr
    witness_vkey = made.stdout.strip()
    args = ["--log", live_server.url, "--log-key", vkey, "--state", "state", "--key", "w.pem", "--name", NAME]

    # Not registered yet: the run cosigns and keeps its state, the submission is refused (9).
    unregistered = run(*args, "--submit")
    assert unregistered.returncode == witness.EXIT_CODES["submit"] == 9, unregistered.stderr
    assert "SUBMIT: " in unregistered.stderr and "HTTP 400" in unregistered.stderr
    assert "no valid cosignature by an active witness registered" in unregistered.stderr
    assert (operator / "state" / "checkpoint").read_text() == unregistered.stdout
    assert LogCosignature.objects.count() == 0

    LogWitness.objects.create(name=NAME, vkey=witness_vkey)
    submitted = run(*args, "--submit")  # nothing new since: the kept cosigned checkpoint is submitted
    size = transparency.latest_checkpoint().size
    assert submitted.returncode == 0, submitted.stderr
    assert f"SUBMITTED: tree size {size}: accepted by {NAME}" in submitted.stderr
    stored = LogCosignature.objects.get()
    assert stored.witness.name == NAME and stored.checkpoint.size == size

    served = client.get("/verify/log/checkpoint").content.decode()
    assert served == transparency.latest_checkpoint().text + stored.line + "\n"
    assert check_cosignature(served, witness_vkey) == check_cosignature(submitted.stdout, witness_vkey)

    # The inspector holds what the portal serves and requires the witness's cosignature on it.
    kit = download_kit(client, tmp_path / "inspector")
    (kit / "certificate.pdf").write_bytes(pdf_of(certificate))
    (kit / "proof.json").write_bytes(client.get(f"/api/v1/log/inclusion/{certificate.number}/").content)
    (kit / "checkpoint.txt").write_text(served)
    checked = offline(
        "verifier.py", "certificate.pdf", "--inclusion", "proof.json", "--checkpoint", "checkpoint.txt",
        "--keys", ".", "--witness", witness_vkey, cwd=kit,
    )  # fmt: skip
    proof = json.loads((kit / "proof.json").read_text())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"(entry {proof['leaf_index']} of {size})" in checked.stdout.splitlines()[0]
    assert f"  cosigned by witness {NAME}+" in checked.stdout
    # Without the cosignature the same requirement fails: the served line is what the kit checked.
    (kit / "checkpoint.txt").write_text(transparency.latest_checkpoint().text)
    bare = offline(
        "verifier.py", "certificate.pdf", "--inclusion", "proof.json", "--checkpoint", "checkpoint.txt",
        "--keys", ".", "--witness", witness_vkey, cwd=kit,
    )  # fmt: skip
    assert bare.returncode == 14, bare.stdout


def test_submit_reports_a_log_out_of_reach(tmp_path):
    with pytest.raises(witness.SubmitError, match="cannot be reached to submit"):
        witness.submit("http://127.0.0.1:9/", "note\n", timeout=2)
