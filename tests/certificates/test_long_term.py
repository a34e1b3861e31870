"""Certificates that stay trustworthy over years: every issued certificate is PAdES B-LTA (signature
timestamp, DSS with the chains and CRLs, document timestamp), and it still verifies after its signing
certificate has expired, because the timestamps prove when it was signed; a forged or missing
timestamp is refused. The timestamps come from the local RFC 3161 authority over HTTP (tests/conftest.py
`local_tsa`, through `keys_dir`)."""

import asyncio
import io
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.checks import run_checks
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

from certificates import keys, publication, signing, status_list, tsa, verification, verifier
from tests.certificates.lib.conftest import run, tool
from tests.certificates.lib.test_signing import _tsa_material
from tests.certificates.test_verification import issue, pdf_of  # noqa: F401 - issue is a fixture
from tests.conftest import require_or_skip

YEARS_LATER = timedelta(days=11 * 365)  # the development signing certificate is valid for 10 years


def asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def lta_result(data: bytes, roots):
    """pyHanko's own AdES LTA validation, offline, revocation data required."""
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[asn1(root) for root in roots]),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    return asyncio.run(ades_lta_validation(signature, spec))


def verdict_of(data: bytes) -> verifier.Verdict:
    return verifier.verify_pdf(
        data, trust_roots=keys.trust_roots(), token_keys=keys.published_token_keys(), revocations=None
    )


def sign_with(data: bytes, *, timestamper=None, field_name: str = "LabSignature") -> bytes:
    """The laboratory's key signing with pyHanko directly: B-B without a timestamper, B-T with one."""
    metadata = PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES)
    output = io.BytesIO()
    PdfSigner(metadata, signer=signing._signer(keys.load_signing_material()), timestamper=timestamper).sign_pdf(
        signing._MetadataPreservingWriter(io.BytesIO(data)), output=output
    )
    return output.getvalue()


def unsigned(data: bytes) -> bytes:
    """The certificate as rendered, before the laboratory signed it (the first revision)."""
    end = data.index(b"%%EOF") + len(b"%%EOF")
    return data[: end + 1] if data[end : end + 1] == b"\n" else data[:end]


@pytest.fixture
def certificate_pdf(issue):  # noqa: F811
    return pdf_of(issue())


def test_every_issued_certificate_is_b_lta(certificate_pdf, local_tsa):
    reader = PdfFileReader(io.BytesIO(certificate_pdf))
    signature, timestamp = reader.embedded_signatures

    assert signature.sig_object_type == "/Sig" and timestamp.sig_object_type == "/DocTimeStamp"
    assert timestamp.signed_revision > signature.signed_revision
    # B-T: a signature timestamp from the local authority, over HTTP.
    result = lta_result(certificate_pdf, keys.trust_roots())
    assert result.signature_timestamp_status is not None
    tsa_subject = local_tsa.authority.certificate.subject
    assert result.api_status.timestamp_validity.validation_path.leaf.subject == tsa_subject
    # B-LT: the DSS holds the chains and the roots' CRLs.
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 3 and len(dss["/CRLs"]) == 2
    # B-LTA: the document timestamp covers it all and validates.
    assert result.oldest_evidence_record_timestamp is not None
    assert result.api_status.bottom_line
    details = verdict_of(certificate_pdf).details
    assert datetime.fromisoformat(details["proven signing time"]) == result.best_signature_time


