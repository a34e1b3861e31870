"""Client credentials (RFC 6749 4.4): khorgos trades its id and secret for a short-lived bearer
token, and nothing else does."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from exchange import services
from exchange.models import SCOPE_ACK, SCOPE_READ, AccessToken, Client, sha256_hex
from tests.exchange.conftest import TOKEN_URL, basic, token_for

pytestmark = pytest.mark.django_db


def post(data, **meta):
    return HttpClient().post(TOKEN_URL, data, **meta)


def test_it_issues_a_token_for_the_secret_in_the_form(khorgos, settings):
    client, secret = khorgos

    response = post({"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.LIMS_EXCHANGE_TOKEN_SECONDS == 600
    assert body["scope"] == "certificates:read messages:ack"  # all its own when none asked
    assert response["Cache-Control"] == "no-store"
    # Only the hashes are stored: neither the secret nor the token is in the database.
    stored = AccessToken.objects.get()
    assert stored.token_sha256 == sha256_hex(body["access_token"]) and body["access_token"] not in str(
        list(AccessToken.objects.values())
    )
    assert Client.objects.get().secret_sha256 == sha256_hex(secret)
    assert secret not in str(list(Client.objects.values()))
    assert stored.expires_at - stored.issued_at == timedelta(seconds=600)


def test_it_takes_http_basic_and_a_narrower_scope(khorgos):
    client, secret = khorgos

    response = post(
        {"grant_type": "client_credentials", "scope": SCOPE_ACK}, HTTP_AUTHORIZATION=basic(client.client_id, secret)
    )

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == SCOPE_ACK


def test_a_bad_secret_is_invalid_client(khorgos):
    client, secret = khorgos

    form = post({"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret + "x"})
    basic_auth = post({"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(client.client_id, "wrong"))
    unknown = post({"grant_type": "client_credentials", "client_id": "cs-nobody", "client_secret": secret})

    for response in (form, basic_auth, unknown):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    assert basic_auth["WWW-Authenticate"] == 'Basic realm="exchange"'
    assert not AccessToken.objects.exists()


def test_an_inactive_client_gets_no_token(khorgos):
    client, secret = khorgos
    Client.objects.filter(pk=client.pk).update(active=False)

    response = post({"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret})

    assert response.status_code == 401


def test_it_refuses_other_grants_and_scopes_not_given(manager, khorgos):
    reader, reader_secret = services.client_create(actor=manager, name="Reader only", scopes=SCOPE_READ)

    grant = post({"grant_type": "password", "client_id": reader.client_id, "client_secret": reader_secret})
    scope = post(
        {
            "grant_type": "client_credentials",
            "client_id": reader.client_id,
            "client_secret": reader_secret,
            "scope": SCOPE_ACK,
        }
    )
    missing = post({"grant_type": "client_credentials", "client_id": reader.client_id})

    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")


def test_an_expired_token_answers_401(khorgos, bins):
    token = token_for(khorgos)
    api = HttpClient(headers={"Authorization": f"Bearer {token}"})
    url = "/api/v1/exchange/certificates/KZL-2026-000001/?bin=150440056789"
    assert api.get(url).status_code == 404  # valid now: an unknown number

    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        response = api.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="exchange", error="invalid_token"'


def test_no_token_or_a_users_token_is_401(khorgos):
    url = "/api/v1/exchange/certificates/KZL-2026-000001/?bin=150440056789"

    assert HttpClient().get(url).status_code == 401
    assert HttpClient(headers={"Authorization": "Token abc"}).get(url).status_code == 401
    assert HttpClient(headers={"Authorization": "Bearer not-a-token"}).get(url).status_code == 401


def test_a_token_without_the_scope_is_403(khorgos):
    token = token_for(khorgos, scope=SCOPE_ACK)

    response = HttpClient(headers={"Authorization": f"Bearer {token}"}).get(
        "/api/v1/exchange/certificates/KZL-2026-000001/?bin=150440056789"
    )

    assert response.status_code == 403
    assert (
        response["WWW-Authenticate"] == 'Bearer realm="exchange", error="insufficient_scope", scope="certificates:read"'
    )


def test_a_new_secret_ends_the_old_one_and_its_tokens(manager, khorgos):
    client, old = khorgos
    token = token_for(khorgos)

    new = services.client_new_secret(actor=manager, client=client)

    assert (
        post({"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": old}).status_code
        == 401
    )
    assert token_for((client, new))
    assert (
        HttpClient(headers={"Authorization": f"Bearer {token}"})
        .get("/api/v1/exchange/certificates/X/?bin=1")
        .status_code
        == 401
    )


def test_only_a_lab_manager_makes_clients(technician, exporter):
    for actor in (technician, exporter):
        with pytest.raises(services.ApplicationError):
            services.client_create(actor=actor, name="Mine", scopes=SCOPE_READ)
    assert not Client.objects.exists()
