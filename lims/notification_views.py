"""A person's notifications: the list (newest first, a page at a time, marked read one by one or all
at once) and their e-mail settings. Each person sees only their own: another person's notification
is 404."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lims import notifications
from lims.forms import Form
from lims.models import NotificationKind
from lims.web import Column, Listing, flash_and_redirect, list_rows, page_of, post_data, submit

# A person's notifications as a spreadsheet; newest first, as the page (a list of cards, no columns to sort).
NOTIFICATIONS = Listing(
    "notifications",
    columns=[
        Column(gettext_lazy("Received"), "created_at"),
        Column(gettext_lazy("Kind"), "get_kind_display"),
        Column(gettext_lazy("Title"), "title"),
        Column(gettext_lazy("Message"), "body"),
        Column(gettext_lazy("Link"), "link"),
        Column(gettext_lazy("Read"), "read_at"),
    ],
)


@login_required
def notification_list(request):
    rows, download = list_rows(request, notifications.notification_list(request.user), NOTIFICATIONS)
    if download is not None:
        return download
    return render(
        request, "lims/notification_list.html", {"page_obj": page_of(request, rows), "listing": NOTIFICATIONS}
    )


@login_required
@require_POST
def notification_read(request, notification_pk):
    notification = notifications.notification_get(request.user, notification_pk)
    notifications.notifications_mark_read(actor=request.user, notifications=[notification])
    # "Open" marks it read and goes to what it is about; the link is a path of this site.
    target = request.POST.get("next", "")
    if target and target == notification.link and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return flash_and_redirect(request, _("Marked as read."), "notification_list")


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.notifications_mark_read(actor=request.user)
    message = _("%(count)d notifications marked as read.") % {"count": count}
    return flash_and_redirect(request, message, "notification_list")


class NotificationSettingsForm(Form):
    """A box per kind of notification: ticked, it also comes by e-mail."""

    def __init__(self, *args, initial_choices: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False, initial=initial_choices[kind])


@login_required
def notification_settings(request):
    form = NotificationSettingsForm(post_data(request), initial_choices=notifications.email_choices(request.user))

    def done(_choices):
        return flash_and_redirect(request, _("Your notification settings are saved."), "notification_settings")

    return submit(
        request, form, lambda data: notifications.notification_settings_set(actor=request.user, email=data),
        done=done, template="lims/notification_settings.html",
        context={"form": form, "has_email": bool(request.user.email)},
    )  # fmt: skip
