"""Text PostgreSQL cannot store (NUL, lone surrogates) answers 400 with a message on every page,
form and API endpoint (lims.lib.safe_input), never a 500. The endpoints are found by walking the
URLconf, so a new form or endpoint is covered without being named here."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from lims.lib.safe_input import refused_character
from samples.models import Lot

PARAMETER = re.compile(r"<(?:\w+:)?\w+>")


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def every_url() -> list[str]:
    """One address per URL pattern, parameters filled in; regular-expression routes are reduced to
    their literal text (the admin's), and an address that does not resolve back is left out."""
    urls = set()
    for route, _pattern in _patterns(get_resolver()):
        url = "/" + PARAMETER.sub("1", route)
        url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url).replace("^", "").replace("$", "").replace("\\", "")
        try:
            resolve(url)
        except Resolver404:
            continue
        urls.add(url)
    return sorted(urls)


def test_it_walks_every_kind_of_endpoint():
    urls = every_url()
    assert len(urls) > 100
    for expected in (
        "/login/", "/api/v1/lots/", "/api/v1/auth/token/", "/admin/login/", "/verify/upload/",
        "/notifications/settings/", "/notifications/1/read/", "/api/v1/notifications/mark-read/",
    ):  # fmt: skip
        assert expected in urls


@pytest.mark.parametrize("value", ["a\x00b", "\x00"])
def test_nul_in_a_form_field_is_refused_everywhere(client, manager, value):
    client.force_login(manager)
    failures = []
    for url in every_url():
        response = client.post(url, {"name": value, "note": "ok"})
        if response.status_code != 400 or "cannot be stored (U+0000)" not in response.content.decode():
            failures.append((url, response.status_code))
    assert failures == []


def test_nul_and_lone_surrogates_in_json_are_refused_on_every_api_endpoint(client, manager):
    client.force_login(manager)
    api = [url for url in every_url() if url.startswith("/api/")]
    assert len(api) > 20
    failures = []
    for url in api:
        for body, character in (('{"name": "a\\u0000"}', "U+0000"), ('{"items": [{"note": "\\ud800"}]}', "U+D800")):
            for method in (client.post, client.put, client.patch):
                response = method(url, body, content_type="application/json")
                if response.status_code != 400 or response.json()["extra"]["character"] != character:
                    failures.append((method.__name__, url, response.status_code))
    assert failures == []
    # The message names the field, in the project's error shape.
    body = client.post("/api/v1/lots/", '{"lot_number": "L\\u0000"}', content_type="application/json").json()
    assert body["message"] == "lot_number: contains a character that cannot be stored (U+0000)."


def test_nul_in_the_query_string_or_the_path_is_refused_everywhere(client, manager):
    client.force_login(manager)
    failures = []
    for url in every_url():
        response = client.get(url + "?search=%00&q=x")
        if response.status_code != 400:
            failures.append((url, response.status_code))
    assert failures == []
    assert client.get("/samples/AB%00CD/").status_code == 400
    assert client.get("/verify/KZL%00/").status_code == 400


def test_nul_in_an_uploaded_file_name_is_refused(client, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/verify/upload/", {"pdf": SimpleUploadedFile("a\x00.pdf", b"%PDF-1.7")})
    assert response.status_code == 400


def test_a_nul_search_no_longer_reaches_postgresql(client, manager, exporter_org, copper):
    # Without the middleware this query ended in "PostgreSQL text fields cannot contain NUL" (500).
    client.force_login(manager)
    assert client.get("/api/v1/lots/?search=a%00b").status_code == 400
    # Ordinary text still passes.
    assert client.get("/api/v1/lots/?search=ab").status_code == 200
    assert not Lot.objects.exists()


@pytest.mark.parametrize(
    ("text", "refused"),
    [("plain", None), ("tab\tand\nnewline", None), ("é漢🙂", None), ("a\x00", "U+0000"), ("\udfff", "U+DFFF")],
)
def test_it_refuses_only_what_postgresql_cannot_store(text, refused):
    assert refused_character(text) == refused


def test_json_that_is_not_json_is_left_to_the_parser(client, manager):
    client.force_login(manager)
    response = client.post("/api/v1/lots/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "cannot be stored" not in response.json()["message"]
    assert json.dumps(response.json())
