"""The Certificate of Analysis as a document: the claims of its QR token, its HTML and its unsigned
PDF/A-3b.

Everything the page states comes from the frozen snapshot plus what issuing adds (number, issue date,
status, the certificate it replaces), never from live rows: the page, the attached JSON and the QR
token must certify the same thing. The caller signs the token and the PDF (certificates.tokens,
certificates.signing).

The page follows ISO/IEC 17025:2017 7.8.2.1 (a to p) and, for an amendment, 7.8.8. The template
gets display-ready values (figures padded to line up, readable dates, country names) from
_context(); it formats nothing itself, so what a row says is decided here.

ISO/IEC 17025 7.8.2.2: the values the customer supplied (the snapshot's `customer_supplied`: the lot's
origin, HS code, wet mass and its source, contract, export licence, destination) carry a dagger (†),
explained below the lot and item boxes: the laboratory is not responsible for them, and they can
affect the validity of results (the dry mass of the lot is computed from the customer's wet mass and
the laboratory's moisture, and says so under the principal results). Methods are identified by their
standard and/or the laboratory's procedure code and revision; the accreditation body and number print
under the laboratory when configured; the tested split's seal prints in its own row and every other
split of the composite below it with its seal, so any party's sealed split can be matched to the
certificate. A lims.coa/1 snapshot prints as it did: without marks, splits or accreditation.
"""

import functools
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import timezone
from django_countries import countries

from assays.models import MOISTURE
from certificates import keys, pdf, tokens
from certificates import snapshot as snapshots
from certificates.models import Certificate
from samples.models import Sample

TEMPLATE = "certificates/certificate_pdf.html"
STYLESHEET = "certificates/certificate.css"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
TOKEN_HEADLINE = ("Cu", "Au", "Ag", "TREO")
# Payable metals and the moisture their dry contents depend on.
PRINCIPAL = ("Cu", "Au", "Ag", MOISTURE)
BASIS_NAMES = {"dry": "dry", "as_received": "as received"}
# How a censored or unusual result reads in the results table.
QUALIFIER_WORDS = {"OR": "over range", "NA": "not reported"}
ACTION_NAMES = {"hand_over": "hand-over"}
# The figure columns of the results table, and how they line up (see _align).
FIGURES = ("result", "uncertainty", "limit")
TRAILING_NUMBER = re.compile(r"\d(?:\.(\d+))?$")
FIGURE_SPACE, POINT_SPACE = "\u2007", "\u2008"
NO_VALUE = "\u2013"  # en dash
# An amendment lists what changed (snapshot.differences), without what merely follows from a listed
# change (the headline repeats results, the oxides follow from the elements), up to a limit that
# keeps it on its page; the attached snapshot holds the full list.
DERIVED_CHANGE = re.compile(r"^(headline|treo\.oxides)\.")
MAX_CHANGES = 12
RESULT_FIELDS = {"value": "result", "uncertainty": "U (k = 2)", "detection_limit": "detection limit"}
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPPLIED_MARK = "†"
SUPPLIED_NOTE = (
    "† Supplied by the customer (ISO/IEC 17025 7.8.2.2). The laboratory is not responsible for information "
    "supplied by the customer; it can affect the validity of the results derived from it, such as the dry mass "
    "of the lot."
)
# Only a lims.coa/1 snapshot can hold a method with neither (snapshot.build refuses one since).
UNIDENTIFIED_METHOD = "in-house procedure"
WITHDRAWN: dict[str, str] = {
    Certificate.Status.REVOKED: "Revoked: this certificate is no longer valid.",
    Certificate.Status.SUPERSEDED: "Superseded: this certificate has been replaced and is no longer valid.",
}


def verification_url(number: str) -> str:
    """Where anyone checks the certificate online (printed on it, so it must not depend on a request).
    The development server's address only with LIMS_PUBLIC_URL unset, which the system check
    lims.checks.public_url refuses when DEBUG is off, as it refuses a loopback address."""
    base = (getattr(settings, "LIMS_PUBLIC_URL", "") or DEFAULT_PUBLIC_URL).rstrip("/")
    return f"{base}/verify/?{urlencode({'number': number})}"


