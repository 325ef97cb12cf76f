"""One wiring (tui/runtime/sources.py, host.py, rounds.py): the sources a target has, their intervals, the
HTTP clients closed once, and a round's order (the probes only once the server answered)."""

from __future__ import annotations

from pathlib import Path

from tui.config import Config
from tui.rules.shown import STORE_INTERVAL
from tui.runtime.rounds import Rounds
from tui.runtime.sources import LOG_INTERVAL, OWUI_INTERVAL, build_sources
from tui.state.store import Store


async def test_each_setting_brings_its_source(tmp_path: Path) -> None:
    bare = build_sources(Config(url="http://127.0.0.1:9", interval=3, probe_interval=7), "t", Store)
    assert bare.names() == ["server", "probe", "semantic"]
    assert [(s.interval, s.gate, s.needs_server, s.on_demand) for s in bare] == [
        (3, True, False, False),
        (7, False, True, False),
        (300, False, True, True),
    ]
    assert bare.tail is None and bare.owui_tail is None
    await bare.aclose()
    await bare.aclose()  # once: a second close does nothing
    log = tmp_path / "vllm.log"
    cfg = Config(
        url="http://127.0.0.1:9",
        log=log,
        openwebui="http://127.0.0.1:8",
        openwebui_log=tmp_path / "owui.log",
        openwebui_data=tmp_path,
        interval=0.5,
    )
    full = build_sources(cfg, "t", Store)
    try:
        assert full.names() == ["server", "probe", "semantic", "openwebui", "log", "owui_log", "owui_store"]
        by = {s.name: s.interval for s in full}
        assert by["openwebui"] == OWUI_INTERVAL and by["log"] == by["owui_log"] == min(LOG_INTERVAL, 0.5)
        assert by["owui_store"] == STORE_INTERVAL and full.tail is not None and full.owui_tail is not None
    finally:
        await full.aclose()


async def test_a_round_skips_the_probes_while_the_server_does_not_answer() -> None:
    store = Store()
    cfg = Config(url="http://127.0.0.1:9", timeout=0.5)  # nothing listens on port 9
    async with Rounds(cfg, store, "t") as rounds:
        await rounds.round()
        assert store.server is not None and not store.server.ok
        assert store.probe is None and store.semantic is None  # gated by the server
        assert store.gpu is not None and store.host is not None  # the host's sources, read first
        assert store.counts.server == 1
