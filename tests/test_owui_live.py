"""Open WebUI's own log as a live source (`--openwebui-log FILE | --openwebui-docker C | --openwebui-journal U`,
`[[targets]]` keys) and the client / ingest checks that read it — on the real Open WebUI 0.12.4 + vLLM 0.32
captures (tests/captures/openwebui-real-vllm, tests/captures/openwebui): followed as a file that grows and
rotates, through a stand-in `docker` that prints a capture, headless (`embedtop check --json`) and in the
dashboard (pilot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CAPTURES, ROOT, capture
from tests.test_log_sources import read_until, script
from tui.collectors.owuilog import owui_log_source
from tui.config import Config, ConfigError, load_targets
from tui.demo.target import DemoTarget
from tui.headless import run_check
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.samples import OwuiLogBatch
from tui.state.store import Store

REAL = CAPTURES / "openwebui-real-vllm"
EXCERPT = CAPTURES / "openwebui" / "owui.log.excerpt.txt"  # a 2560-dim collection fed 1024-dim vectors
URL = "http://127.0.0.1:8011"
CLIENT = ("client.base_url", "client.model_name", "client.dimensions", "ingest.errors")


def owui_lines(path: Path) -> list[str]:
    return [x for x in path.read_text().splitlines() if not x.startswith("#")]


def judged(store: Store, cfg: Config) -> dict:
    return {r.id: r for r in evaluate(store, cfg, time.time())}


def fed(*paths: Path, cfg: Config | None = None) -> tuple[Store, Config]:
    cfg = cfg or Config(url=URL, openwebui_log=Path("/var/log/owui.log"))
    store = Store()
    for path in paths:
        store.apply(OwuiLogBatch(time.time(), "openwebui:owui.log", tuple(owui_lines(path))))
    return store, cfg


# ---------------------------------------------------------------- the checks, from Open WebUI's log


@pytest.mark.parametrize(
    ("phase", "check", "words"),
    [
        ("fail_no_v1", "client.base_url", "misses `/v1`"),
        ("fail_closed_port", "client.base_url", "cannot reach the embedding server"),
        ("fail_wrong_model", "client.model_name", "the model it names is not served"),
        ("fail_too_long", "ingest.errors", "bad requests (400)"),
    ],
)
def test_each_real_misconfiguration_fails_its_check_citing_the_line(phase: str, check: str, words: str) -> None:
    store, cfg = fed(capture(f"{phase}/owui.log", REAL))
    r = judged(store, cfg)
    assert r[check].status == Status.FAIL and words in r[check].summary, r[check].summary
    assert r[check].evidence[0].startswith("Open WebUI log line ") and "2026-11-28" in r[check].evidence[0]
    assert r[check].fix
    assert r["ingest.errors"].status == Status.FAIL  # the file failed too: it names the root's check
    if check != "ingest.errors":
        assert f"(see {check})" in r["ingest.errors"].summary


def test_closed_port_cites_host_and_port() -> None:
    store, cfg = fed(capture("fail_closed_port/owui.log", REAL))
    base = judged(store, cfg)["client.base_url"]
    assert "Cannot connect to host 127.0.0.1:8019" in base.evidence[0]
    assert "host.docker.internal" in base.fix


def test_dimension_error_names_both_widths_and_what_reindex_misses() -> None:
    store, cfg = fed(capture("owui.log.excerpt.txt", CAPTURES / "openwebui"))
    dims = judged(store, cfg)["client.dimensions"]
    assert dims.status == Status.FAIL
    assert "holds 2560-dim vectors, Open WebUI now sends 1024-dim" in dims.summary
    assert "Collection expecting embedding with dimension of 2560, got 1024" in dims.evidence[0]
    assert "Reindex" in dims.fix and "before 0.12" in dims.fix.lower()


def test_clean_ingest_passes_and_a_later_success_clears_a_failure() -> None:
    store, cfg = fed(capture("ingest/owui.log", REAL))
    r = judged(store, cfg)
    assert all(r[c].status == Status.PASS for c in CLIENT), {c: r[c].summary for c in CLIENT}
    store, cfg = fed(capture("fail_no_v1/owui.log", REAL), capture("ingest/owui.log", REAL))
    r = judged(store, cfg)
    assert r["client.base_url"].status == Status.PASS and r["ingest.errors"].status == Status.PASS


def test_width_error_is_not_cleared_by_embeddings_only_by_a_linked_file() -> None:
    excerpt = owui_lines(EXCERPT)
    upto = next(i for i, x in enumerate(excerpt) if "Failed to link file" in x) + 1
    store = Store()
    cfg = Config(url=URL, openwebui_log=Path("owui.log"))
    store.apply(OwuiLogBatch(time.time(), "owui", tuple(excerpt[:upto])))
    embedded = [x for x in excerpt if "embeddings generated" in x]
    store.apply(OwuiLogBatch(time.time(), "owui", tuple(embedded)))  # embedding works: the store still refuses
    assert judged(store, cfg)["client.dimensions"].status == Status.FAIL
    linked = [x for x in excerpt if "Linked file" in x]
    store.apply(OwuiLogBatch(time.time(), "owui", tuple(linked[-1:])))  # a knowledge base took the vectors
    assert judged(store, cfg)["client.dimensions"].status == Status.PASS


def test_duplicate_content_is_a_warning_that_does_not_blame_the_server() -> None:
    from tui.logs.owui import ENTRIES

    dup = next(e for e in ENTRIES if e.id == "owui.duplicate").examples[0]
    line = f"2026-11-28 06:20:00.000 | ERROR    | open_webui.routers.retrieval:save_docs_to_vector_db:1450 - {dup}"
    store = Store()
    cfg = Config(url=URL, openwebui_log=Path("owui.log"))
    store.apply(OwuiLogBatch(time.time(), "owui", (line,)))
    r = judged(store, cfg)["ingest.errors"]
    assert r.status == Status.WARN and "client side: the embedding server is fine" in r.summary
    assert "Nothing to fix on the server" in r.fix


def test_each_check_is_unknown_cleanly_without_the_source() -> None:
    r = judged(Store(), Config(url=URL))
    assert r["client.dimensions"].status == Status.UNKNOWN
    assert "--openwebui-log" in r["client.dimensions"].summary and "--openwebui" in r["client.dimensions"].summary
    for check in ("client.base_url", "client.model_name", "ingest.errors"):
        assert r[check].status == Status.UNKNOWN, (check, r[check].summary)
    # Configured but not read yet: waiting, not pass.
    r = judged(Store(), Config(url=URL, openwebui_log=Path("owui.log")))
    assert r["client.dimensions"].status == Status.UNKNOWN and "waiting" in r["client.dimensions"].summary


def test_an_unreadable_source_is_unknown_with_its_error() -> None:
    store = Store()
    store.apply(OwuiLogBatch(time.time(), "openwebui:docker:owui", error="--openwebui-docker owui: no such container"))
    r = judged(store, Config(url=URL, openwebui_docker="owui"))["client.dimensions"]
    assert r.status == Status.UNKNOWN and "no such container" in r.summary


# ---------------------------------------------------------------- followers


def test_file_follower_reads_appends_and_survives_rotation(tmp_path: Path) -> None:
    (tmp_path / "none.toml").write_text("")
    log = tmp_path / "owui.log"
    log.write_text("\n".join(owui_lines(capture("ingest/owui.log", REAL))) + "\n")
    cfg = load_targets({"url": URL, "openwebui_log": str(log)}, env={}, config_path=tmp_path / "none.toml")[0]
    tail = owui_log_source(cfg)
    assert tail is not None and cfg.owui_log_source == str(log)
    store = Store()
    try:
        batch = tail.read()
        assert batch.backlog and batch.source == f"openwebui:{log}" and len(batch.lines) == 15
        store.apply(batch)
        assert judged(store, cfg)["client.base_url"].status == Status.PASS
        os.rename(log, tmp_path / "owui.log.1")  # rotated; the new file gets the next phase
        log.write_text("\n".join(owui_lines(capture("fail_no_v1/owui.log", REAL))) + "\n")
        for _ in range(3):
            store.apply(tail.read())
        assert store.owui_log.batch is not None and store.owui_log.lines > 15
        r = judged(store, cfg)["client.base_url"]
        assert r.status == Status.FAIL and "owui.embed_not_found_path" in r.summary
    finally:
        tail.close()


def test_docker_follower_and_its_one_line_errors(tmp_path: Path) -> None:
    body = f"""