def issue_date(certificate: Certificate) -> date:
    return timezone.localdate(certificate.issued_at)


def token_claims(certificate: Certificate) -> dict:
    """The claims of the QR token (see certificates.verifier.CLAIMS), for tokens.encode_token.

    Only what an inspector compares with the goods and the declaration (number, lot, date, dry mass,
    headline assays): every further byte grows the QR code (certificates.tokens says by how much); the
    hash "h" binds the token to the rest, the issuer is implied by the token key.
    """
    _require_issued_fields(certificate)
    snapshot = snapshots.read(certificate.snapshot)
    # A stale or hand-edited hash would issue a token that contradicts the attached JSON; the
    # verifier would call the certificate invalid only after it left the laboratory.
    if tokens.snapshot_sha256(snapshot) != certificate.snapshot_sha256:
        raise ValueError(f"certificate {certificate.number}: snapshot_sha256 does not match its snapshot")
    lot = snapshot["lot"]
    if not lot.get("dry_mass_t"):
        raise ValueError(f"certificate {certificate.number}: the snapshot has no dry mass (no approved moisture)")
    headline = snapshot["headline"]
    return {
        "n": certificate.number,
        "k": keys.signing_kid(),
        "l": lot["number"],
        "d": issue_date(certificate).isoformat(),
        "w": lot["dry_mass_t"],
        "a": {analyte: list(headline[analyte]) for analyte in TOKEN_HEADLINE if analyte in headline},
        "h": certificate.snapshot_sha256,
    }


def html_for(certificate: Certificate, *, token: str, verification_code: str = "") -> str:
    """The certificate's HTML, complete on its own: the QR code is a data URI and the stylesheet an
    absolute file: URL, so WeasyPrint renders it with no base URL and no network.

    `verification_code` (certificates.codes), printed beside the QR code, is never part of the
    snapshot or the token: only the paper and the PDF carry it."""
    _require_issued_fields(certificate)
    return render_to_string(TEMPLATE, {**_context(certificate, token), "verification_code": verification_code})


def render_certificate(certificate: Certificate, *, token: str, verification_code: str = "") -> bytes:
    """The unsigned PDF/A-3b, with the snapshot (canonical JSON) and the token attached.

    Raises pdf.RenderError when a resource cannot be loaded. The PDF's creation date is the issue
    time, so rendering the same certificate twice gives the same metadata.
    """
    snapshot = snapshots.read(certificate.snapshot)
    lot, sample = snapshot["lot"], snapshot["sample"]
    title = f"{_title(certificate)} {certificate.number}"
    keywords = [certificate.number, lot["number"], sample["code"], lot["material"], f"HS {lot['hs_code']}"]
    amendment = _amendment(certificate)
    if amendment:
        keywords.append(f"replaces {amendment['supersedes']}")
    return pdf.render_pdf(
        html_for(certificate, token=token, verification_code=verification_code),
        base_url=None,
        attachments=pdf.certificate_attachments(snapshot=snapshot, token=token),
        metadata={
            "title": title,
            "author": snapshot["laboratory"]["name"],
            "subject": f"{lot['material']}, lot {lot['number']}, sample {sample['code']}",
            "keywords": keywords,
            "created": certificate.issued_at,
        },
    )


def _number(certificate: Certificate) -> str:
    if not certificate.number:
        raise ValueError("a certificate needs its number before it is rendered")
    return certificate.number


def _require_issued_fields(certificate: Certificate) -> None:
    if not certificate.number or not certificate.issued_at:
        raise ValueError("a certificate needs its number and issue time before it is rendered")


def _title(certificate: Certificate) -> str:
    return "Amended Certificate of Analysis" if _amendment(certificate) else "Certificate of Analysis"


