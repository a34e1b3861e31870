"""The laboratory's development keys, made once per session in a temporary directory, a sample
certificate issued with them, and the specimens the verifier must tell apart.

Issuing mirrors what the issue task will do: freeze a snapshot, sign a QR token over its hash,
render the HTML (QR drawn, snapshot and token attached), sign the PDF.
"""

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.test import override_settings

from certificates import keys, pdf, signing, status_list, tokens
from certificates.verifier import key_id


@dataclass(frozen=True)
class Issued:
    pdf: bytes
    snapshot: dict
    token: str


def lab_settings(var_dir: Path, **extra):
    return override_settings(VAR_DIR=var_dir, LIMS_GENERATE_DEV_KEYS=True, LIMS_LAB_CODE="KZL", **extra)


def sample_snapshot(number: str) -> dict:
    """A plausible frozen snapshot: the headline assays and a 60-analyte panel."""
    return {
        "number": number,
        "laboratory": {"code": "KZL", "name": "Kazakh Independent Laboratory", "address": "12 Abay Ave, Almaty"},
        "customer": "Altyn Copper LLP",
        "lot": {"number": "LOT-2026-000417", "material": "copper-concentrate", "hs_code": "2603.00"},
        "dry_mass_t": Decimal("4823.512"),
        "moisture_pct": Decimal("8.41"),
        "issued": date(2026, 11, 23),
        "results": [
            {"analyte": f"E{i:02d}", "value": Decimal(i) / 7, "unit": "g/t", "method": "ICP-MS"} for i in range(1, 61)
        ],
        "headline": {"Cu": "23.41", "Au": "19.08", "Ag": "157.0", "TREO": "0.0123"},
    }


def sample_claims(number: str, snapshot: dict, signing_kid: str) -> dict:
    return {
        "n": number,
        "k": signing_kid,
        "l": "LOT-2026-000417",
        "d": date(2026, 11, 23),
        "w": Decimal("4823.512"),
        "a": {
            "Cu": [Decimal("23.41"), "%"],
            "Au": [Decimal("19.08"), "g/t"],
            "Ag": [Decimal("157.0"), "g/t"],
            "TREO": [Decimal("0.0123"), "%"],
        },
        "h": tokens.snapshot_sha256(snapshot),
    }


