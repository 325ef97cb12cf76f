"""The vLLM checks: its start (log), its engine (log and /metrics), its processes (the host scan), and the
client requests its log shows failing."""

from __future__ import annotations

from tui.logs.catalog import AccessRule
from tui.rules.checks._common import HUNG_SCRAPES, WINDOW_MIN, log_unavailable, log_verdict
from tui.rules.checks.spec import Judging, check
from tui.rules.evidence import hms
from tui.rules.result import CheckResult, Status
from tui.state import lifecycle
from tui.state.lifecycle import LogState
from tui.state.processes import target_processes
from tui.state.urls import url_port

STARTUP_SLOW_S = 600  # a start still going after 10 minutes deserves a look


def _phase_story(state: LogState) -> str:
    """ "starting 14 s · loading 1 s · warming-up 9 s" for the phases that ended."""
    parts = [f"{phase} {secs:.0f} s" for phase, _, secs in state.phase_durations() if secs is not None]
    return " · ".join(parts[:4])


@check("vllm.startup", "vLLM started", inputs=("log",))
def startup(c: Judging) -> CheckResult:
    verdict = log_verdict(c)
    if verdict is not None:
        return verdict
    state = c.store.log_state
    since = state.phase_since
    if state.phase in lifecycle.BOOTING and since is not None:
        took = max(0.0, c.now - since)
        evidence = [f"{hms(t)} {phase}" for phase, t, _ in state.phase_durations()]
        summary = f"still starting for {took:.0f} s ({state.phase})"
        if took > STARTUP_SLOW_S:
            return c.result(
                Status.WARN,
                summary,
                evidence,
                "A start this long usually means a slow model download or torch.compile on a cold cache; "
                "look at the last lines of the log. If it is stuck, restart vLLM.",
            )
        return c.waiting(summary, evidence)
    if state.ready_at is not None:
        story = _phase_story(state)
        total = state.ready_at - state.run.phases[0][1] if state.run.phases else 0.0
        summary = f"ready at {hms(state.ready_at)}" + (f" after {total:.0f} s" if total > 0 else "")
        evidence = [story] if story else []
        if state.phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED):
            return c.result(
                Status.WARN,
                f"{summary}; stopped at {hms(since or state.ready_at)} (clean shutdown)",
                evidence,
                "vLLM was stopped (SIGTERM or Ctrl+C), not crashed. Start it again; `systemctl status` or "
                "`docker ps -a` shows who stopped it.",
            )
        return c.result(Status.PASS, summary, evidence)
    if state.phase in lifecycle.UP:
        return c.result(
            Status.PASS, f"up since at least {hms(state.run.phases[0][1])} (its startup is older than the log we read)"
        )
    s = c.store.server
    if s is not None and s.ok:
        return c.result(Status.PASS, "running (its startup is older than the log tail; /health answers 200)")
    if state.phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED):
        return c.result(Status.WARN, f"the log shows vLLM {state.phase} at {hms(since or 0)}")
    return c.result(Status.UNKNOWN, "no startup seen in the log tail yet")


@check("vllm.engine", "Engine alive (log)", inputs=("log", "server"), blocked_by=(startup,))
def engine(c: Judging) -> CheckResult:
    verdict = log_verdict(c)
    if verdict is not None:
        return verdict
    state = c.store.log_state
    if state.findings_for(startup.id):
        return c.blocked(startup)
    if state.ready_at is None and not (c.store.server is not None and c.store.server.ok):
        return c.waiting("the engine has not started yet")
    hung = _engine_hung(c)
    if hung is not None:
        return hung
    stats = state.stats
    if stats is not None and state.stats_t is not None:
        kv = f", KV cache {stats.kv_pct:.1f} %" if stats.kv_pct is not None else ""
        return c.result(
            Status.PASS,
            f"no fatal error in the log · running {stats.running}, waiting {stats.waiting}{kv}",
            [f"{hms(state.stats_t)} stats: {stats.prompt_tps:.1f} prompt tokens/s"],
        )
    return c.result(Status.PASS, "no fatal engine error in the log")


def _engine_hung(c: Judging) -> CheckResult | None:
    """Requests running but no prompt token processed and no request finished for several scrapes:
    the engine is stuck (known pooling hangs in vLLM), though /health may still say 200."""
    recent = [m for m in list(c.store.metrics_history)[-HUNG_SCRAPES:] if m.ok]
    # Pooling requests are scheduled and finished within one engine step, so `running` reads 0 on a busy
    # embedding server and `waiting` carries the load (tests/captures/openwebui-real-vllm/): count both.
    if len(recent) < HUNG_SCRAPES or not all((m.running or 0) + (m.waiting or 0) > 0 for m in recent):
        return None
    tokens = {m.counters.get("prompt_tokens") for m in recent}
    done = {sum(m.success.values()) for m in recent}
    if len(tokens) > 1 or len(done) > 1:
        return None
    first, last = recent[0], recent[-1]
    return c.result(
        Status.FAIL,
        f"engine stuck: {(last.running or 0) + (last.waiting or 0):.0f} requests in, none finished for "
        f"{last.t - first.t:.0f} s",
        [
            f"{hms(first.t)}–{hms(last.t)} /metrics: num_requests_running {last.running or 0:.0f}, waiting "
            f"{last.waiting or 0:.0f}, prompt_tokens_total and request_success_total unchanged"
        ],
        "The engine accepts requests but does not finish them. Look for the last ERROR/WARNING in the log and "
        "the stats line ('Running: N reqs' with 0.0 tokens/s); restart vLLM. If it recurs with large batches, "
        "lower --max-num-seqs / --max-num-batched-tokens and check the vLLM issue tracker for your version.",
    )


