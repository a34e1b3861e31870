"""The desk's pages: the dashboard (where everybody lands), search, and the turnaround report. They
only read, through desk.dashboard, desk.search and desk.turnaround."""

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk import dashboard as desk_dashboard
from desk import search as desk_search
from desk import turnaround as desk_turnaround
from lims import permissions
from lims.forms import Form
from lims.web import Column, Listing


@login_required
def dashboard(request):
    sections = desk_dashboard.sections(request.user)
    context = {"roles": sections, "perms_turnaround": permissions.sees_turnaround(request.user)}
    return render(request, "desk/dashboard.html", context)


# Counts and rows of every queue: held to a constant number of queries like the lists (lims.list_urls).
dashboard.measured_as_list = True  # type: ignore[attr-defined]


@login_required
def search(request):
    """One object named exactly: straight to it. Several: a short list. None: say so."""
    query = desk_search.normalise(request.GET.get("q", ""))
    hits = desk_search.find(request.user, query) if query else []
    unique = list({hit.url: hit for hit in hits}.values())
    if len(unique) == 1:
        return redirect(unique[0].url)
    return render(request, "desk/search.html", {"query": query, "hits": unique})


def _year_ago(today: date) -> date:
    """The first day of the month eleven months before `today`'s: twelve whole months with this one."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


class PeriodForm(Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or _year_ago(data["end"])
        if data["start"] > data["end"]:
            self.add_error("start", _("The period starts after it ends."))
        return data


# The certificates measured, one a row: ?format=csv or xlsx (lims.web.export_response).
TURNAROUND = Listing(
    "turnaround",
    columns=[
        Column(_("Certificate"), "number"),
        Column(_("Exporter"), "exporter"),
        Column(_("Month"), "month"),
        Column(_("Received"), "received_at"),
        Column(_("Issued"), "issued_at"),
        Column(_("Days"), lambda row: round(row.days, 2)),
        Column(_("Methods"), lambda row: ", ".join(row.methods)),
    ],
)


@login_required
def turnaround(request):
    if not permissions.sees_turnaround(request.user):
        raise PermissionDenied
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "desk/turnaround.html", {"form": form, "report": None}, status=400)
    report = desk_turnaround.report(request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    export = TURNAROUND.respond(request, report.rows)
    if export is not None:
        return export
    tables = [(_("Month"), report.by_month), (_("Method"), report.by_method), (_("Exporter"), report.by_exporter)]
    context = {"form": form, "report": report, "tables": tables, "listing": TURNAROUND}
    return render(request, "desk/turnaround.html", context)
