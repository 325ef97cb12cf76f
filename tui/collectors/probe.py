"""Embedding probe: `POST /v1/embeddings` with one short document and a check of what comes back.

Qwen3-Embedding documents need no prefix (only queries take an instruction), so the probe text
is plain. The answer is decoded into dims, L2 norm, finiteness and all-zero, or a readable error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import httpx

from tui.collectors.http_util import Answer, error_message, request
from tui.model.samples import ProbeSample

PROBE_TEXT = "embedtop probe: the harbour opens at six and the ferry leaves at seven."


def decode_embedding(answer: Answer, model: str, manual: bool = False) -> ProbeSample:
    """Turn one `/v1/embeddings` answer into a ProbeSample. Never raises."""
    now = time.time()
    base = dict(t=now, model=model, http_status=answer.status, latency_s=answer.latency_s, manual=manual)
    if answer.error:
        return ProbeSample(**base, error=answer.error, error_kind="transport")
    if answer.status != 200:
        return ProbeSample(**base, error=error_message(answer), error_kind="http")
    try:
        data = answer.json()
    except ValueError:
        return ProbeSample(**base, error=error_message(answer), error_kind="body")
    if not isinstance(data, dict):
        return ProbeSample(**base, error=f"answer is not a JSON object: {answer.excerpt(80)!r}", error_kind="body")
    if "error" in data or data.get("object") == "error":
        # vLLM 0.6.4–0.15 answer some failures with HTTP 200 and an error object.
        return ProbeSample(**base, error="HTTP 200 carrying an error: " + error_message(answer), error_kind="body")
    items = data.get("data")
    if not isinstance(items, list) or not items:
        return ProbeSample(**base, error="answer has no `data` vectors", error_kind="body")
    vector = items[0].get("embedding") if isinstance(items[0], dict) else None
    if not isinstance(vector, list) or not vector:
        kind = "a base64 string" if isinstance(vector, str) else "missing"
        return ProbeSample(**base, error=f"`data[0].embedding` is {kind}, not a list of floats", error_kind="body")
    try:
        values = [float(v) for v in vector]
    except (TypeError, ValueError):
        return ProbeSample(**base, error="`data[0].embedding` holds non-numbers", error_kind="body")
    finite = all(math.isfinite(v) for v in values)
    norm = math.sqrt(sum(v * v for v in values)) if finite else None
    return ProbeSample(
        **base,
        dims=len(values),
        norm=norm,
        finite=finite,
        all_zero=not any(values),
        response_model=str(data.get("model")) if data.get("model") is not None else None,
    )


class ProbeCollector:
    """Sends one probe embedding per call."""

    name = "probe"

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        timeout: float,
        model: Callable[[], str | None],
    ) -> None:
        self.client = client
        self.base_url = base_url
        self.timeout = timeout
        self.model = model  # the configured model, else the first id /v1/models served
        self.manual_next = False

    async def collect(self) -> ProbeSample:
        manual, self.manual_next = self.manual_next, False
        model = self.model()
        body: dict[str, object] = {"input": PROBE_TEXT}
        if model:
            body["model"] = model
        answer = await request(
            self.client, "POST", f"{self.base_url}/v1/embeddings", self.timeout, json_body=body, tag="probe"
        )
        return decode_embedding(answer, model or "(server default)", manual=manual)
