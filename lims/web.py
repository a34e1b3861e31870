"""Web plumbing every app's pages share: binding a form, paging and filtering a list, refusing a page
the user's role does not allow, and running a service from a POST and showing its outcome.

A page reads through its app's selectors (so another organisation's objects are 404) and writes
through one service. A service's refusal is shown next to the field it names, or at the top of the
form, with the refusal's status code (400, 403 or 409); services are atomic, so a refused request
has changed nothing.
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django_filters import FilterSet

from lims import permissions
from lims.exceptions import ApplicationError
from lims.forms import RowsFormSet
from lims.models import User

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25


def post_data(request: HttpRequest):
    """What a form is bound to: the POSTed data, or None on GET (an empty form)."""
    return request.POST if request.method == "POST" else None


def page_of(request: HttpRequest, rows) -> Page:
    """The page of `rows` that the query string's `page` asks for (the last one past the end)."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def list_page(
    request: HttpRequest,
    template: str,
    filterset_class: type[FilterSet],
    queryset,
    *,
    fields: Iterable[str] | None = None,
    context: dict | None = None,
) -> HttpResponse:
    """A list page: the rows of `queryset` that the query string's filters keep, a page at a time
    (`page_obj`), under the filters' form (`form`).

    The filters are the FilterSet the list's API uses (filterset_class), so the page and the API
    filter alike. The page offers the FilterSet's `fields` only, when it offers fewer than the API
    (the others do not apply). An unrecognised value is dropped and shown as an error; the others
    still apply."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    if fields is not None:
        for name in set(filterset.form.fields) - set(fields):
            del filterset.form.fields[name]
    page = {"form": filterset.form, "page_obj": page_of(request, filterset.qs), **(context or {})}
    return render(request, template, page)


def require(user: User, action: str, obj=None) -> None:
    """Refuse the page of an action the user's role does not allow at all; the service decides
    everything else when the form is sent."""
    if not permissions.can(user, action, obj):
        raise PermissionDenied


def show_refusal(form: forms.Form, exc: ApplicationError, formset: RowsFormSet | None = None) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form. With a formset
    (the rows of the form), a refusal naming the rows (the formset's prefix) or a field of a row only
    goes to the formset's show_refusal(), which finds the row."""
    rows = (formset.prefix, *formset.form.base_fields) if formset is not None else ()
    if formset is not None and exc.field not in form.fields and exc.field in rows:
        formset.show_refusal(exc)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def flash_and_redirect(
    request: HttpRequest, message: "StrOrPromise", to, *args, level: int = messages.SUCCESS, **kwargs
):
    """Say what happened on the next page, and go there (`to` and its arguments as for redirect())."""
    messages.add_message(request, level, message)
    return redirect(to, *args, **kwargs)


def submit(
    request: HttpRequest,
    form: forms.Form,
    call: Callable,
    *,
    done: Callable[..., HttpResponseRedirect],
    template: str,
    context: dict | Callable[[], dict],
    formset: RowsFormSet | None = None,
    show: Callable[[ApplicationError], None] | None = None,
) -> HttpResponse:
    """Run a service from a POSTed form and show the outcome, the same way on every page.

    An unbound form (GET) is shown empty. A bound one is validated (with `formset`, when the page has
    one, so every mistake shows at once); while anything is invalid the page is shown again with
    status 400. Once all is valid, `call(form.cleaned_data)` runs the service:
    - it succeeds: `done(result)` says so and answers the redirect (see flash_and_redirect);
    - it refuses (ApplicationError): the page again with the error where `show(exc)` puts it (by
      default show_refusal(): next to the field it names, or at the top of the form), with the
      refusal's status.
    `context` is the page's (a function returning it, where the page is costly to build and not needed
    on success); the refusal is added to it as `refusal`.
    """
    status, refusal = 200, None
    if form.is_bound:
        status = 400
        if all([form.is_valid(), formset is None or formset.is_valid()]):
            try:
                result = call(form.cleaned_data)
            except ApplicationError as exc:
                if show is None:
                    show_refusal(form, exc, formset)
                else:
                    show(exc)
                status, refusal = exc.status_code, exc
            else:
                return done(result)
    page = context() if callable(context) else context
    return render(request, template, {**page, "refusal": refusal}, status=status)
