"""The header's language switcher (lims.languages): `{% load lims_languages %}{% language_switch %}`."""

from django import template
from django.conf import settings
from django.utils import translation

from lims.languages import NATIVE_NAMES

register = template.Library()


@register.inclusion_tag("lims/_language_switch.html", takes_context=True)
def language_switch(context) -> dict:
    request = context.get("request")
    current = translation.get_language()
    return {
        "csrf_token": context.get("csrf_token"),
        # Back to this page after switching; a POST's page is shown again by GET.
        "next": request.get_full_path() if request is not None else "/",
        "languages": [(code, NATIVE_NAMES.get(code, code), code == current) for code, _name in settings.LANGUAGES],
    }
