"""Time from a fault to its red item, at the default intervals (polls 5 s, probe 10 s, log as it comes).

    .venv/bin/python bench/time_to_red.py [--rounds 2]

The dashboard (headless, in this process) watches a healthy demo target until every item is green; then
the target switches to a fault scenario and the clock runs until the item that names it turns red. Runs
the installed `tui` (PYTHONPATH=DIR: an earlier checkout). Each scenario `--rounds` times; prints the
median and the runs. A fault lands at a random moment of the poll cycle: single runs vary by an interval.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from tui.app import EmbedtopApp
from tui.config import Config
from tui.demo.target import DemoTarget
from tui.rules.result import Status

FAULTS = (  # scenario, item, the status that names it
    ("engine-dead", "vllm.engine", Status.FAIL),
    ("engine-dead", "api.reachable", Status.FAIL),
    ("wrong-model", "api.models", Status.FAIL),
    ("wrong-dims", "probe.dimensions", Status.FAIL),
)


async def one(scenario: str, item: str, status: Status, folder: Path) -> float:
    target = DemoTarget("healthy", folder / f"{scenario}-{time.monotonic_ns()}.log").start()
    try:
        app = EmbedtopApp(Config(url=target.url, log=target.log_path, model="Qwen3-Embedding-4B"), demo=target)
        async with app.run_test(size=(120, 36)) as pilot:

            def shown() -> Status | None:
                r = next((r for r in app.targets[0].results if r.id == item), None)
                return r.status if r is not None else None

            deadline = time.monotonic() + 60
            while shown() != Status.PASS or not any(r.id == "probe.dimensions" for r in app.targets[0].results):
                if time.monotonic() > deadline:
                    raise SystemExit(f"{item} never passed on the healthy target")
                await pilot.pause(0.05)
            await pilot.pause(random.uniform(0, 5))  # a random moment of the poll cycle
            t0 = time.monotonic()
            target.set_scenario(scenario)
            while shown() != status:
                if time.monotonic() - t0 > 120:
                    return float("inf")
                await pilot.pause(0.02)
            return time.monotonic() - t0
    finally:
        target.stop()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    random.seed(1)
    folder = Path(tempfile.mkdtemp(prefix="embedtop-ttr-"))
    for scenario, item, status in FAULTS:
        runs = [await one(scenario, item, status, folder) for _ in range(args.rounds)]
        each = " / ".join(f"{x:.1f}" for x in runs)
        print(f"{scenario} → {item} {status.value}: {statistics.median(runs):.1f} s ({each})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
