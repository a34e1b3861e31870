"""System checks of the deployment (registered in lims.apps): `manage.py check`, `migrate` and
`runserver` stop on an Error.

- LIMS_PUBLIC_URL is printed on every certificate as the address to verify it; it cannot change
  after signing. With DEBUG off it is required, must be an absolute http(s) address, and must not
  name a loopback or unspecified host (localhost, 127.0.0.0/8, ::1, 0.0.0.0), which would send an
  inspector to their own machine. With DEBUG on, certificates print the development server's address.
- LIMS_ACCREDITATION_BODY and LIMS_ACCREDITATION_NUMBER print together or not at all: one without the
  other is an Error.
- The certificate's fonts (lims.lib.text) must be installed: without them no text can be checked
  before it goes onto a certificate, and the certificate would print in another font.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from lims.lib import text

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _loopback(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register()
def public_url(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    url = (getattr(settings, "LIMS_PUBLIC_URL", "") or "").strip()
    if not url:
        return [
            Error(
                "LIMS_PUBLIC_URL is required when DEBUG is off: certificates print it as the address to verify them.",
                hint="Set LIMS_PUBLIC_URL to the public address of the verification portal, e.g. https://lims.example.kz",
                id="lims.E001",
            )
        ]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Error(
                f"LIMS_PUBLIC_URL={url!r} is not an absolute http(s) address.",
                hint="For example https://lims.example.kz",
                id="lims.E002",
            )
        ]
    if _loopback(parts.hostname):
        return [
            Error(
                f"LIMS_PUBLIC_URL={url!r} names a loopback address: an inspector who follows it reaches "
                "their own machine, not the laboratory.",
                hint="Set the address by which the public reaches the verification portal.",
                id="lims.E003",
            )
        ]
    return []


@register()
def accreditation(app_configs=None, **kwargs) -> list[Error]:
    body = getattr(settings, "LIMS_ACCREDITATION_BODY", "")
    number = getattr(settings, "LIMS_ACCREDITATION_NUMBER", "")
    if bool(body) != bool(number):
        return [
            Error(
                "LIMS_ACCREDITATION_BODY and LIMS_ACCREDITATION_NUMBER are set together or not at all: "
                "a certificate states both or neither.",
                id="lims.E004",
            )
        ]
    return [
        Error(f"{name}: {problem}", id="lims.E005")
        for name, value in (("LIMS_ACCREDITATION_BODY", body), ("LIMS_ACCREDITATION_NUMBER", number))
        if value and (problem := _printable_problem(value))
    ]


def _printable_problem(value: str) -> str | None:
    try:
        return text.problem(value)
    except ImproperlyConfigured:
        return None  # reported by certificate_fonts()


@register()
def certificate_fonts(app_configs=None, **kwargs) -> list[Error]:
    try:
        text.font_files()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="lims.E006")]
    return []
