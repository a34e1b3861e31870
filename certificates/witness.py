"""A witness of the laboratory's transparency log: one file, the standard library and cryptography.

Anyone (a customs service, an exporter, a journalist) can run it on a schedule, outside the LIMS. Each
run fetches the log's latest checkpoint, checks the log's signature on it, and checks that the tree it
describes extends the last tree this witness saw: the log can add entries, never change or remove one.
When it does, the witness cosigns the checkpoint (C2SP tlog-cosignature, cosignature/v1) and keeps it;
a checkpoint cosigned by independent witnesses is one the laboratory cannot later deny or show to
someone else in another version.

    python witness.py keygen --key witness-key.pem --name witness.customs.example/1   # prints the vkey
    python witness.py vkey --key witness-key.pem --name witness.customs.example/1
    python witness.py --log https://lab.example/ --log-key VKEY --state DIR --key witness-key.pem \\
        --name witness.customs.example/1 [--submit]

VKEY is the log's verifier key as the laboratory publishes it (/verify/log/key), to be obtained once by a
channel you trust and then pinned: "<name>+<key hash>+<base64 key>" (C2SP signed-note).

What a run does, against the checkpoint kept in DIR (the last one this witness verified):
- no checkpoint kept yet: the first one is trusted as it is (there is nothing to compare it with);
- same tree size, same root hash: nothing new (the kept cosigned checkpoint is printed again);
- larger tree: the log's consistency proof (GET /api/v1/log/consistency/?first=M&second=N) is checked
  with RFC 9162 section 2.1.4.2 against the two root hashes this witness holds (never the ones the
  answer states), and only then is the new checkpoint cosigned and kept;
- same size, another root: a FORK (two trees of one size, both signed by the log key: proof that the
  log shows different histories to different people);
- smaller tree: a ROLLBACK (the log shows an older state than one it already published).
A fork, a rollback or a failed proof leaves the kept checkpoint as it was and writes the two signed
checkpoints (and the proof) to an evidence file in DIR: anyone can check them with the log's key.

The cosigned checkpoint (the log's note with this witness's signature line added) is written to DIR
atomically (a whole file renamed over the old one, under a lock) and printed on standard output; the
verdict line goes to standard error ("COSIGNED: origin: ...").

With --submit, after a successful run (cosigned, or nothing new) the cosigned checkpoint is posted to
the log (POST <log>/api/v1/log/cosignatures/, text/plain), which keeps the cosignatures of the witnesses
it registered and serves them with its checkpoint (C2SP logs do the same). The state is saved first: a
failed submission is reported on standard error ("SUBMIT: ...") with exit status 9, and the next run
submits again (the log answers a repeat as it did the first time).

Exit status (EXIT_CODES): 0 cosigned or nothing new, 2 usage error, 3 the log cannot be reached (or
answers with an error), 4 a checkpoint not signed by the log key (or malformed), 5 a consistency proof
that fails (or is malformed), 6 rollback, 7 fork, 8 the state in DIR cannot be used, 9 the log
refused the submitted cosignature (or could not be reached to submit it).
"""

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EXIT_CODES = {
    "cosigned": 0,
    "unchanged": 0,
    "usage": 2,
    "network": 3,
    "bad_signature": 4,
    "bad_proof": 5,
    "rollback": 6,
    "fork": 7,
    "state": 8,
    "submit": 9,
}

CHECKPOINT_PATH = "verify/log/checkpoint"
CONSISTENCY_PATH = "api/v1/log/consistency/"
COSIGNATURES_PATH = "api/v1/log/cosignatures/"
STATE_FILE = "checkpoint"  # the last verified checkpoint, with this witness's cosignature
# Ed25519 signature types of C2SP signed-note: 0x01 a plain note signature (the log's), 0x04 a
# cosignature/v1 (timestamped witness cosignature, C2SP tlog-cosignature).
SIGNATURE_TYPE_ED25519 = 0x01
SIGNATURE_TYPE_COSIGNATURE = 0x04
SIGNATURE_DASH = "\u2014 "  # an em dash and a space open every signature line
HASH_BYTES = 32
# A checkpoint is a few hundred bytes and a consistency proof at most 2 x 63 hashes: nothing larger
# is read from the network.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_NOTE_SIGNATURES = 100


