"""What a vLLM error message means for the operator: is it a consequence, does it carry advice, what next.

Pure text functions, no state. Used to explain failures the catalog does not know:
- `is_consequence`: lines that report a death caused elsewhere ("Engine core initialization failed.
  See root cause above", `EngineDeadError`, "died unexpectedly") — never the root cause.
- `fatal_signal`: lines that say a vLLM process is dead or will exit (the engine, a worker, the server).
- `vllm_advice`: the sentence(s) of vLLM's own message that say what to do ("Try increasing …",
  "Please …", "You can use float16 instead by …") — quoted as the fix, attributed to vLLM.
- `next_step`: otherwise a concrete next step: the exact text to search vLLM's issues for, the version
  seen, and the flag or environment variable most likely involved.
"""

from __future__ import annotations

import re

_CONSEQUENCE_RE = re.compile(
    r"EngineDeadError|AsyncEngineDeadError|Engine core initialization failed|See root cause above|"
    r"Engine process failed to start|EngineCore failed to start|\bdied\b|\bfailed to start\.?$|"
    r"initialization failed|output_handler failed|Background loop (?:has errored|is not running|has stopped)|"
    r"Engine loop (?:has died|is not running)|"
    r"^(?:\w+\.)*(?:SystemExit|KeyboardInterrupt|CancelledError|GeneratorExit|BrokenPipeError|"
    r"EOFError|ConnectionResetError)\b|"
    r"Exception in worker \S+ while processing method|Error executing method|This might cause deadlock|"
    r"Failed core proc|Engine core proc \S+ died|Worker proc \S+ died|Exception in ASGI application|"
    r"Application startup failed|exited with code|^Killed$|RuntimeError: Worker failed with error|"
    r"Worker failed with error|ZMQError|Exception in callback|Task exception was never retrieved|"
    r"EngineCore encountered a fatal error|encountered an issue|Killing process|"
    r"Engine core proc|Exception raised from|terminate called|ray\.exceptions\.RayTaskError|"
    r"^(?:Traceback|Stack|Exception) \(most recent call",
)

# A line that says a vLLM process is dead or about to exit (the engine, a worker, the server itself).
_FATAL_RE = re.compile(
    r"EngineDeadError|Engine core initialization failed|Engine process failed to start|"
    r"EngineCore failed to start|died unexpectedly|Background loop has errored already|Engine loop has died|"
    r"EngineCore encountered a fatal error|Application startup failed|Failed core proc|"
    r"Worker proc \S+ died|Engine core proc \S+ died|\bexited with code [1-9]\d*|^Killed$|"
    r"Segmentation fault|Aborted \(core dumped\)|Fatal Python error|core dumped|"
    r"RuntimeError: Worker failed with error|Engine process (?:\S+ )?(?:terminated|exited|died)|"
    r"MQLLMEngine (?:terminated|died)|Engine iteration timed out|Process \S+ (?:died|exited)|"
    r"Watchdog caught collective operation timeout|taking the entire process down|requires a restart|"
    r"Killing process|Engine process \(pid \d+\) died|Engine loop has died|output_handler failed|"
    r"Dumping input data for V1 LLM engine|device-side assert triggered"
)

_ADVICE_START = (
    r"(?:Try|Use|Please|Consider|Decrease|Increase|Reduce|Lower|Raise|Set|Pass|Add|Remove|Make sure|Ensure|"
    r"Install|Upgrade|Downgrade|Update|Specify|Enable|Disable|Restart|Switch|Change|Provide|Run|Rerun|"
    r"You (?:can|may|should|need|must|might)|If you|To (?:fix|resolve|avoid|use|serve|enable|run|load)|"
    r"For debugging,? consider|Did you)\b"
)
_SENTENCE_RE = re.compile(r"[^.!?]+(?:[.!?](?=\s|$)|$)")
_ADVICE_RE = re.compile(r"^\s*" + _ADVICE_START)
_ADVICE_INLINE_RE = re.compile(r"\b(?:by setting|by passing|set `[^`]+`|setting `?--|use `?--|pass `?--|--\w[\w-]*=)")

