"""The laboratory's signing material: where it comes from, how development gets its own, and how
rotation keeps earlier certificates verifiable.

Two keys sign a certificate of analysis, and a third what verifiers are told now:
- an RSA key, whose X.509 certificate signs the PDF (PAdES). RSA because pyHanko raises the PDF
  version to 2.0 for EC and EdDSA keys, which PDF/A-3 (based on PDF 1.7) does not allow;
- an Ed25519 token key, which signs the QR token;
- an Ed25519 status key, which signs the key set (keys.json) and the status list (revocations.json,
  certificates.status_list). A key of its own, so that the key that vouches for the others' states
  (retired, compromised) is not one of them, and so that the issuing workers need not hold it.

Configuration (settings, read on every call; parsing is cached per configuration, see below):
- LIMS_SIGNING_P12 (path) with LIMS_SIGNING_P12_PASSPHRASE: key, certificate and chain in PKCS#12; or
- LIMS_SIGNING_KEY (path, PEM; LIMS_SIGNING_KEY_PASSPHRASE if encrypted), LIMS_SIGNING_CERT (path,
  PEM: the certificate, optionally followed by its chain) and LIMS_SIGNING_CHAIN (path, PEM, optional);
- LIMS_SIGNING_PKCS11_MODULE, _TOKEN, _PIN, _KEY_LABEL (and _CERT_LABEL, or the certificate in
  LIMS_SIGNING_CERT): the PDF signing key in a PKCS#11 token (see "PKCS#11" below);
- LIMS_TOKEN_KEY (path, PEM PKCS#8): the Ed25519 token key;
- LIMS_STATUS_KEY (path, PEM PKCS#8): the Ed25519 status key;
- LIMS_LOG_KEY (path, PEM PKCS#8): the Ed25519 log key, which signs the transparency log's
  checkpoints (certificates.transparency): a key of its own, so that what vouches for the log's
  history is not a key whose events the log records about itself being rotated with another.
When none of these is set and DEBUG is on, or whenever LIMS_GENERATE_DEV_KEYS is on, the material not
configured is generated on first use. Otherwise a missing key raises KeyConfigurationError.
The signing certificate must carry the key usage nonRepudiation (pyHanko's validator requires it) and,
if it has extended key usages, emailProtection besides documentSigning (poppler's pdfsig requires it).

On-disk layout, under settings.VAR_DIR / "keys":

    keys/
      signing-key.pem              development PDF signing key (RSA-3072), mode 0600
      signing-cert.pem             its certificate, then the development root that issued it
      signing-crl.pem              the development root's CRL (empty), signed when it issued the
                                   certificate: the revocation data a B-LTA signature embeds
      tsa-key.pem                  development timestamp authority key (RSA-3072), mode 0600
      tsa-cert.pem                 its certificate (extended key usage timeStamping, critical),
                                   then the development timestamp root that issued it
      tsa-crl.pem                  the timestamp root's CRL (empty), signed at the same time
      token-key.pem                development token key (Ed25519), mode 0600
      status-key.pem               development status key (Ed25519), mode 0600
      log-key.pem                  development log key (Ed25519), mode 0600
      .lock                        serialises generation between processes
      published/                   public material, current and retired; never deleted
        roots/<key id>.pem         trust roots for PDF signatures
        token-keys/<key id>.pem    token public keys (SubjectPublicKeyInfo PEM)
        status-keys/<key id>.pem   status public keys (SubjectPublicKeyInfo PEM)
        log-keys/<key id>.pem      log public keys (SubjectPublicKeyInfo PEM)

Development generation writes the public halves into published/ as it creates them; the root's
private key is discarded once it has issued the signing certificate and its CRL (a keys directory
from before CRLs has no signing-crl.pem and is rotated on first use). It never makes a new root while
the register records PDF keys (certificates signed under a root this directory no longer holds, as
after restoring a backup without var/keys): it stops and says what to restore. The development timestamp
authority (certificates.tsa) has a root of its own, also published in published/roots/ (so the
offline kit's root.pem holds it) and also discarded after issuing; a separate root, rather than the
signing root, because that root's key is gone once the signing certificate exists, and because
rotating one must not touch the other. In production the laboratory
puts its root CA certificate in published/roots/ and, so that processes that only verify (the web
portal) need no private key, the token public key in published/token-keys/; the root of its
timestamp authority (LIMS_TSA_URL) goes there too, and the signing worker fetches revocation data
(CRL, OCSP) from the addresses in the certificates.

Which process holds which key: only the Celery workers that issue certificates sign PDFs, so only
they load the PDF signing key (or open a session with the PKCS#11 token); `manage.py run_tsa`
(development) holds the timestamp authority's key, and so does a worker that timestamps in process
(development keys, no LIMS_TSA_URL). In full:

    process                               private keys it loads
    web (gunicorn: pages, API, files)     none: it reads public keys from the SigningKey table and
                                          published/, and serves the signed files from storage
    Celery worker, queue "pdf"            PDF signing key (file, PKCS#12 or PKCS#11) + token key
    Celery worker, queue "default"        status key (tasks.publish_status, sent by beat and after
      (with beat)                         every issue, revocation and supersession) + log key
                                          (tasks.sign_log_checkpoint)
    manage.py rotate_key                  the key it installs

So configure LIMS_SIGNING_* and LIMS_TOKEN_KEY for the "pdf" workers only, LIMS_STATUS_KEY for the
"default" workers only, and none of them for the web. Nothing on a web path calls
load_signing_material(), load_token_key() or load_status_key() (tests/certificates/
test_web_without_keys.py runs every /verify/ address with those three raising).

Rotation: `manage.py rotate_key` (certificates/management/commands/rotate_key.py): a new token or
status key is generated (or taken from a file) and written where the setting points, a new PDF
key is recorded from the files given; the old key is kept on record as retired (it still verifies
what it signed), or marked compromised from a date, and the key set is published again at once.
What was published stays, so certificates signed with retired keys keep verifying. A key id is the first 8 bytes of the SHA-256 of the SubjectPublicKeyInfo, in hex
(verifier.key_id). A root shared with others (a public CA) does not let their signatures pass for the
laboratory's: the QR token, signed with the laboratory's own key, names its signing certificate.

Caching: parsing (and checking) an RSA-3072 key takes 100-300 ms on this machine, and pyHanko's own
signer re-parses it twice per document; load_signing_material() parses once per process and
configuration, and certificates.signing builds one signer per loaded key. The Ed25519 keys (token,
status) are cached by path and the file's modification time, which is checked on every use (one
stat): a worker picks up a token or status key rotated in place by rotate_key at its next task,
without a restart. A new PDF signing key comes with new settings (or files the cache does not
watch): restart the "pdf" workers after rotating it (rotate_key says so). reset_cache() forgets
everything (tests).
"""

