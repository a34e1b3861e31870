"""From a withdrawal to the customs system's webhook, one step at a time in this process (the whole
way through a real worker is test_push_worker.py): the sweep reads the certificate events after its
cursor, signs, and queues one message per subscription; an attempt POSTs it to a real HTTP receiver;
the receiver acknowledges in its answer or later through the API; failures wait longer each time and
end as failed, listed for the administrator, who sends them again."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from certificates import services
from certificates.models import CertificateEvent
from exchange import jws, outbox, push
from exchange import services as exchange_services
from exchange.models import Cursor, DeliveryAttempt, OutboxMessage, SignedRecord, Subscription
from tests.exchange.conftest import status_keys, token_for
from tests.exchange.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    receiver = Receiver(answers=[(200, True)]).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def subscribed(khorgos, receiver, settings):
    settings.LIMS_EXCHANGE_PUSH_ALLOW_HTTP = True
    return Subscription.objects.create(client=khorgos[0], url=receiver.url)


@pytest.fixture
def revoked(issue, manager, subscribed):
    certificate = issue()
    outbox.sweep()  # its issue: a record, no message
    return services.certificate_revoke(actor=manager, certificate=certificate, reason="Seal found broken")


def test_a_withdrawal_becomes_one_signed_message_per_active_subscription(revoked, subscribed, khorgos, manager):
    idle = Subscription.objects.create(client=khorgos[0], url="https://idle.example/hook", active=False)

    done = outbox.sweep()

    message = OutboxMessage.objects.get()
    assert done["messages"] == [message.pk] and message.subscription == subscribed
    assert not OutboxMessage.objects.filter(subscription=idle).exists()
    body = json.loads(message.body)
    assert body == {
        "id": str(message.message_id),
        "type": "certificate.revoked",
        "issuer": "KZL",
        "number": revoked.number,
        "status": "revoked",
        "at": body["at"],
        "reason": "Seal found broken",
        "superseded_by": None,
        "record": SignedRecord.objects.filter(certificate=revoked).order_by("-signed_at", "-id").first().jws,
    }
    header = jws.verify_detached(message.signature, message.body.encode(), status_keys())
    assert header["typ"] == "lims-push-message+jws"
    # Read again (young events are), nothing is signed or queued twice.
    outbox.sweep()
    assert OutboxMessage.objects.count() == 1
    assert SignedRecord.objects.filter(certificate=revoked).count() == 2


def test_an_amendment_pushes_the_superseded_certificate_with_its_successor(issue, subscribed, manager):
    from tests.certificates.builders import issue_now

    original = issue()
    amendment = issue_now(services.certificate_amend(actor=manager, certificate=original, reason="Au re-assayed"))

    outbox.sweep()

    message = OutboxMessage.objects.get()
    body = json.loads(message.body)
    assert (body["type"], body["number"], body["superseded_by"]) == (
        "certificate.superseded",
        original.number,
        amendment.number,
    )


def test_the_cursor_passes_only_events_older_than_the_grace(revoked, settings):
    last = CertificateEvent.objects.order_by("-id").first()

    outbox.sweep()
    young = Cursor.objects.get(name=outbox.CURSOR).position
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.LIMS_EXCHANGE_EVENT_GRACE_SECONDS + 1)):
        outbox.sweep()
    old = Cursor.objects.get(name=outbox.CURSOR).position

    # Events seconds old may still have an invisible predecessor: the cursor waits below them.
    assert young < last.pk
    assert old == last.pk


def test_an_acknowledging_answer_acknowledges(revoked, receiver):
    message = OutboxMessage.objects.get(pk=outbox.sweep()["messages"][0])

    assert push.deliver(message.pk) is None

    message.refresh_from_db()
    assert (message.status, message.acknowledged_via, message.attempts) == ("acknowledged", "answer", 1)
    (request,) = receiver.requests
    assert request.headers["X-Lims-Message-Id"] == str(message.message_id)
    assert jws.verify_detached(request.headers["X-Lims-Signature"], request.body, status_keys())
    assert (DeliveryAttempt.objects.get().status_code, DeliveryAttempt.objects.get().acknowledged) == (200, True)


def test_a_2xx_without_the_id_waits_for_the_ack_endpoint(revoked, receiver, khorgos):
    receiver.answers = [(202, False)]
    message = OutboxMessage.objects.get(pk=outbox.sweep()["messages"][0])
    push.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "delivered"
    api = HttpClient(headers={"Authorization": f"Bearer {token_for(khorgos)}"})

    response = api.post(f"/api/v1/exchange/acks/{message.message_id}/")
    again = api.post(f"/api/v1/exchange/acks/{message.message_id}/")

    assert response.status_code == again.status_code == 200
    assert response.json()["status"] == "acknowledged"
    message.refresh_from_db()
    assert (message.status, message.acknowledged_via) == ("acknowledged", "api")


def test_another_clients_message_cannot_be_acknowledged(revoked, manager):
    message = OutboxMessage.objects.get(pk=outbox.sweep()["messages"][0])
    other = exchange_services.client_create(actor=manager, name="Other post", scopes="messages:ack")

    response = HttpClient(headers={"Authorization": f"Bearer {token_for(other)}"}).post(
        f"/api/v1/exchange/acks/{message.message_id}/"
    )

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == "pending"


def test_failures_wait_longer_each_time_then_give_up(revoked, receiver, settings):
    settings.LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS = 3
    settings.LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS = 10
    receiver.answers = [(500, False)]
    message = OutboxMessage.objects.get(pk=outbox.sweep()["messages"][0])

    waits = []
    now = timezone.now()
    for _ in range(3):
        with time_machine.travel(now):
            waits.append(push.deliver(message.pk))
            assert push.deliver(message.pk) is None  # not due again at once: no second attempt
        message.refresh_from_db()
        now = message.next_attempt_at + timedelta(seconds=1)

    assert 10 <= waits[0] <= 12.5 and 20 <= waits[1] <= 25 and waits[2] is None
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("failed", 3, "HTTP 500 Internal Server Error")
    assert list(message.deliveries.values_list("number", "status_code")) == [(1, 500), (2, 500), (3, 500)]


def test_the_admin_lists_the_unacknowledged_and_sends_them_again(revoked, receiver, superuser, client, settings):
    settings.LIMS_EXCHANGE_PUSH_MAX_ATTEMPTS = 1
    receiver.answers = [(503, False)]
    message = OutboxMessage.objects.get(pk=outbox.sweep()["messages"][0])
    push.deliver(message.pk)
    client.force_login(superuser)

    listed = client.get("/admin/exchange/outboxmessage/?acknowledgement=awaiting")
    assert listed.status_code == 200
    assert str(message.number) in listed.content.decode() and "Failed" in listed.content.decode()

    receiver.answers = [(200, True)]
    response = client.post("/admin/exchange/outboxmessage/", {"action": "resend", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
    push.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "acknowledged"
    assert message.deliveries.count() == 2
    assert message.number not in client.get("/admin/exchange/outboxmessage/?acknowledgement=awaiting").content.decode()


def test_a_plain_http_webhook_is_refused_unless_allowed(khorgos, settings):
    from django.core.exceptions import ValidationError

    settings.LIMS_EXCHANGE_PUSH_ALLOW_HTTP = False
    with pytest.raises(ValidationError):
        Subscription(client=khorgos[0], url="http://customs.example/hook").full_clean()
    Subscription(client=khorgos[0], url="https://customs.example/hook").full_clean()