# keyword → the flag or environment variable most likely involved (first hit wins)
_FLAGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), flag)
    for pattern, flag in (
        (
            r"out of memory|\bOOM\b|cache blocks|KV cache|gpu_memory_utilization|insufficient memory|memory",
            "--gpu-memory-utilization, --max-model-len or --max-num-seqs",
        ),
        (r"bfloat16|\bdtype\b|float16|\bhalf\b", "--dtype"),
        (r"max_model_len|max model len|max_seq_len|context length|max_position_embeddings", "--max-model-len"),
        (r"trust_remote_code|remote code", "--trust-remote-code"),
        (r"tokenizer|chat template|chat_template", "--tokenizer / --chat-template"),
        (r"quantiz|\bawq\b|\bgptq\b|\bfp8\b|bitsandbytes|marlin", "--quantization"),
        (
            r"gcc|CalledProcessError|C compiler|Python\.h|cc1",
            "a C compiler and Python headers (apt install build-essential python3-dev), or --enforce-eager",
        ),
        (
            r"inductor|dynamo|torch\.compile|triton|cudagraph|cuda graph|StreamCapture|stream is capturing|captur",
            "--enforce-eager (no CUDA graphs / torch.compile)",
        ),
        (
            r"nccl|tensor.parallel|world.size|distributed|\bray\b|all.?reduce|\bshm\b|shared memory",
            "--tensor-parallel-size (NCCL_DEBUG=INFO shows why; docker needs --ipc=host or a larger --shm-size)",
        ),
        (
            r"flash.?attn|flash.?attention|flashinfer|xformers|attention backend",
            "VLLM_ATTENTION_BACKEND (--attention-backend in recent releases)",
        ),
        (
            r"huggingface|hf_hub|\bhf\b|gated|repository|repo\b|401 Client|snapshot_download",
            "HF_TOKEN (gated models), HF_HUB_OFFLINE, the model id",
        ),
        (r"no space left|disk quota", "HF_HOME / --download-dir on a disk with room"),
        (r"address already in use|\bbind\b|\bport\b", "--port"),
        (r"\btask\b|runner|pooling|\bembed|convert", "--runner pooling (vLLM 0.10+; --task embed before 0.13)"),
        (r"lora", "--enable-lora, --lora-modules NAME=PATH (PATH holds adapter_config.json), --max-lora-rank"),
        (
            r"architecture|not supported|model type|has no vLLM implementation",
            "the model's architecture (a newer vLLM, or --trust-remote-code)",
        ),
        (r"rope|sliding.window|hf_overrides", "--hf-overrides"),
        (
            r"cuda|\bgpu\b|device|driver|nvml|nvidia|\bhip\b|rocm",
            "CUDA_VISIBLE_DEVICES and the driver (nvidia-smi; vLLM's build must match the CUDA driver)",
        ),
        (r"timed? ?out|timeout", "VLLM_ENGINE_ITERATION_TIMEOUT_S / VLLM_RPC_TIMEOUT"),
        (r"ulimit|too many open files", "ulimit -n"),
    )
)


_ENGINE_DEATH_RE = re.compile(
    r"EngineDeadError|Engine loop has died|Engine process \(pid \d+\) died|Background loop has errored|"
    r"output_handler failed|EngineCore encountered a fatal error|Error in model execution|execute_model|"
    r"Dumping input data for V1 LLM engine|AsyncLLMEngine has failed"
)


def engine_death(text: str) -> bool:
    """A line only a serving engine prints when it dies (not a failed start)."""
    return _ENGINE_DEATH_RE.search(text) is not None


def request_fix(message: str) -> str:
    """The fix for a request vLLM refused with an error and no advice of its own."""
    return (
        "vLLM refused this request's input; the response body and the lines right after this one say why. Most "
        "often the input is longer than max_model_len: chunk smaller on the client, send `truncate_prompt_tokens` "
        "(or enable truncation), or raise --max-model-len if the model allows it. If every embedding request "
        "fails this way, the served model may not be an embedding model in this vLLM (serve it with "
        f"`--runner pooling`, or upgrade vLLM). Search text: “{search_text(message)}”."
    )


def is_consequence(text: str) -> bool:
    """A line that reports a failure caused elsewhere (a wrapper, a cascade, a shutdown signal)."""
    return _CONSEQUENCE_RE.search(text) is not None


_FATAL_WORDS = (
    "Dead",
    "died",
    "ailed",
    "Killed",
    "exit",
    "atal",
    "dumped",
    "Segmentation",
    "Watchdog",
    "restart",
    "Killing",
    "terminated",
    "timed out",
    "Abort",
    "down",
    "Dumping input",
    "device-side assert",
)


def fatal_signal(text: str) -> bool:
    """A line saying a vLLM process died or is exiting."""
    for word in _FATAL_WORDS:
        if word in text:
            return _FATAL_RE.search(text) is not None
    return False


