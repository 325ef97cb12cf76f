"""`embedtop check`: the same collectors and checks as the dashboard, without the UI, for scripts, CI and
a `docker compose` healthcheck.

It polls in rounds (server + /metrics, probe, semantic probe once, GPU, processes, log) until no check
is still waiting for data, or `--wait` seconds pass, then prints the checklist (or JSON) and exits:
0 every check passes or is n/a, 1 any check fails (or is still undecided when --wait runs out), 3 only
warnings, 2 bad input. Checks are raw here (no hysteresis): one verdict from the last round.
With several targets (`[[targets]]` in the config) every target is checked at once and reported on its
own; the exit code is the worst of them.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui import __version__
from tui.clock import SYSTEM, Clock
from tui.config import Config
from tui.rules.checks import BY_CHECK_ID, evaluate
from tui.rules.result import CheckResult, Status, severity
from tui.runtime.rounds import Rounds
from tui.state.store import Store
from tui.widgets.styles import short_mark

SCHEMA_ID = "embedtop-check/1"
SCHEMA_PATH = Path(__file__).with_name("check_schema.json")
MULTI_SCHEMA_ID = "embedtop-check-multi/1"
MULTI_SCHEMA_PATH = Path(__file__).with_name("check_multi_schema.json")
EXIT = {"pass": 0, "fail": 1, "warn": 3}


@dataclass
class Verdict:
    results: list[CheckResult]
    pending: list[str]  # check ids still waiting when --wait ran out
    elapsed_s: float
    rounds: int

    @property
    def status(self) -> str:
        if self.pending or any(r.status == Status.FAIL for r in self.results):
            return "fail"
        if any(r.status == Status.WARN for r in self.results):
            return "warn"
        return "pass"

    @property
    def exit_code(self) -> int:
        return EXIT[self.status]


async def run_check(cfg: Config, wait: float, nvml: Any = None, clock: Clock = SYSTEM) -> Verdict:
    """Poll until every check has a verdict or `wait` seconds pass."""
    start = clock.monotonic()
    store = Store()
    rounds = 0
    results: list[CheckResult] = []
    async with Rounds(cfg, store, f"embedtop/{__version__} (check)", nvml, clock) as collectors:
        while True:
            rounds += 1
            await collectors.round()
            results = evaluate(store, cfg, clock.time())
            pending = [r.id for r in results if r.pending]
            left = wait - (clock.monotonic() - start)
            if not pending or left <= 0:
                break
            await clock.sleep(min(max(0.5, cfg.interval), left))
    return Verdict(results, pending, clock.monotonic() - start, rounds)


async def run_checks(cfgs: list[Config], wait: float, nvml: Any = None) -> list[Verdict]:
    """Every target at once (each with its own collectors), so N targets take as long as the slowest."""
    return list(await asyncio.gather(*(run_check(cfg, wait, nvml) for cfg in cfgs)))


def worst(verdicts: list[Verdict]) -> str:
    statuses = {v.status for v in verdicts}
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


def to_json(cfg: Config, verdict: Verdict) -> dict[str, Any]:
    """The documented JSON (tui/check_schema.json). No API key, ever."""
    counts: dict[str, int] = {}
    for r in verdict.results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    return {
        "schema": SCHEMA_ID,
        "embedtop": __version__,
        "name": cfg.label,
        "url": cfg.url,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": round(verdict.elapsed_s, 2),
        "rounds": verdict.rounds,
        "status": verdict.status,
        "exit_code": verdict.exit_code,
        "counts": counts,
        "pending": verdict.pending,
        "checks": [
            {
                "id": r.id,
                "group": BY_CHECK_ID[r.id].group,
                "title": r.title,
                "status": r.status.value,
                "summary": r.summary,
                "evidence": list(r.evidence),
                "fix": r.fix,
            }
            for r in verdict.results
        ],
    }


def multi_json(cfgs: list[Config], verdicts: list[Verdict]) -> dict[str, Any]:
    """Several targets (tui/check_multi_schema.json): one embedtop-check/1 object each, and the worst."""
    status = worst(verdicts)
    return {
        "schema": MULTI_SCHEMA_ID,
        "embedtop": __version__,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "status": status,
        "exit_code": EXIT[status],
        "targets": [to_json(cfg, v) for cfg, v in zip(cfgs, verdicts, strict=True)],
    }


def render_multi(cfgs: list[Config], verdicts: list[Verdict]) -> str:
    blocks = [render_text(cfg, v, title=f"── {cfg.label} ") for cfg, v in zip(cfgs, verdicts, strict=True)]
    status = worst(verdicts)
    each = ", ".join(f"{cfg.label} {v.status}" for cfg, v in zip(cfgs, verdicts, strict=True))
    blocks.append(f"all targets: {status.upper()} ({each}) → exit {EXIT[status]}")
    return "\n\n".join(blocks)


def render_text(cfg: Config, verdict: Verdict, title: str = "") -> str:
    lines = [f"{title}embedtop check {cfg.url} — {verdict.rounds} round(s), {verdict.elapsed_s:.1f} s"]
    for r in sorted(verdict.results, key=lambda r: severity(r.status)):
        lines.append(f"{short_mark(r.status)}  {r.id:<20} {r.summary}")
        if r.status in (Status.FAIL, Status.WARN):
            lines.extend(f"        evidence: {e}" for e in r.evidence[:3])
            if r.fix:
                lines.append(f"        fix: {r.fix}")
    if verdict.pending:
        lines.append(f"still undecided when --wait ran out: {', '.join(verdict.pending)}")
    counts = {s: sum(r.status == s for r in verdict.results) for s in Status}
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    lines.append(f"result: {verdict.status.upper()} ({summary}) → exit {verdict.exit_code}")
    return "\n".join(lines)


def main(cfgs: Config | list[Config], wait: float, as_json: bool) -> int:
    if isinstance(cfgs, Config) or len(cfgs) == 1:
        cfg = cfgs if isinstance(cfgs, Config) else cfgs[0]
        verdict = asyncio.run(run_check(cfg, wait))
        print(json.dumps(to_json(cfg, verdict), indent=2) if as_json else render_text(cfg, verdict))
        return verdict.exit_code
    verdicts = asyncio.run(run_checks(cfgs, wait))
    print(json.dumps(multi_json(cfgs, verdicts), indent=2) if as_json else render_multi(cfgs, verdicts))
    return EXIT[worst(verdicts)]
