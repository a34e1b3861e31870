"""PAdES B-LTA signature of a rendered certificate. Signing happens in the Celery workers that issue
certificates, and only there (certificates.keys says which process holds which key).

A signed certificate has three revisions after the rendered file:
1. the signature (ETSI.CAdES.detached), carrying an RFC 3161 signature timestamp (B-T);
2. in one further incremental update, the Document Security Store (DSS: the certificates of the
   signer and of the timestamp authority and their revocation data, B-LT) and a document timestamp
   over all of it (B-LTA).
A validator years later, after the signing certificate has expired, checks the signature at the time
the timestamps prove (certificates.verifier), with the revocation data the DSS kept.

The timestamp authority is settings.LIMS_TSA_URL (required in production, certificates.checks); with
development keys and no URL, the development authority of certificates.tsa, in process. The
revocation data: the development roots' CRLs (keys.revocation_data, always embedded) or, in
production, what the worker fetches from the addresses the certificates name ("hard-fail": a
revoked certificate, or an address that does not answer, stops the signature). Signing checks the
signer's chain against the published roots and the configured chain's own root; whether that root is
the laboratory's, and whether the revocation data suffices, is the verifier's to judge (it requires
revocation data for every certificate). A timestamp authority that does not answer raises
TimestampUnavailable (transient: the issue task retries); unusable signing material, a timestamp
authority whose root is not published, or failing revocation data fail the certificate with
pyHanko's reason.

RSA with SHA-256 keeps the file at PDF 1.7, as PDF/A-3 requires (the ESIC extension is declared in
the catalog); document timestamps do not raise it either.

Metadata: when pyHanko writes a revision it normally appends itself to the Info /Producer and
rewrites the XMP packet with pdf:Producer "pyHanko x.y", after which the two disagree (PDF/A forbids
that); its XMP re-serialisation can also break PDF/A extension schemas (pyHanko issue #755). The
writer below holds that update back, as pyHanko's maintainer suggests (issue #223; an internal hook,
checked by the tests on every upgrade): WeasyPrint wrote matching Info and XMP, and signing leaves
both as rendered. pyHanko's own B-LTA step (use_pades_lta) opens a plain writer for the DSS and the
document timestamp, so that step is done here, with the same writer: the signature first (B-T,
validation context given, so the signer's chain is checked before signing), then DSS and document
timestamp together in one update (pyHanko's default placement, TOGETHER_WITH_NEXT_TS), Info and XMP
untouched.

Speed: the signer wraps the key parsed once per process (certificates.keys) and signs in about 25 ms;
pyHanko's SimpleSigner re-parses the RSA key on each of its two signing passes per document (250 ms
or more here). With a PKCS#11 token, pyHanko's PKCS11Signer on the session keys.pkcs11_session opens
once per process. The timestamps add the authority's round trips (two tokens, and one size probe
pyHanko caches per timestamper).
"""

import asyncio
import functools
import io

from asn1crypto import algos
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper, Signer
from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from certificates import keys

TSA_TIMEOUT_SECONDS = 10
DOCUMENT_TIMESTAMP_FIELD = "LabArchiveTimestamp"


class TimestampUnavailable(Exception):
    """The timestamp authority did not answer: transient, the issuing task retries."""


def sign_pdf(pdf: bytes, *, reason: str, location: str, contact: str = "", field_name: str = "LabSignature") -> bytes:
    """Sign `pdf` (PAdES B-LTA, as incremental updates) and return the signed file."""
    material = keys.load_signing_material()
    signer = _signer(material)
    timestamper = get_timestamper()
    context = _validation_context(material)
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        contact_info=contact or None,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        validation_context=context,
    )
    try:
        return asyncio.run(_sign_lta(pdf, PdfSigner(metadata, signer=signer, timestamper=timestamper), context))
    except TimestampRequestError as exc:
        where = getattr(settings, "LIMS_TSA_URL", None) or "(local)"
        raise TimestampUnavailable(f"timestamp authority {where} did not answer: {exc}") from exc
    except (PathError, SigningError) as exc:
        raise keys.KeyConfigurationError(
            f"the signing or timestamp authority's certificate cannot be validated against the published roots "
            f"and revocation data: {exc}"
        ) from exc


