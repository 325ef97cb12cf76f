"""Append vLLM 0.32-format lines to a real log file, as the captures in tests/captures/vllm-0.32-cpu show them.

Formats: `(APIServer pid=N) INFO MM-DD HH:MM:SS [file.py:N] msg` for the vLLM logger, and the
unprefixed uvicorn access / lifecycle lines (`INFO:     127.0.0.1:50902 - "POST …" 200 OK`).
"""

from __future__ import annotations

import threading
import time
from http import HTTPStatus
from pathlib import Path


def weights_gib(model: str) -> float:
    """bf16 weights of the Qwen3-Embedding sizes (parameters × 2 bytes): 0.6B ≈ 1.1 GiB, 4B ≈ 7.5, 8B ≈ 15.3."""
    for size, gib in (("0.6B", 1.12), ("8B", 15.26)):
        if size in model:
            return gib
    return 7.55


class VllmLogWriter:
    """Writes one simulated vLLM server's log. Thread-safe; every write is flushed."""

    def __init__(self, path: Path, api_pid: int = 29379, clock=time.time) -> None:
        self.path = path
        self.clock = clock
        self.api_pid = api_pid
        self.core_pid = api_pid + 499
        self.worker_pid = api_pid + 784
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            self._fh.close()

    def raw(self, *lines: str) -> None:
        with self._lock:
            if self._fh.closed:
                return
            for line in lines:
                self._fh.write(line + "\n")
            self._fh.flush()

    def vllm(self, proc: str, level: str, src: str, msg: str, ago: float = 0.0) -> None:
        """One vLLM logger record, stamped `ago` seconds before now."""
        pid = {"APIServer": self.api_pid, "EngineCore": self.core_pid}.get(proc, self.worker_pid)
        stamp = time.strftime("%m-%d %H:%M:%S", time.localtime(self.clock() - ago))
        self.raw(f"({proc} pid={pid}) {level} {stamp} [{src}] {msg}")

    def access(self, client: str, method: str, path: str, status: int) -> None:
        phrase = HTTPStatus(status).phrase
        self.raw(f'INFO:     {client} - "{method} {path} HTTP/1.1" {status} {phrase}')

    # ------------------------------------------------------------ sequences

    def startup_loading(self, model: str, served: str, port: int, max_len: int) -> None:
        """From the banner to 'Warming up model' (the API port is not open yet).

        Stamped as a real start spreads out (banner 30 s ago, weights 22–17 s ago, then warm-up), so
        the lifecycle shows believable phase times even though the demo writes it at once."""
        self.raw("Triton is installed, but doesn't include CPU backend. Disabling Triton.")
        a = "APIServer"
        self.vllm(a, "INFO", "api_utils.py:347", "", ago=30)
        self.vllm(a, "INFO", "api_utils.py:347", "       █     █     █▄   ▄█", ago=30)
        self.vllm(a, "INFO", "api_utils.py:347", " ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.32.0", ago=30)
        self.vllm(a, "INFO", "api_utils.py:347", f"  █▄█▀ █     █     █     █  model   {model}", ago=30)
        self.vllm(a, "INFO", "api_utils.py:347", "   ▀▀  ▀▀▀▀▀ ▀▀▀▀▀ ▀     ▀", ago=30)
        self.vllm(a, "INFO", "api_utils.py:347", "", ago=30)
        self.vllm(
            a,
            "INFO",
            "api_utils.py:286",
            f"non-default args: {{'model_tag': '{model}', 'host': '127.0.0.1', 'port': {port}, "
            f"'model': '{model}', 'runner': 'pooling', 'served_model_name': ['{served}']}}",
            ago=30,
        )
        self.vllm(a, "INFO", "model.py:733", "Resolved architecture: Qwen3ForCausalLM", ago=30)
        self.vllm(a, "INFO", "model.py:2152", f"Using max model len {max_len}", ago=29)
        c = "EngineCore"
        self.vllm(
            c,
            "INFO",
            "core.py:133",
            f"Initializing a V1 LLM engine (v0.32.0) with config: model='{model}', dtype=torch.bfloat16, "
            f"max_seq_len={max_len}, served_model_name={served}, enable_prefix_caching=False",
            ago=24,
        )
        w = "Worker"
        self.vllm(w, "INFO", "gpu_model_runner.py:4979", f"Starting to load model {model}...", ago=22)
        self.raw(
            "Loading safetensors checkpoint shards:   0% Completed | 0/2 [00:00<?, ?it/s]",
            "Loading safetensors checkpoint shards: 100% Completed | 2/2 [00:03<00:00,  1.62s/it]",
            "",
        )
        self.vllm(w, "INFO", "default_loader.py:501", "Loading weights took 3.27 seconds", ago=18)
        self.vllm(
            w,
            "INFO",
            "gpu_model_runner.py:5088",
            f"Model loading took {weights_gib(model):.2f} GiB memory and 4.118203 seconds",
            ago=17,
        )
        self.vllm(w, "INFO", "gpu_model_runner.py:3901", "Warming up model for the compilation...", ago=17)

    def startup_ready(self, served: str, port: int) -> None:
        """From warm-up done to 'Application startup complete.' (the port is open after this)."""
        self.vllm("Worker", "INFO", "gpu_worker.py:772", "Available KV cache memory: 113.42 GiB")
        self.vllm(
            "EngineCore",
            "INFO",
            "kv_cache_utils.py:1147",
            "GPU KV cache size: 825,968 tokens, Maximum concurrency for 32,768 tokens per request: 25.21x",
        )
        self.vllm(
            "EngineCore", "INFO", "core.py:402", "init engine (profile, create kv cache, warmup model) took 21.40 s"
        )
        self.vllm(
            "EngineCore",
            "INFO",
            "core.py:476",
            "Resolved pooling config: pooling_type=LAST(source=sentence_transformers), "
            "tok_pooling_type=ALL(source=model_default), use_activation=True(source=sentence_transformers), "
            "supported_tasks=('embed', 'token_embed')",
        )
        a = "APIServer"
        self.vllm(a, "INFO", "entry.py:136", "Supported tasks: ['embed', 'token_embed']")
        self.vllm(a, "INFO", "entry.py:140", f"Starting vLLM server on http://127.0.0.1:{port}")
        self.vllm(a, "INFO", "launcher.py:186", "Available routes are:")
        for route, methods in (
            ("/health", "GET"),
            ("/metrics", "GET"),
            ("/version", "GET"),
            ("/v1/models", "GET"),
            ("/v1/embeddings", "POST"),
        ):
            self.vllm(a, "INFO", "launcher.py:195", f"Route: {route}, Methods: {methods}")
        self.raw(
            f"INFO:     Started server process [{self.api_pid}]",
            "INFO:     Waiting for application startup.",
            "INFO:     Application startup complete.",
        )

    def uvicorn_shutdown(self) -> None:
        """uvicorn's four lines when the API server stops."""
        self.raw(
            "INFO:     Shutting down",
            "INFO:     Waiting for application shutdown.",
            "INFO:     Application shutdown complete.",
            f"INFO:     Finished server process [{self.api_pid}]",
        )

    def stats(self, prompt_tps: float, running: int, waiting: int) -> None:
        self.vllm(
            "APIServer",
            "INFO",
            "loggers.py:335",
            f"Engine 000: Avg prompt throughput: {prompt_tps:.1f} tokens/s, Avg generation throughput: 0.0 tokens/s, "
            f"Running: {running} reqs, Waiting: {waiting} reqs, GPU KV cache usage: 0.0%, Prefix cache hit rate: 0.0%",
        )

    def record(self, proc: str, level: str, src: str, *msgs: str) -> None:
        """A multi-line record: vLLM repeats the whole prefix on every line (NewLineFormatter)."""
        for msg in msgs:
            self.vllm(proc, level, src, msg)

    def engine_death(self) -> None:
        """The real sequence of a worker killed with SIGKILL (runB-full-session.log, vLLM 0.32)."""
        self.record(
            "EngineCore",
            "ERROR",
            "core.py:1512",
            "EngineCore encountered a fatal error.",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/executor/'
            'multiproc_executor.py", line 399, in collective_rpc',
            '    raise RuntimeError("Executor failed.")',
            "RuntimeError: Executor failed.",
        )
        self.vllm(
            "EngineCore",
            "ERROR",
            "multiproc_executor.py:315",
            "Worker proc VllmWorker-0 died unexpectedly (exit code: -9), shutting down executor.",
        )
        self.record(
            "APIServer",
            "ERROR",
            "async_llm.py:906",
            "AsyncLLM output_handler failed.",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core_client.py", '
            "line 1235, in get_output_async",
            "    raise self._format_exception(outputs) from None",
            "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. "
            "See stack trace (above) for the root cause.",
        )
