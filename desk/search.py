"""Finding an object by what is written on it: a sample code, a seal number, a lot number, a
certificate number or a customs declaration number, typed, pasted, or entered by a barcode scanner
acting as a keyboard (which types what the code holds, then Enter).

What a scanner may read:
- a sample label's QR code holds the sample's code (samples.views.sample_label);
- a certificate's QR code holds its signed token (``LIMS2:...``, certificates.tokens), and the
  certificate prints its verification address (``.../verify/?number=KZL-2026-000042``);
- a seal's barcode holds the seal number.

Every lookup starts from the rows the user may see (lims.permissions.visible, through the apps'
selectors): an exporter never finds another organisation's lot, sample, seal, certificate or
declaration, and the laboratory never finds a declaration. One query per kind of identifier,
whatever the data.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.db.models import Q
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

from certificates import selectors as certificate_selectors
from certificates import verification, verifier
from customs import selectors as customs_selectors
from lims import permissions
from lims.models import User
from samples import selectors as sample_selectors
from samples.models import Seal

# Longer input is nothing we print: a QR token is the longest (about 360 characters).
MAX_QUERY = 600
# How many hits a list shows.
LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str
    label: str
    url: str
    detail: str = ""


def normalise(text: str) -> str:
    """What was typed or scanned, without the whitespace and line ends around it (a scanner ends with
    Enter, some with a tab too)."""
    return (text or "").strip()


def _from_address(text: str) -> tuple[str, str] | None:
    """A verification address (.../verify/?number=...) names a certificate; an address of a sample's
    page names the sample. Anything else: None."""
    try:
        parts = urlsplit(text)
    except ValueError:  # such as an unclosed IPv6 address: no address of ours
        return None
    if parts.scheme not in ("http", "https"):
        return None
    number = parse_qs(parts.query).get("number")
    if number:
        return "certificate", number[0]
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if "code" in match.kwargs:
        return "sample", match.kwargs["code"]
    return None


def find(user: User, text: str) -> list[Hit]:
    """Everything the user may see that `text` names exactly (case and surrounding spaces do not count)."""
    text = normalise(text)[:MAX_QUERY]
    if not text:
        return []
    address = _from_address(text)
    if address is not None:
        kind, value = address
        return _certificates(user, number=value) if kind == "certificate" else _samples(user, value)
    if text.startswith(verifier.TOKEN_PREFIX):
        return _certificates(user, token=text)
    return [
        *_samples(user, text),
        *_seals(user, text),
        *_lots(user, text),
        *_certificates(user, number=text),
        *_declarations(user, text),
    ]


def _samples(user: User, code: str) -> list[Hit]:
    samples = sample_selectors.sample_list(user).filter(code__in={code, code.upper()})
    return [
        Hit("sample", s.code, reverse("sample_detail", kwargs={"code": s.code}), _sample_detail(s))
        for s in samples[:LIMIT]
    ]


def _sample_detail(sample) -> str:
    return f"{_('Sample')} · {sample.lot.lot_number} · {sample.get_status_display()}"


def _seals(user: User, number: str) -> list[Hit]:
    seals = permissions.visible(user, Seal.objects.all()).filter(number=number.upper()).select_related("sample__lot")
    return [
        Hit(
            "seal",
            seal.number,
            reverse("sample_detail", kwargs={"code": seal.sample.code}),
            _("Seal of sample") + f" {seal.sample.code} · {seal.sample.lot.lot_number}",
        )
        for seal in seals[:LIMIT]
    ]


def _lots(user: User, number: str) -> list[Hit]:
    lots = sample_selectors.lot_list(user).filter(lot_number__iexact=number)
    return [
        Hit("lot", lot.lot_number, reverse("lot_detail", kwargs={"lot_pk": lot.pk}), f"{_('Lot')} · {lot.exporter}")
        for lot in lots[:LIMIT]
    ]


def _certificates(user: User, *, number: str = "", token: str = "") -> list[Hit]:
    certificates = certificate_selectors.certificate_list(user)
    if token:
        # The token as issued, character for character: it is signed, so it is never retyped.
        certificates = certificates.filter(qr_token=token)
    else:
        number = verification.normalise_number(number)
        if not verification.valid_number(number):
            return []
        certificates = certificates.filter(Q(number=number))
    return [
        Hit(
            "certificate",
            c.number or str(c),
            reverse("certificate_detail", kwargs={"cert_pk": c.pk}),
            f"{_('Certificate')} · {c.sample.code} · {c.get_status_display()}",
        )
        for c in certificates[:LIMIT]
    ]


def _declarations(user: User, number: str) -> list[Hit]:
    declarations = customs_selectors.declaration_list(user).filter(number__in={number, number.upper()})
    return [
        Hit(
            "declaration",
            d.number,
            reverse("declaration_detail", kwargs={"declaration_pk": d.pk}),
            f"{_('Declaration')} · {d.lot.lot_number} · {d.get_status_display()}",
        )
        for d in declarations[:LIMIT]
    ]
