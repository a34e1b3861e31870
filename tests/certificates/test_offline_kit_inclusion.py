"""The offline kit's transparency log check: `verifier.py CERT.pdf --inclusion proof.json [--checkpoint
FILE] (--keys DIR | --log-key VKEY)` run as an inspector runs it (the one file copied alone, no network,
nothing of the LIMS importable), against proofs of a log built here with the log's own code, then
against the real application's log at the end, with the witness too."""

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import keys, status_list, transparency, verifier, witness
from certificates.tasks import sign_log_checkpoint
from tests.certificates.log_builders import Log, LogServer, event_leaves, issued_leaf, leaf_bytes
from tests.certificates.test_offline_kit import download_kit, offline  # noqa: F401 - offline is a fixture
from tests.certificates.test_verification import issue, pdf_of  # noqa: F401 - issue is a fixture

PDF = b"%PDF-1.7\n% the certificate as the inspector holds it\n%%EOF\n"
NUMBER = "KZL-2026-000417"
# The verdict lines of the kit (exit status, first line).
LOGGED = (
    f"LOGGED: {NUMBER}: this PDF's issue is in the laboratory's transparency log (entry 3 of 6), under a "
    "checkpoint signed by the log key"
)


def pem(key: Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


def key_set(*, log_key: Ed25519PrivateKey | None) -> dict:
    """keys.json as the publication task signs it, with a log key (kind "log") or without."""
    status = Ed25519PrivateKey.generate()
    entries = [
        {"kid": verifier.key_id(key.public_key()), "kind": kind, "state": "current", "public": pem(key)}
        for kind, key in (("status", status), ("log", log_key))
        if key is not None
    ]
    return status_list.sign_key_set(
        issuer="KZL",
        sequence=1,
        issued_at=datetime(2026, 12, 7, tzinfo=UTC),
        keys=entries,
        key=status,
        kid=verifier.key_id(status.public_key()),
    )


@pytest.fixture
def inspector(tmp_path):
    """A folder with verifier.py alone, the certificate, a log of six entries whose fourth (index 3)
    is the certificate's issue, its inclusion proof and checkpoint, and keys.json with the log key."""
    folder = tmp_path / "inspector"
    folder.mkdir()
    shutil.copy(verifier.__file__, folder / "verifier.py")
    log = Log(leaves=[*event_leaves(3), issued_leaf(NUMBER, PDF), *event_leaves(2, start=4)])
    (folder / "certificate.pdf").write_bytes(PDF)
    (folder / "proof.json").write_text(json.dumps(log.inclusion(3)))
    (folder / "checkpoint.txt").write_text(log.checkpoint())
    (folder / "keys.json").write_text(json.dumps(key_set(log_key=log.key)))
    return folder, log


def check(offline, folder: Path, *args: str) -> subprocess.CompletedProcess:  # noqa: F811
    return offline("verifier.py", "certificate.pdf", "--inclusion", "proof.json", *args, cwd=folder)


def test_a_good_proof_passes_offline_with_the_log_key_or_the_key_set(inspector, offline):  # noqa: F811
    folder, log = inspector

    with_vkey = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)
    with_keys = check(offline, folder, "--checkpoint", "checkpoint.txt", "--keys", ".")
    # Without --checkpoint, the one the proof carries.
    proofs_own = check(offline, folder, "--keys", "keys.json")

    for result in (with_vkey, with_keys, proofs_own):
        assert result.returncode == verifier.EXIT_CODES["logged"] == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[0] == LOGGED
        assert result.stderr == ""
    lines = with_vkey.stdout.splitlines()
    assert "  log entry: no. 3 in a tree of 6 entries" in lines
    assert f"  checkpoint: lab.example/log, tree size 6, root {log.root().hex()}" in lines
    assert f"  log key: {'+'.join(log.vkey.split('+')[:2])}" in lines
    assert f"  log key: {verifier.key_id(log.key.public_key())}" in with_keys.stdout.splitlines()


