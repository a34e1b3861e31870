"""The public verification portal: what anyone may learn about a certificate, and how each check
reaches its verdict. Reads only; the pages (certificates.verify_views), the JSON API
(certificates.verify_api) and `manage.py verify_certificate` all call these functions.

A check answers with one of these verdicts:

    authentic   issued by the laboratory, unchanged, and current
    revoked     genuine, but withdrawn (date and reason)
    superseded  genuine, but replaced by an amendment (its number)
    not_ours    not issued by this laboratory (signature or QR token by another key)
    altered     changed after the laboratory signed it (or a QR token whose signature does not match)
    invalid     not a readable certificate or token (no signature, no attachments, not our format)
    unknown     not found in the register
    mismatch    genuine, but not what the register holds for that number (a QR code pasted for
                another certificate, or a file whose content differs from the registered one)

By number: one indexed query; a number the register does not know, or whose certificate was never
issued (pending, failed), is `unknown`: the portal never tells that a certificate is under way.

By QR token: decoded with every token key the laboratory ever used (unknown key id: `not_ours`; a
known key id with a bad signature: `altered`); then the number it names is looked up, and the
token's snapshot hash must be the one the register holds for that number (and its PDF signing key
the one recorded), else `mismatch`. Whoever checks must give the number printed on the document in
front of them (the page and the API refuse the check without it): a genuine QR code copied onto
another document is then `mismatch`, never `authentic`. Required rather than merely offered, because
the QR code alone proves only that some certificate is genuine; whether it is the paper in the
inspector's hand is the comparison of the two numbers, and typing the printed one makes the
inspector do it, where a warning beside a verdict is easily read past.

By file (the upload), the cases:
1. Its SHA-256 is a registered pdf_sha256: it is, byte for byte, the file the laboratory issued; the
   register's status decides (authentic, revoked, superseded). No signature check is needed.
2. Otherwise the PAdES signature is validated with the laboratory's trust roots by pyHanko
   (certificates.verifier.verify_pdf, never pdfsig alone): it must be intact, trusted and cover the
   whole file with no update appended after signing; the QR token attached to the PDF must be the
   laboratory's and bind the attached snapshot. Any change to a signed file ends here: a flipped byte
   or a re-saved file breaks the signature (`altered`); an incremental update (an annotation, a new
   title) leaves the signature intact but not covering the file (`altered`); trailing bytes likewise.
   A print to PDF, a scan or a re-render has no signature at all (`invalid`); another CA's signature
   or another token key is `not_ours`.
3. A file that passes 2 without being byte-identical to the registered one is still the
   laboratory's work, signed with its key: in practice a second signing attempt of the same
   certificate whose file the issue task discarded (only one attempt is recorded). Its number must be
   in the register (else `unknown`), its attached snapshot must hash to the registered snapshot hash
   and its signing key must be the recorded one (else `mismatch`); then the register's status
   decides, and the verdict says the file is not the registered copy.

What is shown (the disclosure level, PUBLIC or FULL). A check by number alone shows the verdict and
what identifies the certificate: its number, title, issue date, the laboratory, the lot's identity
and, for an amendment, the number it replaces. The lot's identity is its number, material and HS
code: what an inspector matches against the shipping papers and the declaration's tariff line.
Not the customer (walking the consecutive numbers would otherwise list which exporter ships what
and when), not masses, moisture, assays or results (the commercial content: mass times grade is the
shipment's value), not the amendment's reason (it may quote corrected results) and not the
authoriser. A revocation's reason stays in the verdict: whoever holds a withdrawn certificate must
learn why, and the signed status list publishes it anyway.
FULL (everything the certificate states, as before) goes to whoever shows they hold the document:
its QR code, its PDF, or its number with the verification code printed on it (certificates.codes; a
wrong code is refused as bad input, and every guess counts against the client's rate like any other
check); and, by number, to signed-in users who may see the certificate (lims.permissions: laboratory
staff, customs inspectors, the exporter who owns it; another exporter gets PUBLIC). Statements and
cached answers are keyed by the level.
"""

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from certificates import codes, publication, verifier
from certificates import languages as certificate_languages
from certificates.models import Certificate, SigningKey
from certificates.publication import token_keys, trust_roots
from certificates.snapshot import headline_items
from lims import permissions

