"""Server collector: `GET /health`, `/version`, `/v1/models` and `/metrics` → one `ServerSample`.

When `/health` gets no answer the others are skipped (the server is down), so a dead target costs
one connection attempt per poll. `/metrics` is scraped at most once per interval, even when a key
forces an early poll. `/version` changes only when vLLM restarts: it is asked again when `/health`
changed, when `/metrics` shows another process start time, and at least every VERSION_EVERY polls.
"""

from __future__ import annotations

import time

import httpx

from tui.collectors.http_util import Answer, error_message, request
from tui.collectors.metrics import MetricsCollector
from tui.samples import ErrorKind, HttpResult, ModelInfo, ServerSample

ModelsError = tuple[str, ErrorKind]


def parse_models(answer: Answer) -> tuple[tuple[ModelInfo, ...] | None, ModelsError | None]:
    """`/v1/models` → model entries, or a readable error and its kind."""
    if answer.error:
        return None, (answer.error, answer.error_kind or ErrorKind.OTHER)
    if answer.status != 200:
        return None, (f"HTTP {answer.status}: {error_message(answer)}", ErrorKind.HTTP_STATUS)
    try:
        data = answer.json()
        entries = data["data"]
        models = tuple(
            ModelInfo(
                id=str(item["id"]),
                root=item.get("root") if isinstance(item.get("root"), str) else None,
                max_model_len=item.get("max_model_len") if isinstance(item.get("max_model_len"), int) else None,
            )
            for item in entries
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, (f"/v1/models is not an OpenAI model list: {answer.excerpt(120)!r}", ErrorKind.BODY)
    return models, None


def parse_version(answer: Answer) -> str | None:
    if answer.status != 200:
        return None
    try:
        value = answer.json().get("version")
    except (ValueError, AttributeError):
        return None
    return str(value)[:40] if value is not None else None


VERSION_EVERY = 12  # polls: a minute at the default 5 s interval


class ServerCollector:
    """Polls the API surface of one vLLM server."""

    name = "server"

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float, interval: float = 5.0) -> None:
        self.client = client
        self.base_url = base_url
        self.timeout = timeout
        self.metrics = MetricsCollector(client, base_url, timeout, min_gap=interval)
        self._version: str | None = None
        self._version_key: tuple = ()  # (health status, process start time) when /version was asked
        self._version_polls = 0

    async def _version_now(self, health: int | None, started: float | None) -> str | None:
        key = (health, started)
        self._version_polls += 1
        if self._version is None or key != self._version_key or self._version_polls >= VERSION_EVERY:
            answer = await request(self.client, "GET", f"{self.base_url}/version", self.timeout, tag="version")
            self._version = parse_version(answer)
            self._version_key, self._version_polls = key, 0
        return self._version

    async def collect(self) -> ServerSample:
        health = await request(
            self.client, "GET", f"{self.base_url}/health", self.timeout, max_body=64 * 1024, tag="health"
        )
        result = HttpResult(
            status=health.status,
            content_type=health.content_type,
            body_excerpt=health.excerpt(200),
            error=health.error,
            latency_s=health.latency_s,
            error_kind=health.error_kind,
        )
        if health.status is None:
            self._version = None  # down: ask again once it answers
            return ServerSample(t=time.time(), url=self.base_url, health=result)
        answer = await request(self.client, "GET", f"{self.base_url}/v1/models", self.timeout, tag="models")
        models, models_error = parse_models(answer)
        metrics = await self.metrics.collect()
        started = metrics.start_time if metrics is not None and metrics.ok else None
        version = await self._version_now(health.status, started)
        return ServerSample(
            t=time.time(),
            url=self.base_url,
            health=result,
            version=version,
            models=models,
            models_error=models_error[0] if models_error else None,
            models_error_kind=models_error[1] if models_error else None,
            models_status=answer.status,
            metrics=metrics,
        )
