"""Rotate a key, or mark one compromised; the key set and status list are published again at once.

    python manage.py rotate_key --kind token               # a new QR-token key, generated
    python manage.py rotate_key --kind status --key NEW.pem  # the status key, taken from a file
    python manage.py rotate_key --kind log                 # the transparency log key (checkpoints)
    python manage.py rotate_key --kind pdf --key KEY.pem --cert CERT.pem   # or --p12 FILE.p12
    python manage.py rotate_key --compromised KID --from 2026-11-01T00:00Z --reason "laptop stolen"

token / status: the new Ed25519 key (generated, or read from --key) is written where the setting
points (LIMS_TOKEN_KEY, LIMS_STATUS_KEY; with development keys, var/keys/<kind>-key.pem) through a
temporary file and a rename, its public half recorded as the current key and published; the old
key is kept on record as retired, so what it signed keeps verifying. Run it where the key lives
(the "pdf" workers' host for the token key, the "default" workers' for the status key); the
workers pick the new file up at their next task, without a restart (certificates.keys, Caching).

pdf: the new signing certificate (with its key in --key, or in --p12) is checked as the issue task
would check it (key matches, nonRepudiation) and recorded as current; the old one is retired. A
new root CA goes into var/keys/published/roots/ (the next publication serves it in root.pem). Point LIMS_SIGNING_* at the new files and restart the "pdf"
workers: the PDF signing key is cached per configuration.

--compromised: what the key signed from --from on is "not valid: key compromised" on the portal and
in the offline kit (and everything it signed, where no timestamp proves the time); the issue task
refuses to sign with it. Rotate it too.
"""

from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from certificates import keys, publication, transparency, verifier
from certificates.models import SigningKey
from lims.lib.commands import BaseCommand

K = SigningKey.Kind


