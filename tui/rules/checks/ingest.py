"""The ingestion checks: client embedding requests (vLLM's log) and Open WebUI's files succeed, and the
queue drains."""

from __future__ import annotations

from tui.rules.checks._common import HUNG_SCRAPES, WINDOW_MIN, client_window
from tui.rules.checks._owui import owui_log_on, owui_log_result
from tui.rules.checks.api import reachable
from tui.rules.checks.spec import Judging, check
from tui.rules.evidence import hms
from tui.rules.result import CheckResult, Status
from tui.state.store import Store

INGEST_FIX = (
    "Open WebUI fails the whole file on the first failed chunk and drops vLLM's message: client.base_url "
    "and client.model_name say which mistake it is; a 400 means a chunk over max_model_len (lower the "
    "chunk size) — see api.max_model_len."
)
STUCK_S = 300.0  # a file pending / processing this long with no client request reaching vLLM is stuck
DUPLICATE = "owui.duplicate"  # Open WebUI refused a file it already has (tui/logs/owui_catalog.toml)


def _owui_ingest(c: Judging) -> CheckResult | None:
    """Open WebUI's log on ingestion: its own failures (400, 401, 429, timeouts), duplicate content (a warning
    that never blames the server), and files it failed for a reason another check names."""
    owui_log = c.store.owui_log
    on = owui_log.current(c.id)
    if not on:
        return None
    specific = [x for x in on if not x.entry.generic]
    if specific:
        top = specific[0]
        if top.id == DUPLICATE:
            summary = "Open WebUI refused a duplicate file (client side: the embedding server is fine)"
        else:
            summary = f"{top.entry.meaning.rstrip('.')} [{top.id}]"
        return owui_log_result(c, summary=summary, fix=top.entry.fix)
    generic = on[0]
    root = owui_log.root()
    evidence = [generic.evidence()]
    if root is not None and root.entry.check != c.id:
        evidence.append(f"why: {root.evidence()}")
        summary = f"Open WebUI failed a file: {root.entry.meaning.rstrip('.')} (see {root.entry.check})"
        fix = f"See {root.entry.check}: {root.entry.fix}"
    else:
        summary = f"Open WebUI failed a file [{generic.id}]"
        fix = generic.entry.fix
    return c.result(Status.FAIL, summary, evidence, fix)


@check("ingest.errors", "Ingestion errors", inputs=("log", "owui_log"))
def errors(c: Judging) -> CheckResult:
    """Errors in the latest burst of client embedding requests (vLLM's log), and Open WebUI's own failures (its
    log). Open WebUI fails a whole file on its first failed chunk (tests/captures/openwebui-real-vllm/), so one
    error is already a failed document."""
    store, cfg = c.store, c.cfg
    owui_side = _owui_ingest(c) if owui_log_on(store, cfg) else None
    if cfg.log_source is None:
        if owui_side is not None:
            return owui_side
        if owui_log_on(store, cfg):
            if store.owui_log.embedded_at:
                return c.result(Status.PASS, "Open WebUI's log: documents embedded, no failures")
            return c.result(Status.UNKNOWN, "no document embedded in Open WebUI's log yet")
        return c.result(Status.UNKNOWN, "needs the vLLM log (--log / --docker / --journal)")
    ing = store.ingest
    now = max(c.now, store.log_state.last_t or 0.0)
    bursts = [b for b in (*ing.bursts, ing.burst) if b is not None and b.last >= now - WINDOW_MIN * 60]
    latest = bursts[-1] if bursts else None
    failures = sum(latest.errors.values()) if latest is not None else 0
    if latest is not None and failures:
        failed = [r for r in client_window(c) if not (r.kind == "ok" and 200 <= r.status < 300)]
        evidence = [f"{n}× {label}" for label, n in latest.errors.most_common(3)]
        if failed:
            evidence.append(f"{hms(failed[-1].t)} log: {failed[-1].line[:200]}")
        if owui_side is not None:
            evidence += list(owui_side.evidence[:1])
        return c.result(
            Status.FAIL,
            f"{failures} of {latest.requests} client requests failed in the burst since {hms(latest.start)}",
            evidence,
            INGEST_FIX,
        )
    if owui_side is not None:
        return owui_side
    if latest is None:
        if store.owui_log.embedded_at:
            return c.result(Status.PASS, "Open WebUI's log: documents embedded, no failures")
        return c.result(Status.UNKNOWN, f"no client embedding requests in the last {WINDOW_MIN} min")
    return c.result(Status.PASS, f"{latest.requests} client requests in the last burst, none failed")


