"""Errors that services raise for the user to act on.

A service raises ApplicationError with a message a person can act on and, where one input is to
blame, the name of that field; web views show it next to the field, the API returns it as a 4xx
JSON body {"message": ..., "extra": {"field": ...}}.
"""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.extra = dict(extra or {})
        if field:
            self.extra.setdefault("field", field)


class NotPermitted(ApplicationError):
    """The user may see the object but not do this to it (403)."""

    status_code = 403


class Conflict(ApplicationError):
    """The object is not in a state that allows this action (409)."""

    status_code = 409
