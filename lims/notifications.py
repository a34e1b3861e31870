"""Notifications: what a person should know, under the bell in the header and, for the kinds they
chose, by e-mail.

Who is told what (the services that call notify(), recipients from lims.permissions):
| kind                 | raised by                                           | told                                        |
|----------------------|-----------------------------------------------------|---------------------------------------------|
| result_rejected      | assays.services.results.result_reject, results_review | who entered the result (or ran its run)   |
| certificate_issued   | certificates.services._finish                       | lab managers, the lot's exporter's people   |
| certificate_failed   | certificates.services.certificate_fail              | lab managers, the lot's exporter's people   |
| declaration_flagged  | customs.services (checks that flag a declaration)   | the customs office's inspectors, the filer  |
| nonconformance_raised| samples.services.sample_receive                     | lab managers                                |
| sample_handed_over   | samples.services.sample_hand_over                   | the person the sample is handed to          |

Rules:
- A notification never tells anyone what they may not see: notify() drops every recipient who may
  not see the object it is about (lims.permissions.can_see), so an exporter hears only of their own
  organisation's lots, certificates and declarations. Its text names numbers and codes, never an
  assay value or a declared figure.
- The text is rendered when read (render(): gettext in the reader's language), from the parameters
  stored with the row, so a notification follows its reader's language.
- Rows are created in the caller's transaction; the e-mails are sent by a Celery task
  (lims.tasks.send_notification_emails, queue "default") sent after commit, so a rolled-back action
  mails nobody and no SMTP call happens inside a transaction.
- E-mail per kind is each person's choice (/notifications/settings/); without a choice the kind's
  default in EMAIL_BY_DEFAULT holds: every kind by e-mail except a sample handed over, which the
  recipient meets at the bench anyway and which comes many times a day.
"""

import logging
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from lims import permissions
from lims.audit import AuditAction, audit_record
from lims.exceptions import ApplicationError
from lims.models import Notification, NotificationKind, NotificationPreference, User

logger = logging.getLogger(__name__)
Kind = NotificationKind

EMAIL_BY_DEFAULT: dict[str, bool] = {
    Kind.RESULT_REJECTED: True,
    Kind.CERTIFICATE_ISSUED: True,
    Kind.CERTIFICATE_FAILED: True,
    Kind.DECLARATION_FLAGGED: True,
    Kind.NONCONFORMANCE_RAISED: True,
    Kind.SAMPLE_HANDED_OVER: False,
}

# The reception problems of samples.models.Nonconformance.Kind, as a notification names them (lims
# may not import samples; tests/lims/test_notifications.py holds the two lists equal).
PROBLEMS = {
    "seal_broken": gettext_lazy("the seal was broken"),
    "seal_mismatch": gettext_lazy("the seal number did not match"),
}


class _Parameters(dict):
    """A notification's parameters; one missing (a row written by an older version) reads as "?"
    rather than breaking the page."""

    def __missing__(self, key):
        return "?"


def _result_rejected(p: _Parameters) -> tuple[str, str]:
    analytes = p.get("analytes") or []
    count = len(analytes) or 1
    p["analytes"], p["count"] = ", ".join(analytes), count
    title = (
        ngettext("Result rejected on sample %(sample)s", "%(count)d results rejected on sample %(sample)s", count) % p
    )
    return title, _("%(by)s rejected %(analytes)s of sample %(sample)s. Reason: %(reason)s") % p


def _certificate_issued(p: _Parameters) -> tuple[str, str]:
    return (
        _("Certificate %(number)s issued") % p,
        _("The Certificate of Analysis %(number)s of lot %(lot)s (sample %(sample)s) is issued and signed.") % p,
    )


def _certificate_failed(p: _Parameters) -> tuple[str, str]:
    return (
        _("Certificate of sample %(sample)s not issued") % p,
        _(
            "Issuing the certificate of lot %(lot)s (sample %(sample)s) failed. "
            "A lab manager can see why on its page and retry it."
        )
        % p,
    )


def _declaration_flagged(p: _Parameters) -> tuple[str, str]:
    blocking = p.get("blocking") or 0
    p["blocking"] = blocking
    body = ngettext(
        "Declaration %(number)s of lot %(lot)s is flagged for review: %(blocking)d blocking finding.",
        "Declaration %(number)s of lot %(lot)s is flagged for review: %(blocking)d blocking findings.",
        blocking,
    )
    return _("Declaration %(number)s flagged") % p, body % p


def _nonconformance_raised(p: _Parameters) -> tuple[str, str]:
    p["problems"] = "; ".join(str(PROBLEMS.get(problem, problem)) for problem in p.get("problems") or [])
    return (
        _("Sample %(sample)s on hold") % p,
        _(
            "%(by)s put sample %(sample)s of lot %(lot)s on hold at reception: %(problems)s. "
            "A lab manager decides whether it is tested."
        )
        % p,
    )


def _sample_handed_over(p: _Parameters) -> tuple[str, str]:
    return (
        _("Sample %(sample)s handed over to you") % p,
        _("%(by)s handed sample %(sample)s over to you. Check its seal when you receive it.") % p,
    )


MESSAGES: dict[str, Callable[[_Parameters], tuple[str, str]]] = {
    Kind.RESULT_REJECTED: _result_rejected,
    Kind.CERTIFICATE_ISSUED: _certificate_issued,
    Kind.CERTIFICATE_FAILED: _certificate_failed,
    Kind.DECLARATION_FLAGGED: _declaration_flagged,
    Kind.NONCONFORMANCE_RAISED: _nonconformance_raised,
    Kind.SAMPLE_HANDED_OVER: _sample_handed_over,
}


