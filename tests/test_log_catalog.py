"""Every catalog entry is verified: its regexes fire on the real capture it names, or on the exact
vLLM text it quotes (from vLLM's source or a public log); and the starter catalog's failure patterns are covered."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, fixture
from tui.logs import catalog
from tui.logs.parse import parse_line

STARTER = FIXTURES.parent / "vllm-log-patterns.json"
# Starter entries deliberately not carried over, and why (each was checked against the captures/facts).
DROPPED = {
    "dist_port_in_use": "a WARNING after which vLLM retries on another internal port: not a failure",
    "pydantic_config_error": "a wrapper: the 'Value error, …' line under it is what the specific entries match",
    "v1_fallback_v0": "informational fallback, the server still works",
    "dtype_fallback": "informational; bf16 → fp16 on older GPUs works",
    "task_deprecated": "a deprecation warning; the flag still works on 0.10–0.12",
    "override_pooler_config_deprecated": "a deprecation warning; startup continues",
    "extra_fields_ignored": "client noise; requests succeed",
}


@pytest.mark.parametrize("pattern", catalog.PATTERNS, ids=lambda p: p.id)
def test_entry_is_complete_and_verified(pattern: catalog.LogPattern) -> None:
    assert pattern.scope in ("server", "request") and pattern.severity in ("fail", "warn")
    assert pattern.meaning and pattern.cause and pattern.fix and pattern.versions
    assert pattern.seen_in or pattern.examples, "every entry needs a capture or an exact vLLM example"
    level = "INFO" if pattern.levels == "info" else None
    for example in pattern.examples:
        hit = catalog.match(example, level)
        assert hit is not None and hit[0] is pattern, f"{pattern.id} does not win on its example {example!r}"
    for rel in pattern.seen_in:
        lines = [parse_line(x) for x in fixture(rel).read_text(errors="replace").splitlines()]
        assert any(pattern.search(x.text) for x in lines), f"{pattern.id} never fires in {rel}"


def test_ids_are_unique_and_access_rules_are_sane() -> None:
    ids = [p.id for p in catalog.PATTERNS] + [r.id for r in catalog.ACCESS_RULES]
    assert len(ids) == len(set(ids))
    for rule in catalog.ACCESS_RULES:
        assert rule.statuses and all(400 <= s < 600 for s in rule.statuses)
        assert rule.min_count >= 1 and rule.window_s > 0 and rule.fix


def test_required_failures_are_covered() -> None:
    ids = set(catalog.BY_ID)
    required = {
        "startup.port_in_use",
        "startup.model_path",
        "startup.no_weights",
        "server.cuda_oom",
        "startup.kv_cache_no_memory",
        "startup.kv_cache_max_len",
        "startup.max_model_len",
        "startup.memory_utilization",
        "engine.dead",
        "engine.worker_died",
        "startup.not_embedding",
        "startup.runner_unsupported",
        "request.unauthorized",
        "request.bad_request",
        "request.not_found",
        "request.server_errors",
    }
    assert required <= ids


def test_kv_cache_fix_says_raise_not_lower() -> None:
    # vLLM's own advice is to raise it: lowering utilisation is the popular, wrong advice for "No available memory for the cache blocks".
    fix = catalog.BY_ID["startup.kv_cache_no_memory"].fix
    assert "RAISE `--gpu-memory-utilization`" in fix
    assert "LOWER `--gpu-memory-utilization`" in catalog.BY_ID["startup.memory_utilization"].fix


def test_starter_catalog_failures_are_covered_or_dropped_with_a_reason() -> None:
    starter = json.loads(STARTER.read_text())
    for entry in starter:
        if entry["severity"] not in ("critical", "error", "warning"):
            continue
        examples = [entry.get("example"), *entry.get("more_examples", [])]
        covered = [catalog.match(x, None) or catalog.match(x, "INFO") for x in examples if x]
        if entry["id"] in DROPPED:
            continue
        assert covered and all(covered), f"starter pattern {entry['id']} is neither covered nor dropped"


def test_no_error_pattern_fires_on_healthy_startup_lines() -> None:
    text = (FIXTURES / "logs" / "startup.log").read_text()
    for raw in text.splitlines():
        line = parse_line(raw)
        assert catalog.match(line.text, line.level if line.kind == "vllm" else None) is None, raw
