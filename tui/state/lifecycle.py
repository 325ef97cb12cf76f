"""Where in its life the vLLM server is, as read from its log, plus what the log says went wrong.

Phases: not-started → starting → loading → warming-up → ready → serving → shutting-down → exited,
or crashed (a catalog failure outside a shutdown). A new startup banner in the same log starts a
new run and forgets the previous run's findings. Times come from the log's own timestamps
(`MM-DD HH:MM:SS`, local time, no year); lines without one (uvicorn, tracebacks) take the time of
the last stamped line, or the time they were read when the log is followed live.

The phases and the lines that mark them are in `tui.state.phases`, the run record in `tui.state.run`, and
how a run failed (findings, fatal line, root cause) in `tui.state.findings`; their names are importable
from here as before.
"""

from __future__ import annotations

import re
import time
from collections import deque
from datetime import datetime

from tui.logs import advice, catalog
from tui.logs.failures import QUIET_S, Suspect, standalone
from tui.logs.parse import EXCEPTION_RE, Stats, parse_stats
from tui.logs.tracebacks import TRACEBACK, ChainTracker
from tui.samples import LogLine
from tui.state.findings import CHAIN_QUIET_S, FRAME_PREFIXES, PLATFORM_IDS, FindingsFold
from tui.state.phases import (
    ANY_MILESTONE,
    BOOTING,
    CRASHED,
    EXITED,
    FACTS,
    LOADING,
    MILESTONES,
    MSG_START_RE,
    NEW_RUN_RE,
    NOT_STARTED,
    READY,
    RUNNING,
    SERVING,
    SHUTTING_DOWN,
    STARTING,
    UP,
    WARMING,
    rank,
)
from tui.state.run import Finding, Run, RunSummary

# The names this module always offered, wherever they live now.
__all__ = [
    "BOOTING",
    "CHAIN_QUIET_S",
    "CRASHED",
    "EXITED",
    "LOADING",
    "MSG_START_RE",
    "NOT_STARTED",
    "QUIET_S",
    "READY",
    "RUNNING",
    "SERVING",
    "SHUTTING_DOWN",
    "STARTING",
    "UP",
    "WARMING",
    "Finding",
    "LogState",
    "Run",
    "RunSummary",
    "log_time",
]

MAX_PIDS = 64
# Why vLLM found no GPU platform, logged at DEBUG/WARNING before "No platform detected".
_PLATFORM_PROBE_RE = re.compile(
    r"Exception happens when checking CUDA platform|cannot open shared object file|NVML Shared Library Not Found|"
    r"Failed to initialize NVML|CUDA platform is not available because"
)
_CODE_LINE_RE = re.compile(r"\s+(?:File \"|raise |\^|~|assert |if |return |[\w.]+\()")
MAX_RUNS = 16


