"""Refuse, once for every page and endpoint, the text PostgreSQL cannot store: NUL (U+0000, refused
in text and in JSON) and lone surrogates (U+D800-U+DFFF, not encodable as UTF-8). Without this,
such a character in any form field, query parameter, JSON body or URL reaches the database and the
request ends in a 500 (psycopg's "PostgreSQL text fields cannot contain NUL (0x00) bytes" or
UnicodeEncodeError).

SafeInputMiddleware checks the path, the query string, form fields and uploaded file names, and
JSON bodies (keys and values, nested), before any view runs, and answers 400: for /api/ the
project's error shape {"message", "extra": {"field": ...}}, for pages a short page naming the field.

Decisions:
- A middleware rather than a hook per form and serializer: a new form or endpoint is covered
  without anyone remembering it (tests/lims/test_nul_input.py walks the URLconf to prove it).
- Only what the database refuses is refused here. What a signed document must not carry (control
  and format characters, glyphs its fonts lack) is refused per field by lims.lib.text, with a form
  error next to the field.
- Bodies of other types (an uploaded PDF, an instrument file) are data, not text: not inspected.
- A body announced larger than the largest upload any view accepts (LIMS_VERIFY_MAX_UPLOAD_BYTES,
  LIMS_IMPORT_MAX_BYTES, plus 64 KiB of form) is not read here: the view refuses it unread (413),
  and reading it first would undo that.
"""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def refused_character(text: str) -> str | None:
    """The first character of `text` PostgreSQL cannot store, as U+XXXX, or None."""
    if "\x00" in text:
        return "U+0000"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"U+{ord(text[exc.start]):04X}"
    return None


def _walk_json(value, where: str):
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            yield name, str(key)
            yield from _walk_json(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_json(item, f"{where}[{index}]")


def _body_bound() -> int:
    largest = max(getattr(settings, "LIMS_VERIFY_MAX_UPLOAD_BYTES", 0), getattr(settings, "LIMS_IMPORT_MAX_BYTES", 0))
    return largest + 64 * 1024


def _announced_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _texts(request: HttpRequest):
    """(field, text) pairs of everything the request says in text."""
    yield "path", request.path
    for key, values in request.GET.lists():
        yield key, key
        for value in values:
            yield key, value
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH") and _announced_length(request) <= _body_bound():
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                yield key, key
                for value in values:
                    yield key, value
            for key, files in request.FILES.lists():
                for upload in files:
                    yield key, upload.name or ""
        elif content_type == "application/json" or content_type.endswith("+json"):
            try:
                body = json.loads(request.body)
            except ValueError:
                return  # not JSON: the parser answers that with its own 400
            yield from _walk_json(body, "")


def _refusal(request: HttpRequest, field: str, character: str) -> HttpResponse:
    message = _("%(field)s: contains a character that cannot be stored (%(character)s).") % {
        "field": field or _("body"),
        "character": character,
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "extra": {"field": field, "character": character}}, status=400)
    return render(request, "lims/bad_input.html", {"message": message}, status=400)


class SafeInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for field, text in _texts(request):
            character = refused_character(text)
            if character:
                return _refusal(request, field, character)
        return self.get_response(request)
