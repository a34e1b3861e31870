"""System checks of the deployment: no production certificate prints a loopback address, the
accreditation prints whole or not at all, and the certificate's fonts are installed."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from lims import checks
from lims.lib import text


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_public_url_is_required_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.LIMS_PUBLIC_URL = ""

    [error] = checks.public_url()

    assert error.id == "lims.E001" and "LIMS_PUBLIC_URL is required when DEBUG is off" in error.msg


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost:8000/", "https://[::1]/", "http://0.0.0.0:8000", "http://127.8.0.1"],
)
def test_a_loopback_public_url_is_refused_when_debug_is_off(settings, url):
    settings.DEBUG = False
    settings.LIMS_PUBLIC_URL = url

    assert ids(checks.public_url()) == ["lims.E003"]


def test_a_public_url_that_is_not_an_address_is_refused(settings):
    settings.DEBUG = False
    settings.LIMS_PUBLIC_URL = "lims.example.kz"  # no scheme: would print as a relative link

    assert ids(checks.public_url()) == ["lims.E002"]


def test_a_public_address_passes(settings):
    settings.DEBUG = False
    settings.LIMS_PUBLIC_URL = "https://lims.example.kz"

    assert checks.public_url() == []


def test_development_needs_no_public_url(settings):
    settings.DEBUG = True
    settings.LIMS_PUBLIC_URL = ""

    assert checks.public_url() == []


def test_the_accreditation_is_set_whole_or_not_at_all(settings):
    settings.LIMS_ACCREDITATION_BODY, settings.LIMS_ACCREDITATION_NUMBER = "NCA of Kazakhstan", ""
    assert ids(checks.accreditation()) == ["lims.E004"]

    settings.LIMS_ACCREDITATION_NUMBER = "KZ.T.02.0123"
    assert checks.accreditation() == []

    settings.LIMS_ACCREDITATION_BODY, settings.LIMS_ACCREDITATION_NUMBER = "", ""
    assert checks.accreditation() == []


def test_missing_certificate_fonts_are_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(text, "FONT_DIRS", (tmp_path,))
    text._font_file.cache_clear()
    try:
        [error] = checks.certificate_fonts()
        with pytest.raises(ImproperlyConfigured, match="fonts-dejavu-core"):
            text.font_files()
    finally:
        text._font_file.cache_clear()

    assert error.id == "lims.E006" and "DejaVuSans.ttf is not installed" in error.msg
