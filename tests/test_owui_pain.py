"""Pain points of the README's table that only an Open WebUI log line shows: each entry's own example, fed as
Open WebUI's log, turns its check red (or a warning) with the entry's fix — not only matches the catalog."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tui.config import Config
from tui.logs import owui
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.samples import OwuiLogBatch
from tui.state.store import Store


@pytest.mark.parametrize(
    ("entry_id", "check", "status"),
    [
        ("owui.tls", "client.base_url", Status.FAIL),  # pain 25: corporate CA
        ("owui.proxy", "client.base_url", Status.FAIL),  # pain 25: HTTP(S)_PROXY captures the call
        ("owui.local_embedding", "client.base_url", Status.WARN),  # pain 23: empty engine, local model
        ("owui.embed_rate_limited", "ingest.errors", Status.WARN),  # pain 15: a proxy's 429
    ],
)
def test_the_example_line_turns_its_check(entry_id: str, check: str, status: Status) -> None:
    entry = owui.BY_ID[entry_id]
    assert entry.check == check and entry.examples
    store = Store()
    store.apply(OwuiLogBatch(time.time(), "openwebui:owui.log", (entry.examples[0],)))
    cfg = Config(url="http://127.0.0.1:8011", openwebui_log=Path("/var/log/owui.log"))
    r = {x.id: x for x in evaluate(store, cfg, time.time())}[check]
    assert r.status == status, (r.summary, r.evidence)
    assert r.fix and any("Open WebUI log line" in e for e in r.evidence)
