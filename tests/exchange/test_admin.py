"""Clients are made in the admin by a lab manager; the secret is shown once, on the page after saving,
and never stored; the requests are there for admins to read, never to delete."""

import re

import pytest
from django.contrib.auth.models import Permission

from exchange.models import Client, RequestLog, sha256_hex
from lims.models import AuditEvent
from tests.exchange.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def max_in_admin(manager, client):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    manager.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange"))
    client.force_login(manager)
    return client


def shown_secret(response) -> str:
    match = re.search(r"client secret</th><td><code>([^<]+)</code>", response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1)


def test_a_lab_manager_makes_a_client_and_sees_its_secret_once(max_in_admin, customs_org):
    response = max_in_admin.post(
        "/admin/exchange/client/add/",
        {
            "name": "Khorgos ASTANA-1 gateway", "organisation": customs_org.pk, "scopes": "certificates:read",
            "rate": "", "active": "on",
            "subscriptions-TOTAL_FORMS": "0", "subscriptions-INITIAL_FORMS": "0",
        },
    )  # fmt: skip

    assert response.status_code == 200
    secret = shown_secret(response)
    client = Client.objects.get()
    assert client.secret_sha256 == sha256_hex(secret)
    assert token_for((client, secret))
    # Never shown again: the change page has no secret on it.
    assert secret not in max_in_admin.get(f"/admin/exchange/client/{client.pk}/change/").content.decode()
    assert AuditEvent.objects.filter(action="exchange_client.create", object_id=str(client.pk)).count() == 1


def test_replacing_the_secret_shows_the_new_one(max_in_admin, khorgos):
    client, old = khorgos

    response = max_in_admin.post(
        "/admin/exchange/client/", {"action": "replace_secret", "_selected_action": [client.pk]}
    )

    new = shown_secret(response)
    assert new != old and token_for((client, new))


def test_a_technician_cannot_make_clients(technician, client):
    technician.is_staff = True
    technician.save(update_fields=["is_staff"])
    technician.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange"))
    client.force_login(technician)

    assert client.get("/admin/exchange/client/add/").status_code == 403


def test_the_requests_are_read_never_deleted(max_in_admin, superuser, client, bearer):
    bearer.get("/api/v1/exchange/certificates/KZL-2026-000001/?bin=1")
    row = RequestLog.objects.get()
    client.force_login(superuser)

    assert client.get("/admin/exchange/requestlog/").status_code == 200
    assert client.post(f"/admin/exchange/requestlog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RequestLog.objects.count() == 1
