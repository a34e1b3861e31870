"""The one settings module.

Everything that differs between a developer's laptop and production comes from the environment,
read strictly by lims.lib.env: a malformed value stops start-up with ImproperlyConfigured.
The defaults serve development only (SQLite and a filesystem broker under var/).
"""

import re
import zoneinfo
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from lims.lib.env import database_from_url, envbool, envint, envlist, envpath, envstr, proxy_ssl_header, redis_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("LIMS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (set SECRET_KEY or SECRET_KEY_FILE)")
    SECRET_KEY = "development-only-not-secret"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Order follows the direction of dependency: lims <- samples <- assays <- certificates <- customs <- public
    # (open statistics: reads certificates and customs) <- desk.
    "lims",
    "samples",
    "assays",
    "certificates",
    "customs",
    "public",
    "desk",
    # Customs systems' machine interface: reads certificates and customs, read by none.
    "exchange",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_countries",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's chosen language over LocaleMiddleware's (cookie, Accept-Language): lims.languages.
    "lims.languages.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Text PostgreSQL cannot store (NUL, lone surrogates) answers 400 before any view (lims.lib.safe_input).
    "lims.lib.safe_input.SafeInputMiddleware",
    # Last: turns a lockout noticed during authentication into the lockout page or JSON answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lims.urls"
WSGI_APPLICATION = "lims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "lims.context_processors.navigation",
                "desk.context_processors.desk",
                "lims.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(envstr("DATABASE_URL", "sqlite:///var/db.sqlite3"), base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "lims.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): every authenticate() call (web login, admin login, API token)
# passes AxesStandaloneBackend first, which refuses a locked-out account or client address. Failures
# are counted in the database (AccessAttempt), so every web process sees the same counts. An
# administrator lifts a lockout in the admin (Axes > Access attempts: delete) or with
# `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = envint("LIMS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
# Separately per account (whatever address guesses it) and per client address (whatever accounts it tries).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=envint("LIMS_LOGIN_LOCKOUT_MINUTES", 30, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "lims.lib.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "lims.lib.login_throttle.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
LOGIN_URL = "login"
# Everybody lands on the dashboard of their pending work (desk).
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: English first; Russian and Kazakh catalogues follow in locale/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("kk", _("Kazakh"))]
# The product's catalogues first (makemessages writes there), then the Kazakh country names
# django-countries lacks (lims/countries/locale: written by hand, never rewritten by makemessages).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "lims" / "countries" / "locale"]
USE_I18N = True
# Numbers and dates as the active language writes them (Russian and Kazakh: 5120,5; Django has no
# Kazakh formats: lims/formats/kk). No grouping of every number: codes, counts and ids stay whole; a
# figure that needs thousands grouped says so (lims_format's money and quantity filters).
FORMAT_MODULE_PATH = ["lims.formats"]
USE_TZ = True
TIME_ZONE = envstr("LIMS_TIME_ZONE", "Asia/Almaty")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"LIMS_TIME_ZONE={TIME_ZONE!r} is not an IANA time zone")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files (certificates, raw run files, published keys and lists) go through Django's storage API, so web
# and worker processes on different hosts share them when LIMS_STORAGE=s3 (django-storages: any
# S3-compatible service). LIMS_S3_BUCKET names the bucket (it must exist); LIMS_S3_ENDPOINT_URL an
# S3-compatible server other than AWS (MinIO, Ceph; path-style addressing then); LIMS_S3_REGION the
# region; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE) the credentials, else boto3's own
# chain (instance role). Files are never overwritten (a second file of a name gets another name, as on
# disk) and are private: they are served through the application, which checks who may read them.
LIMS_STORAGE = envstr("LIMS_STORAGE", "filesystem")
_default_storage: dict[str, Any]
if LIMS_STORAGE == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif LIMS_STORAGE == "s3":
    _s3_endpoint = envstr("LIMS_S3_ENDPOINT_URL") or None
    if _s3_endpoint and urlsplit(_s3_endpoint).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"LIMS_S3_ENDPOINT_URL={_s3_endpoint!r} is not an http(s) address")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("LIMS_S3_BUCKET") or None,
            "endpoint_url": _s3_endpoint,
            "region_name": envstr("LIMS_S3_REGION") or None,
            "access_key": envstr("AWS_ACCESS_KEY_ID") or None,
            "secret_key": envstr("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": "path" if _s3_endpoint else None,
            "file_overwrite": False,
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
    if not _default_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("LIMS_STORAGE=s3 needs LIMS_S3_BUCKET (the bucket must exist)")
else:
    raise ImproperlyConfigured(f"LIMS_STORAGE={LIMS_STORAGE!r} is not one of: filesystem, s3")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts, styles, fonts and frames from this
# site only, so no inline script or style attribute runs (templates load theirs from static/); images
# also as data: URIs (QR codes, the icon, Swagger UI's own). The API docs page serves Swagger UI from
# the static files too (drf-spectacular-sidecar), so it works offline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# TLS is required in production: the cookies are Secure. Behind a proxy that terminates TLS, set
# SECURE_PROXY_SSL_HEADER to the header it sets and its value ("X-Forwarded-Proto: https"); only then
# does Django believe a request was secure (a proxy must overwrite the header clients send).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# Load balancers probe the processes directly, over plain HTTP: the probes answer rather than redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/ready$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
# A laboratory shift and some: a session ends after 12 hours unless set otherwise (seconds).
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)

