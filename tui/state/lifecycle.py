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

from tui.logs import advice, catalog
from tui.logs.failures import (
    QUIET_S,
    RunFailures,
    Suspect,
    pattern_for,
    request_level,
    standalone,
    suspect_from_chain,
)
from tui.logs.parse import EXCEPTION_RE, Stats, parse_stats
from tui.logs.tracebacks import TRACEBACK, Chain, ChainTracker
from tui.samples import LogLine

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
    r"# \w+ blocks|\w+(?: \+ host)? KV cache size|Maximum concurrency|\s*[▄█▀]|No platform detected"
)


# Facts worth showing, read from INFO lines: name → regex with one or two groups.
_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
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


@dataclass(frozen=True)
class Finding:
    """A failure seen in the log, with the line that proves it and when it was logged."""

    pattern: catalog.LogPattern | catalog.AccessRule
    line: str
    t: float
    check: str  # the checklist item it turns: vllm.startup, vllm.engine, vllm.requests, client.*, api.auth
    count: int = 1  # access rules: how many lines in the window
    line_no: int = 0  # 1-based line of the input (0: unknown)
    context: tuple[str, ...] = ()  # lines that explain it (a warning just before), already formatted
    structural: bool = False  # found from the log's structure, not a catalog entry

    @property
    def fix(self) -> str:
        """The entry's fix, led by vLLM's own advice when the cited line carries some (quoted)."""
        fix = self.pattern.fix
        if self.structural or fix.startswith("vLLM says"):
            return fix
        said = advice.vllm_advice(self.line.split("] ", 1)[-1])
        return f"vLLM says: “{said}” — {fix}" if said else fix

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
    failures: RunFailures = field(default_factory=RunFailures)
    start_no: int = 0  # line number where the run starts
    client_errors: int = 0  # access lines with 4xx/5xx (not ours)
    platform_probe: tuple[LogLine, int] | None = None  # why platform detection failed (a DEBUG/WARNING line)
    first_error_record: tuple[LogLine, int] | None = None

    @property
    def crashed(self) -> bool:
        return self.failures.fatal is not None


@dataclass(frozen=True)
class RunSummary:
    """A finished run of a log with several starts (a restart loop): how far it got and why it ended."""

    start: float | None
    start_no: int
    furthest: str  # the furthest phase it reached
    last_phase: str
    root: Finding | None
    phases: tuple[tuple[str, float], ...]


