"""A run's findings as the log shows them: catalog hits, suspects from tracebacks, the fatal line, the root cause.

`FindingsFold` is the half of `tui.state.lifecycle.LogState` that decides whether and how the current run
failed: a catalog entry's finding goes to vllm.startup or vllm.engine (or a request/client check); a traceback
or a fatal signal marks the run crashed and its root cause is chosen among the suspects `tui.logs.failures`
keeps; at the end of a run (a restart, the end of a saved log, a quiet live log) what was left open is judged.
"""

from __future__ import annotations

from collections import deque

from tui.logs import advice, catalog
from tui.logs.catalog import ENGINE_CHECK, REQUESTS_CHECK, STARTUP_CHECK
from tui.logs.failures import QUIET_S, Suspect, pattern_for, request_level, suspect_from_chain
from tui.logs.tracebacks import Chain, ChainTracker
from tui.samples import LogLine
from tui.state.phases import CRASHED, READY, STARTING, UP
from tui.state.run import Finding, Run

CHAIN_QUIET_S = 2.0  # live: a traceback whose exception line came this long ago with nothing after it is over
# A traceback's source line (`    raise RuntimeError("…")`) quotes a message without the error happening.
FRAME_PREFIXES = ('  File "', "    ")
PLATFORM_IDS = ("startup.no_platform", "startup.no_gpu")  # the no-GPU findings, cited at the probe's line


class FindingsFold:
    """The findings, fatal line and root cause of the current run (the state is `LogState`'s)."""

    MAX_FINDINGS = 50

    phase: str
    phase_since: float | None
    run: Run
    in_shutdown: bool
    ready_at: float | None
    last_t: float | None
    last_read: float | None
    chains: ChainTracker
    finished: bool
    _recent: deque[tuple[LogLine, int]]

    def _finding(self, pattern: catalog.LogPattern, text: str, t: float, n: int = 0) -> None:
        if pattern.scope == "request":
            self._add(Finding(pattern, text, t, pattern.check or REQUESTS_CHECK, line_no=n))
            return
        if self.in_shutdown:
            # the SIGTERM path logs an EngineDeadError traceback: not a crash
            # (tests/captures/vllm-0.32-cpu/logs/shutdown-sigterm-idle.log)
            return
        check = self._check_for(pattern.stage, text)
        probe = self.run.platform_probe
        if pattern.id in PLATFORM_IDS and probe is not None:
            text, n = probe[0].text, probe[1]  # the line that says why no GPU platform was found
        if pattern.severity == "fail":
            self._fatal_check(check, t)
            check = self.run.failures.fatal[3] if self.run.failures.fatal else check
        self._add(Finding(pattern, text, t, check, line_no=n))
        if pattern.severity == "fail":
            self._refresh_structural()

    def _check_for(self, stage: str, text: str = "") -> str:
        """A startup-stage entry is a startup failure whatever uvicorn printed before it (a bind error follows
        'Application startup complete' in 0.6); after "ready" anything else is the engine. In a log that
        starts mid-run (no startup seen), the engine-stage entries (deaths of a running engine) are too."""
        if stage == "startup":
            return STARTUP_CHECK
        started = any(phase == STARTING for phase, _ in self.run.phases)
        failures = self.run.failures
        mid_run = not started and (
            stage == "engine"
            or any(s.serving or advice.engine_death(s.text) for s in failures.suspects)
            or advice.engine_death(text)
        )
        running = self.ready_at is not None or self.phase in UP or mid_run
        return ENGINE_CHECK if running else STARTUP_CHECK

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
        if failures.fatal is not None and failures.fatal[3] == STARTUP_CHECK and suspect.serving:
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
        if failures.fatal is not None and failures.fatal[3] == STARTUP_CHECK and advice.engine_death(text):
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
        failures.fatal = (*failures.fatal[:3], ENGINE_CHECK)
        self.run.findings = [
            Finding(f.pattern, f.line, f.t, ENGINE_CHECK, f.count, f.line_no, f.context, f.structural)
            if f.check == STARTUP_CHECK
            else f
            for f in self.run.findings
        ]

    def _fatal_check(self, check: str, t: float, where: tuple[LogLine, int] | None = None) -> None:
        failures = self.run.failures
        if failures.fatal is not None:
            return
        line, n = where if where is not None else (LogLine(""), 0)
        failures.fatal = (line, n, t, check)
        if check == STARTUP_CHECK and self.ready_at is not None:
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
            if f.check in (STARTUP_CHECK, ENGINE_CHECK)
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
        warning = failures.explaining_warning(suspect.t) if check == ENGINE_CHECK else None
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
            fix = pattern_for(root, REQUESTS_CHECK, self.run.facts.get("version")).fix
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
                stage="request",
            )
            self._add(Finding(found, root.line.text, root.t, REQUESTS_CHECK, line_no=root.line_no, structural=True))

    def _line_before(self, line_no: int) -> tuple[LogLine, int] | None:
        """The error-ish line (not INFO, not a frame) printed right before `line_no`, else the first ERROR record."""
        for line, n in reversed(self._recent):
            if n < line_no and line.msg.strip() and not line.msg.startswith(FRAME_PREFIXES):
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

    def findings_for(self, check: str) -> list[Finding]:
        return [f for f in self.run.findings if f.check == check]

    def root_cause(self, check: str | None = None) -> Finding | None:
        """The run's root cause (for one check, or the server checks): a specific catalog entry first, then
        the innermost exception found from the structure, then a generic (consequence) finding."""
        if check is None:
            found = [f for f in self.run.findings if f.check in (STARTUP_CHECK, ENGINE_CHECK)]
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
