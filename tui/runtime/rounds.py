"""Rounds: every source of one target, and the host's, run one after another (no UI, no poll loops).

`embedtop check` runs rounds until every check has a verdict; `embedtop export` runs one every interval.
The sources are the dashboard's own (runtime/sources.py and runtime/host.py), so the three commands watch
the same things the same way.
"""

from __future__ import annotations

from typing import Any

from tui.clock import SYSTEM, Clock
from tui.config import Config
from tui.runtime.host import HostRun
from tui.runtime.sources import Source, Sources, build_sources
from tui.state.store import Store


class Rounds:
    """The collectors of one target for rounds. Use as an async context manager: it closes its HTTP
    clients, log followers and NVML. `clock` is the time the caller's loop waits on and judges by."""

    def __init__(self, cfg: Config, store: Store, agent: str, nvml: Any = None, clock: Clock = SYSTEM) -> None:
        self.cfg, self.store, self.agent, self.clock = cfg, store, agent, clock
        self.host = HostRun(nvml, gpus=cfg.gpu, clock=clock)
        self.sources: Sources | None = None
        self._host_sources: list[Source] = []
        self._last: dict[str, Any] = {}

    async def __aenter__(self) -> Rounds:
        self.sources = build_sources(self.cfg, self.agent, lambda: self.store)
        self._host_sources = self.host.sources()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sources is not None:
            await self.sources.aclose()
        await self.host.close()

    def _order(self) -> tuple[list[Source], Source, list[Source]]:
        """What a round reads before the server (the logs, Open WebUI, the host), the server, and after it."""
        assert self.sources is not None, "use Rounds as an async context manager"
        specs = list(self.sources)
        gate = next(s for s in specs if s.gate)
        before = [s for s in specs if not s.gate and not s.needs_server] + self._host_sources
        return before, gate, [s for s in specs if s.needs_server]

    async def round(self, semantic: bool = False) -> None:
        """One sample of each source into the store. The probes only when the server answered; the
        semantic probe when `semantic`, or until it has answered well once."""
        before, gate, after = self._order()
        for source in before:
            self._apply(source, await source.collect())
        sample = await gate.collect()
        self._apply(gate, sample)
        if not sample.ok:
            return
        for source in after:
            last = self._last.get(source.name)
            if source.on_demand and not semantic and last is not None and last.ok:
                continue
            self._apply(source, await source.collect())

    def _apply(self, source: Source, sample: Any) -> None:
        self.host.seen(sample)
        self._last[source.name] = sample
        self.store.apply(sample)