class LogState(FindingsFold):
    """Folds log lines into the lifecycle of the current run, its facts, findings and request counts."""

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
        self.line_no = 0
        self.last_read: float | None = None  # live: when the last line was read (our clock, not the log's)
        self.chains = ChainTracker()
        self.history: deque[RunSummary] = deque(maxlen=MAX_RUNS)  # earlier runs, oldest first
        self._recent: deque[tuple[LogLine, int]] = deque(maxlen=8)  # last lines that are not INFO/DEBUG/access
        self.finished = False
        self._wrapper: Suspect | None = None  # a suspect whose message continues on the next line ("… raised:")

    # ------------------------------------------------------------------ feeding

    @property
    def findings(self) -> list[Finding]:
        return self.run.findings

    def feed(self, line: LogLine, t_read: float | None = None) -> None:
        """Fold one line in. `t_read` is when it was read live (None: a backlog or a saved log)."""
        self.line_no += 1
        n = self.line_no
        if t_read is not None:
            self.last_read = t_read
        t = self._time(line, t_read)
        if line.pid is not None and line.pid not in self.pids:
            self.pids[line.pid] = line.proc or ""
            if len(self.pids) > MAX_PIDS:
                del self.pids[next(iter(self.pids))]
        kind = line.kind
        level = line.level
        msg = line.msg
        chains = self.chains
        if chains.open_chains or level in ("ERROR", "CRITICAL") or (level != "INFO" and msg.startswith(TRACEBACK)):
            for chain in chains.feed(line, n, t):
                self._chain(chain)
            if self.run.failures.fatal is not None and msg[:1].isalpha() and chains.open_for(line):
                self._refresh_structural()  # an exception line of a traceback still open may be the root
        if kind == "access":
            self._access(line, t, n)
            return
        if (kind == "vllm" and level in ("INFO", "DEBUG")) or kind == "uvicorn":
            if MSG_START_RE.match(msg) is not None:
                if ANY_MILESTONE.search(msg):
                    self._milestone(msg, t)
                if kind == "vllm":
                    self._facts(msg)
                    if level == "INFO":
                        self._info_match(line, t, n)  # INFO catalog entries start like a fact (tested)
            if "Avg prompt throughput" in msg:
                stats = parse_stats(msg)
                if stats is not None:
                    self.stats, self.stats_t = stats, t
                    self.run.failures.recovered()
                    if self.phase == NOT_STARTED:
                        self._set(RUNNING, t)
        if level == "DEBUG" or (level == "INFO" and kind != "other"):
            if level == "DEBUG" and ("latform" in msg or "NVML" in msg) and _PLATFORM_PROBE_RE.search(msg):
                self._platform_probe(line, n)
            return
        if not chains.open_for(line):
            self._recent.append((line, n))  # not a traceback's line: what may have been printed before one
        if level in ("ERROR", "CRITICAL") and self.run.first_error_record is None and msg.strip():
            self.run.first_error_record = (line, n)
        if level == "WARNING":
            self.run.failures.warnings.append((line, t))
            if ("latform" in msg or "shared object" in msg or "NVML" in msg) and _PLATFORM_PROBE_RE.search(msg):
                self._platform_probe(line, n)
        if msg.startswith(FRAME_PREFIXES):
            hit = None  # a traceback's frame or source line: it quotes code, the error is the exception line
        else:
            hit = catalog.match(line.text, level if kind == "vllm" else None)
            if hit is not None and _CODE_LINE_RE.match(msg):
                hit = None
        if hit is not None:
            self._finding(hit[0], line.text, t, n)
        elif (
            self.run.first_error is None
            and not self.in_shutdown
            and level in (None, "ERROR", "CRITICAL")
            and EXCEPTION_RE.match(line.msg)
        ):
            self.run.first_error = (line.text, t)
        if level == "WARNING" or self.in_shutdown:
            return
        errorish = level in ("ERROR", "CRITICAL") or (kind == "other" and ":" in msg)
        if errorish and not (self.chains.open_for(line) or msg.startswith(TRACEBACK)):
            wrapper = self._wrapper
            if wrapper is not None:
                self._wrapper = None
                if wrapper.line.pid == line.pid and wrapper.line.proc == line.proc and n - wrapper.line_no <= 2:
                    # `BackendCompilerFailed: backend='inductor' raised:` — this next line is the real error
                    wrapper.line, wrapper.text, wrapper.line_no, wrapper.exc_type = line, msg.strip(), n, ""
                    return
            suspect = standalone(line, n, t)
            if suspect is not None:
                self.run.failures.add(suspect)
                if suspect.text.endswith("raised:"):
                    self._wrapper = suspect
                if suspect.exc_type == "ArgumentError":
                    self._fatal(line, n, t)  # argparse exits right after its error line
        if (level is not None or kind == "other") and advice.fatal_signal(msg or line.text):
            self._fatal(line, n, t)

    def _platform_probe(self, line: LogLine, n: int) -> None:
        """A line saying why no GPU platform was found: the first one is what the no-GPU finding cites."""
        run = self.run
        if run.platform_probe is not None:
            return
        run.platform_probe = (line, n)
        for i, f in enumerate(run.findings):  # printed right after "No platform detected": cite it there too
            if f.id in PLATFORM_IDS and n - f.line_no <= 20:
                run.findings[i] = Finding(f.pattern, line.text, f.t, f.check, f.count, n, f.context, f.structural)

    def _info_match(self, line: LogLine, t: float, n: int) -> None:
        hit = catalog.match(line.text, "INFO")
        if hit is not None:
            self._finding(hit[0], line.text, t, n)

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
        if NEW_RUN_RE.search(msg) and self.phase not in BOOTING:
            self._new_run(t)
        for phase, regex in MILESTONES:
            if regex.search(msg):
                if phase == SHUTTING_DOWN:
                    self.in_shutdown = True
                if phase == EXITED and self.phase == CRASHED:
                    return
                if phase == SHUTTING_DOWN and self.phase in (CRASHED, EXITED):
                    return
                if rank(phase) > rank(self.phase) or phase in (SHUTTING_DOWN, EXITED):
                    self._set(phase, t)
                return

    def _new_run(self, t: float) -> None:
        if self.starts:
            self._end_run()
            self.history.append(self.summary())
        self.starts += 1
        self.run = Run(start_no=self.line_no)
        self.in_shutdown = False
        self.ready_at = None
        self.stats = None
        self.phase = NOT_STARTED
        self._set(STARTING, t)

    def summary(self) -> RunSummary:
        """The current run, as a restart loop's report shows it."""
        run = self.run
        furthest = max((p for p, _ in run.phases), key=rank, default=NOT_STARTED)
        if self.ready_at is not None and rank(furthest) < rank(READY):
            furthest = READY
        return RunSummary(
            run.phases[0][1] if run.phases else None,
            run.start_no,
            furthest if furthest != CRASHED else self._before_crash(),
            self.phase,
            self.root_cause(),
            tuple(run.phases),
        )

    def _before_crash(self) -> str:
        phases = [p for p, _ in self.run.phases if p != CRASHED]
        return max(phases, key=rank, default=NOT_STARTED)

    def _facts(self, msg: str) -> None:
        for name, regex in FACTS:
            m = regex.search(msg)
            if m is not None:
                self.run.facts[name] = next(g for g in m.groups() if g is not None)

    def _access(self, line: LogLine, t: float, n: int = 0) -> None:
        status, path = line.status, line.path
        if status is None or path is None:
            return
        ok = 200 <= status < 300
        if ok:
            if self.run.failures.suspects and not self.in_shutdown:
                self.run.failures.recovered()  # it answers: earlier errors did not stop it
            if self.phase == NOT_STARTED:
                self._set(RUNNING, t)  # joined a running server: its startup is not in what we read
        if "embedtop=" in path:
            return  # our own request
        bare = path.split("?", 1)[0] if "?" in path else path
        if bare.startswith("/v1/"):
            self.requests_total += 1
            if ok and self.phase in (READY, RUNNING):
                self._set(SERVING, t)
        if ok:
            return
        if status >= 400:
            self.run.client_errors += 1
        if self.in_shutdown and status >= 500:
            return  # requests aborted by a shutdown: the phase says it, not a request failure
        for rule in catalog.RULES_BY_STATUS.get(status, ()):
            if catalog.access_matches(rule, status, bare):
                self.windows[rule.id].append(t)
                count = self.count_access(rule, t)
                if count >= rule.min_count:
                    self._add(Finding(rule, line.text, t, rule.check, count, n))
                break

    def count_access(self, rule: catalog.AccessRule, now: float) -> int:
        """How many (not ours) access lines matching the rule fell in its window up to `now`."""
        window = self.windows[rule.id]
        start = now - rule.window_s
        while window and window[0] < start:
            window.popleft()
        return len(window)

    @property
    def failed(self) -> bool:
        return self.run.crashed

    def phase_durations(self, now: float | None = None) -> list[tuple[str, float, float | None]]:
        """(phase, start, seconds spent) for the current run; seconds is None for the phase still on."""
        phases = self.run.phases
        out: list[tuple[str, float, float | None]] = []
        for i, (phase, start) in enumerate(phases):
            end = phases[i + 1][1] if i + 1 < len(phases) else None
            out.append((phase, start, None if end is None else max(0.0, end - start)))
        return out


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
