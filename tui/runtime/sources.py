"""The data sources of one target, wired once for the dashboard, `embedtop check` and `embedtop export`.

`build_sources(cfg, agent, store)` makes a target's collectors — the server (/health, /version,
/v1/models, /metrics), the probe and the semantic probe, Open WebUI's API, vLLM's log, Open WebUI's own
log and its vector store — and the HTTP clients they share, and names each with its interval as a
`Source`. The dashboard polls each with a `Poller` (runtime/target.py); `check` and `export` run each
once a round (runtime/rounds.py). The host-wide collectors (NVML, the process scan) are not a target's:
runtime/host.py owns them once for every target.

The collectors are imported when the sources are built, not with this module: the dashboard's first frame
does not wait for httpx and their parsers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.config import Config
from tui.rules.shown import STORE_INTERVAL
from tui.state.store import Store
from tui.state.target_facts import probe_model, probe_root

if TYPE_CHECKING:
    import httpx

    from tui.collectors.probe import ProbeCollector

LOG_INTERVAL = 1.0  # a followed log is read this often (at most; the dashboard sleeps while a watched file is quiet)
OWUI_INTERVAL = 5.0  # Open WebUI's API is asked at most this often

Collect = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class Source:
    """One collector of a target: its name (the input it feeds), what to await for one sample, how often."""

    name: str
    collect: Collect
    interval: float
    gate: bool = False  # the server poll: a round runs what needs the server only when it answered
    needs_server: bool = False  # the probes: nothing to learn from a server that does not answer
    on_demand: bool = False  # the semantic probe: a slow cadence, and the `s` key (a round: when asked, or
    # until it has answered well once)


class Sources:
    """The sources of one target, the collectors behind them and their HTTP clients (closed once, by
    `aclose()`). `probe` takes the `p` key's manual probes and the long-input probe; `tail` and
    `owui_tail` are the log followers (None without a log)."""

    def __init__(
        self,
        specs: list[Source],
        probe: ProbeCollector,
        clients: list[httpx.AsyncClient],
        tail: Any = None,
        owui_tail: Any = None,
    ) -> None:
        self.specs = specs
        self.probe = probe
        self.tail = tail  # LogTail or CommandTail (vLLM's log)
        self.owui_tail = owui_tail  # OwuiLogCollector (Open WebUI's log)
        self.semantic_manual = False  # the next semantic probe was asked for by a key
        self._clients = clients
        self._closed = False

    def __iter__(self) -> Iterator[Source]:
        return iter(self.specs)

    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    async def semantic(self) -> Any:
        manual, self.semantic_manual = self.semantic_manual, False
        return await self.probe.semantic(manual=manual)

    async def aclose(self) -> None:
        """Close the HTTP clients and stop the log followers (once; later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        for client in self._clients:
            await client.aclose()
        for tail in (self.tail, self.owui_tail):
            if tail is not None:
                await asyncio.to_thread(tail.close)


def build_sources(cfg: Config, agent: str, store: Callable[[], Store]) -> Sources:
    """The sources of one target. `agent` is the User-Agent (which command asks); `store()` is the
    target's store now (the probe asks for the model it serves; a replay may swap the store)."""
    from tui.collectors.http_util import client_headers, make_client
    from tui.collectors.logcommand import log_source
    from tui.collectors.openwebui import OpenWebUICollector
    from tui.collectors.owuilog import owui_log_source
    from tui.collectors.owuipg import PgvectorCollector
    from tui.collectors.owuistore import OwuiStoreCollector
    from tui.collectors.probe import ProbeCollector
    from tui.collectors.server import ServerCollector

    client = make_client(cfg.url, client_headers(cfg.api_key, agent))
    clients = [client]
    server = ServerCollector(client, cfg.url, cfg.timeout, cfg.interval)
    probe = ProbeCollector(
        client,
        cfg.url,
        cfg.timeout,
        lambda: probe_model(store(), cfg),
        lambda: probe_root(store(), cfg),
    )
    specs = [
        Source("server", server.collect, cfg.interval, gate=True),
        Source("probe", probe.collect, cfg.probe_interval, needs_server=True),
    ]
    tail, owui_tail = log_source(cfg), owui_log_source(cfg)
    sources = Sources(specs, probe, clients, tail, owui_tail)
    specs.append(Source("semantic", sources.semantic, cfg.semantic_interval, needs_server=True, on_demand=True))
    if cfg.openwebui:
        # Its own client: Open WebUI's key only, never vLLM's.
        owui_client = make_client(cfg.openwebui, client_headers(cfg.openwebui_key, agent))
        clients.append(owui_client)
        owui = OpenWebUICollector(owui_client, cfg.openwebui, cfg.timeout)
        specs.append(Source("openwebui", owui.collect, max(cfg.interval, OWUI_INTERVAL)))
    if tail is not None:
        specs.append(Source("log", lambda: asyncio.to_thread(tail.read), min(LOG_INTERVAL, cfg.interval)))
    if owui_tail is not None:
        specs.append(Source("owui_log", owui_tail.collect, min(LOG_INTERVAL, cfg.interval)))
    if cfg.openwebui_data is not None:
        specs.append(Source("owui_store", OwuiStoreCollector(cfg.openwebui_data).collect, STORE_INTERVAL))
    if cfg.openwebui_pgvector_dsn:  # Open WebUI keeps one vector store: this one when both are given
        specs.append(Source("owui_store", PgvectorCollector(cfg.openwebui_pgvector_dsn).collect, STORE_INTERVAL))
    return sources
