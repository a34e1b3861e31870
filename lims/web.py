"""Web plumbing every app's pages share: binding a form, paging, filtering, sorting and exporting a list,
refusing a page the user's role does not allow, and running a service from a POST and showing its outcome.

A page reads through its app's selectors (so another organisation's objects are 404) and writes
through one service. A service's refusal is shown next to the field it names, or at the top of the
form, with the refusal's status code (400, 403 or 409); services are atomic, so a refused request
has changed nothing.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_filters import FilterSet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from lims import permissions
from lims.exceptions import ApplicationError
from lims.forms import RowsFormSet
from lims.lib.numbers import digits
from lims.lib.spreadsheet import safe_cell
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


# Lists: sorting and exports -------------------------------------------------------------------

SORT_PARAM = "sort"
FORMAT_PARAM = "format"
EXPORT_FORMATS = ("csv", "xlsx")
# Rows fetched per query while exporting (and per prefetch of a selector's prefetch_related): a long
# export costs a query per chunk, never one per row.
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column of an export: its `header` (translated, lazily) and the plain value of a row.

    `value` is a dotted attribute path ("sample.lot.lot_number"; a None on the way gives None; a
    method at the end, such as "get_status_display", is called) or a function of the row. Plain values
    are text, numbers (int, Decimal, float: numbers in XLSX), dates and datetimes (ISO 8601 in CSV, in
    the current time zone; real dates in XLSX), booleans and None (an empty cell)."""

    header: "StrOrPromise"
    value: str | Callable[[Any], Any]

    def of(self, row) -> Any:
        if callable(self.value):
            return self.value(row)
        found = row
        for name in self.value.split("."):
            if found is None:
                return None
            found = getattr(found, name)
        return found() if callable(found) and not isinstance(found, Model) else found


@dataclass(frozen=True)
class Listing:
    """What a list declares once, next to its view: the stem of its export's file name (`name`, e.g.
    "lots"), its export `columns`, and the columns a person may sort it by (`sorts`: a whitelist from
    the key of `?sort=key` / `?sort=-key` to the ORDER BY fields, e.g. {"mass": ("wet_mass_t",)})."""

    name: str
    columns: Sequence[Column]
    sorts: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def sort(self, request: HttpRequest, rows: QuerySet) -> QuerySet:
        return sort_rows(request, rows, self.sorts)

    def respond(self, request: HttpRequest, rows) -> HttpResponseBase | None:
        """The export the query string's `format` asks for (see export_response()), or None for the page."""
        if FORMAT_PARAM not in request.GET:
            return None
        return export_response(request, rows, self.columns, self.name)


def list_rows(request: HttpRequest, rows: QuerySet, listing: Listing) -> tuple[QuerySet, HttpResponseBase | None]:
    """What every list view does with the rows its filters kept, before it pages them: sorts them as
    `?sort=` asks, and answers the export when `?format=` asks for one (the view returns it instead of
    its page). list_page() does this itself; a view that pages its rows with page_of() calls it (and
    lims.list_urls finds it as a list by either name)."""
    rows = listing.sort(request, rows)
    return rows, listing.respond(request, rows)


def sort_key(request: HttpRequest, sorts: Mapping[str, Sequence[str]]) -> str:
    """The query string's `sort` ("key" or "-key") when `sorts` names its key, else ""."""
    asked = request.GET.get(SORT_PARAM, "")
    return asked if asked.removeprefix("-") in sorts else ""


def sort_rows(request: HttpRequest, rows: QuerySet, sorts: Mapping[str, Sequence[str]]) -> QuerySet:
    """`rows` ordered as `?sort=key` (ascending) or `?sort=-key` (descending) asks, by the fields
    `sorts[key]` names, then by pk the same way so that rows with equal values keep one order across
    pages. A key `sorts` does not name is ignored: the rows keep the selector's order."""
    asked = sort_key(request, sorts)
    if not asked:
        return rows
    descending = asked.startswith("-")
    fields = [*sorts[asked.removeprefix("-")], "pk"]
    if descending:
        fields = [name.removeprefix("-") if name.startswith("-") else f"-{name}" for name in fields]
    return rows.order_by(*fields)