import base64
import contextlib
import fcntl
import functools
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from certificates.verifier import key_id

DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
RSA_BITS = 3072
ROOT_VALIDITY = timedelta(days=20 * 365)
SIGNING_VALIDITY = timedelta(days=10 * 365)
# The development timestamp authority outlives the signing certificate, so that a certificate checked
# after its signing certificate expired still has a valid (outermost) document timestamp; a real
# deployment renews the document timestamp before its authority's certificate expires.
TSA_VALIDITY = timedelta(days=16 * 365)


class KeyConfigurationError(ImproperlyConfigured):
    """Signing material is missing, unreadable or unsuitable. Messages name files and settings, never
    key material."""


@dataclass(frozen=True, eq=False)
class SigningMaterial:
    """The PDF signing key with its certificate and chain. `key` is None when the key lives in a
    PKCS#11 token: then `pkcs11` says how to reach it."""

    key: rsa.RSAPrivateKey | None = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    pkcs11: "Pkcs11Key | None" = None

    @property
    def kid(self) -> str:
        return key_id(self.certificate.public_key())


@dataclass(frozen=True, eq=False)
class TokenKey:
    key: Ed25519PrivateKey = field(repr=False)
    kid: str


@dataclass(frozen=True)
class _Config:
    """Everything the loaders read from settings; hashable, so it keys the caches."""

    keys_dir: Path
    generate: bool
    lab_code: str
    p12: str | None
    p12_passphrase: str | None = field(repr=False)
    key: str | None
    key_passphrase: str | None = field(repr=False)
    cert: str | None
    chain: str | None
    token_key: str | None
    status_key: str | None
    log_key: str | None
    pkcs11: "Pkcs11Key | None" = None


