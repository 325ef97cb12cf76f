"""The phases of a vLLM run and the log lines that mark them: milestones, the facts read on the way, ranks.

Phases: not-started → starting → loading → warming-up → ready → serving → shutting-down → exited, or crashed.
`tui.state.lifecycle` folds log lines through these; the widgets and rules read the phase names from here
(or from `lifecycle`, which re-exports them).
"""

from __future__ import annotations

import re

NOT_STARTED = "not-started"
STARTING = "starting"
LOADING = "loading"
WARMING = "warming-up"
READY = "ready"
SERVING = "serving"
RUNNING = "running"  # up, but its startup is older than the part of the log we read
SHUTTING_DOWN = "shutting-down"
EXITED = "exited"
CRASHED = "crashed"
UP = (READY, SERVING, RUNNING)
BOOTING = (STARTING, LOADING, WARMING)

# (phase, regex) checked in order on vLLM INFO and uvicorn lines; the first hit moves the phase.
MILESTONES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        STARTING,
        re.compile(
            r"non-default args: |vLLM API server version |^args: Namespace|█  version \S|"
            r"vLLM server version \S+, serving model|Initializing an? (?:V\d )?LLM engine"
        ),
    ),
    (
        LOADING,
        re.compile(r"Starting to load model |Loading weights took|Model loading took|Loading model weights took"),
    ),
    (
        WARMING,
        re.compile(
            r"Warming up model|Memory profiling takes|Available KV cache memory|KV cache size: |"
            r"Capturing (?:CUDA graphs|cudagraphs|the model for CUDA graphs)|init engine \(profile|"
            r"# (?:GPU|cuda) blocks: "
        ),
    ),
    (READY, re.compile(r"Starting vLLM (?:API )?server|^Application startup complete\.|^Uvicorn running on")),
    (
        SHUTTING_DOWN,
        re.compile(
            r"\[shutdown\] API server: shutdown triggered|Shutting down FastAPI HTTP server|"
            r"^Shutting down$|\[shutdown\] EngineCore: trigger received"
        ),
    ),
    (EXITED, re.compile(r"^Finished server process")),
)
NEW_RUN_RE = re.compile(
    r"non-default args: |vLLM API server version |^args: Namespace|█  version \S|"
    r"vLLM server version \S+, serving model"
)
ANY_MILESTONE = re.compile("|".join(f"(?:{r.pattern})" for _, r in MILESTONES))


# Every milestone and fact line starts with one of these (checked, for all captures, by
# tests/test_log_lifecycle.py): one anchored match instead of a dozen searches per INFO line.
MSG_START_RE = re.compile(
    r"Starting |Loading |Model loading |init engine |Available KV |Using max model len|Resolved architecture|"
    r"Supported[_ ]tasks|non-default args|args: |Initializing an? |Warming up model|Capturing |"
    r"Application startup complete|Shutting down|Finished server process|Memory profiling|"
    r"vLLM (?:API )?server version|Uvicorn running|\[shutdown\] (?:API server: shutdown triggered|EngineCore: trigger)|"
    r"# \w+ blocks|\w+(?: \+ host)? KV cache size|Maximum concurrency|\s*[▄█▀]|No platform detected"
)


# Facts worth showing, read from INFO lines: name → regex with one or two groups.
FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "version",
        re.compile(
            r"(?:vLLM API server version |█  version |vLLM server version )([^\s,]+)|"
            r"Initializing an? (?:V\d )?LLM engine \(v([^\s)]+)\)"
        ),
    ),
    ("model", re.compile(r"(?:█  model\s+|serving model )(\S+)")),
    ("architecture", re.compile(r"Resolved architecture: (\w+)")),
    ("max_model_len", re.compile(r"Using max model len (\d+)")),
    ("weights_s", re.compile(r"Loading weights took ([\d.]+) s")),
    ("weights_gib", re.compile(r"Model loading took ([\d.]+) GiB|Loading model weights took ([\d.]+) GB")),
    ("kv_cache_gib", re.compile(r"Available KV cache memory: ([\d.]+) GiB")),
    ("kv_cache_tokens", re.compile(r"KV cache size: ([\d,]+) tokens")),
    ("max_concurrency", re.compile(r"Maximum concurrency for [\d,]+ tokens per request: ([\d.]+)x")),
    ("init_engine_s", re.compile(r"init engine \(profile, create kv cache, warmup model\) took ([\d.]+)")),
    ("tasks", re.compile(r"Supported[_ ]tasks: (\[.*\])")),
    ("listen", re.compile(r"Starting vLLM (?:API )?server(?: \d+)? on (\S+)")),
)


_RANKS = {
    NOT_STARTED: 0,
    STARTING: 1,
    LOADING: 2,
    WARMING: 3,
    READY: 4,
    RUNNING: 4,
    SERVING: 5,
    SHUTTING_DOWN: 6,
    EXITED: 7,
    CRASHED: 6,
}


def rank(phase: str) -> int:
    """How far along a run the phase is (crashed ranks with shutting-down)."""
    return _RANKS[phase]
