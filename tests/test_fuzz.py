"""Property tests: whatever bytes a server or a user sends, the parsers return data, never raise.
(The log path is fuzzed in tests/test_diagnose.py; bench/fuzz.py runs these with a million inputs.)"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.collectors.http_util import Answer, error_message
from tui.collectors.metrics import parse_metrics
from tui.collectors.probe import decode_embedding, decode_semantic
from tui.config import ConfigError, load_config

METRIC_LINES = [
    'vllm:num_requests_running{engine="0",model_name="m"} 1.0',
    'vllm:num_requests_waiting{engine="0",model_name="m"} 3.0',
    'vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 55.0',
    'vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="m"} 5.0',
    'vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="m"} 6.0',
    "# TYPE vllm:num_requests_running gauge",
    "# HELP x y",
    "process_start_time_seconds 1.7e9",
]
JSON_PIECES = ['{"object":"list","data":[{"embedding":[', "0.1", ",", "NaN", "]}]}", '"error":', "null", "[]", "{", "}"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(METRIC_LINES), st.text(max_size=60)), max_size=30))
def test_metrics_parser_never_raises(lines: list[str]) -> None:
    sample = parse_metrics("\n".join(lines), 1.0)
    assert sample.ok or sample.error


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2000), st.lists(st.sampled_from(JSON_PIECES), max_size=40).map(lambda x: "".join(x).encode())
    ),
    st.sampled_from([200, 400, 404, 500, 503]),
    st.sampled_from(["application/json", "text/html", ""]),
)
def test_embedding_decoders_never_raise(body: bytes, status: int, ctype: str) -> None:
    answer = Answer(status, ctype, body, 0.01)
    assert decode_embedding(answer, "m").error is not None or status == 200
    decode_semantic(answer)
    error_message(answer)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["url", "log", "model", "dims", "interval", "timeout", "fail_after", "bogus", "gpu"]),
        st.one_of(st.text(max_size=30), st.integers(-5, 10**6), st.floats(allow_nan=True), st.booleans()),
        max_size=6,
    )
)
def test_config_loader_raises_only_config_error(values: dict) -> None:
    import tempfile

    lines = []
    for k, v in values.items():
        if isinstance(v, str):
            v = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            lines.append(f'{k} = "{v}"')
        elif isinstance(v, bool):
            lines.append(f"{k} = {str(v).lower()}")
        elif isinstance(v, float):
            lines.append(f"{k} = {v!r}".replace("nan", "nan").replace("inf", "inf"))
        else:
            lines.append(f"{k} = {v}")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        path.write_text("\n".join(lines))
        try:
            load_config({}, env={}, config_path=path)
        except ConfigError as exc:
            assert str(exc) and "\n" not in str(exc)
