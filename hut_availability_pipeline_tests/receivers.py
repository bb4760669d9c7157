"""Real receivers for notifications on loopback: an HTTP server for apprise's json:// and an SMTP
server (aiosmtpd) for mailto://. They record what arrives."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class WebhookReceiver:
    """Records the JSON bodies POSTed to it (and their headers, in `headers`); answers `status`
    (500: a failing channel). With `delay` it holds each request that long after recording it
    and before answering (a slow channel; `delays`, if not empty, gives the next requests' delays
    first): `arrived` is set when a request has been recorded, `answered_at` holds when (epoch
    seconds) each request was answered, and `most_at_once` is the most requests it held at the
    same time."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.delay = 0.0
        self.delays: list[float] = []
        self.arrived = threading.Event()
        self.release = threading.Event()  # ends every hold (set when the receiver stops)
        self.most_at_once = 0
        self.answered_at: list[float] = []
        self._at_once = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver._lock:
                    receiver._at_once += 1
                    receiver.most_at_once = max(receiver.most_at_once, receiver._at_once)
                    if receiver.status == 200:
                        receiver.received.append({"path": self.path, **body})
                        receiver.headers.append(dict(self.headers.items()))
                    delay = receiver.delays.pop(0) if receiver.delays else receiver.delay
                receiver.arrived.set()
                try:
                    receiver.release.wait(delay)
                    receiver.answered_at.append(time.time())
                    self.send_response(receiver.status)
                    self.end_headers()
                except OSError:  # the sender is gone (killed while we held its request)
                    pass
                finally:
                    with receiver._lock:
                        receiver._at_once -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_receiver() -> Iterator[tuple[_Mailbox, int]]:
    mailbox = _Mailbox()
    with socket.socket() as probe:  # aiosmtpd's start-up check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
