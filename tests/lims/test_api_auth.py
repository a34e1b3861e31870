"""Getting in: a token for scripts, the session for the browser, nothing for strangers."""

import pytest
from django.contrib.auth.models import Group
from knox.models import AuthToken
from rest_framework.test import APIClient

from lims.roles import Role
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


def test_it_exchanges_username_and_password_for_a_token_that_authenticates(exporter):
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    # Only a digest is stored: the token itself is nowhere in the database.
    stored = AuthToken.objects.get(user=exporter)
    assert token not in (stored.digest, stored.token_key) and token.startswith(stored.token_key)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


def test_it_gives_a_new_token_on_a_second_login_and_both_work(exporter):
    first = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    second = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    assert first != second
    for token in (first, second):
        assert APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_it_refuses_a_wrong_password_with_a_message(exporter):
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "username and password" in response.json()["message"]
    # No token is handed out on a failed attempt.
    assert not AuthToken.objects.filter(user=exporter).exists()


def test_it_refuses_a_deactivated_account(exporter):
    exporter.is_active = False
    exporter.save()
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_it_names_the_missing_field(db):
    response = APIClient().post(TOKEN_URL, {"username": "alice"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("password:")
    assert "password" in body["extra"]["fields"]


def test_it_rejects_an_unknown_token(exporter):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["message"]


def test_it_works_with_the_browser_session(exporter):
    client = APIClient()
    client.force_login(exporter)
    response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_it_requires_the_csrf_token_for_writes_in_a_session(sampler, exporter_org, copper):
    # A page of another site must not be able to register lots with the user's cookie.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(sampler)
    response = client.post("/api/v1/lots/", {"exporter": exporter_org.pk}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


@pytest.mark.parametrize(
    "url",
    ["/api/v1/me/", "/api/v1/materials/", "/api/v1/lots/", "/api/v1/samples/", "/api/v1/nonconformances/"],
)
def test_it_turns_strangers_away_with_a_json_message(db, url):
    response = APIClient().get(url)
    assert response.status_code in (401, 403)
    assert response.json()["message"] == "Authentication credentials were not provided."


def test_it_tells_the_user_who_they_are(exporter):
    client = APIClient()
    client.force_authenticate(exporter)
    body = client.get(ME_URL).json()
    assert body["full_name"] == "Alice Exporter"
    assert body["organisation"] == {"id": exporter.organisation_id, "name": "Altyn Copper LLP", "kind": "exporter"}
    assert body["roles"] == ["exporter"]
    assert body["is_admin"] is False


def test_it_lists_only_roles_that_hold_for_the_organisation(exporter):
    # A "technician" group on an exporter's account is no technician (lims.permissions).
    exporter.groups.add(Group.objects.get(name=Role.TECHNICIAN))
    client = APIClient()
    client.force_authenticate(exporter)
    assert client.get(ME_URL).json()["roles"] == ["exporter"]


def test_token_guessing_is_throttled(db, settings):
    # REST framework's rate limit, on its own: the login lockout (test_login_throttle.py) is off here.
    settings.AXES_ENABLED = False
    client = APIClient()
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "nobody", "password": f"guess{i}"}, format="json").status_code
        for i in range(25)
    ]
    # 20 attempts a minute per address, then 429 with a message.
    assert statuses[:20] == [400] * 20
    assert statuses[20:] == [429] * 5
    response = client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
    assert "throttled" in response.json()["message"].lower()
