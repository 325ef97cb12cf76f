"""`embedtop export`: the checklist and the key figures as Prometheus metrics, for Prometheus + Grafana.

It runs the same sources as the dashboard and `embedtop check` (tui.runtime.rounds) every `--interval`,
and serves `/metrics` from its own prometheus_client registry. Label values are bounded: the target names
of the config, check ids (a fixed catalog), GPU indices, the lifecycle phases and the vLLM process roles —
never PIDs, paths or anything a client sends. A target that is down is a value
(`embedtop_check_status{id="api.reachable"} 2`), not a crash. Every per-target series carries `target`
(its `[[targets]]` name, else HOST:PORT), so one exporter serves several vLLM servers; GPU series are the
host's and carry none.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, start_http_server

from tui import __version__
from tui.clock import SYSTEM, Clock
from tui.config import Config
from tui.rules.checks import SPECS, evaluate
from tui.rules.result import CheckResult, Status
from tui.runtime.rounds import Rounds
from tui.state import lifecycle
from tui.state.processes import target_processes
from tui.state.store import Store

STATUS_VALUE = {
    Status.PASS: 0,
    Status.WARN: 1,
    Status.FAIL: 2,
    Status.UNKNOWN: -1,
    Status.BLOCKED: -2,
    Status.STALE: -3,
}
PHASES = (
    lifecycle.NOT_STARTED,
    lifecycle.STARTING,
    lifecycle.LOADING,
    lifecycle.WARMING,
    lifecycle.READY,
    lifecycle.RUNNING,
    lifecycle.SERVING,
    lifecycle.SHUTTING_DOWN,
    lifecycle.EXITED,
    lifecycle.CRASHED,
)
ROLES = ("api-server", "engine-core", "worker")


class Exporter:
    """Owns the registry; `update(cfg, store)` copies one target's latest state into it."""

    def __init__(self, cfgs: list[Config]) -> None:
        self.cfgs = cfgs
        r = self.registry = CollectorRegistry()
        self.check = Gauge(
            "embedtop_check_status",
            "Checklist item: 0 pass, 1 warn, 2 fail, -1 n/a, -2 blocked, -3 stale",
            ["target", "id"],
            registry=r,
        )
        self.up = Gauge("embedtop_target_up", "1 when /health answers 200", ["target"], registry=r)
        self.latency = Histogram(
            "embedtop_probe_latency_seconds",
            "Latency of embedtop's probe embedding",
            ["target"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.dims = Gauge("embedtop_probe_dimensions", "Length of the probe's vector", ["target"], registry=r)
        self.phase = Gauge(
            "embedtop_lifecycle_phase", "1 for the phase the vLLM log shows", ["target", "phase"], registry=r
        )
        self.gpu_used = Gauge("embedtop_gpu_memory_used_bytes", "GPU memory in use (NVML)", ["gpu"], registry=r)
        self.gpu_total = Gauge("embedtop_gpu_memory_total_bytes", "GPU memory (NVML)", ["gpu"], registry=r)
        self.proc_gpu = Gauge(
            "embedtop_vllm_gpu_memory_bytes",
            "GPU memory held by the target's vLLM processes, by role",
            ["target", "role"],
            registry=r,
        )
        self.req_rate = Gauge(
            "embedtop_ingest_requests_per_second", "Client embedding inputs/s (probes excluded)", ["target"], registry=r
        )
        self.tok_rate = Gauge(
            "embedtop_ingest_tokens_per_second", "Client prompt tokens/s (probes excluded)", ["target"], registry=r
        )
        self.running = Gauge(
            "embedtop_vllm_requests_running",
            "vllm:num_requests_running at the last /metrics scrape",
            ["target"],
            registry=r,
        )
        self.waiting = Gauge(
            "embedtop_vllm_requests_waiting",
            "vllm:num_requests_waiting at the last /metrics scrape",
            ["target"],
            registry=r,
        )
        self.info = Gauge("embedtop_info", "embedtop and the watched URLs", ["version", "target", "url"], registry=r)
        for cfg in cfgs:
            self.info.labels(__version__, cfg.label, cfg.url).set(1)
            for spec in SPECS:
                self.check.labels(cfg.label, spec.id).set(STATUS_VALUE[Status.UNKNOWN])
        self._last_probe: dict[str, float] = {}

    def update(
        self, cfg: Config, store: Store, results: list[CheckResult] | None = None, now: float | None = None
    ) -> None:
        """`results`: what the dashboard shows (with its hysteresis); headless, the raw verdict of `store` at `now`."""
        name = cfg.label
        if results is None:
            assert now is not None, "the raw verdict is judged at a time"
            results = evaluate(store, cfg, now)
        for result in results:
            self.check.labels(name, result.id).set(STATUS_VALUE[result.status])
        self.up.labels(name).set(1 if store.server is not None and store.server.ok else 0)
        p = store.probe
        if p is not None and p.t != self._last_probe.get(name):
            self._last_probe[name] = p.t
            if p.ok and p.latency_s is not None:
                self.latency.labels(name).observe(p.latency_s)
            if p.dims is not None:
                self.dims.labels(name).set(p.dims)
        for phase in PHASES:
            self.phase.labels(name, phase).set(1 if store.log_state.phase == phase else 0)
        gpu, host = store.gpu, store.host
        own = target_processes(store, cfg)
        roles = {p.pid: p.role for p in (own if own is not None else host.processes if host else ())}
        held = dict.fromkeys(ROLES, 0.0)
        for d in gpu.devices if gpu and gpu.available else ():
            if d.used_bytes is not None:
                self.gpu_used.labels(str(d.index)).set(d.used_bytes)
            if d.total_bytes is not None:
                self.gpu_total.labels(str(d.index)).set(d.total_bytes)
            for proc in d.processes or ():
                role = roles.get(proc.pid)
                if role in held and proc.used_bytes is not None:
                    held[role] += proc.used_bytes
        for role, value in held.items():
            self.proc_gpu.labels(name, role).set(value)
        last = store.server.metrics if store.server is not None else None  # this round's scrape, if any
        queue = (last.running, last.waiting) if last is not None and last.ok else (None, None)
        for gauge, value in zip((self.running, self.waiting), queue, strict=True):
            if value is not None:
                gauge.labels(name).set(value)
            else:  # no answer from /metrics: absent, not the last value (alerts must not fire on stale queues)
                with contextlib.suppress(KeyError):
                    gauge.remove(name)
        traffic = store.traffic()
        if traffic is not None:
            self.req_rate.labels(name).set(traffic.requests_per_s or 0.0)
            self.tok_rate.labels(name).set(traffic.tokens_per_s or 0.0)


async def _poll(exporter: Exporter, cfg: Config, nvml: Any, rounds: int | None, clock: Clock) -> None:
    store = Store()
    done = 0
    async with Rounds(cfg, store, f"embedtop/{__version__} (export)", nvml, clock) as collectors:
        while rounds is None or done < rounds:
            started = clock.monotonic()
            await collectors.round(semantic=done % max(1, int(cfg.semantic_interval / cfg.interval)) == 0)
            exporter.update(cfg, store, now=clock.time())
            done += 1
            await clock.sleep(max(0.0, cfg.interval - (clock.monotonic() - started)))


async def serve(
    cfgs: Config | list[Config],
    host: str,
    port: int,
    rounds: int | None = None,
    nvml: Any = None,
    clock: Clock = SYSTEM,
) -> Exporter:
    """Poll every target forever (or `rounds` times, for tests), each on its own loop, and keep /metrics
    current."""
    targets = [cfgs] if isinstance(cfgs, Config) else list(cfgs)
    exporter, stop = start(targets, host, port)
    try:
        await asyncio.gather(*(_poll(exporter, cfg, nvml, rounds, clock) for cfg in targets))
    finally:
        stop()
    return exporter


def start(cfgs: list[Config], host: str, port: int) -> tuple[Exporter, Callable[[], None]]:
    """Serve /metrics from a new Exporter on HOST:PORT (a thread); returns it and the function that stops
    it. OSError when the address cannot be bound. Also used by `watch --export` beside the dashboard."""
    exporter = Exporter(cfgs)
    server, thread = start_http_server(port, addr=host, registry=exporter.registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return exporter, stop


def main(cfgs: list[Config], listen: str) -> int:
    host, _, port = listen.rpartition(":")
    urls = ", ".join(cfg.url for cfg in cfgs)
    print(f"embedtop export: http://{host or '127.0.0.1'}:{port}/metrics for {urls} (Ctrl+C stops)", flush=True)
    try:
        asyncio.run(serve(cfgs, host or "127.0.0.1", int(port)))
    except KeyboardInterrupt:
        return 0
    return 0
