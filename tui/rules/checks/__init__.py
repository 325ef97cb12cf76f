"""The checklist: each check a pure function of (store, config, now) → CheckResult, declared once with
`@check` in the module of its group (gpu, vllm, api, probe, ingest, client; the group is the id's prefix).

Checks depend on each other: when the server does not answer, the probe checks say "blocked by
api.reachable" instead of adding red noise. A check reads the verdict of a check it is `blocked_by` from
this round (judged before it, once). Fix texts follow vLLM's own messages and docs.
"""

from __future__ import annotations

from tui.config import Config
from tui.rules.checks import api, client, gpu, ingest, probe, vllm
from tui.rules.checks.spec import REGISTRY, CheckSpec, Judging
from tui.rules.result import CheckResult
from tui.state.store import Store

# Display order (the checklist, the JSON, the exporter): every check, once.
SPECS: tuple[CheckSpec, ...] = (
    gpu.visible,
    vllm.startup,
    vllm.engine,
    vllm.process,
    gpu.model_resident,
    gpu.memory_headroom,
    api.reachable,
    api.auth,
    api.models,
    api.max_model_len,
    probe.status,
    probe.dimensions,
    probe.values,
    probe.latency,
    probe.semantic,
    ingest.errors,
    ingest.stalled,
    client.base_url,
    client.model_name,
    client.dimensions,
    vllm.requests,
)
BY_CHECK_ID = {spec.id: spec for spec in SPECS}
assert len(BY_CHECK_ID) == len(SPECS) and set(BY_CHECK_ID) == set(REGISTRY), "SPECS must list every check once"


def _judging_order(specs: tuple[CheckSpec, ...]) -> tuple[CheckSpec, ...]:
    """The specs with every check after those it is blocked by (display order where it allows)."""
    done: list[CheckSpec] = []

    def visit(spec: CheckSpec, path: tuple[str, ...]) -> None:
        if spec in done:
            return
        if spec.id in path:
            raise ValueError(f"checks block each other in a cycle: {' → '.join((*path, spec.id))}")
        for dep in spec.blocked_by:
            visit(dep, (*path, spec.id))
        done.append(spec)

    for spec in specs:
        visit(spec, ())
    return tuple(done)


JUDGING_ORDER = _judging_order(SPECS)


def evaluate(store: Store, cfg: Config, now: float) -> list[CheckResult]:
    """The whole checklist at time `now` (a sample's time when replaying), in display order. Each check is
    judged once; one that is blocked by another reads that one's verdict from this round."""
    done: dict[str, CheckResult] = {}
    for spec in JUDGING_ORDER:
        done[spec.id] = spec.fn(Judging(spec, store, cfg, now, done))
    return [done[spec.id] for spec in SPECS]
