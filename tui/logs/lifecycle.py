"""Where in its life the vLLM server is, as read from its log, plus the failures the log reports.

Phases: not-started → starting → loading → warming-up → ready → shutting-down → exited,
or crashed (a catalog failure outside a shutdown). A new startup banner in the same log resets it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from tui.logs import catalog
from tui.model.samples import LogLine

NOT_STARTED = "not-started"
STARTING = "starting"
LOADING = "loading"
WARMING = "warming-up"
READY = "ready"
SHUTTING_DOWN = "shutting-down"
EXITED = "exited"
CRASHED = "crashed"

# (regex, phase). Checked in order; the first hit moves the phase.
_MILESTONES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"non-default args: |vLLM API server version |\]\s+.*version \d+\.\d+|args: Namespace"), STARTING),
    (re.compile(r"Starting to load model |Loading weights took|Model loading took"), LOADING),
    (re.compile(r"Warming up model|init engine \(profile|Capturing CUDA graphs|Available KV cache memory"), WARMING),
    (re.compile(r"Starting vLLM (?:API )?server|^INFO:\s+Application startup complete\."), READY),
    (catalog.SHUTDOWN_RE, SHUTTING_DOWN),
    (re.compile(r"^INFO:\s+Finished server process"), EXITED),
)
_BANNER_RE = re.compile(r"non-default args: |vLLM API server version |  version \d+\.\d+\S*$")


@dataclass(frozen=True)
class Finding:
    """A catalog failure seen in the log, with the line that proves it."""

    pattern: catalog.LogPattern
    line: str
    t: float


class LogState:
    """Folds log lines into a lifecycle phase and a bounded list of findings."""

    def __init__(self, max_findings: int = 50) -> None:
        self.phase = NOT_STARTED
        self.phase_since: float | None = None
        self.findings: deque[Finding] = deque(maxlen=max_findings)
        self.in_shutdown = False
        self.starts = 0
        self.ready_at: float | None = None

    def feed(self, line: LogLine, t: float) -> None:
        text = line.text
        if _BANNER_RE.search(text) and self.phase in (NOT_STARTED, EXITED, CRASHED, SHUTTING_DOWN, READY):
            # A (second) start in the same file: forget the previous run's findings.
            self.starts += 1
            self.findings.clear()
            self.in_shutdown = False
            self._set(STARTING, t)
        for regex, phase in _MILESTONES:
            if regex.search(text):
                if phase == SHUTTING_DOWN:
                    self.in_shutdown = True
                if phase != self.phase and not (self.phase == CRASHED and phase in (SHUTTING_DOWN, EXITED)):
                    self._set(phase, t)
                break
        if line.level in ("ERROR", "CRITICAL") or line.kind == "other":
            hit = catalog.match(text)
            if hit is not None and not self.in_shutdown:
                pattern, _ = hit
                self.findings.append(Finding(pattern, text, t))
                if pattern.check == "vllm.engine" or self.phase != READY:
                    self._set(CRASHED, t)

    def _set(self, phase: str, t: float) -> None:
        if phase == READY and self.phase != READY:
            self.ready_at = t
        elif phase == STARTING:
            self.ready_at = None
        if phase != self.phase:
            self.phase = phase
            self.phase_since = t

    def findings_for(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.pattern.check == check]
