"""Management commands speak the operator's language.

Django runs a command in settings.LANGUAGE_CODE. The product's commands derive from
`lims.lib.commands.BaseCommand` instead, which runs the command (its help, its messages and its
CommandError texts) in the language of the operator's environment:

1. `LIMS_LANGUAGE` if set (`ru`, `kk`, `en`); a language the product does not have is refused
   (a CommandError), as a typo in configuration should be;
2. else the POSIX locale, the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set:
   `ru_RU.UTF-8` → ru, `kk_KZ.UTF-8` → kk (`C`, `POSIX` or a language the product lacks: next step);
3. else settings.LANGUAGE_CODE.

    LANG=ru_RU.UTF-8 python manage.py verify_custody
    LIMS_LANGUAGE=kk python manage.py rotate_key --help

Only text meant for people is translated; log lines and machine output (JSON) are not. A command's
`help` is marked with gettext_noop (BaseCommand.help is a str) and translated here when the parser
is made; the arguments' help texts are gettext_lazy.
"""

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management import base
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def _supported(value: str) -> str | None:
    """The product's language for a locale name or language code (ru_RU.UTF-8, kk, ru-RU), or None."""
    code = value.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if not code or code in {"c", "posix"}:
        return None
    available = {language for language, _name in settings.LANGUAGES}
    for candidate in (code, code.split("-")[0]):
        if candidate in available:
            return candidate
    return None


def operator_language(environ: Mapping[str, str] | None = None, *, strict: bool = True) -> str:
    """The language a command speaks in (see the module's docstring). With strict, an
    unknown LIMS_LANGUAGE is a CommandError; without, it is passed over."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("LIMS_LANGUAGE", "").strip()
    if chosen:
        language = _supported(chosen)
        if language is not None:
            return language
        if strict:
            raise CommandError(
                gettext("LIMS_LANGUAGE=%(value)s is not a language of the product (%(languages)s).")
                % {"value": chosen, "languages": ", ".join(code for code, _name in settings.LANGUAGES)}
            )
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            # POSIX: the first variable set decides, even when it names a language we lack.
            return _supported(value) or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


class BaseCommand(base.BaseCommand):
    """A management command that runs in the operator's language (operator_language)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> base.CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = gettext(self.help) if self.help else None
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # Covers `manage.py <command> --help` and argument errors, printed before execute runs.
        with translation.override(operator_language(strict=False)):
            super().run_from_argv(argv)

    def print_help(self, prog_name: str, subcommand: str) -> None:
        with translation.override(operator_language(strict=False)):
            super().print_help(prog_name, subcommand)

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(settings.LANGUAGE_CODE):
            language = operator_language()  # an unknown LIMS_LANGUAGE is refused in the setting's language
        with translation.override(language):
            return super().execute(*args, **options)
