"""A misbehaving server on 127.0.0.1: huge bodies, a trickle, a wrong content type, TLS to a plain port,
a redirect to another host with our API key, the wrong number of vectors, NaN. Each is data with a
readable error — never an exception, never a hang, never the key sent elsewhere."""

from __future__ import annotations

import json
import socket
import time

import httpx

from tests.loopback import Handler
from tui.collectors.http_util import MAX_BODY, client_headers
from tui.collectors.probe import ProbeCollector
from tui.collectors.server import ServerCollector
from tui.samples import ErrorKind


def reply(body: bytes, status: str = "200 OK", ctype: str = "application/json", extra: str = "") -> Handler:
    def handler(conn: socket.socket, _: bytes) -> None:
        head = f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
        conn.sendall(head.encode() + body)

    return handler


async def probe(url: str, timeout: float = 2.0, key: str | None = None):
    async with httpx.AsyncClient(headers=client_headers(key, "embedtop/test"), trust_env=False) as c:
        return await ProbeCollector(c, url, timeout, lambda: "Qwen3-Embedding-4B").collect()


async def test_a_one_gigabyte_body_is_cut_at_the_read_limit(serve) -> None:
    sent = {"bytes": 0}

    def huge(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n")
        block = b"[" + b"0.1," * 16383 + b"0"
        while sent["bytes"] < 1024**3:
            conn.sendall(block)
            sent["bytes"] += len(block)

    s = serve(huge)
    start = time.monotonic()
    sample = await probe(f"http://127.0.0.1:{s.port}", timeout=5)
    assert not sample.ok and sample.error_kind == ErrorKind.BODY and "larger than" in (sample.error or "")
    assert sent["bytes"] < 64 * MAX_BODY  # we stopped reading: the server did not get to send 1 GB
    assert time.monotonic() - start < 15


async def test_a_trickle_is_cut_by_the_overall_deadline(serve) -> None:
    def trickle(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
        for _ in range(200):
            conn.sendall(b" ")
            time.sleep(0.1)  # each read well inside the per-read timeout

    s = serve(trickle)
    start = time.monotonic()
    sample = await probe(f"http://127.0.0.1:{s.port}", timeout=1.0)
    took = time.monotonic() - start
    assert sample.error_kind == ErrorKind.TIMEOUT and "trickling" in (sample.error or "") and took < 6


async def test_wrong_content_type_and_wrong_vector_count(serve) -> None:
    body = json.dumps({"object": "list", "data": [{"embedding": [0.6, 0.8]}], "model": "m"}).encode()
    s = serve(reply(body, ctype="text/plain"))
    sample = await probe(f"http://127.0.0.1:{s.port}")
    assert sample.ok and sample.dims == 2  # vLLM's content type is not what makes an answer valid
    empty = serve(reply(json.dumps({"object": "list", "data": []}).encode()))
    sample = await probe(f"http://127.0.0.1:{empty.port}")
    assert not sample.ok and "no `data` vectors" in (sample.error or "")
    nan = serve(reply(b'{"object":"list","data":[{"embedding":[NaN, Infinity, 0.5]}]}'))
    sample = await probe(f"http://127.0.0.1:{nan.port}")
    assert sample.ok and sample.finite is False and sample.norm is None


async def test_tls_to_a_plain_port(serve) -> None:
    s = serve(reply(b"{}"))
    async with httpx.AsyncClient(trust_env=False) as c:
        sample = await ServerCollector(c, f"https://127.0.0.1:{s.port}", 2).collect()
    assert sample.health.status is None and "TLS" in (sample.health.error or "")


async def test_a_redirect_to_another_host_is_not_followed_and_the_key_stays_home(serve) -> None:
    other = serve(reply(b"{}"))
    here = serve(reply(b"", status="302 Found", extra=f"location: http://localhost:{other.port}/v1/embeddings\r\n"))
    sample = await probe(f"http://127.0.0.1:{here.port}", key="sk-top-secret")
    assert sample.http_status == 302 and not sample.ok
    assert b"sk-top-secret" in here.requests[0]  # the configured host gets it …
    assert other.requests == []  # … and nobody else
    assert "sk-top-secret" not in (sample.error or "")


async def test_html_and_truncated_json_from_a_proxy(serve) -> None:
    html = serve(reply(b"<html><h1>502 Bad Gateway</h1></html>", status="502 Bad Gateway", ctype="text/html"))
    sample = await probe(f"http://127.0.0.1:{html.port}")
    assert sample.http_status == 502 and "HTML page" in (sample.error or "")
    cut = serve(reply(b'{"object":"list","data":[{"embedding":[0.1,'))
    sample = await probe(f"http://127.0.0.1:{cut.port}")
    assert sample.error_kind == ErrorKind.BODY
