"""Open WebUI's own log, followed live: `--openwebui-log FILE | --openwebui-docker CONTAINER |
--openwebui-journal UNIT` (or `openwebui_log` / `openwebui_docker` / `openwebui_journal` in a `[[targets]]`
table).

The same followers as vLLM's log (`LogTail`: rotation, truncation, recreation, bad bytes; `docker logs
--follow` / `journalctl --follow` with their pre-flight and restarts); each read becomes an `OwuiLogBatch` of
the cleaned line texts, which the store folds into findings with `tui.logs.owui`. Read-only: it never writes
to Open WebUI or its log.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tui.collectors.logcommand import docker_tail, journal_tail
from tui.collectors.logtail import LogTail
from tui.samples import OwuiLogBatch


class OwuiLogCollector:
    """Wraps a log follower; `read()` (blocking, for a worker thread) and `collect()` (async) → OwuiLogBatch."""

    name = "owui_log"

    def __init__(self, tail: Any) -> None:
        self.tail = tail

    @property
    def source(self) -> str:
        return self.tail.source

    def read(self) -> OwuiLogBatch:
        batch = self.tail.read()
        return OwuiLogBatch(
            batch.t,
            f"openwebui:{batch.source}",
            tuple(line.text for line in batch.lines),
            error=batch.error,
            note=batch.note,
            backlog=batch.backlog,
        )

    async def collect(self) -> OwuiLogBatch:
        return await asyncio.to_thread(self.read)

    def close(self) -> None:
        self.tail.close()


def owui_log_source(cfg: Any) -> OwuiLogCollector | None:
    """The follower of Open WebUI's log the config names, or None."""
    if cfg.openwebui_log is not None:
        return OwuiLogCollector(LogTail(cfg.openwebui_log))
    if cfg.openwebui_docker:
        flags = {"flag": "--openwebui-docker", "file_flag": "--openwebui-log"}
        return OwuiLogCollector(docker_tail(cfg.openwebui_docker, **flags))
    if cfg.openwebui_journal:
        flags = {"flag": "--openwebui-journal", "file_flag": "--openwebui-log", "grep": "webui"}
        return OwuiLogCollector(journal_tail(cfg.openwebui_journal, **flags))
    return None
