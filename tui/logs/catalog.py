"""Catalog, as data, of the vLLM log lines that mean the server failed to start or its engine died.

Every regex here was checked against the real vLLM 0.32 captures in the shared fixtures
(tests/test_log_catalog.py runs each one against the capture it names). Fix texts follow
shared/docs/vllm-facts.md §3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LogPattern:
    """One known failure line: what it means and what to do."""

    id: str
    check: str  # the checklist item it turns red: "vllm.startup" or "vllm.engine"
    regex: re.Pattern[str]
    cause: str
    fix: str
    versions: str = "0.10–0.33"


def _p(id_: str, check: str, regex: str, cause: str, fix: str, versions: str = "0.10–0.33") -> LogPattern:
    return LogPattern(id_, check, re.compile(regex), cause, fix, versions)


# Order matters: the first (most specific) match names the root cause of a failure.
PATTERNS: tuple[LogPattern, ...] = (
    _p(
        "startup.port_in_use",
        "vllm.startup",
        r"OSError: \[Errno 98\] (?:error while attempting to bind on address .*: )?[Aa]ddress already in use",
        "The API port is taken by another process, so vLLM exited before loading the model.",
        "Find the holder with `ss -ltnp 'sport = :PORT'` and stop it, or start vLLM with another `--port`.",
        "0.6–0.33",
    ),
    _p(
        "startup.model_path",
        "vllm.startup",
        r"HFValidationError: Repo id must be in the form|Invalid repository ID or local directory specified",
        "The model argument is neither an existing local folder with a config.json nor a valid Hugging Face repo id.",
        "Pass an existing model folder (with config.json and weights) or a repo id such as "
        "`Qwen/Qwen3-Embedding-4B` to `vllm serve`; inside docker, check the volume mount.",
    ),
    _p(
        "startup.no_weights",
        "vllm.startup",
        r"Cannot find any model weights with",
        "The model folder has a config but no *.safetensors / *.bin weight files.",
        "Download the weights completely (e.g. `huggingface-cli download Qwen/Qwen3-Embedding-4B`) "
        "into the folder you pass to `vllm serve`.",
    ),
    _p(
        "startup.max_model_len",
        "vllm.startup",
        r"User-specified max_model_len \(\d+\) is greater than the derived max_model_len",
        "`--max-model-len` is larger than the model supports.",
        "Lower `--max-model-len` to the model's limit (Qwen3-Embedding: 32768), or drop the flag.",
    ),
    _p(
        "startup.memory_utilization",
        "vllm.startup",
        r"on startup is less than desired (?:GPU|CPU) memory utilization",
        "Less free memory than `--gpu-memory-utilization` asks for; another process holds memory.",
        "Free the GPU (see `nvidia-smi` for other processes) or lower `--gpu-memory-utilization`, "
        "e.g. 0.5 for a 4B embedding model on a shared GPU.",
    ),
    _p(
        "startup.kv_cache",
        "vllm.startup",
        r"No available memory for the cache blocks|less than requested memory for kv|"
        r"is larger than the maximum number of tokens that can be stored in KV cache",
        "The weights load but no room is left for the KV cache.",
        "Raise `--gpu-memory-utilization`, or lower `--max-model-len` / `--max-num-seqs`.",
    ),
    _p(
        "startup.cuda_oom",
        "vllm.startup",
        r"CUDA out of memory|torch\.OutOfMemoryError",
        "The GPU ran out of memory while loading or profiling the model.",
        "Stop other GPU processes (`nvidia-smi`), lower `--gpu-memory-utilization` / `--max-model-len`, "
        "or use a GPU with more memory.",
        "0.6–0.33",
    ),
    _p(
        "startup.engine_init",
        "vllm.startup",
        r"Engine core initialization failed\. See root cause above|Engine process failed to start",
        "The engine failed to start; the root cause is the first error above this line.",
        "Read the first ERROR traceback above 'Engine core initialization failed' in the log, fix it, and restart.",
        "0.6–0.33",
    ),
    _p(
        "engine.worker_died",
        "vllm.engine",
        r"Worker proc \S+ died unexpectedly \(exit code: (?P<code>-?\d+)\)",
        "A vLLM worker process died; exit code -9 means it was killed (kernel OOM killer or `kill -9`).",
        "Check `dmesg | grep -i oom` for the OOM killer, then restart vLLM; lower `--gpu-memory-utilization` "
        "or batch sizes if memory was the cause.",
    ),
    _p(
        "engine.core_exited",
        "vllm.engine",
        r"engine core exited unexpectedly|Engine core proc \S+ died unexpectedly|"
        r"Engine core process \S+ died unexpectedly",
        "The EngineCore process exited while the API server was running.",
        "Look for the EngineCore's last lines and `dmesg | grep -i oom`; restart vLLM.",
    ),
    _p(
        "engine.fatal",
        "vllm.engine",
        r"EngineCore encountered a fatal error",
        "The engine hit an error it cannot recover from; requests now fail.",
        "Read the traceback right after 'EngineCore encountered a fatal error', fix its cause, and restart vLLM.",
    ),
    _p(
        "engine.dead",
        "vllm.engine",
        r"EngineDeadError|Engine loop has died|AsyncLLMEngine has failed|MQLLMEngine is already dead",
        "The engine is dead: /health answers 503 (500 before 0.11) and embeddings fail with 500.",
        "The root cause is logged above the EngineDeadError (a died worker, OOM, a fatal error); "
        "fix it and restart vLLM. vLLM normally exits after this unless VLLM_KEEP_ALIVE_ON_ENGINE_DEATH=1.",
        "0.6–0.33",
    ),
)

SHUTDOWN_RE = re.compile(
    r"\[shutdown\] API server: shutdown triggered|Shutting down FastAPI HTTP server|^INFO:\s+Shutting down$"
)


def match(text: str) -> tuple[LogPattern, re.Match[str]] | None:
    """The first catalog entry whose regex is found in `text`."""
    for pattern in PATTERNS:
        m = pattern.regex.search(text)
        if m:
            return pattern, m
    return None
