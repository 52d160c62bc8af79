"""A real webhook receiver for tests: checks Standard Webhooks signatures, stores each
CloudEvent once by its ``webhook-id``, and can be taken down or told to refuse an event.

Integrators may use it to try a webhook configuration before pointing it at their system.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sgbus.connectors.webhook import signing


class WebhookReceiver:
    """Listens on ``127.0.0.1:port`` (a free port when 0) until :meth:`close`."""

    def __init__(self, secret: str, port: int = 0) -> None:
        self.key = signing.secret_key(secret)
        self.secret = secret
        self._lock = threading.Lock()
        #: event id → the CloudEvent stored (the first copy).
        self.stored: dict[str, dict[str, Any]] = {}
        #: event id → how many requests carried it (redeliveries included).
        self.received: Counter[str] = Counter()
        self.bad_signatures = 0
        self.refusing: set[str] = set()
        #: Misbehaviour for the next requests, in turn: an HTTP status to answer instead of
        #: storing, or a float: seconds to stall before storing (a slow receiver).
        self.trouble: list[int | float] = []
        #: Event ids in the order they were first stored.
        self.order: list[str] = []
        #: The last request's headers (lower-case names) and body.
        self.last_headers: dict[str, str] = {}
        self.last_body = b""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = port
        self.up()

    @property
    def url(self) -> str:
        """Where to POST."""
        return f"http://127.0.0.1:{self.port}/hooks/sgbus"

    def up(self) -> None:
        """Start listening (again, on the same port)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._take({k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop listening: connections are refused until :meth:`up`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)

    @contextmanager
    def down(self) -> Iterator[None]:
        """Unreachable for the duration of the block."""
        self.close()
        try:
            yield
        finally:
            self.up()

    def refuse(self, event_id: str) -> None:
        """Answer 422 (refused for good) to requests carrying ``event_id``."""
        self.refusing.add(event_id)

    def accept_again(self) -> None:
        """Stop refusing."""
        self.refusing.clear()

    def copies(self) -> int:
        """Items stored (one per event id: a redelivery replaces nothing)."""
        with self._lock:
            return len(self.stored)

    def stored_ids(self) -> set[str]:
        """Event ids stored."""
        with self._lock:
            return set(self.stored)

    def _take(self, headers: dict[str, str], body: bytes) -> int:
        self.last_headers, self.last_body = headers, body
        try:
            msg_id = signing.verify(self.key, headers, body)
        except signing.BadSignature:
            with self._lock:
                self.bad_signatures += 1
            return 401
        if msg_id in self.refusing:
            return 422
        event = json.loads(body)
        if event.get("id") != msg_id:
            return 400
        with self._lock:
            self.received[msg_id] += 1
            trouble = self.trouble.pop(0) if self.trouble else None
        if isinstance(trouble, int):
            return trouble
        if isinstance(trouble, float):
            time.sleep(trouble)
        with self._lock:
            if msg_id not in self.stored:
                self.stored[msg_id] = event
                self.order.append(msg_id)
        return 204
