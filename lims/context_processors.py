from lims import notifications as notices
from lims import permissions


def navigation(request):
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "is_lab_staff": permissions.is_lab_staff(user),
        "is_admin": permissions.is_admin(user),
        "sees_lab_work": permissions.sees_lab_work(user),
        "can": {action.replace(".", "_"): permissions.can(user, action) for action in permissions.ACTIONS},
    }


def notifications(request):
    """`unread_notifications`: the bell's count in the header, one indexed COUNT (the partial index
    notification_unread_idx) on each page of a signed-in person."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": notices.unread_count(user)}
