"""Several vLLM targets: `[[targets]]` in the config, per-target process ownership, `embedtop check` over
all targets (in process and as a subprocess with JSON validated), and the overview + tabs dashboard driven
through Textual's pilot against real demo targets on 127.0.0.1. The test with one REAL vLLM beside two demo
targets lives in test_real_vllm.py (it shares that module's server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from tui.config import Config, ConfigError, load_config, load_targets
from tui.demo.fake_nvml import FakeNvml
from tui.demo.target import H200, DemoTarget
from tui.headless import MULTI_SCHEMA_PATH, SCHEMA_PATH, run_checks
from tui.logs.parse import parse_line
from tui.rules.checks import evaluate
from tui.rules.overview import overview_row
from tui.rules.result import Status
from tui.samples import GpuDevice, GpuProcess, GpuSample, HostSample, LogBatch, VllmProcess
from tui.state.processes import target_gpu_bytes, target_processes
from tui.state.store import Store

GiB = 1024**3
SECRET = "sk-multi-target-secret-777"

TARGETS_TOML = """
interval = 0.5            # defaults for every target
probe_interval = 0.5
model = "Qwen3-Embedding-4B"

[[targets]]
name = "embed"
url = "{a}"
log = "{log_a}"
api_key_env = "EMBED_KEY"

