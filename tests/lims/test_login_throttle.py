"""Login throttling (django-axes, lims.lib.login_throttle): the web login, the admin login and the API
token endpoint share one count per account and one per client address, kept in the database so every
web process sees it; a locked account gets a clear message (429), and an administrator lifts the lock."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def web_login(username, password, address="10.0.0.1", url="/login/"):
    return Client(REMOTE_ADDR=address).post(url, {"username": username, "password": password})


def api_login(username, password, address="10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN_URL, {"username": username, "password": password}, format="json")


@pytest.fixture(autouse=True)
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    # REST framework's own per-address rate is not what these tests are about.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "1000/min", "verify": "1000/min"},
    }


def test_an_account_is_locked_whatever_the_addresses_and_entry_points(exporter):
    # Three wrong passwords for alice, from three addresses, through the three login doors.
    assert web_login("alice", "wrong", "10.0.0.1").status_code == 200  # the form again, with its error
    assert web_login("alice", "wrong", "10.0.0.2", url="/admin/login/").status_code == 200
    # The failure that reaches the limit is already answered with the lockout.
    assert api_login("alice", "wrong", "10.0.0.3").status_code == 429
    # Now even the right password from a fresh address is refused, with a message saying why.
    page = web_login("alice", PASSWORD, "10.0.0.4")
    assert page.status_code == 429
    assert "Too many failed logins" in page.content.decode()
    assert "_auth_user_id" not in page.client.session
    api = api_login("alice", PASSWORD, "10.0.0.5")
    assert api.status_code == 429
    assert "Too many failed logins" in api.json()["message"]
    assert "token" not in api.json()
    admin = web_login("alice", PASSWORD, "10.0.0.6", url="/admin/login/")
    assert admin.status_code == 429


def test_an_address_is_locked_whatever_the_accounts(exporter, manager):
    assert [api_login(name, "guess", "10.0.0.9").status_code for name in ("nobody", "somebody", "anybody")] == [
        400,
        400,
        429,
    ]
    # alice's own password from that address is refused; from another address it works.
    assert api_login("alice", PASSWORD, "10.0.0.9").status_code == 429
    assert api_login("alice", PASSWORD, "10.0.0.10").status_code == 200


def test_the_count_is_shared_through_the_database(exporter):
    for _ in range(3):
        api_login("alice", "wrong", "10.0.0.1")
    # Any web process reads the same rows: that is what makes the limit hold across gunicorn workers.
    assert AccessAttempt.objects.filter(username="alice").get().failures_since_start == 3


def test_an_administrator_lifts_the_lock_with_the_command(exporter):
    for _ in range(3):
        web_login("alice", "wrong")
    assert web_login("alice", PASSWORD, "10.0.0.7").status_code == 429
    call_command("axes_reset_username", "alice")
    assert web_login("alice", PASSWORD, "10.0.0.7").status_code == 302  # logged in


def test_an_administrator_lifts_the_lock_in_the_admin(exporter, superuser):
    for _ in range(3):
        api_login("alice", "wrong", "10.0.0.1")
    assert api_login("alice", PASSWORD, "10.0.0.8").status_code == 429
    admin = Client()
    admin.force_login(superuser)
    assert admin.get("/admin/axes/accessattempt/?q=alice").status_code == 200
    # Select alice's attempts in the changelist and delete them (one row per address she was tried from).
    selected = list(AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True))
    response = admin.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    )
    assert response.status_code == 302
    assert api_login("alice", PASSWORD, "10.0.0.8").status_code == 200


def test_a_success_clears_the_accounts_failures(exporter):
    web_login("alice", "wrong")
    web_login("alice", "wrong")
    assert web_login("alice", PASSWORD).status_code == 302
    web_login("alice", "wrong")
    web_login("alice", "wrong")
    assert web_login("alice", PASSWORD).status_code == 302  # two more failures did not lock her
