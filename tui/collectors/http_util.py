"""Shared HTTP plumbing: one request with a body size limit, and transport errors as short text with their
kind (`ErrorKind`: what the rules read).

Never raises for anything the server or the network does. Redirects are not followed, so the API
key never travels to another host.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tui.samples import ErrorKind

# Every request embedtop sends carries `?embedtop=<what>`: uvicorn's access log prints the query
# string, so the log panel and the ingestion figures can leave our own traffic out. vLLM ignores
# unknown query parameters.
MARKER = "embedtop"
MAX_BODY = 8 * 1024 * 1024  # far above a 4096-dim embedding answer (~90 KB) or a /metrics page (~70 KB)


def make_client(url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """The client for one server. Redirects are never followed, so a client for a plain-http URL can never
    send a request over TLS: it gets no CA bundle (loading one costs ~60 ms and ~1 MB per client)."""
    tls = {} if url.lower().startswith("https:") else {"verify": False}
    return httpx.AsyncClient(headers=headers, follow_redirects=False, trust_env=False, **tls)


def client_headers(api_key: str | None, agent: str) -> dict[str, str]:
    """Headers for every request: our User-Agent, and the bearer key when one is configured (it goes only
    to the configured host: redirects are not followed)."""
    headers = {"User-Agent": agent}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


@dataclass(frozen=True)
class Answer:
    """A completed exchange: status, headers we care about, body (maybe cut), latency; or an error."""

    status: int | None
    content_type: str
    body: bytes
    latency_s: float
    error: str | None = None
    truncated: bool = False
    error_kind: ErrorKind | None = None  # set with `error`

    def json(self) -> Any:
        """Parsed JSON body; raises ValueError on anything else."""
        if self.truncated:
            raise ValueError(f"body larger than {MAX_BODY} bytes")
        return json.loads(self.body)

    def excerpt(self, n: int = 160) -> str:
        text = self.body[:n].decode("utf-8", "replace").replace("\n", " ").strip()
        return text + ("…" if len(self.body) > n else "")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def describe_error(exc: BaseException, timeout: float) -> tuple[ErrorKind, str]:
    """The kind of a transport failure and a one-line, secret-free description of it."""
    chain = _chain(exc)
    text = " | ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        text += " connection refused"
    if isinstance(exc, httpx.ConnectTimeout):
        return ErrorKind.TIMEOUT, f"connect timed out after {timeout:g}s"
    if isinstance(exc, httpx.TimeoutException):
        return ErrorKind.TIMEOUT, f"no answer within {timeout:g}s (server hung or overloaded)"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text:
            return ErrorKind.REFUSED, "connection refused (nothing listens on that port)"
        if "name or service not known" in text or "nodename nor servname" in text or "name resolution" in text:
            return ErrorKind.DNS, "host name does not resolve"
        if "ssl" in text or "tls" in text or "certificate" in text:
            return ErrorKind.TLS, "TLS handshake failed (https to a plain-http port, or a bad certificate)"
        return ErrorKind.OTHER, "cannot connect: " + (str(exc) or type(exc).__name__)
    if isinstance(exc, httpx.RemoteProtocolError):
        return ErrorKind.OTHER, "server closed the connection without a valid HTTP answer"
    return ErrorKind.OTHER, f"{type(exc).__name__}: {exc}"[:200]


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    timeout: float,
    json_body: Any = None,
    max_body: int = MAX_BODY,
    tag: str = "poll",
    headers: dict[str, str] | None = None,
) -> Answer:
    """Send one request (marked `?embedtop=tag`) and read at most `max_body` bytes of the answer.

    httpx's timeout bounds each network phase; the whole exchange is also bounded (a server that
    trickles one byte at a time never trips a per-read timeout)."""
    start = time.perf_counter()
    try:
        async with (
            asyncio.timeout(timeout * 2 + 1.0),
            client.stream(method, url, json=json_body, timeout=timeout, params={MARKER: tag}, headers=headers) as resp,
        ):
            chunks: list[bytes] = []
            size = 0
            truncated = False
            async for chunk in resp.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body:
                    truncated = True
                    break
            body = b"".join(chunks)[:max_body]
            return Answer(
                status=resp.status_code,
                content_type=resp.headers.get("content-type", ""),
                body=body,
                latency_s=time.perf_counter() - start,
                truncated=truncated,
            )
    except TimeoutError:
        took = time.perf_counter() - start
        error = f"the answer did not complete within {took:.0f} s (a stalled or trickling server)"
        return Answer(None, "", b"", took, error=error, error_kind=ErrorKind.TIMEOUT)
    except Exception as exc:  # every failure of the watched system is data
        kind, error = describe_error(exc, timeout)
        return Answer(None, "", b"", time.perf_counter() - start, error=error, error_kind=kind)


def error_message(answer: Answer) -> str:
    """Decode an error body: vLLM/OpenAI `{"error":{…}}`, old flat `{"object":"error",…}`, Starlette `{"detail":…}`."""
    try:
        data = answer.json()
    except ValueError:
        kind = "HTML page" if "html" in answer.content_type or answer.body.lstrip()[:1] == b"<" else "non-JSON body"
        return f"HTTP {answer.status} with a {kind}: {answer.excerpt(120)!r}"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err.get("message")).split("\n", 1)[0][:300]
        if isinstance(err, str):
            return err[:300]
        if data.get("object") == "error" and data.get("message"):
            return str(data["message"]).split("\n", 1)[0][:300]
        if "detail" in data:
            return str(data["detail"])[:300]
    return f"HTTP {answer.status}: {answer.excerpt(120)!r}"
