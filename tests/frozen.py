"""Fixed samples for snapshot tests: the same screen every run (no timers, no network, fixed times)."""

from __future__ import annotations

from pathlib import Path

from tui.logs.parse import parse_line
from tui.samples import (
    ErrorKind,
    GpuDevice,
    GpuProcess,
    GpuSample,
    Histogram,
    HostSample,
    HttpResult,
    LogBatch,
    MetricsSample,
    ModelInfo,
    ProbeSample,
    SemanticSample,
    ServerSample,
    VllmProcess,
)
from tui.state.store import Store

T0 = 1795546523.0  # 2026-11-24 18:55:23 UTC
URL = "http://127.0.0.1:8000"
LATENCIES = [0.041, 0.038, 0.044, 0.052, 0.039, 0.047, 0.120, 0.043, 0.040, 0.046, 0.049, 0.042]
MODELS = (ModelInfo("Qwen3-Embedding-4B", "/models/Qwen3-Embedding-4B", 32768),)

HEALTHY_LOG = [
    "(APIServer pid=29379) INFO 11-24 18:54:33 [api_utils.py:286] non-default args: {'model_tag': "
    "'/models/Qwen3-Embedding-4B', 'port': 8000, 'runner': 'pooling', 'served_model_name': ['Qwen3-Embedding-4B']}",
    "(Worker pid=30163) INFO 11-24 18:54:47 [gpu_model_runner.py:4979] Starting to load model /models/Qwen3-Embedding-4B...",
    "(Worker pid=30163) INFO 11-24 18:54:51 [gpu_model_runner.py:5088] Model loading took 7.55 GiB memory and 4.118203 seconds",
    "(EngineCore pid=29878) INFO 11-24 18:54:56 [core.py:402] init engine (profile, create kv cache, warmup model) took 21.40 s",
    "(APIServer pid=29379) INFO 11-24 18:54:57 [entry.py:140] Starting vLLM server on http://127.0.0.1:8000",
    "INFO:     Started server process [29379]",
    "INFO:     Waiting for application startup.",
    "INFO:     Application startup complete.",
    'INFO:     127.0.0.1:39668 - "GET /health HTTP/1.1" 200 OK',
    'INFO:     127.0.0.1:39668 - "POST /v1/embeddings HTTP/1.1" 200 OK',
    "(APIServer pid=29379) INFO 11-24 18:55:07 [loggers.py:335] Engine 000: Avg prompt throughput: 2256.0 tokens/s, "
    "Avg generation throughput: 0.0 tokens/s, Running: 0 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.0%",
]
DEATH_LOG = [
    "(EngineCore pid=29878) ERROR 11-24 18:57:01 [core.py:1512] EngineCore encountered a fatal error.",
    "(EngineCore pid=29878) ERROR 11-24 18:57:01 [multiproc_executor.py:315] Worker proc VllmWorker-0 died "
    "unexpectedly (exit code: -9), shutting down executor.",
    "(APIServer pid=29379) ERROR 11-24 18:57:01 [async_llm.py:906] AsyncLLM output_handler failed.",
    *(
        f"(APIServer pid=29379) ERROR 11-24 18:57:01 [async_llm.py:906] {x}"
        for x in (
            "Traceback (most recent call last):",
            '  File "/opt/venv/lib/python3.11/site-packages/vllm/v1/engine/async_llm.py", line 849, in output_handler',
            "    outputs = await engine_core.get_output_async()",
            '  File "/opt/venv/lib/python3.11/site-packages/vllm/v1/engine/core_client.py", line 1235, in get_output_async',
            "    raise self._format_exception(outputs) from None",
            "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for "
            "the root cause.",
        )
    ),
    'INFO:     127.0.0.1:53054 - "POST /v1/embeddings HTTP/1.1" 500 Internal Server Error',
    'INFO:     127.0.0.1:53064 - "GET /health HTTP/1.1" 503 Service Unavailable',
]


def _metrics(t: float, done: float, tokens: float, fast: float) -> MetricsSample:
    """A /metrics scrape as vLLM 0.32 reports it (e2e buckets start at 0.3 s)."""
    buckets = ((0.3, fast), (0.5, done - 4), (0.8, done - 1), (1.0, done), (float("inf"), done))
    return MetricsSample(
        t,
        running=3.0,
        waiting=0.0,
        kv_usage=0.012,
        start_time=T0 - 8000,
        counters={"prompt_tokens": tokens},
        success={"stop": done, "abort": 0.0},
        histograms={"e2e": Histogram(buckets, done * 0.1, done)},
    )