def _amendment(certificate: Certificate) -> dict | None:
    """What this certificate replaces and why: the frozen snapshot's statement when it has one (the
    signed data), else the row's."""
    frozen = snapshots.read(certificate.snapshot)["amendment"]
    if frozen:
        changes = [change for change in frozen.get("changes") or [] if not DERIVED_CHANGE.match(change["field"])]
        return {
            "supersedes": frozen.get("supersedes"),
            "reason": frozen.get("reason", ""),
            "changes": [_change(change) for change in changes[:MAX_CHANGES]],
            "more": max(len(changes) - MAX_CHANGES, 0),
        }
    if certificate.supersedes is not None:
        return {"supersedes": certificate.supersedes.number, "reason": certificate.amendment_reason}
    return None


def _change(change: dict) -> dict:
    """One entry of snapshot.differences() as printed: "Au result: 6.53 → 6.93"."""
    parts = change["field"].split(".")
    if parts[0] == "results" and len(parts) == 3:
        field = f"{_label(parts[1])} {RESULT_FIELDS.get(parts[2], parts[2].replace('_', ' '))}"
    else:
        field = " ".join(parts[1:] if parts[0] == "dates" else parts).replace("_", " ")
    return {"field": field, "old": _changed_value(change["old"]), "new": _changed_value(change["new"])}


def _changed_value(value) -> str:
    if value is None or value == "":
        return NO_VALUE
    if isinstance(value, list):
        return " ".join(_changed_value(item) for item in value)
    if isinstance(value, str) and ISO_TIME.match(value):
        return _when(value)
    return str(value)


@functools.cache
def _stylesheet_url() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise ImproperlyConfigured(f"static file {STYLESHEET} not found")
    return Path(path).resolve().as_uri()


def _context(certificate: Certificate, token: str) -> dict:
    snapshot = snapshots.read(certificate.snapshot)
    results = snapshot["results"]
    methods = _methods(results)
    issued = timezone.localtime(certificate.issued_at)
    return {
        "stylesheet": _stylesheet_url(),
        "title": _title(certificate),
        "number": certificate.number,
        "issued": issued.date().isoformat(),
        "issued_at": _when(issued.isoformat(timespec="minutes")),
        "withdrawn": WITHDRAWN.get(certificate.status),
        "amendment": _amendment(certificate),
        "laboratory": snapshot["laboratory"],
        "lab_address": _address(snapshot["laboratory"]),
        "customer": snapshot["customer"],
        "customer_address": _address(snapshot["customer"]),
        "lot": snapshot["lot"],
        "destination": _country(snapshot["lot"].get("destination_country")),
        "supplied": _supplied_marks(snapshot),
        "supplied_note": SUPPLIED_NOTE if snapshot.get("customer_supplied") else "",
        "accreditation": snapshot["laboratory"].get("accreditation"),
        "sample": snapshot["sample"],
        "other_splits": [split for split in _splits(snapshot["sample"]) if not split["tested"]],
        "sampling": snapshot["sampling"],
        # Every date of the snapshot is an ISO time or None (snapshot.Dates).
        "dates": {name: _when(value) for name, value in cast(dict[str, str | None], snapshot["dates"]).items()},
        "tested": _period(snapshot["dates"].get("testing_started"), snapshot["dates"].get("testing_completed")),
        "moisture": snapshot["moisture"],
        "headline": _headline(snapshot),
        "groups": _groups(results, methods, snapshot["treo"]),
        "methods": methods.values(),
        "treo": snapshot["treo"],
        "qc": snapshot["qc"],
        "bench_methods": _refs(snapshot["qc"].get("manual", []), methods),
        "custody": _custody(snapshot["custody"]),
        "deviations": snapshot["deviations"],
        "approvers": snapshot["approvers"],
        "authorised_by": snapshot["authorised_by"],
        "statement": snapshot["statement"],
        "qr": pdf.qr_image(token),
        "verify_url": verification_url(_number(certificate)),
    }


