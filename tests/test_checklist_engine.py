"""The checklist engine: hysteresis, staleness, events, dependency blocking, and the checks added with it
(api.auth, api.max_model_len, a hung engine, probe.semantic) driven to each status."""

from __future__ import annotations

import time

from tests.conftest import raw_response
from tui.collectors.http_util import Answer
from tui.collectors.probe import decode_long_input
from tui.config import Config
from tui.logs.parse import parse_line
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.rules.shown import ShownChecklist
from tui.samples import (
    ErrorKind,
    HttpResult,
    LogBatch,
    MetricsSample,
    ModelInfo,
    ProbeSample,
    SemanticSample,
    ServerSample,
)
from tui.state.store import Store

CFG = Config(url="http://127.0.0.1:8000", model="Qwen3-Embedding-4B", dims=2560, fail_after=2, pass_after=2)
MODELS = (ModelInfo("Qwen3-Embedding-4B", "/models/Qwen3-Embedding-4B", 32768),)


def up(t: float, **kw) -> ServerSample:
    return ServerSample(t, CFG.url, HttpResult(200), version="0.32.0", models=MODELS, **kw)


def good(t: float) -> ProbeSample:
    return ProbeSample(t, "Qwen3-Embedding-4B", 200, 0.04, dims=2560, norm=1.0, finite=True, all_zero=False)


def bad(t: float) -> ProbeSample:
    return ProbeSample(t, "Qwen3-Embedding-4B", 200, 0.04, dims=1024, norm=1.0, finite=True, all_zero=False)


def shown(cl: ShownChecklist, store: Store, now: float, check_id: str = "probe.dimensions"):
    return next(r for r in cl.update(store, now=now) if r.id == check_id)


def test_hysteresis_needs_k_bad_and_m_good_observations() -> None:
    store, cl = Store(), ShownChecklist(CFG)
    store.apply(up(0))
    store.apply(good(0))
    assert shown(cl, store, 0).status == Status.PASS
    store.apply(bad(1))
    held = shown(cl, store, 1)
    assert held.status == Status.PASS and "now fail" in held.evidence[-1] and "(1 of 2)" in held.evidence[-1]
    # Redraws without a new probe are not new observations.
    for _ in range(5):
        assert shown(cl, store, 1.5).status == Status.PASS
    store.apply(bad(2))
    assert shown(cl, store, 2).status == Status.FAIL
    store.apply(good(3))
    recovering = shown(cl, store, 3)
    assert recovering.status == Status.FAIL and "recovering" in recovering.evidence[-1]
    store.apply(good(4))
    assert shown(cl, store, 4).status == Status.PASS
    changes = [(e.check_id, e.old, e.new) for e in cl.events if e.check_id == "probe.dimensions"]
    assert changes == [  # the first pass is not an event; going red and back are
        ("probe.dimensions", Status.PASS, Status.FAIL),
        ("probe.dimensions", Status.FAIL, Status.PASS),
    ]


def test_first_verdict_is_immediate_and_k_1_disables_hysteresis() -> None:
    store, cl = Store(), ShownChecklist(CFG)
    store.apply(up(0))
    store.apply(bad(0))
    assert shown(cl, store, 0).status == Status.FAIL  # nothing shown before: no waiting
    quick = ShownChecklist(Config(url=CFG.url, model=CFG.model, dims=2560, fail_after=1, pass_after=1))
    store.apply(good(1))
    assert shown(quick, store, 1).status == Status.PASS


def test_stale_inputs_say_stale_not_pass() -> None:
    store, cl = Store(), ShownChecklist(CFG)
    store.apply(up(0))
    store.apply(good(0))
    assert shown(cl, store, 5).status == Status.PASS
    late = shown(cl, store, 500, "api.reachable")
    assert late.status == Status.STALE and "no server data for 500 s" in late.summary and "last pass" in late.summary
    paused = next(r for r in cl.update(store, now=500, paused=True) if r.id == "probe.status")
    assert paused.status == Status.STALE and "polling is paused" in paused.summary


