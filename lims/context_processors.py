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
