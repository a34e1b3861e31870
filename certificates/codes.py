"""The verification code printed on a certificate: proof that whoever checks a certificate by its
number holds the document, so the portal may show them its results (certificates.verification).

A code is 16 random characters of Crockford's base32 (digits and capital letters without I, L, O and
U), 80 bits from the operating system's generator, printed in groups of four: ``7KQ4-M2XD-9PHT-B3WE``.
Crockford's alphabet because people type it: no letters that look like digits, and the portal reads
I and L as 1, O as 0, any case, with or without the hyphens. 80 bits because the only attack is
guessing through the rate-limited portal (60 checks a minute per address by default), one number
at a time: a billion addresses guessing at that rate for a century would try about 2^62 codes, one
chance in 250,000 of finding a given certificate's.

Only the code's SHA-256 is stored (Certificate.verification_code_sha256), never the code: the
database, its backups and the snapshot attached to the PDF do not reveal it, and the QR token does
not carry it (the token's content is public). A plain hash, no salt or slow hash: those defend
low-entropy passwords against a dictionary; nobody can enumerate 2^80 codes. Hashes are compared
in constant time.

A code is made for each attempt to issue a certificate (certificate_issue_unsafe) and its hash is
recorded with the PDF that prints it, so the stored hash is always the printed code's.
"""

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    """A fresh code, grouped for printing."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(code[start : start + GROUP] for start in range(0, LENGTH, GROUP))


def normalise(text: str | None) -> str | None:
    """The code's 16 characters as typed in any case, with spaces or hyphens; None when `text` cannot
    be a code (wrong length or a character outside the alphabet)."""
    code = "".join((text or "").replace("-", " ").split()).upper().translate(_READ_AS)
    if len(code) != LENGTH or not all(char in ALPHABET for char in code):
        return None
    return code


def code_sha256(code: str) -> str:
    """The hex SHA-256 stored for a code (given as printed or as typed)."""
    normalised = normalise(code)
    if normalised is None:
        raise ValueError("not a verification code")
    return hashlib.sha256(normalised.encode("ascii")).hexdigest()


def matches(text: str, stored_sha256: str) -> bool:
    """Whether `text` is the code whose hash is `stored_sha256` (False when none is stored)."""
    normalised = normalise(text)
    if normalised is None or not stored_sha256:
        return False
    return hmac.compare_digest(code_sha256(normalised), stored_sha256)