def vllm_advice(message: str) -> str | None:
    """The advice sentences in vLLM's message (from the first one on), or None."""
    sentences = [s.strip() for s in _SENTENCE_RE.findall(message) if s.strip()]
    for i, sentence in enumerate(sentences):
        if i == 0 and len(sentences) == 1 and not _ADVICE_INLINE_RE.search(sentence):
            break  # a one-sentence message that is only the error
        if _ADVICE_RE.match(sentence) or (i > 0 and _ADVICE_INLINE_RE.search(sentence)):
            advice = " ".join(sentences[i:])
            return advice[:400]
    return None


_VARIABLE_RE = re.compile(r"(?:/[\w.@+-]+){2,}|0x[0-9a-f]+|\b\d[\d,.]{3,}\b|'[^']{40,}'|\{.*")


def search_text(message: str) -> str:
    """The part of a message worth searching for: up to the first path, address or long number."""
    m = _VARIABLE_RE.search(message)
    text = message[: m.start()] if m is not None and m.start() >= 24 else message
    text = text.strip(" :,;(")
    if len(text) > 100:
        cut = text.rfind(" ", 0, 100)
        text = text[: cut if cut > 40 else 100]
    return text


def likely_flag(text: str) -> str | None:
    for regex, flag in _FLAGS:
        if regex.search(text):
            return flag
    return None


# Errors from inside model code that a newer vLLM usually fixes (support added, loader bugs fixed).
_SUPPORT_RE = re.compile(
    r"not (?:yet )?(?:supported|implemented)|NotImplementedError|unsupported|is not compatible|no attribute|"
    r"no module or parameter named|Invalid attention type|KeyError|does not recognize this architecture|"
    r"undefined symbol|Symbol not found|_OpNamespace",
    re.I,
)


def next_step(message: str, version: str | None, context: str = "") -> str:
    """A concrete next step for a failure vLLM gives no advice for."""
    flag = likely_flag(message) or likely_flag(context)
    seen = f"vLLM {version}" if version else "your vLLM version (`vllm --version`)"
    parts = [f'Search vLLM\'s GitHub issues for "{search_text(message)}" with {seen}.']
    if _SUPPORT_RE.search(message):
        parts.append(
            "Errors like this inside vLLM's model code are often fixed in a newer release: upgrade vLLM "
            "(`pip install -U vllm` or a newer image); after building from source, do a clean build "
            "(remove build/, reinstall) so its "
            "compiled ops (vllm._C) match torch. If it began right after an upgrade (or on a nightly / rc build), "
            "downgrade to the last release that worked and report it."
        )
    if flag:
        parts.append(f"The setting most likely involved: {flag}.")
    else:
        parts.append("Rerun with VLLM_LOGGING_LEVEL=DEBUG to see the step that fails.")
    return " ".join(parts)


_OPTION_RE = re.compile(
    r"`(?:--)?([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:=[^`]*)?`|\b([a-z]+(?:_[a-z0-9]+)+)=(?:True|False|\d)"
)


def cli_flags(text: str) -> list[str]:
    """`gpu_memory_utilization` / `trust_remote_code=True` in vLLM's advice → the `vllm serve` flags."""
    flags = []
    for m in _OPTION_RE.finditer(text):
        name = m.group(1) or m.group(2)
        flag = "--" + name.replace("_", "-")
        if flag not in flags:
            flags.append(flag)
    return flags[:3]


def died_without_cause(message: str) -> str:
    """The fix when the only line is a consequence (a process died and the log holds no cause)."""
    return (
        f"The log says only that a vLLM process died (“{message[:160]}”), not why. Look above it for the first "
        "ERROR or traceback (a longer log: `docker logs` / `journalctl -u` without --tail); an OOM kill shows in "
        "`dmesg | grep -i -e oom -e killed`. Then restart vLLM, under a supervisor (docker `--restart`, systemd)."
    )


def fix_for(message: str, version: str | None, context: str = "", consequence: bool = False) -> tuple[str, bool]:
    """(fix text, whether it is vLLM's own advice)."""
    advice = vllm_advice(message)
    if advice:
        flags = cli_flags(advice)
        hint = f" (`vllm serve` flags: {', '.join(flags)})" if flags else ""
        return f"vLLM says: “{advice}”{hint}", True
    if consequence:
        return died_without_cause(message), False
    return next_step(message, version, context), False
