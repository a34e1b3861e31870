"""Notifications (lims.notifications): created in the caller's transaction for those who may see what
they are about, e-mailed after commit by the task to those who want the kind, shown under the bell and
on the person's own list, marked read by their reader only.

The cast: tess entered results that rita rejects; max and mia are the lab managers; alice's lot;
bob (another exporter) must never be told of it."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from assays.services import result_reject
from lims import notifications
from lims.models import AuditEvent, Notification, NotificationKind, NotificationPreference
from lims.roles import Role
from lims.tasks import send_notification_emails
from samples.models import Nonconformance
from tests.assays.conftest import manual
from tests.conftest import PASSWORD, make_user, received

Kind = NotificationKind


def tess_with_results(lot, sampler, technician, **values):
    """tess (with an e-mail address) enters results of a sample handed to her and received; the
    hand-over's notification is cleared, so each test sees only what its action creates."""
    technician.email = "tess@lab.example"
    technician.save(update_fields=["email"])
    results = manual(technician, "fire-assay", received(lot, sampler, technician), **values)
    Notification.objects.all().delete()
    return results


@pytest.fixture
def run_task_directly(monkeypatch):
    """The e-mail task runs here, in the test's process, when it is sent after commit (Celery's own
    delivery is tested with a real worker in tests/integration/test_notification_worker.py)."""
    monkeypatch.setattr(send_notification_emails, "apply_async", lambda args: send_notification_emails(*args))


@pytest.fixture
def rejected(lot, sampler, technician, reviewer, django_capture_on_commit_callbacks, run_task_directly):
    """tess's Au and Ag of a received sample, rita rejects the Au: tess is told (and e-mailed)."""
    au, _ag = tess_with_results(lot, sampler, technician, Au="5.25", Ag="41.0")
    with django_capture_on_commit_callbacks(execute=True):
        result_reject(actor=reviewer, result=au, reason="Duplicate out of tolerance")
    return au


def test_the_person_who_entered_a_rejected_result_is_told_and_emailed(rejected, technician, reviewer):
    (notice,) = Notification.objects.all()
    assert notice.recipient == technician
    assert notice.kind == Kind.RESULT_REJECTED
    assert notice.link == reverse("sample_results", kwargs={"code": rejected.sample.code})
    assert notice.title() == f"Result rejected on sample {rejected.sample.code}"
    assert (
        notice.body()
        == f"Rita Reviewer rejected Au of sample {rejected.sample.code}. Reason: Duplicate out of tolerance"
    )
    # The value is not in the message: the analyte and the reason are.
    assert "5.25" not in notice.title() + notice.body()
    (email,) = mail.outbox
    assert email.to == ["tess@lab.example"]
    assert email.subject == f"[Assay LIMS] Result rejected on sample {rejected.sample.code}"
    assert "Duplicate out of tolerance" in email.body
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_nothing_is_created_or_sent_when_the_action_rolls_back(lot, sampler, technician, reviewer, run_task_directly):
    from django.db import transaction

    (au,) = tess_with_results(lot, sampler, technician, Au="5.25")

    with pytest.raises(RuntimeError), transaction.atomic():
        result_reject(actor=reviewer, result=au, reason="Duplicate out of tolerance")
        raise RuntimeError("the caller fails after the rejection")

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_person_who_switched_the_kind_off_gets_no_email_but_sees_it(
    lot, sampler, technician, reviewer, django_capture_on_commit_callbacks, run_task_directly
):
    notifications.notification_settings_set(actor=technician, email={Kind.RESULT_REJECTED: False})
    (au,) = tess_with_results(lot, sampler, technician, Au="5.25")

    with django_capture_on_commit_callbacks(execute=True):
        result_reject(actor=reviewer, result=au, reason="Duplicate out of tolerance")

    notice = Notification.objects.get(recipient=technician)
    assert notice.email_due is False
    assert mail.outbox == []


def test_the_defaults_email_every_kind_but_a_sample_handed_over(technician):
    assert notifications.email_choices(technician) == {
        "result_rejected": True,
        "certificate_issued": True,
        "certificate_failed": True,
        "declaration_flagged": True,
        "nonconformance_raised": True,
        "sample_handed_over": False,
    }


