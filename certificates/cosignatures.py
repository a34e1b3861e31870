"""Witnesses' cosignatures of the log's checkpoints: collected and served, as C2SP logs do.

A registered witness (LogWitness, kept by administrators) runs certificates/witness.py, which cosigns
the latest checkpoint (C2SP tlog-cosignature, cosignature/v1) and, with --submit, posts the cosigned
note to POST /api/v1/log/cosignatures/. `submit` accepts it only when:
- the note's body is, byte for byte, the body of a checkpoint this log signed and stored;
- the note carries the log's own valid signature (checked with the log's public keys: a web process
  holds no private key, and needs none here);
- at least one signature line is a valid cosignature/v1 by an ACTIVE registered witness: the line's
  key hash is the witness's (type 0x04), and the witness's Ed25519 signature verifies over
  "cosignature/v1\\ntime <t>\\n" + body.
Lines by keys the log does not know are ignored (a note may carry any number of signatures); each
valid cosignature is stored with its line exactly as received. A repeat is idempotent: the first
cosignature a witness gave a checkpoint is the one kept and served (one per checkpoint and witness).

`served_checkpoint` is the latest checkpoint with the stored lines of active witnesses appended after
the log's own signature line (sorted by witness name): still a valid signed note, body unchanged.
"""

import base64
import binascii
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from certificates import transparency, witness
from certificates.models import LogCheckpoint, LogCosignature, LogWitness
from lims.exceptions import ApplicationError

COSIGNATURE_BYTES = 4 + 8 + 64  # key hash, big-endian time, Ed25519 signature
MAX_NOTE_CHARS = 64 * 1024  # a checkpoint is a few hundred bytes, with up to 100 signature lines
LATEST_TIME = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())


class CosignatureError(ApplicationError):
    """A submission refused (400): malformed, not our checkpoint, a bad log signature, no cosignature
    by an active registered witness."""


@dataclass(frozen=True)
class Submission:
    checkpoint_size: int
    accepted: list[str]  # the witnesses' names, sorted
    created: bool  # whether anything was stored by this submission


def _checkpoint_for(body: str) -> LogCheckpoint:
    """The stored checkpoint whose body is `body` exactly; CosignatureError otherwise."""
    lines = body.split("\n")
    size_text = lines[1] if len(lines) > 2 else ""
    if not size_text.isascii() or not size_text.isdigit() or len(size_text) > 19:
        raise CosignatureError(_("The note is not a checkpoint: its second line is not a tree size."))
    stored = LogCheckpoint.objects.filter(size=int(size_text)).first()
    if stored is None or stored.text.rpartition("\n\n")[0] + "\n" != body:
        raise CosignatureError(_("This is not a checkpoint this log signed."))
    return stored


def _verify_log_signature(text: str) -> None:
    for public_key in transparency.log_public_keys():
        try:
            transparency.verify_note(text, public_key)
            return
        except ValueError:
            continue
    raise CosignatureError(_("The checkpoint does not carry the log's valid signature."))


def _cosignatures(body: str, lines: list[str]) -> dict[LogWitness, tuple[str, int]]:
    """{witness: (line, time)} for the lines that are valid cosignatures by active registered witnesses
    (the first valid line of each witness)."""
    found: dict[LogWitness, tuple[str, int]] = {}
    names = {line[len(witness.SIGNATURE_DASH) :].split(" ")[0] for line in lines}
    for registered in LogWitness.objects.filter(active=True, name__in=names):
        try:
            key = registered.note_key()
        except ValueError:
            continue  # a key the admin's validation would have refused: it verifies nothing
        prefix = f"{witness.SIGNATURE_DASH}{key.name} "
        for line in lines:
            if not line.startswith(prefix):
                continue
            try:
                signature = base64.b64decode(line[len(prefix) :], validate=True)
            except (binascii.Error, ValueError):
                continue
            if len(signature) != COSIGNATURE_BYTES or signature[:4] != key.hash:
                continue
            moment = int.from_bytes(signature[4:12], "big")
            if moment > LATEST_TIME:
                continue
            try:
                key.public_key.verify(signature[12:], witness.cosignature_message(body, moment))
            except InvalidSignature:
                continue
            found[registered] = (line, moment)
            break
    return found


def submit(text: str) -> Submission:
    """Check a cosigned checkpoint and store its registered witnesses' cosignatures (see the module's
    docstring). Raises CosignatureError (400) with the reason."""
    if len(text) > MAX_NOTE_CHARS or "\x00" in text:
        raise CosignatureError(_("The cosigned checkpoint is too long or holds a NUL character."))
    try:
        body, _signatures = witness.split_note(text)
    except ValueError as exc:
        raise CosignatureError(_("The cosigned checkpoint is not a signed note: %(reason)s") % {"reason": exc}) from exc
    checkpoint = _checkpoint_for(body)
    _verify_log_signature(text)
    lines = text[len(body) + 1 :].splitlines()
    found = _cosignatures(body, lines)
    if not found:
        raise CosignatureError(
            _("The checkpoint carries no valid cosignature by an active witness registered with this log.")
        )
    created = False
    for registered, (line, moment) in found.items():
        try:
            with transaction.atomic():
                _row, made = LogCosignature.objects.get_or_create(
                    checkpoint=checkpoint,
                    witness=registered,
                    defaults={"line": line, "timestamp": datetime.fromtimestamp(moment, tz=UTC)},
                )
        except IntegrityError:
            made = False  # the same cosignature, stored by a concurrent submission
        created = created or made
    return Submission(checkpoint.size, sorted(w.name for w in found), created)


def cosigners(checkpoint_size: int) -> list[str]:
    """The names of the active witnesses whose cosignature of checkpoint `checkpoint_size` is stored."""
    return list(
        LogCosignature.objects.filter(checkpoint__size=checkpoint_size, witness__active=True)
        .order_by("witness__name")
        .values_list("witness__name", flat=True)
    )


def served_checkpoint() -> transparency.Checkpoint | None:
    """The latest checkpoint, its text followed by the stored cosignature lines of active witnesses."""
    latest = transparency.latest_checkpoint()
    if latest is None:
        return None
    lines = (
        LogCosignature.objects.filter(checkpoint__size=latest.size, witness__active=True)
        .order_by("witness__name")
        .values_list("line", flat=True)
    )
    return dataclasses.replace(latest, text=latest.text + "".join(f"{line}\n" for line in lines))
