"""The real thing: a real PostgreSQL 18.3 + pgvector 0.8.2 (tools/postgres, installed into ~/.cache/embedtop on
first use), a real Open WebUI 0.12.4 pointed at it (VECTOR_DB=pgvector) and a stand-in embedding server
(384-dim); Open WebUI ingests a file into its default `vector(1536)` column, then a second one into a column
made with PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH=256, and embedtop's read-only login reads both. About 30 s.
Every process is stopped by its PID.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.real_servers import PG_TOOLS, ensure_owui, ensure_postgres
from tests.test_owui_pgvector import SECRET
from tui.collectors.owuipg import read_pgvector

pytestmark = [pytest.mark.real, pytest.mark.openwebui]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_open_webui_on_real_pgvector(tmp_path: Path) -> None:
    ensure_owui()
    ensure_postgres()
    sys.path.insert(0, str(ROOT / "tools" / "open-webui"))
    import owui_session  # tools/open-webui/owui_session.py

    port, emb_port = _free_port(), _free_port()
    pg_dir = Path(tempfile.mkdtemp(prefix="embedtop-pg."))  # under /tmp: PostgreSQL runs as another user
    pg_dir.chmod(0o755)
    env = dict(os.environ, PG_DATABASES="openwebui openwebui_small", PG_RO_PASSWORD=SECRET)
    started = subprocess.run(
        ["bash", str(PG_TOOLS / "start.sh"), str(port), str(pg_dir / "cluster")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert started.returncode == 0, started.stderr[-2000:]
    pg_pid = int(started.stdout.strip().splitlines()[-1])
    emb = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tools" / "open-webui" / "recording_embed_server.py"),
            *("--port", str(emb_port), "--model", "all-MiniLM-L6-v2", "--dim", "384"),
            *("--log", str(tmp_path / "requests.jsonl")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    owuis: list[Any] = []
    try:
        base = f"postgresql+psycopg://owui:owui-pass@127.0.0.1:{port}"
        for db, width in (("openwebui", None), ("openwebui_small", "256")):
            env_owui = {"VECTOR_DB": "pgvector", "PGVECTOR_DB_URL": f"{base}/{db}"}
            if width:
                env_owui["PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH"] = width
            owui = owui_session.OpenWebUI(
                f"http://127.0.0.1:{emb_port}/v1", tmp_path / db, env_owui, "all-MiniLM-L6-v2"
            )
            owuis.append(owui)
            owui.wait_healthy()
            result = owui.ingest(owui.admin_key(), paras=6)
            owui.stop()
            assert result["status"] == "completed", result
            log = owui.log.read_text()
            assert "Inserted 6 items into collection" in log
            assert not re.search(r"(?i)truncat|pad", log), "Open WebUI says nothing when it cuts or pads vectors"
        ro = f"postgresql://embedtop_ro:{SECRET}@127.0.0.1:{port}"
        padded = read_pgvector(f"{ro}/openwebui")
        assert padded.ok and padded.column == "vector(1536)", padded
        assert {(c.dims, c.exact) for c in padded.collections} == {(384, True)}
        assert {c.model for c in padded.collections} == {"all-MiniLM-L6-v2", ""}
        cut = read_pgvector(f"{ro}/openwebui_small")
        assert cut.ok and cut.column_dims == 256 and {(c.dims, c.exact) for c in cut.collections} == {(256, False)}
        assert SECRET not in repr(padded) + repr(cut)
        wrong = read_pgvector(f"postgresql://embedtop_ro:not-{SECRET}@127.0.0.1:{port}/openwebui")
        assert not wrong.ok and "password authentication failed" in (wrong.error or "")
        assert SECRET not in (wrong.error or "")
    finally:
        for owui in owuis:
            owui.stop()
        emb.terminate()
        emb.wait(10)
        stopped = subprocess.run(["bash", str(PG_TOOLS / "stop.sh"), str(pg_pid)], capture_output=True, timeout=60)
        shutil.rmtree(pg_dir, ignore_errors=True)
        assert stopped.returncode == 0