def test_a_checkpoint_cosigned_by_a_witness_and_the_witness_required(inspector, offline):  # noqa: F811
    folder, log = inspector
    customs, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    customs_vkey = witness.witness_key("witness.customs.example/1", customs).vkey
    checkpoint = witness.parse_checkpoint(log.checkpoint(), witness.parse_vkey(log.vkey))
    (folder / "checkpoint.txt").write_text(
        witness.cosign(checkpoint, customs, "witness.customs.example/1", timestamp=1796752800)
    )
    # Other signatures on a note are left alone: the kit needs no witness key to read it.
    unrequired = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)
    required = check(
        offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey, "--witness", customs_vkey
    )
    (folder / "checkpoint.txt").write_text(
        witness.cosign(checkpoint, other, "witness.customs.example/1", timestamp=1796752800)
    )
    by_another_key = check(offline, folder, "--checkpoint", "checkpoint.txt", "--keys", ".", "--witness", customs_vkey)
    (folder / "checkpoint.txt").write_text(log.checkpoint())
    uncosigned = check(offline, folder, "--checkpoint", "checkpoint.txt", "--keys", ".", "--witness", customs_vkey)

    assert unrequired.returncode == required.returncode == 0, required.stdout
    assert unrequired.stdout.splitlines()[0] == required.stdout.splitlines()[0] == LOGGED
    label = "+".join(customs_vkey.split("+")[:2])
    assert f"  cosigned by witness {label}: 2026-12-08 18:00:00 UTC" in required.stdout.splitlines()
    for result in (by_another_key, uncosigned):
        assert result.returncode == verifier.EXIT_CODES["bad_checkpoint"] == 14
        assert result.stdout.startswith(
            f"BAD_CHECKPOINT: {NUMBER}: the checkpoint carries no cosignature of witness witness.customs.example/1+"
        )


def test_another_pdf_is_not_the_logged_one(inspector, offline):  # noqa: F811
    folder, log = inspector
    (folder / "certificate.pdf").write_bytes(PDF.replace(b"inspector", b"forger"))

    result = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)

    assert result.returncode == verifier.EXIT_CODES["other_document"] == 13
    assert result.stdout.startswith(f"OTHER_DOCUMENT: {NUMBER}: the log records another PDF for certificate {NUMBER}")


def test_a_proof_of_another_event_or_number_is_not_this_certificates_issue(inspector, offline):  # noqa: F811
    folder, _ = inspector
    revoked = json.loads(issued_leaf(NUMBER, PDF))
    log = Log(leaves=[*event_leaves(2), leaf_bytes({**revoked, "event": "revoked"})])
    (folder / "proof.json").write_text(json.dumps(log.inclusion(2)))

    other_event = check(offline, folder, "--log-key", log.vkey)
    (folder / "proof.json").write_text(json.dumps(log.inclusion(1)))
    other_number = check(offline, folder, "--log-key", log.vkey, "--number", NUMBER)

    assert other_event.returncode == 13
    assert other_event.stdout.startswith(
        f"OTHER_DOCUMENT: {NUMBER}: the log entry records the event 'revoked' of certificate {NUMBER}, not its issue"
    )
    assert other_number.returncode == 13
    assert other_number.stdout.startswith(
        f"OTHER_DOCUMENT: KZL-2026-000001: the log entry is the issue of certificate KZL-2026-000001, not of "
        f"certificate {NUMBER}"
    )


def test_a_proof_of_another_root_or_tree_fails_against_the_checkpoint(inspector, offline):  # noqa: F811
    folder, log = inspector
    proof = json.loads((folder / "proof.json").read_text())
    (folder / "proof.json").write_text(json.dumps({**proof, "root_hash": "ab" * 32}))
    wrong_root = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)
    # A genuine proof against a later genuine checkpoint: another tree than the proof's.
    (folder / "proof.json").write_text(json.dumps(proof))
    log.leaves += event_leaves(1, start=9)
    (folder / "checkpoint.txt").write_text(log.checkpoint())
    later_checkpoint = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)

    assert wrong_root.returncode == verifier.EXIT_CODES["not_logged"] == 12
    assert wrong_root.stdout.startswith(
        f"NOT_LOGGED: {NUMBER}: the inclusion proof is for the tree of 6 entries with root {'ab' * 32}, not the "
        "checkpoint's"
    )
    assert later_checkpoint.returncode == 12
    assert "the inclusion proof is for the tree of 6 entries" in later_checkpoint.stdout


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path: [path[0][:-1] + ("0" if path[0][-1] != "0" else "1"), *path[1:]],  # a hash changed
        lambda path: path[:-1],  # a hash dropped
        lambda path: list(reversed(path)),  # reordered
        lambda path: [*path, "00" * 32],  # one added
    ],
)
def test_a_tampered_audit_path_fails(inspector, offline, tamper):  # noqa: F811
    folder, log = inspector
    proof = json.loads((folder / "proof.json").read_text())
    (folder / "proof.json").write_text(json.dumps({**proof, "audit_path": tamper(proof["audit_path"])}))

    result = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)

    assert result.returncode == 12, result.stdout
    assert result.stdout.startswith(
        f"NOT_LOGGED: {NUMBER}: the audit path does not lead from the entry to the checkpoint's root hash"
    )