def test_the_settings_page_saves_the_choices_and_audits_them(client, technician):
    client.force_login(technician)
    data = {kind: "on" for kind in Kind.values if kind not in ("result_rejected", "certificate_issued")}
    data["sample_handed_over"] = "on"

    response = client.post(reverse("notification_settings"), data)

    assert response.status_code == 302
    choices = notifications.email_choices(technician)
    assert choices["result_rejected"] is False
    assert choices["sample_handed_over"] is True
    assert choices["certificate_failed"] is True
    # Only the changed kinds are stored; the others follow the default.
    assert set(NotificationPreference.objects.values_list("kind", flat=True)) == {
        "result_rejected", "certificate_issued", "sample_handed_over",
    }  # fmt: skip
    event = AuditEvent.objects.get(action="account.change", object_id=str(technician.pk))
    assert event.data["after"]["notification_email"] == {
        "result_rejected": False, "certificate_issued": False, "sample_handed_over": True,
    }  # fmt: skip
    form = client.get(reverse("notification_settings")).context["form"]
    assert form.fields["sample_handed_over"].initial is True
    assert form.fields["result_rejected"].initial is False


def test_a_person_without_an_email_address_gets_none(
    lot, sampler, technician, reviewer, django_capture_on_commit_callbacks, run_task_directly
):
    (au,) = tess_with_results(lot, sampler, technician, Au="5.25")
    technician.email = ""
    technician.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        result_reject(actor=reviewer, result=au, reason="Duplicate out of tolerance")

    assert Notification.objects.get().email_due is False
    assert mail.outbox == []


