"""Embedding probes: `POST /v1/embeddings` and a check of what comes back.

- The regular probe embeds one short document. Qwen3-Embedding documents need no prefix (only
  queries take an instruction), so the text is plain. The answer is decoded into dims, L2 norm,
  finiteness and all-zero, or a readable error.
- The semantic probe embeds six queries, each with two documents: a related one that shares no content
  word with the query (a paraphrase: "ferry … harbour" → "boats … port") and an unrelated one that shares
  several. Weights that carry meaning rank the paraphrase first; random or broken weights follow the shared
  words (a random-weight Qwen3 under the 4B name passed the old one-pair probe: 0.56 vs 0.37, because the
  related document repeated the query's words). Queries take Qwen3's instruct format (`Instruct: {task}\n
  Query:{query}`, no space after `Query:`, as the model card writes it) when the served weights are a
  Qwen3-Embedding (the model root says so), plain otherwise.
- The long-input probe sends more words than `max_model_len` tokens and reports whether the server
  rejects it (400) or truncates it (200): what a client ingesting long chunks must know.
Every request carries `?embedtop=<kind>` (see http_util.MARKER).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import httpx

from tui.collectors.http_util import Answer, error_message, request
from tui.samples import ErrorKind, LongInputSample, ProbeSample, SemanticSample

PROBE_TEXT = "embedtop probe: the harbour opens at six and the ferry leaves at seven."
SEMANTIC_TASK = "Given a web search query, retrieve relevant passages that answer the query"
# (query, related: no content word shared, unrelated: shares several). Checked on the real CPU vLLM: the
# real all-MiniLM-L6-v2 ranks every related document first (mean margin 0.11); a random-weight Qwen3
# loses half of them (mean margin -0.03) — tests/test_real_vllm.py.
SEMANTIC_PAIRS: tuple[tuple[str, str, str], ...] = (
    (
        "When does the ferry leave the harbour?",
        "Boats to the island depart from the port at seven each morning.",
        "Harbour seals leave their pups on the rocks when the tide is low.",
    ),
    (
        "What is the boiling point of water at sea level?",
        "At one atmosphere of pressure, H2O turns to steam at 100 degrees Celsius.",
        "Sea level rise threatens the water supply of coastal cities.",
    ),
    (
        "Symptoms of a cold in children",
        "Kids with a virus often have a runny nose, sneezing and a mild fever.",
        "Cold war children grew up with civil defence drills at school.",
    ),
    (
        "Who painted the ceiling of the Sistine Chapel?",
        "Michelangelo spent four years on the frescoes above the Vatican's papal altar.",
        "The chapel ceiling collapsed during the storm and was rebuilt in oak.",
    ),
    (
        "How much does a new car battery cost?",
        "Replacing the vehicle's 12-volt accumulator usually runs between 100 and 250 dollars.",
        "A new battery of tests showed the car was safe in a crash.",
    ),
    (
        "Best way to learn to play the guitar",
        "Beginners should practise chords for fifteen minutes daily and take a few lessons with a teacher.",
        "The best play of the season came when the guitar player learned to sing.",
    ),
)
SEMANTIC_QUERY = f"Instruct: {SEMANTIC_TASK}\nQuery:{SEMANTIC_PAIRS[0][0]}"  # the first query, instruct form


def wants_instruct(model: str | None, root: str | None) -> bool:
    """Qwen3-Embedding queries take the instruct prefix; the served weights (root) decide, else the name."""
    name = (root or model or "").lower()
    return "qwen3-embedding" in name or "qwen3_embedding" in name


def semantic_inputs(instruct: bool) -> list[str]:
    """query, related, unrelated for every pair, in order."""
    out: list[str] = []
    for query, related, unrelated in SEMANTIC_PAIRS:
        out += [f"Instruct: {SEMANTIC_TASK}\nQuery:{query}" if instruct else query, related, unrelated]
    return out


LONG_WORD = "harbour "  # one token in common vocabularies; the probe sends max_model_len + 64 of them
LONG_EXTRA = 64


def _usage_tokens(data: dict) -> int | None:
    usage = data.get("usage")
    value = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return value if isinstance(value, int) else None


def _vectors(answer: Answer) -> tuple[list[list[float]] | None, dict | None, str | None, ErrorKind | None]:
    """(vectors, parsed body, error, error kind) of an embeddings answer."""
    if answer.error:
        return None, None, answer.error, answer.error_kind or ErrorKind.OTHER
    if answer.status != 200:
        return None, None, error_message(answer), ErrorKind.HTTP_STATUS
    if answer.truncated:
        return (
            None,
            None,
            f"the answer is larger than {len(answer.body) // 2**20} MiB: reading stopped there",
            ErrorKind.BODY,
        )
    try:
        data = answer.json()
    except ValueError:
        return None, None, error_message(answer), ErrorKind.BODY
    if not isinstance(data, dict):
        return None, None, f"answer is not a JSON object: {answer.excerpt(80)!r}", ErrorKind.BODY
    if "error" in data or data.get("object") == "error":
        # vLLM 0.6.4–0.15 answer some failures with HTTP 200 and an error object.
        return None, data, "HTTP 200 carrying an error: " + error_message(answer), ErrorKind.BODY
    items = data.get("data")
    if not isinstance(items, list) or not items:
        return None, data, "answer has no `data` vectors", ErrorKind.BODY
    vectors = []
    for item in items:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(vector, list) or not vector:
            kind = "a base64 string" if isinstance(vector, str) else "missing"
            return None, data, f"`data[{len(vectors)}].embedding` is {kind}, not a list of floats", ErrorKind.BODY
        try:
            vectors.append([float(v) for v in vector])
        except (TypeError, ValueError):
            return None, data, f"`data[{len(vectors)}].embedding` holds non-numbers", ErrorKind.BODY
    return vectors, data, None, None


def decode_embedding(answer: Answer, model: str, manual: bool = False) -> ProbeSample:
    """Turn one `/v1/embeddings` answer into a ProbeSample. Never raises."""
    now = time.time()
    base = dict(t=now, model=model, http_status=answer.status, latency_s=answer.latency_s, manual=manual)
    vectors, data, error, kind = _vectors(answer)
    if vectors is None:
        return ProbeSample(**base, error=error, error_kind=kind)
    assert data is not None
    values = vectors[0]
    finite = all(math.isfinite(v) for v in values)
    norm = math.sqrt(sum(v * v for v in values)) if finite else None
    return ProbeSample(
        **base,
        dims=len(values),
        norm=norm,
        finite=finite,
        all_zero=not any(values),
        response_model=str(data.get("model")) if data.get("model") is not None else None,
        tokens=_usage_tokens(data),
    )


def cosine(a: list[float], b: list[float]) -> float | None:
    if len(a) != len(b):
        return None
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    if not (na and nb) or not math.isfinite(na * nb):
        return None
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def decode_semantic(answer: Answer, manual: bool = False) -> SemanticSample:
    """Score the query against the two documents. Never raises."""
    vectors, data, error, kind = _vectors(answer)
    base = dict(t=time.time(), latency_s=answer.latency_s, manual=manual)
    if vectors is None:
        return SemanticSample(**base, error=error, error_kind=kind)
    want = 3 * len(SEMANTIC_PAIRS)
    if len(vectors) != want:
        return SemanticSample(**base, error=f"asked for {want} vectors, got {len(vectors)}", error_kind=ErrorKind.BODY)
    pairs = []
    for i in range(0, want, 3):
        related, unrelated = cosine(vectors[i], vectors[i + 1]), cosine(vectors[i], vectors[i + 2])
        if related is None or unrelated is None:
            error = "vectors of different lengths, zero or not finite"
            return SemanticSample(**base, error=error, error_kind=ErrorKind.BODY)
        pairs.append((related, unrelated))
    return SemanticSample(
        **base,
        related=sum(r for r, _ in pairs) / len(pairs),
        unrelated=sum(u for _, u in pairs) / len(pairs),
        tokens=_usage_tokens(data or {}),
        inputs=want,
        pairs=tuple(pairs),
    )


def decode_long_input(answer: Answer, max_model_len: int, words: int) -> LongInputSample:
    """Rejected (400 with vLLM's length message) or truncated (200). Never raises."""
    base = dict(t=time.time(), max_model_len=max_model_len, words=words, http_status=answer.status)
    if answer.error:
        return LongInputSample(**base, outcome="error", message=answer.error)
    if answer.status == 200:
        vectors, data, error, _ = _vectors(answer)
        if vectors is None:
            return LongInputSample(**base, outcome="error", message=error or "")
        tokens = _usage_tokens(data or {})
        return LongInputSample(**base, outcome="truncated", tokens=tokens, message=f"embedded {tokens} tokens")
    message = error_message(answer)
    if answer.status == 400:
        return LongInputSample(**base, outcome="rejected", message=message)
    return LongInputSample(**base, outcome="error", message=f"HTTP {answer.status}: {message}")


class ProbeCollector:
    """Sends one probe embedding per call."""

    name = "probe"

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        timeout: float,
        model: Callable[[], str | None],
        root: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.client = client
        self.base_url = base_url
        self.timeout = timeout
        self.model = model  # the configured model, else the first id /v1/models served
        self.root = root  # the served weights' path (/v1/models `root`), when known
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

    async def semantic(self, manual: bool = False) -> SemanticSample:
        """The semantic probe: one request with every pair's query and both documents."""
        model = self.model()
        body: dict[str, object] = {"input": semantic_inputs(wants_instruct(model, self.root()))}
        if model:
            body["model"] = model
        answer = await request(
            self.client, "POST", f"{self.base_url}/v1/embeddings", self.timeout, json_body=body, tag="semantic"
        )
        return decode_semantic(answer, manual=manual)

    async def long_input(self, max_model_len: int | None) -> LongInputSample:
        """The long-input probe: `max_model_len + 64` words (skipped until /v1/models gave the limit)."""
        if not max_model_len:
            return LongInputSample(
                time.time(), None, 0, None, "skipped", "max_model_len unknown: /v1/models not read yet"
            )
        words = max_model_len + LONG_EXTRA
        body: dict[str, object] = {"input": LONG_WORD * words}
        model = self.model()
        if model:
            body["model"] = model
        answer = await request(
            self.client, "POST", f"{self.base_url}/v1/embeddings", max(self.timeout, 30.0), json_body=body, tag="long"
        )
        return decode_long_input(answer, max_model_len, words)
