"""Optional, read-only link to Open WebUI (`--openwebui URL`, key from `--openwebui-key-env`): its embedding
config and the latest files' processing status — the client's side of an ingestion.

Calls (read from the open-webui 0.12.4 wheel, verified on a real 0.12.4: tests/captures/openwebui/):
`GET /api/v1/retrieval/embedding` (engine,
model, `openai_config.url` / `key`) and `GET /api/v1/files/` (each file's `data.status` pending →
processing → completed / failed and `data.error`). Never writes anything. The embedding key Open WebUI
returns is reduced to "set" / "empty" here and goes nowhere else.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from tui.collectors.http_util import request
from tui.model.samples import OwuiFile, OwuiSample

MAX_FILES = 8


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_config(data: Any) -> dict[str, Any]:
    openai = data.get("openai_config") if isinstance(data, dict) else None
    openai = openai if isinstance(openai, dict) else {}
    return {
        "engine": _text(data.get("RAG_EMBEDDING_ENGINE")) if isinstance(data, dict) else "",
        "model": _text(data.get("RAG_EMBEDDING_MODEL")) if isinstance(data, dict) else "",
        "embedding_url": _text(openai.get("url")),
        "key_set": bool(openai.get("key")),
        "batch": data.get("RAG_EMBEDDING_BATCH_SIZE") if isinstance(data, dict) else None,
    }


def parse_files(data: Any) -> tuple[OwuiFile, ...]:
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return ()
    files = []
    for item in items:
        if not isinstance(item, dict):
            continue
        d = item.get("data") if isinstance(item.get("data"), dict) else {}
        updated = item.get("updated_at") or item.get("created_at") or 0
        files.append(
            OwuiFile(
                id=_text(item.get("id")),
                name=_text(item.get("filename")) or _text((item.get("meta") or {}).get("name")),
                status=_text(d.get("status")) or "pending",
                error=_text(d.get("error"))[:300],
                updated=float(updated) if isinstance(updated, int | float) else 0.0,
            )
        )
    files.sort(key=lambda f: f.updated, reverse=True)
    return tuple(files[:MAX_FILES])


class OpenWebUICollector:
    """Polls Open WebUI's embedding config and recent files (read-only)."""

    name = "openwebui"

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float) -> None:
        self.client = client  # its own client: Open WebUI's key in its headers, never vLLM's
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def collect(self) -> OwuiSample:
        url = self.base_url
        cfg = await request(self.client, "GET", f"{url}/api/v1/retrieval/embedding", self.timeout, tag="owui")
        t = time.time()
        if cfg.error or cfg.status != 200:
            why = cfg.error or f"HTTP {cfg.status}"
            hint = " (an admin API key or JWT is needed: --openwebui-key-env)" if cfg.status in (401, 403) else ""
            return OwuiSample(t, url, error=f"GET /api/v1/retrieval/embedding → {why}{hint}")
        try:
            config = parse_config(cfg.json())
        except ValueError:
            return OwuiSample(t, url, error="/api/v1/retrieval/embedding did not answer JSON: is this Open WebUI?")
        files_answer = await request(self.client, "GET", f"{url}/api/v1/files/", self.timeout, tag="owui")
        files: tuple[OwuiFile, ...] = ()
        if files_answer.status == 200:
            try:
                files = parse_files(files_answer.json())
            except ValueError:
                files = ()
        return OwuiSample(t, url, files=files, **config)
