"""The demo target: a real HTTP server on 127.0.0.1 that behaves like vLLM 0.32 serving Qwen3-Embedding-4B.

It answers `/health`, `/version`, `/v1/models`, `/v1/embeddings` and `/metrics` with the shapes,
headers and error bodies of the real captures, and appends the matching log lines (startup,
access lines, the 10 s stats line, an engine death) to a real log file. Scenarios put it into a
known fault; `set_scenario()` switches live, writing what a real server would log (a restart, a
crash). Runs in background threads so the dashboard (or a test) can watch it from the same process.
The scenarios themselves are in `tui.demo.scenarios` (importable from here as before).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tui.demo import responses
from tui.demo.fake_nvml import FakeNvml
from tui.demo.logwriter import VllmLogWriter, weights_gib
from tui.demo.metrics import DemoMetrics
from tui.demo.processes import DemoProcesses
from tui.demo.scenarios import FAULT_CYCLE, SCENARIOS, Scenario

__all__ = ["FAULT_CYCLE", "H200", "SCENARIOS", "DemoTarget", "Scenario"]


BATCH = 16  # requests per simulated engine step: the rest wait (vLLM's queue)

MAX_LEN = 32768
H200 = ("NVIDIA H200", 143_771 * 1024**2)  # the card the demo log's KV-cache figures come from
METRICS_CONTENT_TYPE = "text/plain; version=1.0.0; charset=utf-8"
ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause."


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    target: DemoTarget

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-answer is normal; never print to the terminal the TUI draws on.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        return

    def setup(self) -> None:
        super().setup()
        self.server.target._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.target._track(self.connection, add=False)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None = "application/json",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response_only(status)
        self.send_header("date", formatdate(usegmt=True))
        self.send_header("server", "uvicorn")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(body)))
        if content_type:
            self.send_header("content-type", content_type)
        self.send_header("vary", "Origin")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        self.server.target._served(self.command, self.path, status, self.client_address)

    def do_GET(self) -> None:
        self.server.target._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.target._handle(self, "POST")


class DemoTarget:
    """A simulated vLLM embedding deployment on 127.0.0.1."""

    def __init__(
        self,
        scenario: str = "healthy",
        log_path: Path | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        stats_interval: float = 10.0,
        processes: bool = False,
        nvml: FakeNvml | None = None,
        gpu_index: int = 0,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(scenario)
        self.scenario = SCENARIOS[scenario]
        self.host = host
        self.port = port
        self.log_path = log_path
        self.stats_interval = stats_interval
        self.requests: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()  # by path with query string (our ?embedtop= tags)
        self.created = int(time.time())
        self.metrics = DemoMetrics(self.scenario.served)
        self.log: VllmLogWriter | None = VllmLogWriter(log_path) if log_path else None
        # The GPU (a faithful NVML fake) and, when asked, real stand-in vLLM processes for the GPU panel.
        # Several demo targets share one fake NVML, each on its own GPU (`gpu_index`).
        self.nvml = nvml if nvml is not None else FakeNvml("healthy", card=H200)
        self.gpu_index = gpu_index
        self.procs = DemoProcesses() if processes else None
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._stats_thread: threading.Thread | None = None
        self._slow_since = time.monotonic()
        self._window_requests = 0
        self._window_tokens = 0
        self._in_flight = 0
        self._engine = threading.BoundedSemaphore(BATCH)
        self._client_kick = threading.Event()
        self._client_thread: threading.Thread | None = None
        self._last_window_busy = False

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoTarget:
        # Bind first (even for "starting") so the port is known and stays ours.
        self._listen()
        sc = self.scenario
        if self.procs is not None and not sc.engine_dead:
            self._sync_processes()  # the log then names the stand-in processes' real pids
        if self.log:
            self.log.startup_loading(sc.root, sc.served, self.port, MAX_LEN)
            if sc.listening:
                self.log.startup_ready(sc.served, self.port)
            if sc.engine_dead:
                self.log.engine_death()
        if not sc.listening:
            self._unlisten()
        self._sync_processes()
        self._slow_since = time.monotonic()
        self._stats_thread = threading.Thread(target=self._stats_loop, name="demo-stats", daemon=True)
        self._stats_thread.start()
        self._client_thread = threading.Thread(target=self._client_loop, name="demo-client", daemon=True)
        self._client_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._client_kick.set()
        self._unlisten()
        if self.procs is not None:
            self.procs.stop()
        if self._stats_thread is not None:
            self._stats_thread.join(timeout=2)
        if self.log:
            self.log.close()

    def _listen(self) -> None:
        if self._server is not None:
            return
        server = _Server((self.host, self.port), _Handler)
        server.target = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.5}, name="demo-http", daemon=True
        )
        self._thread.start()

    def _unlisten(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # like a process exit: open keep-alive connections are reset
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ------------------------------------------------------------ scenarios

    def set_scenario(self, name: str) -> None:
        """Switch live, logging what a real server would: a restart, a crash, a slow-down."""
        new = SCENARIOS[name]
        old = self.scenario
        if new == old:
            return
        log = self.log
        restart = (new.served, new.root, new.dims) != (old.served, old.root, old.dims) or (
            old.engine_dead and not new.engine_dead
        )
        if restart and self.procs is not None and not new.engine_dead:
            self.procs.kill_engine()  # a restart replaces the engine processes: new pids for the log
            self.procs.start(new.root, new.served, self.port)
            self._sync_log_pids()
        if not new.listening:
            self._unlisten()
            if log:
                if old.listening:
                    log.uvicorn_shutdown()
                log.startup_loading(new.root, new.served, self.port, MAX_LEN)
        elif not old.listening:
            if log:
                if restart:
                    log.startup_loading(new.root, new.served, self.port, MAX_LEN)
                log.startup_ready(new.served, self.port)
            self._listen()
        elif restart and log:
            log.uvicorn_shutdown()
            log.startup_loading(new.root, new.served, self.port, MAX_LEN)
            log.startup_ready(new.served, self.port)
        if new.engine_dead and not old.engine_dead and log:
            log.engine_death()
        if new.served != old.served:
            self.metrics = DemoMetrics(new.served)
        if new.slow:
            self._slow_since = time.monotonic()
        self.scenario = new
        if new.client:
            self._client_kick.set()
        if new.listening and self._server is None:
            self._listen()
        self._sync_processes()

    def _sync_log_pids(self) -> None:
        if self.log is None or self.procs is None:
            return
        self.log.api_pid = self.procs.pid("api-server") or self.log.api_pid
        self.log.core_pid = self.procs.pid("engine-core") or self.log.core_pid
        self.log.worker_pid = self.procs.pid("worker") or self.log.worker_pid

    def _sync_processes(self) -> None:
        """Processes and GPU memory follow the scenario: a dead engine holds no GPU memory."""
        sc = self.scenario
        if self.procs is None:
            return
        if sc.engine_dead:
            self.procs.kill_engine()
        else:
            self.procs.start(sc.root, sc.served, self.port)
        worker = self.procs.pid("worker")
        self._sync_log_pids()
        total = H200[1]
        # Loading: the weights so far. Ready: vLLM holds --gpu-memory-utilization (0.92) × total memory
        # (weights + activations + the KV cache that fills the rest), as the demo log's figures say.
        used = int(0.92 * total) - int(0.45 * 1024**3) if sc.listening else int(weights_gib(sc.root) * 1024**3)
        self.nvml.set_processes(self.gpu_index, [(worker, used)] if worker else [])

    def next_fault(self) -> str:
        """Cycle to the next scenario (the demo's `f` key)."""
        names = FAULT_CYCLE
        i = names.index(self.scenario.name) if self.scenario.name in names else -1
        name = names[(i + 1) % len(names)]
        self.set_scenario(name)
        return name

    def latency(self) -> float:
        if self.scenario.slow:
            # 1.2 s at once, +0.4 s every 10 s, up to 3.6 s: requests queue behind a backlog.
            return min(1.2 + 0.04 * (time.monotonic() - self._slow_since), 3.6)
        return 0.035

    # ------------------------------------------------------------ requests

    def _served(self, method: str, full_path: str, status: int, client: tuple[str, int]) -> None:
        """Count a request and log it as uvicorn does: the path with its query string."""
        path = full_path.split("?", 1)[0]
        with self._lock:
            self.requests[f"{method} {path}"] += 1
            self.calls[f"{method} {full_path}"] += 1
        self.metrics.http_request(path if path in ("/v1/embeddings", "/v1/models") else "none", method, status)
        if self.log:
            self.log.access(f"{client[0]}:{client[1]}", method, full_path, status)

    def _handle(self, h: _Handler, method: str) -> None:
        path = h.path.split("?", 1)[0]
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        sc = self.scenario
        if method == "GET" and path == "/health":
            h._send(503 if sc.engine_dead else 200, b"", content_type=None)
        elif method == "GET" and path == "/version":
            h._send(200, responses.dumps({"version": "0.32.0"}))
        elif method == "GET" and path == "/v1/models":
            h._send(200, responses.models_body(sc.served, sc.root, MAX_LEN, self.created))
        elif method == "GET" and path == "/metrics":
            h._send(200, self.metrics.render(), content_type=METRICS_CONTENT_TYPE)
        elif path == "/v1/embeddings" and method != "POST":
            h._send(405, responses.detail_body("Method Not Allowed"), extra={"allow": "POST"})
        elif path == "/v1/embeddings":
            status, payload = self._embeddings(h.headers.get("content-type", ""), body)
            h._send(status, payload)
        else:
            h._send(404, responses.detail_body("Not Found"))

    def _embeddings(self, content_type: str, body: bytes) -> tuple[int, bytes]:
        sc = self.scenario
        if "application/json" not in content_type:
            return 400, responses.error_body(
                "1 validation error:\n  Unsupported Media Type: Only 'application/json' is allowed", "Bad Request", 400
            )
        if not body:
            return 400, responses.error_body(
                "1 validation error:\n  {'type': 'missing', 'loc': 'body', 'msg': 'Field required', 'input': 'None'}",
                "Bad Request",
                400,
                "body",
            )
        try:
            req = json.loads(body)
        except ValueError:
            return 400, responses.error_body(
                "1 validation error:\n  {'type': 'json_invalid', 'loc': 'body.0', 'msg': 'JSON decode error', "
                "'input': '<dict of 0 items>', 'ctx': {'error': 'Expecting value'}}",
                "Bad Request",
                400,
                "body.0",
            )
        model = req.get("model") if isinstance(req, dict) else None
        if model is not None and model != sc.served:
            return 404, responses.error_body(f"The model `{model}` does not exist.", "NotFoundError", 404)
        inputs = req.get("input") if isinstance(req, dict) else None
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            return 400, responses.error_body(
                "1 validation error:\n  {'type': 'list_type', 'loc': 'body.input', "
                "'msg': 'Input should be a valid list', 'input': 'None'}",
                "Bad Request",
                400,
                "body.input",
            )
        if not inputs:
            return 400, responses.error_body("You must pass at least one prompt", "BadRequestError", 400)
        too_long = next((text for text in inputs if responses.count_tokens(text) > MAX_LEN), None)
        if too_long is not None:
            return 400, responses.too_long_body(too_long, MAX_LEN)
        if sc.engine_dead:
            return 500, responses.error_body(ENGINE_DEAD, "InternalServerError", 500)
        with self._lock:
            self._in_flight += 1
            self._gauges()
        start = time.monotonic()
        try:
            with self._engine:  # BATCH requests run at once; the others queue like vLLM's waiting requests
                self._stop.wait(self.latency())
                payload, tokens = responses.embeddings_body(sc.served, inputs, sc.dims)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._gauges()
        self.metrics.served(len(inputs), tokens, time.monotonic() - start)
        with self._lock:
            self._window_requests += len(inputs)
            self._window_tokens += tokens
        return 200, payload

    def _gauges(self) -> None:
        """(lock held) running / waiting as vLLM would publish them."""
        self.metrics.queue(min(self._in_flight, BATCH), max(0, self._in_flight - BATCH))

    # ------------------------------------------------------------ the simulated client

    def _client_loop(self) -> None:
        """A simulated Open WebUI: every ~25 s a file of 40–60 chunks, each pass sent all at once."""
        rng = random.Random(7)
        pause = 2.0
        while not self._stop.is_set():
            self._client_kick.wait(pause)  # a scenario switch starts a file at once
            self._client_kick.clear()
            pause = rng.uniform(20, 30)
            if self._stop.is_set():
                return
            sc = self.scenario
            if sc.client is None or self._server is None:
                continue
            path = "/v1/embeddings" if sc.client == "ingest" else "/embeddings"
            chunks = [responses.chunk_text(rng) for _ in range(rng.randint(40, 60))]
            for _ in range(2):  # the file collection, then the knowledge base
                threads = [threading.Thread(target=self._client_post, args=(path, c), daemon=True) for c in chunks]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=120)
                if sc.client != "ingest" or self._stop.is_set():
                    break  # Open WebUI fails the file on the first error: no second pass

    def _client_post(self, path: str, text: str) -> None:
        body = json.dumps({"input": [text], "model": self.scenario.served}).encode()
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                conn.request(
                    "POST", path, body, {"Content-Type": "application/json", "User-Agent": "Python/3.11 aiohttp/3.12"}
                )
                conn.getresponse().read()
            finally:
                conn.close()

    # ------------------------------------------------------------ stats line

    def _stats_loop(self) -> None:
        while not self._stop.wait(self.stats_interval):
            with self._lock:
                busy = self._window_requests > 0
                tokens = self._window_tokens
                running = min(self._in_flight, BATCH) if not self.scenario.slow else self._in_flight
                self._window_requests = self._window_tokens = 0
            if not self.scenario.listening or self.scenario.engine_dead:
                continue
            waiting = 12 if self.scenario.slow else max(0, running - BATCH)
            # vLLM logs while there is traffic, plus one all-zero line after it stops.
            if (busy or self._last_window_busy) and self.log:
                self.log.stats(tokens / self.stats_interval, running, waiting if busy else 0)
            self._last_window_busy = busy
