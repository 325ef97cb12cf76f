"""Response bodies of vLLM 0.32 as captured (tests/captures/vllm-0.32-cpu/http/), built for the demo."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import secrets
import time
from array import array
from typing import Any


def dumps(data: Any) -> bytes:
    """Compact JSON, as FastAPI/vLLM writes it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def error_body(message: str, type_: str, code: int, param: str | None = None) -> bytes:
    """vLLM ≥0.10.1 error shape: `{"error":{"message","type","param","code"}}`."""
    return dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def detail_body(detail: str) -> bytes:
    """Starlette's shape for unknown routes and wrong methods."""
    return dumps({"detail": detail})


@functools.lru_cache(maxsize=64)
def vector_json(text: str, dims: int) -> str:
    """The JSON array of `unit_vector(text, dims)`, cached: the probe sends the same text every time."""
    return json.dumps(unit_vector(text, dims), separators=(",", ":"))


def _gauss_unit(key: str, dims: int) -> array[float]:
    seed = int.from_bytes(hashlib.sha256(key.encode("utf-8", "replace")).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return array("d", [v / norm for v in values])


# A word's or topic's vector, cached: they recur in every text. As an array of doubles (the same values,
# 8 bytes each instead of a 32-byte float object and its slot): 20 KB for 2560 dims, not 82 KB.
_random_unit = functools.lru_cache(maxsize=512)(_gauss_unit)


def _topics() -> dict[str, str]:
    """The semantic probe's texts → the meaning a real model gives them: a query and its paraphrase share one."""
    from tui.collectors.probe import SEMANTIC_PAIRS, SEMANTIC_TASK

    out: dict[str, str] = {}
    for i, (query, related, unrelated) in enumerate(SEMANTIC_PAIRS):
        for q in (query, f"Instruct: {SEMANTIC_TASK}\nQuery:{query}"):
            out[q] = f"topic:{i}"
        out[related] = f"topic:{i}"
        out[unrelated] = f"other:{i}"
    return out


_TOPICS: dict[str, str] = {}


def unit_vector(text: str, dims: int) -> list[float]:
    """A deterministic unit-norm vector for `text`: the sum of its words' vectors plus a little of its own, so
    texts that share words point the same way and the same text always gives the same vector; the semantic
    probe's texts also carry their meaning (a query and its paraphrase share a topic), like a real model."""
    if not _TOPICS:
        _TOPICS.update(_topics())
    words = [w.strip(".,;:?!'\"()").lower() for w in text.split()]
    words = [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words if len(w) > 2][:64]
    # The text's own part is not cached: each ingested chunk is new (cached, 512 of them held 40 MB).
    acc = [0.3 * v for v in _gauss_unit("text:" + text, dims)]
    topic = _TOPICS.get(text)
    if topic is not None:
        acc = [a + 6.0 * v for a, v in zip(acc, _random_unit(topic, dims), strict=True)]
    for word in words:
        for i, v in enumerate(_random_unit("word:" + word, dims)):
            acc[i] += v
    norm = math.sqrt(sum(v * v for v in acc)) or 1.0
    return [v / norm for v in acc]


def count_tokens(text: str) -> int:
    """A rough token count (words × 1.3, plus the end-of-text token Qwen3 appends)."""
    return max(1, round(len(text.split()) * 1.3)) + 1


def too_long_body(text: str, max_len: int) -> bytes:
    """vLLM 0.32's two answers to an over-long input: the character pre-check, else the token check
    (captures 22-emb_long_2000_words and 44-emb_300_tokens_under_char_limit)."""
    bound = max_len * 18
    head = f"This model's maximum context length is {max_len} tokens. However, your prompt contains "
    tail = " Please reduce the length of the input prompt."
    if len(text) > bound:
        message = (
            f"{head}{len(text)} characters (more than {bound} characters, which is the upper bound for {max_len} "
            f"input tokens).{tail} (parameter=input_text, value={len(text)})"
        )
        return error_body(message, "BadRequestError", 400, "input_text")
    message = (
        f"{head}at least {max_len + 1} input tokens, which exceeds this limit even without any output tokens."
        f"{tail} (parameter=input_tokens, value={max_len + 1})"
    )
    return error_body(message, "BadRequestError", 400, "input_tokens")


def models_body(served: str, root: str, max_len: int, created: int) -> bytes:
    perm = {
        "id": "modelperm-" + secrets.token_hex(8),
        "object": "model_permission",
        "created": created,
        "allow_create_engine": False,
        "allow_sampling": True,
        "allow_logprobs": True,
        "allow_search_indices": False,
        "allow_view": True,
        "allow_fine_tuning": False,
        "organization": "*",
        "group": None,
        "is_blocking": False,
    }
    entry = {
        "id": served,
        "object": "model",
        "created": created,
        "owned_by": "vllm",
        "root": root,
        "parent": None,
        "max_model_len": max_len,
        "permission": [perm],
    }
    return dumps({"object": "list", "data": [entry]})


def embeddings_body(served: str, inputs: list[str], dims: int) -> tuple[bytes, int]:
    """A successful `/v1/embeddings` answer and its prompt token count."""
    tokens = sum(count_tokens(t) for t in inputs)
    marker = "\x00vector-{}\x00"
    data = [{"index": i, "object": "embedding", "embedding": marker.format(i)} for i, text in enumerate(inputs)]
    body = {
        "id": "embd-" + secrets.token_hex(8),
        "object": "list",
        "created": int(time.time()),
        "model": served,
        "data": data,
        "usage": {
            "prompt_tokens": tokens,
            "total_tokens": tokens,
            "completion_tokens": 0,
            "prompt_tokens_details": None,
            "completion_tokens_details": None,
        },
    }
    text = json.dumps(body, separators=(",", ":"))
    for i, item in enumerate(inputs):
        # Splice in the cached vector JSON (json.dumps escapes the NUL marker as \u0000).
        text = text.replace(json.dumps(marker.format(i)), vector_json(item, dims), 1)
    return text.encode(), tokens


_WORDS = (
    "harbour", "ferry", "lighthouse", "keeper", "tide", "pier", "cargo", "schedule", "crane", "berth",
    "manifest", "pilot", "beacon", "quay", "storm", "harbourmaster", "vessel", "mooring", "dredging",
    "channel", "buoy", "warehouse", "customs", "tug", "container", "gantry",
)  # fmt: skip


def chunk_text(rng: random.Random) -> str:
    """A document chunk like Open WebUI's (600-character splitter): 80–120 words of harbour-manual prose."""
    n = rng.randint(80, 120)
    return " ".join(rng.choice(_WORDS) for _ in range(n)) + "."
