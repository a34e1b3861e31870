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

Two languages (a lims.coa/3 snapshot's `languages`, certificates.languages): every heading, label,
statement and note is printed in both, the primary first and the secondary after it in a lighter
style (below it where a column is narrow), each language's text from the catalogues under
translation.override (context "certificate": the document's own wording, apart from the screens').
Element, method and material names come from the snapshot's names in each language. A text that
reads the same in both (a symbol, "ICP-MS", «Партия» in Kazakh and Russian) is printed once. A
snapshot without languages (lims.coa/1 and /2) prints in English alone, as it was issued.

Numbers are printed once, in one form for both languages (ISO 80000-1, and stated on the page in
both): the decimal sign is a point, as in the attached data, the QR token and the customs
declaration, and integer parts of five digits or more are grouped in threes by a narrow no-break
space (12 345.6). Neither language's own convention: Russian and Kazakh write a decimal comma, which
an English reader takes for a thousands separator, and the reverse. Dates are ISO 8601 with the UTC
offset, the same in every language.
"""

import functools
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext_lazy
from django_countries import countries

from assays.models import MOISTURE, RunQCStatus
from certificates import keys, pdf, tokens
from certificates import languages as certificate_languages
from certificates import snapshot as snapshots
from certificates.models import Certificate
from samples.models import CustodyAction, Sample

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise

TEMPLATE = "certificates/certificate_pdf.html"
STYLESHEET = "certificates/certificate.css"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
TOKEN_HEADLINE = ("Cu", "Au", "Ag", "TREO")
# Payable metals and the moisture their dry contents depend on.
PRINCIPAL = ("Cu", "Au", "Ag", MOISTURE)
# The document's own wording is translated in the context "certificate" (see LABELS), written out in
# each call: makemessages reads only literal strings, and a context held in a name never reached the
# catalogues.
BASIS_NAMES = {"dry": pgettext_lazy("certificate", "dry"), "as_received": pgettext_lazy("certificate", "as received")}
# How a censored or unusual result reads in the results table.
QUALIFIER_WORDS = {"OR": pgettext_lazy("certificate", "over range"), "NA": pgettext_lazy("certificate", "not reported")}
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
RESULT_FIELDS = {
    "value": pgettext_lazy("certificate", "result"),
    "uncertainty": "U (k = 2)",
    "detection_limit": pgettext_lazy("certificate", "detection limit"),
}
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPPLIED_MARK = "†"
# Only a lims.coa/1 snapshot can hold a method with neither (snapshot.build refuses one since).
UNIDENTIFIED_METHOD = pgettext_lazy("certificate", "in-house procedure")
WITHDRAWN: "dict[str, StrOrPromise]" = {
    Certificate.Status.REVOKED: pgettext_lazy("certificate", "Revoked: this certificate is no longer valid."),
    Certificate.Status.SUPERSEDED: pgettext_lazy(
        "certificate", "Superseded: this certificate has been replaced and is no longer valid."
    ),
}
# Every heading, label and note of the page, by the name the template uses ({{ t.<name> }}).
LABELS = {
    "title": pgettext_lazy("certificate", "Certificate of Analysis"),
    "amended_title": pgettext_lazy("certificate", "Amended Certificate of Analysis"),
    "certificate_no": pgettext_lazy("certificate", "Certificate No."),
    "date_of_issue": pgettext_lazy("certificate", "Date of issue"),
    "what_changed": pgettext_lazy("certificate", "What changed and why:"),
    "changed": pgettext_lazy("certificate", "Changed:"),
    "qr_caption": pgettext_lazy("certificate", "Scan to verify the signed summary"),
    "verification_code": pgettext_lazy("certificate", "Verification code"),
    "principal_results": pgettext_lazy("certificate", "Principal results"),
    "dry_mass_of_lot": pgettext_lazy("certificate", "Dry mass of the lot"),
    "verify_online": pgettext_lazy("certificate", "Verify online:"),
    "customer": pgettext_lazy("certificate", "Customer"),
    "exporter": pgettext_lazy("certificate", "Exporter"),
    "address": pgettext_lazy("certificate", "Address"),
    "registration": pgettext_lazy("certificate", "Registration"),
    "lot": pgettext_lazy("certificate", "Lot"),
    "lot_number": pgettext_lazy("certificate", "Lot number"),
    "material": pgettext_lazy("certificate", "Material"),
    "hs": pgettext_lazy("certificate", "HS"),
    "origin": pgettext_lazy("certificate", "Origin"),
    "wet_mass": pgettext_lazy("certificate", "Wet mass"),
    "destination": pgettext_lazy("certificate", "Destination"),
    "contract": pgettext_lazy("certificate", "Contract"),
    "export_licence": pgettext_lazy("certificate", "Export licence"),
    "item_tested": pgettext_lazy("certificate", "Item tested"),
    "sample": pgettext_lazy("certificate", "Sample"),
    "description": pgettext_lazy("certificate", "Description"),
    "seal": pgettext_lazy("certificate", "Seal"),
    "other_splits": pgettext_lazy("certificate", "Other splits"),
    "sampling": pgettext_lazy("certificate", "Sampling"),
    "dates_and_places": pgettext_lazy("certificate", "Dates and places"),
    "sampled": pgettext_lazy("certificate", "Sampled"),
    "received": pgettext_lazy("certificate", "Received"),
    "tested": pgettext_lazy("certificate", "Tested"),
    "issued": pgettext_lazy("certificate", "Issued"),
    "at_the_laboratory": pgettext_lazy("certificate", "at the laboratory"),
    "supplied_note": pgettext_lazy(
        "certificate",
        "† Supplied by the customer (ISO/IEC 17025 7.8.2.2). The laboratory is not responsible for information "
        "supplied by the customer; it can affect the validity of the results derived from it, such as the dry "
        "mass of the lot.",
    ),
    "results": pgettext_lazy("certificate", "Results"),
    "element": pgettext_lazy("certificate", "Element"),
    "result": pgettext_lazy("certificate", "Result"),
    "unit": pgettext_lazy("certificate", "Unit"),
    "rep_limit": pgettext_lazy("certificate", "Rep. limit"),
    "basis": pgettext_lazy("certificate", "Basis"),
    "method": pgettext_lazy("certificate", "Method"),
    "treo_total": pgettext_lazy("certificate", "Total rare-earth oxides (TREO)"),
    "calc": pgettext_lazy("certificate", "calc."),
    "u_note": pgettext_lazy(
        "certificate",
        "U: expanded uncertainty, coverage factor k = 2 (about 95 %). “< x”: below the detection limit x.",
    ),
    "numbers_note": pgettext_lazy(
        "certificate",
        "Numbers: the decimal sign is a point; digits are grouped in threes by a thin space (ISO 80000-1). "
        "Dates: ISO 8601.",
    ),
    "methods": pgettext_lazy("certificate", "Methods"),
    "ref": pgettext_lazy("certificate", "Ref."),
    "standard": pgettext_lazy("certificate", "Standard / procedure"),
    "elements": pgettext_lazy("certificate", "Elements"),
    "quality_control": pgettext_lazy("certificate", "Quality control"),
    "run": pgettext_lazy("certificate", "Run"),
    "instrument": pgettext_lazy("certificate", "Instrument"),
    "checks": pgettext_lazy("certificate", "Checks"),
    "failed": pgettext_lazy("certificate", "Failed"),
    "verdict": pgettext_lazy("certificate", "Verdict"),
    "no_runs": pgettext_lazy("certificate", "No instrument runs."),
    "chain_of_custody": pgettext_lazy("certificate", "Chain of custody"),
    "events": pgettext_lazy("certificate", "Events"),
    "hash_chain": pgettext_lazy("certificate", "Hash chain"),
    "verified_intact": pgettext_lazy("certificate", "verified intact"),
    "not_verified": pgettext_lazy("certificate", "NOT verified"),
    "chain_head": pgettext_lazy("certificate", "Chain head"),
    "deviations": pgettext_lazy("certificate", "Deviations"),
    "none": pgettext_lazy("certificate", "None."),
    "own_work": pgettext_lazy(
        "certificate",
        "All results were obtained by the laboratory; none comes from an external provider. This certificate "
        "shall not be reproduced except in full.",
    ),
    "authorisation": pgettext_lazy("certificate", "Authorisation"),
    "approved_by": pgettext_lazy("certificate", "Results approved by"),
    "how_to_verify": pgettext_lazy("certificate", "How to verify"),
    "verify_qr": pgettext_lazy("certificate", "Scan the QR code on page 1: a summary signed by the laboratory."),
    "verify_signed": pgettext_lazy(
        "certificate",
        "The PDF is digitally signed and carries the certified data (snapshot.json): any change breaks the signature.",
    ),
    "end": pgettext_lazy("certificate", "— End of report —"),
}
# Labels with values in them: formatted in each language with the (escaped) values.
PHRASES = {
    "accreditation": pgettext_lazy("certificate", "ISO/IEC 17025 accreditation No. %(number)s, %(body)s"),
    "replaces": pgettext_lazy("certificate", "replaces No. %(number)s"),
    "withdrawn_note": pgettext_lazy(
        "certificate", "Certificate No. %(number)s is withdrawn and must no longer be used."
    ),
    "more_changes": pgettext_lazy("certificate", "and %(count)s more, listed in the attached data (snapshot.json)"),
    "from_wet": pgettext_lazy("certificate", "from wet %(mass)s t"),
    "per_source": pgettext_lazy("certificate", "per %(source)s"),
    "dry_mass_note": pgettext_lazy(
        "certificate", "Dry mass: the customer's wet mass%(mark)s less the laboratory's moisture."
    ),
    "split": pgettext_lazy("certificate", "%(code)s, %(purpose)s split"),
    "split_of": pgettext_lazy("certificate", "%(code)s, %(purpose)s split of composite %(composite)s"),
    "split_seal": pgettext_lazy("certificate", "%(code)s %(purpose)s: seal %(seal)s"),
    "by": pgettext_lazy("certificate", "by %(name)s"),
    "period": pgettext_lazy("certificate", "%(start)s to %(end)s"),
    "dry_basis_note": pgettext_lazy(
        "certificate", "Dry basis: corrected for the moisture of %(moisture)s %(unit)s as received."
    ),
    "treo_note": pgettext_lazy(
        "certificate",
        "TREO: sum of the rare earths as La₂O₃, CeO₂, Pr₆O₁₁, Tb₄O₇ and R₂O₃; censored (below detection, "
        "counted as zero): %(censored)s; not determined: %(not_determined)s.",
    ),
    "bench_methods": pgettext_lazy(
        "certificate", "Bench methods %(methods)s: each result reviewed by a second person."
    ),
    "overridden": pgettext_lazy("certificate", "overridden: %(reason)s"),
    "authorised": pgettext_lazy(
        "certificate", "%(role)s, authorised this certificate on %(date)s; signed electronically (PAdES)."
    ),
    "verify_open": pgettext_lazy("certificate", "Or open %(url)s."),
    "verify_open_code": pgettext_lazy(
        "certificate", "Or open %(url)s; the verification code printed beside the QR code shows the full results there."
    ),
}
NOT_RECORDED = pgettext_lazy("certificate", "not recorded")
NONE_WORD = pgettext_lazy("certificate", "none")
GROUP_TITLES = {
    "principal": pgettext_lazy("certificate", "Payable metals and moisture"),
    "rare_earth": pgettext_lazy("certificate", "Rare-earth elements"),
    "other": pgettext_lazy("certificate", "Penalty and by-product elements"),
}
TREO_NAME = pgettext_lazy("certificate", "Total rare-earth oxides")
MOISTURE_NAME = pgettext_lazy("certificate", "Moisture")
# The running header and footer (CSS margin boxes): %(page)s and %(pages)s become the page counters.
PAGE_OF = pgettext_lazy("certificate", "Page %(page)s of %(pages)s")
NUMBER_SIGN = pgettext_lazy("certificate", "No.")
# ISO 80000-1: integer parts of five digits or more in groups of three, by a narrow no-break space.
GROUP_SEPARATOR = "\u202f"
LONG_INTEGER = re.compile(r"(?<![\d.])(\d{5,})(?=\.\d|(?!\d))")


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
    return render_to_string(TEMPLATE, _context(certificate, token, verification_code))


def render_certificate(certificate: Certificate, *, token: str, verification_code: str = "") -> bytes:
    """The unsigned PDF/A-3b, with the snapshot (canonical JSON) and the token attached.

    Raises pdf.RenderError when a resource cannot be loaded. The PDF's creation date is the issue
    time, so rendering the same certificate twice gives the same metadata. The title is in both
    languages, primary first ("Сертификат анализа / Certificate of Analysis KZL-2026-000001")."""
    snapshot = snapshots.read(certificate.snapshot)
    lot, sample = snapshot["lot"], snapshot["sample"]
    texts = Texts(certificate_languages.of(snapshot))
    title = f"{texts.label(LABELS[_title_key(certificate)]).plain()} {certificate.number}"
    keywords = [certificate.number, lot["number"], sample["code"], lot["material"], f"HS {lot['hs_code']}"]
    amendment = _amendment(certificate, texts)
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


class Bilingual(list):
    """A text in each of the certificate's languages, primary first. In a template it prints the
    primary text, then the secondary in a lighter style (class "l2", with its `lang`; the stylesheet
    puts it after the primary, or below it in narrow columns), or the primary alone where both read
    the same."""

    def __init__(self, texts, languages: tuple[str, ...]):
        super().__init__(texts)
        self.languages = languages

    def second(self) -> str | None:
        return self[1] if len(self) > 1 and self[1] != self[0] else None

    def plain(self) -> str:
        second = self.second()
        return f"{self[0]} / {second}" if second else self[0]

    def __html__(self) -> SafeString:
        second = self.second()
        if second is None:
            return mark_safe(conditional_escape(self[0]))  # noqa: S308 - escaped
        return format_html(
            '{}<span class="l2" lang="{}"><span class="sep"> / </span>{}</span>', self[0], self.languages[1], second
        )

    def __str__(self) -> str:
        return self.__html__()


class Texts:
    """The page's wording in the certificate's languages, from the catalogues (translation.override
    per language, context "certificate"); each text is translated once per rendering."""

    def __init__(self, languages: tuple[str, ...]):
        self.languages = languages
        self._cache: dict[int, Bilingual] = {}

    def label(self, text) -> Bilingual:
        """A lazy text (pgettext_lazy: makemessages finds it) in each language."""
        key = id(text)
        if key not in self._cache:
            self._cache[key] = self.each(lambda: str(text))
        return self._cache[key]

    def phrase(self, msgid, **values) -> Bilingual:
        """A label with values: each value a str, or a Bilingual (its text in the same language)."""
        return Bilingual(
            [str(msgid) % {k: _in(v, index) for k, v in values.items()} for index, _language in self._each_language()],
            self.languages,
        )

    def names(self, names: dict[str, str] | None, english: str) -> Bilingual:
        """A name frozen in the snapshot in each language (English where none was frozen)."""
        names = names or {}
        return Bilingual([names.get(language) or english for language in self.languages], self.languages)

    def choice(self, label) -> Bilingual:
        """A model choice's label (lazy) in each language, as the catalogues give it."""
        return self.each(lambda: str(label))

    def each(self, make) -> Bilingual:
        return Bilingual(certificate_languages.in_each(self.languages, make), self.languages)

    def _each_language(self):
        for index, language in enumerate(self.languages):
            with translation.override(language):
                yield index, language


def _in(value, index: int):
    return value[min(index, len(value) - 1)] if isinstance(value, Bilingual) else value


def _number(certificate: Certificate) -> str:
    if not certificate.number:
        raise ValueError("a certificate needs its number before it is rendered")
    return certificate.number


def _require_issued_fields(certificate: Certificate) -> None:
    if not certificate.number or not certificate.issued_at:
        raise ValueError("a certificate needs its number and issue time before it is rendered")


def _title_key(certificate: Certificate) -> str:
    """The LABELS entry of the certificate's title."""
    return "amended_title" if _amendment(certificate) else "title"


def _amendment(certificate: Certificate, texts: "Texts | None" = None) -> dict | None:
    """What this certificate replaces and why: the frozen snapshot's statement when it has one (the
    signed data), else the row's."""
    frozen = snapshots.read(certificate.snapshot)["amendment"]
    if frozen:
        changes = [change for change in frozen.get("changes") or [] if not DERIVED_CHANGE.match(change["field"])]
        return {
            "supersedes": frozen.get("supersedes"),
            "reason": frozen.get("reason", ""),
            "changes": [_change(change, texts) for change in changes[:MAX_CHANGES]] if texts else [],
            "more": max(len(changes) - MAX_CHANGES, 0),
        }
    if certificate.supersedes is not None:
        return {"supersedes": certificate.supersedes.number, "reason": certificate.amendment_reason}
    return None


def _change(change: dict, texts: "Texts") -> dict:
    """One entry of snapshot.differences() as printed: "Au result: 6.53 → 6.93" (the field in both
    languages where it is a result's; other fields by their path in the attached data)."""
    parts = change["field"].split(".")
    if parts[0] == "results" and len(parts) == 3:
        what = RESULT_FIELDS.get(parts[2])
        words = texts.label(what) if what else [parts[2].replace("_", " ")]
        field = Bilingual([f"{_label(parts[1])} {word}" for word in words], texts.languages)
    else:
        field = Bilingual([" ".join(parts[1:] if parts[0] == "dates" else parts).replace("_", " ")], texts.languages)
    return {"field": field, "old": _changed_value(change["old"]), "new": _changed_value(change["new"])}


def _changed_value(value) -> str:
    if value is None or value == "":
        return NO_VALUE
    if isinstance(value, list):
        return " ".join(_changed_value(item) for item in value)
    if isinstance(value, str) and ISO_TIME.match(value):
        return _when(value) or NO_VALUE
    return str(value)


@functools.cache
def _stylesheet_url() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise ImproperlyConfigured(f"static file {STYLESHEET} not found")
    return Path(path).resolve().as_uri()


def _context(certificate: Certificate, token: str, verification_code: str = "") -> dict:
    snapshot = snapshots.read(certificate.snapshot)
    texts = Texts(certificate_languages.of(snapshot))
    label = texts.label
    results = snapshot["results"]
    methods = _methods(results, texts)
    issued = timezone.localtime(certificate.issued_at)
    issued_date = issued.date().isoformat()
    lot, sample, moisture, treo = snapshot["lot"], snapshot["sample"], snapshot["moisture"], snapshot["treo"]
    supplied = _supplied_marks(snapshot)
    accreditation = snapshot["laboratory"].get("accreditation")
    amendment = _amendment(certificate, texts)
    dates = {name: _when(value) for name, value in cast(dict[str, str | None], snapshot["dates"]).items()}
    material = texts.names(lot.get("material_names"), lot["material"])
    authorised_by = snapshot["authorised_by"]
    withdrawn = WITHDRAWN.get(certificate.status)
    url = verification_url(_number(certificate))
    return {
        "languages": texts.languages,
        "t": {name: label(msgid) for name, msgid in LABELS.items()},
        "page_css": _page_css(texts, label(LABELS[_title_key(certificate)])),
        "stylesheet": _stylesheet_url(),
        "title": label(LABELS[_title_key(certificate)]),
        "number": certificate.number,
        "issued": issued_date,
        "issued_at": _when(issued.isoformat(timespec="minutes")),
        "withdrawn": label(withdrawn) if withdrawn else None,
        "amendment": amendment,
        "amendment_texts": _amendment_texts(amendment, texts) if amendment else None,
        "laboratory": snapshot["laboratory"],
        "lab_address": _address(snapshot["laboratory"], texts),
        "customer": snapshot["customer"],
        "customer_address": _address(snapshot["customer"], texts),
        "lot": lot,
        "material": material,
        "destination": _country(lot.get("destination_country"), texts),
        "supplied": supplied,
        "supplied_note": label(LABELS["supplied_note"]) if snapshot.get("customer_supplied") else "",
        "accreditation": texts.phrase(
            PHRASES["accreditation"], number=accreditation["number"], body=accreditation["body"]
        )
        if accreditation
        else None,
        "sample": sample,
        "item": _item(sample, texts),
        "condition": _stated(texts, sample.get("condition") or ""),
        "other_splits": [
            texts.phrase(PHRASES["split_seal"], code=split["code"], purpose=split["purpose"], seal=split["seal"])
            for split in _splits(sample, texts)
            if not split["tested"]
        ],
        "sampling": snapshot["sampling"],
        "sampling_plan": _plan(snapshot, texts),
        "statement": _stated(texts, snapshot["statement"]),
        "dates": dates,
        "not_recorded": label(NOT_RECORDED),
        "sampled_by": texts.phrase(PHRASES["by"], name=sample["sampled_by"]) if sample.get("sampled_by") else None,
        "received_by": texts.phrase(PHRASES["by"], name=sample["received_by"]) if sample.get("received_by") else None,
        "tested": _period(texts, snapshot["dates"].get("testing_started"), snapshot["dates"].get("testing_completed")),
        "moisture": moisture,
        "headline": _headline(snapshot, texts),
        "dry_mass_t": _figure(lot.get("dry_mass_t") or ""),
        "wet_mass_t": _figure(lot["wet_mass_t"]),
        "from_wet": texts.phrase(PHRASES["from_wet"], mass=_figure(lot["wet_mass_t"])),
        "wet_mass_source": texts.phrase(PHRASES["per_source"], source=lot["wet_mass_source"])
        if lot.get("wet_mass_source")
        else None,
        "dry_mass_note": texts.phrase(PHRASES["dry_mass_note"], mark=" †" if supplied.get("wet_mass_t") else ""),
        "groups": _groups(results, methods, treo, texts),
        "methods": methods.values(),
        "dry_basis_note": texts.phrase(
            PHRASES["dry_basis_note"], moisture=moisture.get("value") or NO_VALUE, unit=moisture["unit"]
        ),
        "treo_note": texts.phrase(
            PHRASES["treo_note"],
            censored=", ".join(treo["censored"]) or label(NONE_WORD),
            not_determined=", ".join(treo["not_determined"]) or label(NONE_WORD),
        ),
        "qc_runs": _qc_runs(snapshot["qc"], texts),
        "bench_methods": texts.phrase(
            PHRASES["bench_methods"], methods=", ".join(_refs(snapshot["qc"].get("manual", []), methods))
        )
        if snapshot["qc"].get("manual")
        else None,
        "custody": _custody(snapshot["custody"], texts),
        "deviations": _deviations(snapshot, texts),
        "approvers": [
            {"name": person["name"], "role": _stated(texts, person["role"])} for person in snapshot["approvers"]
        ],
        "authorised_by": authorised_by,
        "authorised": texts.phrase(PHRASES["authorised"], role=_stated(texts, authorised_by["role"]), date=issued_date),
        "verify_open": texts.phrase(
            PHRASES["verify_open_code"] if verification_code else PHRASES["verify_open"], url=url
        ),
        "qr": pdf.qr_image(token),
        "verify_url": url,
        "verification_code": verification_code,
    }


def _amendment_texts(amendment: dict, texts: Texts) -> dict:
    number = amendment["supersedes"]
    return {
        "replaces": texts.phrase(PHRASES["replaces"], number=number),
        "withdrawn_note": texts.phrase(PHRASES["withdrawn_note"], number=number),
        "more": texts.phrase(PHRASES["more_changes"], count=amendment["more"]) if amendment.get("more") else None,
    }


def _deviations(snapshot: snapshots.Snapshot, texts: Texts) -> list[Bilingual]:
    """Each deviation in the certificate's languages as frozen at the request; in English where the
    snapshot froze none (before lims.coa/3 recorded them, or a language it lacks)."""
    english = snapshot["deviations"]
    frozen = snapshot.get("deviation_texts") or []
    if len(frozen) != len(english):
        frozen = [{} for _text in english]
    return [
        Bilingual([texts_of.get(language) or text for language in texts.languages], texts.languages)
        for text, texts_of in zip(english, frozen, strict=True)
    ]


def _stated(texts: Texts, text: str) -> Bilingual:
    """A sentence the snapshot froze in English (snapshot.STATEMENT, a condition, a role...), in the
    certificate's languages: the catalogues' translation of it (a text of no catalogue stays as it is)."""
    if not text:
        return Bilingual([""], texts.languages)
    return texts.each(lambda: translation.gettext(text))


def _plan(snapshot: snapshots.Snapshot, texts: Texts) -> Bilingual:
    """The sampling plan: translated when it is the one snapshot.build writes, else as frozen."""
    plan, location = snapshot["sampling"]["plan"], snapshot["sample"].get("collection_location", "")
    if plan == snapshots.SAMPLING_PLAN % {"location": location}:
        return texts.each(lambda: translation.gettext(snapshots.SAMPLING_PLAN) % {"location": location})
    return Bilingual([plan], texts.languages)


def _item(sample: snapshots.SamplePart, texts: Texts) -> Bilingual:
    """The item tested: "KZ-0001-L, laboratory split of composite KZ-0001"."""
    purpose = (
        texts.choice(Sample.Purpose(sample["purpose"]).label)
        if sample["purpose"] in Sample.Purpose.values
        else sample["purpose"]
    )
    purpose = (
        Bilingual([text.lower() for text in purpose], texts.languages) if isinstance(purpose, Bilingual) else purpose
    )
    if sample.get("composite"):
        return texts.phrase(PHRASES["split_of"], code=sample["code"], purpose=purpose, composite=sample["composite"])
    return texts.phrase(PHRASES["split"], code=sample["code"], purpose=purpose)


def _page_css(texts: Texts, title: Bilingual) -> SafeString:
    """The running header's and footer's words (CSS margin boxes cannot hold markup): the title, the
    number sign and "Page n of m" in each language, as CSS strings with the page counters."""

    def css(text: str) -> str:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ") + '"'
        return quoted.replace("%(page)s", '" counter(page) "').replace("%(pages)s", '" counter(pages) "')

    number_sign, page_of = texts.label(NUMBER_SIGN), texts.label(PAGE_OF)
    pages = ' "  ·  " '.join(css(page) for page in dict.fromkeys(page_of))
    footer = f'{css(number_sign[0] + " ")} string(number) "  ·  " {pages}'
    header = f"{css(title.plain() + '  ·  ')} string(number)"
    return mark_safe(  # noqa: S308 - every text quoted and escaped as a CSS string above
        f"@page {{ @bottom-right {{ content: {footer}; }} @top-right {{ content: {header}; }} }}"
    )


def _supplied_marks(snapshot: snapshots.Snapshot) -> dict[str, str]:
    """The mark beside each lot value the customer supplied, by the lot field's name ("" otherwise)."""
    supplied = set(snapshot.get("customer_supplied") or [])
    return {field: SUPPLIED_MARK if f"lot.{field}" in supplied else "" for field in cast(dict, snapshot["lot"])}


def _splits(sample: snapshots.SamplePart, texts: Texts) -> list[dict[str, Any]]:
    """Every split of the composite as printed: code, purpose, seal, and which one was tested (its
    seal prints in the item's own row, the others' below it)."""
    return [
        {
            "code": split["code"],
            "purpose": Bilingual(
                [text.lower() for text in texts.choice(Sample.Purpose(split["purpose"]).label)], texts.languages
            )
            if split["purpose"] in Sample.Purpose.values
            else split["purpose"],
            "seal": split["seal_number"] or NO_VALUE,
            "tested": split["tested"],
        }
        for split in sample.get("splits") or []
    ]


def _country_names(code: str, texts: Texts) -> Bilingual:
    """A country's name in each of the certificate's languages (django-countries' catalogues, and
    lims/countries/locale for Kazakh)."""
    return texts.each(lambda: str(countries.name(code)))


def _country(code: str | None, texts: Texts) -> str | Bilingual:
    if not code:
        return ""
    names = _country_names(code, texts)
    if not names[0]:
        return code
    return Bilingual([f"{name} ({code})" for name in names], texts.languages)


def _address(party: snapshots.Party, texts: Texts) -> str | SafeString:
    """The address with its country in the certificate's languages, unless the address already names
    it (in any of them)."""
    address = (party.get("address") or "").strip()
    names = _country_names(party.get("country") or "", texts)
    if not names[0] or any(name.lower() in address.lower() for name in names if name):
        return address
    return format_html("{}, {}", address, names) if address else names.__html__()


def _when(text: str | None) -> str | None:
    """An ISO time of the snapshot as printed: date, minutes and the UTC offset, since the reader
    may be in another time zone; None when not recorded."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    utc_offset = moment.utcoffset()
    if utc_offset is None:  # the snapshot writes aware times (timezone.localtime)
        raise ValueError(f"time {text!r} states no UTC offset")
    minutes = int(utc_offset.total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    offset = f"{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return f"{moment:%Y-%m-%d %H:%M} UTC{sign}{offset}"


def _period(texts: Texts, start: str | None, end: str | None) -> Bilingual:
    days = sorted({datetime.fromisoformat(text).date().isoformat() for text in (start, end) if text})
    if not days:
        return texts.label(NOT_RECORDED)
    if len(days) == 1:
        return Bilingual([days[0]], texts.languages)
    return texts.phrase(PHRASES["period"], start=days[0], end=days[1])


def _figure(text: str) -> str:
    """A number as printed (see the module's docstring): integer parts of five digits or more in
    groups of three, "12345.6" -> "12 345.6" (narrow no-break spaces)."""
    return LONG_INTEGER.sub(lambda match: f"{int(match.group(1)):,}".replace(",", GROUP_SEPARATOR), text)


def _result(row: snapshots.ResultRow, texts: Texts) -> str | Bilingual:
    qualifier = row["qualifier"]
    if qualifier == "<":
        return f"< {_figure(row['detection_limit'] or '')}"
    if qualifier == ">":
        return f"> {_figure(row['value'] or '')}"
    if qualifier in QUALIFIER_WORDS:
        return texts.label(QUALIFIER_WORDS[qualifier])
    return _figure(row["value"] or NO_VALUE)


def _decimals(text) -> int | None:
    if not isinstance(text, str):
        return None  # words (over range) are not aligned
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


def _methods(results: list[snapshots.ResultRow], texts: Texts) -> dict[str, dict]:
    """Each method once, in the order of the results, with the reference printed in the table."""
    methods: dict[str, dict] = {}
    for row in results:
        method = methods.setdefault(
            row["method_code"],
            {
                "ref": f"M{len(methods) + 1}",
                "name": row["method"],
                "names": texts.names(row.get("method_names"), row["method"]),
                "standard": _identification(row, texts),
                "analytes": [],
            },
        )
        method["analytes"].append(_label(row["analyte"]))
    return methods


def _identification(row: snapshots.ResultRow, texts: Texts) -> str | Bilingual:
    """How the method is identified (ISO/IEC 17025 7.8.2.1 f): its standard and the laboratory's
    procedure that implements it, "ISO 10258; SOP-CU-01 rev. 2", or either alone."""
    code, revision = row.get("procedure_code"), row.get("procedure_revision")
    procedure = f"{code} rev. {revision}" if code and revision else code or ""
    return "; ".join(part for part in (row["standard"], procedure) if part) or texts.label(UNIDENTIFIED_METHOD)


def _refs(names: list[str], methods: dict[str, dict]) -> list[str]:
    """Method names as the references of the methods table (the QC summary names methods by name)."""
    refs = {method["name"]: method["ref"] for method in methods.values()}
    return [refs.get(name, name) for name in names]


def _row(row: snapshots.ResultRow, methods: dict[str, dict], texts: Texts) -> dict[str, Any]:
    return {
        "label": _label(row["analyte"]),
        "name": texts.names(row.get("names"), row["name"]),
        "result": _result(row, texts),
        "unit": row["unit"],
        "uncertainty": f"± {_figure(row['uncertainty'])}" if row["uncertainty"] else NO_VALUE,
        "limit": _figure(row["reporting_limit"]),
        "basis": texts.label(BASIS_NAMES[row["basis"]]) if row["basis"] in BASIS_NAMES else row["basis"],
        "method": methods[row["method_code"]]["ref"],
        "censored": row["qualifier"] == "<",
    }


def _groups(
    results: list[snapshots.ResultRow], methods: dict[str, dict], treo: snapshots.Treo, texts: Texts
) -> list[dict]:
    """The results table's sections, each in panel order: payable metals and moisture, rare earths
    (closed by their oxide total) and the penalty and by-product elements."""
    sections: dict[str, list[dict[str, Any]]] = {key: [] for key in GROUP_TITLES}
    for row in results:
        if row["analyte"] in PRINCIPAL:
            key = "principal"
        elif row["rare_earth"]:
            key = "rare_earth"
        else:
            key = "other"
        sections[key].append(_row(row, methods, texts))
    groups: list[dict[str, Any]] = []
    for key, rows in sections.items():
        if not rows:
            continue
        total = None
        if key == "rare_earth":
            total = {
                "result": _figure(treo["value"]),
                "uncertainty": "",
                "limit": "",
                "unit": treo["unit"],
                "basis": texts.label(BASIS_NAMES["dry"]),
            }
        # Table rows have no orphans and widows properties: a section's first and last rows are held
        # to their neighbours instead, so no page starts or ends with a lone row of a section.
        rows[0]["keep"] = "keep-next"
        if len(rows) > 1:
            rows[-1]["keep"] = "keep-previous"
        groups.append({"key": key, "title": texts.label(GROUP_TITLES[key]), "rows": rows, "total": total})
    _align([row for group in groups for row in [*group["rows"], group["total"]] if row], FIGURES)
    return groups


def _headline(snapshot: snapshots.Snapshot, texts: Texts) -> list[dict]:
    """The figures a buyer and a customs officer look for first."""
    rows: dict[str, Mapping[str, Any]] = {row["analyte"]: row for row in snapshot["results"]}
    items: list[dict[str, Any]] = []
    for symbol, value, unit in snapshots.headline_items(snapshot):
        # TREO is summed from the rare earths' dry contents.
        row = rows.get(symbol, {"name": "", "basis": "dry"})
        items.append(
            {
                "label": _label(symbol),
                "name": texts.label(TREO_NAME) if symbol == "TREO" else texts.names(row.get("names"), row["name"]),
                "value": _figure(value),
                "unit": unit,
                "basis": texts.label(BASIS_NAMES[row["basis"]]) if row["basis"] in BASIS_NAMES else row["basis"],
            }
        )
    moisture = snapshot["moisture"]
    if moisture.get("value"):
        items.append(
            {
                "label": _label(MOISTURE),
                "name": texts.label(MOISTURE_NAME),
                "value": moisture["value"],
                "unit": moisture["unit"],
                "basis": texts.label(BASIS_NAMES["as_received"]),
            }
        )
    return items


def _label(symbol: str) -> str:
    """An analyte as printed: chemical formulae with subscripts (H2O -> H₂O)."""
    return symbol.translate(SUBSCRIPTS) if not symbol.isalpha() else symbol


def _qc_runs(qc: snapshots.QC, texts: Texts) -> list[dict]:
    return [
        {
            **run,
            "verdict": texts.choice(RunQCStatus(run["status"]).label)
            if run["status"] in RunQCStatus.values
            else run["status"],
            "override": texts.phrase(PHRASES["overridden"], reason=run["override"]) if run.get("override") else None,
        }
        for run in qc["runs"]
    ]


def _custody(custody: snapshots.Custody, texts: Texts) -> dict:
    actions = [
        texts.choice(CustodyAction(step["action"]).label) if step["action"] in CustodyAction.values else step["action"]
        for step in custody["steps"]
    ]
    return {
        **custody,
        "head_short": (custody.get("head") or "")[:16],
        "actions": Bilingual(
            [" → ".join(str(_in(action, index)) for action in actions) for index in range(len(texts.languages))],
            texts.languages,
        ),
    }
