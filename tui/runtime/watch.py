"""Everything the dashboard watches, without the UI: its targets, the host's collectors and a replay cursor.

A `Watch` holds one `TargetRun` per target and the one `HostRun` they share, starts and stops their
polling, pauses it, and folds a replay's samples in. It reports each change of a target as its index
(`on_change`), once per sample or once per move of the replay cursor; the dashboard turns that into a
Textual message. `watch --export` gets the targets' verdicts from here, at most once a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from tui.clock import SYSTEM, Clock
from tui.config import Config
from tui.runtime.host import HostRun
from tui.runtime.replay import Record, ReplayCursor, Seek
from tui.runtime.target import TargetRun
from tui.samples import ServerSample
from tui.state.store import Store

EXPORT_EVERY_S = 1.0  # `watch --export`: /metrics follows the dashboard at most this often
OnError = Callable[[str, BaseException], Any]


def each(value: Any, n: int) -> list[Any]:
    """One value per target: a list or tuple as given (padded with None), anything else for the first."""
    values = list(value) if isinstance(value, list | tuple) else [value]
    return values + [None] * (n - len(values))


class Watch:
    """The targets of one dashboard. `demo`, `store` and `record` are one per target (or one for the first);
    `replay` is a recording or one per target (then `live` is False: nothing is polled)."""

    def __init__(
        self,
        cfgs: Sequence[Config],
        demo: Any = None,
        live: bool = True,
        nvml: ModuleType | Any = None,
        store: Store | Sequence[Store] | None = None,
        record: Path | Sequence[Path | None] | None = None,
        replay: Sequence[Record] | Sequence[Sequence[Record]] | None = None,
        exporter: Any = None,
        clock: Clock = SYSTEM,
    ) -> None:
        if not cfgs:
            raise ValueError("no targets")
        n = len(cfgs)
        demos, stores, records = each(demo, n), each(store, n), each(record, n)
        self.live = live
        self.clock = clock
        self.targets = [
            TargetRun(c, self._changed, live, stores[i], records[i], demos[i], clock) for i, c in enumerate(cfgs)
        ]
        self.host = HostRun(nvml, gpus=cfgs[0].gpu, clock=clock)
        self.cursor = ReplayCursor(replay) if replay else None
        self.replaying = replay is not None
        self.exporter = exporter  # tui.exporter.Exporter serving /metrics beside the dashboard (watch --export)
        self.on_change: Callable[[int], None] | None = None
        self.paused = False
        self.closing = False
        self._exported: float | None = None
        self._held: set[int] | None = None  # while folding a replay's move: the targets that changed

    @property
    def multi(self) -> bool:
        return len(self.targets) > 1

    def start(self, on_error: OnError | None = None) -> None:
        """Start polling every target and the host (after the first frame: the collectors' imports and HTTP
        clients do not delay it)."""
        for t in self.targets:
            t.start(on_error=self._named(t.name, on_error) if self.multi and on_error else on_error)
        interval = min(t.cfg.interval for t in self.targets)
        self.host.start(self._to_every_target, interval, on_error=on_error)

    @staticmethod
    def _named(name: str, on_error: OnError) -> OnError:
        return lambda poller, exc: on_error(f"{name}/{poller}", exc)

    def _to_every_target(self, sample: Any) -> None:
        for t in self.targets:
            t.on_sample(sample)

    async def stop(self) -> None:
        self.closing = True
        for t in self.targets:
            await t.stop()
        await self.host.close()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        for t in self.targets:
            t.set_paused(paused)
        self.host.set_paused(paused)

    def poll_now(self, target: TargetRun) -> None:
        """Poll a target and the host at once (a demo fault was switched: show it without waiting)."""
        self.host.rescan()
        target.trigger_all()
        self.host.trigger()

    # ------------------------------------------------------------ replay

    def deliver(self, index: int, sample: Any) -> None:
        self.targets[index].on_sample(sample)

    def apply(self, move: Seek) -> None:
        """Fold in a move of the replay cursor: every target from the start when it went back, then its
        samples; each target that changed is reported once, after all of them."""
        self._held = set()
        try:
            if move.restart:
                for i, t in enumerate(self.targets):
                    t.reset()
                    self._held.add(i)
            for i, sample in move.samples:
                self.targets[i].on_sample(sample)
        finally:
            held, self._held = self._held, None
        for i in sorted(held):
            self._report(i)

    # ------------------------------------------------------------ changes

    def _changed(self, target: TargetRun, sample: Any) -> None:
        """A target folded in a sample that changes what it shows (or time alone changed its verdict)."""
        if self.closing:
            return
        if isinstance(sample, ServerSample):
            self.host.server_seen(id(target), sample)
        self._export()
        index = self.targets.index(target)
        if self._held is not None:
            self._held.add(index)
        else:
            self._report(index)

    def _report(self, index: int) -> None:
        if self.on_change is not None:
            self.on_change(index)

    def _export(self) -> None:
        """What the dashboard shows, as metrics (with its hysteresis): at most once a second."""
        if self.exporter is None:
            return
        now = self.clock.monotonic()
        if self._exported is not None and now - self._exported < EXPORT_EVERY_S:
            return
        self._exported = now
        for t in self.targets:
            self.exporter.update(t.cfg, t.store, t.results)