def _supplied_marks(snapshot: snapshots.Snapshot) -> dict[str, str]:
    """The mark beside each lot value the customer supplied, by the lot field's name ("" otherwise)."""
    supplied = set(snapshot.get("customer_supplied") or [])
    return {field: SUPPLIED_MARK if f"lot.{field}" in supplied else "" for field in cast(dict, snapshot["lot"])}


def _splits(sample: snapshots.SamplePart) -> list[dict[str, str | bool]]:
    """Every split of the composite as printed: code, purpose, seal, and which one was tested (its
    seal prints in the item's own row, the others' below it)."""
    return [
        {
            "code": split["code"],
            "purpose": str(Sample.Purpose(split["purpose"]).label).lower()
            if split["purpose"] in Sample.Purpose.values
            else split["purpose"],
            "seal": split["seal_number"] or NO_VALUE,
            "tested": split["tested"],
        }
        for split in sample.get("splits") or []
    ]


def _country(code: str | None) -> str:
    if not code:
        return ""
    name = countries.name(code)
    return f"{name} ({code})" if name else code


def _address(party: snapshots.Party) -> str:
    """The address with its country, unless the address already ends with it."""
    address = (party.get("address") or "").strip()
    name = countries.name(party.get("country") or "")
    if not name or name.lower() in address.lower():
        return address
    return f"{address}, {name}" if address else name


