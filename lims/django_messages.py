"""Django's own messages that the product's pages show and Django's Kazakh catalogue leaves in English
(django/conf/locale/kk and contrib/auth/locale/kk translate a few hundred of Django's messages): the
time since something happened on the dashboard and the notifications ("5 minutes ago"), and the
password rules on the password page.

Named here, exactly as Django writes them, so that makemessages keeps them in locale/ru and
locale/kk: Django reads the catalogues of LOCALE_PATHS before its own, so their translations are the
ones shown. Nothing imports this module; tests/lims/test_untranslated_pages.py fails when one of them
is read in English again.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# django.utils.timesince.TIME_STRINGS
TIME_SINCE = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)

# django.contrib.auth.password_validation and forms.SetPasswordForm
PASSWORD_RULES = (
    gettext_noop("Your password can’t be too similar to your other personal information."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("Enter the same password as before, for verification."),
)
