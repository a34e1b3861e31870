"""The witness as a customs service runs it: witness.py copied on its own into a folder, nothing of the
LIMS importable, run as a program against a log served over HTTP (a server in a thread, or the real
application at the end), for every outcome: a good sequence cosigned, nothing new, a fork, a rollback,
a tampered proof, a checkpoint signed by another key, a log out of reach, a state edited by hand."""

import base64
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates import merkle, witness
from tests.certificates.log_builders import Log, LogServer, event_leaves

WITNESS = Path(witness.__file__)
NAME = "witness.customs.example/1"
# Loaded by every interpreter started below: importing anything of the LIMS raises.
IMPORT_GUARD = """
import os, sys

class _Blocked:
    blocked = set(os.environ.get("BLOCKED_IMPORTS", "").split(","))

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError(f"the witness imported {name}")

sys.meta_path.insert(0, _Blocked())
"""


@pytest.fixture
def operator(tmp_path):
    """A folder with witness.py alone and a witness key made by `witness.py keygen`; run(...) runs the
    witness there with the LIMS's packages blocked. Returns (run, folder, the witness's vkey)."""
    folder = tmp_path / "customs"
    folder.mkdir()
    shutil.copy(WITNESS, folder / "witness.py")
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(IMPORT_GUARD)

    def run(*args) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(guard), "BLOCKED_IMPORTS": "django,lims,certificates"}
        return subprocess.run(
            [sys.executable, "witness.py", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60
        )

    made = run("keygen", "--key", "witness-key.pem", "--name", NAME)
    assert made.returncode == 0, made.stderr
    return run, folder, made.stdout.strip()


def witness_run(run, server: LogServer, log: Log) -> subprocess.CompletedProcess:
    return run(
        "--log", server.url, "--log-key", log.vkey, "--state", "state", "--key", "witness-key.pem", "--name", NAME
    )


def cosignature_time(note: str, witness_vkey: str) -> int:
    """Check the witness's cosignature on `note` as C2SP tlog-cosignature defines it, independently of
    witness.py: the key hash of type 0x04, then the time and the Ed25519 signature over
    "cosignature/v1\\ntime <t>\\n" + the checkpoint body. Returns the time."""
    name, hash_hex, encoded = witness_vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x04
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == hash_hex
    body, signatures = note.split("\n\n")
    lines = [line for line in signatures.splitlines() if line.startswith(f"\u2014 {name} ")]
    assert len(lines) == 1, note
    signature = base64.b64decode(lines[0].split(" ")[2])
    assert signature[:4].hex() == hash_hex
    timestamp = int.from_bytes(signature[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}\n".encode()
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signature[12:], message)  # raises when it does not verify
    return timestamp


def test_a_good_sequence_is_cosigned_and_each_cosignature_verifies(operator):
    run, folder, witness_vkey = operator
    log = Log(leaves=event_leaves(3))
    with LogServer(log) as server:
        first = witness_run(run, server, log)

        # The first checkpoint is trusted as it is, cosigned and kept.
        assert first.returncode == 0, first.stderr
        assert first.stderr.startswith("COSIGNED: lab.example/log: tree size 3, the first checkpoint")
        assert first.stdout.startswith(log.checkpoint(3))  # the log's note, its signature kept
        assert cosignature_time(first.stdout, witness_vkey) > 1_700_000_000
        assert (folder / "state" / "checkpoint").read_text() == first.stdout
        assert not any("consistency" in path for path in server.requests)

        log.leaves += event_leaves(4, start=3)
        second = witness_run(run, server, log)

        assert second.returncode == 0, second.stderr
        assert second.stderr.startswith("COSIGNED: lab.example/log: tree size 7 (was 3), consistency proof verified")
        assert "/api/v1/log/consistency/?first=3&second=7" in server.requests
        assert second.stdout.startswith(log.checkpoint(7))
        cosignature_time(second.stdout, witness_vkey)
        assert (folder / "state" / "checkpoint").read_text() == second.stdout

        again = witness_run(run, server, log)

    # Nothing new: the kept cosigned checkpoint again, unchanged on disk, no proof asked.
    assert again.returncode == 0
    assert again.stderr.startswith("UNCHANGED: lab.example/log: tree size 7, as last seen")
    assert again.stdout == second.stdout
    assert (folder / "state" / "checkpoint").read_text() == second.stdout
    assert sorted(path.name for path in (folder / "state").iterdir()) == [".lock", "checkpoint"]


def test_a_fork_is_caught(operator):
    # Two different trees of the same size, both signed by the log key.
    run, folder, _ = operator
    log = Log(leaves=event_leaves(5))
    forked = Log(key=log.key, leaves=event_leaves(4) + event_leaves(1, start=4, tag=" quietly replaced"))
    with LogServer(log) as server:
        assert witness_run(run, server, log).returncode == 0
        kept = (folder / "state" / "checkpoint").read_text()
        server.log = forked

        result = witness_run(run, server, log)

    assert result.returncode == witness.EXIT_CODES["fork"] == 7
    assert result.stderr.startswith(
        f"FORK: lab.example/log: two different trees of size 5 signed by the log key (root {log.root().hex()} seen "
        f"before, {forked.root().hex()} now)"
    )
    assert result.stdout == ""
    assert (folder / "state" / "checkpoint").read_text() == kept
    # The evidence: both signed checkpoints, which anyone can check with the log's key.
    (evidence,) = (folder / "state").glob("evidence-fork-*.txt")
    assert log.checkpoint() in evidence.read_text()
    assert forked.checkpoint() in evidence.read_text()


def test_a_fork_of_another_size_fails_its_consistency_proof(operator):
    # The log rewrote entry 2 and grew: the proof of its new tree cannot reach the old root. (It
    # states no roots here: a log that stated its new tree's root for size 5 would be caught sooner.)
    run, folder, _ = operator
    log = Log(leaves=event_leaves(5))
    forked = Log(key=log.key, leaves=event_leaves(2) + event_leaves(6, start=2, tag=" rewritten"))
    with LogServer(log) as server:
        assert witness_run(run, server, log).returncode == 0
        kept = (folder / "state" / "checkpoint").read_text()
        server.log = forked
        server.tamper = lambda answer: {"first": 5, "second": 8, "proof": answer["proof"]}

        result = witness_run(run, server, log)

    assert result.returncode == witness.EXIT_CODES["bad_proof"] == 5
    assert "does not show that tree size 8 extends tree size 5" in result.stderr
    assert (folder / "state" / "checkpoint").read_text() == kept
    assert len(list((folder / "state").glob("evidence-inconsistent-*.txt"))) == 1


def test_a_rollback_is_caught(operator):
    run, folder, _ = operator
    log = Log(leaves=event_leaves(6))
    with LogServer(log) as server:
        assert witness_run(run, server, log).returncode == 0
        server.size = 4  # the log shows an older state, genuinely signed

        result = witness_run(run, server, log)

    assert result.returncode == witness.EXIT_CODES["rollback"] == 6
    assert result.stderr.startswith(
        "ROLLBACK: lab.example/log: the log shows tree size 4, smaller than the 6 it showed before"
    )
    assert (folder / "state" / "checkpoint").read_text().startswith(log.checkpoint(6))
    assert len(list((folder / "state").glob("evidence-rollback-*.txt"))) == 1


def _flip_first_hash(answer: dict) -> dict:
    first = bytearray(bytes.fromhex(answer["proof"][0]))
    first[0] ^= 1
    return {**answer, "proof": [first.hex(), *answer["proof"][1:]]}


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_flip_first_hash, "does not show that tree size 11 extends tree size 5"),
        (lambda answer: {**answer, "proof": answer["proof"][:-1]}, "does not show that tree size 11 extends"),
        (lambda answer: {**answer, "proof": [*answer["proof"], "00" * 32]}, "does not show that tree size 11 extends"),
        (lambda answer: {**answer, "proof": ["not hex"]}, "the consistency proof is malformed"),
        (lambda answer: {**answer, "first_root": "00" * 32}, "another root hash for tree size 5 than its checkpoint"),
        (lambda answer: {**answer, "first": 4}, "for other tree sizes than 5 and 11"),
    ],
)
def test_a_tampered_consistency_proof_is_caught(operator, tamper, message):
    run, folder, _ = operator
    log = Log(leaves=event_leaves(5))
    with LogServer(log) as server:
        assert witness_run(run, server, log).returncode == 0
        kept = (folder / "state" / "checkpoint").read_text()
        log.leaves += event_leaves(6, start=5)
        server.tamper = tamper

        result = witness_run(run, server, log)

    assert result.returncode == witness.EXIT_CODES["bad_proof"] == 5, result.stderr
    assert result.stderr.startswith("BAD_PROOF: ")
    assert message in result.stderr
    assert (folder / "state" / "checkpoint").read_text() == kept