# The cache all web processes share (throttle counters, the verification cache): Redis in production
# (CACHE_URL=redis://host:6379/1); without it each process keeps its own (development, tests).
CACHE_URL = redis_url("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Mail (password resets, notices): SMTP when EMAIL_HOST is set, else printed to the log (development).
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: STARTTLS (587) or TLS from the start (465)"
    )
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "lims@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The laboratory this installation speaks for.
LIMS_LAB_CODE = envstr("LIMS_LAB_CODE", "KZL")
if not LIMS_LAB_CODE.isalnum() or not LIMS_LAB_CODE.isupper() or len(LIMS_LAB_CODE) > 6:
    raise ImproperlyConfigured(f"LIMS_LAB_CODE={LIMS_LAB_CODE!r} must be 1-6 upper-case letters or digits")
# A seal number as printed on the tamper-evident seals the laboratory buys: two to four capital
# letters, a hyphen and six to ten digits (for example KZS-00012345). Override per installation.
LIMS_SEAL_NUMBER_PATTERN = envstr("LIMS_SEAL_NUMBER_PATTERN", r"^[A-Z]{2,4}-[0-9]{6,10}$")
# Instrument files larger than this are refused before they are parsed.
LIMS_IMPORT_MAX_BYTES = envint("LIMS_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# Instrument files with more rows than this (all sheets together, empty rows included) are refused while
# they are read, before the rest is looked at: the rows read are held in memory (assays/importers/base.py).
LIMS_IMPORT_MAX_ROWS = envint("LIMS_IMPORT_MAX_ROWS", 100_000, minimum=100)

# The laboratory's accreditation (ISO/IEC 17025), printed on certificates when both are set
# (lims.checks refuses one without the other) and recorded in each certificate's snapshot.
LIMS_ACCREDITATION_BODY = envstr("LIMS_ACCREDITATION_BODY", "")
LIMS_ACCREDITATION_NUMBER = envstr("LIMS_ACCREDITATION_NUMBER", "")
# The language pair a certificate is issued in unless the request chooses another, primary first:
# ru,en, kk,ru or kk,en in either order (certificates.languages; checked at start-up).
LIMS_CERTIFICATE_LANGUAGES = envstr("LIMS_CERTIFICATE_LANGUAGES", "ru,en")

# The public verification portal (certificates/verification.py): the address the laboratory is
# reached at from outside (printed on certificates; absolute links in the portal's JSON), and the
# largest PDF it accepts for a check.
# Required when DEBUG is off, and not a loopback address (lims.checks).
LIMS_PUBLIC_URL = envstr("LIMS_PUBLIC_URL", "")
LIMS_VERIFY_MAX_UPLOAD_BYTES = envint("LIMS_VERIFY_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024)
# How long the portal keeps a number's register state (0: read it every time); a change of status
# forgets it at once (certificates.verification.register_state).
LIMS_VERIFY_STATE_CACHE_SECONDS = envint("LIMS_VERIFY_STATE_CACHE_SECONDS", 1, minimum=0)

# Signing material of certificates (certificates/keys.py explains the layout and rotation). Paths,
# given as NAME or NAME_FILE; passphrases as NAME or NAME_FILE (the file's content). With none of
# them and DEBUG on, or with LIMS_GENERATE_DEV_KEYS on, development keys are made under var/keys/.
LIMS_SIGNING_P12 = envpath("LIMS_SIGNING_P12")
LIMS_SIGNING_P12_PASSPHRASE = envstr("LIMS_SIGNING_P12_PASSPHRASE")
LIMS_SIGNING_KEY = envpath("LIMS_SIGNING_KEY")
LIMS_SIGNING_KEY_PASSPHRASE = envstr("LIMS_SIGNING_KEY_PASSPHRASE")
LIMS_SIGNING_CERT = envpath("LIMS_SIGNING_CERT")
LIMS_SIGNING_CHAIN = envpath("LIMS_SIGNING_CHAIN")
# Or the PDF signing key in a PKCS#11 token (an HSM; SoftHSM2 in CI): the module (.so), the token's
# label, the user PIN (NAME or NAME_FILE) and the key's label; the certificate from LIMS_SIGNING_CERT,
# or else from the token (LIMS_SIGNING_PKCS11_CERT_LABEL, default: the key's label).
LIMS_SIGNING_PKCS11_MODULE = envpath("LIMS_SIGNING_PKCS11_MODULE")
LIMS_SIGNING_PKCS11_TOKEN = envstr("LIMS_SIGNING_PKCS11_TOKEN")
LIMS_SIGNING_PKCS11_PIN = envstr("LIMS_SIGNING_PKCS11_PIN")
LIMS_SIGNING_PKCS11_KEY_LABEL = envstr("LIMS_SIGNING_PKCS11_KEY_LABEL")
LIMS_SIGNING_PKCS11_CERT_LABEL = envstr("LIMS_SIGNING_PKCS11_CERT_LABEL")
LIMS_TOKEN_KEY = envpath("LIMS_TOKEN_KEY")
LIMS_GENERATE_DEV_KEYS = envbool("LIMS_GENERATE_DEV_KEYS", False)
# The status key signs the key set and the status list (certificates.publication); only the workers
# of queue "default" need it. A list is valid for LIMS_STATUS_LIST_VALIDITY_HOURS (its next_update;
# the offline kit says "status unknown" after it) and beat publishes one every
# LIMS_STATUS_PUBLISH_SECONDS, well inside that, besides one after every issue and withdrawal.
LIMS_STATUS_KEY = envpath("LIMS_STATUS_KEY")
LIMS_STATUS_LIST_VALIDITY = timedelta(hours=envint("LIMS_STATUS_LIST_VALIDITY_HOURS", 24, minimum=1))
LIMS_STATUS_PUBLISH_SECONDS = envint("LIMS_STATUS_PUBLISH_SECONDS", 3600, minimum=60)
if LIMS_STATUS_LIST_VALIDITY.total_seconds() <= 2 * LIMS_STATUS_PUBLISH_SECONDS:
    raise ImproperlyConfigured(
        "LIMS_STATUS_PUBLISH_SECONDS must be under half of LIMS_STATUS_LIST_VALIDITY_HOURS, so that a missed "
        "publication never lets the published list expire"
    )
# The transparency log of certificate and key events (certificates.transparency): its checkpoints are
# signed with the log key (Ed25519, LIMS_LOG_KEY; only the workers of queue "default" need it) a few
# seconds after each append, and by beat every LIMS_LOG_CHECKPOINT_SECONDS as a sweep. The origin
# names the log in its checkpoints (C2SP tlog-checkpoint: the first line, and the key's name); a
# schema-less URL is best (e.g. lab.example/verify/log). Never change it once checkpoints are out.
LIMS_LOG_KEY = envpath("LIMS_LOG_KEY")
LIMS_LOG_ORIGIN = envstr("LIMS_LOG_ORIGIN", f"{LIMS_LAB_CODE.lower()}.lims/certificate-log")
if not LIMS_LOG_ORIGIN or any(c.isspace() or c == "+" for c in LIMS_LOG_ORIGIN):
    raise ImproperlyConfigured(f"LIMS_LOG_ORIGIN={LIMS_LOG_ORIGIN!r} must be non-empty, without spaces or '+'")
LIMS_LOG_CHECKPOINT_SECONDS = envint("LIMS_LOG_CHECKPOINT_SECONDS", 300, minimum=10)
# Customs systems' machine interface (exchange/): OAuth 2.0 client credentials tokens live this long;
# each client may make LIMS_EXCHANGE_RATE requests (or its own rate, set in the admin); beat reads new
# certificate events every LIMS_EXCHANGE_SWEEP_SECONDS to sign records and queue pushes (an event is
# read again until it is LIMS_EXCHANGE_EVENT_GRACE_SECONDS old, longer than any transaction here lasts:
# exchange.outbox); a push is tried LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS times, waiting
# LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS, doubled each time (capped at an hour), for at most
# LIMS_EXCHANGE_PUSH_TIMEOUT_SECONDS an attempt; plain http:// webhooks only when allowed (development).
LIMS_EXCHANGE_TOKEN_SECONDS = envint("LIMS_EXCHANGE_TOKEN_SECONDS", 600, minimum=30)
LIMS_EXCHANGE_RATE = envstr("LIMS_EXCHANGE_RATE", "120/min")
LIMS_EXCHANGE_SWEEP_SECONDS = envint("LIMS_EXCHANGE_SWEEP_SECONDS", 30, minimum=1)
LIMS_EXCHANGE_EVENT_GRACE_SECONDS = envint("LIMS_EXCHANGE_EVENT_GRACE_SECONDS", 300, minimum=10)
LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS = envint("LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS", 12, minimum=1)
LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS = envint("LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS", 30, minimum=1)
LIMS_EXCHANGE_PUSH_TIMEOUT_SECONDS = envint("LIMS_EXCHANGE_PUSH_TIMEOUT_SECONDS", 10, minimum=1)
LIMS_EXCHANGE_PUSH_ALLOW_HTTP = envbool("LIMS_EXCHANGE_PUSH_ALLOW_HTTP", DEBUG)
# The RFC 3161 timestamp authority of PAdES B-LTA signatures (signature and document timestamps);
# required in production (certificates.checks). Empty with development keys: the local authority,
# in process (`make run` starts `manage.py run_tsa` and points the worker at it).
LIMS_TSA_URL = envstr("LIMS_TSA_URL") or None

# Customs cross-checks (customs/checks.py). Customs policy, reviewed with the code rather than set per
# host; every finding records the tolerance it applied. A declared content agrees with the certified
# one when it differs by at most this share of the certified value, per analyte ("*": any other,
# trace and rare-earth elements).
LIMS_CUSTOMS_CONTENT_TOLERANCE_PCT = {"Cu": Decimal(5), "Au": Decimal(10), "Ag": Decimal(10), "*": Decimal(15)}
# A declared customs value may lie at most this share below the payable value computed from the
# certificate (certified contents, declared dry mass, metal prices and payable terms).
LIMS_CUSTOMS_VALUE_TOLERANCE_PCT = Decimal(5)

# REST framework: token auth for scripts (django-rest-knox), session auth for the browser; one error shape.
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing, bad or expired token a 401.
        "lims.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lims.api.exception_handler",
    # Password guessing through the token endpoint is slowed per client address; so are the public
    # verification checks (pages and API together, certificates.verify_api.VerifyRateThrottle).
    "DEFAULT_THROTTLE_RATES": {
        "token": envstr("LIMS_TOKEN_THROTTLE_RATE", "20/min"),
        "verify": envstr("LIMS_VERIFY_THROTTLE_RATE", "60/min"),
    },
    # The client address throttles count by: REMOTE_ADDR, unless this many proxies in front of the
    # application append to X-Forwarded-For (with None, REST framework would believe any client's header).
    "NUM_PROXIES": envint("LIMS_NUM_PROXIES", 0, minimum=0),
}
for _scope, _rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items():
    if not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)", _rate or ""):
        raise ImproperlyConfigured(
            f"throttle rate {_rate!r} ({_scope}) must look like 60/min (per s, min, hour or day)"
        )
