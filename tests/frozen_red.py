"""Frozen stores with one check group red each (gpu, vllm, api, probe, ingest, client), for snapshot tests.

Each starts from the healthy frozen dashboard of tests/frozen.py (the same GPU history, processes, startup log
and probes) and adds, at T_FAULT, what the fault looks like to embedtop: the samples the collectors would
deliver and the lines vLLM would log (the log lines are real vLLM 0.32 forms; see the catalog's examples).
No clock, no network: the dashboard judges them at their own times (live=False).
"""

from __future__ import annotations

from pathlib import Path

from tests.frozen import (
    HEALTHY_LOG,
    LATENCIES,
    MODELS,
    PROCS,
    T0,
    URL,
    GiB,
    _gpu,
    _host,
    _metrics,
    _server,
)
from tui.logs.parse import parse_line
from tui.samples import (
    ErrorKind,
    GpuDevice,
    GpuSample,
    HttpResult,
    LogBatch,
    ModelInfo,
    ProbeSample,
    SemanticSample,
    ServerSample,
)
from tui.state.store import Store

GROUPS = ("gpu", "vllm", "api", "probe", "ingest", "client")
T_FAULT = T0 + 10 * len(LATENCIES)  # 18:57:23 UTC, where frozen.py's scenarios end too
LOG = Path("/var/log/vllm.log")

# vLLM's own lines at 18:57:1x, then the uvicorn access lines that follow (they carry no time of their own).
STATS_LINE = (
    "(APIServer pid=29379) INFO 11-24 18:57:17 [loggers.py:335] Engine 000: Avg prompt throughput: 812.0 tokens/s, "
    "Avg generation throughput: 0.0 tokens/s, Running: 0 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.0%"
)
OWUI = "172.17.0.3"  # Open WebUI's container


def _access(method: str, path: str, status: int, reason: str, port: int) -> str:
    return f'INFO:     {OWUI}:{port} - "{method} {path} HTTP/1.1" {status} {reason}'


TOO_LONG = (
    "(APIServer pid=29379) ERROR 11-24 18:57:17 [serving.py:256] Error in preprocessing prompt inputs\n"
    "(APIServer pid=29379) ERROR 11-24 18:57:17 [serving.py:256] vllm.exceptions.VLLMValidationError: This model's "
    "maximum context length is 32768 tokens. However, your request has 41250 input tokens. Please reduce the length "
    "of the input messages. (parameter=input_tokens, value=41250)"
)
# A stop, then a start into a GPU that another process holds: EngineCore fails, the API server exits (0.32 forms).
START_FAILED_LOG = [
    "(APIServer pid=29379) INFO 11-24 18:56:30 [launcher.py:110] Shutting down FastAPI HTTP server.",
    "INFO:     Shutting down",
    "INFO:     Finished server process [29379]",
    "(APIServer pid=31502) INFO 11-24 18:56:40 [api_utils.py:286] non-default args: {'model_tag': "
    "'/models/Qwen3-Embedding-4B', 'port': 8000, 'runner': 'pooling', 'served_model_name': ['Qwen3-Embedding-4B']}",
    "(APIServer pid=31502) INFO 11-24 18:56:47 [model.py:541] Resolved architecture: Qwen3ForCausalLM",
    *(
        f"(EngineCore pid=31588) ERROR 11-24 18:56:55 [core.py:1510] {x}"
        for x in (
            "EngineCore failed to start.",
            "Traceback (most recent call last):",
            '  File "/opt/venv/lib/python3.11/site-packages/vllm/v1/engine/core.py", line 1482, in run_engine_core',
            "    engine_core = EngineCoreProc(*args, engine_index=dp_rank, **kwargs)",
            '  File "/opt/venv/lib/python3.11/site-packages/vllm/v1/engine/core.py", line 1194, in __init__',
            "    super().__init__(",
            '  File "/opt/venv/lib/python3.11/site-packages/vllm/v1/worker/gpu_worker.py", line 241, in init_device',
            "    raise ValueError(",
            "ValueError: Free memory on device cuda:0 (3.12/22.05 GiB) on startup is less than desired GPU memory "
            "utilization (0.92, 20.29 GiB). Decrease GPU memory utilization or reduce GPU memory used by other "
            "processes.",
        )
    ),
    *(
        f"(APIServer pid=31502) ERROR 11-24 18:56:56 [api_server.py:1211] {x}"
        for x in (
            "Traceback (most recent call last):",
            '  File "/opt/venv/bin/vllm", line 10, in <module>',
            "    sys.exit(main())",
            '  File "/opt/venv/lib/python3.11/site-packages/vllm/v1/engine/core_client.py", line 1029, in __init__',
            "    wait_for_engine_startup(",
            "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}",
        )
    ),
]


