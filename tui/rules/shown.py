"""The checklist as shown: raw check results → what the dashboard shows, with hysteresis, staleness and an
event list. Time is what the caller says it is (`now`): live, the wall clock; a replay, its samples' time.

- **Hysteresis**: a check that passed turns warn/fail only after `fail_after` consecutive bad
  observations, and a red one turns green only after `pass_after` consecutive good ones, so one slow
  probe does not flap the list. An observation is a new sample of the check's inputs (not a redraw).
  A check with no verdict yet (unknown / blocked / stale) takes the first one at once.
- **Staleness**: when the newest sample of an input is older than its limit (a paused or stuck poller),
  the check says "stale" with the time of its data instead of a pass it can no longer vouch for.
- **Events**: every change of shown status into or out of warn / fail / stale is recorded with its
  time (bounded).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from tui.config import Config
from tui.rules.checks import SPECS, evaluate
from tui.rules.evidence import hms
from tui.rules.result import NOTABLE, CheckResult, Status
from tui.state.store import Store

BAD = (Status.WARN, Status.FAIL)
NO_VERDICT = (Status.UNKNOWN, Status.BLOCKED, Status.STALE)
MAX_EVENTS = 50
STORE_INTERVAL = 30.0  # Open WebUI's vector store (--openwebui-data) is read this often


@dataclass(frozen=True)
class Event:
    """A check changed its shown status."""

    t: float
    check_id: str
    old: Status | None
    new: Status
    summary: str


@dataclass
class _Track:
    shown: CheckResult | None = None
    generation: tuple = ()
    bad: int = 0
    good: int = 0
    held: bool = False  # the newest observation disagrees with what is shown (hysteresis holds it)


def input_times(store: Store) -> dict[str, float | None]:
    """When each input last arrived (sample time)."""
    return {
        "server": store.server.t if store.server else None,
        "probe": store.probe.t if store.probe else None,
        "semantic": store.semantic.t if store.semantic else None,
        "log": store.log_batch.t if store.log_batch else None,
        "gpu": store.gpu.t if store.gpu else None,
        "host": store.host.t if store.host else None,
        "owui": store.owui.t if store.owui else None,
        "owui_log": store.owui_log.batch.t if store.owui_log.batch else None,
        "owui_store": store.owui_store.t if store.owui_store else None,
    }


def input_generations(store: Store) -> dict[str, int]:
    c = store.counts
    return {
        "server": c.server,
        "probe": c.probe,
        "semantic": c.semantic,
        "log": c.log,
        "gpu": c.gpu,
        "host": c.host,
        "owui": c.owui,
        "owui_log": c.owui_log,
        "owui_store": c.owui_store,
    }


def stale_limits(cfg: Config) -> dict[str, float | None]:
    """How old an input may get before checks that read it are stale: three missed polls plus a timeout."""
    slow = max(cfg.interval, 2.0)
    return {
        "server": 3 * cfg.interval + cfg.timeout,
        "probe": 3 * cfg.probe_interval + cfg.timeout + 30.0,  # the long-input probe may hold it
        "semantic": None,  # slow cadence on purpose
        "log": 3 * min(1.0, cfg.interval) + 5.0,
        "gpu": 3 * slow + 5.0,
        "host": 3 * slow + 5.0,
        "owui": 3 * max(cfg.interval, 5.0) + cfg.timeout,
        "owui_log": 3 * min(1.0, cfg.interval) + 5.0,
        "owui_store": 3 * STORE_INTERVAL + cfg.timeout,
    }


class ShownChecklist:
    """Turns `evaluate()` into the shown list. `update()` is cheap to call on every redraw."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.fail_after = max(1, cfg.fail_after)
        self.pass_after = max(1, cfg.pass_after)
        self._tracks = {spec.id: _Track() for spec in SPECS}
        self.events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self.results: list[CheckResult] = []
        self.listeners: list[Callable[[Event], None]] = []  # e.g. the recorder

    def update(self, store: Store, now: float, paused: bool = False) -> list[CheckResult]:
        """Judge `store` at `now` (one observation for the hysteresis when an input has a new sample)."""
        raw = evaluate(store, self.cfg, now)
        gens = input_generations(store)
        times = input_times(store)
        limits = stale_limits(self.cfg)
        out: list[CheckResult] = []
        for spec, result in zip(SPECS, raw, strict=True):
            track = self._tracks[spec.id]
            generation = tuple(gens[i] for i in spec.inputs)
            if generation != track.generation:
                track.generation = generation
                if result.status in BAD:
                    track.bad, track.good = track.bad + 1, 0
                elif result.status == Status.PASS:
                    track.bad, track.good = 0, track.good + 1
                else:
                    track.bad = track.good = 0
            shown = self._decide(track, result, now)
            track.held = shown.status != result.status
            shown = self._staleness(shown, spec.inputs, times, limits, now, paused)
            old = track.shown.status if track.shown is not None else None
            if old != shown.status and (shown.status in NOTABLE or old in NOTABLE):
                # Worth a line: something went wrong, recovered, or went stale (not n/a → pass at start).
                event = Event(now, spec.id, old, shown.status, shown.summary)
                self.events.append(event)
                for listener in self.listeners:
                    listener(event)
            track.shown = shown
            out.append(shown)
        self.results = out
        return out

    def settling(self, source: str) -> bool:
        """Is a check that reads `source` held by the hysteresis (more observations of it will change what
        is shown)? The log follower keeps its one-second cadence while so."""
        return any(self._tracks[spec.id].held for spec in SPECS if source in spec.inputs)

    def _decide(self, track: _Track, result: CheckResult, now: float) -> CheckResult:
        prev = track.shown
        if prev is None or prev.status in NO_VERDICT or result.status in NO_VERDICT:
            return result
        if result.status in BAD:
            if prev.status in BAD or track.bad >= self.fail_after:
                return result
            return _held(prev, now, f"now {result.status.value}: {result.summary} ({track.bad} of {self.fail_after})")
        if prev.status == Status.PASS or track.good >= self.pass_after:
            return result
        return _held(prev, now, f"recovering: {result.summary} ({track.good} of {self.pass_after} good)")

    @staticmethod
    def _staleness(
        result: CheckResult,
        inputs: tuple[str, ...],
        times: dict[str, float | None],
        limits: dict[str, float | None],
        now: float,
        paused: bool,
    ) -> CheckResult:
        if result.status in (Status.UNKNOWN, Status.BLOCKED):
            return result
        for name in inputs:
            t, limit = times[name], limits[name]
            if t is None or limit is None or now - t <= limit:
                continue
            why = "polling is paused" if paused else f"no {name} data for {now - t:.0f} s"
            return replace(
                result,
                status=Status.STALE,
                summary=f"stale ({why}): last {result.status.value} at {hms(t)}: {result.summary}",
                evidence=(f"{hms(t)} last {name} sample", *result.evidence),
                pending=False,
            )
        return result


def _held(prev: CheckResult, now: float, note: str) -> CheckResult:
    """Keep the shown status, say what the newest observation was (and when: `now`)."""
    return replace(prev, evidence=(*prev.evidence, f"{hms(now)} {note}"))