def render(notification: Notification) -> tuple[str, str]:
    """The notification's title and text, in the active language."""
    message = MESSAGES.get(notification.kind)
    if message is None:
        return _("Notification"), ""
    return message(_Parameters(notification.data or {}))


# Creating them ------------------------------------------------------------------------------------


def email_wanted(users: list[User], kind: str) -> set[int]:
    """The ids of `users` who want `kind` by e-mail: their choice, or the kind's default (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user__in=users, kind=kind).values_list("user_id", "email"))
    default = EMAIL_BY_DEFAULT[kind]
    return {user.pk for user in users if chosen.get(user.pk, default)}


def notify(
    *,
    kind: NotificationKind,
    recipients: Iterable[User | None],
    data: dict,
    link: str = "",
    about: Model | None = None,
) -> list[Notification]:
    """Tell `recipients` (each once; inactive accounts and None skipped) about `about`, in the
    caller's transaction. Whoever may not see `about` is left out: a notification must not reveal
    another organisation's data. `data` holds the message's parameters (strings and numbers, see
    MESSAGES); `link` the path of the page it is about. The e-mails of those who want them are
    sent by a task after commit."""
    people: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.is_active:
            people.setdefault(user.pk, user)
    if about is not None:
        people = {pk: user for pk, user in people.items() if permissions.can_see(user, about)}
    if not people:
        return []
    wanted = email_wanted(list(people.values()), kind)
    rows = Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, link=link, data=data, email_due=user.pk in wanted and bool(user.email))
        for user in people.values()
    )
    due = [row.pk for row in rows if row.email_due]
    if due:
        transaction.on_commit(partial(_send_later, due), robust=True)
    return rows


def _send_later(notification_ids: list[int]) -> None:
    from lims.tasks import send_notification_emails

    try:
        send_notification_emails.apply_async(args=[notification_ids])
    except Exception:
        # The notifications are there under the bell; only their e-mail is lost.
        logger.exception("could not send the e-mail task of notifications %s", notification_ids)


# Sending them (the task) --------------------------------------------------------------------------


def language_of(user: User) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _absolute(path: str) -> str:
    base = (getattr(settings, "LIMS_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def _email(notification: Notification, connection) -> EmailMessage:
    with translation.override(language_of(notification.recipient)):
        title, body = render(notification)
        lines = [body, ""]
        if notification.link:
            lines += [_absolute(notification.link), ""]
        lines.append(
            _("You receive this because you chose it in your notification settings: %(url)s")
            % {"url": _absolute(reverse("notification_settings"))}
        )
        subject = "[{}] {}".format(_("Assay LIMS"), " ".join(title.split()))
    return EmailMessage(
        subject=subject, body="\n".join(lines), to=[notification.recipient.email], connection=connection
    )


def notification_emails_send_unsafe(*, notification_ids: list[int]) -> int:
    """Send the e-mails of these notifications that are due and not yet sent, each in its reader's
    language; returns how many went. Unsafe inside a transaction: it talks to the mail server. Each
    is marked sent as soon as it went, so after an SMTP error the retry sends only the rest."""
    due = Notification.objects.filter(pk__in=notification_ids, email_due=True, emailed_at__isnull=True)
    rows = list(due.select_related("recipient").order_by("pk"))
    sent = 0
    if not rows:
        return sent
    with get_connection() as connection:
        for notification in rows:
            recipient = notification.recipient
            if not (recipient.is_active and recipient.email):
                continue
            _email(notification, connection).send()
            Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
            sent += 1
    return sent


# A person's own notifications (pages and API) -----------------------------------------------------


def notification_list(user: User) -> QuerySet:
    """`user`'s own notifications, newest first; nobody sees another person's."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def notification_get(user: User, pk: int) -> Notification:
    return get_object_or_404(notification_list(user), pk=pk)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


@transaction.atomic
def notifications_mark_read(*, actor: User, notifications: Iterable[Notification] | None = None) -> int:
    """Mark the actor's own notifications read: `notifications` (already found through
    notification_get, so another person's are 404 before this), or every unread one when None.
    Returns how many changed. Not audited: reading one's own messages is no record of the
    laboratory's, and read_at itself says when."""
    unread = notification_list(actor).filter(read_at__isnull=True)
    if notifications is not None:
        unread = unread.filter(pk__in=[n.pk for n in notifications])
    return unread.update(read_at=timezone.now())


def email_choices(user: User) -> dict[str, bool]:
    """Every kind, and whether `user` gets it by e-mail (their choice, or the default)."""
    chosen = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "email"))
    return {kind: chosen.get(kind, EMAIL_BY_DEFAULT[kind]) for kind in Kind.values}


@transaction.atomic
def notification_settings_set(*, actor: User, email: dict[str, bool]) -> dict[str, bool]:
    """Choose, per kind, whether the actor's notifications also come by e-mail (they are always shown
    under the bell). Kinds not named keep their setting. Audited as a change of the account, with the
    choices that changed."""
    unknown = set(email) - set(Kind.values)
    if unknown:
        raise ApplicationError(_("Unknown kind of notification: %(kind)s.") % {"kind": ", ".join(sorted(unknown))})
    before = email_choices(actor)
    changed = {kind: bool(on) for kind, on in email.items() if before[kind] != bool(on)}
    for kind, on in changed.items():
        NotificationPreference.objects.update_or_create(user=actor, kind=kind, defaults={"email": on})
    if changed:
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_CHANGE,
            obj=actor,
            data={
                "before": {"notification_email": {k: before[k] for k in changed}},
                "after": {"notification_email": changed},
            },
        )
    return {**before, **changed}