S = Certificate.Status
# What the register shows: what was issued. A certificate under way or failed is nobody's business
# outside the lab.
PUBLIC_STATUSES = Certificate.WAS_ISSUED
NUMBER_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
# A genuine token has about 400 characters; the forms refuse anything much longer.
MAX_TOKEN_CHARS = 2000
STATEMENT_CACHE_SECONDS = 3600
_STATEMENT_CACHE_KEY = "verify:statement:{number}:{sha256}:{language}:{disclosure}"
# How much of a certificate a check shows (see "What is shown" above); cached statements and answers
# are keyed by it, so a full statement is never served to whoever did not prove they may see it.
PUBLIC, FULL = "public", "full"

AUTHENTIC, REVOKED, SUPERSEDED = "authentic", "revoked", "superseded"
NOT_OURS, ALTERED, INVALID, UNKNOWN, MISMATCH = "not_ours", "altered", "invalid", "unknown", "mismatch"
COMPROMISED = "compromised"
TITLES = {
    AUTHENTIC: gettext_lazy("Authentic and current"),
    REVOKED: gettext_lazy("Revoked"),
    SUPERSEDED: gettext_lazy("Superseded"),
    NOT_OURS: gettext_lazy("Not issued by this laboratory"),
    ALTERED: gettext_lazy("Altered after signing"),
    INVALID: gettext_lazy("Not a valid certificate"),
    UNKNOWN: gettext_lazy("Not found in the register"),
    MISMATCH: gettext_lazy("Does not match the register"),
    # The key states (certificates.publication.compromise; the Keys part).
    COMPROMISED: gettext_lazy("Not valid: key compromised"),
}
# The offline verifier's exit statuses, extended to the portal's two register verdicts: a number
# the register does not know was not issued by this laboratory; a mismatch does not hold together.
EXIT_CODES = {**verifier.EXIT_CODES, UNKNOWN: verifier.EXIT_CODES["not_ours"], MISMATCH: verifier.EXIT_CODES["invalid"]}

# The parts of the snapshot a verdict shows (what the certificate states); never custody, QC runs,
# the people who sampled, received or approved, or anything else of the laboratory's records. A
# PUBLIC statement reads only _PUBLIC_PARTS, and only the lot's identity (_LOT_IDENTITY) of the lot.
_SNAPSHOT_PARTS = {
    "laboratory": "snapshot__laboratory",
    "customer": "snapshot__customer__name",
    "lot": "snapshot__lot",
    "moisture": "snapshot__moisture",
    "headline": "snapshot__headline",
    "results": "snapshot__results",
    "authorised_by": "snapshot__authorised_by",
    "amendment": "snapshot__amendment",
    "languages": "snapshot__languages",
}
_REGISTER_FIELDS = (
    "number",
    "status",
    "issued_at",
    "revoked_at",
    "revocation_reason",
    "superseded_at",
    "snapshot_sha256",
    "signing_kid",
)
_PUBLIC_PARTS = ("laboratory", "lot", "amendment", "languages")
_LOT_FIELDS = ("number", "material", "hs_code", "dry_mass_t")
_LOT_IDENTITY = ("number", "material", "hs_code")
_RESULT_FIELDS = ("analyte", "name", "value", "qualifier", "detection_limit", "unit", "basis", "uncertainty", "method")


@dataclass(frozen=True)
class Check:
    """A verdict of the portal, with what the certificate states when the register knows it."""

    verdict: str
    message: str
    number: str | None = None
    statement: dict | None = None
    revoked: dict | None = None  # {"at": datetime, "reason": str}
    superseded: dict | None = None  # {"at": datetime, "by": number}
    evidence: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(TITLES[self.verdict])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def ok(self) -> bool:
        return self.verdict == AUTHENTIC


def normalise_number(text: str | None) -> str:
    """A number as people type it: any case, with stray spaces."""
    return "".join((text or "").split()).upper()


def valid_number(number: str) -> bool:
    return bool(NUMBER_PATTERN.fullmatch(number))


# The register -------------------------------------------------------------------------------------


