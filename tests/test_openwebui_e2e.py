"""End to end with real systems: a real Open WebUI 0.12.4 ingests a 50-chunk document into a knowledge base
through a real vLLM 0.32 (CPU), while embedtop's collectors watch vLLM; then Open WebUI is pointed at the
base URL without /v1 and client.base_url must turn red with the fix; then at a port where nothing listens
(scenario b): client.base_url red from Open WebUI's own log followed live (`--openwebui-log`), from the link
(its embedding URL's port against the watched server's) and in `embedtop check --json`; then vLLM restarted on
the same port and name serving another width (a tiny random-weight Qwen3: 128 dims; the knowledge base holds 384):
after only a query (a': nothing fails loudly) `check --json --openwebui-data` fails client.dimensions from the
stored collection width, and after an upload (a) Open WebUI's log has the width error with both widths.
(c) on the dashboard itself: `test_real_clean_ingest_on_the_ingestion_screen` runs the app against a fresh pair and
reads a document's row on the Ingestion screen going pending → processing → completed with its chunk count.

Slow (about 2 minutes, plus one-time installs of ~80 s for vLLM and ~70 s for Open WebUI into ~/.cache/embedtop,
done here when missing; a failed install fails the test). Marked `real`: EMBEDTOP_SKIP_REAL=1 leaves it out with
the other real-server tests, EMBEDTOP_SKIP_OWUI_E2E=1 leaves out only this one. Uses the scripts in tools/
(tools/README.md). Every process is stopped by its PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.real_servers import OWUI_TOOLS, ensure_owui
from tests.test_real_vllm import TOOLS, VENV, ensure_installed, free_port
from tui.collectors.logtail import LogTail
from tui.collectors.openwebui import OpenWebUICollector
from tui.collectors.owuilog import owui_log_source
from tui.collectors.owuistore import read_chroma
from tui.collectors.server import ServerCollector
from tui.config import Config
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.state.store import Store

PARAS = 50

pytestmark = [pytest.mark.real, pytest.mark.openwebui]


async def watch(store: Store, url: str, log: Path, stop: asyncio.Event) -> None:
    """What the dashboard does, without the UI: the log every 0.5 s, /metrics every second."""
    tail = LogTail(log)
    async with httpx.AsyncClient(trust_env=False) as client:
        server = ServerCollector(client, url, 10, interval=1.0)
        last = 0.0
        while not stop.is_set():
            store.apply(await asyncio.to_thread(tail.read))
            if time.monotonic() - last >= 1.0:
                last = time.monotonic()
                store.apply(await server.collect())
            await asyncio.sleep(0.5)
    tail.close()


async def test_real_openwebui_ingest_and_bad_base_url(tmp_path: Path) -> None:
    ensure_installed()
    ensure_owui()
    port = free_port()
    vlog = tmp_path / "vllm.log"
    started = subprocess.run(
        ["bash", str(TOOLS / "start.sh"), str(port), str(vlog)], capture_output=True, text=True, timeout=360
    )
    assert started.returncode == 0, started.stderr[-2000:]
    vllm_pid = int(started.stdout.strip().splitlines()[-1])
    url = f"http://127.0.0.1:{port}"
    store, stop = Store(), asyncio.Event()
    watcher = asyncio.create_task(watch(store, url, vlog, stop))
    owui_pid = None
    try:
        await asyncio.sleep(2)  # the watcher has read the startup backlog
        env = dict(os.environ, PARAS=str(PARAS), KEEP_RUNNING="1", VLLM_LOG=str(vlog), TMPDIR=str(tmp_path))
        proc = await asyncio.create_subprocess_exec(
            "bash",
            str(OWUI_TOOLS / "ingest-into-real-vllm.sh"),
            f"{url}/v1",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out_bytes, _ = await asyncio.wait_for(proc.communicate(), timeout=900)
        out = out_bytes.decode(errors="replace")
        m = re.search(r"open-webui left running: pid (\d+) on (\S+) \(API key (\S+)\)", out)
        owui_pid = int(m.group(1)) if m else None
        owui_log = Path(re.search(r"open-webui pid \d+, log (\S+)", out).group(1))
        owui_data = Path(re.search(r"work dir: (\S+)", out).group(1)) / "data"
        assert proc.returncode == 0 and "RESULT: PASS" in out, out[-3000:]
        assert "file status: completed" in out
        chunks = [int(x) for x in re.search(r"per collection \(file-<id>, then the KB\): (\d+)\+(\d+)", out).groups()]
        assert chunks[0] >= PARAS
        assert m is not None
        owui, key = m.group(2), m.group(3)
        kb = re.search(r"knowledge base: (\S+)", out).group(1)

        # embedtop saw the ingestion from vLLM's side: one burst, every chunk of both passes, no errors.
        await asyncio.sleep(12)  # quiet for longer than the burst gap
        store.ingest.tick(time.time())
        bursts = list(store.ingest.bursts)
        assert bursts, "no ingestion burst seen"
        biggest = max(bursts, key=lambda b: b.ok)
        assert biggest.ok >= sum(chunks) and not biggest.errors, (biggest.ok, biggest.errors, chunks)
        assert store.ingest.totals["200 POST /v1/embeddings"] >= sum(chunks) + 1  # + KB create (+ the query)
        assert not [label for label in store.ingest.totals if not label.startswith("200")]
        cfg = Config(url=url, log=vlog, model="Qwen3-Embedding-4B")
        results = {r.id: r for r in evaluate(store, cfg, time.time())}
        for check in ("client.base_url", "client.model_name", "ingest.errors", "ingest.stalled"):
            assert results[check].status == Status.PASS, (check, results[check].summary)

        # The read-only Open WebUI link sees its config and the completed file.
        auth = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(headers=auth, trust_env=False) as c:
            link = await OpenWebUICollector(c, owui, 30).collect()
        assert link.ok, link.error
        assert (link.engine, link.model, link.embedding_url) == ("openai", "Qwen3-Embedding-4B", f"{url}/v1")
        assert link.files and link.files[0].status == "completed"
        store.apply(link)
        linked = Config(url=url, log=vlog, model="Qwen3-Embedding-4B", openwebui=owui)
        results = {r.id: r for r in evaluate(store, linked, time.time())}
        for check in ("client.base_url", "client.model_name", "client.dimensions"):
            assert results[check].status == Status.PASS, (check, results[check].summary)
        # (c) the clean ingest headless, with every Open WebUI source: no failing client or ingest check.
        clean_env = dict(os.environ, OWUI_TEST_KEY=key)
        clean = ["--url", url, "--log", str(vlog), "--openwebui", owui, "--openwebui-key-env", "OWUI_TEST_KEY"]
        clean += ["--openwebui-log", str(owui_log), "--openwebui-data", str(owui_data), "--json", "--wait", "20"]
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "check", *clean], capture_output=True, text=True, timeout=120, env=clean_env
        )
        report = {c["id"]: c for c in json.loads(proc.stdout)["checks"]}
        red = {
            i: c["summary"] for i, c in report.items() if i.startswith(("client.", "ingest.")) and c["status"] == "fail"
        }
        assert not red, red
        assert report["client.dimensions"]["status"] == "pass", report["client.dimensions"]
        assert key not in proc.stdout + proc.stderr

        # Now Open WebUI's base URL loses its /v1 (a common mistake): every chunk gets 404 on /embeddings.
        async with httpx.AsyncClient(base_url=owui, headers=auth, timeout=30, trust_env=False) as c:
            r = await c.post(
                "/api/v1/retrieval/embedding/update",
                json={
                    "RAG_EMBEDDING_ENGINE": "openai",
                    "RAG_EMBEDDING_MODEL": "Qwen3-Embedding-4B",
                    "RAG_EMBEDDING_BATCH_SIZE": 1,
                    "ENABLE_ASYNC_EMBEDDING": True,
                    "RAG_EMBEDDING_CONCURRENT_REQUESTS": 0,
                    "openai_config": {"url": url, "key": ""},
                },
            )
            assert r.status_code == 200, r.text
            doc = "\n\n".join(f"Section {i}. The tug crew checks the mooring lines at dawn." for i in range(6))
            r = await c.post(
                "/api/v1/files/",
                files={"file": ("bad-url.txt", doc.encode(), "text/plain")},
                data={"metadata": f'{{"knowledge_id": "{kb}"}}'},
            )
            assert r.status_code == 200, r.text
            fid = r.json()["id"]
            status = None
            for _ in range(120):
                status = (await c.get(f"/api/v1/files/{fid}/process/status")).json().get("status")
                if status in ("completed", "failed"):
                    break
                await asyncio.sleep(0.5)
            assert status == "failed"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            results = {r.id: r for r in evaluate(store, cfg, time.time())}
            if results["client.base_url"].status == Status.FAIL:
                break
            await asyncio.sleep(0.5)
        base = results["client.base_url"]
        assert base.status == Status.FAIL and "without /v1" in base.summary
        assert "http://HOST:PORT/v1" in base.fix and '"POST /embeddings HTTP/1.1" 404' in base.evidence[0]
        assert results["ingest.errors"].status == Status.FAIL
        # The link names the mistake from Open WebUI's side too: its config and the failed file.
        async with httpx.AsyncClient(headers=auth, trust_env=False) as c:
            link = await OpenWebUICollector(c, owui, 30).collect()
        assert link.embedding_url == url and link.files[0].status == "failed"
        assert "404" in link.files[0].error and "/embeddings" in link.files[0].error
        store.apply(link)
        base = {r.id: r for r in evaluate(store, linked, time.time())}["client.base_url"]
        assert base.status == Status.FAIL and "Open WebUI's base URL has no /v1" in base.summary

        # Open WebUI's own log, followed as the dashboard does, names the same mistake from its side.
        follower = owui_log_source(Config(url=url, openwebui_log=owui_log))
        assert follower is not None
        try:
            own = Store()  # Open WebUI's log alone
            own.apply(follower.read())
            seen = {r.id: r for r in evaluate(own, Config(url=url, openwebui_log=owui_log), time.time())}
            assert seen["client.base_url"].status == Status.FAIL, seen["client.base_url"].summary
            assert "owui.embed_not_found_path" in seen["client.base_url"].summary
            assert seen["client.base_url"].evidence[0].startswith("Open WebUI log line ")

            # (b) the embedding URL at a port where nothing listens: Open WebUI cannot connect.
            closed = free_port()
            async with httpx.AsyncClient(base_url=owui, headers=auth, timeout=30, trust_env=False) as c:
                r = await c.post(
                    "/api/v1/retrieval/embedding/update",
                    json={
                        "RAG_EMBEDDING_ENGINE": "openai",
                        "RAG_EMBEDDING_MODEL": "Qwen3-Embedding-4B",
                        "RAG_EMBEDDING_BATCH_SIZE": 1,
                        "ENABLE_ASYNC_EMBEDDING": True,
                        "RAG_EMBEDDING_CONCURRENT_REQUESTS": 0,
                        "openai_config": {"url": f"http://127.0.0.1:{closed}/v1", "key": ""},
                    },
                )
                assert r.status_code == 200, r.text
                doc = "\n\n".join(f"Part {i}. The pilot boards the ship at the outer buoy." for i in range(6))
                r = await c.post(
                    "/api/v1/files/",
                    files={"file": ("closed-port.txt", doc.encode(), "text/plain")},
                    data={"metadata": f'{{"knowledge_id": "{kb}"}}'},
                )
                assert r.status_code == 200, r.text
                fid = r.json()["id"]
                for _ in range(120):
                    status = (await c.get(f"/api/v1/files/{fid}/process/status")).json().get("status")
                    if status in ("completed", "failed"):
                        break
                    await asyncio.sleep(0.5)
                assert status == "failed"
            live = Config(url=url, openwebui_log=owui_log)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                own.apply(await follower.collect())
                base = {r.id: r for r in evaluate(own, live, time.time())}["client.base_url"]
                if "owui.cannot_connect" in base.summary:
                    break
                await asyncio.sleep(0.5)
            assert base.status == Status.FAIL and "owui.cannot_connect" in base.summary, base.summary
            assert f"Cannot connect to host 127.0.0.1:{closed}" in base.evidence[0]
        finally:
            follower.close()
        # The link sees the port: Open WebUI posts to `closed`, the watched server listens on `port`.
        async with httpx.AsyncClient(headers=auth, trust_env=False) as c:
            link = await OpenWebUICollector(c, owui, 30).collect()
        # Its vector store read directly (--openwebui-data): the knowledge base's collection and its width.
        stored = read_chroma(owui_data)
        assert stored.ok, stored.error
        (kb_col,) = [c for c in stored.collections if c.name == kb]
        assert kb_col.dims == 384 and kb_col.model == "Qwen3-Embedding-4B", kb_col  # all-MiniLM under that name
        (base_kb,) = [k for k in link.knowledge if k.id == kb]  # its files' states, from one files page
        assert base_kb.completed >= 1 and base_kb.failed >= 2 and base_kb.in_flight == 0, base_kb
        assert not link.in_flight
        only_link = Store()
        only_link.apply(link)
        base = {r.id: r for r in evaluate(only_link, linked, time.time())}["client.base_url"]
        assert base.status == Status.FAIL and f"posts to port {closed}, the server listens on {port}" in base.summary

        # Headless, as a user runs it: `embedtop check … --openwebui-log OWUI_LOG --json`.
        env = dict(os.environ, OWUI_TEST_KEY=key)
        args = ["--url", url, "--log", str(vlog), "--openwebui", owui, "--openwebui-key-env", "OWUI_TEST_KEY"]
        args += ["--openwebui-log", str(owui_log), "--model", "Qwen3-Embedding-4B", "--json", "--wait", "20"]
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "check", *args], capture_output=True, text=True, timeout=120, env=env
        )
        assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
        assert key not in proc.stdout + proc.stderr
        checks = {c["id"]: c for c in json.loads(proc.stdout)["checks"]}
        assert checks["client.base_url"]["status"] == "fail", checks["client.base_url"]

        # (a') the server restarted on the same port and name serving another width (a tiny random-weight Qwen3,
        # 128-dim vectors; the knowledge base holds 384-dim ones), then only a query: nothing fails loudly.
        model = tmp_path / "tiny-qwen3"
        subprocess.run(
            [str(VENV / "bin" / "python"), str(TOOLS / "make-tiny-qwen3.py"), str(model)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        subprocess.run(["bash", str(TOOLS / "stop.sh"), str(vllm_pid), "20"], capture_output=True, timeout=60)
        tiny_env = dict(os.environ, VLLM_MODEL_DIR=str(model), VLLM_READY_TIMEOUT="240")
        started = subprocess.run(
            ["bash", str(TOOLS / "start.sh"), str(port), str(vlog), "Qwen3-Embedding-4B"],
            capture_output=True,
            text=True,
            env=tiny_env,
            timeout=360,
        )
        assert started.returncode == 0, started.stderr[-2000:]
        vllm_pid = int(started.stdout.strip().splitlines()[-1])
        async with httpx.AsyncClient(base_url=owui, headers=auth, timeout=60, trust_env=False) as c:
            r = await c.post(
                "/api/v1/retrieval/embedding/update",
                json={
                    "RAG_EMBEDDING_ENGINE": "openai",
                    "RAG_EMBEDDING_MODEL": "Qwen3-Embedding-4B",
                    "RAG_EMBEDDING_BATCH_SIZE": 1,
                    "ENABLE_ASYNC_EMBEDDING": True,
                    "RAG_EMBEDDING_CONCURRENT_REQUESTS": 0,
                    "openai_config": {"url": f"{url}/v1", "key": ""},
                },
            )
            assert r.status_code == 200, r.text
            q = await c.post(
                "/api/v1/retrieval/query/collection",
                json={"collection_names": [kb], "query": "Who checks the mooring lines?", "k": 3},
            )
        wide = [*args[:8], "--openwebui-log", str(owui_log), "--openwebui-data", str(owui_data)]
        wide += ["--model", "Qwen3-Embedding-4B", "--json"]
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "check", *wide, "--wait", "30"],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        checks = {c["id"]: c for c in json.loads(proc.stdout)["checks"]}
        dims = checks["client.dimensions"]
        assert dims["status"] == "fail", (q.status_code, q.text[:300], dims)
        assert "hold 384-dim vectors, the server returns 128" in dims["summary"] and "Reindex" in dims["fix"]

        # (a) then an upload into the knowledge base: the vector store refuses the new width, loudly.
        async with httpx.AsyncClient(base_url=owui, headers=auth, timeout=60, trust_env=False) as c:
            doc = "\n\n".join(f"Note {i}. The harbour master logs each arrival." for i in range(6))
            r = await c.post(
                "/api/v1/files/",
                files={"file": ("after-restart.txt", doc.encode(), "text/plain")},
                data={"metadata": f'{{"knowledge_id": "{kb}"}}'},
            )
            assert r.status_code == 200, r.text
            fid = r.json()["id"]
            for _ in range(240):
                status = (await c.get(f"/api/v1/files/{fid}/process/status")).json().get("status")
                if status in ("completed", "failed"):
                    break
                await asyncio.sleep(0.5)
        follower = owui_log_source(Config(url=url, openwebui_log=owui_log))
        assert follower is not None
        try:
            logged = Store()
            logged.apply(follower.read())
        finally:
            follower.close()
        dims_log = {r.id: r for r in evaluate(logged, Config(url=url, openwebui_log=owui_log), time.time())}[
            "client.dimensions"
        ]
        assert dims_log.status == Status.FAIL, (status, dims_log.summary)
        assert "384" in dims_log.summary and "128" in dims_log.summary, dims_log.summary
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(watcher, timeout=10)
        if owui_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(owui_pid, signal.SIGTERM)
            for _ in range(40):
                try:
                    os.kill(owui_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.25)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(owui_pid, signal.SIGKILL)
        subprocess.run(["bash", str(TOOLS / "stop.sh"), str(vllm_pid), "20"], capture_output=True, timeout=60)


HOLD_PENDING_S = 3.0  # below Open WebUI's SQLite busy_timeout (5 s): the held update waits, it does not fail


def hold_pending(db: Path, filename: str, locked: threading.Event, release: threading.Event) -> str:
    """Hold Open WebUI's database busy from the moment `filename`'s row is committed (pending) until `release`:
    its first update (→ processing) waits on the write lock, as it would behind a busy writer; readers (the files
    list) go on. Open WebUI 0.12.4 keeps an upload pending about 10 ms otherwise (measured: the upload answered at
    39 ms, processing from 54 ms), far inside any poll interval. Returns the status the row had once the lock was
    taken: "pending" when the hold won the race with Open WebUI's update."""
    conn = sqlite3.connect(db, timeout=0.5, isolation_level=None)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if conn.execute("SELECT 1 FROM file WHERE filename = ?", (filename,)).fetchone():
                break
            time.sleep(0.0005)
        else:
            return "never uploaded"
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT data FROM file WHERE filename = ?", (filename,)).fetchone()
        status = json.loads(row[0] or "{}").get("status", "") if row else ""
        locked.set()
        release.wait(HOLD_PENDING_S if status == "pending" else 0)
        conn.execute("ROLLBACK")
        return status
    finally:
        conn.close()


