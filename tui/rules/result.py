"""Check results: the vocabulary the rules speak and the widgets draw."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Status of one checklist item, worst last."""

    PASS = "pass"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    STALE = "stale"  # the inputs are too old to say (a poller paused or stuck)
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Status.PASS: 0, Status.UNKNOWN: 1, Status.BLOCKED: 1, Status.STALE: 1, Status.WARN: 2, Status.FAIL: 3}


@dataclass(frozen=True)
class CheckResult:
    """One checklist item as evaluated now.

    `evidence` cites what triggered the finding (a response, a log line, a number) with its time;
    `fix` is the exact next step. Both are empty for a pass.
    """

    id: str
    title: str
    status: Status
    summary: str
    evidence: tuple[str, ...] = ()
    fix: str = ""

    @property
    def pending(self) -> bool:
        """Still waiting for the data that decides it (as opposed to a final "n/a")."""
        return self.status == Status.UNKNOWN and self.summary.startswith(PENDING_PREFIXES)


PENDING_PREFIXES = ("waiting", "still starting", "not run yet", "no probe yet", "the engine has not started")


GROUP_ORDER = ("gpu", "vllm", "api", "probe", "ingest", "client")


SORT_ORDER = (Status.FAIL, Status.WARN, Status.STALE, Status.PASS, Status.UNKNOWN, Status.BLOCKED)


def worst_first(results: list[CheckResult]) -> list[CheckResult]:
    """Fail, warn, stale, then pass, then n/a and blocked (no verdict) last; within each, grouped by id prefix."""
    index = {r.id: i for i, r in enumerate(results)}

    def key(r: CheckResult) -> tuple[int, int, int]:
        group = r.id.split(".", 1)[0]
        rank = GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)
        return SORT_ORDER.index(r.status), rank, index[r.id]

    return sorted(results, key=key)