def _config() -> _Config:
    def path(name: str) -> str | None:
        value = getattr(settings, name, None)
        return str(value) if value else None

    names = (
        "LIMS_SIGNING_P12",
        "LIMS_SIGNING_KEY",
        "LIMS_SIGNING_CERT",
        "LIMS_SIGNING_CHAIN",
        "LIMS_TOKEN_KEY",
        "LIMS_STATUS_KEY",
        "LIMS_LOG_KEY",
    )
    files = {name: path(name) for name in names}
    nothing_configured = not any(files.values()) and not getattr(settings, "LIMS_SIGNING_PKCS11_MODULE", None)
    return _Config(
        keys_dir=Path(settings.VAR_DIR) / "keys",
        generate=bool(getattr(settings, "LIMS_GENERATE_DEV_KEYS", False)) or (settings.DEBUG and nothing_configured),
        lab_code=getattr(settings, "LIMS_LAB_CODE", "LIMS"),
        p12=files["LIMS_SIGNING_P12"],
        p12_passphrase=getattr(settings, "LIMS_SIGNING_P12_PASSPHRASE", None),
        key=files["LIMS_SIGNING_KEY"],
        key_passphrase=getattr(settings, "LIMS_SIGNING_KEY_PASSPHRASE", None),
        cert=files["LIMS_SIGNING_CERT"],
        chain=files["LIMS_SIGNING_CHAIN"],
        token_key=files["LIMS_TOKEN_KEY"],
        status_key=files["LIMS_STATUS_KEY"],
        log_key=files["LIMS_LOG_KEY"],
        pkcs11=_pkcs11_config(),
    )


def load_signing_material() -> SigningMaterial:
    """The PDF signing key, its certificate and chain: the one function that hands out that key."""
    return _load_signing_material(_config())


def load_token_key() -> TokenKey:
    """The Ed25519 key of QR tokens (issue task, queue "pdf"): the one function that hands out that key."""
    return _load_ed25519(*_ed25519_source(_config(), "token"))


def load_status_key() -> TokenKey:
    """The Ed25519 key of the key set and status list (publication task, beat and queue "default"):
    the one function that hands out that key."""
    return _load_ed25519(*_ed25519_source(_config(), "status"))


def load_log_key() -> TokenKey:
    """The Ed25519 key of the transparency log's checkpoints (checkpoint task, queue "default", and
    operators' commands): the one function that hands out that key."""
    return _load_ed25519(*_ed25519_source(_config(), "log"))


def signing_kid() -> str:
    return load_signing_material().kid


def published_token_keys() -> dict[str, Ed25519PublicKey]:
    """Every token public key in published/token-keys/ (current and retired). Reads public files
    only; with development keys on, the development token key is made first if missing."""
    config = _config()
    if config.generate and not config.token_key:
        _ensure_dev_ed25519(config.keys_dir, "token")
    token_keys = published_public_keys("token")
    if not token_keys:
        raise KeyConfigurationError(
            f"no token keys: put the token public key in {config.keys_dir / 'published/token-keys'}"
        )
    return token_keys