@check("vllm.process", "vLLM processes", inputs=("host",))
def process(c: Judging) -> CheckResult:
    store, cfg = c.store, c.cfg
    host = store.host
    if host is None:
        return c.waiting("waiting for the first process scan")
    port = url_port(cfg.url)
    own = target_processes(store, cfg)
    procs = list(own if own is not None else host.processes)
    api = [p for p in procs if p.role == "api-server"]
    ours = [p for p in api if p.port == port] or api
    # A vanished process matters while nothing has taken its place: after a restart (new pids for the same
    # roles) the old ones are history, said in the evidence, not a failure.
    sure = target_processes(store, cfg, strict=True)  # a replacement must surely be ours
    roles_now = {p.role for p in (sure if sure is not None else procs)}
    history = sorted(store.gone.items(), key=lambda kv: kv[1][0])
    gone = [(pid, info) for pid, info in history if info[1] not in roles_now]
    replaced = [(pid, info) for pid, info in history if info[1] in roles_now]
    evidence = [
        f"{p.role} pid {p.pid} · RSS {p.rss / 1024**3:.1f} GiB · CPU {p.cpu_percent:.0f}%"
        + (f" · container {p.container}" if p.container else "")
        for p in procs[:6]
    ]
    if gone:
        pid, (t, role, title) = gone[-1]
        orphans = [p for p in procs if p.role != "api-server"]
        if role == "api-server" and orphans and not api:
            return c.result(
                Status.FAIL,
                f"the API server pid {pid} exited at {hms(t)}; {len(orphans)} engine processes were left running",
                [f"{hms(t)} process {pid} ({title}) is gone", *evidence],
                "The orphaned EngineCore/Worker processes keep their memory (GPU memory on a GPU host) and block a "
                f"restart: stop them (`kill {' '.join(str(p.pid) for p in orphans)}`, then `kill -9` if needed), "
                "then start vLLM again, under a supervisor that stops the whole process group.",
            )
        if not procs or role != "api-server":
            root = store.log_state.root_cause()
            fix = (
                "A vLLM process died: the log (vllm.engine) usually says why; `dmesg | grep -i oom` shows an OOM "
                "kill. Restart vLLM, under a supervisor (docker `--restart`, systemd) so it comes back."
            )
            cause = [f"{hms(root.t)} the log says: {root.line[:200]}"] if root is not None else []
            return c.result(
                Status.FAIL,
                f"vLLM {role} pid {pid} exited at {hms(t)}",
                [f"{hms(t)} process {pid} ({title}) is gone", *cause, *evidence],
                root.fix if root is not None else fix,
            )
    if replaced:
        pid, (t, role, _title) = replaced[-1]
        evidence.append(f"{hms(t)} restarted: {role} pid {pid} exited and was replaced (a new {role} runs)")
    if ours:
        main = ours[0]
        model = f" serving {main.served_name or main.model}" if (main.served_name or main.model) else ""
        others = len([p for p in procs if p.role != "api-server"])
        return c.result(
            Status.PASS, f"API server pid {main.pid}{model} on port {main.port} (+{others} engine processes)", evidence
        )
    if procs:
        return c.result(Status.PASS, f"{len(procs)} vLLM engine process(es), no API server here", evidence)
    return c.result(Status.UNKNOWN, "no vLLM process on this host (remote --url, or another container / PID namespace)")


@check("vllm.requests", "Client requests (log)", inputs=("log",))
def requests(c: Judging) -> CheckResult:
    missing = log_unavailable(c)
    if missing:
        return missing
    state = c.store.log_state
    now = max(c.now, state.last_t or 0.0)
    worst: CheckResult | None = None
    for f in state.findings_for(c.id):
        pattern = f.pattern
        if isinstance(pattern, AccessRule):
            count = state.count_access(pattern, now)
            if count < pattern.min_count:
                continue  # the burst is over
            summary = f"{count}× {'/'.join(map(str, sorted(pattern.statuses)))} in {pattern.window_s / 60:.0f} min"
        elif now - f.t > WINDOW_MIN * 60:
            continue  # one failed request minutes ago: over
        else:
            summary = pattern.meaning
        result = c.result(
            Status.FAIL if pattern.severity == "fail" else Status.WARN,
            f"{summary} [{pattern.id}]",
            [f"{hms(f.t)} log: {f.line[:300]}", f"cause: {pattern.cause}"],
            f.fix,
        )
        if worst is None or result.status.rank > worst.status.rank:
            worst = result
    if worst is not None:
        return worst
    if not state.requests_total:
        return c.result(Status.UNKNOWN, "no client requests in the log yet (embedtop's own are not counted)")
    return c.result(Status.PASS, f"{state.requests_total} client requests, no error bursts")
