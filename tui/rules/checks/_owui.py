"""Open WebUI's own log as results: whether it is a source, and the worst finding still on for a check."""

from __future__ import annotations

from tui.config import Config
from tui.rules.checks.spec import Judging
from tui.rules.result import CheckResult, Status
from tui.state.store import Store

OWUI_LOG_NEEDED = "Open WebUI's log (--openwebui-log / --openwebui-docker / --openwebui-journal)"
REINDEX_BEFORE_012 = (
    " Before Open WebUI 0.12, Reindex rebuilds only the knowledge bases' own collections: files attached to chats "
    "(`file-<id>` collections), the knowledge-bases metadata collection and memories keep the old width — "
    "re-upload those files."
)


def owui_log_on(store: Store, cfg: Config) -> bool:
    """Whether Open WebUI's own log is a source here (configured, or in a recording being replayed)."""
    return cfg.owui_log_source is not None or store.owui_log.batch is not None


def owui_log_error(store: Store) -> str | None:
    batch = store.owui_log.batch
    return batch.error if batch is not None and batch.error else None


def owui_log_result(c: Judging, summary: str | None = None, fix: str | None = None) -> CheckResult | None:
    """The worst finding of Open WebUI's log still on for this check (cited with its line), or None."""
    on = c.store.owui_log.current(c.id)
    if not on:
        return None
    top = on[0]
    evidence = [top.evidence(), f"cause: {top.entry.cause}"]
    evidence += [x.evidence() for x in on[1:3]]
    return c.result(
        Status.FAIL if top.entry.severity == "fail" else Status.WARN,
        summary or f"{top.entry.meaning.rstrip('.')} [{top.entry.id}]",
        evidence,
        fix or top.entry.fix,
    )
