"""A certificate's HTML rendered to PDF/A-3b, with its data attached, and its QR code.

PDF/A-3 allows embedded files when each declares its relationship to the document (AFRelationship):
the frozen snapshot goes in as machine-readable JSON ("Data": the page is drawn from it) and the QR
token as text ("Supplement"), so the offline verifier reads both from the signed file without
rendering or scanning the page.

WeasyPrint fetches only file: and data: URLs here: a certificate must not depend on, or leak to, the
network. A resource that cannot be fetched stops the rendering (a certificate with a missing logo or
stylesheet is not issued); WeasyPrint signals that with an exception derived from BaseException,
which render_pdf turns into RenderError so ordinary error handling (and Celery) sees it.

WeasyPrint is imported on first use, not with this module: the import takes ~0.6 s.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import segno

from certificates.verifier import SNAPSHOT_ATTACHMENT, TOKEN_ATTACHMENT, canonical_json

METADATA_KEYS = {"title", "author", "subject", "keywords", "creator", "created"}


class RenderError(Exception):
    """The certificate could not be rendered (typically a resource that cannot be fetched)."""


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    description: str
    relationship: str  # PDF/A-3 AFRelationship: Data, Source, Alternative, Supplement or Unspecified


def certificate_attachments(*, snapshot: Mapping[str, object], token: str) -> list[Attachment]:
    """The two files every certificate carries, under the names the verifier looks for. The snapshot
    is attached as canonical JSON, so its SHA-256 is the one in the token."""
    return [
        Attachment(SNAPSHOT_ATTACHMENT, canonical_json(snapshot), "Certified data, canonical JSON (UTF-8)", "Data"),
        Attachment(TOKEN_ATTACHMENT, token.encode("ascii"), "Signed summary printed as the QR code", "Supplement"),
    ]


def render_pdf(html: str, *, base_url: str | None, attachments: list[Attachment], metadata: dict) -> bytes:
    """Render `html` to PDF/A-3b.

    `metadata`: title, author, subject (str), keywords (list of str), creator (str) and created
    (aware datetime; default now), each optional. They go to the Info dictionary and the XMP packet
    alike.
    """
    from weasyprint import HTML
    from weasyprint import Attachment as WeasyAttachment
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    unknown = metadata.keys() - METADATA_KEYS
    if unknown:
        raise ValueError(f"unknown PDF metadata {sorted(unknown)}; use {sorted(METADATA_KEYS)}")
    created = metadata.get("created") or datetime.now(UTC)
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
        # What `metadata` leaves out, the HTML's <title> and <meta> elements may still say.
        info = document.metadata
        info.title = metadata.get("title", info.title)
        info.authors = [metadata["author"]] if "author" in metadata else info.authors
        info.description = metadata.get("subject", info.description)
        info.keywords = list(metadata.get("keywords", info.keywords))
        info.generator = metadata.get("creator", info.generator)
        info.created = info.modified = created.isoformat(timespec="seconds")
        # WeasyPrint writes attachment dates as UTC ("Z") from whatever it is given.
        utc = created.astimezone(UTC).replace(tzinfo=None)
        return document.write_pdf(
            pdf_variant="pdf/a-3b",
            attachments=[
                WeasyAttachment(
                    string=item.data,
                    name=item.name,
                    description=item.description,
                    relationship=item.relationship,
                    created=utc,
                    modified=utc,
                )
                # A name tree must be sorted by name (by the UTF-8 bytes WeasyPrint writes) and
                # WeasyPrint keeps the given order; qpdf, for one, cannot find the files otherwise.
                for item in sorted(attachments, key=lambda item: item.name.encode())
            ],
            finisher=_list_each_attachment_once,
        )
    except FatalURLFetchingError as exc:
        raise RenderError(f"the certificate could not be rendered: {exc} ({exc.__cause__})") from exc


def _list_each_attachment_once(document, pdf) -> None:
    """WeasyPrint 70 lists every attachment twice in the catalog's /AF array (once from the name
    tree, once from the file specifications)."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = type(pdf.catalog["AF"])(dict.fromkeys(pdf.catalog["AF"]))


def qr_data_uri(token: str) -> str:
    """The QR code of `token` as a PNG data URI, error correction Q, four pixels per module.

    Place it at about 50 mm: ``<img src="{{ qr }}" style="width: 50mm; height: 50mm;
    image-rendering: pixelated">``: pixelated makes the PDF image non-interpolated, so viewers and
    printers enlarge each module to a sharp square. (With one pixel per module, poppler still smooths
    the enlargement and a 150 dpi scan no longer decodes; four are enough.) A typical
    token (~400 base45 characters) gives version 15 (77 modules plus a 4-module quiet zone), about
    0.6 mm per module at 50 mm, which zbarimg reads from a 150 dpi rendering. A PNG rather than an
    SVG: WeasyPrint draws a bitmap in half the time it takes to parse the SVG's path.
    """
    # The token is base45 behind "LIMS1:": QR alphanumeric characters only, no need to guess the mode.
    qr = segno.make_qr(token, error="q", boost_error=False, mode="alphanumeric")
    return qr.png_data_uri(border=4, scale=4)
