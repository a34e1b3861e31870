"""The API documents itself: /api/schema/ is a valid OpenAPI 3 document with every operation's
input and output, and /api/docs/ shows it."""

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def _api_paths() -> set[str]:
    """Every route under /api/v1/, written as OpenAPI writes it (`<int:lot_pk>` -> `{lot_pk}`)."""
    paths = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                for converter in ("int:", "str:", "uuid:", "slug:"):
                    route = route.replace(f"<{converter}", "{")
                paths.add("/" + route.replace(">", "}"))

    walk(get_resolver().url_patterns, "")
    return paths


def _schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_it_serves_a_valid_openapi_3_document(db):
    schema = _schema()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


def test_it_documents_every_api_route(db):
    routes = _api_paths()
    # The walk found the routes (a broken walk would make the next check vacuous).
    assert {"/api/v1/lots/", "/api/v1/samples/{code}/events/", "/api/v1/auth/token/"} <= routes
    assert routes <= set(_schema()["paths"])


def test_it_documents_the_input_and_output_of_every_operation(db):
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if method == "post":
                assert "requestBody" in operation, f"{method} {path} documents no input"
            answers = [code for code in operation["responses"] if code.startswith("2")]
            assert answers, f"{method} {path} documents no answer"
            assert all("content" in operation["responses"][code] for code in answers), f"{method} {path}"


def test_it_documents_filters_search_and_pages_of_lists(db):
    parameters = {p["name"] for p in _schema()["paths"]["/api/v1/lots/"]["get"]["parameters"]}
    assert {"status", "material", "exporter", "search", "ordering", "page", "page_size"} <= parameters


def test_it_renders_the_docs_page(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    # Its start-up script comes from its own address (no inline script under the CSP) and loads the schema.
    script = APIClient().get("/api/docs/", {"script": ""})
    assert b"/api/schema/" in script.content
