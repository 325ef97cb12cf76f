"""One check, declared once: `@check(id, title, inputs=…, blocked_by=…)` on the function that decides it.

The declaration is the only place a check's id and title are written. The function gets a `Judging`: the
store, the config, `now` (injected: a check never reads the clock) and this round's verdicts of the checks
it is `blocked_by`; its `result()` fills in the id and title. The group is the id's prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tui.config import Config
from tui.rules.result import CheckResult, Status, group_of
from tui.state.store import Store

CheckFn = Callable[["Judging"], CheckResult]


@dataclass(frozen=True, eq=False)
class CheckSpec:
    """One checklist item as data: its stable id, its title, the store inputs it reads (for hysteresis and
    staleness), the checks whose verdict it depends on, and the pure function that decides it."""

    id: str
    title: str
    inputs: tuple[str, ...]
    blocked_by: tuple[CheckSpec, ...]
    fn: CheckFn

    @property
    def group(self) -> str:
        return group_of(self.id)

    def __repr__(self) -> str:
        return f"CheckSpec({self.id})"


REGISTRY: dict[str, CheckSpec] = {}


def check(
    check_id: str, title: str, *, inputs: Iterable[str], blocked_by: Iterable[CheckSpec] = ()
) -> Callable[[CheckFn], CheckSpec]:
    """Declare a check: the decorated function becomes its `CheckSpec` (registered under its id)."""

    def register(fn: CheckFn) -> CheckSpec:
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id} is declared twice")
        spec = CheckSpec(check_id, title, tuple(inputs), tuple(blocked_by), fn)
        REGISTRY[check_id] = spec
        return spec

    return register


class Judging:
    """What one check is judged on, this round."""

    __slots__ = ("_done", "cfg", "now", "spec", "store")

    def __init__(self, spec: CheckSpec, store: Store, cfg: Config, now: float, done: Mapping[str, CheckResult]):
        self.spec, self.store, self.cfg, self.now, self._done = spec, store, cfg, now, done

    @property
    def id(self) -> str:
        return self.spec.id

    def result(
        self, status: Status, summary: str, evidence: Iterable[str] = (), fix: str = "", pending: bool = False
    ) -> CheckResult:
        """This check's verdict. `pending`: still waiting for the data that decides it (an n/a that will not
        last), which `embedtop check` waits for."""
        return CheckResult(self.spec.id, self.spec.title, status, summary, tuple(evidence), fix, pending)

    def waiting(self, summary: str, evidence: Iterable[str] = ()) -> CheckResult:
        """No verdict yet: the data that decides it has not come."""
        return self.result(Status.UNKNOWN, summary, evidence, pending=True)

    def blocked(self, by: CheckSpec) -> CheckResult:
        """No verdict while a check it depends on has none to give (one of its `blocked_by`)."""
        assert by in self.spec.blocked_by, f"{self.spec.id} is not declared blocked by {by.id}"
        return self.result(Status.BLOCKED, f"blocked by {by.id}")

    def verdict(self, of: CheckSpec) -> CheckResult:
        """This round's verdict of a check it is blocked by (judged before it, never twice)."""
        assert of in self.spec.blocked_by, f"{self.spec.id} is not declared blocked by {of.id}"
        return self._done[of.id]