# API tokens (django-rest-knox): stored as SHA-512 digests, sent as `Authorization: Token <token>`,
# valid for LIMS_API_TOKEN_HOURS from issue (not renewed on use, so a leaked token dies on schedule).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=envint("LIMS_API_TOKEN_HOURS", 24 * 30, minimum=1)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Assay certification LIMS API",
    "DESCRIPTION": "Lots, samples and their chain of custody; instrument runs, QC and results.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a field called "status" (and "purpose") with different choices.
    "ENUM_NAME_OVERRIDES": {
        "LotStatusEnum": "samples.models.Lot.Status",
        "SampleStatusEnum": "samples.models.SampleStatus",
        "SamplePurposeEnum": "samples.models.SamplePurpose",
        "NonconformanceStatusEnum": "samples.models.Nonconformance.Status",
        "RunStatusEnum": "assays.models.Run.Status",
        "BatchStatusEnum": "assays.batch_models.BatchStatus",
        "RunQCStatusEnum": "assays.models.Run.QCStatus",
        "ResultStatusEnum": "assays.models.Result.Status",
        "QualifierEnum": "assays.models.Qualifier",
        "UnitEnum": "assays.models.Unit",
        "DeclarationStatusEnum": "customs.models.Declaration.Status",
        "CertificateStatusEnum": "certificates.models.Certificate.Status",
        "BasisEnum": "assays.models.Basis",
        "ExportBasisEnum": "assays.choices.ExportBasis",
    },
}

