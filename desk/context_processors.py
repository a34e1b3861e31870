from django.utils.functional import SimpleLazyObject

from desk import dashboard


def pending(request) -> int:
    """The user's pending total, counted once per request (the navigation and a page may both ask)."""
    if not hasattr(request, "_desk_pending"):
        request._desk_pending = dashboard.pending_total(request.user)
    return request._desk_pending


def desk(request):
    """`desk_pending`: how many things wait for the user (the navigation's badge). Lazy: counted only
    when a template shows it."""
    if not request.user.is_authenticated:
        return {}
    return {"desk_pending": SimpleLazyObject(lambda: pending(request))}
