"""Secrets never shown: Open WebUI's admin key (from --openwebui-key-env) and the embedding key Open WebUI itself
returns in `GET /api/v1/retrieval/embedding` (`openai_config.key`, in clear, in every version: see
tests/captures/openwebui-0.6.5 and openwebui-0.12.4-api) reach neither the screen, nor a recording, nor
`check --json`, nor an error's text; the Open WebUI key goes to Open WebUI only.

A stand-in Open WebUI on 127.0.0.1 answers the captured 0.12.4 bodies (and echoes the key in an error page when
asked with a bad path), beside the demo vLLM.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CAPTURES, ROOT, capture
from tests.loopback import Server
from tui.demo.target import DemoTarget

OWUI_KEY = "sk-owui-admin-SECRET-4f1d9c"
API = CAPTURES / "openwebui-0.12.4-api"
EMBED_KEY = json.loads(capture("embedding.json", API).read_text())["body"]["openai_config"]["key"]
BODIES = {
    "/api/v1/retrieval/embedding": "embedding.json",
    "/api/v1/files/": "files-content-false.json",
    "/api/v1/knowledge/": "knowledge.json",
    "/api/version": "version.json",
}


def _answer(conn: socket.socket, request: bytes) -> None:
    path = request.split(b" ", 2)[1].decode().split("?", 1)[0]
    if b"authorization: bearer " + OWUI_KEY.lower().encode() not in request.lower():
        status, body = "401 Unauthorized", json.dumps({"detail": "Not authenticated"})
    elif path in BODIES:
        status, body = "200 OK", json.dumps(json.loads(capture(BODIES[path], API).read_text())["body"])
    else:  # a careless proxy's error page that repeats the request's headers and the embedding key
        status, body = "500 Internal Server Error", f"<pre>{request.decode()} key={EMBED_KEY}</pre>"
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    conn.sendall(head.encode() + body.encode())


@pytest.fixture
def owui() -> Server:
    server = Server(_answer)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def healthy(tmp_path: Path) -> DemoTarget:
    target = DemoTarget("healthy", tmp_path / "demo.log", stats_interval=0.5).start()
    try:
        yield target
    finally:
        target.stop()


def no_secret(text: str, where: str) -> None:
    assert EMBED_KEY not in text, f"the embedding key Open WebUI returns reached {where}"
    assert OWUI_KEY not in text, f"the Open WebUI key reached {where}"


def test_the_captured_config_really_holds_the_embedding_key() -> None:
    assert EMBED_KEY.startswith("sk-emb-")  # both releases answer it in clear
    assert json.loads(capture("embedding.json", CAPTURES / "openwebui-0.6.5").read_text())["body"]["openai_config"][
        "key"
    ]


def test_check_json_and_its_errors_show_neither_key(healthy: DemoTarget, owui: Server, tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), OPENWEBUI_API_KEY=OWUI_KEY)
    url = f"http://127.0.0.1:{owui.port}"
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--url", healthy.url, "--openwebui", url, "--json", "--wait", "2"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout.startswith("{"), proc.stderr[-500:]
    report = json.loads(proc.stdout)
    assert any(c["id"] == "client.base_url" and c["status"] != "unknown" for c in report["checks"]), report
    no_secret(proc.stdout + proc.stderr, "check --json")
    assert any(OWUI_KEY.encode() in r for r in owui.requests), "the link sent Open WebUI its key"
    # the same with an Open WebUI path that answers an error page echoing both keys
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "check",
            "--url",
            healthy.url,
            "--openwebui",
            url + "/oops",
            "--json",
            "--wait",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=ROOT,
    )
    assert "HTTP 500" in bad.stdout, bad.stdout[-800:]
    no_secret(bad.stdout + bad.stderr, "check --json with Open WebUI failing")


async def test_screen_and_recording_show_neither_key(
    healthy: DemoTarget, owui: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_app import wait_for
    from tui.app import EmbedtopApp
    from tui.config import Config

    record = tmp_path / "rec.jsonl"
    cfg = Config(
        url=healthy.url,
        log=healthy.log_path,
        openwebui=f"http://127.0.0.1:{owui.port}",
        openwebui_key=OWUI_KEY,
        interval=0.3,
        probe_interval=0.3,
    )
    no_secret(repr(cfg), "Config's repr")
    app = EmbedtopApp(cfg, demo=healthy, nvml=None, record=record)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: record.exists() and '"kind":"OwuiSample"' in record.read_text(), timeout=20)
        await pilot.pause(0.5)
        screen = app.export_screenshot()
        assert "Harbour" in screen or "harbour" in screen or "127.0.0.1" in screen
        no_secret(screen, "the screen")
        for key in ("o", "i", "l"):  # other views, where they exist
            await pilot.press(key)
            await pilot.pause(0.2)
            no_secret(app.export_screenshot(), f"the screen after {key!r}")
    text = record.read_text()
    assert '"key_set":true' in text  # what remains of the embedding key: that there is one
    no_secret(text, "the recording")
