"""Server collector: `GET /health`, `/version`, `/v1/models` and `/metrics` → one `ServerSample`.

When `/health` gets no answer the others are skipped (the server is down), so a dead target costs
one connection attempt per poll. `/metrics` is scraped at most once per interval, even when a key
forces an early poll.
"""

from __future__ import annotations

import time

import httpx

from tui.collectors.http_util import Answer, error_message, request
from tui.collectors.metrics import MetricsCollector
from tui.model.samples import HttpResult, ModelInfo, ServerSample


def parse_models(answer: Answer) -> tuple[tuple[ModelInfo, ...] | None, str | None]:
    """`/v1/models` → model entries, or a readable error."""
    if answer.error:
        return None, answer.error
    if answer.status != 200:
        return None, f"HTTP {answer.status}: {error_message(answer)}"
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
        return None, f"/v1/models is not an OpenAI model list: {answer.excerpt(120)!r}"
    return models, None


def parse_version(answer: Answer) -> str | None:
    if answer.status != 200:
        return None
    try:
        value = answer.json().get("version")
    except (ValueError, AttributeError):
        return None
    return str(value)[:40] if value is not None else None


class ServerCollector:
    """Polls the API surface of one vLLM server."""

    name = "server"

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float, interval: float = 5.0) -> None:
        self.client = client
        self.base_url = base_url
        self.timeout = timeout
        self.metrics = MetricsCollector(client, base_url, timeout, min_gap=interval)

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
        )
        if health.status is None:
            return ServerSample(t=time.time(), url=self.base_url, health=result)
        version = parse_version(
            await request(self.client, "GET", f"{self.base_url}/version", self.timeout, tag="version")
        )
        models, models_error = parse_models(
            await request(self.client, "GET", f"{self.base_url}/v1/models", self.timeout, tag="models")
        )
        metrics = await self.metrics.collect()
        return ServerSample(
            t=time.time(),
            url=self.base_url,
            health=result,
            version=version,
            models=models,
            models_error=models_error,
            metrics=metrics,
        )
