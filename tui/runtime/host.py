"""The host-wide collectors, owned once for every target: NVML (the GPUs) and the vLLM process scan.

Several targets on one host share its GPUs and its process table, so one `HostRun` reads them and every
target folds the same samples into its own store. The dashboard polls them (`start`); `check` and
`export` run each once a round (`sources()`). It also decides when the process scan reads the whole table
again: a GPU process it does not know, or a server that came up, went down or restarted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tui.clock import SYSTEM, Clock
from tui.runtime import poller as polling
from tui.runtime.poller import Poller
from tui.runtime.sources import Source
from tui.samples import GpuSample, ServerSample
from tui.state.processes import gpu_pids

if TYPE_CHECKING:
    from tui.collectors.gpu import NvmlCollector
    from tui.collectors.procs import HostCollector

HOST_INTERVAL = 2.0  # the floor: NVML and the process scan are never read more often
OnError = Callable[[str, BaseException], Any]


class HostRun:
    """NVML and the process scan of this host. `nvml`: a module standing in for nvidia-ml-py (the demo's
    fake), else the real one; `gpus`: which GPUs (`--gpu`, else CUDA_VISIBLE_DEVICES)."""

    def __init__(self, nvml: ModuleType | Any = None, gpus: str | None = None, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self._nvml, self._gpus = nvml, gpus
        self.gpu: NvmlCollector | None = None  # made by `sources()`: NVML is imported after the first frame
        self.scan: HostCollector | None = None
        self.pollers: dict[str, Poller] = {}
        self._unknown_gpu_pids: set[int] = set()
        self._health: dict[Hashable, int | None] = {}  # a target's key → its last /health status

    def sources(self, interval: float = HOST_INTERVAL) -> list[Source]:
        """The two host sources (made at the first call). NVML and /proc block: they run in threads."""
        if self.gpu is None or self.scan is None:
            from tui.collectors.gpu import NvmlCollector
            from tui.collectors.procs import HostCollector

            self.gpu, self.scan = NvmlCollector(self._nvml, gpus=self._gpus), HostCollector()
        gpu, scan = self.gpu, self.scan
        return [
            Source("gpu", lambda: asyncio.to_thread(gpu.collect), interval),
            Source("host", lambda: asyncio.to_thread(scan.collect), interval),
        ]

    def start(self, sink: Callable[[Any], None], interval: float, on_error: OnError | None = None) -> None:
        """Poll both on the running event loop; each sample goes through `seen()`, then to `sink`."""

        def deliver(sample: Any) -> None:
            self.seen(sample)
            sink(sample)

        for source in self.sources(max(interval, HOST_INTERVAL)):
            poller = Poller(source.name, source.collect, deliver, source.interval, on_error=on_error, clock=self.clock)
            self.pollers[source.name] = poller
            poller.start()

    def seen(self, sample: Any) -> None:
        """A host or GPU sample arrived. NVML names a PID the process scan does not know: scan the whole
        table again, once per new set of PIDs (a PID from another namespace never shows up here). The scan
        also records which of NVML's PIDs exist here (the host sample says so to the checks)."""
        if not isinstance(sample, GpuSample) or self.scan is None:
            return
        pids = gpu_pids(sample)
        self.scan.watch_gpu_pids(pids)
        unknown = pids - self.scan.known
        if unknown and unknown != self._unknown_gpu_pids:
            self.scan.rescan()
        self._unknown_gpu_pids = unknown

    def server_seen(self, target: Hashable, sample: ServerSample) -> None:
        """A target's server answered (or not): up, down or restarted, who owns its port now? Scan again."""
        status = sample.health.status
        if self.scan is not None and self._health.get(target, status) != status:
            self.scan.rescan()
        self._health[target] = status

    def rescan(self) -> None:
        if self.scan is not None:
            self.scan.rescan()

    def set_paused(self, paused: bool) -> None:
        polling.set_paused(self.pollers.values(), paused)

    def trigger(self) -> None:
        polling.trigger(self.pollers.values())

    async def close(self) -> None:
        for poller in self.pollers.values():
            await poller.stop()
        if self.gpu is not None:
            await asyncio.to_thread(self.gpu.close)