GiB = 1024**3
PROCS = (
    VllmProcess(
        29379,
        "api-server",
        "vllm serve /models/Qwen3-Embedding-4B",
        1,
        int(0.84 * GiB),
        3.0,
        "/models/Qwen3-Embedding-4B",
        8000,
        "Qwen3-Embedding-4B",
    ),
    VllmProcess(29878, "engine-core", "VLLM::EngineCore", 29379, int(0.78 * GiB), 1.0),
    VllmProcess(30163, "worker", "VLLM::Worker", 29878, int(0.95 * GiB), 12.0),
)


def _gpu(t: float, used: int, worker: int | None) -> GpuSample:
    procs = (GpuProcess(30163, worker),) if worker else ()
    device = GpuDevice(0, "NVIDIA L4", used, 24 * GiB, "GPU-00000000", 37, 61, 71.5, 72.0, procs)
    return GpuSample(t, available=True, driver="550.54.15", devices=(device,), cuda="12.4")


def _host(t: float, procs: tuple[VllmProcess, ...], gone: tuple[VllmProcess, ...] = ()) -> HostSample:
    return HostSample(t, 14.0, 11 * GiB, 31 * GiB, 0, 8 * GiB, procs, gone)


def _server(t: float, status: int) -> ServerSample:
    metrics = _metrics(t, 1720.0, 175_000.0, 1690.0) if status == 200 else None
    return ServerSample(
        t, URL, HttpResult(status, "", "", None, 0.002), version="0.32.0", models=MODELS, metrics=metrics
    )


def frozen_store(scenario: str, log_path: Path | None = None) -> Store:
    store = Store()
    for i in range(12):  # the card filled up while vLLM started, then stayed at its reservation
        used = min(22.1, 0.5 + 2.2 * i) * GiB
        store.apply(_gpu(T0 - 120 + 10 * i, int(used), int(used - 0.5 * GiB)))
    store.apply(_host(T0, PROCS))
    store.apply(LogBatch(T0, str(log_path), tuple(parse_line(x) for x in HEALTHY_LOG)))
    for i, lat in enumerate(LATENCIES):
        store.apply(
            ProbeSample(
                T0 + 10 * i,
                "Qwen3-Embedding-4B",
                200,
                lat,
                dims=2560,
                norm=1.0,
                finite=True,
                all_zero=False,
                response_model="Qwen3-Embedding-4B",
            )
        )
    t = T0 + 10 * len(LATENCIES)
    if scenario == "healthy":
        store.apply(
            ServerSample(
                t - 60,
                URL,
                HttpResult(200, "", "", None, 0.002),
                version="0.32.0",
                models=MODELS,
                metrics=_metrics(t - 60, 1000.0, 40_000.0, 985.0),
            )
        )
        store.apply(_server(t, 200))
        store.apply(SemanticSample(t, 0.061, related=0.712, unrelated=0.184, tokens=64))
    elif scenario == "engine-dead":
        store.apply(LogBatch(t, str(log_path), tuple(parse_line(x) for x in DEATH_LOG)))
        store.apply(_server(t, 503))
        store.apply(_gpu(t, int(0.5 * GiB), None))
        store.apply(_host(t, PROCS[:1], PROCS[1:]))
        store.apply(
            ProbeSample(
                t,
                "Qwen3-Embedding-4B",
                500,
                0.013,
                error="EngineCore encountered an issue. See stack trace (above) for the root cause.",
                error_kind=ErrorKind.HTTP_STATUS,
            )
        )
    else:
        raise ValueError(scenario)
    # Every poller reported at the end, as in a running dashboard (nothing stale).
    end = t
    store.apply(LogBatch(end, str(log_path)))
    gpu = store.gpu
    store.apply(GpuSample(end, gpu.available, driver=gpu.driver, devices=gpu.devices, cuda=gpu.cuda))
    store.apply(_host(end, store.host.processes))
    return store


def frozen_app(scenario: str):  # -> EmbedtopApp (imported late: tests that need no Textual stay light)
    from tui.app import EmbedtopApp
    from tui.config import Config

    log = Path("/var/log/vllm.log")
    cfg = Config(url=URL, log=log, model="Qwen3-Embedding-4B")
    return EmbedtopApp(cfg, live=False, store=frozen_store(scenario, log))


def frozen_multi_app():  # -> EmbedtopApp with two targets: a healthy one and one whose engine died
    from tui.app import EmbedtopApp
    from tui.config import Config

    log_a, log_b = Path("/var/log/vllm-embed.log"), Path("/var/log/vllm-embed-b.log")
    cfgs = [
        Config(url=URL, name="embed", log=log_a, model="Qwen3-Embedding-4B"),
        Config(url="http://127.0.0.1:8001", name="embed-b", log=log_b, model="Qwen3-Embedding-4B"),
    ]
    return EmbedtopApp(cfgs, live=False, store=[frozen_store("healthy", log_a), frozen_store("engine-dead", log_b)])