def _probe(t: float, dims: int = 2560, latency: float = 0.041) -> ProbeSample:
    return ProbeSample(
        t,
        "Qwen3-Embedding-4B",
        200,
        latency,
        dims=dims,
        norm=1.0,
        finite=True,
        all_zero=False,
        response_model="Qwen3-Embedding-4B",
    )


def _failed_probe(t: float, status: int | None, latency: float | None, error: str, kind: ErrorKind) -> ProbeSample:
    return ProbeSample(t, "Qwen3-Embedding-4B", status, latency, error=error, error_kind=kind)


def _base(store: Store, log: Path, probes_dims: int = 2560, models: tuple[ModelInfo, ...] = MODELS) -> float:
    """The healthy dashboard up to T_FAULT (frozen.py's first half): GPU history, processes, startup, probes."""
    for i in range(12):
        used = min(22.1, 0.5 + 2.2 * i) * GiB
        store.apply(_gpu(T0 - 120 + 10 * i, int(used), int(used - 0.5 * GiB)))
    store.apply(_host(T0, PROCS))
    store.apply(LogBatch(T0, str(log), tuple(parse_line(x) for x in HEALTHY_LOG)))
    for i, lat in enumerate(LATENCIES):
        store.apply(_probe(T0 + 10 * i, probes_dims, lat))
    t = T_FAULT
    store.apply(
        ServerSample(
            t - 60,
            URL,
            HttpResult(200, "", "", None, 0.002),
            version="0.32.0",
            models=models,
            metrics=_metrics(t - 60, 1000.0, 40_000.0, 985.0),
        )
    )
    return t


def _up(t: float, models: tuple[ModelInfo, ...] = MODELS) -> ServerSample:
    s = _server(t, 200)
    return ServerSample(s.t, s.url, s.health, s.version, models, metrics=s.metrics)


def _lines(t: float, log: Path, *texts: str) -> LogBatch:
    return LogBatch(t, str(log), tuple(parse_line(x) for text in texts for x in text.split("\n")))


def _gpu_red(store: Store, log: Path) -> None:
    """GPU0 fell off the bus (Xid 79): NVML says the GPU is lost; vLLM still answers from its last state."""
    t = _base(store, log)
    store.apply(_up(t))
    lost = GpuDevice(0, "NVIDIA L4", None, None, "GPU-00000000", na=(("device", "GPU is lost"),), lost=True)
    store.apply(GpuSample(t, available=True, driver="550.54.15", devices=(lost,), cuda="12.4"))


def _vllm_red(store: Store, log: Path) -> None:
    """vLLM was restarted while another process held the GPU: the engine failed to start, the API server exited."""
    t = _base(store, log)
    store.apply(_host(t - 50, (), PROCS))  # 18:56:33: the old processes are gone (a clean stop)
    store.apply(_lines(t - 25, log, *START_FAILED_LOG))
    # Another process holds 19.4 GiB (not vLLM: the process scan finds no vLLM process any more).
    other = GpuDevice(0, "NVIDIA L4", int(19.4 * GiB), 24 * GiB, "GPU-00000000", 0, 44, 38.0, 72.0, ())
    store.apply(GpuSample(t, available=True, driver="550.54.15", devices=(other,), cuda="12.4"))
    refused = "connection refused (nothing listens on 127.0.0.1:8000)"
    store.apply(ServerSample(t, URL, HttpResult(None, error=refused, error_kind=ErrorKind.REFUSED)))
    store.apply(_failed_probe(t, None, None, refused, ErrorKind.REFUSED))


