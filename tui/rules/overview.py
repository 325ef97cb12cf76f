"""The overview of several targets: one row per target (worst check, probe p95, GPU memory, phase, load)."""

from __future__ import annotations

from dataclasses import dataclass

from tui.config import Config
from tui.rules.result import NOTABLE, CheckResult, Status, worst_first
from tui.state.processes import target_gpu_bytes
from tui.state.store import Store
from tui.state.window import percentiles

P95_POINTS = 60  # the probe panel's sparkline window


@dataclass(frozen=True)
class OverviewRow:
    """What the overview shows of one target."""

    name: str
    url: str
    status: Status  # the worst status shown (pass when every check passes or has no verdict)
    worst: CheckResult | None  # the first row of its worst-first checklist, when it is red or yellow
    bad: int  # checks that warn or fail
    phase: str
    p95_ms: float | None
    dims: int | None
    gpu_bytes: int | None
    requests_per_s: float | None


def overview_row(cfg: Config, store: Store, results: list[CheckResult]) -> OverviewRow:
    ordered = worst_first(results)
    bad = [r for r in ordered if r.status in NOTABLE]
    latencies = store.probe_latencies_ms(P95_POINTS)
    p95 = percentiles(latencies, (0.95,))[0] if len(latencies) >= 2 else None
    probe = store.probe
    traffic = store.traffic()
    return OverviewRow(
        name=cfg.label,
        url=cfg.url,
        status=bad[0].status if bad else (Status.PASS if results else Status.UNKNOWN),
        worst=bad[0] if bad else None,
        bad=sum(r.status in (Status.FAIL, Status.WARN) for r in results),
        phase=store.log_state.phase if cfg.log_source else "",
        p95_ms=p95,
        dims=probe.dims if probe is not None else None,
        gpu_bytes=target_gpu_bytes(store, cfg),
        requests_per_s=traffic.requests_per_s if traffic is not None else None,
    )
