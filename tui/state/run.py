"""The record of one vLLM run read from its log: the findings it proves, its phases and facts, its summary.

`Finding` is a failure with the line that proves it; `Run` is one start of vLLM (phases, facts, findings, the
suspects and fatal line `tui.logs.failures` keeps); `RunSummary` is a finished run as a restart loop shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.logs import advice, catalog
from tui.logs.failures import RunFailures
from tui.samples import LogLine


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