class WrongCode(Exception):
    """A verification code was given for a certificate, and it is not the one printed on it."""

    def __init__(self, number: str):
        super().__init__(number)
        self.number = number

    def __str__(self) -> str:
        return _(
            "This is not the verification code printed on certificate %(number)s. Type it as printed beside "
            "the QR code, or leave it out to see the certificate's status only."
        ) % {"number": self.number}


def _register(disclosure: str, **lookup) -> dict | None:
    """One row of the register by an indexed column (number or pdf_sha256), with what the certificate
    states at `disclosure` (PUBLIC or FULL): one query for the status; the statement never changes
    after issue, so it is cached."""
    rows = Certificate.objects.filter(status__in=PUBLIC_STATUSES, **lookup).order_by().values(*_REGISTER_FIELDS)
    row = next(iter(rows[:1]), None)
    if row is None:
        return None
    row["statement"] = _stated(row, disclosure)
    return row


def _stated(row: dict, disclosure: str) -> dict:
    """The statement of a register row at `disclosure`, cached under the snapshot's hash (what it is
    made of), the language it is told in and the disclosure level; on a miss, one query extracts only
    the shown parts of the snapshot (never custody or QC)."""
    if disclosure not in (PUBLIC, FULL):
        raise ValueError(f"unknown disclosure level {disclosure!r}")
    key = _STATEMENT_CACHE_KEY.format(
        number=row["number"], sha256=row["snapshot_sha256"], language=get_language(), disclosure=disclosure
    )
    statement = cache.get(key)
    if statement is None:
        names = _PUBLIC_PARTS if disclosure == PUBLIC else tuple(_SNAPSHOT_PARTS)
        paths = [_SNAPSHOT_PARTS[name] for name in names]
        parts = Certificate.objects.filter(number=row["number"]).order_by().values(*paths)[0]
        snapshot = {name: parts[_SNAPSHOT_PARTS[name]] for name in names}
        statement = _statement(row, snapshot) if disclosure == FULL else _public_statement(row, snapshot)
        cache.set(key, statement, STATEMENT_CACHE_SECONDS)
    return statement


def _public_statement(row: dict, snapshot: Mapping) -> dict:
    """What anyone with the number sees: the certificate's and the lot's identity."""
    lot = snapshot["lot"] or {}
    laboratory = snapshot["laboratory"] or {}
    amendment = snapshot["amendment"]
    return {
        "disclosure": PUBLIC,
        "number": row["number"],
        "title": _("Amended Certificate of Analysis") if amendment else _("Certificate of Analysis"),
        "issued": timezone.localdate(row["issued_at"]).isoformat(),
        "laboratory": {"name": laboratory.get("name", ""), "address": laboratory.get("address", "")},
        "lot": _lot(lot, _LOT_IDENTITY),
        "languages": _languages(snapshot["languages"]),
        "amendment": {"supersedes": amendment.get("supersedes")} if amendment else None,
    }


def _statement(row: dict, snapshot: Mapping) -> dict:
    """What the certificate states, as the verdict shows it to whoever may see it all."""
    lot = snapshot["lot"] or {}
    laboratory = snapshot["laboratory"] or {}
    authoriser = snapshot["authorised_by"] or {}
    amendment = snapshot["amendment"]
    return {
        "disclosure": FULL,
        "number": row["number"],
        "title": _("Amended Certificate of Analysis") if amendment else _("Certificate of Analysis"),
        "issued": timezone.localdate(row["issued_at"]).isoformat(),
        "laboratory": {"name": laboratory.get("name", ""), "address": laboratory.get("address", "")},
        "customer": snapshot["customer"] or "",
        "lot": _lot(lot, _LOT_FIELDS),
        "languages": _languages(snapshot["languages"]),
        "moisture": snapshot["moisture"],
        "headline": [
            {"analyte": analyte, "value": value, "unit": unit}
            for analyte, value, unit in headline_items({"headline": snapshot["headline"]})
        ],
        "results": [_result(result) for result in snapshot["results"] or []],
        "authorised_by": {"name": authoriser.get("name", ""), "role": authoriser.get("role", "")},
        "amendment": {"supersedes": amendment.get("supersedes"), "reason": amendment.get("reason", "")}
        if amendment
        else None,
    }


def _reader_language() -> str:
    return (get_language() or "en").split("-")[0]


