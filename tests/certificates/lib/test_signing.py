"""The signed certificate, checked with tools that share no code with ours: poppler's pdfsig, qpdf,
and pyHanko's own validator; a timestamp from a local timestamp authority for B-T."""

import asyncio
import http.server
import io
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from certificates import keys, signing, verifier
from certificates.verifier import SNAPSHOT_ATTACHMENT, canonical_json
from tests.conftest import require_or_skip

from .conftest import append_update, issue, lab_settings, run, tool


def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def pyhanko_status(data: bytes, roots: list[x509.Certificate]):
    # The laboratory's signature; a document timestamp follows it (PAdES B-LTA).
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[asn1(root) for root in roots], allow_fetching=False)
    return validate_pdf_signature(signature, signer_validation_context=context)


@pytest.fixture
def nss_db(tmp_path, lab):
    """A fresh NSS database that trusts the laboratory's root, as an inspector's pdfsig would."""
    require_or_skip(tool("pdfsig") and tool("certutil"), "pdfsig and certutil (poppler-utils, libnss3-tools)")
    database = tmp_path / "nss"
    database.mkdir()
    assert run("certutil", "-N", "--empty-password", "-d", f"sql:{database}").returncode == 0
    for number, cert in enumerate(keys.trust_roots()):  # certutil adds one certificate per call
        root = tmp_path / f"root-{number}.pem"
        root.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        added = run("certutil", "-A", "-n", f"root-{number}", "-t", "C,C,C", "-i", str(root), "-d", f"sql:{database}")
        assert added.returncode == 0, added.stderr
    return f"sql:{database}"


def pdfsig(nss_db: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    return run("pdfsig", "-nssdir", nss_db, str(path)).stdout


def test_pdfsig_finds_it_valid_trusted_and_whole(genuine, nss_db, tmp_path):
    report = pdfsig(nss_db, genuine.pdf, tmp_path)
    signature, timestamp = report.split("Signature #2:")

    assert "Signature Validation: Signature is Valid." in signature
    assert "Certificate Validation: Certificate is Trusted." in signature
    assert "Signature Type: ETSI.CAdES.detached" in signature
    # The document timestamp (B-LTA) covers the whole file; pdfsig cannot validate that kind.
    assert "Signature Field Name: LabArchiveTimestamp" in timestamp
    assert "Total document signed" in timestamp


@pytest.mark.parametrize(
    ("change", "level"), [("title", ModificationLevel.LTA_UPDATES), ("annotation", ModificationLevel.OTHER)]
)
def test_pdfsig_misses_an_update_after_signing_but_we_do_not(genuine, nss_db, tmp_path, lab, change, level):
    updated = append_update(genuine.pdf, change)
    report = pdfsig(nss_db, updated, tmp_path)

    # pdfsig still calls it valid and only drops "Total document signed"...
    assert "Signature is Valid." in report
    assert "Total document signed" not in report
    # ...and pyHanko rates an edited title as harmless as archival updates (its bottom line stays
    # True); only an annotation is OTHER. Hence the verifier requires no change at all.
    status = pyhanko_status(updated, keys.trust_roots())
    assert status.modification_level == level
    assert status.bottom_line == (change == "title")
    verdict = verifier.verify_pdf(
        updated, trust_roots=keys.trust_roots(), token_keys=keys.published_token_keys(), revocations=None
    )
    assert verdict.status == "altered"


def test_pyhanko_finds_it_intact_valid_trusted_and_unmodified(genuine, lab):
    status = pyhanko_status(genuine.pdf, keys.trust_roots())

    assert status.intact and status.valid and status.trusted
    # What follows the signature is the B-LTA update (DSS and document timestamp), nothing else.
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    assert status.docmdp_ok
    assert status.bottom_line
    assert status.md_algorithm == "sha256"
    assert status.pkcs7_signature_mechanism in {"rsassa_pkcs1v15", "sha256_rsa"}


def test_qpdf_finds_no_errors_and_the_attached_snapshot(genuine, tmp_path):
    require_or_skip(tool("qpdf"), "qpdf")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(genuine.pdf)

    checked = run("qpdf", "--check", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors" in checked.stdout
    listed = run("qpdf", "--list-attachments", str(path)).stdout
    assert SNAPSHOT_ATTACHMENT in listed
    shown = run("qpdf", f"--show-attachment={SNAPSHOT_ATTACHMENT}", str(path))
    assert shown.stdout.encode() == canonical_json(genuine.snapshot)


def test_signing_keeps_pdf_1_7_and_the_metadata_in_agreement(genuine, tmp_path):
    require_or_skip(tool("qpdf"), "qpdf")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(genuine.pdf)

    def show(obj: str, *options) -> str:
        return run("qpdf", f"--show-object={obj}", *options, str(path)).stdout

    trailer = show("trailer")
    info = show(re.search(r"/Info (\d+) 0 R", trailer)[1])
    catalog = show(re.search(r"/Root (\d+) 0 R", trailer)[1])
    xmp = show(re.search(r"/Metadata (\d+) 0 R", catalog)[1], "--filtered-stream-data")

    assert "/Version" not in catalog  # pyHanko did not raise the version for the signature
    [info_producer] = re.findall(r"/Producer \((.*?)\)", info)
    [xmp_producer] = re.findall(r'pdf:Producer="(.*?)"', xmp)
    assert info_producer == xmp_producer == "WeasyPrint 70.0"
    [title] = re.findall(r"/Title \((.*?)\)", info)
    assert f'<rdf:li xml:lang="x-default">{title}</rdf:li>' in xmp
    # Both dates stay as rendered: signing adds no Info /ModDate that XMP lacks.
    assert "/ModDate (D:20261123100000+00'00)" in info
    assert "<xmp:ModifyDate>2026-11-23T10:00:00+00:00</xmp:ModifyDate>" in xmp


def test_the_signer_is_built_once_per_key(lab):
    material = keys.load_signing_material()

    assert signing._signer(material) is signing._signer(keys.load_signing_material())


def _tsa_material():
    """A timestamp authority of our own: root and a TSA certificate (timeStamping, critical)."""
    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    der_key = tsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return root, DummyTimeStamper(tsa_cert=asn1(tsa), tsa_key=asn1_keys.PrivateKeyInfo.load(der_key))


@pytest.fixture
def tsa_server():
    """An RFC 3161 timestamp authority on localhost: (URL, its root, number of requests)."""
    root, stamper = _tsa_material()
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(request)
            body = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root, requests
    server.shutdown()
    server.server_close()


def test_a_timestamp_authority_whose_root_is_not_published_is_refused_when_signing(lab_dir, settings, tsa_server):
    """Its timestamps would prove nothing to a verifier (certificates.verifier requires them to chain to
    the published roots): signing stops with pyHanko's reason rather than issue such certificates."""
    url, _, requests = tsa_server
    with lab_settings(lab_dir, LIMS_TSA_URL=url), pytest.raises(keys.KeyConfigurationError, match="published roots"):
        issue("KZL-2026-000419")

    assert requests, "the timestamp authority was not asked"


def test_an_unreachable_timestamp_authority_is_a_retryable_error(genuine, settings, lab):
    settings.LIMS_TSA_URL = "http://127.0.0.1:9/"  # the discard port: nothing listens

    with pytest.raises(signing.TimestampUnavailable):
        signing.sign_pdf(genuine.pdf, reason="r", location="l", field_name="Second")