def test_a_checkpoint_not_signed_by_the_log_key_is_refused(inspector, offline):  # noqa: F811
    folder, log = inspector
    (folder / "checkpoint.txt").write_text(log.checkpoint(signer=Ed25519PrivateKey.generate()))
    other_key = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)
    with_keys = check(offline, folder, "--checkpoint", "checkpoint.txt", "--keys", ".")
    (folder / "checkpoint.txt").write_text(log.checkpoint().replace("\n6\n", "\n7\n", 1))
    changed = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)

    assert other_key.returncode == with_keys.returncode == verifier.EXIT_CODES["bad_checkpoint"] == 14
    assert other_key.stdout.startswith(f"BAD_CHECKPOINT: {NUMBER}: the checkpoint is not signed by the log key (")
    assert with_keys.stdout.startswith(f"BAD_CHECKPOINT: {NUMBER}: the checkpoint is not signed by the log key (")
    assert changed.returncode == 14
    assert changed.stdout.startswith(
        f"BAD_CHECKPOINT: {NUMBER}: the checkpoint's signature by the log key does not verify"
    )


def test_no_log_key_or_no_proof_is_said_so(inspector, offline):  # noqa: F811
    folder, log = inspector
    (folder / "keys.json").write_text(json.dumps(key_set(log_key=None)))
    no_log_key = check(offline, folder, "--keys", ".")
    bad_vkey = check(offline, folder, "--log-key", log.vkey.replace("+", "+0", 1))
    (folder / "proof.json").write_text('{"leaf_index": "three"}')
    malformed = check(offline, folder, "--checkpoint", "checkpoint.txt", "--log-key", log.vkey)
    no_checkpoint = check(offline, folder, "--log-key", log.vkey)

    assert no_log_key.returncode == bad_vkey.returncode == verifier.EXIT_KEYS == 8
    assert no_log_key.stdout.startswith("CANNOT VERIFY: the key set has no log key")
    assert bad_vkey.stdout.startswith("CANNOT VERIFY: the log or witness key cannot be used: a verifier key reads")
    assert malformed.returncode == verifier.EXIT_CODES["invalid"] == 7
    assert malformed.stdout.startswith("INVALID: unknown certificate: the inclusion proof is malformed: leaf_index")
    assert no_checkpoint.returncode == 7
    assert no_checkpoint.stdout.startswith("INVALID: unknown certificate: the inclusion proof carries no checkpoint")


@pytest.mark.parametrize(
    ("lang", "first_line"),
    [
        ("ru", f"LOGGED: {NUMBER}: выдача этого PDF записана в журнале прозрачности лаборатории (запись 3 из 6)"),
        ("kk", f"LOGGED: {NUMBER}: бұл PDF файлының берілуі зертхананың ашықтық журналына жазылған"),
    ],
)
def test_the_log_verdict_in_russian_and_kazakh(inspector, offline, lang, first_line):  # noqa: F811
    folder, log = inspector

    result = check(offline, folder, "--log-key", log.vkey, "--lang", lang)

    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith(first_line)
    assert ("  запись журнала: № 3" if lang == "ru" else "  журнал жазбасы: ") in result.stdout


# The real application -------------------------------------------------------------------------------


