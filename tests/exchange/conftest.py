"""The cast of tests/conftest.py, and a customs system: `khorgos`, the client of the customs post
that ivan inspects for, made by max (the lab manager) through the service, with its secret. alice's
Altyn Copper has the BIN 150440056789 (written as people write it), bob's Steppe Metals another."""

import base64
import json

import pytest
from django.test import Client as HttpClient

from certificates import publication, verifier
from exchange import services
from exchange.models import SCOPE_ACK, SCOPE_READ
from tests.certificates.builders import issued_certificate

ALICE_BIN = "150440056789"
BOB_BIN = "990340001122"
TOKEN_URL = "/api/v1/exchange/oauth/token"


@pytest.fixture
def bins(exporter_org, exporter2_org):
    exporter_org.registration_number = f"BIN {ALICE_BIN}"
    exporter_org.save(update_fields=["registration_number"])
    exporter2_org.registration_number = BOB_BIN
    exporter2_org.save(update_fields=["registration_number"])


@pytest.fixture
def khorgos(manager, customs_org):
    """(client, secret): the customs post's system, allowed to read and to acknowledge."""
    return services.client_create(
        actor=manager, name="Khorgos ASTANA-1 gateway", scopes=f"{SCOPE_READ} {SCOPE_ACK}", organisation=customs_org
    )


def token_for(credentials, scope: str | None = None) -> str:
    client, secret = credentials
    data = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    if scope:
        data["scope"] = scope
    response = HttpClient().post(TOKEN_URL, data)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def bearer(khorgos):
    """A test client that sends khorgos's token."""
    return HttpClient(headers={"Authorization": f"Bearer {token_for(khorgos)}"})


@pytest.fixture
def issue(lot, sampler, technician, reviewer, manager, instrument, keys_dir, bins):
    def issue():
        return issued_certificate(
            lot=lot, sampler=sampler, technician=technician, reviewer=reviewer, manager=manager, instrument=instrument
        )

    return issue


def status_keys(client=None) -> dict:
    """The status keys of the published key set, as anyone downloads it (/verify/keys/keys.json)."""
    publication.publish()
    response = (client or HttpClient()).get("/verify/keys/keys.json")
    assert response.status_code == 200
    key_set = verifier.load_key_set(
        json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return {kid: key.public_key for kid, key in key_set.keys.items() if key.kind == "status"}


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
