"""What the path of a client request says about the client's configuration (pure, no state).

How Open WebUI ingests (seen with the real Open WebUI 0.12.4 against the real vLLM:
tests/captures/openwebui-real-vllm): `POST {base_url}/embeddings` verbatim — so a base URL
without `/v1` shows up as `POST /embeddings` (404), a doubled one as `/v1/v1/embeddings`; an
Ollama-style client posts to `/api/embed` or `/api/embeddings`.
"""

from __future__ import annotations

WRONG_KINDS = frozenset({"no-v1", "double-v1", "double-slash", "other-path", "no-v1-api", "base-only"})
# vLLM's rerank routes (a pooling model served as a reranker); Open WebUI's external reranker posts to its URL verbatim
_RERANK_ROUTES = frozenset({"/rerank", "/v1/rerank", "/v2/rerank"})
# OpenAI routes a client calls without the /v1 of its base URL, and the old demo server's `/generate`.
# (GET probes such as Open WebUI's `/api/tags` or `/models` for Ollama detection are not counted: harmless.)
_OPENAI_ROUTES = frozenset({"/chat/completions", "/completions", "/generate", "/api/embed", "/api/embeddings"})


def route_kind(path: str) -> str | None:
    """Like `path_kind`, and for other routes: 'no-v1-api' for an OpenAI/Ollama route without `/v1`, 'rerank' for
    vLLM's rerank routes, 'base-only' for the base URL itself (`/v1`: a client given the base where it needs the
    full endpoint, as Open WebUI's external reranker does)."""
    kind = path_kind(path)
    if kind is not None:
        return kind
    bare = path.split("?", 1)[0]
    if bare in _RERANK_ROUTES:
        return "rerank"
    if bare in ("/v1", "/v1/"):
        return "base-only"
    return "no-v1-api" if bare in _OPENAI_ROUTES or bare.startswith("/v1/v1/") else None


def path_kind(path: str) -> str | None:
    """'ok' for /v1/embeddings, a named mistake for the usual wrong base URLs, None for other paths."""
    bare = path.split("?", 1)[0]
    if bare == "/v1/embeddings":
        return "ok"
    if not (bare.endswith("embeddings") or bare.endswith("/embed") or bare.endswith("/embedding")):
        return None
    if bare == "/embeddings":
        return "no-v1"
    if "/v1/v1/" in bare:
        return "double-v1"
    if "//" in bare:
        return "double-slash"
    if bare == "/v2/embed":
        return None  # vLLM's own Cohere-style route
    return "other-path"
