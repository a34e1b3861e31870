"""API authentication (settings.REST_FRAMEWORK): knox's tokens, and the language of the answer.

Messages (errors, labels, notification texts) follow the request's language: a request with a token
is answered in the language its Accept-Language asks for, or, when it sends none, in the token
owner's language (User.language), else in English. A request with the session (the browser's own
calls) follows the pages' rule (lims.languages). Values never depend on the language: numbers stay
JSON numbers or decimal strings with a point, dates ISO 8601, codes and statuses their values.

Not in lims.api: REST framework imports its authentication classes while rest_framework.views is
being imported, and lims.api imports that module."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication

from lims import languages


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's token authentication (`Authorization: Token <token>`), and the token owner's language
    for the rest of the request when the request does not name one (Accept-Language). REST framework
    authenticates in the view, after every middleware: hence here, and not in
    lims.languages.UserLanguageMiddleware, which sees the session's user only."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            user = found[0]
            if languages.available(user.language):
                languages.activate_for(request, user.language)
        return found


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI description of TokenAuthentication: knox's own."""

    target_class = "lims.authentication.TokenAuthentication"
