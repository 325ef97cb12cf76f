"""Every captured vLLM 0.32 answer to `POST /v1/embeddings` (tests/captures/vllm-0.32-cpu/http), replayed
byte for byte by a loopback server, goes through the real probe collector and the checklist: the right
check result, vLLM's own message, and a fix that fits. Plus what no capture holds: an HTML error page,
garbage JSON, a hung server and a closed port."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.loopback import Handler, Server
from tui.collectors.probe import ProbeCollector
from tui.config import Config
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.samples import ErrorKind, HttpResult, ModelInfo, ProbeSample, ServerSample
from tui.state.store import Store

HTTP = FIXTURES / "http"
MODELS = (ModelInfo("Qwen3-Embedding-4B", "/models/all-MiniLM-L6-v2", 256),)


def replay_handler(raw: bytes, hang: bool) -> Handler:
    """Answer with the captured bytes (after reading the request body), or hold the connection."""

    def handler(conn: socket.socket, data: bytes) -> None:
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(x.split(b":")[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length")), 0
        )
        while len(body) < length:
            body += conn.recv(65536)
        if hang:
            time.sleep(3)
            return
        conn.sendall(raw)

    return handler


@pytest.fixture
def replay(serve) -> Callable[..., Server]:
    def make(raw: bytes, hang: bool = False) -> Server:
        server = serve(replay_handler(raw, hang))
        server.url = f"http://127.0.0.1:{server.port}"
        return server

    return make


async def probe_against(url: str, timeout: float = 3.0) -> ProbeSample:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await ProbeCollector(client, url, timeout, lambda: "Qwen3-Embedding-4B").collect()


def checks_for(sample: ProbeSample, dims: int | None = None) -> dict[str, object]:
    store = Store()
    store.apply(ServerSample(sample.t, "http://x", HttpResult(200), version="0.32.0", models=MODELS))
    store.apply(sample)
    cfg = Config(url="http://x", model="Qwen3-Embedding-4B", dims=dims)
    return {r.id: r for r in evaluate(store, cfg, time.time())}


# case → (HTTP status, text in the decoded error or None, probe.status, text in the fix or None)
CASES = {
    "09-emb_two_strings": (200, None, Status.PASS, None),
    "10-emb_single_string": (200, None, Status.PASS, None),
    "11-emb_empty_list": (400, "You must pass at least one prompt", Status.FAIL, "curl"),
    "12-emb_empty_string": (200, None, Status.PASS, None),
    "13-emb_null_input": (400, "validation error", Status.FAIL, "curl"),
    "14-emb_missing_input": (400, "validation error", Status.FAIL, "curl"),
    "15-emb_missing_model": (200, None, Status.PASS, None),
    "16-emb_wrong_model": (404, "The model `no-such-model` does not exist.", Status.FAIL, "--served-model-name"),
    "17-emb_max_tokens_10": (200, None, Status.PASS, None),
    "18-emb_temperature_0.5": (200, None, Status.PASS, None),
    "19-emb_dimensions_128": (400, "does not support Matryoshka embeddings", Status.FAIL, "is_matryoshka"),
    "20-emb_encoding_base64": (200, "base64 string", Status.FAIL, "not an OpenAI embedding list"),
    "21-emb_encoding_float": (200, None, Status.PASS, None),
    "22-emb_long_2000_words": (400, "maximum context length is 256 tokens", Status.FAIL, "truncate_prompt_tokens"),
    "23-emb_long_2000_words_truncate": (200, None, Status.PASS, None),
    "24-emb_non_json_body": (400, "validation error", Status.FAIL, None),
    "25-emb_non_json_text_plain": (400, "validation error", Status.FAIL, None),
    "26-emb_token_ids": (200, None, Status.PASS, None),
    "27-emb_token_ids_batch": (200, None, Status.PASS, None),
    "28-emb_user_field": (200, None, Status.PASS, None),
    "29-GET_v1_embeddings": (405, "Method Not Allowed", Status.FAIL, "server root"),
    "42-GET_nonexistent": (404, "Not Found", Status.FAIL, "--runner pooling"),
    "44-emb_300_tokens_under_char_limit": (400, "maximum context length", Status.FAIL, "truncate_prompt_tokens"),
    "45-emb_300_token_ids": (400, "maximum context length", Status.FAIL, "truncate_prompt_tokens"),
    "46-emb_input_number": (400, "validation error", Status.FAIL, None),
    "47-emb_encoding_bad": (400, "validation error", Status.FAIL, None),
    "48-emb_empty_body": (400, "validation error", Status.FAIL, None),
}


def test_every_embeddings_capture_has_a_case() -> None:
    captured = {p.stem for p in HTTP.glob("*-emb_*.response")} | {"29-GET_v1_embeddings"}
    assert len(captured) >= 25 and captured <= set(CASES), sorted(captured - set(CASES))


@pytest.mark.parametrize("case", sorted(CASES))
async def test_captured_answer_to_check_result(case: str, replay) -> None:
    status, error_text, probe_status, fix_text = CASES[case]
    server = replay((HTTP / f"{case}.response").read_bytes())
    sample = await probe_against(server.url)
    assert b"POST /v1/embeddings?embedtop=probe HTTP/1.1" in server.requests[0]
    assert sample.http_status == status
    if error_text is None:
        assert sample.ok and sample.dims == 384 and sample.finite and sample.norm == pytest.approx(1.0, abs=1e-3)
        results = checks_for(sample, dims=384)
        assert results["probe.dimensions"].status == Status.PASS
        # Without --dims the served name claims Qwen3-Embedding-4B (2560): 384 means other weights.
        wrong = checks_for(sample)["probe.dimensions"]
        assert wrong.status == Status.FAIL and "384" in wrong.summary and "2560" in wrong.summary
    else:
        assert not sample.ok and error_text in (sample.error or "")
        results = checks_for(sample, dims=384)
    result = results["probe.status"]
    assert result.status == probe_status
    if fix_text:
        assert fix_text in result.fix, result.fix


async def test_html_error_page(replay) -> None:
    body = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    raw = b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    sample = await probe_against(replay(raw).url)
    assert sample.http_status == 502 and not sample.ok and "502 Bad Gateway" in (sample.error or "")
    assert checks_for(sample)["probe.status"].status == Status.FAIL


async def test_garbage_json(replay) -> None:
    body = b'{"object":"list","data":[{"embedding":[0.1,0.2'
    raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    sample = await probe_against(replay(raw).url)
    assert sample.http_status == 200 and sample.error_kind == ErrorKind.BODY
    result = checks_for(sample)["probe.status"]
    assert result.status == Status.FAIL and "not an OpenAI embedding list" in result.fix


async def test_hung_server_times_out(replay) -> None:
    sample = await probe_against(replay(b"", hang=True).url, timeout=0.5)
    assert sample.http_status is None and sample.error_kind == ErrorKind.TIMEOUT and "0.5" in (sample.error or "")


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sample = await probe_against(f"http://127.0.0.1:{port}")
    assert sample.error_kind == ErrorKind.REFUSED and "refused" in (sample.error or "")