class WitnessError(Exception):
    """A run that ends without a cosignature; `verdict` is a key of EXIT_CODES."""

    verdict = "usage"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


class NetworkError(WitnessError):
    verdict = "network"


class BadSignatureError(WitnessError):
    verdict = "bad_signature"


class BadProofError(WitnessError):
    verdict = "bad_proof"


class RollbackError(WitnessError):
    verdict = "rollback"


class ForkError(WitnessError):
    verdict = "fork"


class StateError(WitnessError):
    verdict = "state"


class SubmitError(WitnessError):
    verdict = "submit"


# --- Merkle tree (RFC 9162 section 2.1) -------------------------------------------------------------


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    """Whether `proof` shows that the tree of `second` leaves with root `second_root` extends the tree of
    `first` leaves with root `first_root`: RFC 9162 section 2.1.4.2, step by step."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # every tree extends the empty one
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a subtree of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


# --- Signed notes and checkpoints (C2SP signed-note, tlog-checkpoint, tlog-cosignature) ----------------

_NAME = re.compile(r"[^\s+]+")


def key_hash(name: str, signature_type: int, public_bytes: bytes) -> bytes:
    """A signed-note key hash: the first 4 bytes of SHA-256(name || 0x0A || type || public key)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_bytes).digest()[:4]


@dataclass(frozen=True)
class NoteKey:
    """A signed-note verifier key: its name, 4-byte key hash, signature type and Ed25519 public key."""

    name: str
    hash: bytes
    type: int
    public_key: Ed25519PublicKey

    @property
    def vkey(self) -> str:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return f"{self.name}+{self.hash.hex()}+{base64.b64encode(bytes([self.type]) + raw).decode()}"


def parse_vkey(text: str, *, signature_type: int = SIGNATURE_TYPE_ED25519) -> NoteKey:
    """A vkey "<name>+<key hash hex>+<base64(type || 32-byte key)>", checked: the type is
    `signature_type` and the hash is the key's. Raises ValueError."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _NAME.fullmatch(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise ValueError("a verifier key reads <name>+<8 hex digits>+<base64 key>")
    name, hash_hex, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError("the verifier key's key is not base64") from exc
    if len(raw) != 33 or raw[0] != signature_type:
        raise ValueError(f"the verifier key is not an Ed25519 key of type 0x{signature_type:02x}")
    if key_hash(name, signature_type, raw[1:]) != bytes.fromhex(hash_hex):
        raise ValueError("the verifier key's hash does not match its name and key")
    return NoteKey(name, bytes.fromhex(hash_hex), signature_type, Ed25519PublicKey.from_public_bytes(raw[1:]))


def check_name(name: str) -> str:
    """A key name as signed notes allow it: not empty, no spaces, no '+'. Raises ValueError."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"a key name has no spaces and no '+' (e.g. witness.customs.example/1), not {name!r}")
    return name


def witness_key(name: str, private_key: Ed25519PrivateKey) -> NoteKey:
    """This witness's cosigning key (type 0x04) under `name`."""
    check_name(name)
    public_key = private_key.public_key()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return NoteKey(name, key_hash(name, SIGNATURE_TYPE_COSIGNATURE, raw), SIGNATURE_TYPE_COSIGNATURE, public_key)


