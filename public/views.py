"""The open statistics page, its open data (?format=csv, xlsx or json) and the published documents.

Public, no account: everybody reads the same figures (public.statistics decides what they hold and
what is suppressed). The filters choose cells; they never change a cell's figures. The page only
reads: publications are made by a worker (public.publication), and this module never signs.

Open data: `?format=csv` (or `xlsx`) is one row a cell under the stable column names of
statistics.COLUMNS, written as every export of the product is (lims.web.export_response: UTF-8 with
a BOM, ";" and a decimal comma in Russian and Kazakh, cells neutralised against formulas), empty where
a composition is not shown (the `composition` column says why). `?format=json` holds the same cells
and the page's summaries: counts as integers; masses as decimal strings, exact, in the unit their
name ends with (`cu_t` in tonnes, `au_kg` in kilograms; `units` maps each), null when not shown.
Strings rather than JSON numbers, so no reader's float changes a certified digit.
"""

import re

from django import forms
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lims.forms import Form, with_blank
from lims.web import FORMAT_PARAM, Column, export_response
from public import charts, publication, statistics
from public.models import Publication

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _months_back(month: str, count: int) -> str:
    year, number = int(month[:4]), int(month[5:])
    index = year * 12 + number - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class MonthField(forms.CharField):
    # A month picker where the browser has one; elsewhere a text field asking for the same form.
    widget = forms.TextInput(attrs={"type": "month", "placeholder": gettext_lazy("YYYY-MM"), "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if value and not MONTH.match(value):
            raise forms.ValidationError(gettext_lazy("Enter a month as YYYY-MM, such as 2026-11."), code="month")
        return value


class StatisticsFilterForm(Form):
    start = MonthField(label=gettext_lazy("From month"), required=False, max_length=7)
    end = MonthField(label=gettext_lazy("To month"), required=False, max_length=7)
    exporter = forms.ChoiceField(label=gettext_lazy("Exporter"), required=False)
    material = forms.ChoiceField(label=gettext_lazy("Material"), required=False)
    destination = forms.ChoiceField(label=gettext_lazy("Destination"), required=False)
    office = forms.ChoiceField(label=gettext_lazy("Customs office"), required=False)

    def __init__(self, data, *, figures: statistics.Figures):
        super().__init__(data)
        self.open_month = figures.coverage.open_month
        cells = figures.cells
        any_label = _("Any")
        self.fields["exporter"].choices = with_blank(  # type: ignore[attr-defined]
            sorted({(str(c.exporter_id), c.exporter) for c in cells}, key=lambda pair: pair[1]), any_label
        )
        self.fields["material"].choices = with_blank(  # type: ignore[attr-defined]
            sorted({(c.material, c.material_name) for c in cells}, key=lambda pair: pair[1]), any_label
        )
        self.fields["destination"].choices = with_blank(  # type: ignore[attr-defined]
            sorted({(c.destination, c.destination_name) for c in cells}, key=lambda pair: pair[1]), any_label
        )
        self.fields["office"].choices = with_blank(  # type: ignore[attr-defined]
            sorted({(str(c.office_id), c.office) for c in cells}, key=lambda pair: pair[1]), any_label
        )

    def clean(self):
        data = super().clean()
        data["end"] = data.get("end") or self.open_month
        data["start"] = data.get("start") or _months_back(data["end"], 11)
        if data["start"] > data["end"]:
            self.add_error("start", _("The period starts after it ends."))
        return data

    def select(self, cells: list[statistics.Cell]) -> list[statistics.Cell]:
        data = self.cleaned_data
        chosen = {
            "exporter_id": int(data["exporter"]) if data.get("exporter") else None,
            "material": data.get("material") or None,
            "destination": data.get("destination") or None,
            "office_id": int(data["office"]) if data.get("office") else None,
        }
        return [
            cell
            for cell in cells
            if data["start"] <= cell.month <= data["end"]
            and all(value is None or getattr(cell, name) == value for name, value in chosen.items())
        ]


def _mass(name: str):
    def value(cell: statistics.Cell):
        masses = cell.published_masses()
        return masses[name] if masses is not None else None

    return value


# One row a cell; the headers are the stable column names (statistics.COLUMNS), in every language.
CSV_COLUMNS = [
    Column("month", "month"),
    Column("exporter", "exporter"),
    Column("material", "material"),
    Column("destination", "destination"),
    Column("customs_office", "office"),
    *[Column(name, lambda cell, name=name: cell.counts[name]) for name in statistics.COUNTS],
    Column("lots", "lots"),
    Column("composition", "composition"),
    *[Column(name, _mass(name)) for name in statistics.COMPOSITION],
]
assert [str(column.header) for column in CSV_COLUMNS] == list(statistics.COLUMNS)


def _month_rows(months: list[str], cells: list[statistics.Cell], matches: dict) -> list[dict]:
    by_month: dict[str, list[statistics.Cell]] = {month: [] for month in months}
    for cell in cells:
        by_month[cell.month].append(cell)
    return [
        {"month": month, "summary": statistics.summarise(month_cells), "match": matches.get(month)}
        for month, month_cells in by_month.items()
    ]


def _period_months(start: str, end: str) -> list[str]:
    months, month = [], start
    while month <= end and len(months) < 600:
        months.append(month)
        month = _months_back(month, -1)
    return months


def _charts(rows: list[dict]) -> list[charts.Chart]:
    months = [row["month"] for row in rows]

    def composition(row: dict, name: str):
        summary = row["summary"]
        return summary.masses[name] if summary.cells > summary.pending_cells else None

    return [
        charts.bar_chart(
            title=_("Declarations a month"),
            months=months,
            series=[
                (_("filed"), [row["summary"].counts["declarations"] for row in rows]),
                (_("with a valid certificate"), [row["summary"].counts["with_valid_certificate"] for row in rows]),
                (_("flagged"), [row["summary"].counts["flagged"] for row in rows]),
            ],
        ),
        charts.bar_chart(
            title=_("Certified copper exported a month (t), cells shown"),
            months=months,
            series=[(_("copper (t)"), [composition(row, "cu_t") for row in rows])],
        ),
        charts.bar_chart(
            title=_("Certified rare-earth oxides (TREO) exported a month (kg), cells shown"),
            months=months,
            series=[(_("TREO (kg)"), [composition(row, "treo_kg") for row in rows])],
        ),
    ]


def _json(figures, form, cells, rows) -> JsonResponse:
    data = form.cleaned_data
    content = {
        "schema": statistics.SCHEMA,
        "coverage": figures.coverage.as_data(),
        "filters": {
            "from": data["start"],
            "to": data["end"],
            **{name: data.get(name) or None for name in ("exporter", "material", "destination", "office")},
        },
        "units": statistics.UNITS,
        "min_lots": statistics.MIN_LOTS,
        "columns": list(statistics.COLUMNS),
        "cells": [cell.as_data() for cell in cells],
        "months": [
            {
                "month": row["month"],
                **row["summary"].as_data(),
                "publication": _publication_data(row["match"]),
            }
            for row in rows
        ],
        "total": statistics.summarise(cells).as_data(),
    }
    return JsonResponse(content, json_dumps_params={"ensure_ascii": False})


def _publication_data(match: publication.Match | None) -> dict | None:
    if match is None or match.publication is None:
        return None
    item = match.publication
    return {
        "number": item.number,
        "published_at": timezone.localtime(item.published_at).isoformat(timespec="seconds"),
        "document_sha256": item.document_sha256,
        "log_index": item.log_index,
        "live_figures_match": match.matches,
    }


def statistics_page(request):
    figures = statistics.compute()
    # Always bound: every filter is optional, and none given means the last twelve months.
    form = StatisticsFilterForm(request.GET, figures=figures)
    asked = request.GET.get(FORMAT_PARAM)
    if not form.is_valid():
        if asked is not None:
            errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
            return JsonResponse({"message": _("The filters are not valid."), "extra": {"fields": errors}}, status=400)
        return render(request, "public/statistics.html", {"form": form, "figures": figures}, status=400)
    cells = form.select(figures.cells)
    if asked is not None and asked != "json":
        return export_response(request, cells, CSV_COLUMNS, "statistics")
    months = _period_months(form.cleaned_data["start"], form.cleaned_data["end"])
    rows = _month_rows(months, cells, publication.match(figures))
    if asked == "json":
        return _json(figures, form, cells, rows)
    total = statistics.summarise(cells)
    elements = [(symbol, total.masses[f"{symbol.lower()}_kg"]) for symbol in statistics.RARE_EARTHS]
    context = {
        "form": form,
        "figures": figures,
        "cells": cells,
        "rows": rows,
        "total": total,
        "elements": elements,
        "charts": _charts(rows),
        "flag_kinds": list(statistics.FLAG_KINDS.items()),
        "min_lots": statistics.MIN_LOTS,
        "exports": [(fmt.upper(), _query(request, fmt)) for fmt in ("csv", "xlsx", "json")],
    }
    return render(request, "public/statistics.html", context)


def _query(request, fmt: str) -> str:
    query = request.GET.copy()
    query[FORMAT_PARAM] = fmt
    return f"?{query.urlencode()}"


def _publication(number: int) -> Publication:
    found = Publication.objects.filter(number=number).first()
    if found is None:
        raise Http404(_("No statistics publication has this number."))
    return found


def publication_document(request, number: int):
    """The month's figures exactly as signed and logged: their SHA-256 is the log leaf's."""
    item = _publication(number)
    response = HttpResponse(item.document.encode("ascii"), content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="statistics-{item.period}-{item.number}.json"'
    return response


def publication_note(request, number: int):
    """The signed note: the document, a blank line and the log key's signature (C2SP signed-note),
    checked with the log's verifier key (/verify/log/key)."""
    item = _publication(number)
    return HttpResponse(item.signed_note, content_type="text/plain; charset=utf-8")
