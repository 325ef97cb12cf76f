"""Server and probe collectors against real servers on 127.0.0.1: the demo target, a closed port,
a server that never answers, and one that answers HTML. Every failure comes back as data."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tui.collectors.probe import ProbeCollector
from tui.collectors.server import ServerCollector
from tui.demo.target import DemoTarget
from tui.samples import ErrorKind


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections but never answers (a hung server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def html_server() -> Iterator[str]:
    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *a: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


async def test_demo_target_healthy(demo: DemoTarget) -> None:
    async with httpx.AsyncClient() as c:
        s = await ServerCollector(c, demo.url, 3).collect()
        p = await ProbeCollector(c, demo.url, 3, lambda: "Qwen3-Embedding-4B").collect()
    assert s.ok and s.version == "0.32.0" and s.models and s.models[0].max_model_len == 32768
    assert p.ok and p.dims == 2560 and p.latency_s is not None


async def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with httpx.AsyncClient() as c:
        s = await ServerCollector(c, url, 2).collect()
        p = await ProbeCollector(c, url, 2, lambda: None).collect()
    assert not s.reachable and "refused" in (s.health.error or "")
    assert p.error_kind == ErrorKind.REFUSED and "refused" in (p.error or "")
    assert s.health.error_kind == ErrorKind.REFUSED


async def test_hung_server_times_out(silent_port: int) -> None:
    async with httpx.AsyncClient() as c:
        s = await ServerCollector(c, f"http://127.0.0.1:{silent_port}", 0.5).collect()
    assert not s.reachable and "no answer within 0.5s" in (s.health.error or "")
    assert s.health.error_kind == ErrorKind.TIMEOUT
    assert (s.health.latency_s or 0) < 3


async def test_html_server(html_server: str) -> None:
    async with httpx.AsyncClient() as c:
        s = await ServerCollector(c, html_server, 2).collect()
        p = await ProbeCollector(c, html_server, 2, lambda: "m").collect()
    assert s.health.status == 200 and "html" in s.health.content_type
    assert s.models is None and "not an OpenAI model list" in (s.models_error or "")
    assert s.models_error_kind == ErrorKind.BODY and s.models_status == 200
    assert p.error_kind == ErrorKind.BODY and not p.ok


async def test_api_key_is_sent_as_bearer(demo: DemoTarget) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.headers.get("authorization", ""))

    async with httpx.AsyncClient(headers={"Authorization": "Bearer k-123"}, event_hooks={"request": [hook]}) as c:
        p = await ProbeCollector(c, demo.url, 3, lambda: None).collect()
    assert p.ok and seen == ["Bearer k-123"] and "k-123" not in repr(p)
