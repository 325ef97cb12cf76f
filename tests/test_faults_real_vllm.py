"""Faults injected into a REAL vLLM 0.32 (CPU), watched by embedtop's collectors and checklist (with
hysteresis, as on screen): for each fault the expected item turns red within one poll interval plus the
hysteresis, with the right cause, and green again after recovery. Every process is stopped by its PID.

Installs the real vLLM on first use (tests/real_servers.py); several minutes. Marked `real`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

from tests.test_real_vllm import TOOLS, ensure_installed, free_port, run_vllm_directly
from tui.collectors.logtail import LogTail
from tui.collectors.probe import ProbeCollector
from tui.collectors.procs import HostCollector
from tui.collectors.server import ServerCollector
from tui.config import Config
from tui.rules.result import CheckResult, Status
from tui.rules.shown import ShownChecklist
from tui.state.store import Store
from tui.state.target_facts import probe_model

pytestmark = pytest.mark.real

INTERVAL = 1.0
FAIL_AFTER = 2
# A fault must show within: the hysteresis (FAIL_AFTER polls) + one more poll + the probe timeout.
RED_BOUND_S = (FAIL_AFTER + 1) * INTERVAL + 3.0 + 2.0


def start_vllm(port: int, log: Path, *extra: str, name: str = "Qwen3-Embedding-4B") -> int:
    args = ["bash", str(TOOLS / "start.sh"), str(port), str(log), name]
    if extra:
        args += ["--", *extra]
    out = subprocess.run(args, capture_output=True, text=True, timeout=360)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.strip().splitlines()[-1])


def stop_vllm(pid: int) -> None:
    subprocess.run(["bash", str(TOOLS / "stop.sh"), str(pid), "10"], capture_output=True, timeout=60)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def child(pid: int, title: str) -> psutil.Process:
    return next(p for p in psutil.Process(pid).children(recursive=True) if title in " ".join(p.cmdline()))


class Watch:
    """embedtop without the UI: server+metrics, probe, log and processes every INTERVAL, into the checklist."""

    def __init__(self, url: str, log: Path) -> None:
        self.cfg = Config(
            url=url,
            log=log,
            model="Qwen3-Embedding-4B",
            dims=384,
            interval=INTERVAL,
            probe_interval=INTERVAL,
            timeout=3.0,
            fail_after=FAIL_AFTER,
            pass_after=2,
        )
        self.store = Store()
        self.checklist = ShownChecklist(self.cfg)
        self.results: dict[str, CheckResult] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Watch:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._task is not None
        await asyncio.wait_for(self._task, timeout=15)

    async def _run(self) -> None:
        tail, host = LogTail(self.cfg.log), HostCollector()
        async with httpx.AsyncClient(trust_env=False) as client:
            server = ServerCollector(client, self.cfg.url, self.cfg.timeout, interval=INTERVAL)
            probe = ProbeCollector(client, self.cfg.url, self.cfg.timeout, lambda: probe_model(self.store, self.cfg))
            while not self._stop.is_set():
                started = time.monotonic()
                self.store.apply(await asyncio.to_thread(tail.read))
                self.store.apply(await asyncio.to_thread(host.collect))
                sample = await server.collect()
                self.store.apply(sample)
                if sample.ok:
                    self.store.apply(await probe.collect())
                self.results = {r.id: r for r in self.checklist.update(self.store, time.time())}
                await asyncio.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))
        tail.close()

    async def until(self, cond: Callable[[dict[str, CheckResult]], bool], timeout: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.results and cond(self.results):
                return time.monotonic() - start
            await asyncio.sleep(0.2)
        raise AssertionError({k: (r.status.value, r.summary) for k, r in self.results.items()})

    def status(self, check_id: str) -> Status:
        return self.results[check_id].status


GREEN = ("vllm.startup", "vllm.engine", "api.reachable", "api.models", "probe.status", "probe.dimensions")


def all_green(results: dict[str, CheckResult]) -> bool:
    return all(results.get(k) is not None and results[k].status == Status.PASS for k in GREEN)


@pytest.fixture(scope="module")
def installed() -> None:
    ensure_installed()


async def test_hang_sigstop_then_sigcont_recovers(installed: None, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "vllm.log"
    pid = start_vllm(port, log)
    engine = child(pid, "VLLM::EngineCore")
    try:
        async with Watch(f"http://127.0.0.1:{port}", log) as w:
            await w.until(all_green, 30)
            engine.send_signal(signal.SIGSTOP)  # the engine hangs; /health and /v1/models still answer
            took = await w.until(lambda r: r["probe.status"].status == Status.FAIL, RED_BOUND_S + 5)
            print(f"SIGSTOP engine → probe.status red in {took:.1f} s")
            assert took <= RED_BOUND_S + 5, took
            assert "no answer within" in w.results["probe.status"].summary
            assert w.status("api.reachable") == Status.PASS  # the API server itself is fine
            engine.send_signal(signal.SIGCONT)
            back = await w.until(lambda r: r["probe.status"].status == Status.PASS, 40)
            print(f"SIGCONT → probe.status green in {back:.1f} s")
            assert back < 40
    finally:
        with contextlib.suppress(psutil.Error):
            engine.send_signal(signal.SIGCONT)
        stop_vllm(pid)


async def test_worker_sigkill_goes_red_with_cause_and_restart_goes_green(installed: None, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "vllm.log"
    pid = start_vllm(port, log)
    pid2 = None
    try:
        async with Watch(f"http://127.0.0.1:{port}", log) as w:
            await w.until(all_green, 30)
            worker = child(pid, "VLLM::Worker")
            worker.send_signal(signal.SIGKILL)
            took = await w.until(lambda r: r["vllm.engine"].status == Status.FAIL, RED_BOUND_S + 10)
            print(f"SIGKILL worker → vllm.engine red in {took:.1f} s")
            assert took <= RED_BOUND_S + 10, took
            engine = w.results["vllm.engine"]
            assert "worker" in engine.summary.lower() or "engine" in engine.summary.lower()
            assert "dmesg" in engine.fix or "restart" in engine.fix.lower()
            await w.until(lambda r: r["api.reachable"].status == Status.FAIL, 30)  # 503, then the server exits
            # Restart on the same port, appending to the same log: a new run, green again.
            deadline = time.monotonic() + 30
            while psutil.pid_exists(pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            with log.open("a") as fh:
                fh.write("")
            out = await asyncio.to_thread(
                subprocess.run,
                ["bash", str(TOOLS / "start.sh"), str(port), str(tmp_path / "run2.log")],
                capture_output=True,
                text=True,
                timeout=360,
            )
            assert out.returncode == 0, out.stderr[-1500:]
            pid2 = int(out.stdout.strip().splitlines()[-1])
            back = await w.until(
                lambda r: all(r[k].status == Status.PASS for k in ("api.reachable", "probe.status", "api.models")), 60
            )
            assert back < 60
    finally:
        stop_vllm(pid)
        if pid2 is not None:
            stop_vllm(pid2)


async def test_wrong_served_model_name_and_bad_max_model_len(installed: None, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "vllm.log"
    pid = start_vllm(port, log, name="Qwen/Qwen3-Embedding-4B")  # the repo id, not what clients ask for
    try:
        async with Watch(f"http://127.0.0.1:{port}", log) as w:
            took = await w.until(lambda r: r["api.models"].status == Status.FAIL, RED_BOUND_S)
            print(f"wrong --served-model-name → api.models red in {took:.1f} s")
            assert took <= RED_BOUND_S
            r = w.results["api.models"]
            assert "'Qwen3-Embedding-4B' is not served" in r.summary and "--served-model-name" in r.fix
            assert w.status("probe.status") == Status.BLOCKED
    finally:
        stop_vllm(pid)
    # A start that fails: --max-model-len beyond the model's limit (vLLM exits at once).
    bad_log = tmp_path / "bad.log"
    out = subprocess.run(
        [
            "bash",
            str(TOOLS / "start.sh"),
            str(port),
            str(bad_log),
            "Qwen3-Embedding-4B",
            "--",
            "--max-model-len",
            "100000",
        ],
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert out.returncode != 0
    async with Watch(f"http://127.0.0.1:{port}", bad_log) as w:
        await w.until(lambda r: r["vllm.startup"].status == Status.FAIL, RED_BOUND_S)
        r = w.results["vllm.startup"]
        assert "[startup.max_model_len]" in r.summary and "--max-model-len" in r.fix
        assert w.status("api.reachable") == Status.FAIL


async def test_api_server_sigkill_orphans_and_ui_stays_responsive(installed: None, tmp_path: Path) -> None:
    from tui.app import EmbedtopApp
    from tui.screens.help import HelpScreen

    port, log = free_port(), tmp_path / "vllm.log"
    pid = start_vllm(port, log)
    orphans = [p.pid for p in psutil.Process(pid).children(recursive=True)]
    cfg = Config(
        url=f"http://127.0.0.1:{port}",
        log=log,
        model="Qwen3-Embedding-4B",
        dims=384,
        interval=INTERVAL,
        probe_interval=INTERVAL,
        timeout=3.0,
        fail_after=FAIL_AFTER,
    )
    app = EmbedtopApp(cfg)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                probe = app.targets[0].result("probe.status")
                if probe is not None and probe.status == Status.PASS:
                    break
                await pilot.pause(0.2)
            os.kill(pid, signal.SIGKILL)  # the API server dies; its EngineCore and Worker are orphaned
            start = time.monotonic()
            # The UI answers keys during the fault.
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape", "p", "v", "v", "v")
            while time.monotonic() - start < RED_BOUND_S + 10:
                r = app.targets[0].result("vllm.process")
                if (
                    app.targets[0].result("api.reachable").status == Status.FAIL
                    and r is not None
                    and r.status == Status.FAIL
                ):
                    break
                await pilot.pause(0.2)
            took = time.monotonic() - start
            print(f"SIGKILL API server → api.reachable and vllm.process red in {took:.1f} s")
            assert (
                app.targets[0].result("api.reachable").status == Status.FAIL
                and "refused" in app.targets[0].result("api.reachable").summary
            )
            r = app.targets[0].result("vllm.process")
            assert r.status == Status.FAIL and "engine processes were left running" in r.summary
            assert str(orphans[0]) in r.fix or any(str(o) in r.fix for o in orphans)
    finally:
        for o in orphans:
            with contextlib.suppress(psutil.Error):
                psutil.Process(o).kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(psutil.pid_exists(o) for o in orphans):
            await asyncio.sleep(0.2)


async def test_sigterm_under_load_is_a_clean_stop_not_a_crash(installed: None, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "vllm.log"
    pid = start_vllm(port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        async with Watch(url, log) as w:
            await w.until(all_green, 30)
            async with httpx.AsyncClient(trust_env=False) as c:
                body = {"model": "Qwen3-Embedding-4B", "input": ["a chunk of the harbour manual " * 8] * 4}

                async def one() -> None:
                    with contextlib.suppress(httpx.HTTPError):
                        await c.post(f"{url}/v1/embeddings", json=body, timeout=30)

                load = [asyncio.create_task(one()) for _ in range(24)]
                await asyncio.sleep(0.5)
                os.kill(pid, signal.SIGTERM)  # what systemd / docker stop send
                await asyncio.gather(*load)
            await w.until(lambda r: r["api.reachable"].status == Status.FAIL, 60)
            await w.until(lambda r: r["vllm.startup"].status == Status.WARN, 30)
            assert "clean shutdown" in w.results["vllm.startup"].summary
            # vLLM logs an EngineDeadError traceback on the way down: not reported as a crash.
            assert w.status("vllm.engine") != Status.FAIL, w.results["vllm.engine"].summary
            assert "clean stop, not a crash" in w.results["api.reachable"].summary
    finally:
        stop_vllm(pid)


async def test_enginecore_sigkill_and_port_taken(installed: None, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "vllm.log"
    pid = start_vllm(port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        # A second vLLM on the same port fails at once ([Errno 98]): read from its own log.
        second_log = tmp_path / "second.log"
        out = subprocess.run(
            ["bash", str(TOOLS / "start.sh"), str(port), str(second_log)], capture_output=True, text=True, timeout=60
        )
        assert out.returncode != 0  # start.sh refuses a taken port; vLLM itself is run below
        model = next(a for a in psutil.Process(pid).cmdline() if a.endswith("/model"))
        vllm_exe = Path(psutil.Process(pid).cmdline()[1])
        assert run_vllm_directly(vllm_exe, model, port, second_log) != 0
        async with Watch(url, second_log) as w:
            await w.until(lambda r: r["vllm.startup"].status == Status.FAIL, RED_BOUND_S)
            assert "[startup.port_in_use]" in w.results["vllm.startup"].summary
            assert "ss -ltnp" in w.results["vllm.startup"].fix
        # The first server, watched through its own log: its EngineCore is killed.
        async with Watch(url, log) as w:
            await w.until(all_green, 30)
            child(pid, "VLLM::EngineCore").send_signal(signal.SIGKILL)
            took = await w.until(lambda r: r["vllm.engine"].status == Status.FAIL, RED_BOUND_S + 10)
            print(f"SIGKILL EngineCore → vllm.engine red in {took:.1f} s")
            assert "[engine.core_died]" in w.results["vllm.engine"].summary
    finally:
        stop_vllm(pid)


def test_no_vllm_left_behind() -> None:
    from tests.conftest import SESSION_MARK

    def ours(p: psutil.Process) -> bool:
        try:
            return p.environ().get(SESSION_MARK) == os.environ[SESSION_MARK]
        except (psutil.Error, OSError):
            return False

    leftover = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if "vllm" in " ".join(p.info["cmdline"] or []) and "serve" in " ".join(p.info["cmdline"] or []) and ours(p)
    ]
    assert not leftover, leftover
    assert os.getpid()