case "$1" in
  inspect)
    if [ "$4" = open-webui ]; then echo 2026-11-28T06:17:00Z; exit 0; fi
    echo "Error: No such object: $4" >&2; exit 1 ;;
  logs) cat {capture("fail_too_long/owui.log", REAL)}; exec sleep 30 ;;
esac
exit 2
"""
    docker = script(tmp_path, "docker", body)
    from tui.collectors.logcommand import docker_tail
    from tui.collectors.owuilog import OwuiLogCollector

    flags = {"flag": "--openwebui-docker", "file_flag": "--openwebui-log"}
    tail = OwuiLogCollector(docker_tail("open-webui", docker=str(docker), **flags))
    store = Store()
    try:
        for batch in read_until(tail, lambda bs: sum(len(b.lines) for b in bs) >= 30):
            store.apply(batch)
    finally:
        tail.close()
    r = judged(store, Config(url=URL, openwebui_docker="open-webui"))["ingest.errors"]
    assert r.status == Status.FAIL and "owui.embed_bad_request" in r.summary
    batch = OwuiLogCollector(docker_tail("nope", docker=str(docker), **flags)).read()
    assert batch.error == "--openwebui-docker nope: no such container (see `docker ps -a` for names)"
    batch = OwuiLogCollector(docker_tail("x", docker=str(tmp_path / "no-docker"), **flags)).read()
    assert batch.error is not None and batch.error.endswith("use --openwebui-log FILE")


def test_targets_keys_and_two_sources(tmp_path: Path) -> None:
    (tmp_path / "none.toml").write_text("")
    toml = tmp_path / "targets.toml"
    toml.write_text(
        'openwebui_docker = "open-webui"\n'
        '[[targets]]\nname = "a"\nurl = "http://127.0.0.1:8000"\n'
        '[[targets]]\nname = "b"\nurl = "http://127.0.0.1:8001"\nopenwebui_log = "/var/log/owui-b.log"\n'
    )
    a, b = load_targets({}, env={}, config_path=toml)
    assert a.owui_log_source == "docker:open-webui" and b.owui_log_source == "/var/log/owui-b.log"
    with pytest.raises(ConfigError, match="name two sources of Open WebUI's log"):
        load_targets(
            {"openwebui_log": "/tmp/o.log"},
            env={"EMBEDTOP_OPENWEBUI_JOURNAL": "owui"},
            config_path=tmp_path / "none.toml",
        )
    with pytest.raises(ConfigError, match="names one server"):
        load_targets({"openwebui_log": "/tmp/o.log"}, env={}, config_path=toml)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(ROOT / "tests"))  # no user config file
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "--url", URL, "--openwebui-log", "/"], "--openwebui-log '/' is a directory"),
        (["watch", "--url", URL, "--openwebui-log", "/tmp/o.log", "--openwebui-docker", "x"], "not allowed with"),
    ],
)
def test_bad_paths_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    proc = run_cli(*args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and needle in lines[0], proc.stderr


# ---------------------------------------------------------------- headless and dashboard


@pytest.fixture
def healthy(tmp_path: Path):
    target = DemoTarget("healthy", tmp_path / "demo.log", stats_interval=0.5).start()
    try:
        yield target
    finally:
        target.stop()


@pytest.mark.parametrize(
    ("owui_log", "vllm_log", "failing"),
    [
        (REAL / "fail_no_v1/owui.log", REAL / "fail_no_v1/vllm.log", "client.base_url"),
        (REAL / "fail_wrong_model/owui.log", REAL / "fail_wrong_model/vllm.log", "client.model_name"),
        (REAL / "fail_closed_port/owui.log", None, "client.base_url"),
        (EXCERPT, None, "client.dimensions"),
        (REAL / "ingest/owui.log", REAL / "ingest/vllm.log", None),
    ],
)
async def test_headless_check_on_the_real_captures(
    owui_log: Path, vllm_log: Path | None, failing: str | None, healthy: DemoTarget
) -> None:
    cfg = Config(
        url=healthy.url,
        log=vllm_log or healthy.log_path,
        openwebui_log=owui_log,
        model="Qwen3-Embedding-4B",
        interval=0.5,
        timeout=3.0,
    )
    verdict = await run_check(cfg, wait=3)
    r = {x.id: x for x in verdict.results}
    red = {c for c in CLIENT if r[c].status == Status.FAIL}
    if failing is None:
        assert not red, {c: r[c].summary for c in red}
        assert {r[c].status for c in CLIENT} == {Status.PASS}, {c: r[c].summary for c in CLIENT}
    else:
        assert failing in red and r[failing].evidence and r[failing].fix


def test_check_json_cli_names_the_failing_check(healthy: DemoTarget) -> None:
    vlog = capture("fail_no_v1/vllm.log", REAL)
    olog = capture("fail_no_v1/owui.log", REAL)
    proc = run_cli(
        "check", "--url", healthy.url, "--log", str(vlog), "--openwebui-log", str(olog), "--json", "--wait", "2"
    )
    assert proc.returncode == 1, proc.stderr
    report = {c["id"]: c for c in json.loads(proc.stdout)["checks"]}
    base = report["client.base_url"]
    assert base["status"] == "fail" and "Open WebUI log line" in " ".join(base["evidence"])
    assert "http://HOST:PORT/v1" in base["fix"]


async def test_dashboard_shows_the_dimension_error_from_the_followed_log(healthy: DemoTarget, tmp_path: Path) -> None:
    from tests.test_app import wait_for
    from tui.app import EmbedtopApp

    log = tmp_path / "owui.log"
    log.write_text("")
    cfg = Config(
        url=healthy.url,
        log=healthy.log_path,
        openwebui_log=log,
        model="Qwen3-Embedding-4B",
        interval=0.3,
        probe_interval=0.3,
    )
    app = EmbedtopApp(cfg, demo=healthy, nvml=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot, lambda: {r.id: r.status for r in app.targets[0].results}.get("client.dimensions") == Status.PASS
        )
        with log.open("a") as fh:  # Open WebUI writes the failure while we watch
            fh.write("\n".join(owui_lines(EXCERPT)) + "\n")
        await wait_for(
            pilot, lambda: {r.id: r.status for r in app.targets[0].results}.get("client.dimensions") == Status.FAIL
        )
        dims = next(r for r in app.targets[0].results if r.id == "client.dimensions")
        assert "2560-dim" in dims.summary and "Reindex" in dims.fix


# ---------------------------------------------------------------- Open WebUI's embedding URL against the server


def linked(embedding_url: str, cfg: Config, requests: bool = False) -> dict:
    from tests.test_ingest import replay
    from tui.samples import HttpResult, ModelInfo, OwuiSample, ServerSample

    store = Store()
    store.apply(ServerSample(time.time(), cfg.url, HttpResult(200), models=(ModelInfo("Qwen3-Embedding-4B"),)))
    if requests:
        replay("ingest", store)  # the real 72-chunk ingest reaches vLLM
    owui = OwuiSample(time.time(), "http://owui:8080", engine="openai", model="Qwen3-Embedding-4B")
    from dataclasses import replace

    store.apply(replace(owui, embedding_url=embedding_url))
    return judged(store, cfg)


def test_another_port_on_the_same_host_fails_with_the_fix() -> None:
    cfg = Config(url="http://127.0.0.1:8011", log=Path("/var/log/vllm.log"))
    base = linked("http://127.0.0.1:8019/v1", cfg)["client.base_url"]
    assert base.status == Status.FAIL and "posts to port 8019, the server listens on 8011" in base.summary
    assert "http://HOST:8011/v1" in base.fix
    assert any("Open WebUI embedding URL: http://127.0.0.1:8019/v1" in e for e in base.evidence)
    assert linked("http://localhost:8011/v1", cfg)["client.base_url"].status != Status.FAIL
    from_docker = linked("http://host.docker.internal:8019/v1", cfg)["client.base_url"]
    assert from_docker.status == Status.FAIL  # the host's own ports: no port mapping can explain it


def test_another_port_on_a_container_name_is_a_warning() -> None:
    cfg = Config(url="http://127.0.0.1:8001", log=Path("/var/log/vllm.log"))
    base = linked("http://vllm:8000/v1", cfg)["client.base_url"]
    assert base.status == Status.WARN and "vllm:8000" in base.summary and "port mapping" in base.fix


def test_localhost_from_inside_docker_is_noted_unless_requests_arrive() -> None:
    cfg = Config(url="http://127.0.0.1:8011", log=Path("/var/log/vllm.log"), openwebui_docker="open-webui")
    base = linked("http://127.0.0.1:8011/v1", cfg)["client.base_url"]
    assert base.status == Status.WARN and "its own container" in base.summary
    assert "host.docker.internal" in base.fix and any("runs in docker (open-webui)" in e for e in base.evidence)
    assert linked("http://127.0.0.1:8011/v1", cfg, requests=True)["client.base_url"].status == Status.PASS
    plain = Config(url="http://127.0.0.1:8011", log=Path("/var/log/vllm.log"))  # not known to run in docker
    assert linked("http://127.0.0.1:8011/v1", plain)["client.base_url"].status != Status.WARN


def test_another_port_while_requests_arrive_is_a_proxy_warning() -> None:
    cfg = Config(url="http://127.0.0.1:8011", log=Path("/var/log/vllm.log"))
    base = linked("http://127.0.0.1:4000/v1", cfg, requests=True)["client.base_url"]
    assert base.status == Status.WARN and any("proxy" in e for e in base.evidence)


# ---------------------------------------------------------------- knowledge bases and stuck files (the link)


def with_files(files: tuple, knowledge: tuple, requests: bool = False) -> dict:
    from tests.test_ingest import replay
    from tui.samples import HttpResult, MetricsSample, ModelInfo, OwuiSample, ServerSample

    store = Store()
    if requests:
        replay("ingest", store)  # the real 72-chunk ingest reaches vLLM
    metrics = MetricsSample(time.time(), waiting=0.0)
    store.apply(
        ServerSample(time.time(), URL, HttpResult(200), models=(ModelInfo("Qwen3-Embedding-4B"),), metrics=metrics)
    )
    in_flight = tuple(f for f in files if f.status in ("pending", "processing"))
    store.apply(OwuiSample(time.time(), "http://owui:8080", files=files, knowledge=knowledge, in_flight=in_flight))
    return judged(store, Config(url=URL, log=Path("/var/log/vllm.log"), openwebui="http://owui:8080"))


def test_a_file_stuck_while_no_request_reaches_vllm_fails_and_a_slow_one_does_not() -> None:
    from tui.samples import OwuiFile, OwuiKnowledge

    now = time.time()
    stuck = OwuiFile("f1", "manual.pdf", "processing", updated=now - 900, knowledge_id="kb1")
    done = OwuiFile("f2", "notes.txt", "completed", updated=now - 60, knowledge_id="kb1")
    kb = (OwuiKnowledge("kb1", "Harbour docs", files=2, completed=1, in_flight=1),)
    r = with_files((stuck, done), kb)["ingest.stalled"]
    assert r.status == Status.FAIL and "1 files stuck in Open WebUI for up to 15 min" in r.summary
    assert "manual.pdf: processing for 15 min (knowledge base Harbour docs)" in r.evidence[0]
    assert any("Harbour docs: 2 files — 1 completed, 0 failed, 1 in flight" in e for e in r.evidence)
    assert "before embedding" in r.fix
    slow = with_files((stuck, done), kb, requests=True)["ingest.stalled"]
    assert slow.status == Status.PASS and "slow embedding, not stuck" in slow.summary
    fresh = OwuiFile("f3", "new.txt", "pending", updated=now - 20, knowledge_id="kb1")
    ok = with_files((fresh, done), kb)["ingest.stalled"]
    assert ok.status == Status.PASS and any("Harbour docs" in e for e in ok.evidence)


def test_recorded_open_webui_log_replays_into_the_same_findings(tmp_path: Path) -> None:
    from tui.state.recording import Recorder, read

    rec = Recorder(tmp_path / "rec.jsonl")
    batch = OwuiLogBatch(time.time(), "openwebui:owui.log", tuple(owui_lines(EXCERPT)), backlog=True)
    rec.sample(batch)
    rec.close()
    ((_, kind, back),) = list(read(tmp_path / "rec.jsonl"))
    assert kind == "OwuiLogBatch" and back == batch
    store = Store()
    store.apply(back)
    # A replay has no --openwebui-log in its config: the recorded source is enough.
    assert judged(store, Config(url=URL))["client.dimensions"].status == Status.FAIL


async def test_a_quiet_open_webui_log_does_not_redraw() -> None:
    from tui.runtime.target import TargetRun

    run = TargetRun(Config(url=URL, openwebui_log=Path("owui.log")), live=False)
    changes = []
    run.on_change = lambda target, sample: changes.append(sample)
    run.on_sample(OwuiLogBatch(time.time(), "owui", tuple(owui_lines(EXCERPT))))
    run.on_sample(OwuiLogBatch(time.time(), "owui"))
    run.on_sample(OwuiLogBatch(time.time(), "owui"))
    assert len(changes) == 1
    assert {r.id: r.status for r in run.results}["client.dimensions"] == Status.FAIL


# ---------------------------------------------------------------- the vector store itself (--openwebui-data)

CHROMA = CAPTURES / "openwebui-chroma"  # Open WebUI 0.12.4's Chroma (chromadb 1.5.9): 384-dim collections


def with_store(dims: int, data: Path = CHROMA) -> dict:
    from tui.collectors.owuistore import read_chroma
    from tui.samples import ProbeSample

    store = Store()
    store.apply(read_chroma(data))
    store.apply(ProbeSample(time.time(), "Qwen3-Embedding-4B", 200, 0.01, dims=dims))
    return judged(store, Config(url=URL, openwebui_data=data))


def test_collections_of_another_width_fail_even_when_nothing_failed_loudly() -> None:
    from tui.collectors.owuistore import read_chroma

    sample = read_chroma(capture("vector_db/chroma.sqlite3", CHROMA).parents[1])
    assert sample.ok and {(c.dims, c.model) for c in sample.collections} == {(384, "Qwen3-Embedding-4B")}
    assert len(sample.collections) == 2
    dims = with_store(1024)["client.dimensions"]  # the server now returns 1024-dim vectors
    assert dims.status == Status.FAIL
    assert (
        "2 of 2 collections in Open WebUI's vector store hold 384-dim vectors, the server returns 1024" in dims.summary
    )
    assert "silently come back empty" in dims.summary
    assert any("built with Qwen3-Embedding-4B" in e for e in dims.evidence)
    assert "Reindex" in dims.fix and "Before Open WebUI 0.12" in dims.fix
    same = with_store(384)["client.dimensions"]
    assert same.status == Status.PASS and "all 384-dim" in same.summary


def test_the_store_is_opened_read_only_and_a_missing_one_is_one_line(tmp_path: Path) -> None:
    import shutil

    from tui.collectors.owuistore import read_chroma

    copy = tmp_path / "data"
    shutil.copytree(CHROMA, copy)
    db = copy / "vector_db" / "chroma.sqlite3"
    before = db.stat().st_mtime_ns, db.read_bytes()
    db.chmod(0o444)  # read-only is enough
    assert read_chroma(copy).ok
    assert (db.stat().st_mtime_ns, db.read_bytes()) == before
    assert not list((copy / "vector_db").glob("chroma.sqlite3-*"))  # no journal or WAL left behind
    missing = read_chroma(tmp_path)
    assert missing.error is not None and "no Chroma store at" in missing.error
    r = judged(Store(), Config(url=URL, openwebui_data=tmp_path))["client.dimensions"]
    assert r.status == Status.UNKNOWN
    proc = run_cli("check", "--url", URL, "--openwebui-data", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "--openwebui-data" in proc.stderr and "is not a directory" in proc.stderr