def test_a_checkpoint_not_signed_by_the_log_key_is_refused(operator):
    run, folder, _ = operator
    log = Log(leaves=event_leaves(3))
    with LogServer(log) as server:
        server.checkpoint_text = log.checkpoint(3, signer=Ed25519PrivateKey.generate())
        other_key = witness_run(run, server, log)
        genuine = log.checkpoint(3)
        server.checkpoint_text = genuine.replace("\n3\n", "\n4\n", 1)  # the body changed after signing
        changed = witness_run(run, server, log)

    assert other_key.returncode == witness.EXIT_CODES["bad_signature"] == 4
    assert other_key.stderr.startswith("BAD_SIGNATURE: the checkpoint is not signed by the log key lab.example/log+")
    assert changed.returncode == 4
    assert changed.stderr.startswith("BAD_SIGNATURE: the checkpoint's signature by the log key does not verify")
    assert not (folder / "state" / "checkpoint").exists()


def test_a_log_out_of_reach_or_failing_is_a_network_error(operator):
    run, folder, _ = operator
    log = Log(leaves=event_leaves(3))
    with LogServer(log) as server:
        server.status = 503
        failing = witness_run(run, server, log)
    gone = witness_run(run, server, log)  # the server is shut down

    assert failing.returncode == gone.returncode == witness.EXIT_CODES["network"] == 3
    assert failing.stderr.startswith(f"NETWORK: {server.url}verify/log/checkpoint answered HTTP 503")
    assert "cannot be reached" in gone.stderr
    assert not (folder / "state" / "checkpoint").exists()


