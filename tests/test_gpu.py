"""The NVML collector against the faithful fake in every scenario, the fake against the real pynvml,
the real pynvml on this GPU-less host, and process mapping against real processes with vLLM's titles."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pynvml
import pytest

from tui.collectors.gpu import NvmlCollector, select_devices
from tui.collectors.procs import HostCollector, role_of, serve_args
from tui.config import Config
from tui.demo import fake_nvml
from tui.demo.fake_nvml import FakeNvml, GiB
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.samples import HttpResult, MetricsSample, ServerSample
from tui.state.store import Store

CFG = Config(url="http://127.0.0.1:8011", model="Qwen3-Embedding-4B")


def checks(store: Store) -> dict:
    return {r.id: r for r in evaluate(store, CFG, time.time())}


# ---------------------------------------------------------------- the fake is faithful


@pytest.mark.parametrize("name", fake_nvml.API)
def test_fake_functions_match_the_real_signatures(name: str) -> None:
    real = inspect.signature(getattr(pynvml, name))
    fake = inspect.signature(getattr(FakeNvml(), name))
    assert [p.name for p in fake.parameters.values()] == [p.name for p in real.parameters.values()], name
    assert [p.default for p in fake.parameters.values()] == [p.default for p in real.parameters.values()], name


def test_fake_uses_the_real_exception_classes_and_structs() -> None:
    fake = FakeNvml()
    for name in dir(pynvml):
        if name.startswith("NVMLError"):
            assert getattr(fake, name) is getattr(pynvml, name)
    assert fake.NVMLLibraryMismatchError is pynvml.NVMLLibraryMismatchError
    assert fake.nvmlMemory_v2 == pynvml.nvmlMemory_v2 and fake.NVML_TEMPERATURE_GPU == pynvml.NVML_TEMPERATURE_GPU
    with pytest.raises(pynvml.NVMLError_Uninitialized):  # like the real library before nvmlInit
        fake.nvmlDeviceGetCount()
    fake.nvmlInit()
    h = fake.nvmlDeviceGetHandleByIndex(0)
    v2 = fake.nvmlDeviceGetMemoryInfo(h, version=pynvml.nvmlMemory_v2)
    assert {f for f, _ in pynvml.c_nvmlMemory_v2_t._fields_} <= set(vars(v2))
    v1 = fake.nvmlDeviceGetMemoryInfo(h)
    assert {f for f, _ in pynvml.c_nvmlMemory_t._fields_} <= set(vars(v1))


def test_real_pynvml_here_has_no_driver() -> None:
    # This machine has nvidia-ml-py but no NVIDIA driver: the real library, not a fake.
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        pass
    else:
        pynvml.nvmlShutdown()
        pytest.skip("an NVIDIA driver is present on this host")
    sample = NvmlCollector().collect()
    assert not sample.available and "NVML: not available on this host" in (sample.reason or "")
    assert "nvidia-smi" in (sample.fix or "") and "--gpus all" in (sample.fix or "")


# ---------------------------------------------------------------- scenarios


def test_healthy_card_with_a_vllm_worker() -> None:
    fake = FakeNvml("healthy", worker_pid=4242)
    col = NvmlCollector(fake)
    s = col.collect()
    (d,) = s.devices
    assert s.available and s.driver == "550.54.15" and s.cuda == "12.4"
    assert d.name == "NVIDIA L4" and d.total_bytes == 24 * GiB and d.uuid.startswith("GPU-")
    assert d.used_bytes == int(0.45 * GiB) + int(9.2 * GiB)
    assert (d.util_percent, d.temperature_c, d.power_w, d.power_limit_w) == (37, 61, 71.5, 72.0)
    assert [(p.pid, p.used_bytes) for p in d.processes] == [(4242, int(9.2 * GiB))]
    assert not d.na and "nvmlDeviceGetComputeRunningProcesses_v2" not in fake.calls
    col.close()
    assert fake._inits == 0 and fake.calls[-1] == "nvmlShutdown"


def test_no_driver() -> None:
    s = NvmlCollector(FakeNvml("no-driver")).collect()
    assert not s.available and "NVML Shared Library Not Found" in (s.reason or "")
    store = Store()
    store.apply(s)
    r = checks(store)
    assert r["gpu.visible"].status == Status.UNKNOWN and "nvidia-smi" in r["gpu.visible"].fix
    assert r["gpu.model_resident"].status == Status.BLOCKED


def test_not_supported_fields_degrade_one_by_one() -> None:
    fake = FakeNvml("not-supported", worker_pid=4242)
    (d,) = NvmlCollector(fake).collect().devices
    assert d.util_percent is None and d.temperature_c is None and d.power_w is None
    assert d.reason("util") == d.reason("temperature") == d.reason("power") == "not supported on this GPU"
    assert d.used_bytes is not None  # memory v2 FunctionNotFound → v1
    assert d.processes is not None and d.processes[0].pid == 4242  # v3 missing → v2
    assert "nvmlDeviceGetComputeRunningProcesses_v2" in fake.calls
    store = Store()
    store.apply(NvmlCollector(fake).collect())
    visible = checks(store)["gpu.visible"]
    assert visible.status == Status.PASS and "power, temperature, util n/a" in visible.summary


def test_gpu_lost_mid_run() -> None:
    fake = FakeNvml("healthy", worker_pid=4242)
    col = NvmlCollector(fake)
    assert not col.collect().devices[0].lost
    fake.lose_gpu(0)
    s = col.collect()
    assert s.available and s.devices[0].lost
    store = Store()
    store.apply(s)
    r = checks(store)["gpu.visible"]
    assert r.status == Status.FAIL and "lost" in r.summary and "Xid" in r.fix


def test_memory_climbing_to_full_with_queueing_requests() -> None:
    fake = FakeNvml("memory-climb", worker_pid=4242)
    col = NvmlCollector(fake)
    store = Store()
    for i in range(20):
        store.apply(col.collect())
        waiting = float(max(0, i - 14))
        metrics = MetricsSample(float(i), running=8.0, waiting=waiting)
        store.apply(ServerSample(float(i), "u", HttpResult(200), metrics=metrics))
    d = store.gpu.devices[0]
    assert d.used_bytes == d.total_bytes
    history = [u for _, u in store.gpu_memory[0]]
    assert history == sorted(history) and len(history) == 20
    r = checks(store)["gpu.memory_headroom"]
    assert r.status == Status.WARN and "OOM risk" in r.summary and "TOTAL GPU memory" in r.fix


def test_full_card_alone_is_normal_for_vllm() -> None:
    fake = FakeNvml("memory-climb")
    col = NvmlCollector(fake)
    store = Store()
    for _ in range(20):
        store.apply(col.collect())
    assert checks(store)["gpu.memory_headroom"].status == Status.PASS  # no queueing: just vLLM's reservation


def test_device_selection() -> None:
    uuids = ["GPU-aaa", "GPU-bbb", "GPU-ccc"]
    assert select_devices(3, uuids, None) == ([0, 1, 2], None)
    picked, note = select_devices(3, uuids, "2,0")
    assert picked == [0, 2] and "PCI" in (note or "")
    assert select_devices(3, uuids, "GPU-bbb")[0] == [1]


# ---------------------------------------------------------------- processes

WATCH = "import time\nfor _ in range(600):\n    time.sleep(0.1)\n"


def spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, executable=sys.executable, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _started(proc: subprocess.Popen[bytes]) -> bool:
    """The child has exec'd its own program: /proc shows its argv (what the process scan reads)."""
    try:
        return psutil.Process(proc.pid).cmdline() == list(proc.args)  # type: ignore[arg-type]
    except psutil.Error:
        return False