def _lot(lot: Mapping, fields: tuple[str, ...]) -> dict:
    """The lot's `fields`, the material named in the reader's language when the certificate froze it."""
    shown = {name: lot.get(name) for name in fields}
    shown["material"] = (lot.get("material_names") or {}).get(_reader_language()) or lot.get("material")
    return shown


def _languages(pair: list[str] | None) -> str:
    """The certificate's languages as the reader reads them ("Kazakh + Russian"); "" before pairs."""
    return certificate_languages.label(pair) if pair else ""


def _result(result: Mapping) -> dict:
    """A result as the verdict shows it, the element named in the reader's language when the
    certificate froze its name in that language (lims.coa/3 `names`), else in English."""
    shown = {name: result.get(name) for name in _RESULT_FIELDS}
    shown["name"] = (result.get("names") or {}).get(_reader_language()) or result.get("name")
    return shown


def _from_register(row: dict, *, evidence: list[tuple[str, str]] | None = None, note: str = "") -> Check:
    """The verdict the register's status gives a certificate known to be genuine."""
    number, status = row["number"], row["status"]
    common = {"number": number, "statement": row["statement"], "evidence": evidence or []}
    if status == S.REVOKED:
        when = _local(row["revoked_at"])
        message = _("Certificate %(number)s was revoked on %(date)s: %(reason)s") % {
            "number": number,
            "date": when,
            "reason": row["revocation_reason"],
        }
        revoked = {"at": row["revoked_at"], "reason": row["revocation_reason"]}
        return Check(REVOKED, _join(message, note), revoked=revoked, **common)
    if status == S.SUPERSEDED:
        # The amendment's number, read only for a superseded certificate: the common case needs no join.
        by = Certificate.objects.filter(supersedes__number=number).values_list("number", flat=True).first()
        message = _("Certificate %(number)s was superseded on %(date)s by certificate %(by)s.") % {
            "number": number,
            "date": _local(row["superseded_at"]),
            "by": by or "?",
        }
        return Check(SUPERSEDED, _join(message, note), superseded={"at": row["superseded_at"], "by": by}, **common)
    compromised = publication.compromise(number=number, signing_kid=row["signing_kid"], signed_at=row["issued_at"])
    if compromised:
        return Check(COMPROMISED, _join(compromised, note), **common)
    message = _("Certificate %(number)s was issued by the laboratory on %(date)s, is unchanged and is current.") % {
        "number": number,
        "date": row["statement"]["issued"],
    }
    return Check(AUTHENTIC, _join(message, note), **common)


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "?"


def _join(message: str, note: str) -> str:
    return f"{message} {note}" if note else message


def _unknown(number: str) -> Check:
    return Check(
        UNKNOWN,
        _("The register of this laboratory has no certificate numbered %(number)s.") % {"number": number},
        number=number,
    )


def check_number(number: str, *, code: str = "", viewer=None) -> Check:
    """The register's verdict on a certificate number (already normalised and valid), showing what
    disclosure(number, code=..., viewer=...) allows. Raises WrongCode for a code that is not the
    certificate's."""
    return check_number_at(number, disclosure(number, code=code, viewer=viewer))


def check_number_at(number: str, level: str) -> Check:
    row = _register(level, number=number)
    return _unknown(number) if row is None else _from_register(row)


def disclosure(number: str, *, code: str = "", viewer=None) -> str:
    """How much a check by number shows (see the module docstring): FULL to a signed-in user who may
    see the certificate or with the verification code printed on it, else PUBLIC. A code that is not
    the certificate's raises WrongCode; for a number the register does not know, a code decides
    nothing (the verdict is `unknown` either way)."""
    issued = Certificate.objects.filter(number=number, status__in=PUBLIC_STATUSES)
    if code:
        stored = issued.values_list("verification_code_sha256", flat=True).first()
        if stored is None:
            return PUBLIC
        if not codes.matches(code, stored):
            raise WrongCode(number)
        return FULL
    if viewer is not None and viewer.is_authenticated and permissions.visible(viewer, issued).exists():
        return FULL
    return PUBLIC


def _column(name: str) -> str:
    """The quoted column of the certificate's field `name`."""
    field = Certificate._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ImproperlyConfigured(f"Certificate.{name} is not a column of the register")
    return connection.ops.quote_name(field.column)


