"""Open WebUI 0.6.x against 0.12.x: the parsers on the real answers of both releases (tests/captures/openwebui-0.6.5
and openwebui-0.12.4-api, the same script run against each), and the link never asking for a file's text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CAPTURES, capture
from tui.collectors.owuiapi import all_files, parse_config, parse_knowledge, parse_version

V065, V0124 = CAPTURES / "openwebui-0.6.5", CAPTURES / "openwebui-0.12.4-api"
URL = "http://127.0.0.1:18412/v1"


def body(folder: Path, name: str) -> Any:
    return json.loads(capture(f"{name}.json", folder).read_text())["body"]


@pytest.mark.parametrize(("folder", "version"), [(V065, "0.6.5"), (V0124, "0.12.4")])
def test_config_keys_of_either_release(folder: Path, version: str) -> None:
    assert parse_version(body(folder, "version")) == version
    cfg = parse_config(body(folder, "embedding"))
    assert cfg == {"engine": "openai", "model": "no-such-model", "embedding_url": URL, "key_set": True, "batch": 1}


def test_the_0_6_5_keys_are_lower_case_and_the_old_parser_lost_them() -> None:
    raw = body(V065, "embedding")
    assert "embedding_model" in raw and "RAG_EMBEDDING_MODEL" not in raw
    assert "RAG_EMBEDDING_MODEL" in body(V0124, "embedding")


def test_0_6_5_files_have_no_status_a_processed_one_has_its_collection() -> None:
    files = {f.name: f for f in all_files(body(V065, "files-content-false"))}
    assert files["harbour-manual.txt"].status == "completed"  # meta.collection_name is set
    assert files["second.txt"].status == ""  # failed, but 0.6.5 keeps no status: unknown, never "pending"
    kb = parse_knowledge(body(V065, "knowledge"), tuple(files.values()))
    assert [(k.name, k.files, k.completed, k.failed, k.in_flight) for k in kb] == [("Harbour manual", 1, 1, 0, 0)]


def test_0_12_4_files_carry_status_error_and_their_knowledge_base() -> None:
    files = {f.name: f for f in all_files(body(V0124, "files-content-false"))}
    assert files["harbour-manual.txt"].status == "completed"
    assert files["second.txt"].status == "failed" and "404, message='Not Found'" in files["second.txt"].error
    kb = parse_knowledge(body(V0124, "knowledge"), tuple(files.values()))
    assert [(k.name, k.files, k.completed, k.failed) for k in kb] == [("Harbour manual", 2, 1, 1)]


@pytest.mark.parametrize("folder", [V065, V0124])
def test_without_content_false_every_file_comes_with_its_text(folder: Path) -> None:
    full, lean = body(folder, "files"), body(folder, "files-content-false")
    items = full.get("items", full) if isinstance(full, dict) else full
    lean_items = lean.get("items", lean) if isinstance(lean, dict) else lean
    assert any("content" in (i.get("data") or {}) for i in items)  # why the link always sends content=false
    assert not any("content" in (i.get("data") or {}) for i in lean_items)


def test_a_route_0_6_5_lacks_answers_html_200() -> None:
    pending = json.loads(capture("knowledge-files-pending.json", V065).read_text())
    assert pending["status"] == 200 and str(pending["body"]).startswith("<!doctype html>")
    assert body(V0124, "knowledge-files-pending") == []


async def test_the_link_asks_for_files_without_content() -> None:
    import httpx

    from tui.collectors.openwebui import OpenWebUICollector

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        name = {
            "/api/v1/retrieval/embedding": "embedding",
            "/api/v1/files/": "files-content-false",
            "/api/v1/knowledge/": "knowledge",
            "/api/version": "version",
        }[request.url.path]
        return httpx.Response(200, json=body(V065, name))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        sample = await OpenWebUICollector(client, "http://owui:8080", 5).collect()
    assert sample.ok and sample.model == "no-such-model" and sample.engine == "openai"
    files = [u for u in seen if "/api/v1/files" in u]
    assert files and all("content=false" in u for u in files)
    assert {f.status for f in sample.files} == {"completed", ""}
    assert [(k.files, k.completed) for k in sample.knowledge] == [(1, 1)]