def published_public_keys(kind: str) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 public keys (kind "token" or "status") in published/<kind>-keys/, by key id; never
    generates, never reads a private key: what a web process may call."""
    found = {}
    for path in _published(_config().keys_dir, f"{kind}-keys"):
        public_key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(public_key, Ed25519PublicKey):
            raise KeyConfigurationError(f"{path} is not an Ed25519 public key")
        found[key_id(public_key)] = public_key
    return found


def published_roots() -> list[x509.Certificate]:
    """The trust roots in published/roots/ as they are: never generates (a web process's reader)."""
    return [cert for path in _published(_config().keys_dir, "roots") for cert in _read_certificates(path)]


def install_ed25519(kind: str, key: Ed25519PrivateKey) -> Path:
    """Rotation (manage.py rotate_key): write `key` where this installation reads its `kind` key
    ("token", "status" or "log"; LIMS_<KIND>_KEY, else the development file), through a temporary
    file and a rename, and its public half into published/. Returns the path written."""
    config = _config()
    configured = _configured_ed25519(config, kind)
    path = Path(configured) if configured else config.keys_dir / f"{kind}-key.pem"
    with _generation_lock(config.keys_dir):
        _write(
            config.keys_dir / "published" / f"{kind}-keys" / f"{key_id(key.public_key())}.pem",
            _pem(key.public_key()),
            private=False,
        )
        _write(path, _pem(key), private=True)
    return path


def trust_roots() -> list[x509.Certificate]:
    """The root certificates a genuine PDF signature chains to (current and retired)."""
    config = _config()
    if config.generate and not (config.p12 or config.key or config.pkcs11):
        _ensure_dev_signing_material_for_register(config.keys_dir, config.lab_code)
    if config.generate:
        _ensure_dev_tsa_material(config.keys_dir, config.lab_code)
    roots = [cert for path in _published(config.keys_dir, "roots") for cert in _read_certificates(path)]
    if not roots:
        raise KeyConfigurationError(
            f"no trust root: put the laboratory's root CA certificate in {config.keys_dir / 'published/roots'}"
        )
    return roots


def export_public_material(dest_dir: Path) -> list[Path]:
    """Write the offline kit's key material from this installation's files, without the database
    (development and tests; the portal serves the same from the register): root.pem (every trust
    root), token-keys.json ({key id: base64 raw Ed25519 public key}) and keys.json (the key set
    signed with the status key, every published key current). The status list is not written."""
    from certificates import status_list

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    roots = dest_dir / "root.pem"
    roots.write_bytes(b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in trust_roots()))
    token_keys = published_token_keys()
    raw = {
        kid: base64.b64encode(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        for kid, public_key in token_keys.items()
    }
    token_keys_file = dest_dir / "token-keys.json"
    token_keys_file.write_text(json.dumps({kid: value.decode() for kid, value in sorted(raw.items())}, indent=2) + "\n")
    status_key = load_status_key()
    certificate = load_signing_material().certificate
    entries = [{"kid": key_id(certificate.public_key()), "kind": "pdf", "public": _pem(certificate).decode()}]
    for kind, found in (("token", token_keys), ("status", published_public_keys("status"))):
        entries += [
            {"kid": kid, "kind": kind, "public": _pem(public_key).decode()} for kid, public_key in found.items()
        ]
    signed = status_list.sign_key_set(
        issuer=_config().lab_code,
        sequence=1,
        issued_at=datetime.now(UTC),
        keys=[{**entry, "state": "current", "compromised_from": None} for entry in entries],
        key=status_key.key,
        kid=status_key.kid,
    )
    key_set = dest_dir / "keys.json"
    key_set.write_text(json.dumps(signed, indent=2) + "\n")
    return [roots, token_keys_file, key_set]


def reset_cache() -> None:
    _load_signing_material.cache_clear()
    _load_ed25519.cache_clear()
    _load_dev_tsa_material.cache_clear()
    _close_pkcs11_sessions()


@functools.lru_cache(maxsize=4)
def _load_signing_material(config: _Config) -> SigningMaterial:
    if config.pkcs11:
        return _load_pkcs11_material(config.pkcs11, config.cert, config.chain)
    if config.p12:
        key, certificate, chain = _read_p12(config.p12, config.p12_passphrase)
    elif config.key or config.cert:
        if not (config.key and config.cert):
            raise KeyConfigurationError("LIMS_SIGNING_KEY and LIMS_SIGNING_CERT must be set together")
        key = _read_private_key(config.key, config.key_passphrase, "LIMS_SIGNING_KEY")
        certificate, *chain = _read_certificates(Path(config.cert))
        if config.chain:
            chain += _read_certificates(Path(config.chain))
    elif config.generate:
        _ensure_dev_signing_material_for_register(config.keys_dir, config.lab_code)
        key = _read_private_key(str(config.keys_dir / "signing-key.pem"), None, "development signing key")
        certificate, *chain = _read_certificates(config.keys_dir / "signing-cert.pem")
    else:
        raise KeyConfigurationError(
            "no PDF signing key: set LIMS_SIGNING_P12, or LIMS_SIGNING_KEY and LIMS_SIGNING_CERT "
            "(in development: DEBUG=1 or LIMS_GENERATE_DEV_KEYS=1)"
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyConfigurationError(
            "the PDF signing key must be RSA: with other keys pyHanko writes PDF 2.0, which PDF/A-3 does not allow"
        )
    if key_id(key.public_key()) != key_id(certificate.public_key()):
        raise KeyConfigurationError("the PDF signing key does not belong to the signing certificate")
    if not _has_non_repudiation(certificate):
        raise KeyConfigurationError(
            "the PDF signing certificate lacks the key usage nonRepudiation, which pyHanko's validator (and so the "
            "verification portal and kit) requires: every certificate signed with it would be refused"
        )
    return SigningMaterial(key=key, certificate=certificate, chain=tuple(chain))


def _has_non_repudiation(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    except x509.ExtensionNotFound:
        return False


def _ed25519_source(config: _Config, kind: str) -> tuple[str, str, int]:
    """(path, label, modification time) of the token, status or log key: the time is part of the
    cache key, so a key file replaced by rotation is read again on the next use, without a restart."""
    setting = f"LIMS_{kind.upper()}_KEY"
    configured = _configured_ed25519(config, kind)
    if configured:
        path, label = configured, setting
    elif config.generate:
        _ensure_dev_ed25519(config.keys_dir, kind)
        path, label = str(config.keys_dir / f"{kind}-key.pem"), f"development {kind} key"
    else:
        what = {"token": "QR token", "status": "status list", "log": "transparency log"}[kind]
        raise KeyConfigurationError(
            f"no {what} key: set {setting} (in development: DEBUG=1 or LIMS_GENERATE_DEV_KEYS=1)"
        )
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise KeyConfigurationError(f"{label} ({path}) cannot be read: {exc.strerror}") from exc
    return path, label, stamp


def _configured_ed25519(config: _Config, kind: str) -> str | None:
    return {"token": config.token_key, "status": config.status_key, "log": config.log_key}[kind]


@functools.lru_cache(maxsize=8)
def _load_ed25519(path: str, label: str, stamp: int) -> TokenKey:
    key = _read_private_key(path, None, label)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{label} ({path}) must be an Ed25519 private key")
    return TokenKey(key=key, kid=key_id(key.public_key()))


def _read_p12(path: str, passphrase: str | None):
    data = _read(Path(path), "LIMS_SIGNING_P12")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, passphrase.encode() if passphrase else None)
    except ValueError as exc:
        raise KeyConfigurationError(
            f"LIMS_SIGNING_P12 ({path}) cannot be opened: wrong LIMS_SIGNING_P12_PASSPHRASE or not PKCS#12"
        ) from exc
    if key is None or certificate is None:
        raise KeyConfigurationError(f"LIMS_SIGNING_P12 ({path}) must hold a private key and its certificate")
    return key, certificate, list(chain)


def _read_private_key(path: str, passphrase: str | None, label: str):
    data = _read(Path(path), label)
    try:
        return serialization.load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        # The library's message says what was wrong (format, passphrase), never the key itself.
        raise KeyConfigurationError(f"{label} ({path}) is not a usable PEM private key: {exc}") from exc


def _read_certificates(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(_read(path, "certificate file"))
    except ValueError as exc:
        raise KeyConfigurationError(f"{path} holds no PEM certificate") from exc


def _read(path: Path, label: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyConfigurationError(f"{label} ({path}) cannot be read: {exc.strerror}") from exc


def _published(keys_dir: Path, kind: str) -> list[Path]:
    return sorted((keys_dir / "published" / kind).glob("*.pem"))


@contextlib.contextmanager
def _generation_lock(keys_dir: Path):
    """Two processes starting at once must not each generate (and half overwrite) a key: the second
    waits here, then finds the first one's files."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(keys_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write through a temporary file and rename, so a reader never sees half a key; private files
    are created 0600 and never exist with wider permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _pem(obj) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    if isinstance(obj, rsa.RSAPrivateKey | Ed25519PrivateKey):
        return obj.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    return obj.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


_DEV_SIGNING_FILES = ("signing-key.pem", "signing-cert.pem", "signing-crl.pem")


def _ensure_dev_signing_material_for_register(keys_dir: Path, lab_code: str) -> None:
    """Development material, made only while no certificate depends on another root. A database
    restored without var/keys (or a keys directory lost) used to get a new root silently, and the
    genuine certificates then read "not ours" offline; now it stops and says what to restore."""
    if not all((keys_dir / name).exists() for name in _DEV_SIGNING_FILES):
        _refuse_replacing_a_root(keys_dir)
    _ensure_dev_signing_material(keys_dir, lab_code)


def _refuse_replacing_a_root(keys_dir: Path) -> None:
    """Raise when the register records PDF signing keys: certificates were signed under a root this
    keys directory no longer holds. No register, nothing to protect: a database without the table
    yet (before migrate), or a process not allowed to use the database (pytest-django raises
    RuntimeError outside database tests; the test session makes its keys that way). A database that
    does not answer is not taken for an empty one: the generator stops then too."""
    from django.db import DatabaseError, connection

    from certificates.models import SigningKey  # the register; keys.py reads it only here

    try:
        if SigningKey._meta.db_table not in connection.introspection.table_names():
            return
        kids = list(SigningKey.objects.filter(kind=SigningKey.Kind.PDF).values_list("kid", flat=True)[:3])
    except RuntimeError:
        return
    except DatabaseError as exc:
        raise KeyConfigurationError(
            f"the development signing key is missing from {keys_dir} and the register cannot be asked whether "
            f"certificates depend on another root ({type(exc).__name__}); not generating one"
        ) from exc
    if kids:
        raise KeyConfigurationError(
            f"the development signing key is missing from {keys_dir}, but the register holds certificates signed "
            f"with PDF key(s) {', '.join(kids)}: restore {keys_dir} from the backup, or configure the laboratory's "
            "keys (LIMS_SIGNING_*). A new development root is not generated: the certificates signed under the "
            "old one would no longer verify offline."
        )


def _ensure_dev_signing_material(keys_dir: Path, lab_code: str) -> None:
    with _generation_lock(keys_dir):
        if all((keys_dir / name).exists() for name in _DEV_SIGNING_FILES):
            return
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        root = _dev_root(root_key, lab_code)
        signing_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        certificate = _dev_signing_certificate(signing_key, root, root_key, lab_code)
        # The root's last act: a CRL that stays current as long as the certificate it vouches for.
        crl = _dev_crl(root, root_key, next_update=certificate.not_valid_after_utc)
        _write(keys_dir / "published" / "roots" / f"{key_id(root.public_key())}.pem", _pem(root), private=False)
        _write(keys_dir / "signing-crl.pem", crl.public_bytes(serialization.Encoding.PEM), private=False)
        _write(keys_dir / "signing-key.pem", _pem(signing_key), private=True)
        # Written last: its presence (with the key) marks the set complete.
        _write(keys_dir / "signing-cert.pem", _pem(certificate) + _pem(root), private=False)


def _ensure_dev_ed25519(keys_dir: Path, kind: str) -> None:
    """The development token, status or log key (<kind>-key.pem), public half published."""
    if (keys_dir / f"{kind}-key.pem").exists():
        return
    with _generation_lock(keys_dir):
        if (keys_dir / f"{kind}-key.pem").exists():
            return
        key = Ed25519PrivateKey.generate()
        public_key = key.public_key()
        _write(keys_dir / "published" / f"{kind}-keys" / f"{key_id(public_key)}.pem", _pem(public_key), private=False)
        _write(keys_dir / f"{kind}-key.pem", _pem(key), private=True)


def _dev_name(lab_code: str, role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{lab_code} laboratory (development, not for export)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{lab_code} development {role}"),
        ]
    )


def _dev_root(root_key: rsa.RSAPrivateKey, lab_code: str, role: str = "root CA") -> x509.Certificate:
    now = datetime.now(UTC)
    name = _dev_name(lab_code, role)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def _dev_signing_certificate(
    key: rsa.RSAPrivateKey, root: x509.Certificate, root_key: rsa.RSAPrivateKey, lab_code: str
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_dev_name(lab_code, "certificate signing"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + SIGNING_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # poppler's pdfsig refuses a certificate whose only extended key usage is documentSigning.
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def _dev_crl(issuer: x509.Certificate, issuer_key: rsa.RSAPrivateKey, *, next_update: datetime):
    """An empty CRL: nothing the development root issued is revoked."""
    now = datetime.now(UTC)
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(next_update)
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


# --- Revocation data for B-LTA signatures -------------------------------------------------------


def revocation_data() -> list[x509.CertificateRevocationList]:
    """The CRLs the signing worker embeds in a signed certificate's DSS besides what it may fetch:
    the development roots' (signing-crl.pem, tsa-crl.pem) when development keys are on, else none
    (production CAs publish theirs at the addresses in their certificates)."""
    config = _config()
    if not config.generate:
        return []
    if not (config.p12 or config.key or config.pkcs11):
        _ensure_dev_signing_material(config.keys_dir, config.lab_code)
    _ensure_dev_tsa_material(config.keys_dir, config.lab_code)
    return [
        x509.load_pem_x509_crl(path.read_bytes())
        for path in (config.keys_dir / "signing-crl.pem", config.keys_dir / "tsa-crl.pem")
        if path.exists()
    ]


def fetching_allowed() -> bool:
    """Whether the signing worker may fetch revocation data (CRL, OCSP) online: not with development
    keys, whose CRLs are local files and whose certificates name no addresses."""
    return not _config().generate


# --- Development timestamp authority (certificates.tsa serves it) -------------------------------


@dataclass(frozen=True, eq=False)
class TimestampingMaterial:
    key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def load_dev_tsa_material() -> TimestampingMaterial:
    """The development timestamp authority's key and certificate, generated on first use. Only with
    development keys (DEBUG with nothing configured, or LIMS_GENERATE_DEV_KEYS): a production TSA is
    someone else's service, reached at LIMS_TSA_URL."""
    config = _config()
    if not config.generate:
        raise KeyConfigurationError(
            "the local timestamp authority has development keys only (DEBUG=1 or LIMS_GENERATE_DEV_KEYS=1); "
            "in production set LIMS_TSA_URL to the laboratory's timestamp authority"
        )
    return _load_dev_tsa_material(config.keys_dir, config.lab_code)


@functools.lru_cache(maxsize=4)
def _load_dev_tsa_material(keys_dir: Path, lab_code: str) -> TimestampingMaterial:
    _ensure_dev_tsa_material(keys_dir, lab_code)
    key = _read_private_key(str(keys_dir / "tsa-key.pem"), None, "development timestamp authority key")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyConfigurationError(f"{keys_dir / 'tsa-key.pem'} must be an RSA private key")
    certificate, *chain = _read_certificates(keys_dir / "tsa-cert.pem")
    return TimestampingMaterial(key=key, certificate=certificate, chain=tuple(chain))


def _ensure_dev_tsa_material(keys_dir: Path, lab_code: str) -> None:
    names = ("tsa-key.pem", "tsa-cert.pem", "tsa-crl.pem")
    if all((keys_dir / name).exists() for name in names):
        return
    with _generation_lock(keys_dir):
        if all((keys_dir / name).exists() for name in names):
            return
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        root = _dev_root(root_key, lab_code, role="timestamp root CA")
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        certificate = _dev_tsa_certificate(tsa_key, root, root_key, lab_code)
        crl = _dev_crl(root, root_key, next_update=certificate.not_valid_after_utc)
        _write(keys_dir / "published" / "roots" / f"{key_id(root.public_key())}.pem", _pem(root), private=False)
        _write(keys_dir / "tsa-crl.pem", crl.public_bytes(serialization.Encoding.PEM), private=False)
        _write(keys_dir / "tsa-key.pem", _pem(tsa_key), private=True)
        # Written last: its presence (with the key and the CRL) marks the set complete.
        _write(keys_dir / "tsa-cert.pem", _pem(certificate) + _pem(root), private=False)


def _dev_tsa_certificate(
    key: rsa.RSAPrivateKey, root: x509.Certificate, root_key: rsa.RSAPrivateKey, lab_code: str
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_dev_name(lab_code, "timestamp authority"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + TSA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # RFC 3161, 2.3: the one extended key usage, critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


# --- PKCS#11: the PDF signing key in a token -------------------------------------------------------
#
# With LIMS_SIGNING_PKCS11_MODULE set, the PDF signing key is a private key object in a PKCS#11 token
# (an HSM, or SoftHSM2 in CI): the process opens one logged-in session per configuration and asks the
# token to sign; the key never exists as a file this process reads. The certificate (and chain) come
# from LIMS_SIGNING_CERT (and LIMS_SIGNING_CHAIN), or else from the token: the certificate object
# labelled LIMS_SIGNING_PKCS11_CERT_LABEL (default: the key's label). The key must be RSA (PDF 1.7,
# see above); the token's public key object, when there is one, must match the certificate.


@dataclass(frozen=True)
class Pkcs11Key:
    module: str
    token: str
    pin: str | None = field(repr=False)
    key_label: str
    cert_label: str


def _pkcs11_config() -> Pkcs11Key | None:
    module = getattr(settings, "LIMS_SIGNING_PKCS11_MODULE", None)
    if not module:
        return None
    token = getattr(settings, "LIMS_SIGNING_PKCS11_TOKEN", None)
    key_label = getattr(settings, "LIMS_SIGNING_PKCS11_KEY_LABEL", None)
    if not (token and key_label):
        raise KeyConfigurationError(
            "LIMS_SIGNING_PKCS11_MODULE needs LIMS_SIGNING_PKCS11_TOKEN and LIMS_SIGNING_PKCS11_KEY_LABEL"
        )
    return Pkcs11Key(
        module=str(module),
        token=str(token),
        pin=getattr(settings, "LIMS_SIGNING_PKCS11_PIN", None),
        key_label=str(key_label),
        cert_label=str(getattr(settings, "LIMS_SIGNING_PKCS11_CERT_LABEL", None) or key_label),
    )


_PKCS11_SESSIONS: dict = {}


def pkcs11_session(config: Pkcs11Key):
    """One logged-in session per process and configuration (reset_cache() closes it)."""
    if config not in _PKCS11_SESSIONS:
        _PKCS11_SESSIONS[config] = _open_pkcs11_session(config)
    return _PKCS11_SESSIONS[config]


def _close_pkcs11_sessions() -> None:
    while _PKCS11_SESSIONS:
        _, session = _PKCS11_SESSIONS.popitem()
        with contextlib.suppress(Exception):  # a token removed meanwhile: nothing left to close
            session.close()


def _open_pkcs11_session(config: Pkcs11Key):
    from pkcs11.exceptions import PKCS11Error
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    try:
        return open_pkcs11_session(config.module, token_criteria=TokenCriteria(label=config.token), user_pin=config.pin)
    except (PKCS11Error, OSError, RuntimeError) as exc:
        # The library's message names the failure (no token, wrong PIN), never the PIN.
        raise KeyConfigurationError(
            f"PKCS#11 token {config.token!r} in {config.module} cannot be opened: {type(exc).__name__} {exc}"
        ) from exc


def _load_pkcs11_material(config: Pkcs11Key, cert_path: str | None, chain_path: str | None) -> SigningMaterial:
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.exceptions import NoSuchKey, PKCS11Error

    session = pkcs11_session(config)
    if cert_path:
        certificate, *chain = _read_certificates(Path(cert_path))
    else:
        found = list(
            session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: config.cert_label})
        )
        if len(found) != 1:
            raise KeyConfigurationError(
                f"PKCS#11 token {config.token!r}: expected one certificate labelled {config.cert_label!r}, "
                f"found {len(found)} (or set LIMS_SIGNING_CERT)"
            )
        certificate, chain = x509.load_der_x509_certificate(found[0][Attribute.VALUE]), []
    if chain_path:
        chain += _read_certificates(Path(chain_path))
    try:
        session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=config.key_label)
    except (NoSuchKey, PKCS11Error) as exc:
        raise KeyConfigurationError(
            f"PKCS#11 token {config.token!r} has no private key labelled {config.key_label!r}"
        ) from exc
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise KeyConfigurationError(
            "the PDF signing key must be RSA: with other keys pyHanko writes PDF 2.0, which PDF/A-3 does not allow"
        )
    try:
        token_public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=config.key_label)
    except NoSuchKey:
        token_public = None  # an imported private key alone: the first signature's check will tell
    if token_public is not None and int.from_bytes(token_public[Attribute.MODULUS], "big") != (
        public_key.public_numbers().n
    ):
        raise KeyConfigurationError(
            "the PDF signing key in the PKCS#11 token does not belong to the signing certificate"
        )
    if not _has_non_repudiation(certificate):
        raise KeyConfigurationError(
            "the PDF signing certificate lacks the key usage nonRepudiation, which pyHanko's validator (and so the "
            "verification portal and kit) requires: every certificate signed with it would be refused"
        )
    return SigningMaterial(key=None, certificate=certificate, chain=tuple(chain), pkcs11=config)