# The live server answers from its own thread: a transactional database, and serialized_rollback brings
# back what the data migrations load (roles, materials) after the flush, as for the browser journeys
# (a flush without it also leaves the content types renumbered for every later transactional test).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_real_log_verified_by_the_kit_offline_and_witnessed_with_a_fork_caught(
    live_server,
    client,
    issue,  # noqa: F811
    offline,  # noqa: F811
    tmp_path,
):
    # Certificates issued by the real pipeline, a checkpoint signed by the task, the kit downloaded
    # (keys.json now lists the log key), the proof and checkpoint from the public addresses.
    first, second = issue(), issue()
    assert sign_log_checkpoint() is not None
    kit = download_kit(client, tmp_path / "inspector")
    (kit / "certificate.pdf").write_bytes(pdf_of(second))
    (kit / "proof.json").write_bytes(client.get(f"/api/v1/log/inclusion/{second.number}/").content)
    (kit / "checkpoint.txt").write_bytes(client.get("/verify/log/checkpoint").content)
    vkey = client.get("/verify/log/key").content.decode().strip()
    assert vkey == transparency.verifier_key()

    with_keys = check(offline, kit, "--checkpoint", "checkpoint.txt", "--keys", ".")
    with_vkey = check(offline, kit, "--checkpoint", "checkpoint.txt", "--log-key", vkey)
    (kit / "certificate.pdf").write_bytes(pdf_of(first))
    other_pdf = check(offline, kit, "--checkpoint", "checkpoint.txt", "--keys", ".")
    # The whole kit still gives its PDF verdict with a log key in keys.json.
    (kit / "certificate.pdf").write_bytes(pdf_of(second))
    authentic = offline("verifier.py", "certificate.pdf", "--keys", ".", cwd=kit)

    proof = json.loads((kit / "proof.json").read_text())
    for result in (with_keys, with_vkey):
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith(
            f"LOGGED: {second.number}: this PDF's issue is in the laboratory's transparency log (entry "
            f"{proof['leaf_index']} of {proof['tree_size']})"
        )
    assert other_pdf.returncode == 13
    assert other_pdf.stdout.startswith(f"OTHER_DOCUMENT: {second.number}: the log records another PDF")
    assert authentic.returncode == 0, authentic.stdout

    # The witness, copied alone, against the real application: first run, growth, nothing new.
    operator = tmp_path / "customs"
    operator.mkdir()
    shutil.copy(witness.__file__, operator / "witness.py")
    name = "witness.customs.example/1"

    def run_witness(log_url: str) -> subprocess.CompletedProcess:
        args = ["--log", log_url, "--log-key", vkey, "--state", "state", "--key", "w.pem", "--name", name]
        return subprocess.run(
            [sys.executable, "witness.py", *args], cwd=operator, capture_output=True, text=True, timeout=60
        )

    keygen = ["keygen", "--key", "w.pem", "--name", name]
    made = subprocess.run([sys.executable, "witness.py", *keygen], cwd=operator, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    seen = run_witness(live_server.url)
    issue()
    size = sign_log_checkpoint()
    grown = run_witness(live_server.url)
    again = run_witness(live_server.url)

    real = transparency.latest_checkpoint()
    origin = real.text.splitlines()[0]
    assert seen.returncode == 0, seen.stderr
    assert seen.stderr.startswith(f"COSIGNED: {origin}: tree size {proof['tree_size']}, the first checkpoint")
    assert grown.returncode == 0, grown.stderr
    assert grown.stderr.startswith(
        f"COSIGNED: {origin}: tree size {size} (was {proof['tree_size']}), consistency proof verified"
    )
    assert real.size == size
    assert grown.stdout.startswith(real.text)
    assert again.returncode == 0
    assert again.stderr.startswith(f"UNCHANGED: {origin}: tree size {size}")

    # The inspector holds the checkpoint the witness cosigned and requires its cosignature.
    (kit / "proof.json").write_bytes(client.get(f"/api/v1/log/inclusion/{second.number}/").content)
    (kit / "checkpoint.txt").write_text(grown.stdout)
    witnessed = check(offline, kit, "--checkpoint", "checkpoint.txt", "--keys", ".", "--witness", made.stdout.strip())

    assert witnessed.returncode == 0, witnessed.stdout
    assert f"(entry {proof['leaf_index']} of {size})" in witnessed.stdout.splitlines()[0]
    assert f"  cosigned by witness {name}+" in witnessed.stdout

    # A fork: another tree of the same size, its checkpoint signed with the log's real key by the
    # log's own code (transparency.sign_note), shown to the witness that cosigned the real one.
    forked = Log(key=keys.load_log_key().key, origin=origin, leaves=event_leaves(size, tag=" forked"))
    with LogServer(forked) as server:
        fork = run_witness(server.url)

    assert fork.returncode == witness.EXIT_CODES["fork"] == 7, fork.stderr
    assert fork.stderr.startswith(
        f"FORK: {origin}: two different trees of size {size} signed by the log key (root {real.root_hash} seen before"
    )
    assert (operator / "state" / "checkpoint").read_text() == grown.stdout