def _plain(value, zone) -> Any:
    """A value as a cell holds it: text, a number, a date or datetime (in `zone`), or None."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value, zone)
    if value is None or isinstance(value, (str, int, float, Decimal, datetime.date, datetime.time)):
        return value
    return str(value)


def _csv_text(value, decimal_separator: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        # Never in exponent form (1E+2), with the language's decimal sign; never grouped.
        return digits(value).replace(".", decimal_separator)
    return value


def _xlsx_value(value) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters; a spreadsheet could not show them anyway.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime.datetime):
        # Spreadsheets have no time zones: the time as read in the laboratory's zone.
        return value.replace(tzinfo=None)
    return value


class _Echo:
    """A file the csv writer writes to, that hands back what was written (for streaming)."""

    def write(self, value: str) -> str:
        return value


def _each(rows) -> Iterator:
    return rows.iterator(chunk_size=EXPORT_CHUNK) if isinstance(rows, QuerySet) else iter(rows)


def export_response(request: HttpRequest, rows: Iterable, columns: Sequence[Column], name: str) -> HttpResponseBase:
    """`rows` (all of them: a QuerySet, read EXPORT_CHUNK rows at a time with its select_related and
    prefetch_related, or any iterable) as the download `?format=` asks for: `csv` (the default; UTF-8
    with a BOM so that spreadsheets read it as such, streamed) or `xlsx` (one sheet). The file is named
    `<name>-<today>.<format>`. Every cell goes through lims.lib.spreadsheet.safe_cell, so text that
    would start a formula is neutralised in both formats. Another format answers 400 with a message.

    The CSV is written for the spreadsheets of the request's language: where the language writes a
    decimal comma (Russian, Kazakh), figures carry a comma (22,50) and cells are separated by ";",
    which is what a spreadsheet set up for those languages opens into columns and numbers; in English
    a point and ",". Figures are never grouped, dates and times stay ISO 8601 in every language
    (unambiguous, and read as dates by spreadsheets), text is not translated. The XLSX holds typed
    numbers and dates, which the spreadsheet shows in its own language: nothing to choose there.

    Usable by any view: the rows are the view's, already scoped to what the user may see."""
    kind = request.GET.get(FORMAT_PARAM) or "csv"
    if kind not in EXPORT_FORMATS:
        message = _("Unknown export format %(format)s: use %(formats)s.") % {
            "format": repr(kind[:20]),
            "formats": " or ".join(EXPORT_FORMATS),
        }
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    # The rows are written after the view has returned, maybe by another thread: the language and time
    # zone of this request are captured now.
    language, zone = translation.get_language(), timezone.get_current_timezone()
    decimal_separator = formats.get_format("DECIMAL_SEPARATOR")
    headers = [str(column.header) for column in columns]
    filename = f"{name}-{timezone.localdate().isoformat()}.{kind}"

    def cells() -> Iterator[list]:
        with translation.override(language):
            yield headers
            for row in _each(rows):
                yield [safe_cell(_plain(column.of(row), zone)) for column in columns]

    if kind == "csv":
        writer = csv.writer(_Echo(), delimiter=";" if decimal_separator == "," else ",")

        def lines() -> Iterator[str]:
            yield "\ufeff"
            for values in cells():
                yield writer.writerow([_csv_text(value, decimal_separator) for value in values])

        response: HttpResponseBase = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        for values in cells():
            sheet.append([_xlsx_value(value) for value in values])
        content = io.BytesIO()
        book.save(content)
        response = HttpResponse(
            content.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def list_page(
    request: HttpRequest,
    template: str,
    filterset_class: type[FilterSet],
    queryset,
    *,
    fields: Iterable[str] | None = None,
    context: dict | None = None,
    listing: Listing | None = None,
) -> HttpResponseBase:
    """A list page: the rows of `queryset` that the query string's filters keep, a page at a time
    (`page_obj`), under the filters' form (`form`).

    The filters are the FilterSet the list's API uses (filterset_class), so the page and the API
    filter alike. The page offers the FilterSet's `fields` only, when it offers fewer than the API
    (the others do not apply). An unrecognised value is dropped and shown as an error; the others
    still apply.

    With a `listing`, the rows are sorted as `?sort=` asks (among the listing's sorts), and
    `?format=csv|xlsx` answers the download of all of them (export_response()) instead of the page;
    the page's template gets the listing as `listing` (for its header links and export links)."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    if fields is not None:
        for name in set(filterset.form.fields) - set(fields):
            del filterset.form.fields[name]
    rows = filterset.qs
    if listing is not None:
        rows, download = list_rows(request, rows, listing)
        if download is not None:
            return download
    page = {"form": filterset.form, "page_obj": page_of(request, rows), "listing": listing, **(context or {})}
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
