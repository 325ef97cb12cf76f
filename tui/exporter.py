"""`embedtop export`: the checklist and the key figures as Prometheus metrics, for Prometheus + Grafana.

It runs the same collectors as `embedtop check`, every `--interval`, and serves `/metrics` from its own
prometheus_client registry. Label values are bounded: check ids (a fixed catalog), GPU indices, the
lifecycle phases and the vLLM process roles — never PIDs, paths or anything a client sends. A target
that is down is a value (`embedtop_check_status{id="api.reachable"} 2`), not a crash.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, start_http_server

from tui import __version__
from tui.config import Config
from tui.headless import Rounds
from tui.logs import lifecycle
from tui.model.store import Store
from tui.rules.catalog import SPECS, evaluate
from tui.rules.checks import Status

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
    """Owns the registry; `update(store)` copies the latest state into it."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        r = self.registry = CollectorRegistry()
        self.check = Gauge(
            "embedtop_check_status",
            "Checklist item: 0 pass, 1 warn, 2 fail, -1 n/a, -2 blocked, -3 stale",
            ["id"],
            registry=r,
        )
        self.up = Gauge("embedtop_target_up", "1 when /health answers 200", registry=r)
        self.latency = Histogram(
            "embedtop_probe_latency_seconds",
            "Latency of embedtop's probe embedding",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.dims = Gauge("embedtop_probe_dimensions", "Length of the probe's vector", registry=r)
        self.phase = Gauge("embedtop_lifecycle_phase", "1 for the phase the vLLM log shows", ["phase"], registry=r)
        self.gpu_used = Gauge("embedtop_gpu_memory_used_bytes", "GPU memory in use (NVML)", ["gpu"], registry=r)
        self.gpu_total = Gauge("embedtop_gpu_memory_total_bytes", "GPU memory (NVML)", ["gpu"], registry=r)
        self.proc_gpu = Gauge(
            "embedtop_vllm_gpu_memory_bytes", "GPU memory held by vLLM processes, by role", ["role"], registry=r
        )
        self.req_rate = Gauge(
            "embedtop_ingest_requests_per_second", "Client embedding inputs/s (probes excluded)", registry=r
        )
        self.tok_rate = Gauge(
            "embedtop_ingest_tokens_per_second", "Client prompt tokens/s (probes excluded)", registry=r
        )
        self.info = Gauge("embedtop_info", "embedtop and the watched URL", ["version", "url"], registry=r)
        self.info.labels(__version__, cfg.url).set(1)
        self._last_probe: float | None = None

    def update(self, store: Store) -> None:
        for result in evaluate(store, self.cfg):
            self.check.labels(result.id).set(STATUS_VALUE[result.status])
        self.up.set(1 if store.server is not None and store.server.ok else 0)
        p = store.probe
        if p is not None and p.t != self._last_probe:
            self._last_probe = p.t
            if p.ok and p.latency_s is not None:
                self.latency.observe(p.latency_s)
            if p.dims is not None:
                self.dims.set(p.dims)
        for phase in PHASES:
            self.phase.labels(phase).set(1 if store.log_state.phase == phase else 0)
        gpu, host = store.gpu, store.host
        roles = {p.pid: p.role for p in host.processes} if host else {}
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
            self.proc_gpu.labels(role).set(value)
        traffic = store.traffic()
        if traffic is not None:
            self.req_rate.set(traffic.requests_per_s or 0.0)
            self.tok_rate.set(traffic.tokens_per_s or 0.0)


async def serve(cfg: Config, host: str, port: int, rounds: int | None = None, nvml: Any = None) -> Exporter:
    """Poll forever (or `rounds` times, for tests) and keep /metrics current."""
    exporter = Exporter(cfg)
    for spec in SPECS:
        exporter.check.labels(spec.id).set(STATUS_VALUE[Status.UNKNOWN])
    server, thread = start_http_server(port, addr=host, registry=exporter.registry)
    store = Store()
    done = 0
    try:
        async with Rounds(cfg, store, f"embedtop/{__version__} (export)", nvml) as collectors:
            while rounds is None or done < rounds:
                started = time.monotonic()
                await collectors.round(semantic=done % max(1, int(cfg.semantic_interval / cfg.interval)) == 0)
                exporter.update(store)
                done += 1
                await asyncio.sleep(max(0.0, cfg.interval - (time.monotonic() - started)))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return exporter


def main(cfg: Config, listen: str) -> int:
    host, _, port = listen.rpartition(":")
    print(f"embedtop export: http://{host or '127.0.0.1'}:{port}/metrics for {cfg.url} (Ctrl+C stops)", flush=True)
    try:
        asyncio.run(serve(cfg, host or "127.0.0.1", int(port)))
    except KeyboardInterrupt:
        return 0
    return 0
