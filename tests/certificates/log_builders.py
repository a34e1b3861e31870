"""A transparency log built in a test, outside the LIMS: leaves as the contract writes them, Merkle
proofs from certificates.merkle, checkpoints signed by the log's own code (transparency.sign_note,
given the test's key), and a small HTTP server
(http.server in a thread) that answers the log's two public addresses the witness reads. A test can
swap the tree the server shows (a fork, a rollback) or tamper with the proofs it answers."""

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import merkle, transparency

ORIGIN = "lab.example/log"


def leaf_bytes(fields: dict) -> bytes:
    """A leaf as the contract states it: canonical ASCII JSON of the event's fields."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def issued_leaf(number: str, pdf: bytes, *, time: str = "2026-12-07T17:59:03Z") -> bytes:
    return leaf_bytes(
        {
            "v": 1,
            "event": "issued",
            "number": number,
            "time": time,
            "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "snapshot_sha256": hashlib.sha256(number.encode()).hexdigest(),
            "kid": "00112233aabbccdd",
            "token_kid": "8899aabbccddeeff",
        }
    )


def key_hash(name: str, signature_type: int, key: Ed25519PrivateKey) -> bytes:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + raw).digest()[:4]


def vkey(name: str, key: Ed25519PrivateKey, signature_type: int = 0x01) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    encoded = base64.b64encode(bytes([signature_type]) + raw).decode()
    return f"{name}+{key_hash(name, signature_type, key).hex()}+{encoded}"


@dataclass
class Log:
    """A log's leaves and key; `checkpoint(size)` is the signed checkpoint of its first `size` leaves."""

    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    origin: str = ORIGIN
    leaves: list[bytes] = field(default_factory=list)

    @property
    def vkey(self) -> str:
        return vkey(self.origin, self.key)

    def hashes(self, size: int | None = None) -> list[bytes]:
        return [merkle.leaf_hash(leaf) for leaf in self.leaves[:size]]

    def root(self, size: int | None = None) -> bytes:
        return merkle.root(self.hashes(size))

    def checkpoint(self, size: int | None = None, *, signer: Ed25519PrivateKey | None = None) -> str:
        size = len(self.leaves) if size is None else size
        body = f"{self.origin}\n{size}\n{base64.b64encode(self.root(size)).decode()}\ntime 1796752743\n"
        return transparency.sign_note(body, key=signer or self.key, name=self.origin)

    def consistency(self, first: int, second: int) -> dict:
        hashes = self.hashes(second)
        return {
            "first": first,
            "second": second,
            "first_root": merkle.root(hashes[:first]).hex(),
            "second_root": merkle.root(hashes).hex(),
            "proof": [item.hex() for item in merkle.consistency_proof(first, hashes)],
        }

    def inclusion(self, index: int, size: int | None = None) -> dict:
        hashes = self.hashes(size)
        return {
            "leaf_index": index,
            "tree_size": len(hashes),
            "leaf": base64.b64encode(self.leaves[index]).decode(),
            "leaf_hash": hashes[index].hex(),
            "audit_path": [item.hex() for item in merkle.inclusion_path(index, hashes)],
            "root_hash": merkle.root(hashes).hex(),
            "checkpoint": self.checkpoint(len(hashes)),
        }


def event_leaves(count: int, *, start: int = 0, tag: str = "") -> list[bytes]:
    return [issued_leaf(f"KZL-2026-{n:06d}", f"pdf {n}{tag}".encode()) for n in range(start, start + count)]


class LogServer:
    """Serves /verify/log/checkpoint and /api/v1/log/consistency/ from `log` (the first `size` leaves,
    all when None), as the laboratory's web process would; `tamper` may rewrite a consistency answer,
    `checkpoint_text` replace the checkpoint served. Records the paths asked."""

    def __init__(self, log: Log):
        self.log = log
        self.size: int | None = None
        self.checkpoint_text: str | None = None
        self.tamper = None
        self.status = 200
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                status, content_type, body = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if self.status != 200:
            return self.status, "text/plain", b"unavailable"
        parts = urlsplit(path)
        size = len(self.log.leaves) if self.size is None else self.size
        if parts.path == "/verify/log/checkpoint":
            text = self.checkpoint_text or self.log.checkpoint(size)
            return 200, "text/plain; charset=utf-8", text.encode()
        if parts.path == "/api/v1/log/consistency/":
            query = parse_qs(parts.query)
            first, second = int(query["first"][0]), int(query["second"][0])
            if not 0 < first <= second <= size:
                return 400, "application/json", b'{"message": "0 < first <= second <= size"}'
            answer = self.log.consistency(first, second)
            if self.tamper:
                answer = self.tamper(answer)
            return 200, "application/json", json.dumps(answer).encode()
        return 404, "text/plain", b"not found"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