async def test_real_clean_ingest_on_the_ingestion_screen(tmp_path: Path) -> None:
    """(c) on the dashboard itself: a real Open WebUI 0.12.4 ingests a document through a real vLLM while the app
    runs with its own collectors (the link, Open WebUI's log and data dir, vLLM's log); the Ingestion screen's row
    for that document goes pending → processing → completed and shows its chunk count — each state read through
    the pilot after the runtime's TargetChanged redraws, with bounded waits."""
    from tui.app import EmbedtopApp
    from tui.screens.ingestion import IngestionScreen
    from tui.widgets.documents import DocumentTable

    ensure_installed()
    ensure_owui()
    port = free_port()
    vlog = tmp_path / "vllm.log"
    started = subprocess.run(
        ["bash", str(TOOLS / "start.sh"), str(port), str(vlog)], capture_output=True, text=True, timeout=360
    )
    assert started.returncode == 0, started.stderr[-2000:]
    vllm_pid = int(started.stdout.strip().splitlines()[-1])
    url = f"http://127.0.0.1:{port}"
    owui_pid = None
    try:
        env = dict(os.environ, PARAS="6", KEEP_RUNNING="1", VLLM_LOG=str(vlog), TMPDIR=str(tmp_path))
        proc = await asyncio.create_subprocess_exec(
            "bash",
            str(OWUI_TOOLS / "ingest-into-real-vllm.sh"),
            f"{url}/v1",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out = (await asyncio.wait_for(proc.communicate(), timeout=600))[0].decode(errors="replace")
        m = re.search(r"open-webui left running: pid (\d+) on (\S+) \(API key (\S+)\)", out)
        owui_pid = int(m.group(1)) if m else None
        assert proc.returncode == 0 and m is not None, out[-3000:]
        owui, key = m.group(2), m.group(3)
        kb = re.search(r"knowledge base: (\S+)", out).group(1)
        owui_log = Path(re.search(r"open-webui pid \d+, log (\S+)", out).group(1))
        data = Path(re.search(r"work dir: (\S+)", out).group(1)) / "data"
        cfg = Config(
            url=url,
            log=vlog,
            model="Qwen3-Embedding-4B",
            openwebui=owui,
            openwebui_key=key,
            openwebui_log=owui_log,
            openwebui_data=data,
        )
        app = EmbedtopApp(cfg)
        async with app.run_test(size=(120, 36)) as pilot:
            target = app.targets[0]

            async def until(cond, timeout: float, what: str) -> None:
                deadline = time.monotonic() + timeout
                while not cond():
                    assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
                    await pilot.pause(0.05)

            await until(lambda: target.store.owui is not None and target.store.owui.ok, 30, "Open WebUI's first answer")
            await pilot.press("i")
            screen = app.screen
            assert isinstance(screen, IngestionScreen)
            table = screen.query_one(DocumentTable)
            seen: list[str] = []

            def row(fid: str):
                return next((r for r in table.rows_shown if r.file.id == fid), None)

            def note(fid: str) -> bool:
                r = row(fid)
                if r is not None and (not seen or seen[-1] != r.file.status):
                    seen.append(r.file.status)
                return r is not None

            doc = "\n\n".join(
                f"Section {i}. The tug crew checks the mooring lines at dawn, logs the tide height in the harbour "
                f"book and radios the pilot boat before the ferry leaves berth {i}." * 3
                for i in range(90)
            )
            auth = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=owui, headers=auth, timeout=60, trust_env=False) as c:

                async def upload(name: str) -> tuple[str, str]:
                    """Upload `name`, held pending; the id and the status the hold found."""
                    locked, release = threading.Event(), threading.Event()
                    held = asyncio.create_task(
                        asyncio.to_thread(hold_pending, data / "webui.db", name, locked, release)
                    )
                    r = await c.post(
                        "/api/v1/files/",
                        files={"file": (name, doc.encode(), "text/plain")},
                        data={"metadata": json.dumps({"knowledge_id": kb})},
                    )
                    assert r.status_code == 200, r.text
                    fid = r.json()["id"]
                    await until(lambda: locked.is_set() or held.done(), 20, "the hold")
                    seen.clear()
                    if not held.done():  # held pending: the link's next answer shows it
                        shows = screen.shows
                        target.pollers["openwebui"].trigger()
                        await until(lambda: screen.shows > shows and note(fid), 10, "the row after the trigger")
                    release.set()
                    return fid, await held

                for attempt in range(3):  # the hold may lose its ~10 ms race with Open WebUI's update: again
                    fid, at_hold = await upload(f"clean-ingest-{attempt}.txt")
                    if at_hold == "pending" and seen[:1] == ["pending"]:
                        break
                    await until(lambda: note(fid) and seen[-1] in ("completed", "failed"), 240, "the earlier try")  # noqa: B023
                else:
                    pytest.fail(f"could not hold an upload pending in 3 tries (saw {seen})")

                await until(lambda: note(fid) and seen[-1] in ("completed", "failed"), 300, "completed")
                await until(lambda: (r := row(fid)) is not None and r.chunks is not None, 30, "its chunk count")
            done = row(fid)
            assert done is not None
            assert seen == ["pending", "processing", "completed"], seen
            assert done.chunks is not None and done.chunks >= 90, done.chunks  # its own collection's chunks
            assert done.requests is not None and done.requests >= 2 * done.chunks  # both passes reached vLLM
            assert done.duration_s is not None and not done.file.error
            kb_row = next(k for k in target.store.owui.knowledge if k.id == kb)
            assert kb_row.completed >= 2 and kb_row.failed == 0 and kb_row.in_flight == 0, kb_row
            shots = os.environ.get("EMBEDTOP_SHOTS")  # screenshots/make_screenshots.py --real keeps this one
            app.save_screenshot(filename="ingestion-real.svg", path=shots or str(tmp_path))
            text = app.export_screenshot()
            assert key not in text and "completed" in text and f"{done.chunks}" in text
    finally:
        if owui_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(owui_pid, signal.SIGTERM)
            for _ in range(40):
                try:
                    os.kill(owui_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.25)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(owui_pid, signal.SIGKILL)
        subprocess.run(["bash", str(TOOLS / "stop.sh"), str(vllm_pid), "20"], capture_output=True, timeout=60)
