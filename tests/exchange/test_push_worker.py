"""The push the whole way through a real Celery worker on Redis (queue "default", as beat sends the
sweep): a revoked certificate reaches a real HTTP receiver and is acknowledged; a receiver that
answers 500, then is down, is tried again with growing waits until it takes the message."""

import json
import time

import pytest

from certificates import services
from exchange import jws
from exchange.models import OutboxMessage, Subscription
from exchange.tasks import exchange_sweep
from tests.exchange.conftest import status_keys
from tests.exchange.receiver import Receiver
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_for(predicate, timeout: float = 60, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not after {timeout} s: {what}")


@pytest.fixture
def subscribed(khorgos, settings):
    settings.LIMS_EXCHANGE_PUSH_ALLOW_HTTP = True
    settings.LIMS_EXCHANGE_PUSH_BACKOFF_SECONDS = 1
    receiver = Receiver(answers=[(200, True)]).start()
    Subscription.objects.create(client=khorgos[0], url=receiver.url)
    yield receiver
    receiver.stop()


def test_a_revoked_certificate_is_pushed_and_acknowledged(worker, issue, manager, subscribed):  # noqa: F811
    certificate = issue()
    services.certificate_revoke(actor=manager, certificate=certificate, reason="Sampled from the wrong wagon")

    exchange_sweep.delay()

    message = wait_for(
        lambda: OutboxMessage.objects.filter(status="acknowledged").first(), what="the message acknowledged"
    )
    (request,) = subscribed.requests
    body = json.loads(request.body)
    assert (body["type"], body["number"], body["reason"]) == (
        "certificate.revoked", certificate.number, "Sampled from the wrong wagon"
    )  # fmt: skip
    assert jws.verify_detached(request.headers["X-Lims-Signature"], request.body, status_keys())
    assert (message.acknowledged_via, message.attempts) == ("answer", 1)


def test_a_failing_receiver_is_retried_with_backoff_until_it_takes_the_message(
    worker,  # noqa: F811
    issue, manager, subscribed,
):  # fmt: skip
    subscribed.answers = [(500, False)]
    certificate = issue()
    services.certificate_revoke(actor=manager, certificate=certificate, reason="Duplicate certificate")

    exchange_sweep.delay()

    # First attempt: 500. The receiver then goes down (connection refused) for the second.
    message = wait_for(
        lambda: OutboxMessage.objects.filter(attempts=1, last_error__startswith="HTTP 500").first(), what="a 500"
    )
    port = subscribed.port
    subscribed.stop()
    wait_for(
        lambda: OutboxMessage.objects.filter(pk=message.pk, attempts=2).exclude(last_error__startswith="HTTP").exists(),
        what="refused",
    )
    # Back up, taking it: the third attempt is acknowledged.
    subscribed.answers = [(200, True)]
    subscribed.port = port
    subscribed.start()
    wait_for(lambda: OutboxMessage.objects.filter(pk=message.pk, status="acknowledged").exists(), what="acknowledged")

    attempts = list(
        message.deliveries.order_by("number").values("number", "at", "status_code", "error", "acknowledged")
    )
    assert [(a["number"], a["status_code"], a["acknowledged"]) for a in attempts] == [
        (1, 500, False), (2, None, False), (3, 200, True)
    ]  # fmt: skip
    assert "Connection refused" in attempts[1]["error"]
    # Backoff: about 1 s after the first failure, about 2 s after the second (1 s base, doubled).
    first_wait = (attempts[1]["at"] - attempts[0]["at"]).total_seconds()
    second_wait = (attempts[2]["at"] - attempts[1]["at"]).total_seconds()
    assert first_wait >= 1 and second_wait >= 2
    assert len(subscribed.requests) == 2  # the refused attempt never reached it