def test_a_state_edited_by_hand_is_refused(operator):
    run, folder, _ = operator
    log = Log(leaves=event_leaves(3))
    with LogServer(log) as server:
        assert witness_run(run, server, log).returncode == 0
        state = folder / "state" / "checkpoint"
        state.write_text(state.read_text().replace("\n3\n", "\n2\n", 1))

        result = witness_run(run, server, log)

    assert result.returncode == witness.EXIT_CODES["state"] == 8
    assert result.stderr.startswith("STATE: the checkpoint kept in state/checkpoint cannot be used")


def test_keygen_never_overwrites_and_the_key_is_its_owners(operator):
    run, folder, witness_vkey = operator

    again = run("keygen", "--key", "witness-key.pem", "--name", NAME)
    printed = run("vkey", "--key", "witness-key.pem", "--name", NAME)

    assert again.returncode == 2
    assert "exists: a witness key is never overwritten" in again.stderr
    assert (folder / "witness-key.pem").stat().st_mode & 0o777 == 0o600
    assert printed.stdout.strip() == witness_vkey
    assert witness.parse_vkey(witness_vkey, signature_type=0x04).name == NAME


def test_bad_arguments_are_usage_errors(operator):
    run, _, _ = operator
    log = Log()

    bad_vkey = run(
        "--log", "http://127.0.0.1:9/", "--log-key", "lab+00000000+AAAA", "--state", "s", "--key", "k", "--name", NAME
    )
    bad_scheme = run(
        "--log", "file:///etc/", "--log-key", log.vkey, "--state", "s", "--key", "witness-key.pem", "--name", NAME
    )

    assert bad_vkey.returncode == 2
    assert bad_vkey.stderr.startswith("USAGE: the verifier key is not an Ed25519 key of type 0x01")
    assert bad_scheme.returncode == 2
    assert "--log must be an http(s) address" in bad_scheme.stderr


def test_the_consistency_check_agrees_with_the_logs_proofs_for_every_pair_of_sizes():
    # witness.py's own RFC 9162 2.1.4.2 against proofs made by certificates.merkle, and a wrong root.
    hashes = Log(leaves=event_leaves(17)).hashes()
    for second in range(1, 18):
        for first in range(1, second + 1):
            proof = merkle.consistency_proof(first, hashes[:second])
            old, new = merkle.root(hashes[:first]), merkle.root(hashes[:second])

            assert witness.verify_consistency(first, second, old, new, proof), (first, second)
            assert not witness.verify_consistency(first, second, new if first != second else b"x", new, proof)
            if proof:
                assert not witness.verify_consistency(first, second, old, new, proof[:-1]), (first, second)


def test_the_witness_is_published_as_it_is(client, db):
    response = client.get("/verify/kit/witness.py")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="witness.py"'
    assert response.content == WITNESS.read_bytes()
