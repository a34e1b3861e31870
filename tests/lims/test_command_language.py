"""Which language a management command speaks (lims.lib.commands.operator_language)."""

import pytest
from django.core.management.base import CommandError

from lims.lib.commands import operator_language


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "kk_KZ.UTF-8"}, "kk"),
        ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "kk_KZ.UTF-8"}, "kk"),
        ({"LANG": "kk_KZ.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),  # the first one set decides
        ({"LANG": "de_DE.UTF-8"}, "en"),  # a language the product lacks: the setting's
        ({"LANG": "ru_RU.UTF-8", "LIMS_LANGUAGE": "kk"}, "kk"),
        ({"LC_ALL": "kk_KZ.UTF-8", "LIMS_LANGUAGE": "ru"}, "ru"),
        ({"LIMS_LANGUAGE": "en", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LIMS_LANGUAGE": "", "LANG": "ru_RU.UTF-8"}, "ru"),  # set but empty counts as unset
    ],
)
def test_the_environment_chooses_the_language(environ, language):
    assert operator_language(environ) == language


def test_an_unknown_lims_language_is_refused():
    with pytest.raises(CommandError, match="LIMS_LANGUAGE=de is not a language of the product"):
        operator_language({"LIMS_LANGUAGE": "de", "LANG": "ru_RU.UTF-8"})
    # Where a refusal cannot be shown (printing --help), it is passed over.
    assert operator_language({"LIMS_LANGUAGE": "de", "LANG": "ru_RU.UTF-8"}, strict=False) == "ru"
