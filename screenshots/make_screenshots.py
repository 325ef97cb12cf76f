"""Regenerate screenshots/: the real app, headless, against the real demo target on 127.0.0.1.

    .venv/bin/python screenshots/make_screenshots.py          # every scene below
    .venv/bin/python screenshots/make_screenshots.py --real   # + ingestion-real: a real Open WebUI and vLLM

Writes an SVG per scene (App.save_screenshot) and a PNG next to it with rsvg-convert
(`apt-get install librsvg2-bin fonts-firacode`; the xml:space patch keeps leading blanks). The Ingestion screen
(`i`) is shot from the fixed store of its tests (tests/frozen_ingest.py: three knowledge bases, a document in each
state; the demo target simulates Open WebUI's requests to vLLM, not Open WebUI's API), and with `--real` from the
real scenario (c) (tests/test_openwebui_e2e.py, about 70 s plus installs into ~/.cache/embedtop).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tui.app import EmbedtopApp
from tui.config import Config
from tui.demo.fake_nvml import FakeNvml
from tui.demo.target import H200, DemoTarget

OUT = Path(__file__).resolve().parent
ROOT = OUT.parent
SIZE = (120, 36)


async def shoot(name: str, fault: str | None) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="embedtop-shot-"))
    target = DemoTarget("healthy", tmp / "vllm.log", stats_interval=1.0, processes=True).start()
    cfg = Config(url=target.url, log=target.log_path, model="Qwen3-Embedding-4B", interval=0.25, probe_interval=0.25)
    app = EmbedtopApp(cfg, demo=target, nvml=target.nvml)
    try:
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 30
            while app.targets[0].store.counts.probe < 40 and time.monotonic() < deadline:
                await pilot.pause(0.1)
            if fault == "ingest":
                # A simulated Open WebUI upload: shoot mid-burst, while chunks are queued.
                target.set_scenario(fault)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not (
                    app.targets[0].store.ingest.burst is not None
                    and app.targets[0].store.ingest.burst.ok > 40
                    and len(app.targets[0].store.ingest_rates) > 8
                ):
                    await pilot.pause(0.1)
            elif fault:
                target.set_scenario(fault)
                for poller in app.targets[0].pollers.values():
                    poller.trigger()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not any(r.status.value == "fail" for r in app.targets[0].results):
                    await pilot.pause(0.1)
                # Let the hysteresis settle: checks fed by slower polls (the 2 s process scan) turn later.
                settled, last, since = time.monotonic() + 15, None, time.monotonic()
                while time.monotonic() < settled and time.monotonic() - since < 4.5:
                    now = {r.id: r.status for r in app.targets[0].results}
                    if now != last:
                        last, since = now, time.monotonic()
                    await pilot.pause(0.1)
            app.sub_title = app.dashboard.subtitle()
            await pilot.pause(0.3)
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    finally:
        target.stop()
    return OUT / f"{name}.svg"


async def shoot_multi() -> list[Path]:
    """Three demo targets (as `embedtop demo --targets 3`): the overview, then the broken target's tab."""
    tmp = Path(tempfile.mkdtemp(prefix="embedtop-shot-"))
    nvml = FakeNvml("healthy", card=H200, count=3)
    scenarios = ("healthy", "ingest", "wrong-dims")
    targets = [
        DemoTarget(sc, tmp / f"vllm-{i + 1}.log", stats_interval=1.0, processes=True, nvml=nvml, gpu_index=i).start()
        for i, sc in enumerate(scenarios)
    ]
    names = ("embed", "embed-ingest", "embed-small")
    cfgs = [
        Config(url=t.url, name=n, log=t.log_path, model="Qwen3-Embedding-4B", interval=0.25, probe_interval=0.25)
        for t, n in zip(targets, names, strict=True)
    ]
    app = EmbedtopApp(cfgs, demo=targets, nvml=nvml)
    shots = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not (
                all(t.store.counts.probe >= 20 for t in app.targets)
                and len(app.targets[1].store.ingest_rates) > 8
                and any(r.status.value == "fail" for r in app.targets[2].results)
            ):
                await pilot.pause(0.1)
            await pilot.pause(0.5)
            app.save_screenshot(filename="multi-overview.svg", path=str(OUT))
            shots.append(OUT / "multi-overview.svg")
            await pilot.press("3")
            await pilot.pause(1.0)
            app.save_screenshot(filename="multi-tab.svg", path=str(OUT))
            shots.append(OUT / "multi-tab.svg")
    finally:
        for t in targets:
            t.stop()
    return shots


async def shoot_ingestion() -> list[Path]:
    """The Ingestion screen from the fixed store of its tests, at 120×36 and 80×24."""
    sys.path.insert(0, str(ROOT))
    from tests.frozen_ingest import ingest_app

    shots = []
    for name, size in (("ingestion", SIZE), ("ingestion-80x24", (80, 24))):
        app = ingest_app()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await pilot.press("i")
            await pilot.pause()
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
        shots.append(OUT / f"{name}.svg")
    return shots


def shoot_real_ingestion() -> Path:
    """Scenario (c) for real: the test saves the Ingestion screen once the document is completed."""
    test = "tests/test_openwebui_e2e.py::test_real_clean_ingest_on_the_ingestion_screen"
    env = dict(os.environ, EMBEDTOP_SHOTS=str(OUT))
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "real", test], cwd=ROOT, env=env, check=True)
    return OUT / "ingestion-real.svg"


def to_png(svg: Path) -> None:
    if not shutil.which("rsvg-convert"):
        print("rsvg-convert missing: apt-get install librsvg2-bin fonts-firacode", file=sys.stderr)
        return
    data = svg.read_text().replace('<svg class="rich-terminal"', '<svg xml:space="preserve" class="rich-terminal"', 1)
    subprocess.run(["rsvg-convert", "-o", str(svg.with_suffix(".png"))], input=data.encode(), check=True)


def main() -> None:
    for name, fault in (
        ("dashboard-healthy", None),
        ("dashboard-engine-dead", "engine-dead"),
        ("dashboard-wrong-dims", "wrong-dims"),
        ("dashboard-ingest", "ingest"),
        ("dashboard-bad-base-url", "bad-base-url"),
    ):
        svg = asyncio.run(shoot(name, fault))
        to_png(svg)
        print(svg, svg.with_suffix(".png"))
    for svg in asyncio.run(shoot_multi()) + asyncio.run(shoot_ingestion()):
        to_png(svg)
        print(svg, svg.with_suffix(".png"))
    if "--real" in sys.argv[1:]:
        svg = shoot_real_ingestion()
        to_png(svg)
        print(svg, svg.with_suffix(".png"))


if __name__ == "__main__":
    main()
