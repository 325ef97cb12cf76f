"""Where in its life the vLLM server is, as read from its log, plus what the log says went wrong.

Phases: not-started → starting → loading → warming-up → ready → serving → shutting-down → exited,
or crashed (a catalog failure outside a shutdown). A new startup banner in the same log starts a
new run and forgets the previous run's findings. Times come from the log's own timestamps
(`MM-DD HH:MM:SS`, local time, no year); lines without one (uvicorn, tracebacks) take the time of
the last stamped line, or the time they were read when the log is followed live.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from tui.logs import catalog
from tui.logs.parse import EXCEPTION_RE, Stats, parse_stats
from tui.model.samples import LogLine

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
_MILESTONES: tuple[tuple[str, re.Pattern[str]], ...] = (
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
_NEW_RUN_RE = re.compile(
    r"non-default args: |vLLM API server version |^args: Namespace|█  version \S|"
    r"vLLM server version \S+, serving model"
)
_ANY_MILESTONE = re.compile("|".join(f"(?:{r.pattern})" for _, r in _MILESTONES))


# Every milestone and fact line starts with one of these (checked, for all captures, by
# tests/test_log_lifecycle.py): one anchored match instead of a dozen searches per INFO line.
MSG_START_RE = re.compile(
    r"Starting |Loading |Model loading |init engine |Available KV |Using max model len|Resolved architecture|"
    r"Supported[_ ]tasks|non-default args|args: |Initializing an? |Warming up model|Capturing |"
    r"Application startup complete|Shutting down|Finished server process|Memory profiling|"
    r"vLLM (?:API )?server version|Uvicorn running|\[shutdown\] (?:API server: shutdown triggered|EngineCore: trigger)|"
    r"# \w+ blocks|\w+(?: \+ host)? KV cache size|Maximum concurrency|\s*[▄█▀]"
)


# Facts worth showing, read from INFO lines: name → regex with one or two groups.
_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("version", re.compile(r"(?:vLLM API server version |█  version |vLLM server version )([^\s,]+)")),
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


@dataclass(frozen=True)
class Finding:
    """A catalog failure seen in the log, with the line that proves it and when it was logged."""

    pattern: catalog.LogPattern | catalog.AccessRule
    line: str
    t: float
    check: str  # the checklist item it turns: vllm.startup, vllm.engine or vllm.requests
    count: int = 1  # access rules: how many lines in the window

    @property
    def id(self) -> str:
        return self.pattern.id


@dataclass
class Run:
    """One start of vLLM in the log: its phases with start times, facts, and findings."""

    phases: list[tuple[str, float]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    first_error: tuple[str, float] | None = None  # first exception line, for failures no entry names


MAX_PIDS = 64


class LogState:
    """Folds log lines into the lifecycle of the current run, its facts, findings and request counts."""

    MAX_FINDINGS = 50

    def __init__(self, now: float | None = None) -> None:
        self.phase = NOT_STARTED
        self.phase_since: float | None = None
        self.run = Run()
        self.starts = 0
        self.in_shutdown = False
        self.ready_at: float | None = None
        self.stats: Stats | None = None
        self.stats_t: float | None = None
        self.last_t: float | None = None  # time of the last line
        self.windows: dict[str, deque[float]] = {r.id: deque() for r in catalog.ACCESS_RULES}  # times per rule
        self.requests_total = 0
        self.pids: dict[int, str] = {}  # pid → process name the log's `(Proc pid=N)` prefixes name, newest last
        self._ts_cache: tuple[str, float] = ("", 0.0)
        self._now = now

    # ------------------------------------------------------------------ feeding

    @property
    def findings(self) -> list[Finding]:
        return self.run.findings

    def feed(self, line: LogLine, t_read: float | None = None) -> None:
        """Fold one line in. `t_read` is when it was read live (None: a backlog or a saved log)."""
        t = self._time(line, t_read)
        if line.pid is not None and line.pid not in self.pids:
            self.pids[line.pid] = line.proc or ""
            if len(self.pids) > MAX_PIDS:
                del self.pids[next(iter(self.pids))]
        kind = line.kind
        if kind == "access":
            self._access(line, t)
            return
        level = line.level
        if (kind == "vllm" and level in ("INFO", "DEBUG")) or kind == "uvicorn":
            msg = line.msg
            if MSG_START_RE.match(msg) is not None:
                if _ANY_MILESTONE.search(msg):
                    self._milestone(msg, t)
                if kind == "vllm":
                    self._facts(msg)
            if "Avg prompt throughput" in msg:
                stats = parse_stats(msg)
                if stats is not None:
                    self.stats, self.stats_t = stats, t
                    if self.phase == NOT_STARTED:
                        self._set(RUNNING, t)
        if level != "DEBUG":
            hit = catalog.match(line.text, level if kind == "vllm" else None)
            if hit is not None:
                self._finding(hit[0], line.text, t)
            elif (
                self.run.first_error is None
                and not self.in_shutdown
                and level in (None, "ERROR", "CRITICAL")
                and EXCEPTION_RE.match(line.msg)
            ):
                self.run.first_error = (line.text, t)

    def _time(self, line: LogLine, t_read: float | None) -> float:
        ts = line.ts
        if ts is not None:
            cached_ts, cached_t = self._ts_cache
            if ts == cached_ts:
                t = cached_t
            else:
                t = log_time(ts, t_read or self._now or time.time())
                self._ts_cache = (ts, t)
        elif t_read is not None:
            t = t_read
        elif self.last_t is not None:
            t = self.last_t
        else:
            t = self._now or time.time()
        self.last_t = t
        return t

    def _milestone(self, msg: str, t: float) -> None:
        if _NEW_RUN_RE.search(msg) and self.phase not in BOOTING:
            self._new_run(t)
        for phase, regex in _MILESTONES:
            if regex.search(msg):
                if phase == SHUTTING_DOWN:
                    self.in_shutdown = True
                if phase == EXITED and self.phase == CRASHED:
                    return
                if phase == SHUTTING_DOWN and self.phase in (CRASHED, EXITED):
                    return
                if _rank(phase) > _rank(self.phase) or phase in (SHUTTING_DOWN, EXITED):
                    self._set(phase, t)
                return

    def _new_run(self, t: float) -> None:
        self.starts += 1
        self.run = Run()
        self.in_shutdown = False
        self.ready_at = None
        self.stats = None
        self.phase = NOT_STARTED
        self._set(STARTING, t)

    def _facts(self, msg: str) -> None:
        for name, regex in _FACTS:
            m = regex.search(msg)
            if m is not None:
                self.run.facts[name] = next(g for g in m.groups() if g is not None)

    def _access(self, line: LogLine, t: float) -> None:
        status, path = line.status, line.path
        if status is None or path is None:
            return
        if self.phase == NOT_STARTED and 200 <= status < 300:
            self._set(RUNNING, t)  # joined a running server: its startup is not in what we read
        if line.ours:
            return
        if path.startswith("/v1/"):
            self.requests_total += 1
            if self.phase in (READY, RUNNING) and 200 <= line.status < 300:
                self._set(SERVING, t)
            if self.in_shutdown and line.status >= 500:
                return  # requests aborted by a shutdown: the phase says it, not a request failure
            for rule in catalog.ACCESS_RULES:
                if line.status in rule.statuses and path.startswith(rule.path_prefix):
                    self.windows[rule.id].append(t)
                    count = self.count_access(rule, t)
                    if count >= rule.min_count:
                        self._add(Finding(rule, line.text, t, "vllm.requests", count))

    def count_access(self, rule: catalog.AccessRule, now: float) -> int:
        """How many (not ours) access lines matching the rule fell in its window up to `now`."""
        window = self.windows[rule.id]
        start = now - rule.window_s
        while window and window[0] < start:
            window.popleft()
        return len(window)

    def _finding(self, pattern: catalog.LogPattern, text: str, t: float) -> None:
        if pattern.scope == "request":
            self._add(Finding(pattern, text, t, "vllm.requests"))
            return
        if self.in_shutdown:
            return  # the SIGTERM path logs an EngineDeadError traceback: not a crash (vllm-facts §2)
        # After "ready" it is the engine; in a log that starts mid-run (no startup seen), the
        # engine.* entries (deaths of a running engine) are too.
        started = any(phase == STARTING for phase, _ in self.run.phases)
        running = self.ready_at is not None or self.phase in UP or (not started and pattern.id.startswith("engine."))
        check = "vllm.engine" if running else "vllm.startup"
        self._add(Finding(pattern, text, t, check))
        if pattern.severity == "fail":
            self._set(CRASHED, t)

    def _add(self, finding: Finding) -> None:
        findings = self.run.findings
        for i, old in enumerate(findings):
            if old.pattern is finding.pattern and old.check == finding.check:
                if isinstance(finding.pattern, catalog.AccessRule):
                    findings[i] = finding  # keep the latest line and count of a request burst
                return  # the same failure again (a traceback repeats it): keep the first
        if len(findings) < self.MAX_FINDINGS:
            findings.append(finding)

    def _set(self, phase: str, t: float) -> None:
        if phase == READY and self.ready_at is None:
            self.ready_at = t
        if phase != self.phase:
            self.phase = phase
            self.phase_since = t
            self.run.phases.append((phase, t))
            del self.run.phases[:-12]

    # ------------------------------------------------------------------ reading

    def findings_for(self, check: str) -> list[Finding]:
        return [f for f in self.run.findings if f.check == check]

    def root_cause(self, check: str | None = None) -> Finding | None:
        """The first specific finding of the run (for one check, or the server checks), else the first."""
        if check is None:
            found = [f for f in self.run.findings if f.check != "vllm.requests"]
        else:
            found = self.findings_for(check)
        for f in found:
            if not getattr(f.pattern, "generic", False):
                return f
        return found[0] if found else None

    def phase_durations(self, now: float | None = None) -> list[tuple[str, float, float | None]]:
        """(phase, start, seconds spent) for the current run; seconds is None for the phase still on."""
        phases = self.run.phases
        out: list[tuple[str, float, float | None]] = []
        for i, (phase, start) in enumerate(phases):
            end = phases[i + 1][1] if i + 1 < len(phases) else None
            out.append((phase, start, None if end is None else max(0.0, end - start)))
        return out


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


def _rank(phase: str) -> int:
    return _RANKS[phase]


def log_time(ts: str, ref: float) -> float:
    """Epoch seconds of vLLM's "MM-DD HH:MM:SS" (local time): the year is the one that puts it nearest `ref`."""
    try:
        month, day = int(ts[0:2]), int(ts[3:5])
        hour, minute, second = int(ts[6:8]), int(ts[9:11]), int(ts[12:14])
        year = time.localtime(ref).tm_year
        t = datetime(year, month, day, hour, minute, second).timestamp()
        if t - ref > 2 * 86400:  # December's log read in January
            t = datetime(year - 1, month, day, hour, minute, second).timestamp()
        return t
    except (ValueError, OverflowError):
        return ref
