"""The access rules for 429, 413/422 and rerank routes: which rule counts a line, by status and path
(tui/logs/catalog.toml [[access]], tui/logs/access.py path kinds); each entry cites the public threads it is from."""

from __future__ import annotations

import pytest

from tui.logs import catalog
from tui.logs.access import route_kind


def rule_for(status: int, path: str) -> str | None:
    hit = next((r for r in catalog.RULES_BY_STATUS.get(status, ()) if catalog.access_matches(r, status, path)), None)
    return hit.id if hit is not None else None


@pytest.mark.parametrize(
    ("status", "path", "rule", "check"),
    [
        (429, "/v1/embeddings", "request.rate_limited", "vllm.requests"),
        (413, "/v1/embeddings", "request.bad_request", "vllm.requests"),
        (422, "/v1/embeddings", "request.bad_request", "vllm.requests"),
        (404, "/v1/rerank", "request.rerank_failed", "vllm.requests"),
        (400, "/rerank", "request.rerank_failed", "vllm.requests"),
        (404, "/v1", "request.base_url_only", "client.base_url"),
        (404, "/embeddings", "request.wrong_path", "client.base_url"),
        (401, "/v1/rerank", "request.unauthorized", "api.auth"),
    ],
)
def test_each_status_and_path_goes_to_its_rule(status: int, path: str, rule: str, check: str) -> None:
    assert rule_for(status, path) == rule
    assert catalog.BY_ID[rule].check == check


def test_the_fixes_name_what_stands_in_front_of_vllm() -> None:
    assert "RAG_EMBEDDING_CONCURRENT_REQUESTS" in catalog.BY_ID["request.rate_limited"].fix
    bad = catalog.BY_ID["request.bad_request"].fix
    assert "client_max_body_size" in bad and "--max-client-batch-size" in bad
    assert "/v1/rerank" in catalog.BY_ID["request.rerank_failed"].fix


def test_route_kinds() -> None:
    assert [route_kind(p) for p in ("/v1/rerank", "/v2/rerank", "/v1", "/v1/embeddings", "/health")] == [
        "rerank",
        "rerank",
        "base-only",
        "ok",
        None,
    ]
