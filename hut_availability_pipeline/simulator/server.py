"""HTTP/1.1 keep-alive server for the simulator (standard library only), in the foreground or a thread."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from urllib.parse import parse_qs, urlsplit

from .core import Simulator, SimulatorConfig


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the simulator; one write per header block and body, no access log."""

    protocol_version = "HTTP/1.1"
    server_version = "hut-reservation-simulator"
    timeout = 120  # idle keep-alive connections are dropped after this many seconds
    server: _HTTPServer

    def setup(self) -> None:
        """Disable Nagle (header and body are separate writes) and register the connection."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        """Forget the connection once it is done."""
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def version_string(self) -> str:
        """The Server header."""
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request access log (it would cost more than the answer)."""

    def do_GET(self) -> None:
        """Serve a GET (API endpoints and /_sim/ state)."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Serve a POST (/_sim/ control endpoints)."""
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        simulator = self.server.simulator
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = simulator.handle(method, split.path, parse_qs(split.query), body, headers)
        if response.delay > 0:
            time.sleep(response.delay)
        try:
            self.send_response(response.status, response.reason)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-cache, no-store")
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            served_at = dt.datetime.now(dt.UTC)
            self.wfile.write(response.body)
        except OSError:
            self.close_connection = True
            return
        if response.served is not None:
            simulator.record_served(response.served, served_at)
        elif response.served_month is not None:
            simulator.record_served_month(response.served_month, served_at)
        elif response.served_nights is not None:
            simulator.record_served_nights(response.served_nights, served_at)


class _HTTPServer(ThreadingHTTPServer):
    """Threaded server whose open connections can be cut on stop (keep-alive threads do not linger)."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        """Remember or forget an open client connection."""
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open client connection."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SimulatorServer:
    """The simulator behind HTTP on `host:port` (port 0 → a free port); a context manager that
    serves from a daemon thread while the `with` block runs."""

    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = Simulator(config)
        self._httpd = _HTTPServer((host, port), self.simulator)
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None
        self._serving = False
        self._stopped = False

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:8099"; clients append /api/v1/..."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SimulatorServer:
        """Serve from a background daemon thread."""
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"hut-simulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until `stop` (or an exception such as KeyboardInterrupt)."""
        self._serving = True
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving, cut open connections, close the served log."""
        if self._stopped:
            return
        self._stopped = True
        if self._serving:  # shutdown() would wait forever for a loop that never ran
            self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.simulator.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_simulator(cfg: SimulatorConfig, host: str = "127.0.0.1", port: int = 8099) -> None:
    """Serve the simulator in the foreground until Ctrl-C or SIGTERM."""
    server = SimulatorServer(cfg, host=host, port=port)

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    sim = server.simulator
    sim.warm()
    print(
        f"hut-reservation simulator on {server.base_url}/api/v1 — {len(sim.hut_ids())} huts, seed "
        f"{cfg.seed}, speed {cfg.speed}, sim time {sim.now().isoformat(timespec='seconds')}",
        file=sys.stderr,
        flush=True,
    )
    print(
        f"Hütten-Holiday simulator on {server.base_url} (HUETTEN_HOLIDAY_BASE_URL) — "
        f"{len(sim.huetten_holiday.cabin_ids())} cabins; faults at /_sim/huetten-holiday/faults",
        file=sys.stderr,
        flush=True,
    )
    print(
        f"TMB refuges (TMB_BASE_URL) and FFCAM (FFCAM_BASE_URL) simulators on {server.base_url} — "
        f"{len(sim.tmb.refuge_ids())} and {len(sim.ffcam.refuge_ids())} refuges; faults at /_sim/tmb/faults,"
        " /_sim/ffcam/faults",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