# Celery (lims/celery.py reads every CELERY_* name below). Redis in production (REDIS_URL);
# without it, kombu's filesystem transport under var/ carries tasks between the web process and a
# real worker process, with no server to run.
#
# Reliability: a task is acknowledged only after it finished (acks_late) and handed back if its
# worker dies (reject_on_worker_lost); a worker process reserves one task at a time (prefetch 1)
# so a long PDF job never holds back short ones; time limits stay below the broker's visibility
# timeout, so a slow task is killed before the broker would deliver it a second time.
REDIS_URL = redis_url("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "broker"
CELERY_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str | int | bool]
# Sending a task from a web request waits on the broker for at most about this long (connect, one
# write, one quick retry); when the broker is away the request answers anyway and the sweep (or beat)
# sends the task later. Tasks whose result nobody reads set ignore_result, so sending them never
# subscribes to the result backend either (that subscription held a web worker ~20 s with Redis down).
CELERY_PUBLISH_TIMEOUT_SECONDS = envint("CELERY_PUBLISH_TIMEOUT_SECONDS", 1, minimum=1)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_PUBLISH_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_PUBLISH_TIMEOUT_SECONDS
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": CELERY_PUBLISH_TIMEOUT_SECONDS,
        # Above the worker's one-second BRPOP poll, so only a broker that stopped answering trips it.
        "socket_timeout": CELERY_PUBLISH_TIMEOUT_SECONDS + 4,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 840, minimum=5)
