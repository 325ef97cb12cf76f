"""`embedtop diagnose --log FILE`: read a saved vLLM log offline and say what happened and why.

The same parser, lifecycle, failure detection and catalog as the live dashboard, over the whole file
(streamed in chunks, so a large log costs time, not memory). The verdict — healthy (exit 0, also with
warnings) or a failure with its root cause, the cited line and the fix (exit 1) — is the latest run's;
a log with several starts (a restart loop) lists every run, latest first. Client failures already in
the log (404 on a wrong base URL, 401, bursts of 400) are judged against the log's own latest time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.logs import catalog
from tui.logs.split import LineSplitter
from tui.state.lifecycle import Finding, LogState, RunSummary

CHUNK = 1024 * 1024
SERVER_CHECKS = (catalog.STARTUP_CHECK, catalog.ENGINE_CHECK)


class NotALog(ValueError):
    """The file is not a text log (binary data): the CLI turns this into one line."""


@dataclass
class Report:
    """What a saved log says."""

    path: str
    lines: int
    state: LogState

    @property
    def line_of(self) -> dict[str, int]:
        """finding id → the line (1-based) that proves it."""
        return {f.id: f.line_no for f in self.state.findings}

    @property
    def client_findings(self) -> list[Finding]:
        """Request-side findings still on at the log's latest time (bursts over by then are left out)."""
        st = self.state
        now = st.last_t or 0.0
        out = []
        for f in st.findings:
            if f.check in SERVER_CHECKS:
                continue
            if isinstance(f.pattern, catalog.AccessRule) and st.count_access(f.pattern, now) < f.pattern.min_count:
                continue
            out.append(f)
        return out

    @property
    def failures(self) -> list[Finding]:
        server = [f for f in self.state.findings if f.check in SERVER_CHECKS and f.pattern.severity == "fail"]
        return server + [f for f in self.client_findings if f.pattern.severity == "fail"]

    @property
    def healthy(self) -> bool:
        return not self.failures

    @property
    def root(self) -> Finding | None:
        st = self.state
        root = st.root_cause()
        if root is not None and (root.pattern.severity == "fail" or not self.failures):
            return root
        failures = self.failures
        if failures:
            return failures[0]
        return root or next(iter(self.client_findings), None)

    @property
    def verdict(self) -> str:
        if self.failures:
            return "failed"
        return "warning" if (self.state.findings and self.root is not None) else "healthy"

    def finding_dict(self, f: Finding) -> dict[str, Any]:
        p = f.pattern
        return {
            "id": f.id,
            "check": f.check,
            "severity": p.severity,
            "generic": getattr(p, "generic", False),
            "from_structure": f.structural,
            "meaning": p.meaning,
            "cause": p.cause,
            "fix": f.fix,
            "line": f.line,
            "line_number": f.line_no or None,
            "time": f.t,
            "count": f.count,
            "context": list(f.context),
        }

    def run_dict(self, run: RunSummary, number: int) -> dict[str, Any]:
        return {
            "run": number,
            "start": run.start,
            "start_line": run.start_no,
            "furthest_phase": run.furthest,
            "end_phase": run.last_phase,
            "root_cause": self.finding_dict(run.root) if run.root is not None else None,
        }

    def runs(self) -> list[RunSummary]:
        """Every run, latest first (the latest is the one the verdict is about)."""
        return [self.state.summary(), *reversed(self.state.history)]

    def to_dict(self) -> dict[str, Any]:
        st = self.state
        root = self.root
        runs = self.runs()
        return {
            "file": self.path,
            "lines": self.lines,
            "healthy": self.healthy,
            "verdict": self.verdict,
            "check": root.check if root is not None and not self.healthy else None,
            "lifecycle": {
                "phase": st.phase,
                "starts": st.starts,
                "ready_at": st.ready_at,
                "phases": [{"phase": p, "start": t, "seconds": secs} for p, t, secs in st.phase_durations()],
            },
            "facts": dict(st.run.facts),
            "root_cause": self.finding_dict(root) if root is not None else None,
            "first_error": st.run.first_error[0] if st.run.first_error else None,
            "findings": [self.finding_dict(f) for f in st.findings],
            "runs": [self.run_dict(r, len(runs) - i) for i, r in enumerate(runs)] if len(runs) > 1 else [],
            "requests": st.requests_total,
        }


