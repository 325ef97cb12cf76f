"""The embedding-answer decoder against real captured vLLM responses and malformed answers."""

from __future__ import annotations

import math

from tests.conftest import captured_answer
from tui.collectors.http_util import Answer, error_message
from tui.collectors.probe import decode_embedding
from tui.samples import ErrorKind


def test_real_single_string_answer() -> None:
    p = decode_embedding(captured_answer("http/10-emb_single_string.response"), "Qwen3-Embedding-4B")
    assert p.ok and p.dims == 384 and p.finite and not p.all_zero
    assert math.isclose(p.norm or 0, 1.0, rel_tol=1e-3)
    assert p.response_model == "Qwen3-Embedding-4B"


def test_real_error_bodies_are_decoded() -> None:
    cases = {
        "http/11-emb_empty_list.response": (400, "You must pass at least one prompt"),
        "http/16-emb_wrong_model.response": (404, "The model `no-such-model` does not exist."),
        "http/29-GET_v1_embeddings.response": (405, "Method Not Allowed"),
        "http/31-completions.response": (404, "Not Found"),
        "http/19-emb_dimensions_128.response": (400, "does not support Matryoshka"),
    }
    for rel, (status, text) in cases.items():
        p = decode_embedding(captured_answer(rel), "m")
        assert not p.ok and p.http_status == status and p.error_kind == ErrorKind.HTTP_STATUS
        assert text in (p.error or ""), (rel, p.error)


def test_validation_error_keeps_first_line_only() -> None:
    msg = error_message(captured_answer("http/13-emb_null_input.response"))
    assert msg.startswith("10 validation errors") and "\n" not in msg


def _answer(body: bytes, status: int = 200, ctype: str = "application/json") -> Answer:
    return Answer(status=status, content_type=ctype, body=body, latency_s=0.01)


def test_html_page() -> None:
    p = decode_embedding(_answer(b"<html><body>502 Bad Gateway</body></html>", 502, "text/html"), "m")
    assert "HTML page" in (p.error or "")


def test_truncated_json() -> None:
    p = decode_embedding(_answer(b'{"data":[{"embedding":[0.1,0.2'), "m")
    assert p.error_kind == ErrorKind.BODY and not p.ok


def test_nan_and_zero_vectors() -> None:
    nan = decode_embedding(_answer(b'{"data":[{"embedding":[NaN,0.1]}]}'), "m")
    assert nan.ok and nan.finite is False and nan.norm is None
    zero = decode_embedding(_answer(b'{"data":[{"embedding":[0.0,0.0,0.0]}]}'), "m")
    assert zero.ok and zero.all_zero and zero.dims == 3


def test_200_with_error_object_is_not_ok() -> None:
    body = b'{"object":"error","message":"Embedding API disabled","type":"BadRequestError","code":400}'
    p = decode_embedding(_answer(body), "m")
    assert not p.ok and "Embedding API disabled" in (p.error or "")


def test_empty_data_and_base64() -> None:
    assert "no `data`" in (decode_embedding(_answer(b'{"data":[]}'), "m").error or "")
    assert "base64" in (decode_embedding(_answer(b'{"data":[{"embedding":"AAAA"}]}'), "m").error or "")


def test_transport_error_passes_through() -> None:
    a = Answer(
        None, "", b"", 0.1, error="connection refused (nothing listens on that port)", error_kind=ErrorKind.REFUSED
    )
    p = decode_embedding(a, "m")
    assert p.error_kind == ErrorKind.REFUSED and "refused" in (p.error or "")


def test_oversized_body_is_not_parsed() -> None:
    a = Answer(200, "application/json", b"[" * 10, 0.1, truncated=True)
    assert decode_embedding(a, "m").error_kind == ErrorKind.BODY