def _key_column(name: str) -> str:
    """The quoted column of the signing key's field `name`."""
    field = SigningKey._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ImproperlyConfigured(f"SigningKey.{name} is not a column")
    return connection.ops.quote_name(field.column)


def _key_state_sql(table: str, own: str, part: str) -> str:
    """A subquery for one column `part` of the SigningKey row named by the certificate's column `own`."""
    keys_table = connection.ops.quote_name(SigningKey._meta.db_table)
    kid = _key_column("kid")
    column = _key_column(part)
    return f"(SELECT {column} FROM {keys_table} WHERE {keys_table}.{kid} = {table}.{_column(own)})"  # noqa: S608


@functools.cache
def _state_sql() -> str:
    columns = ", ".join(_column(name) for name in _REGISTER_FIELDS)
    statuses = ", ".join(f"'{status}'" for status in PUBLIC_STATUSES)
    number = _column("number")
    status = _column("status")
    table = connection.ops.quote_name(Certificate._meta.db_table)
    # The states of the keys that signed it belong to the state too: marking a key compromised
    # changes the verdict, so it must change every cached answer's key (answer_cache_key).
    key_columns = ", ".join(
        _key_state_sql(table, own, part)
        for own in ("signing_kid", "token_kid")
        for part in ("state", "compromised_from")
    )
    return (
        f"SELECT {columns}, {key_columns} FROM {table} "  # noqa: S608 - quoted names
        f"WHERE {number} = %s AND {status} IN ({statuses})"
    )


_STATE_CACHE_KEY = "verify:state:{number}"


def register_state(number: str) -> str:
    """The register's current state of a number as one string (status, revocation, supersession,
    snapshot hash...): one indexed query and no ORM compilation, as verification by number is the
    portal's busiest request. Only a key: the verdict itself is made by check_number.

    The state is kept for LIMS_VERIFY_STATE_CACHE_SECONDS (1 s; 0 reads the database every time), and
    certificates.services forgets it whenever a certificate's public status changes (issued, revoked,
    superseded): where the web processes share a cache (Redis, as the rate limit needs anyway) a
    revocation shows at once; with a private cache per process, within that second."""
    seconds = settings.LIMS_VERIFY_STATE_CACHE_SECONDS
    key = _STATE_CACHE_KEY.format(number=number)
    state = cache.get(key) if seconds else None
    if state is None:
        with connection.cursor() as cursor:
            cursor.execute(_state_sql(), [number])
            row = cursor.fetchone()
        state = "unknown" if row is None else "|".join(map(str, row))
        if seconds:
            cache.set(key, state, seconds)
    return state


def forget_register_state(*numbers: str) -> None:
    """Drop the kept state of these numbers: their public status just changed."""
    cache.delete_many([_STATE_CACHE_KEY.format(number=number) for number in numbers if number])


def answer_cache_key(number: str, state: str, level: str, *variant: str) -> str:
    """A key for a verdict's rendered answer that changes whenever the verdict may: it is made of the
    register's state just read, so a cached answer is never staler than the query that chose it, and
    of the disclosure level it shows. `variant`: the language and host it was written for."""
    if level not in (PUBLIC, FULL):
        raise ValueError(f"unknown disclosure level {level!r}")
    digest = hashlib.sha256("\x1f".join((number, state, level, *variant)).encode()).hexdigest()
    return f"verify:answer:{digest}"


# Tokens ------------------------------------------------------------------------------------------