def _api_red(store: Store, log: Path) -> None:
    """vLLM was restarted with --api-key: /health still answers 200, every /v1 request 401 without the key."""
    t = _base(store, log)
    unauthorized = "HTTP 401: Unauthorized"  # vLLM's body is {"error": "Unauthorized"}
    store.apply(
        ServerSample(
            t,
            URL,
            HttpResult(200, "", "", None, 0.002),
            version="0.32.0",
            models=None,
            models_error=unauthorized,
            models_error_kind=ErrorKind.HTTP_STATUS,
            models_status=401,
        )
    )
    store.apply(_failed_probe(t, 401, 0.003, "Unauthorized", ErrorKind.HTTP_STATUS))
    store.apply(
        _lines(
            t,
            log,
            'INFO:     127.0.0.1:40112 - "GET /v1/models?embedtop=models HTTP/1.1" 401 Unauthorized',
            'INFO:     127.0.0.1:40118 - "POST /v1/embeddings?embedtop=probe HTTP/1.1" 401 Unauthorized',
        )
    )


WRONG_WEIGHTS = (ModelInfo("Qwen3-Embedding-4B", "/models/Qwen3-Embedding-0.6B", 32768),)


def _probe_red(store: Store, log: Path) -> None:
    """The 0.6B weights served under the 4B's name: every vector is 1024 long where 2560 is expected."""
    t = _base(store, log, probes_dims=1024, models=WRONG_WEIGHTS)
    store.apply(_up(t, WRONG_WEIGHTS))
    store.apply(_probe(t, 1024))
    store.apply(SemanticSample(t, 0.022, related=0.688, unrelated=0.201, tokens=64))


def _ingest_red(store: Store, log: Path) -> None:
    """Open WebUI sends chunks longer than the model's context: vLLM answers 400 to most of a file's burst."""
    t = _base(store, log)
    store.apply(_up(t))
    ok = [_access("POST", "/v1/embeddings", 200, "OK", 50100 + i) for i in range(6)]
    bad = [_access("POST", "/v1/embeddings", 400, "Bad Request", 50200 + i) for i in range(14)]
    store.apply(_lines(t - 5, log, STATS_LINE, *ok, TOO_LONG, *bad))


def _client_red(store: Store, log: Path) -> None:
    """Open WebUI's embedding base URL lacks /v1: it posts to /embeddings and gets 404 for every chunk."""
    t = _base(store, log)
    store.apply(_up(t))
    wrong = [_access("POST", "/embeddings", 404, "Not Found", 51000 + i) for i in range(12)]
    store.apply(_lines(t - 5, log, STATS_LINE, *wrong))


BUILDERS = {
    "gpu": _gpu_red,
    "vllm": _vllm_red,
    "api": _api_red,
    "probe": _probe_red,
    "ingest": _ingest_red,
    "client": _client_red,
}


def red_store(group: str, log: Path = LOG) -> Store:
    """A frozen store where `group`'s checks fail, every input fresh at T_FAULT (nothing stale)."""
    store = Store()
    BUILDERS[group](store, log)
    end = T_FAULT
    store.apply(LogBatch(end, str(log)))  # every poller reported at the end, as in a running dashboard
    gpu = store.gpu
    if gpu is not None:
        store.apply(GpuSample(end, gpu.available, driver=gpu.driver, devices=gpu.devices, cuda=gpu.cuda))
    host = store.host
    store.apply(_host(end, host.processes if host is not None else ()))
    return store


def red_app(group: str):  # -> EmbedtopApp (Textual imported late)
    from tui.app import EmbedtopApp
    from tui.config import Config

    cfg = Config(url=URL, log=LOG, model="Qwen3-Embedding-4B")
    return EmbedtopApp(cfg, live=False, store=red_store(group, LOG))