@pytest.fixture
def vllm_like() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    procs = {
        "api": spawn(
            [
                "/opt/venv/bin/vllm",
                "-c",
                WATCH,
                "serve",
                "/models/Qwen3-Embedding-4B",
                "--port",
                "8011",
                "--served-model-name",
                "Qwen3-Embedding-4B",
            ]
        ),
        "api_m": spawn(
            ["python3", "-c", WATCH, "-m", "vllm.entrypoints.openai.api_server", "--model", "m", "--port=8012"]
        ),
        "engine": spawn(["VLLM::EngineCore", "-c", WATCH]),
        "worker": spawn(["VLLM::Worker", "-c", WATCH]),
        "other": spawn(["python3", "-c", WATCH, "not-vllm"]),
    }
    deadline = time.monotonic() + 10  # bounded: until each has exec'd (its own argv in /proc), not a fixed sleep
    while not all(_started(p) for p in procs.values()):
        assert time.monotonic() < deadline, "the stand-in processes did not start"
        time.sleep(0.02)
    try:
        yield procs
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
            p.wait(timeout=5)


def test_real_processes_are_named(vllm_like: dict[str, subprocess.Popen[bytes]]) -> None:
    host = HostCollector().collect()
    found = {p.pid: p for p in host.processes}
    api = found[vllm_like["api"].pid]
    assert (api.role, api.model, api.port, api.served_name) == (
        "api-server",
        "/models/Qwen3-Embedding-4B",
        8011,
        "Qwen3-Embedding-4B",
    )
    assert api.title == "vllm serve /models/Qwen3-Embedding-4B" and api.rss > 0
    assert found[vllm_like["api_m"].pid].role == "api-server" and found[vllm_like["api_m"].pid].port == 8012
    assert found[vllm_like["engine"].pid].role == "engine-core"
    assert found[vllm_like["worker"].pid].role == "worker"
    assert vllm_like["other"].pid not in found
    assert host.ram_total > 0 and 0 <= host.cpu_percent <= 100 * os.cpu_count()


