"""Open WebUI's log (issue 17, first part): its formats (loguru text 0.5.20+, Python logging ≤ 0.5, LOG_FORMAT=json),
the failures it names, on the real Open WebUI 0.12.4 + vLLM 0.32 captures and lines from public issues, and
`embedtop diagnose --openwebui-log`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tui.logs import owui

CAPTURES = ROOT / "tests" / "captures"


@pytest.mark.parametrize("entry", owui.ENTRIES, ids=lambda e: e.id)
def test_every_entry_wins_on_its_examples(entry: owui.OwuiEntry) -> None:
    assert entry.meaning and entry.cause and entry.fix and entry.source and entry.examples
    assert entry.check in ("client.dimensions", "client.base_url", "client.model_name", "ingest.errors")
    for example in entry.examples:
        hit = owui.match(example)
        assert hit is not None and hit[0] is entry, (entry.id, example)


@pytest.mark.parametrize(
    ("phase", "root", "check"),
    [
        ("fail_closed_port", "owui.cannot_connect", "client.base_url"),
        ("fail_no_v1", "owui.embed_not_found_path", "client.base_url"),
        ("fail_wrong_model", "owui.embed_model_not_found", "client.model_name"),
        ("fail_too_long", "owui.embed_bad_request", "ingest.errors"),
        ("ingest", None, None),
        ("query", None, None),
    ],
)
def test_real_open_webui_captures(phase: str, root: str | None, check: str | None) -> None:
    state = owui.read(CAPTURES / "openwebui-real-vllm" / phase / "owui.log")
    assert state.records > 0
    found = state.root_cause()
    if root is None:
        assert found is None and state.healthy
        return
    assert found is not None and (found.id, found.entry.check) == (root, check)
    assert not state.healthy and found.ts is not None and found.ts.startswith("2026-11-28")
    # "Error processing file" follows: a consequence, never the root
    assert any(f.id == "owui.process_file" for f in state.findings)


def test_a_model_change_shows_as_a_dimension_error_with_both_widths() -> None:
    # The real Open WebUI 0.12.4 run where the server's vectors changed from 2560 to 1024 dims.
    state = owui.read(CAPTURES / "openwebui" / "owui.log.excerpt.txt")
    (dims,) = state.for_check("client.dimensions")
    assert dims.id == "owui.dims_chroma" and dims.facts == {"expected": "2560", "got": "1024"}
    assert "Reindex" in dims.entry.fix
    ids = {f.id for f in state.findings}
    assert {"owui.embed_unauthorized", "owui.cannot_connect", "owui.embed_timeout"} <= ids  # the JSON records too


def test_older_formats_from_public_issues() -> None:
    # open-webui/open-webui#11279 (0.5.20, loguru with the ` - {}` extra) and #8927 (0.5.7, Python logging)
    loguru = owui.parse_owui_line(
        "2025-03-06 08:19:39.072 | ERROR    | open_webui.routers.retrieval:save_docs_to_vector_db:904 - "
        "Embedding dimension 768 does not match collection dimensionality 384 - {}"
    )
    assert loguru.kind == "record" and loguru.level == "ERROR" and loguru.msg.endswith("dimensionality 384")
    pylog = owui.parse_owui_line("INFO  [open_webui.routers.files] file.content_type: application/pdf")
    assert pylog.kind == "record" and pylog.src == "open_webui.routers.files"
    state = owui.OwuiLogState()
    state.feed(loguru)
    (f,) = state.findings
    assert f.id == "owui.dims_chroma" and f.facts == {"got": "768", "expected": "384"}


def test_duplicate_content_is_a_client_side_warning_not_a_failure() -> None:
    state = owui.OwuiLogState()
    state.feed(
        owui.parse_owui_line(
            "2026-11-28 06:18:00.000 | ERROR    | open_webui.routers.retrieval:save_docs_to_vector_db:1396 - "
            "Document with hash 9b2c already exists"
        )
    )
    assert state.healthy and state.root_cause().entry.severity == "warn"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "diagnose", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_diagnose_cli(tmp_path: Path) -> None:
    owui_log = CAPTURES / "openwebui-real-vllm" / "fail_no_v1" / "owui.log"
    vllm_log = CAPTURES / "openwebui-real-vllm" / "fail_no_v1" / "vllm.log"
    proc = run("--openwebui-log", str(owui_log))
    assert proc.returncode == 1 and "[owui.embed_not_found_path]" in proc.stdout and "/v1" in proc.stdout
    proc = run("--log", str(vllm_log), "--openwebui-log", str(owui_log), "--json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["check"] == "client.base_url"  # vLLM's side: POST /embeddings 404
    assert report["openwebui"]["root_cause"]["id"] == "owui.embed_not_found_path"
    healthy = CAPTURES / "openwebui-real-vllm" / "ingest" / "owui.log"
    assert run("--openwebui-log", str(healthy)).returncode == 0
    for bad in (tmp_path / "missing.log", tmp_path):
        proc = run("--openwebui-log", str(bad))
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    proc = run()
    assert proc.returncode == 2 and "--openwebui-log" in proc.stderr
