"""Optional, read-only link to Open WebUI (`--openwebui URL`, key from `--openwebui-key-env`): its embedding
config and the latest files' processing status — the client's side of an ingestion.

Calls (read from the open-webui 0.12.4 wheel, verified on a real 0.12.4: tests/captures/openwebui/):
`GET /api/v1/retrieval/embedding` (engine,
model, `openai_config.url` / `key`) and `GET /api/v1/files/` (each file's `data.status` pending →
processing → completed / failed and `data.error`; asked with `content=false`, so no file's text is ever
fetched), and `GET /api/v1/knowledge/` (the knowledge bases: id and name). Files uploaded into a knowledge base
carry its id in `meta.data.knowledge_id` (0.9.6+), so each base's completed / failed / in-flight counts come from
the same files page — at most one request per endpoint per interval, never one per base; Open WebUI 0.6.x (lower-case
config keys, no file status, members in the base's `data.file_ids`) is read by tui/collectors/owuiapi.py too. Never
writes anything. The embedding key Open WebUI returns is reduced to "set" / "empty" here and goes nowhere else.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from tui.collectors import owuiapi
from tui.collectors.http_util import request
from tui.logs import owui as owui_catalog
from tui.samples import ErrorKind, OwuiFile, OwuiKnowledge, OwuiSample

MAX_FILES = 8
IN_FLIGHT = owuiapi.IN_FLIGHT
parse_config = owuiapi.parse_config  # 0.6.5's lower-case keys and 0.6.43+'s RAG_EMBEDDING_* alike
parse_knowledge = owuiapi.parse_knowledge


def error_id(error: str) -> str:
    """The entry of Open WebUI's failure catalog (tui/logs/owui_catalog.toml) a file's error matches, or ""."""
    hit = owui_catalog.match(error) if error else None
    return hit[0].id if hit is not None else ""


def all_files(data: Any) -> tuple[OwuiFile, ...]:
    """Every file of the answer (one page), newest first, each failed one's error named by the catalog."""
    return owuiapi.all_files(data, error_id)


def parse_files(data: Any) -> tuple[OwuiFile, ...]:
    """The latest files, newest first (MAX_FILES of them)."""
    return all_files(data)[:MAX_FILES]


async def _without_content(req: httpx.Request) -> None:
    """The files list without each file's text (`content=false`; 0.6.x otherwise sends every file's full text)."""
    if req.url.path.rstrip("/").endswith("/api/v1/files") and "content" not in req.url.params:
        req.url = req.url.copy_merge_params({"content": "false"})


class OpenWebUICollector:
    """Polls Open WebUI's embedding config and recent files (read-only)."""

    name = "openwebui"

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float) -> None:
        self.client = client  # its own client: Open WebUI's key in its headers, never vLLM's
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        hooks = client.event_hooks
        hooks.setdefault("request", []).append(_without_content)
        client.event_hooks = hooks

    async def collect(self) -> OwuiSample:
        url = self.base_url
        cfg = await request(self.client, "GET", f"{url}/api/v1/retrieval/embedding", self.timeout, tag="owui")
        t = time.time()
        if cfg.error or cfg.status != 200:
            why = cfg.error or f"HTTP {cfg.status}"
            hint = " (an admin API key or JWT is needed: --openwebui-key-env)" if cfg.status in (401, 403) else ""
            kind = cfg.error_kind if cfg.error else ErrorKind.HTTP_STATUS
            return OwuiSample(t, url, error=f"GET /api/v1/retrieval/embedding → {why}{hint}", error_kind=kind)
        try:
            config = parse_config(cfg.json())
        except ValueError:
            error = "/api/v1/retrieval/embedding did not answer JSON: is this Open WebUI?"
            return OwuiSample(t, url, error=error, error_kind=ErrorKind.BODY)
        files_answer = await request(self.client, "GET", f"{url}/api/v1/files/", self.timeout, tag="owui")
        files: tuple[OwuiFile, ...] = ()
        if files_answer.status == 200:
            try:
                files = all_files(files_answer.json())
            except ValueError:
                files = ()
        knowledge: tuple[OwuiKnowledge, ...] = ()
        kb_answer = await request(self.client, "GET", f"{url}/api/v1/knowledge/", self.timeout, tag="owui")
        if kb_answer.status == 200:
            try:
                knowledge = parse_knowledge(kb_answer.json(), files)
            except ValueError:
                knowledge = ()
        in_flight = tuple(sorted((f for f in files if f.status in IN_FLIGHT), key=lambda f: f.updated))
        return OwuiSample(
            t, url, files=files[:MAX_FILES], knowledge=knowledge, in_flight=in_flight[:MAX_FILES], **config
        )
