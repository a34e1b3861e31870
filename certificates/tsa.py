"""The laboratory's local RFC 3161 timestamp authority, for development and tests.

Every certificate is signed PAdES B-LTA (certificates.signing): its signature carries a timestamp and
the document ends with a document timestamp, both from an RFC 3161 timestamp authority (TSA). In
production that is the laboratory's chosen TSA at settings.LIMS_TSA_URL (certificates.checks
requires it). With development keys the project brings its own:

- `TimestampAuthority`, the core: a DER TimeStampReq in, a DER TimeStampResp out (asn1crypto and
  cryptography). It signs with the development TSA key (certificates.keys: its certificate carries
  the one extended key usage timeStamping, critical, and is issued by a development timestamp root
  published beside the signing root, so the portal and the offline kit trust it);
- `TimestampServer`, the same over HTTP (RFC 3161, 3.4: POST `application/timestamp-query`, answer
  `application/timestamp-reply`), threaded, on the standard library's http.server;
  `manage.py run_tsa --port 8318` runs it, and `make run` starts it beside the worker and points the
  worker's LIMS_TSA_URL at it;
- `LocalTimeStamper`, the core in process, without HTTP: what certificates.signing uses when
  development keys are on and LIMS_TSA_URL is empty (a worker started without `make run`, the test
  suite's library tests). The test suite's signing tests go through the HTTP server.

Requests it grants: version 1, a SHA-256/384/512 message imprint of the right length, no policy or
the authority's own (POLICY), no extensions. Anything else gets a rejection with its PKIFailureInfo.
Each token has a random 128-bit serial number, the time to the microsecond (accuracy one second), the
nonce echoed, and the TSA certificate when the request asks for it (certReq).

Not a production TSA: the clock is the host's, nothing is logged for audit, and the key is a file.
"""

import functools
import hashlib
import http.server
import logging
import secrets
import threading
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

from certificates import keys

logger = logging.getLogger(__name__)

# The policy under which this authority issues tokens (a UUID-based OID, ITU-T X.667: no
# registration needed). It says: development only, host clock, accuracy one second.
POLICY = "2.25.55815232804294609716317178171439923828"
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REQUEST_BYTES = 16 * 1024  # a request is ~60 bytes; anything near this is not one


class TimestampAuthority:
    """RFC 3161 core: `respond(request DER) -> response DER`. Thread-safe (no state but the key)."""

    def __init__(self, material: keys.TimestampingMaterial):
        def asn1(cert):
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        self._key = material.key
        self.certificate = asn1(material.certificate)
        self._chain = [asn1(cert) for cert in material.chain]
        self._signing_certificate = as_signing_certificate_v2(self.certificate)

    def respond(self, request_der: bytes, *, now: datetime | None = None) -> bytes:
        try:
            request = tsp.TimeStampReq.load(request_der)
            request.native  # parse it all now: a malformed request fails here, not half-way  # noqa: B018
        except (ValueError, TypeError) as exc:
            return _rejection("bad_data_format", f"not a TimeStampReq: {exc}")
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if request["version"].native != "v1":
            return _rejection("bad_request", "only version 1 requests")
        if DIGEST_SIZES.get(algorithm) != len(imprint["hashed_message"].native):
            return _rejection("bad_alg", f"message imprint must be SHA-256, -384 or -512, not {algorithm}")
        if request["req_policy"].native not in (None, POLICY):
            return _rejection("unaccepted_policy", f"this authority issues under policy {POLICY} only")
        if request["extensions"].native:
            return _rejection("unaccepted_extensions", "no extensions are supported")
        tst_info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": POLICY,
                "message_imprint": imprint,
                "serial_number": int.from_bytes(secrets.token_bytes(16), "big"),
                "gen_time": core.GeneralizedTime(now or datetime.now(UTC)),
                "accuracy": {"seconds": 1},
                "nonce": request["nonce"].native,
                "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
            }
        ).dump()
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("message_digest", hashlib.sha256(tst_info).digest()),
                simple_cms_attribute("signing_certificate_v2", self._signing_certificate),
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(), hashes.SHA256())
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value=cms.IssuerAndSerialNumber(
                        {"issuer": self.certificate.issuer, "serial_number": self.certificate.serial_number}
                    ),
                ),
                "digest_algorithm": digest_algorithm,
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
                "signature": signature,
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info)},
            "signer_infos": [signer_info],
        }
        if request["cert_req"].native:
            signed_data["certificates"] = [self.certificate, *self._chain]
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


class _Rejection(core.Sequence):
    """TimeStampResp without its token (asn1crypto's declares the token required; RFC 3161 does not)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(failure: str, text: str) -> bytes:
    status = {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({failure})}
    return _Rejection({"status": status}).dump()


@functools.lru_cache(maxsize=4)
def _authority(material: keys.TimestampingMaterial) -> TimestampAuthority:
    return TimestampAuthority(material)


def dev_authority() -> TimestampAuthority:
    """The development authority (keys.load_dev_tsa_material: development keys only)."""
    return _authority(keys.load_dev_tsa_material())


class LocalTimeStamper(TimeStamper):
    """pyHanko's timestamp client, answered by the authority in this process (no HTTP)."""

    def __init__(self, authority: TimestampAuthority):
        super().__init__()
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self.authority.respond(req.dump()))


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "TimestampServer"
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != QUERY_TYPE:
            return self._plain(415, f"send {QUERY_TYPE}")
        try:
            length = int(self.headers["Content-Length"])
        except (TypeError, ValueError):
            return self._plain(411, "Content-Length required")
        if not 0 < length <= MAX_REQUEST_BYTES:
            return self._plain(413, "not a timestamp request")
        reply = self.server.authority.respond(self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Type", REPLY_TYPE)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self):
        self._plain(405, f"POST an RFC 3161 {QUERY_TYPE}", allow="POST")

    def _plain(self, status: int, text: str, **headers: str) -> None:
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name.title(), value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format, *args):
        logger.debug("%s " + format, self.address_string(), *args)


class TimestampServer(http.server.ThreadingHTTPServer):
    """The authority over HTTP; one thread per connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], authority: TimestampAuthority):
        self.authority = authority
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


def serve_in_thread(authority: TimestampAuthority, host: str = "127.0.0.1", port: int = 0) -> TimestampServer:
    """Start a server on a daemon thread (port 0: a free one; see `.url`); `shutdown()` and
    `server_close()` stop it."""
    server = TimestampServer((host, port), authority)
    threading.Thread(target=server.serve_forever, name="tsa", daemon=True).start()
    return server
