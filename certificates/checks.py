"""System checks of certificate signing (registered in certificates.apps).

- LIMS_CERTIFICATE_LANGUAGES: the default language pair of certificates is one they may be issued in.
- LIMS_TSA_URL: every certificate is signed PAdES B-LTA, with timestamps from an RFC 3161 timestamp
  authority (certificates.signing). With DEBUG off and no development keys (LIMS_GENERATE_DEV_KEYS),
  the laboratory's authority must be configured; with development keys, signing uses the local one
  (certificates.tsa). Checked in every process, to keep it simple, though only the issuing workers
  sign: a deployment sets it once for all of them.
"""

from django.conf import settings
from django.core.checks import Error, register


@register()
def timestamp_authority(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG or getattr(settings, "LIMS_GENERATE_DEV_KEYS", False) or getattr(settings, "LIMS_TSA_URL", None):
        return []
    return [
        Error(
            "LIMS_TSA_URL is not set: certificates cannot be timestamped (PAdES B-LTA) without a timestamp authority.",
            hint=(
                "Set LIMS_TSA_URL to the laboratory's RFC 3161 timestamp authority and put its root certificate in "
                "var/keys/published/roots/ (verifiers must trust it); in development, DEBUG=1 or "
                "LIMS_GENERATE_DEV_KEYS=1 uses the local authority (manage.py run_tsa)."
            ),
            id="certificates.E001",
        )
    ]


@register()
def certificate_languages(app_configs=None, **kwargs) -> list[Error]:
    from certificates import languages

    try:
        languages.default()
    except languages.LanguageError as refused:
        return [
            Error(
                f"LIMS_CERTIFICATE_LANGUAGES: {refused}",
                hint="For example LIMS_CERTIFICATE_LANGUAGES=kk,ru (Kazakh first, Russian second).",
                id="certificates.E002",
            )
        ]
    return []