def _when(text: str | None) -> str:
    """An ISO time of the snapshot as printed: date, minutes and the UTC offset, since the reader
    may be in another time zone."""
    if not text:
        return "not recorded"
    moment = datetime.fromisoformat(text)
    utc_offset = moment.utcoffset()
    if utc_offset is None:  # the snapshot writes aware times (timezone.localtime)
        raise ValueError(f"time {text!r} states no UTC offset")
    minutes = int(utc_offset.total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    offset = f"{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return f"{moment:%Y-%m-%d %H:%M} UTC{sign}{offset}"


def _period(start: str | None, end: str | None) -> str:
    days = sorted({datetime.fromisoformat(text).date().isoformat() for text in (start, end) if text})
    return " to ".join(days) if days else "not recorded"


def _result(row: snapshots.ResultRow) -> str:
    qualifier = row["qualifier"]
    if qualifier == "<":
        return f"< {row['detection_limit']}"
    if qualifier == ">":
        return f"> {row['value']}"
    if qualifier in QUALIFIER_WORDS:
        return QUALIFIER_WORDS[qualifier]
    return row["value"] or NO_VALUE


def _decimals(text: str) -> int | None:
    if text == NO_VALUE:
        return 0  # the dash stands where the units digit would
    match = TRAILING_NUMBER.search(text)
    return len(match.group(1) or "") if match else None


def _align(rows: list[dict], columns: tuple[str, ...]) -> None:
    """Pad each figure on the right so that, right-aligned, a column lines up on the decimal point:
    figure spaces are as wide as a digit and the punctuation space as the point. One padded cell
    instead of separate whole and fraction cells: WeasyPrint lays out every cell, and the extra
    cells cost a fifth of the rendering time."""
    for column in columns:
        widest = max((_decimals(row[column]) or 0 for row in rows), default=0)
        for row in rows:
            decimals = _decimals(row[column])
            if decimals is None or not widest:
                continue
            point = "" if decimals else POINT_SPACE
            row[column] += point + FIGURE_SPACE * (widest - decimals)


def _methods(results: list[snapshots.ResultRow]) -> dict[str, dict]:
    """Each method once, in the order of the results, with the reference printed in the table."""
    methods: dict[str, dict] = {}
    for row in results:
        method = methods.setdefault(
            row["method_code"],
            {
                "ref": f"M{len(methods) + 1}",
                "name": row["method"],
                "standard": _identification(row),
                "analytes": [],
            },
        )
        method["analytes"].append(_label(row["analyte"]))
    return methods


def _identification(row: snapshots.ResultRow) -> str:
    """How the method is identified (ISO/IEC 17025 7.8.2.1 f): its standard and the laboratory's
    procedure that implements it, "ISO 10258; SOP-CU-01 rev. 2", or either alone."""
    code, revision = row.get("procedure_code"), row.get("procedure_revision")
    procedure = f"{code} rev. {revision}" if code and revision else code or ""
    return "; ".join(part for part in (row["standard"], procedure) if part) or UNIDENTIFIED_METHOD


def _refs(names: list[str], methods: dict[str, dict]) -> list[str]:
    """Method names as the references of the methods table (the QC summary names methods by name)."""
    refs = {method["name"]: method["ref"] for method in methods.values()}
    return [refs.get(name, name) for name in names]


def _row(row: snapshots.ResultRow, methods: dict[str, dict]) -> dict[str, Any]:
    return {
        "label": _label(row["analyte"]),
        "name": row["name"],
        "result": _result(row),
        "unit": row["unit"],
        "uncertainty": f"± {row['uncertainty']}" if row["uncertainty"] else NO_VALUE,
        "limit": row["reporting_limit"],
        "basis": BASIS_NAMES.get(row["basis"], row["basis"]),
        "method": methods[row["method_code"]]["ref"],
        "censored": row["qualifier"] == "<",
    }


def _groups(results: list[snapshots.ResultRow], methods: dict[str, dict], treo: snapshots.Treo) -> list[dict]:
    """The results table's sections, each in panel order: payable metals and moisture, rare earths
    (closed by their oxide total) and the penalty and by-product elements."""
    sections: dict[str, tuple[str, list[dict[str, Any]]]] = {
        "principal": ("Payable metals and moisture", []),
        "rare_earth": ("Rare-earth elements", []),
        "other": ("Penalty and by-product elements", []),
    }
    for row in results:
        if row["analyte"] in PRINCIPAL:
            key = "principal"
        elif row["rare_earth"]:
            key = "rare_earth"
        else:
            key = "other"
        sections[key][1].append(_row(row, methods))
    groups: list[dict[str, Any]] = []
    for key, (title, rows) in sections.items():
        if not rows:
            continue
        total = None
        if key == "rare_earth":
            total = {"result": treo["value"], "uncertainty": "", "limit": "", "unit": treo["unit"], "basis": "dry"}
        # Table rows have no orphans and widows properties: a section's first and last rows are held
        # to their neighbours instead, so no page starts or ends with a lone row of a section.
        rows[0]["keep"] = "keep-next"
        if len(rows) > 1:
            rows[-1]["keep"] = "keep-previous"
        groups.append({"key": key, "title": title, "rows": rows, "total": total})
    _align([row for group in groups for row in [*group["rows"], group["total"]] if row], FIGURES)
    return groups


def _headline(snapshot: snapshots.Snapshot) -> list[dict]:
    """The figures a buyer and a customs officer look for first."""
    rows: dict[str, Mapping[str, Any]] = {row["analyte"]: row for row in snapshot["results"]}
    # TREO is summed from the rare earths' dry contents.
    rows["TREO"] = {"name": "Total rare-earth oxides", "basis": "dry"}
    items: list[dict[str, str | None]] = [
        {
            "label": _label(symbol),
            "name": rows[symbol]["name"],
            "value": value,
            "unit": unit,
            "basis": BASIS_NAMES.get(rows[symbol]["basis"], rows[symbol]["basis"]),
        }
        for symbol, value, unit in snapshots.headline_items(snapshot)
    ]
    moisture = snapshot["moisture"]
    if moisture.get("value"):
        items.append(
            {
                "label": _label(MOISTURE),
                "name": "Moisture",
                "value": moisture["value"],
                "unit": moisture["unit"],
                "basis": "as received",
            }
        )
    return items


def _label(symbol: str) -> str:
    """An analyte as printed: chemical formulae with subscripts (H2O -> H₂O)."""
    return symbol.translate(SUBSCRIPTS) if not symbol.isalpha() else symbol


def _custody(custody: snapshots.Custody) -> dict:
    return {
        **custody,
        "head_short": (custody.get("head") or "")[:16],
        "actions": " → ".join(ACTION_NAMES.get(step["action"], step["action"]) for step in custody["steps"]),
    }