def check_token(text: str, *, expected_number: str) -> Check:
    """The verdict on a QR token (the text of the QR code); `expected_number` is the number printed on
    the document whose QR code this is: required, so that a genuine QR code is never `authentic` for
    a document that is not its certificate. Holding the QR code shows the full statement."""
    expected = normalise_number(expected_number)
    if not expected:
        raise ValueError("check_token needs the number printed on the document")
    try:
        claims = verifier.decode_token(text, token_keys())
    except verifier.UnknownKeyError:
        return Check(NOT_OURS, _("The QR code is signed with a key this laboratory never used."))
    except verifier.BadSignatureError:
        return Check(ALTERED, _("The QR code's signature does not match its content: it was altered or forged."))
    except verifier.TokenFormatError:
        if text.strip().startswith(verifier.RETIRED_PREFIXES):
            message = _(
                "This QR code is in an earlier format, no longer accepted: check the certificate by its number."
            )
            return Check(INVALID, message)
        return Check(INVALID, _("This is not a QR code of this laboratory's certificates."))
    number = claims["n"]
    row = _register(FULL, number=number)
    if row is None:
        return _unknown(number)
    evidence = [(_("QR code"), _("signed by the laboratory"))]
    if not verifier.binds_snapshot(claims, row["snapshot_sha256"]) or (
        row["signing_kid"] and claims["k"].hex() != row["signing_kid"]
    ):
        message = _(
            "The QR code is signed by the laboratory and names certificate %(number)s, but what it certifies is "
            "not what the register holds for that certificate."
        ) % {"number": number}
        # Not that certificate's QR code: it proves no hold of its document.
        return Check(MISMATCH, message, number=number, statement=_stated(row, PUBLIC), evidence=evidence)
    if expected != number:
        message = _(
            "This QR code belongs to certificate %(number)s, not to certificate %(expected)s: the document it is "
            "printed on is not the certificate it claims to be."
        ) % {"number": number, "expected": expected}
        return Check(MISMATCH, message, number=number, statement=row["statement"], evidence=evidence)
    return _from_register(row, evidence=evidence)


# Files -------------------------------------------------------------------------------------------


def check_file(data: bytes) -> Check:
    """The verdict on an uploaded PDF (see the module docstring for the cases).

    Synchronous: pyHanko's validator runs an event loop of its own, which cannot start inside a
    running one. Call it from sync views and commands only."""
    digest = hashlib.sha256(data).hexdigest()
    row = _register(FULL, pdf_sha256=digest)
    if row is not None:
        return _from_register(row, evidence=[(_("File"), _("identical to the file the laboratory registered"))])
    verdict = verifier.verify_pdf(data, trust_roots=trust_roots(), token_keys=token_keys(), revocations=None)
    evidence = _evidence(verdict)
    if verdict.status != AUTHENTIC:
        messages = {
            NOT_OURS: _("The document is not signed by this laboratory, or its QR code is not the laboratory's."),
            ALTERED: _("The document was changed after the laboratory signed it."),
        }
        message = messages.get(verdict.status, _("The file is not a signed certificate of this laboratory."))
        return Check(verdict.status, message, evidence=evidence)
    if verdict.number is None:  # the verifier reads the number off the token of an authentic document
        raise ValueError("the verifier found the document authentic without a certificate number")
    row = _register(FULL, number=verdict.number)
    if row is None:
        return _unknown(verdict.number)
    if _attached_snapshot_sha256(data) != row["snapshot_sha256"] or (
        row["signing_kid"] and verdict.details.get("signing key id") != row["signing_kid"]
    ):
        message = _(
            "The document is signed by the laboratory and numbered %(number)s, but its content is not what the "
            "register holds for that certificate."
        ) % {"number": verdict.number}
        # Signed by the laboratory, but not that certificate's document: it proves no hold of it.
        statement = _stated(row, PUBLIC)
        return Check(MISMATCH, message, number=verdict.number, statement=statement, evidence=evidence)
    note = _("This file is not the registered copy byte for byte, but its signature and content are the laboratory's.")
    return _from_register(row, evidence=evidence, note=note)


def _evidence(verdict: verifier.Verdict) -> list[tuple[str, str]]:
    """What the signature check found, in words: the reason (the verifier's own, in English) and who signed."""
    evidence = [(_("Signature check"), verdict.message)]
    names = {"signed by": _("Signed by"), "signed at (as stated by the signer)": _("Signed at (as stated)")}
    evidence += [(label, verdict.details[name]) for name, label in names.items() if name in verdict.details]
    return evidence


def _attached_snapshot_sha256(data: bytes) -> str | None:
    """The hash of the snapshot attached to a PDF whose signature verify_pdf accepted (which also
    checked that the QR token binds it)."""
    snapshot = verifier._attachments(verifier.open_pdf(data)).get(verifier.SNAPSHOT_ATTACHMENT)
    return hashlib.sha256(snapshot).hexdigest() if snapshot is not None else None