async def _sign_lta(pdf: bytes, pdf_signer: PdfSigner, context: ValidationContext) -> bytes:
    signed = io.BytesIO()
    timestamper = pdf_signer.default_timestamper
    assert timestamper is not None
    # The space for the two CMS containers, from what they hold (pyHanko would otherwise make and
    # measure a throw-away signature and timestamp for every document: about 15 ms).
    stamp = len((await timestamper.async_dummy_response("sha256")).dump())
    signer = pdf_signer.signer
    assert signer.signing_cert is not None
    certificates = len(signer.signing_cert.dump()) + sum(len(cert.dump()) for cert in signer.cert_registry)
    await pdf_signer.async_sign_pdf(
        _MetadataPreservingWriter(io.BytesIO(pdf)),
        output=signed,
        bytes_reserved=_hex_space(certificates + stamp + _SIGNATURE_SLACK),
    )
    # The signer's chain, with the revocation data found for it, goes into the DSS; pyHanko adds the
    # timestamp authority's (the same one signs both timestamps).
    validator = CertificateValidator(
        signer.signing_cert, intermediate_certs=list(signer.cert_registry), validation_context=context
    )
    signer_path = await validator.async_validate_usage({"non_repudiation"})
    writer = _MetadataPreservingWriter(signed)
    # The known CRLs go in whether or not the certificates name them (the development ones do not).
    DocumentSecurityStore.supply_dss_in_writer(writer, sig_contents=None, crls=_crls())
    archived = io.BytesIO()
    await PdfTimeStamper(timestamper, field_name=DOCUMENT_TIMESTAMP_FIELD).async_timestamp_pdf(
        writer,
        "sha256",
        validation_context=context,
        bytes_reserved=_hex_space(stamp + _SIGNATURE_SLACK),
        validation_paths=[signer_path],
        output=archived,
        dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
    )
    return archived.getvalue()


# Bytes beyond the certificates and the timestamp token that a CMS signature container holds (signed
# attributes, the RSA signature, the structure): under 2 KB for RSA-4096; a container that does not
# fit makes pyHanko refuse to sign, never a truncated signature.
_SIGNATURE_SLACK = 4096


def _hex_space(size: int) -> int:
    """The /Contents space for a container of `size` bytes: written in hex, so twice that."""
    return 2 * size


def get_timestamper() -> TimeStamper:
    """The timestamp client: settings.LIMS_TSA_URL over HTTP, or (development keys, no URL) the local
    authority in process. Raises KeyConfigurationError when there is neither."""
    tsa_url = getattr(settings, "LIMS_TSA_URL", None)
    if tsa_url:
        return _http_timestamper(tsa_url)
    from certificates import tsa

    return _local_timestamper(tsa.dev_authority())


@functools.lru_cache(maxsize=4)
def _http_timestamper(url: str) -> HTTPTimeStamper:
    """One client per URL, so pyHanko's cached size probe (a dummy token) is asked for once."""
    return HTTPTimeStamper(url, timeout=TSA_TIMEOUT_SECONDS)


@functools.lru_cache(maxsize=4)
def _local_timestamper(authority) -> TimeStamper:
    from certificates import tsa

    return tsa.LocalTimeStamper(authority)


def _validation_context(material: keys.SigningMaterial) -> ValidationContext:
    """The published roots (and the configured chain's own root: whether that root is the
    laboratory's is for the verifier to judge), the signer's chain and the known CRLs; fetching only
    outside development. A new context per document: it accumulates what it fetched."""
    own_roots = [cert for cert in material.chain if cert.issuer == cert.subject]
    return ValidationContext(
        trust_roots=[_asn1(root) for root in [*keys.trust_roots(), *own_roots]],
        other_certs=[_asn1(cert) for cert in material.chain],
        crls=_crls(),
        allow_fetching=keys.fetching_allowed(),
        revocation_mode="hard-fail",
    )


def _crls() -> list[asn1_crl.CertificateList]:
    return [
        asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER)) for crl in keys.revocation_data()
    ]


def _asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _MetadataPreservingWriter(IncrementalPdfFileWriter):
    def _update_meta(self):
        """Leave Info and XMP as rendered (see the module docstring)."""


class _InMemoryRsaSigner(Signer):
    def __init__(self, material: keys.SigningMaterial):
        assert material.key is not None
        super().__init__(
            signing_cert=_asn1(material.certificate),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(cert) for cert in material.chain]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )
        self._key = material.key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            # pyHanko only measures the size of a first, throw-away signature.
            return bytes(self._key.key_size // 8)
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@functools.lru_cache(maxsize=4)
def _signer(material: keys.SigningMaterial) -> Signer:
    """One signer per loaded key (keys.reset_cache() loads a new one, hence a new signer)."""
    if material.pkcs11 is not None:
        from pyhanko.sign.pkcs11 import PKCS11Signer

        return PKCS11Signer(
            keys.pkcs11_session(material.pkcs11),
            key_label=material.pkcs11.key_label,
            signing_cert=_asn1(material.certificate),
            ca_chain=[_asn1(cert) for cert in material.chain],
            # RSA PKCS#1 v1.5 with SHA-256, as the in-memory signer: PDF stays at 1.7.
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )
    return _InMemoryRsaSigner(material)