if not CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "Celery limits must satisfy CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT"
    )
# A certificate's claim lives this long without a heartbeat (the issuing task refreshes it every
# quarter of it while it works); past it the worker is taken for dead and the sweep sends the
# certificate again (certificates.services).
LIMS_CLAIM_LEASE_SECONDS = envint("LIMS_CLAIM_LEASE_SECONDS", 90, minimum=20)
# WeasyPrint and large imports hold memory; a worker child is replaced past this size.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB", 400_000, minimum=50_000)
# "custody": the nightly check of every custody chain, long at scale, so it never holds up certificates.
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "imports", "pdf", "custody")]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
# When the nightly custody check starts, "HH:MM" in the laboratory's time zone (LIMS_TIME_ZONE).
_custody_check_at = envstr("LIMS_CUSTODY_CHECK_AT", "02:30")
_custody_match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", _custody_check_at.strip())
if not _custody_match:
    raise ImproperlyConfigured(f"LIMS_CUSTODY_CHECK_AT={_custody_check_at!r} is not a time of day as HH:MM (24 h)")
LIMS_CUSTODY_CHECK_AT = (int(_custody_match[1]), int(_custody_match[2]))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Recompute every custody chain each night, so tampering shows even on samples nobody opens: at a
    # fixed laboratory time (CELERY_TIMEZONE), not 24 h after beat last started.
    "verify-custody-chains": {
        "task": "samples.tasks.custody_verify_all",
        "schedule": crontab(hour=LIMS_CUSTODY_CHECK_AT[0], minute=LIMS_CUSTODY_CHECK_AT[1]),
    },
    # Certificates whose task was never sent (broker down at commit) or whose worker died.
    "sweep-certificates": {"task": "certificates.tasks.sweep_certificates", "schedule": 60},
    # The signed key set and status list, so the published list never nears its next_update.
    "publish-status": {"task": "certificates.tasks.publish_status", "schedule": LIMS_STATUS_PUBLISH_SECONDS},
    # Certificate events to customs systems: signed records and pushes (exchange.outbox).
    "exchange-sweep": {"task": "exchange.tasks.exchange_sweep", "schedule": LIMS_EXCHANGE_SWEEP_SECONDS},
    # A checkpoint of the transparency log, should the one sent after an append have been lost.
    "sign-log-checkpoint": {
        "task": "certificates.tasks.sign_log_checkpoint",
        "schedule": LIMS_LOG_CHECKPOINT_SECONDS,
    },
    # The open statistics of each closed month that changed, signed and logged (public.publication):
    # daily, an hour after midnight, laboratory time, so a month is published the night it closes.
    "publish-statistics": {"task": "public.tasks.publish_statistics", "schedule": crontab(hour=1, minute=0)},
}
# One queue per workload, set here rather than on the tasks (the task attribute `queue` is deprecated).
CELERY_TASK_ROUTES = {
    "certificates.tasks.issue_certificate": {"queue": "pdf"},
    "assays.tasks.import_run_file": {"queue": "imports"},
    "samples.tasks.custody_verify_all": {"queue": "custody"},
    "lims.tasks.send_notification_emails": {"queue": "default"},
    # The "default" workers hold the status key, which signs records and pushes (exchange.tasks).
    "exchange.tasks.*": {"queue": "default"},
    "certificates.tasks.sign_log_checkpoint": {"queue": "default"},
    # The log key signs the statistics' publications too (public.publication).
    "public.tasks.publish_statistics": {"queue": "default"},
}

LOG_FORMAT = envstr("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not one of: plain, json")
# With JSON logs Celery keeps Django's LOGGING instead of installing its own plain handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # LOG_FORMAT=json (the stack, production): one JSON object a line, for a log collector (lims.lib.logs).
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "lims.lib.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every rendering step at INFO; keep its warnings only.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