class Command(BaseCommand):
    help = gettext_noop(
        "Rotate the token, status or PDF signing key, or mark a key compromised; republishes the key set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=[K.TOKEN, K.STATUS, K.LOG, K.PDF], help=gettext_lazy("the key to rotate"))
        parser.add_argument(
            "--key", help=gettext_lazy("token/status: the new private key (PEM); pdf: the new signing key")
        )
        parser.add_argument("--cert", help=gettext_lazy("pdf: the new signing certificate (PEM, chain after it)"))
        parser.add_argument("--p12", help=gettext_lazy("pdf: the new key, certificate and chain as PKCS#12"))
        parser.add_argument("--passphrase", default=None, help=gettext_lazy("pdf: the passphrase of --key or --p12"))
        parser.add_argument("--compromised", metavar="KID", help=gettext_lazy("mark this key compromised"))
        parser.add_argument(
            "--from",
            dest="since",
            help=gettext_lazy("with --compromised: from when (ISO 8601, e.g. 2026-11-01T00:00Z)"),
        )
        parser.add_argument("--reason", default="", help=gettext_lazy("why (recorded with the key's state)"))

    def handle(self, *args, kind, key, cert, p12, passphrase, compromised, since, reason, **options):
        if bool(kind) == bool(compromised):
            raise CommandError(_("give either --kind (rotate) or --compromised KID (mark a key)"))
        try:
            if compromised:
                self._compromised(compromised, since, reason)
            elif kind == K.PDF:
                self._pdf(key, cert, p12, passphrase, reason)
            else:
                self._ed25519(kind, key, reason)
            number = publication.publish()
        except keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("key set and status list published again (no. %(number)s)") % {"number": number})

    def _ed25519(self, kind: str, path: str | None, reason: str) -> None:
        if path:
            try:
                new = serialization.load_pem_private_key(Path(path).read_bytes(), None)
            except (OSError, ValueError, TypeError) as exc:
                raise CommandError(
                    _("--key %(path)s is not a readable unencrypted PEM private key") % {"path": path}
                ) from exc
            if not isinstance(new, Ed25519PrivateKey):
                raise CommandError(_("--key %(path)s must be an Ed25519 private key") % {"path": path})
        else:
            new = Ed25519PrivateKey.generate()
        kid = verifier.key_id(new.public_key())
        pem = new.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        with transaction.atomic():
            self._retire(kind, reason)
            self._record(kid, {"kind": kind, "public_pem": pem.decode(), "state": "current"})
        written = keys.install_ed25519(kind, new)
        self.stdout.write(
            _("new %(kind)s key %(kid)s written to %(path)s") % {"kind": kind, "kid": kid, "path": written}
        )

    def _pdf(self, key: str | None, cert: str | None, p12: str | None, passphrase: str | None, reason: str) -> None:
        if p12:
            private, certificate, _chain = keys._read_p12(p12, passphrase)
        elif key and cert:
            private = keys._read_private_key(key, passphrase, "--key")
            certificate, *_chain = keys._read_certificates(Path(cert))
        else:
            raise CommandError(_("--kind pdf needs --p12, or --key and --cert"))
        if verifier.key_id(private.public_key()) != verifier.key_id(certificate.public_key()):
            raise CommandError(_("the key does not belong to the certificate"))
        if not keys._has_non_repudiation(certificate):
            raise CommandError(_("the certificate lacks the key usage nonRepudiation: its signatures would be refused"))
        kid = verifier.key_id(certificate.public_key())
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        with transaction.atomic():
            self._retire(K.PDF, reason)
            self._record(
                kid,
                {"kind": K.PDF, "public_pem": pem, "subject": certificate.subject.rfc4514_string(), "state": "current"},
            )
        self.stdout.write(
            _('new PDF signing key %(kid)s recorded; point LIMS_SIGNING_* at it and restart the "pdf" workers')
            % {"kid": kid}
        )

    def _record(self, kid: str, defaults: dict) -> None:
        """The new key on record as current; a key new to the register gets its key-added leaf in the
        transparency log, in this transaction."""
        record, created = SigningKey.objects.update_or_create(kid=kid, defaults=defaults)
        if created:
            transparency.log_key(record, "key-added", record.first_used_at)

    def _retire(self, kind: str, reason: str) -> None:
        """Retire the kind's current keys, each with its key-retired leaf in the log."""
        now = timezone.now()
        current = SigningKey.objects.select_for_update().filter(kind=kind, state=SigningKey.State.CURRENT)
        retired = 0
        for record in current:
            record.state, record.retired_at, record.state_reason = SigningKey.State.RETIRED, now, reason or "rotated"
            record.save(update_fields=["state", "retired_at", "state_reason"])
            transparency.log_key(record, "key-retired", now)
            retired += 1
        self.stdout.write(_("%(count)d %(kind)s key(s) retired") % {"count": retired, "kind": kind})

    def _compromised(self, kid: str, since: str | None, reason: str) -> None:
        if not reason.strip():
            raise CommandError(_("--reason is required with --compromised: verifiers are told the key's state"))
        moment = None
        if since:
            try:
                moment = datetime.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(
                    _("--from %(value)r is not an ISO 8601 time such as 2026-11-01T00:00Z") % {"value": since}
                ) from exc
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        with transaction.atomic():
            record = SigningKey.objects.select_for_update().filter(kid=kid).first()
            if record is not None:
                record.state, record.compromised_from = SigningKey.State.COMPROMISED, moment
                record.state_reason = reason.strip()
                record.save(update_fields=["state", "compromised_from", "state_reason"])
                transparency.log_key(record, "key-compromised")
        if record is None:
            raise CommandError(
                _("no key %(kid)s on record (manage.py shell: SigningKey.objects.values('kid', 'kind'))") % {"kid": kid}
            )
        self.stdout.write(
            _("key %(kid)s marked compromised from %(since)s; rotate it with --kind")
            % {"kid": kid, "since": moment or _("the start")}
        )
