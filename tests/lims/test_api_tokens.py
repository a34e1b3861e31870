"""API tokens (django-rest-knox): stored as digests, expiring, and a bad one answers 401 JSON."""

import datetime as dt

import time_machine
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


def obtain(username="alice") -> dict:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def me(token: str):
    return APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Token {token}")


def test_the_token_itself_is_stored_nowhere(exporter):
    token = obtain()["token"]
    # A database dump does not hand out working tokens: no column of any row holds the token.
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert all(token not in value for value in rows[0])
    assert me(token).json()["username"] == "alice"


def test_a_token_expires_after_its_time_to_live(exporter, settings):
    body = obtain()
    expiry = dt.datetime.fromisoformat(body["expiry"])
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert abs(expiry - (timezone.now() + ttl)) < dt.timedelta(minutes=1)
    # Use does not extend it.
    with time_machine.travel(timezone.now() + ttl - dt.timedelta(minutes=5)):
        assert me(body["token"]).status_code == 200
    with time_machine.travel(timezone.now() + ttl + dt.timedelta(minutes=1)):
        response = me(body["token"])
    assert response.status_code == 401
    assert response.json()["message"]
    # ... and the expired token is gone from the table.
    assert not AuthToken.objects.filter(user=exporter).exists()


def test_a_bad_token_answers_401_json(exporter):
    token = obtain()["token"]
    for bad in (token[:-1] + ("0" if token[-1] != "0" else "1"), "nonsense", token + "x", ""):
        response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Token {bad}".strip())
        assert response.status_code == 401, bad
        assert response["Content-Type"] == "application/json"
        assert response.json()["message"]


def test_a_new_login_clears_the_users_expired_tokens_only(exporter, manager, settings):
    old = obtain()
    AuthToken.objects.create(user=manager, expiry=dt.timedelta(seconds=-1))  # someone else's, expired
    with time_machine.travel(timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + dt.timedelta(hours=1)):
        obtain()
        assert AuthToken.objects.filter(user=exporter).count() == 1
        assert me(old["token"]).status_code == 401
    assert AuthToken.objects.filter(user=manager).count() == 1
