"""A customs system's webhook for the tests: a real HTTP server (http.server) in a thread on a free
port of 127.0.0.1, answering each POST as `answers` says (popped in order; the last one repeats):
an HTTP status, and whether to echo the message id (the acknowledgement). It keeps every request."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes


@dataclass
class Receiver:
    answers: list[tuple[int, bool]]
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lims-hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(Received(dict(self.headers.items()), body))
                code, ack = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                reply = (
                    f'{{"ack": "{self.headers.get("X-Lims-Message-Id")}"}}' if ack else '{"received": true}'
                ).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: nothing listens on the port any more (connections are refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
