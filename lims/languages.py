"""The language a person reads the product in: English, Russian or Kazakh (settings.LANGUAGES).

How it is chosen, first match wins:
- a signed-in person who chose a language (User.language, set when they switch with the header's
  switcher): that language, on every page and in every e-mail, whatever the browser says, in any
  browser and after signing in again (UserLanguageMiddleware, after AuthenticationMiddleware);
- an API request authenticated by a token (lims.api.TokenAuthentication): the request's
  Accept-Language when it sends one (the client asks per request), else the token owner's language;
- otherwise Django's LocaleMiddleware: the language cookie (set by the switcher, so an anonymous
  visitor's choice is remembered per browser), then Accept-Language (a first visit follows the
  browser), then settings.LANGUAGE_CODE.

The switcher (templates/lims/_language_switch.html, on every page through base.html) is a form of
three submit buttons, each language named in itself, posting to language_set(): no script needed.
A person who chose nothing (language "") follows their browser.

Figures and dates, decided once for every page:
- numbers print as the active language writes them (Django's localisation; Kazakh formats in
  lims/formats/kk): 22.50 in English, 22,50 in Russian and Kazakh. Thousands are grouped only where a
  template asks (lims_format's money and quantity: 5 120,500 with a no-break space), never for codes,
  counts and ids (settings.USE_THOUSAND_SEPARATOR stays off);
- form fields read figures the same way (lims.forms.DecimalField): a comma or a point before the
  decimals, spaces between thousands, and what could be read two ways is refused, never guessed;
- dates and times on pages stay ISO 8601 where templates say so (|date:"Y-m-d H:i"): unambiguous in
  all three languages and how the laboratory's records and certificates write them; month names
  appear only where Django's localised formats are used;
- CSV exports follow the spreadsheets of the language (lims.web.export_response: ";" and a decimal
  comma in Russian and Kazakh); the API and stored values never depend on the language.
"""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError
from lims.models import User

# Each language named in itself: a reader who does not understand the page still finds theirs.
NATIVE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}


def available(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


def unknown_language(language: str) -> str:
    return _("Unknown language %(language)s: choose one of %(languages)s.") % {
        "language": repr(language[:10]),
        "languages": ", ".join(code for code, _name in settings.LANGUAGES),
    }


@transaction.atomic
def user_language_set(*, actor: User, language: str) -> User:
    """Remember the language the actor reads the product in ("" to follow the browser again).
    Audited as a change of the account when it changes."""
    if language and not available(language):
        raise ApplicationError(unknown_language(language), field="language")
    before = User.objects.select_for_update().values_list("language", flat=True).get(pk=actor.pk)
    if before != language:
        User.objects.filter(pk=actor.pk).update(language=language)
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_CHANGE,
            obj=actor,
            data={"before": {"language": before}, "after": {"language": language}},
        )
    actor.language = language
    return actor


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie for this browser, then back to `next`), and for a
    signed-in person their profile's language too, so it follows them to other browsers."""
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    if not available(language):
        # Django would set a cookie for any language it has a catalogue of (German, say).
        return HttpResponseBadRequest(unknown_language(language), content_type="text/plain; charset=utf-8")
    response = i18n.set_language(request)
    if request.user.is_authenticated:
        user_language_set(actor=request.user, language=language)
    return response


def activate_for(request: HttpRequest, language: str) -> None:
    """Read this request in `language` (a language of settings.LANGUAGES)."""
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


class UserLanguageMiddleware:
    """A signed-in person's chosen language (User.language) over the cookie's and the browser's.
    After AuthenticationMiddleware (it reads request.user) and LocaleMiddleware (which it overrides
    and which sets Content-Language and Vary from the language active when the response leaves)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and available(user.language):
            activate_for(request, user.language)
        return self.get_response(request)
