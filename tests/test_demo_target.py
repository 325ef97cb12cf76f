"""The demo target answers with the shapes, headers and error bodies of the real vLLM 0.32 captures."""

from __future__ import annotations

import json
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import raw_response
from tui.demo.target import DemoTarget

SAME_HEADERS = {"date", "server", "content-length", "content-type", "vary"}


def _sample_value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise KeyError(name)


def test_health_version_models_match_capture(demo: DemoTarget) -> None:
    with httpx.Client(base_url=demo.url) as c:
        h = c.get("/health")
        status, headers, body = raw_response("http/01-GET_health.response")
        assert h.status_code == status and h.content == body == b""
        assert set(h.headers) == set(headers)
        v = c.get("/version")
        _, vh, vbody = raw_response("http/02-GET_version.response")
        assert v.json() == {"version": "0.32.0"} == json.loads(vbody)
        assert set(v.headers) == set(vh) == SAME_HEADERS
        m = c.get("/v1/models").json()
        real = json.loads(raw_response("http/03-GET_v1_models.response")[2])
        assert set(m) == set(real)
        assert set(m["data"][0]) == set(real["data"][0])
        assert set(m["data"][0]["permission"][0]) == set(real["data"][0]["permission"][0])
        assert m["data"][0]["id"] == "Qwen3-Embedding-4B"


def test_embeddings_shape_and_unit_norm(demo: DemoTarget) -> None:
    with httpx.Client(base_url=demo.url) as c:
        r = c.post("/v1/embeddings", json={"model": "Qwen3-Embedding-4B", "input": ["hello world", "second"]})
    real = json.loads(raw_response("http/09-emb_two_strings.response")[2])
    got = r.json()
    assert r.status_code == 200 and set(got) == set(real)
    assert set(got["usage"]) == set(real["usage"]) and set(got["data"][0]) == set(real["data"][0])
    assert got["id"].startswith("embd-") and len(got["data"]) == 2
    vec = got["data"][0]["embedding"]
    assert len(vec) == 2560
    assert abs(sum(v * v for v in vec) ** 0.5 - 1.0) < 1e-6


def test_error_bodies_match_capture(demo: DemoTarget) -> None:
    with httpx.Client(base_url=demo.url) as c:
        cases = [
            (c.post("/v1/embeddings", json={"input": []}), "http/11-emb_empty_list.response"),
            (c.get("/v1/embeddings"), "http/29-GET_v1_embeddings.response"),
            (c.post("/v1/completions", json={}), "http/31-completions.response"),
            (
                c.post("/v1/embeddings", content=b"hello", headers={"content-type": "text/plain"}),
                "http/25-emb_non_json_text_plain.response",
            ),
            (
                c.post("/v1/embeddings", content=b"", headers={"content-type": "application/json"}),
                "http/48-emb_empty_body.response",
            ),
        ]
        for resp, rel in cases:
            status, _headers, body = raw_response(rel)
            assert resp.status_code == status, rel
            assert resp.json() == json.loads(body), rel
        wrong = c.post("/v1/embeddings", json={"model": "no-such-model", "input": "x"})
        assert wrong.status_code == 404
        assert wrong.json() == json.loads(raw_response("http/16-emb_wrong_model.response")[2])
        assert c.get("/v1/embeddings").headers["allow"] == "POST"


def test_metrics_parse_and_grow_with_traffic(demo: DemoTarget) -> None:
    with httpx.Client(base_url=demo.url) as c:
        before = c.get("/metrics")
        _, headers, _ = raw_response("http/49-GET_metrics_after_load.response")
        assert before.headers["content-type"] == headers["content-type"]
        ok = {"finished_reason": "stop", "model_name": "Qwen3-Embedding-4B", "engine": "0"}
        n0 = _sample_value(before.text, "vllm:request_success_total", **ok)
        for _ in range(3):
            c.post("/v1/embeddings", json={"input": ["a", "b"]})
        after = c.get("/metrics").text
    assert _sample_value(after, "vllm:request_success_total", **ok) == n0 + 6
    assert _sample_value(after, "vllm:prompt_tokens_total", engine="0") > 0
    assert _sample_value(after, "vllm:num_requests_waiting", engine="0") == 0
    assert _sample_value(after, "vllm:e2e_request_latency_seconds_count", engine="0") == n0 + 6


def test_log_looks_like_the_real_one(demo: DemoTarget) -> None:
    with httpx.Client(base_url=demo.url) as c:
        c.get("/health")
        c.get("/health?embedtop=health")
    # Like uvicorn, the access line is written after the answer is sent: wait for it (bounded).
    deadline = time.monotonic() + 5
    while "embedtop=health" not in (text := demo.log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "[entry.py:140] Starting vLLM server on http://127.0.0.1:" in text
    assert "INFO:     Application startup complete." in text
    assert '"GET /health HTTP/1.1" 200 OK' in text
    assert '"GET /health?embedtop=health HTTP/1.1" 200 OK' in text  # the query string, as uvicorn logs it


def test_scenarios_change_answers(demo: DemoTarget) -> None:
    with httpx.Client(base_url=demo.url) as c:
        demo.set_scenario("engine-dead")
        assert c.get("/health").status_code == 503
        r = c.post("/v1/embeddings", json={"input": "x"})
        assert r.status_code == 500 and r.json()["error"]["type"] == "InternalServerError"
        demo.set_scenario("wrong-dims")
        assert len(c.post("/v1/embeddings", json={"input": "x"}).json()["data"][0]["embedding"]) == 1024
        demo.set_scenario("wrong-model")
        assert c.get("/v1/models").json()["data"][0]["id"] == "Qwen/Qwen3-Embedding-4B"
    demo.set_scenario("starting")
    try:
        httpx.get(demo.url + "/health", timeout=2)
        raise AssertionError("port should be closed while starting")
    except httpx.ConnectError:
        pass
    demo.set_scenario("healthy")
    assert httpx.get(demo.url + "/health", timeout=2).status_code == 200
    log = demo.log_path.read_text()
    assert "EngineDeadError" in log and log.count("non-default args") >= 3
