"""How a locked-out login is answered, and which client address login throttling counts.

django-axes counts failed logins per account and per client address in the database (settings:
AXES_*), so the counts are shared by every web process. This module only shapes its answers:
the web and admin login pages show the lockout page (HTTP 429, the same status and wording as the
API, and how long it lasts); the API answers the project's error shape {"message", "extra"} with 429.
"""

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = int(get_cool_off().total_seconds() // 60)
    return _(
        "Too many failed logins for this account or from this address. Logging in is locked for "
        "%(minutes)d minutes; an administrator can lift the lock sooner."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "extra": {"locked_out": True}}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def client_ip(request: HttpRequest) -> str:
    """The address REST framework's throttles count by too: REMOTE_ADDR, or with LIMS_NUM_PROXIES
    trusted proxies in front, the address the outermost of them saw (so a client cannot pick its own)."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")