def test_pyhanko_pdfsig_and_qpdf_agree_on_an_issued_certificate(certificate_pdf, tmp_path):
    require_or_skip(tool("pdfsig") and tool("certutil") and tool("qpdf"), "pdfsig, certutil and qpdf")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate_pdf)
    database = tmp_path / "nss"
    database.mkdir()
    assert run("certutil", "-N", "--empty-password", "-d", f"sql:{database}").returncode == 0
    for number, root in enumerate(keys.trust_roots()):
        (tmp_path / f"root-{number}.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
        added = run("certutil", "-A", "-n", f"root-{number}", "-t", "C,C,C", "-i", str(tmp_path / f"root-{number}.pem"), "-d", f"sql:{database}")  # fmt: skip
        assert added.returncode == 0, added.stderr

    report = run("pdfsig", "-nssdir", f"sql:{database}", str(path)).stdout
    signature, timestamp = report.split("Signature #2:")
    assert "Signature is Valid." in signature and "Certificate is Trusted." in signature
    assert "ETSI.CAdES.detached" in signature
    assert "Total document signed" in timestamp  # the document timestamp covers the whole file
    assert lta_result(certificate_pdf, keys.trust_roots()).api_status.bottom_line
    checked = run("qpdf", "--check", str(path))
    assert checked.returncode == 0 and "No syntax or stream encoding errors" in checked.stdout
    # Still PDF 1.7 (PDF/A-3), Info and XMP as rendered: the B-LTA update touched neither.
    assert certificate_pdf.startswith(b"%PDF-1.7")

    def show(pattern: str, text: str, *options: str) -> str:
        number = re.search(pattern, text)[1]
        return run("qpdf", f"--show-object={number}", *options, str(path)).stdout

    trailer = run("qpdf", "--show-object=trailer", str(path)).stdout
    catalog = show(r"/Root (\d+) 0 R", trailer)
    assert "/Version" not in catalog
    info = show(r"/Info (\d+) 0 R", trailer)
    xmp = show(r"/Metadata (\d+) 0 R", catalog, "--filtered-stream-data")
    [producer] = re.findall(r"/Producer \((.*?)\)", info)
    assert re.findall(r'pdf:Producer="(.*?)"', xmp) == [producer] and "pyHanko" not in producer


def test_it_verifies_after_its_signing_certificate_expired(issue, certificate_pdf):  # noqa: F811
    """In process (time-machine): the portal, pyHanko's validator and the verifier, 11 years on."""
    signing_certificate = keys.load_signing_material().certificate
    without_timestamps = sign_with(unsigned(certificate_pdf))
    roots = keys.trust_roots()
    later = datetime.now(UTC) + YEARS_LATER
    assert later > signing_certificate.not_valid_after_utc

    with time_machine.travel(later, tick=False):
        assert verification.check_file(certificate_pdf).verdict == "authentic"
        result = lta_result(certificate_pdf, roots)
        verdict = verdict_of(certificate_pdf)
        # The rule: without a timestamp nothing proves the signature older than the expiry.
        bare = verifier.verify_pdf(
            without_timestamps, trust_roots=roots, token_keys=keys.published_token_keys(), revocations=None,
            require_timestamp=False,
        )  # fmt: skip

    assert result.api_status.bottom_line and result.best_signature_time < signing_certificate.not_valid_after_utc
    assert verdict.status == "authentic", verdict.message
    assert verdict.details["proven signing time"] < signing_certificate.not_valid_after_utc.isoformat()
    assert bare.status == "not_ours" and "expired" in bare.message


@pytest.fixture
def faketime():
    require_or_skip(bool(shutil.which("faketime")), "faketime (Debian package faketime)")
    return shutil.which("faketime")


def test_the_offline_kit_verifies_it_eleven_years_later(certificate_pdf, faketime, tmp_path):
    """The kit as an inspector downloads it, run under faketime: the signing certificate has expired,
    the laboratory has published a fresh status list since, and the verdict is still authentic."""
    kit = _kit(tmp_path / "inspector")
    status_key = keys.load_status_key()
    later = datetime.now(UTC) + YEARS_LATER
    fresh = status_list.sign_status_list(
        issuer=status_list_issuer(kit), sequence=1000, issued_at=later, validity=timedelta(days=7),
        revoked=[], superseded=[], key=status_key.key, kid=status_key.kid,
    )  # fmt: skip
    (kit / "revocations.json").write_text(json.dumps(fresh))
    (kit / "certificate.pdf").write_bytes(certificate_pdf)
    (kit / "plain.pdf").write_bytes(sign_with(unsigned(certificate_pdf)))

    def kit_at(offset: str, name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [faketime, "-f", offset, sys.executable, "verifier.py", name, "--keys", "."],
            cwd=kit, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip

    result = kit_at(f"+{YEARS_LATER.days}d", "certificate.pdf")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("AUTHENTIC: ")
    assert "proven signing time:" in result.stdout
    # The same signature without timestamps: nothing proves it older than the expiry (and it is
    # not B-LTA in the first place).
    plain = kit_at(f"+{YEARS_LATER.days}d", "plain.pdf")
    assert plain.returncode != 0 and "timestamp" in plain.stdout, plain.stdout


def _kit(folder):
    """The kit as the portal serves it (test_offline_kit downloads it): published files and verifier.py."""
    publication.publish()
    folder.mkdir(parents=True)
    for name, file in (("keys", "keys.json"), ("revocations", "revocations.json"), ("root", "root.pem")):
        (folder / file).write_bytes(publication.published_file(name))
    (folder / "verifier.py").write_bytes(publication.verifier_source())
    return folder


def status_list_issuer(kit) -> str:
    return json.loads((kit / "revocations.json").read_text())["payload"]["issuer"]


@pytest.fixture
def foreign_tsa():
    """Someone else's timestamp authority (its root is not the laboratory's): (timestamper, root)."""
    root, timestamper = _tsa_material()
    return timestamper, root


def stamper(cert_pem: bytes, key_pem: bytes) -> DummyTimeStamper:
    from cryptography import x509

    certificate = x509.load_pem_x509_certificates(cert_pem)[0]
    key = serialization.load_pem_private_key(key_pem, None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return DummyTimeStamper(tsa_cert=asn1(certificate), tsa_key=asn1_keys.PrivateKeyInfo.load(der))


def test_a_timestamp_from_an_authority_the_laboratory_does_not_trust_is_refused(
    certificate_pdf, foreign_tsa, monkeypatch
):
    # The forger's signing worker trusts that authority (the real one refuses it, see lib/test_signing).
    timestamper, root = foreign_tsa
    context = signing._validation_context
    monkeypatch.setattr(signing, "get_timestamper", lambda: timestamper)
    monkeypatch.setattr(signing, "_validation_context", lambda material: _also_trusting(context(material), root))

    forged = signing.sign_pdf(unsigned(certificate_pdf), reason="Certificate", location="Almaty")
    verdict = verdict_of(forged)

    assert verdict.status == "not_ours"
    assert "timestamp is not from a timestamp authority the laboratory trusts" in verdict.message
    assert "proven signing time" not in verdict.details


def _also_trusting(context: ValidationContext, root) -> ValidationContext:
    return ValidationContext(
        trust_roots=[*[asn1(cert) for cert in keys.trust_roots()], asn1(root)],
        crls=signing._crls(),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def test_a_timestamp_signed_with_another_key_than_its_authoritys_is_refused(certificate_pdf, monkeypatch):
    """A token that names the laboratory's authority but is signed with another key."""
    material = keys.load_dev_tsa_material()
    wrong_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged_stamper = stamper(
        b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in (material.certificate, *material.chain)),
        wrong_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    with_forged_timestamp = sign_with(unsigned(certificate_pdf), timestamper=forged_stamper)
    honest = signing.get_timestamper()
    monkeypatch.setattr(signing, "get_timestamper", lambda: honest)
    # The genuine B-LTA update on top: only the signature timestamp is forged.
    writer = signing._MetadataPreservingWriter(io.BytesIO(with_forged_timestamp))
    output = io.BytesIO()
    from pyhanko.sign.signers import PdfTimeStamper

    PdfTimeStamper(honest).timestamp_pdf(writer, "sha256", output=output)

    verdict = verdict_of(output.getvalue())

    assert verdict.status == "altered"
    assert "signature's timestamp" in verdict.message


def test_a_signature_without_timestamps_is_refused(certificate_pdf):
    bare = sign_with(unsigned(certificate_pdf))
    only_b_t = sign_with(unsigned(certificate_pdf), timestamper=signing.get_timestamper())

    assert (verdict := verdict_of(bare)).status == "invalid" and "no timestamp" in verdict.message
    assert (verdict := verdict_of(only_b_t)).status == "invalid" and "no document timestamp" in verdict.message
    # Without the laboratory's B-LTA policy the bare signature itself is fine: the refusal is the rule.
    lenient = verifier.verify_pdf(
        bare, trust_roots=keys.trust_roots(), token_keys=keys.published_token_keys(), revocations=None,
        require_timestamp=False,
    )  # fmt: skip
    assert lenient.status == "authentic", lenient.message


def test_a_document_timestamp_after_an_edit_does_not_make_the_edit_legitimate(certificate_pdf):
    """Only DSS and document timestamps may follow the signature: a changed title, then a fresh
    (genuine) document timestamp over it, is still a change after signing."""
    from pyhanko.pdf_utils import generic
    from pyhanko.sign.signers import PdfTimeStamper

    writer = signing._MetadataPreservingWriter(io.BytesIO(certificate_pdf))
    info = writer.trailer.raw_get("/Info")
    info.get_object()["/Title"] = generic.TextStringObject("Certificate of Analysis (corrected)")
    writer.mark_update(info)
    output = io.BytesIO()
    PdfTimeStamper(signing.get_timestamper()).timestamp_pdf(writer, "sha256", output=output)

    verdict = verdict_of(output.getvalue())

    assert verdict.status == "altered" and "after it was signed" in verdict.message


def test_the_local_authority_speaks_rfc_3161_over_http(local_tsa):
    def post(body: bytes, content_type: str = tsa.QUERY_TYPE):
        request = urllib.request.Request(local_tsa.url, data=body, headers={"Content-Type": content_type})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local http URL
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()

    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"certificate")
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest.finalize()},
            "nonce": 12345,
            "cert_req": True,
        }
    )
    status, content_type, body = post(request.dump())
    assert (status, content_type) == (200, tsa.REPLY_TYPE)
    response = tsp.TimeStampResp.load(body)
    assert response["status"]["status"].native == "granted"
    token = response["time_stamp_token"]["content"]
    info = token["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 12345 and info["policy"].dotted == tsa.POLICY
    [certificate] = [
        choice.chosen
        for choice in token["certificates"]
        if choice.chosen.subject == local_tsa.authority.certificate.subject
    ]
    # The authority's certificate: timeStamping, the only extended key usage, critical (RFC 3161, 2.3).
    extensions = {ext["extn_id"].native: ext for ext in certificate["tbs_certificate"]["extensions"]}
    assert extensions["extended_key_usage"]["critical"].native
    assert extensions["extended_key_usage"]["extn_value"].native == ["time_stamping"]

    sha1 = tsp.TimeStampReq(
        {"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha1"}, "hashed_message": bytes(20)}}
    )
    rejected = tsa._Rejection.load(post(sha1.dump())[2])  # asn1crypto's TimeStampResp insists on a token
    assert rejected["status"]["status"].native == "rejection"
    assert rejected["status"]["fail_info"].native == {"bad_alg"}
    assert post(request.dump(), "application/octet-stream")[0] == 415


def test_production_needs_a_timestamp_authority(settings):
    settings.DEBUG = False
    settings.LIMS_GENERATE_DEV_KEYS = False
    settings.LIMS_TSA_URL = None

    assert "certificates.E001" in [message.id for message in run_checks()]

    settings.LIMS_TSA_URL = "https://tsa.example.org/"
    assert "certificates.E001" not in [message.id for message in run_checks()]