def split_note(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's body (ending with its newline) and its signatures [(key name, decoded bytes)].
    Raises ValueError when it is not a signed note."""
    if "\r" in text or not text.endswith("\n"):
        raise ValueError("not a signed note (it must end with a newline and hold no carriage return)")
    separator = text.rfind("\n\n")
    if separator < 0:
        raise ValueError("not a signed note (no blank line before the signatures)")
    body, lines = text[: separator + 1], text[separator + 2 :].splitlines()
    if not lines or len(lines) > MAX_NOTE_SIGNATURES:
        raise ValueError("not a signed note (no signature lines, or too many)")
    signatures = []
    for line in lines:
        parts = line[len(SIGNATURE_DASH) :].split(" ")
        if not line.startswith(SIGNATURE_DASH) or len(parts) != 2 or not _NAME.fullmatch(parts[0]):
            raise ValueError("a signature line is malformed")
        try:
            signature = base64.b64decode(parts[1], validate=True)
        except binascii.Error as exc:
            raise ValueError("a signature line is not base64") from exc
        if len(signature) < 5:
            raise ValueError("a signature line is too short")
        signatures.append((parts[0], signature))
    return body, signatures


def verify_note(text: str, key: NoteKey) -> str:
    """The body of a note signed by `key` (a plain Ed25519 note key); signatures by other keys (a
    witness's, say) are left alone, as the signed-note format requires. Raises BadSignatureError."""
    try:
        body, signatures = split_note(text)
    except ValueError as exc:
        raise BadSignatureError(f"the checkpoint is malformed: {exc}") from exc
    ours = [sig[4:] for name, sig in signatures if name == key.name and sig[:4] == key.hash]
    if not ours:
        raise BadSignatureError(f"the checkpoint is not signed by the log key {key.name}+{key.hash.hex()}")
    for signature in ours:
        try:
            key.public_key.verify(signature, body.encode())
        except InvalidSignature as exc:
            raise BadSignatureError("the checkpoint's signature by the log key does not verify") from exc
    return body


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint: origin, tree size, root hash (bytes), the body and the whole note."""

    origin: str
    size: int
    root: bytes
    body: str
    note: str


def parse_checkpoint(note: str, key: NoteKey) -> Checkpoint:
    """The checkpoint in `note`, signed by the log `key`, whose name is the checkpoint's origin.
    Raises BadSignatureError (which also covers a malformed body)."""
    body = verify_note(note, key)
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise BadSignatureError("the checkpoint is malformed: fewer than three lines")
    origin, size_text, root_text = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size_text):
        raise BadSignatureError("the checkpoint is malformed: its tree size is not a number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        root = b""
    if len(root) != HASH_BYTES:
        raise BadSignatureError("the checkpoint is malformed: its root hash is not 32 bytes of base64")
    if origin != key.name:
        raise BadSignatureError(f"the checkpoint's origin {origin} is not the log key's name {key.name}")
    return Checkpoint(origin=origin, size=int(size_text), root=root, body=body, note=note)


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: a header naming the format and the time, then the checkpoint body."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


def cosign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey, name: str, *, timestamp: int) -> str:
    """The checkpoint's note with this witness's cosignature line added (C2SP tlog-cosignature)."""
    key = witness_key(name, private_key)
    signature = private_key.sign(cosignature_message(checkpoint.body, timestamp))
    encoded = base64.b64encode(key.hash + timestamp.to_bytes(8, "big") + signature).decode()
    return f"{checkpoint.note}{SIGNATURE_DASH}{name} {encoded}\n"


def verify_cosignature(note: str, key: NoteKey) -> int:
    """The time (Unix seconds) at which the witness `key` (type 0x04) cosigned `note`; raises
    BadSignatureError when it did not, or its cosignature does not verify."""
    try:
        body, signatures = split_note(note)
    except ValueError as exc:
        raise BadSignatureError(f"the checkpoint is malformed: {exc}") from exc
    for name, signature in signatures:
        if name == key.name and signature[:4] == key.hash and len(signature) == 4 + 8 + 64:
            timestamp = int.from_bytes(signature[4:12], "big")
            try:
                key.public_key.verify(signature[12:], cosignature_message(body, timestamp))
            except InvalidSignature as exc:
                raise BadSignatureError(f"the cosignature of {key.name} does not verify") from exc
            return timestamp
    raise BadSignatureError(f"the checkpoint carries no cosignature of {key.name}")


# --- The log over HTTP --------------------------------------------------------------------------------


def fetch(url: str, *, timeout: float = 30.0) -> bytes:
    """GET `url` (at most MAX_RESPONSE_BYTES); raises NetworkError for anything but a 200."""
    request = urllib.request.Request(url, headers={"User-Agent": "lims-witness/1", "Accept": "*/*"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked in main
            data = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise NetworkError(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(f"{url} cannot be reached: {reason}") from exc
    if len(data) > MAX_RESPONSE_BYTES:
        raise NetworkError(f"{url} answered more than {MAX_RESPONSE_BYTES} bytes")
    return data


def consistency_proof(log: str, first: Checkpoint, second: Checkpoint, *, timeout: float) -> tuple[list[bytes], str]:
    """The log's consistency proof between the two checkpoints, as hashes, and the answer as received.
    Raises BadProofError when the answer is not a proof for these two sizes and roots."""
    query = urllib.parse.urlencode({"first": first.size, "second": second.size})
    answer = fetch(urllib.parse.urljoin(log, f"{CONSISTENCY_PATH}?{query}"), timeout=timeout).decode("utf-8", "replace")
    try:
        data = json.loads(answer)
    except ValueError as exc:
        raise BadProofError("the consistency proof is not JSON") from exc
    hashes = data.get("proof") if isinstance(data, dict) else None
    if (
        not isinstance(hashes, list)
        or len(hashes) > 2 * 64
        or not all(isinstance(item, str) and re.fullmatch(r"[0-9a-f]{64}", item) for item in hashes)
    ):
        raise BadProofError("the consistency proof is malformed (a list of lowercase hex SHA-256 hashes expected)")
    if data.get("first") != first.size or data.get("second") != second.size:
        raise BadProofError(
            f"the log answered a consistency proof for other tree sizes than {first.size} and {second.size}"
        )
    # The answer's roots are only what the log says: the proof is checked against the signed ones.
    for stated, checkpoint in ((data.get("first_root"), first), (data.get("second_root"), second)):
        if stated is not None and stated != checkpoint.root.hex():
            raise BadProofError(f"the log states another root hash for tree size {checkpoint.size} than its checkpoint")
    return [bytes.fromhex(item) for item in hashes], answer


def submit(log: str, cosigned: str, *, timeout: float = 30.0) -> str:
    """Post the cosigned checkpoint to the log's collection of cosignatures; returns what the log says
    it accepted ("tree size N: accepted by NAME, ..."). Raises SubmitError with the log's message when it
    refuses, or cannot be reached."""
    if not log.endswith("/"):
        log += "/"
    url = urllib.parse.urljoin(log, COSIGNATURES_PATH)
    request = urllib.request.Request(  # noqa: S310 - http(s) checked in main
        url,
        data=cosigned.encode("utf-8"),
        method="POST",
        headers={
            "User-Agent": "lims-witness/1",
            "Content-Type": "text/plain; charset=utf-8",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read(MAX_RESPONSE_BYTES)).get("message", "")
        except (ValueError, AttributeError, OSError):
            message = ""
        raise SubmitError(
            f"{url} refused the cosignature (HTTP {exc.code}){': ' + message if message else ''}"
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SubmitError(f"{url} cannot be reached to submit the cosignature: {reason}") from exc
    try:
        answer = json.loads(data)
        size, accepted = answer["checkpoint_size"], answer["accepted"]
    except (ValueError, TypeError, KeyError) as exc:
        raise SubmitError(f"{url} answered something other than the accepted cosignatures") from exc
    return f"tree size {size}: accepted by {', '.join(str(name) for name in accepted)}"


# --- State ---------------------------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file in the same folder, synced, then
    renamed over `path` (and the folder synced, so the rename survives a crash)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # a folder cannot be opened for syncing on every system
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextlib.contextmanager
def locked(state: Path):
    """One run at a time on a state folder (where the system has fcntl: every Unix)."""
    try:
        import fcntl
    except ImportError:  # Windows: the operator schedules one run at a time
        yield
        return
    with open(state / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_state(state: Path, log_key: NoteKey) -> Checkpoint | None:
    """The checkpoint this witness last verified, or None on its first run. It is checked again with
    the log key: a state file edited by hand, or kept for another log, is refused (StateError)."""
    path = state / STATE_FILE
    if not path.exists():
        return None
    try:
        return parse_checkpoint(path.read_text(encoding="utf-8"), log_key)
    except (OSError, UnicodeDecodeError, BadSignatureError) as exc:
        raise StateError(
            f"the checkpoint kept in {path} cannot be used ({exc}): is this the state of another log?"
        ) from exc


def keep_evidence(state: Path, kind: str, *parts: str) -> Path:
    """Write what proves a log's misbehaviour (its signed checkpoints, the proof it answered) to a file
    of its own in the state folder; returns its path."""
    path = state / f"evidence-{kind}-{time.time_ns()}.txt"
    write_atomically(path, "\n".join(part if part.endswith("\n") else part + "\n" for part in parts))
    return path


@dataclass(frozen=True)
class Outcome:
    verdict: str  # "cosigned" or "unchanged"
    message: str
    cosigned: str  # the cosigned checkpoint note


def run(
    *,
    log: str,
    log_key: NoteKey,
    state: Path,
    private_key: Ed25519PrivateKey,
    name: str,
    timeout: float = 30.0,
    now: int | None = None,
) -> Outcome:
    """One witness run (see the module docstring). Raises a WitnessError subclass when it ends without
    a cosignature; the kept checkpoint changes only when a new one is cosigned."""
    if not log.endswith("/"):
        log += "/"
    state.mkdir(parents=True, exist_ok=True)
    with locked(state):
        kept = load_state(state, log_key)
        note = fetch(urllib.parse.urljoin(log, CHECKPOINT_PATH), timeout=timeout)
        try:
            latest = parse_checkpoint(note.decode("utf-8"), log_key)
        except UnicodeDecodeError as exc:
            raise BadSignatureError("the checkpoint is malformed: not UTF-8 text") from exc
        origin = latest.origin
        if kept is not None and latest.size == kept.size:
            if latest.root == kept.root:
                return Outcome("unchanged", f"{origin}: tree size {latest.size}, as last seen: nothing new", kept.note)
            evidence = keep_evidence(state, "fork", kept.note, latest.note)
            raise ForkError(
                f"{origin}: two different trees of size {latest.size} signed by the log key "
                f"(root {kept.root.hex()} seen before, {latest.root.hex()} now); evidence in {evidence}"
            )
        if kept is not None and latest.size < kept.size:
            evidence = keep_evidence(state, "rollback", kept.note, latest.note)
            raise RollbackError(
                f"{origin}: the log shows tree size {latest.size}, smaller than the {kept.size} it showed before; "
                f"evidence in {evidence}"
            )
        if kept is None:
            message = f"{origin}: tree size {latest.size}, the first checkpoint this witness sees (trusted as it is)"
        elif kept.size == 0:
            message = f"{origin}: tree size {latest.size} (was empty): every tree extends the empty one"
        else:
            proof, answer = consistency_proof(log, kept, latest, timeout=timeout)
            if not verify_consistency(kept.size, latest.size, kept.root, latest.root, proof):
                evidence = keep_evidence(state, "inconsistent", kept.note, latest.note, answer)
                raise BadProofError(
                    f"{origin}: the consistency proof does not show that tree size {latest.size} extends tree size "
                    f"{kept.size} (a fork, or a broken proof); evidence in {evidence}"
                )
            message = f"{origin}: tree size {latest.size} (was {kept.size}), consistency proof verified"
        cosigned = cosign(latest, private_key, name, timestamp=int(time.time()) if now is None else now)
        write_atomically(state / STATE_FILE, cosigned)
        return Outcome("cosigned", message, cosigned)


# --- Command line ----------------------------------------------------------------------------------


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise WitnessError(f"the witness key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessError(f"the witness key {path} is not an Ed25519 key")
    return key


def keygen(path: Path, name: str) -> str:
    """A new Ed25519 witness key in `path` (PKCS#8 PEM, readable by its owner only; never overwritten);
    returns its vkey, to publish so that others can check this witness's cosignatures."""
    private_key = Ed25519PrivateKey.generate()
    vkey = witness_key(name, private_key).vkey
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise WitnessError(f"{path} exists: a witness key is never overwritten") from exc
    except OSError as exc:
        raise WitnessError(f"{path} cannot be written: {exc}") from exc
    with os.fdopen(handle, "wb") as file:
        file.write(pem)
    return vkey


EPILOG = """exit status:
  0  cosigned (or nothing new since the last run); the cosigned checkpoint is on standard output
  2  usage error (bad arguments, unreadable witness key)
  3  the log cannot be reached, or answers with an error
  4  bad signature: the checkpoint is not signed by the log key (or is malformed)
  5  bad proof: the consistency proof does not verify (or is malformed)
  6  rollback: the log shows a smaller tree than it did before
  7  fork: two different trees of one size, both signed by the log key
  8  the checkpoint kept in the state folder cannot be used
  9  --submit: the log refused the cosigned checkpoint, or could not be reached to submit it
     (the state is saved; the cosigned checkpoint is still on standard output)
"""


def _key_commands(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="witness.py " + argv[0])
    parser.add_argument("--key", type=Path, required=True, help="the witness's private key (PEM)")
    parser.add_argument("--name", required=True, help="the witness's name, e.g. witness.customs.example/1")
    args = parser.parse_args(argv[1:])
    try:
        if argv[0] == "keygen":
            print(keygen(args.key, args.name))
        else:
            print(witness_key(args.name, load_private_key(args.key)).vkey)
    except (WitnessError, ValueError) as exc:
        print(f"USAGE: {exc}", file=sys.stderr)
        return EXIT_CODES["usage"]
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("keygen", "vkey"):
        return _key_commands(argv)
    parser = argparse.ArgumentParser(
        description="Witness a laboratory's transparency log: verify and cosign its latest checkpoint. "
        "Other commands: 'keygen --key FILE --name NAME' makes a witness key, 'vkey --key FILE --name NAME' "
        "prints its verifier key.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log", required=True, help="the laboratory's address, e.g. https://lab.example/")
    parser.add_argument("--log-key", required=True, help="the log's verifier key (vkey), obtained once and pinned")
    parser.add_argument("--state", type=Path, required=True, help="the folder where this witness keeps what it saw")
    parser.add_argument("--key", type=Path, required=True, help="the witness's private key (witness.py keygen)")
    parser.add_argument("--name", required=True, help="the witness's name, as in its vkey")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the log (default 30)")
    parser.add_argument(
        "--submit", action="store_true", help="post the cosigned checkpoint to the log, which serves it to others"
    )
    args = parser.parse_args(argv)
    try:
        if urllib.parse.urlsplit(args.log).scheme not in ("http", "https"):
            raise WitnessError(f"--log must be an http(s) address, not {args.log!r}")
        try:
            log_key = parse_vkey(args.log_key)
            check_name(args.name)
        except ValueError as exc:
            raise WitnessError(str(exc)) from exc
        outcome = run(
            log=args.log,
            log_key=log_key,
            state=args.state,
            private_key=load_private_key(args.key),
            name=args.name,
            timeout=args.timeout,
        )
    except WitnessError as exc:
        print(f"{exc.verdict.upper()}: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # the state folder cannot be written
        print(f"STATE: {exc}", file=sys.stderr)
        return EXIT_CODES["state"]
    print(f"{outcome.verdict.upper()}: {outcome.message}", file=sys.stderr)
    sys.stdout.write(outcome.cosigned)
    if args.submit:
        try:
            print(f"SUBMITTED: {submit(args.log, outcome.cosigned, timeout=args.timeout)}", file=sys.stderr)
        except SubmitError as exc:
            print(f"{exc.verdict.upper()}: {exc}", file=sys.stderr)
            return exc.exit_code
    return EXIT_CODES[outcome.verdict]


if __name__ == "__main__":
    sys.exit(main())