def test_model_resident_process_gone_and_hidden_pids(vllm_like: dict[str, subprocess.Popen[bytes]]) -> None:
    worker = vllm_like["worker"].pid
    fake = FakeNvml("healthy", worker_pid=worker)
    gpu, host = NvmlCollector(fake), HostCollector()
    store = Store()
    store.apply(ServerSample(time.time(), CFG.url, HttpResult(200), models=None))
    store.apply(gpu.collect())
    store.apply(host.collect())
    r = checks(store)
    assert r["gpu.model_resident"].status == Status.PASS and f"pid {worker}" in r["gpu.model_resident"].summary
    assert r["vllm.process"].status == Status.PASS and "port 8011" in r["vllm.process"].summary
    # The worker dies: its GPU memory is freed and the process scan notices.
    vllm_like["worker"].kill()
    vllm_like["worker"].wait(timeout=5)
    fake.set_processes(0, [])
    store.apply(gpu.collect())
    store.apply(host.collect())
    r = checks(store)
    assert r["vllm.process"].status == Status.FAIL and f"worker pid {worker} exited" in r["vllm.process"].summary
    assert r["gpu.model_resident"].status == Status.FAIL and "no vLLM process holds GPU memory" in (
        r["gpu.model_resident"].summary
    )
    # A GPU process whose host PID is not visible here (embedtop in another PID namespace).
    fake.set_processes(0, [(4_194_000, 9 * GiB)])
    store.apply(gpu.collect())
    r = checks(store)["gpu.model_resident"]
    assert r.status == Status.UNKNOWN and "not visible here" in r.summary and "--pid=host" in r.fix


def test_role_and_args_parsing() -> None:
    assert role_of("vllm", ["/opt/venv/bin/python", "/opt/venv/bin/vllm", "serve", "m"]) == "api-server"
    assert role_of("VLLM::EngineCor", ["VLLM::EngineCore" + " " * 40]) == "engine-core"
    assert role_of("python", ["VllmWorker-0"]) == "worker"
    assert role_of("python", ["python", "train.py"]) is None
    assert serve_args(["vllm", "serve", "Qwen/Qwen3-Embedding-4B"]) == ("Qwen/Qwen3-Embedding-4B", 8000, None)


def _panel(store: Store) -> str:
    import io

    from rich.console import Console

    from tui.widgets.gpu_panel import render_gpu

    console = Console(width=40, record=True, file=io.StringIO())
    console.print(render_gpu(store, 38))
    return console.export_text()


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("healthy", ["GPU0 L4", "9.6 / 24.0 GiB used", "37% · 61°C · 72 W", "pid not visible here 4242 9.2 GiB"]),
        ("no-driver", ["NVML: not available on this host (NVML Shared Library Not Found)", "check: nvidia-smi"]),
        ("not-supported", ["util n/a · temp n/a · power n/a", "GPU0 L4"]),
        ("gpu-lost", ["GPU0 GPU 0: GPU LOST (GPU lost)"]),
    ],
)
def test_panel_per_scenario(scenario: str, expected: list[str]) -> None:
    fake = FakeNvml(scenario, worker_pid=4242)
    col = NvmlCollector(fake)
    store = Store()
    store.apply(col.collect())
    if scenario == "gpu-lost":
        fake.lose_gpu(0)
        store.apply(col.collect())
    text = " ".join(_panel(store).split())  # lines wrap at the panel's width
    for needle in expected:
        assert " ".join(needle.split()) in text, text
