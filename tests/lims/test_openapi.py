"""The OpenAPI schema is true: schemathesis generates requests for every operation of /api/schema/
(a bounded number of examples each) and sends them to the WSGI application, as a lab manager and as
an exporter, signed in with an API token. No answer may be a server error, and every answer must
match the schema (status, body). `manage.py spectacular --validate --fail-on-warn` stays clean too."""

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from lims.models import NotificationKind
from lims.notifications import notify
from lims.wsgi import application

# Bounded: 5 generated examples an operation and user, and no coverage phase (its hundreds of
# deterministic edge cases an operation would make this test take many minutes).
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": 5},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def world(manager, exporter, exporter_org, copper, keys_dir):
    """A few rows for the operations to find: the cast of tests/conftest.py, and the laboratory's keys
    published (as in any installation; without them file verification answers 503 by design). The WSGI
    handler would close the test's database connection after each request, as Django's test client
    prevents too."""
    from certificates import publication

    publication.publish()
    # A notification each, so the notifications list answers rows (and marking one read has one to mark).
    for user in (manager, exporter):
        notify(kind=NotificationKind.SAMPLE_HANDED_OVER, recipients=[user], data={"sample": "S-1", "by": "Sam"})
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {"manager": manager, "exporter": exporter}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["manager", "exporter"])
@schema.parametrize()
@hypothesis_settings(
    max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)
def test_the_api_answers_as_its_schema_says(case, who, world, settings):
    settings.AXES_ENABLED = False  # random credentials would lock the fixture accounts out
    _instance, token = AuthToken.objects.create(user=world[who])
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


def test_the_schema_validates_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
