"""Ingestion tracking from real captures: the vLLM access lines a real Open WebUI 0.12.4 produced (a good
72-chunk ingest and each misconfiguration, tests/captures/openwebui-real-vllm) and the requests it sent
(tests/captures/openwebui/captured-requests.jsonl)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import CAPTURES, capture
from tui.config import Config
from tui.logs.parse import parse_line
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.samples import HttpResult, LogBatch, MetricsSample, ServerSample
from tui.state.ingest import IDLE_S, IngestTracker, path_kind
from tui.state.store import Store

OWUI = CAPTURES / "openwebui-real-vllm"
CFG = Config(url="http://127.0.0.1:8011", log=Path("/var/log/vllm.log"), model="Qwen3-Embedding-4B")


def replay(phase: str, store: Store, per_second: int = 19) -> float:
    """Feed a phase's real vLLM log as the tail would read it a minute ago: ~19 access lines per engine step."""
    lines = [
        parse_line(x) for x in capture(f"{phase}/vllm.log", OWUI).read_text().splitlines() if not x.startswith("#")
    ]
    t = time.time() - 60
    for i in range(0, len(lines), per_second):
        store.apply(LogBatch(t, "vllm.log", tuple(lines[i : i + per_second])))
        t += 1.0
    return t


def checks(store: Store) -> dict:
    return {r.id: r for r in evaluate(store, CFG, time.time())}


def test_path_kinds() -> None:
    assert path_kind("/v1/embeddings") == "ok"
    assert path_kind("/v1/embeddings?embedtop=probe") == "ok"
    assert path_kind("/embeddings") == "no-v1"
    assert path_kind("/v1/v1/embeddings") == "double-v1"
    assert path_kind("//embeddings") == "double-slash"
    assert path_kind("/api/embeddings") == "other-path"
    assert path_kind("/v1/models") is None


def test_real_72_chunk_ingest_is_one_clean_burst() -> None:
    store = Store()
    end = replay("ingest", store)
    store.ingest.tick(end + IDLE_S + 1)
    (burst,) = store.ingest.bursts
    assert burst.ok == 144 and not burst.errors  # 72 chunks × 2 passes (file collection, then the KB)
    r = checks(store)
    assert r["client.base_url"].status == Status.PASS
    assert r["client.model_name"].status == Status.PASS
    assert r["ingest.errors"].status == Status.PASS and "144 client requests" in r["ingest.errors"].summary


@pytest.mark.parametrize(
    ("phase", "check", "summary", "fix"),
    [
        ("fail_no_v1", "client.base_url", "12 client requests without /v1", "http://HOST:PORT/v1"),
        ("fail_wrong_model", "client.model_name", "12 client embedding requests got 404", "--served-model-name"),
        ("fail_too_long", "ingest.errors", "7 of 8 client requests failed", "max_model_len"),
    ],
)
def test_real_misconfigurations(phase: str, check: str, summary: str, fix: str) -> None:
    store = Store()
    store.apply(ServerSample(time.time() - 61, CFG.url, HttpResult(200)))
    replay(phase, store)
    r = checks(store)[check]
    assert r.status == Status.FAIL and summary in r.summary, r.summary
    assert fix in r.fix and r.evidence
    assert checks(store)["ingest.errors"].status == Status.FAIL


def test_our_probes_and_other_paths_are_not_client_traffic() -> None:
    tracker = IngestTracker()
    tracker.on_access(parse_line('INFO:     127.0.0.1:1 - "POST /v1/embeddings?embedtop=probe HTTP/1.1" 200 OK'), 1.0)
    tracker.on_access(parse_line('INFO:     127.0.0.1:1 - "GET /v1/models HTTP/1.1" 200 OK'), 1.0)
    assert tracker.burst is None and not tracker.totals


def test_burst_waits_for_the_queue_to_drain_and_measures_latency() -> None:
    tracker = IngestTracker()
    tracker.on_metrics((10.0, 5.0), 0.0)
    line = parse_line('INFO:     127.0.0.1:2 - "POST /v1/embeddings HTTP/1.1" 200 OK')
    for i in range(20):
        tracker.on_access(line, 100.0 + i * 0.1)
    tracker.on_metrics((50.0, 25.0), 12.0)  # 12 still queued
    tracker.tick(200.0)
    assert tracker.burst is not None  # not over while requests wait
    tracker.on_metrics((70.0, 35.0), 0.0)
    tracker.tick(200.0)
    (burst,) = tracker.bursts
    assert burst.ok == 20 and burst.mean_latency_s == pytest.approx(60.0 / 30.0)