def _looks_binary(head: bytes) -> bool:
    """Binary data, not a log: NUL bytes or mostly undecodable bytes in the first 64 KB."""
    sample = head[: 64 * 1024]
    if not sample:
        return False
    if sample.count(b"\x00") > len(sample) // 100:
        return True
    text = sample.decode("utf-8", "replace")
    bad = text.count("\ufffd") + sum(1 for c in text if c < " " and c not in "\t\n\r\x1b")
    return bad > 0.1 * len(text)


def diagnose(path: Path) -> Report:
    """Read the whole log. Raises OSError if it cannot be read and NotALog for binary data."""
    state = LogState(now=os.stat(path).st_mtime)
    report = Report(str(path), 0, state)
    splitter = LineSplitter()
    with path.open("rb") as fh:
        first = True
        while True:
            chunk = fh.read(CHUNK)
            if first and _looks_binary(chunk):
                raise NotALog(f"{path} is binary data, not a text log")
            first = False
            lines = splitter.feed(chunk) if chunk else splitter.flush()
            feed = state.feed
            for line in lines:
                feed(line)
            report.lines += len(lines)
            if not chunk:
                break
    state.finish()
    return report


def _clock(t: float | None) -> str:
    import time

    return time.strftime("%m-%d %H:%M:%S", time.localtime(t)) if t else "?"


def render_text(report: Report) -> str:
    st = report.state
    out = [f"embedtop diagnose: {report.path} ({report.lines:,} lines, {st.starts} start(s) of vLLM seen)"]
    if report.lines == 0:
        out.append("verdict: nothing to judge — the file is empty")
        return "\n".join(out)
    root = report.root
    if report.healthy:
        if root is not None:
            out.append(f"verdict: healthy, with a warning — {root.pattern.meaning} [{root.id}]")
            out.extend(_cite(root))
        else:
            out.append("verdict: healthy — no failure found")
    else:
        assert root is not None
        out.append(f"verdict: FAILED — {root.pattern.meaning} [{root.id}] (checklist: {root.check})")
        out.extend(_cite(root))
    phases = st.phase_durations()
    if phases:
        story = " → ".join(
            f"{p} {secs:.0f} s" if secs is not None else f"{p} (at {_clock(t)})" for p, t, secs in phases
        )
        out.append(f"lifecycle: {story}")
    else:
        out.append("lifecycle: no vLLM startup or shutdown lines in this log")
    facts = st.run.facts
    if facts:
        out.append("facts: " + ", ".join(f"{k}={v}" for k, v in facts.items()))
    runs = report.runs()
    if len(runs) > 1:
        out.append(f"runs ({len(runs)}, latest first):")
        for i, run in enumerate(runs):
            end = f"ended {run.last_phase}" if run.last_phase != run.furthest else "no further"
            cause = f": {run.root.pattern.meaning[:120]} [{run.root.id}]" if run.root is not None else ""
            out.append(
                f"  run {len(runs) - i} from line {run.start_no} ({_clock(run.start)}): reached {run.furthest},"
                f" {end}{cause}"
            )
    others = [f for f in st.findings if f is not root]
    if others:
        out.append("also in the log:")
        for f in others:
            tag = " (a consequence, see the root cause)" if getattr(f.pattern, "generic", False) else ""
            count = f" ×{f.count}" if f.count > 1 else ""
            out.append(f"  - {f.id}{count} [{f.check}]: {f.pattern.meaning[:200]}{tag}")
            out.append(f"    line {f.line_no or '?'}: {f.line[:200]}")
            if f.pattern.severity == "warn" or f.check not in SERVER_CHECKS or not report.failures:
                out.append(f"    fix: {f.fix}")
    return "\n".join(out)


def _cite(f: Finding) -> list[str]:
    lines = [f"  line {f.line_no or '?'} ({_clock(f.t)}): {f.line[:400]}"]
    lines += [f"  {c}" for c in f.context]
    lines += [f"  cause: {f.pattern.cause}", f"  fix:   {f.fix}"]
    return lines


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2)