def certificate_html(snapshot: dict, qr: str) -> str:
    """Stands in for the real template: two A4 pages, a 60-row table, the QR at 50 mm."""
    rows = "".join(
        f"<tr><td>{r['analyte']}</td><td>{r['value']:.4f}</td><td>{r['unit']}</td><td>{r['method']}</td></tr>"
        for r in snapshot["results"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate of Analysis {snapshot["number"]}</title>
<style>
  @page {{ size: A4; margin: 18mm 16mm 20mm;
    @bottom-right {{ content: "{snapshot["number"]} - page " counter(page) " of " counter(pages);
                     font-family: "DejaVu Sans", sans-serif; font-size: 8pt; }} }}
  body {{ font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }}
  table {{ width: 100%; border-collapse: collapse; }}
  td, th {{ border-bottom: 0.3pt solid #999; padding: 1mm; text-align: left; }}
  .qr {{ position: absolute; top: 0; right: 0; width: 50mm; height: 50mm; }}
  header {{ margin-right: 55mm; min-height: 52mm; }}
</style></head>
<body>
  <img class="qr" src="{qr}" alt="QR">
  <header>
  <h1>Certificate of Analysis</h1>
  <p>No. {snapshot["number"]}<br>{snapshot["laboratory"]["name"]}, {snapshot["laboratory"]["address"]}</p>
  <p>Customer: {snapshot["customer"]}<br>Lot {snapshot["lot"]["number"]}, copper concentrate (HS 2603.00),
     dry mass {snapshot["dry_mass_t"]} t, moisture {snapshot["moisture_pct"]} %.</p>
  <p>Cu 23.41 %, Au 19.08 g/t, Ag 157.0 g/t, TREO 0.0123 %</p>
  </header>
  <table><thead><tr><th>Analyte</th><th>Value</th><th>Unit</th><th>Method</th></tr></thead>
  <tbody>{rows}</tbody></table>
  <p>The results relate only to the items tested. Authorised by the chief chemist.</p>
  <p><strong>End of certificate.</strong></p>
</body></html>"""


def issue(number: str, *, token_key: keys.TokenKey | None = None, claims: dict | None = None, sign=True) -> Issued:
    """Issue a certificate with the configured keys; `token_key` and `claims` override the genuine ones."""
    snapshot = sample_snapshot(number)
    token_key = token_key or keys.load_token_key()
    claims = claims or sample_claims(number, snapshot, keys.signing_kid())
    token = tokens.encode_token(claims, key=token_key.key, kid=token_key.kid)
    html = certificate_html(snapshot, pdf.qr_image(token).data_uri)
    metadata = {
        "title": f"Certificate of Analysis {number}",
        "author": "Kazakh Independent Laboratory",
        "subject": "Copper concentrate, lot LOT-2026-000417",
        "keywords": [number, "LOT-2026-000417"],
        "created": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    }
    document = pdf.render_pdf(
        html, base_url=None, attachments=pdf.certificate_attachments(snapshot=snapshot, token=token), metadata=metadata
    )
    if sign:
        document = signing.sign_pdf(document, reason="Certificate of analysis", location="Almaty, KZ")
    return Issued(pdf=document, snapshot=snapshot, token=token)


def make_signing_ca(
    directory: Path, name: str, *, bits: int = 2048, non_repudiation: bool = True
) -> tuple[Path, Path, x509.Certificate]:
    """A self-made CA and a signing certificate from it, as PEM files: (key, certificate + root, root)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} signer")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=non_repudiation,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([keys.DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key_file, cert_file = directory / "key.pem", directory / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, root)))
    return key_file, cert_file, root


def flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def signed_ranges(data: bytes) -> list[int]:
    """The /ByteRange of the laboratory's signature (the first; a document timestamp follows it):
    [start1, length1, start2, length2]."""
    start = data.index(b"/ByteRange [") + len(b"/ByteRange [")
    return [int(part) for part in data[start : data.index(b"]", start)].split()]


def append_update(data: bytes, change: str) -> bytes:
    """The signed file with an incremental update after the signature, as an editor would write it:
    change "title" edits the Info dictionary, "annotation" stamps a note on the first page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    if change == "title":
        info_ref = writer.trailer.raw_get("/Info")
        info_ref.get_object()["/Title"] = generic.TextStringObject("Certificate of Analysis (corrected)")
        writer.mark_update(info_ref)
    else:
        page_ref, _ = writer.find_page_for_modification(0)
        note = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
                generic.NameObject("/Rect"): generic.ArrayObject(map(generic.NumberObject, (50, 700, 250, 740))),
                generic.NameObject("/Contents"): generic.TextStringObject("Au 1.9 g/t"),
                generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
            }
        )
        page_ref.get_object()[generic.NameObject("/Annots")] = generic.ArrayObject([writer.add_object(note)])
        writer.mark_update(page_ref)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def write_revocation_list(directory: Path, *, issued_at=None, validity=timedelta(hours=24), **entries) -> None:
    """revocations.json as the laboratory publishes it, signed with its status key; issued now unless
    `issued_at` says when (an old list)."""
    status_key = keys.load_status_key()
    signed = status_list.sign_status_list(
        issuer="KZL",
        sequence=1,
        issued_at=issued_at or datetime.now(UTC),
        validity=validity,
        revoked=entries.get("revoked", []),
        superseded=entries.get("superseded", []),
        key=status_key.key,
        kid=status_key.kid,
    )
    (directory / "revocations.json").write_text(json.dumps(signed))


def tool(name: str) -> str | None:
    return shutil.which(name)


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, **kwargs)


@pytest.fixture(scope="session")
def lab_dir(tmp_path_factory) -> Path:
    """VAR_DIR of the laboratory; its development keys are generated on first use."""
    return tmp_path_factory.mktemp("lab-var")


@pytest.fixture
def lab(settings, lab_dir):
    """The laboratory's settings for one test (keys generated once per session)."""
    settings.VAR_DIR = lab_dir
    settings.LIMS_GENERATE_DEV_KEYS = True
    settings.LIMS_LAB_CODE = "KZL"


@pytest.fixture(scope="session")
def genuine(lab_dir) -> Issued:
    with lab_settings(lab_dir):
        return issue("KZL-2026-000417")


@pytest.fixture(scope="session")
def other_genuine(lab_dir) -> Issued:
    """A second genuine certificate, whose token can be pasted into another."""
    with lab_settings(lab_dir):
        return issue("KZL-2026-000418")


@pytest.fixture(scope="session")
def published(lab_dir, tmp_path_factory) -> Path:
    """The directory the laboratory publishes for offline verification, with an empty revocation list."""
    directory = tmp_path_factory.mktemp("published")
    with lab_settings(lab_dir):
        keys.export_public_material(directory)
        write_revocation_list(directory)
    return directory


@pytest.fixture(scope="session")
def foreign_ca(tmp_path_factory):
    """Someone else's CA and signing certificate: (key file, certificate file, root)."""
    return make_signing_ca(tmp_path_factory.mktemp("foreign-ca"), "Forgers Ltd")


@pytest.fixture(scope="session")
def signed_by_foreign_ca(lab_dir, foreign_ca) -> bytes:
    """A certificate with a genuine-looking token, signed with a certificate that is not the lab's."""
    key_file, cert_file, _ = foreign_ca
    with lab_settings(lab_dir):
        genuine_kid = keys.signing_kid()
    with lab_settings(lab_dir, LIMS_SIGNING_KEY=key_file, LIMS_SIGNING_CERT=cert_file):
        snapshot = sample_snapshot("KZL-2026-000417")
        return issue("KZL-2026-000417", claims=sample_claims("KZL-2026-000417", snapshot, genuine_kid)).pdf


@pytest.fixture(scope="session")
def foreign_token_key():
    key = Ed25519PrivateKey.generate()
    return keys.TokenKey(key=key, kid=key_id(key.public_key()))


@pytest.fixture(scope="session")
def token_by_foreign_key(lab_dir, foreign_token_key) -> bytes:
    """Signed by the laboratory's PDF key, but the QR token is someone else's."""
    with lab_settings(lab_dir):
        return issue("KZL-2026-000417", token_key=foreign_token_key).pdf


@pytest.fixture(scope="session")
def pasted_token(lab_dir, other_genuine) -> bytes:
    """Signed by the laboratory, but carrying the genuine token of another certificate."""
    with lab_settings(lab_dir):
        snapshot = sample_snapshot("KZL-2026-000417")
        token = other_genuine.token
        html = certificate_html(snapshot, pdf.qr_image(token).data_uri)
        attachments = pdf.certificate_attachments(snapshot=snapshot, token=token)
        document = pdf.render_pdf(html, base_url=None, attachments=attachments, metadata={"title": "x"})
        return signing.sign_pdf(document, reason="Certificate of analysis", location="Almaty, KZ")