def test_server_down_blocks_the_dependents() -> None:
    store = Store()
    store.apply(ServerSample(0, CFG.url, HttpResult(None, error="connection refused", error_kind=ErrorKind.REFUSED)))
    results = {r.id: r for r in evaluate(store, CFG, time.time())}
    assert results["api.reachable"].status == Status.FAIL
    for check in ("api.auth", "api.models", "api.max_model_len", "probe.status"):
        assert results[check].status == Status.BLOCKED and results[check].summary == "blocked by api.reachable"
    assert results["probe.dimensions"].summary == "blocked by probe.status"


def test_api_auth_each_status() -> None:
    store = Store()
    store.apply(
        ServerSample(
            0,
            CFG.url,
            HttpResult(200),
            models=None,
            models_error='HTTP 401: {"error": "Unauthorized"}',
            models_error_kind=ErrorKind.HTTP_STATUS,
            models_status=401,
        )
    )
    r = {x.id: x for x in evaluate(store, CFG, time.time())}["api.auth"]
    assert r.status == Status.FAIL and "sent no key" in r.summary and "$VLLM_API_KEY" in r.fix
    keyed = Config(url=CFG.url, api_key="k", model=CFG.model)
    r = {x.id: x for x in evaluate(store, keyed, time.time())}["api.auth"]
    assert r.status == Status.FAIL and "sent a key" in r.summary and "not one vLLM accepts" in r.fix
    store.apply(up(1))
    store.apply(good(1))
    assert {x.id: x for x in evaluate(store, CFG, time.time())}["api.auth"].status == Status.PASS


def test_max_model_len_each_status() -> None:
    store = Store()
    store.apply(up(0))
    r = {x.id: x for x in evaluate(store, CFG, time.time())}["api.max_model_len"]
    assert r.status == Status.PASS and "32,768" in r.summary
    # The real 0.32 answer to a 300-token input on a 256-token model, as the long-input probe decodes it.
    status, _, body = raw_response("http/44-emb_300_tokens_under_char_limit.response")
    store.long_input = decode_long_input(Answer(status, "application/json", body, 0.01), 256, 320)
    r = {x.id: x for x in evaluate(store, CFG, time.time())}["api.max_model_len"]
    assert r.status == Status.PASS and "rejected (400)" in r.summary
    line = (
        "(APIServer pid=1) ERROR 11-24 18:58:16 [serving.py:1] This model's maximum context length is 32768 tokens. "
        "However, your prompt contains at least 32769 input tokens, which exceeds this limit."
    )
    store.apply(LogBatch(1, "log", (parse_line(line),)))
    r = {x.id: x for x in evaluate(store, CFG, time.time())}["api.max_model_len"]
    assert r.status == Status.WARN and "Chunk Size" in r.fix


def test_hung_engine_from_metrics() -> None:
    store = Store()
    store.apply(LogBatch(0, "log", (parse_line("INFO:     Application startup complete."),)))
    for i in range(4):
        m = MetricsSample(
            float(i * 5), running=4.0, waiting=2.0, counters={"prompt_tokens": 900.0}, success={"stop": 10.0}
        )
        store.apply(up(float(i * 5), metrics=m))
    r = {x.id: x for x in evaluate(store, CFG, time.time())}["vllm.engine"]
    assert r.status == Status.FAIL and "engine stuck: 6 requests in, none finished" in r.summary
    m = MetricsSample(20.0, running=4.0, counters={"prompt_tokens": 950.0}, success={"stop": 12.0})
    store.apply(up(20.0, metrics=m))  # progress again
    assert {x.id: x for x in evaluate(store, CFG, time.time())}["vllm.engine"].status == Status.PASS


def test_semantic_each_status() -> None:
    store = Store()
    store.apply(up(0))
    store.apply(good(0))
    assert {x.id: x for x in evaluate(store, CFG, time.time())}["probe.semantic"].status == Status.UNKNOWN
    store.apply(SemanticSample(1, 0.05, related=0.31, unrelated=0.30))
    r = {x.id: x for x in evaluate(store, CFG, time.time())}["probe.semantic"]
    assert r.status == Status.FAIL and "do not win" in r.summary and "last-token pooling" in r.fix
    store.apply(SemanticSample(2, 0.05, related=0.7, unrelated=0.1))
    assert {x.id: x for x in evaluate(store, CFG, time.time())}["probe.semantic"].status == Status.PASS
    store.apply(SemanticSample(3, 0.05, error="HTTP 500: boom"))
    assert {x.id: x for x in evaluate(store, CFG, time.time())}["probe.semantic"].status == Status.FAIL