[[targets]]
name = "embed-small"
url = "{b}/v1/"
dims = 1024
"""


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text)
    return path


# ------------------------------------------------------------------ config


def test_targets_table_defaults_overrides_and_keys(tmp_path: Path) -> None:
    toml = write_toml(
        tmp_path,
        TARGETS_TOML.format(a="http://127.0.0.1:8000", b="http://127.0.0.1:8001", log_a=tmp_path / "a.log"),
    )
    env = {"EMBED_KEY": SECRET, "VLLM_API_KEY": "sk-default"}
    a, b = load_targets({"timeout": "3"}, env=env, config_path=toml)
    assert (a.name, a.url, a.log, a.interval, a.timeout) == (
        "embed",
        "http://127.0.0.1:8000",
        tmp_path / "a.log",
        0.5,
        3.0,
    )
    assert (b.name, b.url, b.log, b.dims, b.expected_dims) == ("embed-small", "http://127.0.0.1:8001", None, 1024, 1024)
    assert a.model == b.model == "Qwen3-Embedding-4B" and a.expected_dims == 2560
    # Each target's key comes from its own variable; none is ever in repr().
    assert a.api_key == SECRET and b.api_key == "sk-default"
    assert SECRET not in repr(a) and "sk-default" not in repr(b)
    # Without a name a target is called by HOST:PORT.
    assert Config(url="http://gpu-1:8000").label == "gpu-1:8000"


@pytest.mark.parametrize(
    ("cli", "env", "body", "message"),
    [
        ({"url": "http://x:1"}, {}, None, "--url names one server but config file"),
        ({}, {"EMBEDTOP_LOG": "/tmp/v.log"}, None, "environment EMBEDTOP_LOG names one server"),
        ({}, {}, '[[targets]]\nname = "a"\n', "target #1 has no url"),
        ({}, {}, '[[targets]]\nurl = "http://a:1"\ncolour = "red"\n', "target #1 has unknown key(s) colour"),
        (
            {},
            {},
            '[[targets]]\nurl = "http://a:1"\nname = "x"\n[[targets]]\nurl = "http://a:2"\nname = "x"\n',
            "target name(s) x appear twice",
        ),
        ({}, {}, "targets = 3\n", "`targets` must be [[targets]] tables"),
        ({}, {}, '[[targets]]\nurl = "ftp://a"\n', "is not an http(s) URL"),
        ({}, {}, "".join(f'[[targets]]\nurl = "http://a:{i}"\n' for i in range(1, 18)), "at most 16"),
    ],
)
def test_bad_targets_config_is_one_clear_line(
    tmp_path: Path, cli: dict, env: dict, body: str | None, message: str
) -> None:
    text = body if body is not None else TARGETS_TOML.format(a="http://a:1", b="http://b:2", log_a=tmp_path / "a.log")
    with pytest.raises(ConfigError) as err:
        load_targets(cli, env=env, config_path=write_toml(tmp_path, text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_one_target_loader_refuses_a_targets_file_and_the_demo_ignores_it(tmp_path: Path) -> None:
    toml = write_toml(tmp_path, TARGETS_TOML.format(a="http://a:1", b="http://b:2", log_a=tmp_path / "a.log"))
    with pytest.raises(ConfigError, match=r"lists 2 targets \(embed, embed-small\): this command watches one"):
        load_config({}, env={}, config_path=toml)
    # `embedtop demo` with a targets file as the default config: its top-level defaults, not its targets.
    cfg = load_config({"log": str(tmp_path / "demo.log")}, env={}, config_path=toml, ignore_targets=True)
    assert cfg.name is None and cfg.interval == 0.5 and cfg.model == "Qwen3-Embedding-4B"


# ------------------------------------------------------------------ which processes are whose


def _proc(pid: int, role: str, ppid: int, port: int | None = None) -> VllmProcess:
    return VllmProcess(pid, role, role, ppid, GiB, 1.0, "m" if port else None, port, None)


def _store(procs: tuple[VllmProcess, ...], gpu: dict[int, int], log: tuple[str, ...] = ()) -> Store:
    store = Store()
    store.apply(HostSample(1.0, 5.0, GiB, 8 * GiB, 0, 0, procs))
    devices = (
        GpuDevice(0, "H200", sum(gpu.values()), 140 * GiB, processes=tuple(GpuProcess(p, b) for p, b in gpu.items())),
    )
    store.apply(GpuSample(1.0, True, driver="550", devices=devices))
    if log:
        store.apply(LogBatch(1.0, "/v.log", tuple(parse_line(x) for x in log)))
    return store


def test_two_servers_on_one_host_each_own_their_tree() -> None:
    procs = (
        _proc(100, "api-server", 1, 8000),
        _proc(101, "engine-core", 100),
        _proc(102, "worker", 101),
        _proc(200, "api-server", 1, 8001),
        _proc(201, "engine-core", 200),
        _proc(202, "worker", 201),
    )
    store = _store(procs, {102: 20 * GiB, 202: 60 * GiB})
    a, b = Config(url="http://127.0.0.1:8000"), Config(url="http://localhost:8001")
    assert {p.pid for p in target_processes(store, a) or ()} == {100, 101, 102}
    assert {p.pid for p in target_processes(store, b) or ()} == {200, 201, 202}
    assert target_gpu_bytes(store, a) == 20 * GiB and target_gpu_bytes(store, b) == 60 * GiB
    checks = {r.id: r for r in evaluate(store, b, time.time())}
    assert "pid 202" in checks["gpu.model_resident"].summary and "60.0 GiB" in checks["gpu.model_resident"].summary
    # A remote URL or a port no API server here listens on: not known, never a guess.
    assert target_processes(store, Config(url="http://10.9.9.9:8000")) is None
    assert target_processes(store, Config(url="http://127.0.0.1:9999")) is None
    assert target_gpu_bytes(store, Config(url="http://127.0.0.1:9999")) is None


def test_server_without_gpu_memory_is_not_credited_with_anothers() -> None:
    """A CPU vLLM beside a GPU one: the CPU one's check must not pass on the other's memory."""
    procs = (
        _proc(100, "api-server", 1, 8000),
        _proc(101, "engine-core", 100),
        _proc(200, "api-server", 1, 8001),
        _proc(201, "engine-core", 200),
        _proc(202, "worker", 201),
    )
    store = _store(procs, {202: 60 * GiB})
    from tui.samples import HttpResult, ServerSample

    store.apply(ServerSample(1.0, "http://127.0.0.1:8000", HttpResult(200)))
    r = {x.id: x for x in evaluate(store, Config(url="http://127.0.0.1:8000"), time.time())}["gpu.model_resident"]
    assert r.status == Status.FAIL and "no vLLM process holds GPU memory" in r.summary
    r = {x.id: x for x in evaluate(store, Config(url="http://127.0.0.1:8001"), time.time())}["gpu.model_resident"]
    assert r.status == Status.PASS


def test_processes_named_by_the_targets_log_are_its_own() -> None:
    """Engine processes that descend from no API server (launched apart, like the demo's stand-ins) are
    claimed by the target whose log names their pids."""
    procs = (
        _proc(100, "api-server", 1, 8000),
        _proc(101, "engine-core", 1),
        _proc(102, "worker", 1),
        _proc(200, "api-server", 1, 8001),
        _proc(201, "engine-core", 1),
        _proc(202, "worker", 1),
    )
    log_b = (
        "(EngineCore pid=201) INFO 11-24 18:54:56 [core.py:402] init engine (profile, create kv cache, warmup model) took 21.40 s",
        "(Worker pid=202) INFO 11-24 18:54:51 [gpu_model_runner.py:5088] Model loading took 7.55 GiB memory and 4.1 seconds",
    )
    store_b = _store(procs, {102: 20 * GiB, 202: 60 * GiB}, log_b)
    b = Config(url="http://127.0.0.1:8001", log=Path("/v.log"))
    assert {p.pid for p in target_processes(store_b, b) or ()} == {200, 201, 202}
    assert target_gpu_bytes(store_b, b) == 60 * GiB


# ------------------------------------------------------------------ demo targets


@pytest.fixture
def three_demos(tmp_path: Path):
    nvml = FakeNvml("healthy", card=H200, count=3)
    scenarios = ("healthy", "ingest", "wrong-dims")
    targets = []
    try:
        for i, scenario in enumerate(scenarios):
            log = tmp_path / f"vllm-{i + 1}.log"
            targets.append(
                DemoTarget(scenario, log, stats_interval=1.0, processes=True, nvml=nvml, gpu_index=i).start()
            )
        cfgs = [
            Config(
                url=t.url,
                name=f"demo-{i + 1}",
                log=t.log_path,
                model="Qwen3-Embedding-4B",
                interval=0.5,
                probe_interval=0.5,
                api_key=SECRET,
            )
            for i, t in enumerate(targets)
        ]
        yield targets, cfgs, nvml
    finally:
        for t in targets:
            t.stop()


async def _until(pilot, cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        await pilot.pause(0.1)
    assert cond(), "condition not met in time"


async def test_dashboard_with_three_demo_targets(three_demos, tmp_path: Path) -> None:
    from textual.widgets import TabbedContent

    from tui.app import EmbedtopApp
    from tui.widgets.overview import OverviewTable
    from tui.widgets.target_view import TargetView

    targets, cfgs, nvml = three_demos
    rec = tmp_path / "rec.jsonl"
    records = [rec.with_name(f"rec.{c.name}.jsonl") for c in cfgs]
    app = EmbedtopApp(cfgs, demo=targets, nvml=nvml, record=records)
    async with app.run_test(size=(120, 36)) as pilot:

        def settled() -> bool:
            got = [{r.id: r.status for r in t.results} for t in app.targets]
            return (
                got[0].get("probe.dimensions") == Status.PASS
                and got[1].get("probe.dimensions") == Status.PASS
                and got[2].get("probe.dimensions") == Status.FAIL
                and all(g.get("gpu.model_resident") == Status.PASS for g in got)
            )

        await _until(pilot, settled)
        # Each target has its own verdicts.
        assert "expected 2560" in (app.targets[2].result("probe.dimensions") or pytest.fail()).summary
        # Each target's GPU memory is its own worker's, on its own GPU.
        for i in range(3):
            worker = targets[i].procs.pid("worker")
            r = app.targets[i].result("gpu.model_resident")
            assert r is not None and f"pid {worker}" in r.summary and f"GPU{i}" in r.summary
            assert (
                app.targets[i]
                .result("vllm.process")
                .summary.startswith(f"API server pid {targets[i].procs.pid('api-server')}")
            )
        # The overview: a row per target, the broken one shown as the worst and followed by the cursor.
        table = app.query_one(OverviewTable)
        await _until(pilot, lambda: len(table.rows_shown) == 3 and table.rows_shown[2].status == Status.FAIL)
        rows = table.rows_shown
        assert [r.name for r in rows] == ["demo-1", "demo-2", "demo-3"]
        assert rows[2].status == Status.FAIL and rows[2].worst is not None and rows[2].worst.id == "probe.dimensions"
        assert rows[0].status == Status.PASS and rows[0].gpu_bytes is not None and rows[0].gpu_bytes > 100 * GiB
        assert table.selected() == 2 and rows[2].dims == 1024
        assert "✖" in str(app.query_one(TabbedContent).get_tab("tab-2").label)

        # 'p' on the overview probes every target (a manual probe each); in a tab, only that one.
        def manual(t) -> int:
            return sum(p.manual for p in t.store.probes)

        assert [manual(t) for t in app.targets] == [0, 0, 0]
        await pilot.press("p")
        await _until(pilot, lambda: all(manual(t) == 1 for t in app.targets))
        # Keys 2 / 0 / ] switch tabs; only the shown target's panels are drawn.
        await pilot.press("2")
        await _until(pilot, lambda: app.dashboard.active_index == 1)
        assert app.dashboard.active_index == 1 and app.query_one(TabbedContent).active == "tab-1"
        assert app.query_one("#view-1", TargetView).display and "demo-2" in app.sub_title
        await pilot.pause(1.1)  # keys may ask for one manual probe a second: this one waits out the last
        await pilot.press("p")
        await _until(pilot, lambda: manual(app.targets[1]) == 2)
        assert [manual(t) for t in app.targets] == [1, 2, 1]
        await pilot.press("f")  # the fault key acts on the shown demo target only
        await _until(pilot, lambda: targets[1].scenario.name != "ingest")
        assert targets[0].scenario.name == "healthy" and targets[2].scenario.name == "wrong-dims"
        await pilot.press("0")
        await _until(pilot, lambda: app.dashboard.active_index is None)
        assert "overview" in app.sub_title
        await pilot.press("right_square_bracket")
        await _until(pilot, lambda: app.dashboard.active_index == 0)
        # Enter on an overview row opens that target (the table says which: OverviewTable.TargetChosen).
        await pilot.press("0")
        await _until(pilot, lambda: app.dashboard.active_index is None)
        table.focus()
        table.move_cursor(row=2)
        await pilot.press("enter")
        await _until(pilot, lambda: app.dashboard.active_index == 2)
        # The view of target 3 shows its own checklist, worst first.
        from tui.widgets.checklist import Checklist

        view = app.query_one("#view-2", TargetView)
        assert view.query_one(Checklist).result_at_cursor().id == "probe.dimensions"
        # Its GPU panel puts its own GPU (GPU2) first and marks the other servers' workers.
        from rich.console import Console

        from tui.widgets.gpu_panel import GpuPanel, render_gpu

        panel = view.query_one(GpuPanel)
        own = panel._own
        assert own is not None and targets[2].procs.pid("worker") in own and targets[0].procs.pid("worker") not in own
        console = Console(width=60, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
        console.print(render_gpu(app.targets[2].store, 40, own))
        text = console.export_text()
        assert (
            text.index("GPU2") < text.index("GPU0") and f"other vLLM: Worker {targets[0].procs.pid('worker')}" in text
        )
        assert "GPU2" in app.targets[2].result("gpu.memory_headroom").summary
        assert not app.collector_errors
    # One recording per target; the API key is in none.
    for path in records:
        text = path.read_text()
        assert text and SECRET not in text


async def test_check_over_several_targets(three_demos) -> None:
    _, cfgs, _ = three_demos
    verdicts = await run_checks(cfgs, wait=10)
    assert [v.status for v in verdicts] == ["pass", "pass", "fail"]
    bad = {r.id: r for r in verdicts[2].results}["probe.dimensions"]
    assert bad.status == Status.FAIL and "1024" in bad.summary


def test_check_subprocess_reports_per_target_json(tmp_path: Path) -> None:
    a = DemoTarget("healthy", tmp_path / "a.log").start()
    b = DemoTarget("engine-dead", tmp_path / "b.log").start()
    try:
        toml = write_toml(
            tmp_path,
            f"""
interval = 0.5
model = "Qwen3-Embedding-4B"
[[targets]]
name = "good"
url = "{a.url}"
log = "{a.log_path}"
api_key_env = "EMBED_KEY"
[[targets]]
name = "dead"
url = "{b.url}"
log = "{b.log_path}"
""",
        )
        env = dict(os.environ, EMBED_KEY=SECRET)
        args = [sys.executable, "-m", "tui", "check", "--config", str(toml), "--wait", "5"]
        proc = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=90, env=env, check=False)
        text = subprocess.run(args, capture_output=True, text=True, timeout=90, env=env, check=False)
    finally:
        a.stop()
        b.stop()
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    report = json.loads(proc.stdout)
    jsonschema.validate(report, json.loads(MULTI_SCHEMA_PATH.read_text()))
    for each in report["targets"]:
        jsonschema.validate(each, json.loads(SCHEMA_PATH.read_text()))
    by_name = {t["name"]: t for t in report["targets"]}
    assert by_name["good"]["status"] == "pass" and by_name["dead"]["status"] == "fail"
    dead = {c["id"]: c for c in by_name["dead"]["checks"]}
    assert dead["vllm.engine"]["status"] == "fail" and dead["vllm.engine"]["fix"]
    assert report["status"] == "fail" and report["exit_code"] == 1
    assert text.returncode == 1 and "── good" in text.stdout and "── dead" in text.stdout
    assert "all targets: FAIL (good pass, dead fail) → exit 1" in text.stdout
    assert SECRET not in proc.stdout + proc.stderr + text.stdout + text.stderr


def test_overview_row_of_a_down_target() -> None:
    """A target that never answered: no figures invented."""
    cfg = Config(url="http://127.0.0.1:9", name="gone")
    store = Store()
    row = overview_row(cfg, store, [])
    assert (row.status, row.worst, row.p95_ms, row.dims, row.gpu_bytes, row.requests_per_s) == (
        Status.UNKNOWN,
        None,
        None,
        None,
        None,
        None,
    )


async def test_recordings_of_several_targets_replay_together(tmp_path: Path) -> None:
    """Each target's recording (FILE.<name>.jsonl) replays into its own tab, on one shared time cursor,
    to the same check transitions it recorded."""
    from tui.app import EmbedtopApp
    from tui.cli import _replay_name
    from tui.state.recording import read

    nvml = FakeNvml("healthy", card=H200, count=2)
    demos = [
        DemoTarget("healthy", tmp_path / f"v{i}.log", nvml=nvml, gpu_index=i, processes=True).start() for i in range(2)
    ]
    cfgs = [
        Config(url=d.url, name=f"t{i}", log=d.log_path, model="Qwen3-Embedding-4B", interval=0.3, probe_interval=0.3)
        for i, d in enumerate(demos)
    ]
    paths = [tmp_path / f"rec.t{i}.jsonl" for i in range(2)]
    try:
        app = EmbedtopApp(cfgs, demo=demos, nvml=nvml, record=paths)
        async with app.run_test(size=(120, 36)) as pilot:
            await _until(
                pilot,
                lambda: (
                    app.targets[1].result("probe.dimensions") is not None
                    and app.targets[1].result("probe.dimensions").status == Status.PASS
                ),
            )
            demos[1].set_scenario("wrong-dims")
            await _until(pilot, lambda: app.targets[1].result("probe.dimensions").status == Status.FAIL)
            live = [[(e.check_id, e.new.value) for e in t.checklist.events] for t in app.targets]
    finally:
        for d in demos:
            d.stop()
    assert [_replay_name(p, paths) for p in paths] == ["t0", "t1"]
    recordings = [list(read(p)) for p in paths]
    recorded = [[(d["id"], d["new"]) for _, k, d in recs if k == "transition"] for recs in recordings]
    assert recorded == live and ("probe.dimensions", "fail") in recorded[1]
    assert ("probe.dimensions", "fail") not in recorded[0]
    replay = EmbedtopApp(
        [Config(url=c.url, name=c.name, log=c.log, model=c.model) for c in cfgs],
        live=False,
        replay=recordings,
        speed=1000,
    )
    last = max(recs[-1][0] for recs in recordings)
    async with replay.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: replay.watch.cursor.done, timeout=30)
        replayed = [[(e.check_id, e.new.value) for e in t.checklist.events] for t in replay.targets]
        assert (
            "replay of 2 targets" in replay.sub_title
            and replay.watch.cursor.t is not None
            and replay.watch.cursor.t <= last
        )
    assert replayed == recorded


def test_replay_cli_bad_files_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("not json\n")
    for files in ([str(tmp_path / "missing.jsonl")], [str(empty)]):
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "replay", *files], capture_output=True, text=True, timeout=30
        )
        assert proc.returncode == 2 and proc.stderr.startswith("embedtop: error:") and "Traceback" not in proc.stderr


def _host(procs: tuple[VllmProcess, ...], gone: tuple[VllmProcess, ...] = (), t: float = 2.0) -> HostSample:
    return HostSample(t, 5.0, GiB, 8 * GiB, 0, 0, procs, gone)


def test_a_restart_is_history_and_a_death_is_a_failure_of_its_own_target() -> None:
    a_api, a_core, a_worker = (
        _proc(100, "api-server", 1, 8000),
        _proc(101, "engine-core", 100),
        _proc(102, "worker", 101),
    )
    b_api, b_core, b_worker = (
        _proc(200, "api-server", 1, 8001),
        _proc(201, "engine-core", 200),
        _proc(202, "worker", 201),
    )
    a, b = Config(url="http://127.0.0.1:8000"), Config(url="http://127.0.0.1:8001")

    def verdict(store: Store, cfg: Config):
        return {r.id: r for r in evaluate(store, cfg, time.time())}["vllm.process"]

    # Target A restarts its engine (new pids for the same roles): passing, the restart in the evidence.
    store = Store()
    store.apply(_host((a_api, a_core, a_worker, b_api, b_core, b_worker), t=1.0))
    new_core, new_worker = _proc(301, "engine-core", 100), _proc(302, "worker", 301)
    store.apply(_host((a_api, new_core, new_worker, b_api, b_core, b_worker), gone=(a_core, a_worker)))
    r = verdict(store, a)
    assert r.status == Status.PASS and any("restarted: worker pid 102" in e for e in r.evidence)
    # Target B's worker and engine die and nothing replaces them: B fails, A (whose own are alive) passes.
    store.apply(_host((a_api, new_core, new_worker, b_api), gone=(b_core, b_worker), t=3.0))
    assert verdict(store, b).status == Status.FAIL and "pid 202 exited" in verdict(store, b).summary
    assert verdict(store, a).status == Status.PASS


def test_our_dead_api_server_is_not_replaced_by_another_servers() -> None:
    """Our API server killed, its engine processes (named by our log) left running, another vLLM serving on
    another port: vllm.process fails with the orphans, it does not take the other server for ours."""
    from tui.logs.parse import parse_line

    a_api, a_core, a_worker = (
        _proc(100, "api-server", 1, 8000),
        _proc(101, "engine-core", 100),
        _proc(102, "worker", 101),
    )
    b_api, b_core = _proc(200, "api-server", 1, 8001), _proc(201, "engine-core", 200)
    a = Config(url="http://127.0.0.1:8000")
    store = Store()
    store.log_state.feed(parse_line("(EngineCore pid=101) INFO 11-24 18:54:40 [core.py:1] engine up"))
    store.apply(_host((a_api, a_core, a_worker, b_api, b_core), t=1.0))
    orphan_core, orphan_worker = _proc(101, "engine-core", 1), _proc(102, "worker", 101)
    store.apply(_host((orphan_core, orphan_worker, b_api, b_core), gone=(a_api,)))
    r = {x.id: x for x in evaluate(store, a, time.time())}["vllm.process"]
    assert r.status == Status.FAIL and "engine processes were left running" in r.summary, r
    assert "kill 101 102" in r.fix and "200" not in r.fix


def test_which_urls_point_at_this_host_without_dns() -> None:
    from tui.state.processes import is_local

    here = HostSample(
        1.0, 5.0, GiB, 8 * GiB, 0, 0, (_proc(100, "api-server", 1, 8000),), (), "gpu-7", ("10.0.0.5", "fd00::5")
    )
    assert all(
        is_local(h, here) for h in ("127.0.0.1", "localhost", "::1", "GPU-7", "10.0.0.5", "fd00::5", "127.0.1.1")
    )
    assert not any(is_local(h, here) for h in ("10.0.0.6", "gpu-8", "gpu-7.example.com"))
    store = Store()
    store.apply(here)
    assert [p.pid for p in target_processes(store, Config(url="http://gpu-7:8000")) or ()] == [100]
    assert [p.pid for p in target_processes(store, Config(url="http://10.0.0.5:8000")) or ()] == [100]
    assert target_processes(store, Config(url="http://gpu-8:8000")) is None
    # The real collector reports this machine's name and addresses.
    from tui.collectors.procs import HostCollector

    sample = HostCollector().collect()
    assert sample.hostname and "127.0.0.1" in sample.addresses and is_local(sample.hostname, sample)


async def test_one_demo_targets_engine_dies_beside_others(three_demos) -> None:
    """The demo's stand-in engine processes descend from no API server (like orphans): a dead engine of
    one target must not be taken as replaced by another target's live worker, and a restart must pass."""
    from tui.app import EmbedtopApp

    targets, cfgs, nvml = three_demos
    app = EmbedtopApp(cfgs, demo=targets, nvml=nvml)
    async with app.run_test(size=(120, 36)) as pilot:

        def status(i: int, check: str = "vllm.process") -> Status | None:
            r = app.targets[i].result(check)
            return r.status if r is not None else None

        await _until(pilot, lambda: all(status(i) == Status.PASS for i in range(3)))
        dead_worker = targets[0].procs.pid("worker")
        targets[0].set_scenario("engine-dead")
        await _until(pilot, lambda: status(0) == Status.FAIL)
        assert f"worker pid {dead_worker} exited" in app.targets[0].result("vllm.process").summary
        assert status(1) == Status.PASS and status(2) == Status.PASS
        targets[0].set_scenario("healthy")  # a restart: new engine processes, named by its log
        await _until(pilot, lambda: status(0) == Status.PASS)
        assert any("restarted" in e for e in app.targets[0].result("vllm.process").evidence)
