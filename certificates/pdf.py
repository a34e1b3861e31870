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


# A module of the printed QR code: 3 pt (1.06 mm), so that a rendering at 72 dpi, or a phone picture of
# the page 600 pixels wide (about 72 pixels per inch), still gives every module 3 pixels.
QR_MODULE_PT = 3
# The quiet zone the QR standard asks for, in modules, drawn as part of the image.
QR_BORDER = 4


@dataclass(frozen=True)
class QRImage:
    data_uri: str  # a PNG, four pixels per module
    version: int
    width_pt: int  # the printed width, quiet zone included

    @property
    def width_mm(self) -> float:
        return round(self.width_pt * 25.4 / 72, 1)


def qr_image(token: str) -> QRImage:
    """The QR code of `token` at error correction M, and the width to print it at.

    Place it at exactly that width: ``<img src="{{ qr.data_uri }}" style="width: {{ qr.width_pt }}pt;
    height: {{ qr.width_pt }}pt; image-rendering: pixelated">``; pixelated makes the PDF image
    non-interpolated, so viewers and printers enlarge each module to a sharp square. (With one pixel
    per module, poppler still smooths the enlargement; four are enough.) Error correction M, not Q:
    the room goes into larger modules instead, which is what a low-resolution copy needs (a module
    under 3 pixels does not decode however much redundancy it carries), and M still restores 15 % of
    a smudged or creased code. A PNG rather than an SVG: WeasyPrint draws a bitmap in half the time
    it takes to parse the SVG's path. Sizes measured: see certificates.tokens.
    """
    # The token is base45 behind "LIMS2:": QR alphanumeric characters only, no need to guess the mode.
    qr = segno.make_qr(token, error="m", boost_error=False, mode="alphanumeric")
    modules = int(qr.symbol_size(border=QR_BORDER)[0])
    return QRImage(
        data_uri=qr.png_data_uri(border=QR_BORDER, scale=4), version=int(qr.version), width_pt=modules * QR_MODULE_PT
    )
