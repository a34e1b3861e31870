"""PAdES signature of a rendered certificate.

The signature is PAdES B-B, or B-T when settings.LIMS_TSA_URL names an RFC 3161 timestamp authority.
RSA with SHA-256 keeps the file at PDF 1.7, as PDF/A-3 requires.

Metadata: when pyHanko writes the signature revision it normally appends itself to the Info
/Producer and rewrites the XMP packet with pdf:Producer "pyHanko x.y", after which the two disagree
(PDF/A forbids that); its XMP re-serialisation can also break PDF/A extension schemas (pyHanko issue
#755). The writer below holds that update back, as pyHanko's maintainer suggests (issue #223; an
internal hook, checked by the tests on every upgrade): WeasyPrint wrote matching Info and XMP, and
signing leaves both as rendered.

Speed: the signer wraps the key parsed once per process (certificates.keys) and signs in about 25 ms;
pyHanko's SimpleSigner re-parses the RSA key on each of its two signing passes per document (250 ms
or more here).
"""

import functools
import io

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from certificates import keys

TSA_TIMEOUT_SECONDS = 10


class TimestampUnavailable(Exception):
    """The timestamp authority did not answer: transient, the issuing task retries."""


def sign_pdf(pdf: bytes, *, reason: str, location: str, contact: str = "", field_name: str = "LabSignature") -> bytes:
    """Sign `pdf` as an incremental update and return the signed file."""
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        contact_info=contact or None,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
    )
    tsa_url = getattr(settings, "LIMS_TSA_URL", None)
    timestamper = HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_SECONDS) if tsa_url else None
    signer = PdfSigner(metadata, signer=_signer(keys.load_signing_material()), timestamper=timestamper)
    output = io.BytesIO()
    try:
        signer.sign_pdf(_MetadataPreservingWriter(io.BytesIO(pdf)), output=output)
    except TimestampRequestError as exc:
        raise TimestampUnavailable(f"timestamp authority {tsa_url} did not answer: {exc}") from exc
    return output.getvalue()


class _MetadataPreservingWriter(IncrementalPdfFileWriter):
    def _update_meta(self):
        """Leave Info and XMP as rendered (see the module docstring)."""


class _InMemoryRsaSigner(Signer):
    def __init__(self, material: keys.SigningMaterial):
        def asn1(cert):
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        super().__init__(
            signing_cert=asn1(material.certificate),
            cert_registry=SimpleCertificateStore.from_certs([asn1(cert) for cert in material.chain]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )
        self._key = material.key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            # pyHanko only measures the size of a first, throw-away signature.
            return bytes(self._key.key_size // 8)
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@functools.lru_cache(maxsize=4)
def _signer(material: keys.SigningMaterial) -> _InMemoryRsaSigner:
    """One signer per loaded key (keys.reset_cache() loads a new one, hence a new signer)."""
    return _InMemoryRsaSigner(material)
