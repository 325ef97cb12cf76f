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


def group_of(check_id: str) -> str:
    """A check's group is the prefix of its id (`api.reachable` → `api`): one truth for the UI and the JSON."""
    return check_id.split(".", 1)[0]


@dataclass(frozen=True)
class CheckResult:
    """One checklist item as evaluated now.

    `evidence` cites what triggered the finding (a response, a log line, a number) with its time;
    `fix` is the exact next step. Both are empty for a pass. `pending`: the check is still waiting for the
    data that decides it (as opposed to a final "n/a"); the check says so itself.
    """

    id: str
    title: str
    status: Status
    summary: str
    evidence: tuple[str, ...] = ()
    fix: str = ""
    pending: bool = False

    @property
    def group(self) -> str:
        return group_of(self.id)


GROUP_ORDER = ("gpu", "vllm", "api", "probe", "ingest", "client")


SORT_ORDER = (Status.FAIL, Status.WARN, Status.STALE, Status.PASS, Status.UNKNOWN, Status.BLOCKED)
NOTABLE = SORT_ORDER[:3]  # fail, warn, stale: the statuses that need a look (events, the overview, `check`)


def severity(status: Status) -> int:
    """Worst first: 0 fail, 1 warn, 2 stale, 3 anything that needs no look."""
    return NOTABLE.index(status) if status in NOTABLE else len(NOTABLE)


def worst_first(results: list[CheckResult]) -> list[CheckResult]:
    """Fail, warn, stale, then pass, then n/a and blocked (no verdict) last; within each, grouped by id prefix."""
    index = {r.id: i for i, r in enumerate(results)}

    def key(r: CheckResult) -> tuple[int, int, int]:
        group = r.group
        rank = GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)
        return SORT_ORDER.index(r.status), rank, index[r.id]

    return sorted(results, key=key)