def knowledge_lines(store: Store) -> list[str]:
    """Per knowledge base (the Open WebUI link): its files among the latest page and how they stand."""
    owui = store.owui
    if owui is None or not owui.ok:
        return []
    return [
        f"knowledge base {k.name}: {k.files} files — {k.completed} completed, {k.failed} failed, "
        f"{k.in_flight} in flight"
        for k in owui.knowledge[:6]
    ]


def _requests_flowing(c: Judging) -> bool:
    if any(r.kind == "ok" for r in client_window(c)) or c.store.ingest.burst is not None:
        return True
    traffic = c.store.traffic()
    return traffic is not None and (traffic.requests_per_s or 0.0) > 0.05


def _stuck_files(c: Judging) -> CheckResult | None:
    """Files Open WebUI keeps pending / processing past STUCK_S: stuck before embedding when no client request
    reaches vLLM, merely slow while requests flow."""
    owui = c.store.owui
    if owui is None or not owui.ok:
        return None
    old = [f for f in owui.in_flight if f.updated and owui.t - f.updated >= STUCK_S]
    if not old:
        return None
    names = {k.id: k.name for k in owui.knowledge}
    evidence = [
        f"{hms(owui.t)} {f.name or f.id}: {f.status} for {(owui.t - f.updated) / 60:.0f} min"
        + (f" (knowledge base {names.get(f.knowledge_id, f.knowledge_id[:8])})" if f.knowledge_id else "")
        for f in old[:5]
    ]
    evidence += knowledge_lines(c.store)
    age = (owui.t - old[0].updated) / 60
    if _requests_flowing(c):
        return c.result(
            Status.PASS,
            f"{len(old)} files in flight for up to {age:.0f} min while requests flow (slow embedding, not stuck)",
            evidence,
        )
    return c.result(
        Status.FAIL,
        f"{len(old)} files stuck in Open WebUI for up to {age:.0f} min: no client request reaches vLLM",
        evidence,
        "The files are stuck before embedding (Open WebUI has no processing timeout by default): content "
        "extraction (Tika / Docling) hanging, a background task lost in an Open WebUI restart, or its embedding URL "
        "pointing elsewhere (see client.base_url). Search Open WebUI's log for the file id; delete the file and "
        "upload it again once the cause is fixed.",
    )


@check("ingest.stalled", "Ingestion queue drains", inputs=("server", "owui"), blocked_by=(reachable,))
def stalled(c: Judging) -> CheckResult:
    store = c.store
    if store.server is None or not store.server.ok:
        return c.blocked(reachable)
    stuck = _stuck_files(c)
    if stuck is not None and stuck.status == Status.FAIL:
        return stuck
    recent = [m for m in list(store.metrics_history)[-HUNG_SCRAPES:] if m.ok]
    if not recent:
        return c.waiting("waiting for /metrics")
    last = recent[-1]
    if (last.waiting or 0) == 0:
        if stuck is not None:
            return stuck
        burst = store.ingest.burst
        kbs = knowledge_lines(store)
        if burst is not None:
            return c.result(Status.PASS, f"ingesting: {burst.requests} requests so far", kbs)
        return c.result(Status.PASS, "nothing queued", kbs)
    done = {sum(m.success.values()) for m in recent}
    if len(recent) >= HUNG_SCRAPES and len(done) == 1:
        return c.result(
            Status.FAIL,
            f"{last.waiting:.0f} requests queued and none finished for {last.t - recent[0].t:.0f} s",
            [
                f"{hms(m.t)} waiting {m.waiting or 0:.0f}, request_success_total {sum(m.success.values()):.0f}"
                for m in recent
            ],
            "The queue does not drain: see vllm.engine (a stuck or dead engine) and the log's last lines; restart "
            "vLLM if it stays so. Clients (Open WebUI) send every chunk of a file at once and wait without timeout.",
        )
    return c.result(Status.PASS, f"{last.waiting:.0f} queued and draining")