def test_stalled_queue() -> None:
    store = Store()
    for i in range(4):
        m = MetricsSample(float(i * 5), running=0.0, waiting=52.0, success={"stop": 20.0})
        store.apply(ServerSample(float(i * 5), CFG.url, HttpResult(200), metrics=m))
    r = checks(store)["ingest.stalled"]
    assert r.status == Status.FAIL and "52 requests queued and none finished" in r.summary
    m = MetricsSample(20.0, waiting=33.0, success={"stop": 39.0})  # the real step: 19 more finished
    store.apply(ServerSample(20.0, CFG.url, HttpResult(200), metrics=m))
    assert checks(store)["ingest.stalled"].status == Status.PASS


def test_captured_openwebui_requests_match_what_we_classify() -> None:
    rows = [json.loads(x) for x in capture("openwebui/captured-requests.jsonl", CAPTURES).read_text().splitlines()]
    posts = [r for r in rows if r.get("method") == "POST"]
    kinds = {path_kind(r["path"]) for r in posts}
    assert kinds == {"ok", "no-v1"}  # Open WebUI posts {base}/embeddings verbatim
    bodies = [r["body"] for r in posts if isinstance(r.get("body"), dict)]
    assert bodies and all(isinstance(b.get("input"), list) for b in bodies)  # always a list, even one chunk


# ---------------------------------------------------------------- the Open WebUI link


def test_openwebui_config_and_files_parsing() -> None:
    from tui.collectors.openwebui import parse_config, parse_files

    # The shape GET /api/v1/retrieval/embedding answers (Open WebUI 0.12.4, routers/retrieval.py).
    cfg = parse_config(
        {
            "status": True,
            "RAG_EMBEDDING_ENGINE": "openai",
            "RAG_EMBEDDING_MODEL": "Qwen/Qwen3-Embedding-4B",
            "RAG_EMBEDDING_BATCH_SIZE": 16,
            "openai_config": {"url": "http://vllm:8000/v1", "key": "sk-secret"},
        }
    )
    assert cfg == {
        "engine": "openai",
        "model": "Qwen/Qwen3-Embedding-4B",
        "embedding_url": "http://vllm:8000/v1",
        "key_set": True,  # never the key itself
        "batch": 16,
    }
    files = parse_files(
        [
            {"id": "a", "filename": "old.txt", "data": {"status": "completed"}, "updated_at": 1},
            {"id": "b", "filename": "new.txt", "data": {"status": "failed", "error": "boom"}, "updated_at": 2},
            "garbage",
        ]
    )
    assert [(f.name, f.status, f.error) for f in files] == [("new.txt", "failed", "boom"), ("old.txt", "completed", "")]
    # A failed file's error is classified by Open WebUI's failure catalog (what the client checks read).
    width = "400: Collection expecting embedding with dimension of 2560, got 1024"
    (failed,) = parse_files([{"id": "c", "filename": "c.txt", "data": {"status": "failed", "error": width}}])
    assert failed.error_id == "owui.dims_chroma" and files[0].error_id == ""


def _linked(url: str, model: str, files: tuple = ()) -> Store:
    from tui.samples import ModelInfo, OwuiSample

    store = Store()
    store.apply(ServerSample(time.time(), CFG.url, HttpResult(200), models=(ModelInfo("Qwen3-Embedding-4B"),)))
    store.apply(
        OwuiSample(time.time(), "http://owui:8080", engine="openai", model=model, embedding_url=url, files=files)
    )
    return store


def test_openwebui_link_checks() -> None:
    from tui.collectors.openwebui import error_id
    from tui.samples import OwuiFile

    r = checks(_linked("http://127.0.0.1:8011", "Qwen3-Embedding-4B"))
    assert r["client.base_url"].status == Status.FAIL and "has no /v1" in r["client.base_url"].summary
    r = checks(_linked("http://127.0.0.1:8011/v1", "Qwen/Qwen3-Embedding-4B"))
    assert r["client.model_name"].status == Status.FAIL and "'Qwen3-Embedding-4B'" in r["client.model_name"].fix
    dims_error = "Collection expecting embedding with dimension of 2560, got 1024"
    dims = OwuiFile("f", "a.txt", "failed", dims_error, error_id=error_id(dims_error))
    r = checks(_linked("http://127.0.0.1:8011/v1", "Qwen3-Embedding-4B", (dims,)))
    assert r["client.dimensions"].status == Status.FAIL and "Reindex" in r["client.dimensions"].fix
    down_error = "Cannot connect to host 127.0.0.1:8011 ssl:default [Connect call failed]"
    down = OwuiFile("f", "b.txt", "failed", down_error, error_id=error_id(down_error))
    r = checks(_linked("http://127.0.0.1:8011/v1", "Qwen3-Embedding-4B", (down,)))
    assert r["client.base_url"].status == Status.FAIL and "host.docker.internal" in r["client.base_url"].fix
    r = checks(_linked("http://127.0.0.1:8011/v1", "Qwen3-Embedding-4B"))
    assert r["client.dimensions"].status == Status.PASS and r["client.model_name"].status != Status.FAIL
