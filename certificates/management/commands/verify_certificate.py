"""Check a certificate PDF from the command line, as the verification portal does.

    python manage.py verify_certificate FILE.pdf              # this installation's register and keys
    python manage.py verify_certificate FILE.pdf --keys DIR   # the published files alone, no database

Without --keys the verdict is the portal's (certificates.verification.check_file): the register's
status decides, so a revocation counts the moment it is made. With --keys, DIR holds what the portal
publishes (root.pem, keys.json, revocations.json: /verify/keys/root.pem, /verify/keys/keys.json,
/verify/revocations.json) and the verdict is the offline verifier's (certificates.verifier:
verify_pdf_offline), which neither reads the database nor opens a connection: with no status list,
or one past its next_update or older than --max-age, "status unknown" (9), never authentic.

Exit status: 0 authentic and current; otherwise the offline verifier's codes (3 revoked,
4 superseded, 5 not issued by this laboratory, 6 altered, 7 invalid, 8 keys unusable, 9 status
unknown, 10 update the kit, 11 key compromised, 2 usage); a number the register does not know
counts as 5, a document that does not match the register as 7.

The offline verdict is printed in the active language (English, Russian or Kazakh: the kit's own
texts, verifier.translate); the keyword in front (AUTHENTIC, REVOKED...) and the exit status do not change.
"""

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import translation

from certificates import publication, verification, verifier
from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = "Verify a Certificate of Analysis PDF; the exit status is the verdict (0: authentic and current)."
    # The check reads a file and, without --keys, the register; nothing else of the project must work.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("pdf", type=Path, help="the certificate PDF")
        parser.add_argument(
            "--keys",
            type=Path,
            help="directory with the published root.pem, keys.json and revocations.json (no database needed)",
        )
        parser.add_argument(
            "--skip-revocation", action="store_true", help="with --keys: ignore the status list (status unknown)"
        )
        parser.add_argument(
            "--max-age",
            type=verifier.parse_duration,
            help="with --keys: a status list older than this (6h, 2d) is too old",
        )

    def handle(self, *args, pdf: Path, keys: Path | None, skip_revocation: bool, max_age=None, **options):
        try:
            data = pdf.read_bytes()
        except OSError as exc:
            raise CommandError(f"{pdf}: {exc.strerror}", returncode=verifier.EXIT_USAGE) from exc
        if keys is None:
            code = self._with_register(data)
        else:
            code = self._with_published(data, keys, skip_revocation=skip_revocation, max_age=max_age)
        if code:
            raise SystemExit(code)

    def _with_register(self, data: bytes) -> int:
        try:
            check = verification.check_file(data)
        except publication.VerificationUnavailable as exc:
            self.stdout.write(f"CANNOT VERIFY: the laboratory's keys are not configured here: {exc}")
            return verifier.EXIT_KEYS
        self._verdict(check.verdict, check.number, check.message, check.evidence, ok=check.ok)
        if check.superseded:
            self.stdout.write(f"  replaced by: {check.superseded['by']}")
        return check.exit_code

    def _with_published(self, data: bytes, keys: Path, *, skip_revocation: bool, max_age) -> int:
        try:
            kit = verifier.load_kit(keys, read_status_list=not skip_revocation)
        except (OSError, ValueError) as exc:
            message = f"CANNOT VERIFY: the published keys in {keys} cannot be used: {exc}"
            self.stdout.write(verifier.translate(message, self._lang()))
            return verifier.EXIT_KEYS
        verdict = verifier.verify_pdf_offline(data, kit, now=datetime.now(UTC), max_age=max_age)
        self._verdict(
            verdict.status, verdict.number, verdict.message, verdict.details.items(), ok=verdict.exit_code == 0
        )
        return verdict.exit_code

    @staticmethod
    def _lang() -> str:
        """The active Django language as the kit names it (en, ru, kk)."""
        return verifier.normalize_language(translation.get_language())

    def _verdict(self, status: str, number: str | None, message: str, details, *, ok: bool) -> None:
        lang = self._lang()
        line = f"{status.upper()}: {number or verifier.translate('unknown certificate', lang)}: "
        line += verifier.translate(str(message), lang)
        self.stdout.write(self.style.SUCCESS(line) if ok else self.style.ERROR(line))
        for name, value in details:
            self.stdout.write(f"  {verifier.translate(str(name), lang)}: {verifier.translate(str(value), lang)}")