class FlakyBackend(EmailBackend):
    """The mail server drops the connection on the first message it is given, then works."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures < 1:
            FlakyBackend.failures += 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_the_task_retries_after_an_smtp_error_and_sends_once(rejected, settings, technician):
    mail.outbox.clear()
    notice = Notification.objects.get()
    Notification.objects.filter(pk=notice.pk).update(emailed_at=None)
    settings.EMAIL_BACKEND = "tests.lims.test_notifications.FlakyBackend"
    FlakyBackend.failures = 0

    # apply(): Celery runs the task and its retries here (no countdown), as a worker would in turn.
    result = send_notification_emails.apply(args=[[notice.pk]])

    assert result.successful()
    assert FlakyBackend.failures == 1
    assert len(mail.outbox) == 1
    # Sent and marked: running it again sends nothing.
    assert send_notification_emails.apply(args=[[notice.pk]]).get() == 0
    assert len(mail.outbox) == 1


def test_the_task_goes_to_the_default_queue():
    from lims.celery import app

    assert app.amqp.router.route({}, send_notification_emails.name)["queue"].name == "default"
    assert smtplib.SMTPException in send_notification_emails.autoretry_for


def test_the_problems_named_are_the_nonconformance_kinds():
    assert set(notifications.PROBLEMS) == set(Nonconformance.Kind.values)


def test_every_kind_has_a_message_and_a_default():
    assert set(notifications.MESSAGES) == set(Kind.values) == set(notifications.EMAIL_BY_DEFAULT)


# The bell, the list and the API: one's own only -------------------------------------------------


@pytest.fixture
def two_inboxes(rejected, technician, manager, lab):
    """tess has the rejection and one more; mia (another manager) has one of her own."""
    mia = make_user("mia", Role.MANAGER, lab)
    notifications.notify(kind=Kind.SAMPLE_HANDED_OVER, recipients=[technician], data={"sample": "S-2", "by": "Sam"})
    (hers,) = notifications.notify(
        kind=Kind.SAMPLE_HANDED_OVER, recipients=[mia], data={"sample": "S-SECRET-9", "by": "Sam"}
    )
    return {"mia": mia, "hers": hers}


def test_the_bell_counts_the_unread(client, two_inboxes, technician):
    client.force_login(technician)

    response = client.get(reverse("lot_list"))

    assert response.context["unread_notifications"] == 2
    assert 'class="bell-count" aria-hidden="true">2<' in response.content.decode()
    Notification.objects.filter(recipient=technician).update(read_at="2026-01-01T00:00Z")
    response = client.get(reverse("lot_list"))
    assert response.context["unread_notifications"] == 0
    assert "bell-count" not in response.content.decode()


def test_the_list_shows_ones_own_newest_first(client, two_inboxes, technician):
    client.force_login(technician)

    response = client.get(reverse("notification_list"))

    titles = [n.title() for n in response.context["page_obj"]]
    assert titles[0] == "Sample S-2 handed over to you"
    assert len(titles) == 2
    assert "S-SECRET-9" not in response.content.decode()


def test_marking_one_read_and_then_all(client, two_inboxes, technician, rejected):
    client.force_login(technician)
    first = Notification.objects.get(recipient=technician, kind=Kind.RESULT_REJECTED)

    response = client.post(reverse("notification_read", kwargs={"notification_pk": first.pk}), {"next": first.link})

    assert response.status_code == 302
    assert response["Location"] == first.link
    first.refresh_from_db()
    assert first.read_at is not None
    assert notifications.unread_count(technician) == 1
    client.post(reverse("notification_read_all"))
    assert notifications.unread_count(technician) == 0
    # mia's is untouched.
    assert notifications.unread_count(two_inboxes["mia"]) == 1


def test_a_link_other_than_the_notifications_own_is_not_followed(client, two_inboxes, technician):
    client.force_login(technician)
    notice = Notification.objects.filter(recipient=technician).first()

    response = client.post(
        reverse("notification_read", kwargs={"notification_pk": notice.pk}), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("notification_list")


def test_another_persons_notification_is_404_and_stays_unread(client, two_inboxes, technician):
    client.force_login(technician)
    hers = two_inboxes["hers"]

    response = client.post(reverse("notification_read", kwargs={"notification_pk": hers.pk}))

    assert response.status_code == 404
    hers.refresh_from_db()
    assert hers.read_at is None


def test_marking_needs_a_post(client, two_inboxes, technician):
    client.force_login(technician)
    notice = Notification.objects.filter(recipient=technician).first()

    assert client.get(reverse("notification_read", kwargs={"notification_pk": notice.pk})).status_code == 405
    assert client.get(reverse("notification_read_all")).status_code == 405


def test_the_api_lists_ones_own_and_marks_them_read(client, two_inboxes, technician):
    client.force_login(technician)

    listed = client.get("/api/v1/notifications/").json()

    assert listed["count"] == 2
    assert [row["kind"] for row in listed["results"]] == ["sample_handed_over", "result_rejected"]
    assert listed["results"][0]["title"] == "Sample S-2 handed over to you"
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 2
    mine = listed["results"][0]["id"]
    answer = client.post("/api/v1/notifications/mark-read/", {"ids": [mine]}, content_type="application/json")
    assert answer.json() == {"marked": 1, "unread": 1}
    assert client.post("/api/v1/notifications/mark-read/", {"all": True}, content_type="application/json").json() == {
        "marked": 1,
        "unread": 0,
    }


def test_the_api_refuses_another_persons_id_and_marks_nothing(client, two_inboxes, technician):
    client.force_login(technician)
    mine = Notification.objects.filter(recipient=technician).first()

    answer = client.post(
        "/api/v1/notifications/mark-read/", {"ids": [mine.pk, two_inboxes["hers"].pk]}, content_type="application/json"
    )

    assert answer.status_code == 404
    assert notifications.unread_count(technician) == 2
    assert notifications.unread_count(two_inboxes["mia"]) == 1
    empty = client.post("/api/v1/notifications/mark-read/", {}, content_type="application/json")
    assert empty.status_code == 400
    assert empty.json()["extra"] == {"field": "ids"}


def test_the_api_needs_a_token_or_a_session(client, two_inboxes, technician):
    assert client.get("/api/v1/notifications/").status_code == 401
    token = client.post("/api/v1/auth/token/", {"username": "tess", "password": PASSWORD}).json()["token"]
    answer = client.get("/api/v1/notifications/", headers={"Authorization": f"Token {token}"})
    assert answer.json()["count"] == 2


def test_nobody_is_told_what_they_may_not_see(lot, exporter, exporter2, manager):
    """notify() drops whoever may not see the object it is about: bob hears nothing of alice's lot."""
    told = notifications.notify(
        kind=Kind.SAMPLE_HANDED_OVER, recipients=[exporter, exporter2, manager], about=lot,
        data={"sample": "S-1", "by": "Sam"},
    )  # fmt: skip

    assert sorted(n.recipient.username for n in told) == ["alice", "max"]


def test_the_list_and_the_api_run_no_query_per_notification(client, technician):
    """tests/lims/test_list_queries.py builds no notifications, so this holds the two lists to it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.force_login(technician)
    data = {"sample": "S-1", "by": "Sam"}
    notifications.notify(kind=Kind.SAMPLE_HANDED_OVER, recipients=[technician], data=data)
    few = {url: queries(url) for url in ("/notifications/", "/api/v1/notifications/")}
    for _ in range(11):
        notifications.notify(kind=Kind.SAMPLE_HANDED_OVER, recipients=[technician], data=data)

    assert {url: queries(url) for url in few} == few
