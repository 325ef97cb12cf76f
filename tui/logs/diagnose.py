"""`embedtop diagnose --log FILE`: read a saved vLLM log offline and say what happened and why.

The same parser, lifecycle and catalog as the live dashboard, over the whole file (streamed in
chunks, so a large log costs time, not memory). The verdict: healthy (exit 0) or a failure with
its root cause, the cited line and the fix (exit 1).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.logs.lifecycle import Finding, LogState
from tui.logs.split import LineSplitter

CHUNK = 1024 * 1024


@dataclass
class Report:
    """What a saved log says."""

    path: str
    lines: int
    state: LogState
    line_of: dict[str, int] = field(default_factory=dict)  # finding id → line number (1-based)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.state.findings if f.pattern.severity == "fail"]

    @property
    def healthy(self) -> bool:
        return not self.failures

    def finding_dict(self, f: Finding) -> dict[str, Any]:
        p = f.pattern
        return {
            "id": f.id,
            "check": f.check,
            "severity": p.severity,
            "generic": getattr(p, "generic", False),
            "meaning": p.meaning,
            "cause": p.cause,
            "fix": p.fix,
            "line": f.line,
            "line_number": self.line_of.get(f.id),
            "time": f.t,
            "count": f.count,
        }

    def to_dict(self) -> dict[str, Any]:
        st = self.state
        root = st.root_cause()
        if root is None:
            root = next(iter(self.failures), None)
        return {
            "file": self.path,
            "lines": self.lines,
            "healthy": self.healthy,
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
            "requests": st.requests_total,
        }


def diagnose(path: Path) -> Report:
    """Read the whole log. Raises OSError if it cannot be read (the CLI turns that into one line)."""
    state = LogState(now=os.stat(path).st_mtime)
    report = Report(str(path), 0, state)
    splitter = LineSplitter()
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            lines = splitter.feed(chunk) if chunk else splitter.flush()
            for line in lines:
                report.lines += 1
                before = len(state.findings)
                state.feed(line)
                if len(state.findings) != before:
                    report.line_of.setdefault(state.findings[-1].id, report.lines)
            if not chunk:
                break
    return report


def _clock(t: float | None) -> str:
    import time

    return time.strftime("%m-%d %H:%M:%S", time.localtime(t)) if t else "?"


def render_text(report: Report) -> str:
    st = report.state
    out = [f"embedtop diagnose: {report.path} ({report.lines:,} lines, {st.starts} start(s) of vLLM seen)"]
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
    root = st.root_cause() or next(iter(report.failures), None)
    if report.healthy:
        out.append("verdict: healthy — no failure found")
    else:
        assert root is not None
        out.append(f"verdict: FAILED — {root.pattern.meaning} [{root.id}]")
        out.extend(_cite(report, root))
    others = [f for f in st.findings if f is not root]
    if others:
        out.append("also in the log:")
        for f in others:
            tag = " (a consequence, see the root cause)" if getattr(f.pattern, "generic", False) else ""
            count = f" ×{f.count}" if f.count > 1 else ""
            out.append(f"  - {f.id}{count}: {f.pattern.meaning}{tag}")
            out.append(f"    line {report.line_of.get(f.id, '?')}: {f.line[:200]}")
            if f.pattern.severity == "warn" or not report.failures:
                out.append(f"    fix: {f.pattern.fix}")
    return "\n".join(out)


def _cite(report: Report, f: Finding) -> list[str]:
    lines = [
        f"  line {report.line_of.get(f.id, '?')} ({_clock(f.t)}): {f.line[:300]}",
        f"  cause: {f.pattern.cause}",
        f"  fix:   {f.pattern.fix}",
    ]
    if getattr(f.pattern, "generic", False) and report.state.run.first_error:
        lines.insert(1, f"  first error in the log: {report.state.run.first_error[0][:300]}")
    return lines


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2)