MAX_PIDS = 64
CHAIN_QUIET_S = 2.0  # live: a traceback whose exception line came this long ago with nothing after it is over
# A traceback's source line (`    raise RuntimeError("…")`) quotes a message without the error happening.
_FRAME_PREFIXES = ('  File "', "    ")
# Why vLLM found no GPU platform, logged at DEBUG/WARNING before "No platform detected".
_PLATFORM_PROBE_RE = re.compile(
    r"Exception happens when checking CUDA platform|cannot open shared object file|NVML Shared Library Not Found|"
    r"Failed to initialize NVML|CUDA platform is not available because"
)
_PLATFORM_IDS = ("startup.no_platform", "startup.no_gpu")
_CODE_LINE_RE = re.compile(r"\s+(?:File \"|raise |\^|~|assert |if |return |[\w.]+\()")
MAX_RUNS = 16


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
                if _ANY_MILESTONE.search(msg):
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
        if msg.startswith(_FRAME_PREFIXES):
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
            if f.id in _PLATFORM_IDS and n - f.line_no <= 20:
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
        furthest = max((p for p, _ in run.phases), key=_rank, default=NOT_STARTED)
        if self.ready_at is not None and _rank(furthest) < _rank(READY):
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
        return max(phases, key=_rank, default=NOT_STARTED)

    def _facts(self, msg: str) -> None:
        for name, regex in _FACTS:
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

    def _finding(self, pattern: catalog.LogPattern, text: str, t: float, n: int = 0) -> None:
        if pattern.scope == "request":
            self._add(Finding(pattern, text, t, pattern.check or "vllm.requests", line_no=n))
            return
        if self.in_shutdown:
            # the SIGTERM path logs an EngineDeadError traceback: not a crash
            # (tests/captures/vllm-0.32-cpu/logs/shutdown-sigterm-idle.log)
            return
        check = self._check_for(pattern.id, text)
        probe = self.run.platform_probe
        if pattern.id in _PLATFORM_IDS and probe is not None:
            text, n = probe[0].text, probe[1]  # the line that says why no GPU platform was found
        if pattern.severity == "fail":
            self._fatal_check(check, t)
            check = self.run.failures.fatal[3] if self.run.failures.fatal else check
        self._add(Finding(pattern, text, t, check, line_no=n))
        if pattern.severity == "fail":
            self._refresh_structural()

    def _check_for(self, pattern_id: str, text: str = "") -> str:
        """A startup.* entry is a startup failure whatever uvicorn printed before it (a bind error follows
        'Application startup complete' in 0.6); after "ready" anything else is the engine. In a log that
        starts mid-run (no startup seen), the engine.* entries (deaths of a running engine) are too."""
        if pattern_id.startswith("startup."):
            return "vllm.startup"
        started = any(phase == STARTING for phase, _ in self.run.phases)
        failures = self.run.failures
        mid_run = not started and (
            pattern_id.startswith("engine.")
            or any(s.serving or advice.engine_death(s.text) for s in failures.suspects)
            or advice.engine_death(text)
        )
        running = self.ready_at is not None or self.phase in UP or mid_run
        return "vllm.engine" if running else "vllm.startup"

    # ------------------------------------------------------------------ failures from structure

    def _chain(self, chain: Chain) -> None:
        if self.in_shutdown:
            return
        suspect = suspect_from_chain(chain)
        if suspect is None:
            return
        failures = self.run.failures
        if chain.header is not None and failures.suspects and failures.suspects[-1].line_no == chain.header_no:
            failures.suspects.pop()  # the record whose traceback this is: the traceback's exception says more
        failures.add(suspect)
        texts = [f"{s.exc_type}: {s.message}" for s in chain.sections if s.exc_type]
        stopping = suspect.exc_type.rsplit(".", 1)[-1] in ("KeyboardInterrupt", "SystemExit", "CancelledError")
        if failures.fatal is not None and failures.fatal[3] == "vllm.startup" and suspect.serving:
            self._relabel_as_engine()  # its frames are the serving path: an excerpt of a serving engine's death
        if (chain.toplevel and not stopping) or any(advice.fatal_signal(x) for x in texts):
            self._fatal(suspect.line, suspect.line_no, suspect.t)
        elif failures.fatal is not None:
            self._refresh_structural()

    def _fatal(self, line: LogLine, n: int, t: float) -> None:
        """A line that says a vLLM process died: the run failed (once), its root cause is chosen."""
        if self.in_shutdown:
            return
        text = line.msg or line.text
        failures = self.run.failures
        if failures.fatal is not None and failures.fatal[3] == "vllm.startup" and advice.engine_death(text):
            self._relabel_as_engine()
        self._fatal_check(self._check_for("", text), t, (line, n))
        self._refresh_structural()

    def _relabel_as_engine(self) -> None:
        """An excerpt with no startup in it: a failure first taken for a startup's turns out to be a serving
        engine's death (its later lines are ones only a serving engine prints)."""
        if any(phase == STARTING for phase, _ in self.run.phases):
            return
        failures = self.run.failures
        assert failures.fatal is not None
        failures.fatal = (*failures.fatal[:3], "vllm.engine")
        self.run.findings = [
            Finding(f.pattern, f.line, f.t, "vllm.engine", f.count, f.line_no, f.context, f.structural)
            if f.check == "vllm.startup"
            else f
            for f in self.run.findings
        ]

    def _fatal_check(self, check: str, t: float, where: tuple[LogLine, int] | None = None) -> None:
        failures = self.run.failures
        if failures.fatal is not None:
            return
        line, n = where if where is not None else (LogLine(""), 0)
        failures.fatal = (line, n, t, check)
        if check == "vllm.startup" and self.ready_at is not None:
            self.ready_at = None  # "Application startup complete" then a bind error: it never listened
        self._set(CRASHED, t)

    def _refresh_structural(self) -> None:
        """(Re)build the finding for the failure from its first suspect (more may arrive after the fatal line)."""
        failures = self.run.failures
        if failures.fatal is None:
            return
        findings = self.run.findings
        old = next((i for i, f in enumerate(findings) if f.structural), None)
        if any(
            not f.structural and f.pattern.severity == "fail" and not getattr(f.pattern, "generic", False)
            for f in findings
            if f.check in ("vllm.startup", "vllm.engine")
        ):
            if old is not None:  # the catalog knows this failure: its entry explains it better
                del findings[old]
            return
        pending = [s for s in map(suspect_from_chain, self.chains.pending()) if s is not None]
        suspect = failures.root(pending)
        if suspect is None:
            fatal_line, n, t, check = failures.fatal
            if not fatal_line.text:
                return
            suspect = Suspect(fatal_line, fatal_line.msg or fatal_line.text, n, t, True)
        check = failures.fatal[3]
        warning = failures.explaining_warning(suspect.t) if check == "vllm.engine" else None
        context = (f"warning just before: {warning[0].text[:300]}",) if warning else ()
        pattern = pattern_for(suspect, check, self.run.facts.get("version"), " ".join(context))
        finding = Finding(pattern, suspect.line.text, suspect.t, check, 1, suspect.line_no, context, True)
        if old is not None:
            if findings[old].line_no == finding.line_no and findings[old].check == check:
                return
            findings[old] = finding
        elif len(findings) < self.MAX_FINDINGS:
            findings.append(finding)

    def _end_run(self) -> None:
        """The run is over (end of input, or a restart): an error during startup that nothing followed
        stopped it; one after it served is reported as a request-level error, not a crash."""
        chains = self.chains.flush()
        for chain in chains:
            self._chain(chain)
        failures = self.run.failures
        unfinished = [c for c in chains if not c.complete]
        if failures.fatal is None and not failures.suspects and unfinished and not self.in_shutdown:
            # The log ends inside a traceback (vLLM was dying as it was written): the line printed just before
            # the traceback, else the run's first ERROR record, says what.
            before = self._line_before(unfinished[0].start_no)
            if before is not None and self.ready_at is None and self.phase not in UP:
                line, n = before
                failures.add(Suspect(line, line.msg.strip() or line.text, n, unfinished[0].t, False))
        if failures.fatal is not None or not failures.suspects or self.in_shutdown:
            return
        root = failures.root()
        if root is None:
            return
        if root.consequence and all(
            s.exc_type.rsplit(".", 1)[-1] in ("KeyboardInterrupt", "CancelledError") for s in failures.suspects
        ):
            return  # Ctrl-C (or a cancelled task) while it started: stopped, not a crash
        request = request_level(root)
        if not request and self.ready_at is None and self.phase not in UP:
            self._fatal(root.line, root.line_no, root.t)
        elif not root.consequence or request:
            fix = pattern_for(root, "vllm.requests", self.run.facts.get("version")).fix
            if request and not fix.startswith("vLLM says"):
                fix = advice.request_fix(root.text)
            found = catalog.LogPattern(
                "request.exception",
                "request",
                "fail" if request and self.run.client_errors else "warn",
                (),
                f"vLLM failed a request: {root.text[:200]}",
                "vLLM answered a request with an error and went on serving (no sign of a dead engine).",
                fix,
                "",
            )
            self._add(Finding(found, root.line.text, root.t, "vllm.requests", line_no=root.line_no, structural=True))

    def _line_before(self, line_no: int) -> tuple[LogLine, int] | None:
        """The error-ish line (not INFO, not a frame) printed right before `line_no`, else the first ERROR record."""
        for line, n in reversed(self._recent):
            if n < line_no and line.msg.strip() and not line.msg.startswith(_FRAME_PREFIXES):
                if line_no - n <= 2:
                    return line, n
                break
        return self.run.first_error_record

    def finish(self) -> None:
        """End of a saved log: judge what the last run left open."""
        if not self.finished:
            self.finished = True
            self._end_run()

    def settle(self, now: float) -> None:
        """Live, on every poll: a finished traceback the log has said nothing after for CHAIN_QUIET_S is
        complete; an error during startup after which the log stayed quiet for QUIET_S ended that start."""
        last = self.last_read if self.last_read is not None else self.last_t
        if last is None or now - last < CHAIN_QUIET_S:
            return
        if self.chains.open_chains:
            for chain in self.chains.close_complete():
                self._chain(chain)
        failures = self.run.failures
        if failures.fatal is not None or self.ready_at is not None or self.phase in UP:
            return
        if now - last < QUIET_S:
            return
        pending = self.chains.pending()
        if failures.suspects or any(c.complete for c in pending):
            self._end_run()

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
        """The run's root cause (for one check, or the server checks): a specific catalog entry first, then
        the innermost exception found from the structure, then a generic (consequence) finding."""
        if check is None:
            found = [f for f in self.run.findings if f.check in ("vllm.startup", "vllm.engine")]
        else:
            found = self.findings_for(check)
        specific = [f for f in found if not getattr(f.pattern, "generic", False)]
        for f in specific:
            if not f.structural and f.pattern.severity == "fail":
                return f
        for f in specific:
            if f.pattern.severity == "fail":
                return f
        if specific:
            return specific[0]
        structural = [f for f in found if f.structural]  # a consequence only: the traceback's own line says most
        return structural[0] if structural else found[0] if found else None

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
