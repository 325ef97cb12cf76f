"""The checklist: each check is a pure function of (store, config) → CheckResult.

Checks depend on each other: when the server does not answer, the probe checks say "blocked by
api.reachable" instead of adding red noise. Fix texts follow vLLM's own messages and docs.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.config import Config, implied_dims
from tui.logs import catalog as log_catalog
from tui.logs.catalog import AccessRule
from tui.rules.overview import target_processes
from tui.rules.result import CheckResult, Status
from tui.samples import ProbeSample, ServerSample
from tui.state import lifecycle
from tui.state.lifecycle import Finding, LogState
from tui.state.store import Store
from tui.state.window import percentiles

TITLES = {
    "gpu.visible": "GPU visible (NVML)",
    "gpu.model_resident": "Model on the GPU",
    "gpu.memory_headroom": "GPU memory headroom",
    "vllm.process": "vLLM processes",
    "vllm.startup": "vLLM started",
    "vllm.engine": "Engine alive (log)",
    "vllm.requests": "Client requests (log)",
    "api.reachable": "API reachable",
    "api.auth": "API key accepted",
    "api.models": "Expected model served",
    "api.max_model_len": "Max input length",
    "probe.status": "Probe embedding",
    "probe.dimensions": "Vector dimensions",
    "probe.values": "Vector values",
    "probe.latency": "Probe latency",
    "probe.semantic": "Vectors mean something",
    "ingest.errors": "Ingestion errors",
    "ingest.stalled": "Ingestion queue drains",
    "client.base_url": "Client base URL",
    "client.model_name": "Client model name",
    "client.dimensions": "Client vector dimensions",
}

ENGINE_DEAD_FIX = (
    "The engine process is dead. Its root cause is logged above the EngineDeadError (a worker that "
    "'died unexpectedly', an OOM kill, a fatal error): fix that and restart vLLM."
)


def hms(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


def _ms(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds * 1000:.0f} ms"


def _result(check_id: str, status: Status, summary: str, evidence=(), fix: str = "") -> CheckResult:
    return CheckResult(check_id, TITLES[check_id], status, summary, tuple(evidence), fix)


def _blocked(check_id: str, by: str) -> CheckResult:
    return _result(check_id, Status.BLOCKED, f"blocked by {by}")


def served_ids(server: ServerSample | None) -> list[str]:
    if server is None or not server.models:
        return []
    return [m.id for m in server.models]


def probe_model(store: Store, cfg: Config) -> str | None:
    """The model the probe asks for: the configured one, else the first served id."""
    if cfg.model:
        return cfg.model
    ids = served_ids(store.server)
    return ids[0] if ids else None


def probe_root(store: Store, cfg: Config) -> str | None:
    """The served weights' path (/v1/models `root`) of the model the probe asks for, when listed."""
    server = store.server
    if server is None or not server.models:
        return None
    want = probe_model(store, cfg)
    return next((m.root for m in server.models if m.id == want), server.models[0].root)


# ---------------------------------------------------------------- GPU


def check_gpu(store: Store, cfg: Config) -> CheckResult:
    gpu = store.gpu
    if gpu is None:
        return _result("gpu.visible", Status.UNKNOWN, "waiting for the first NVML poll")
    if not gpu.available:
        return _result(
            "gpu.visible",
            Status.UNKNOWN,
            gpu.reason or "NVML not available",
            evidence=(f"{hms(gpu.t)} {gpu.reason}",),
            fix=gpu.fix
            or "On a GPU host, `nvidia-smi` must list the GPU; install the NVIDIA driver if it does not. "
            "In a container, run it with `--gpus all` (NVIDIA Container Toolkit).",
        )
    if not gpu.devices:
        return _result(
            "gpu.visible",
            Status.FAIL,
            "NVML works but shows no GPU" + (f" ({gpu.note})" if gpu.note else ""),
            evidence=(f"{hms(gpu.t)} nvmlDeviceGetCount() → no device selected",),
            fix="Check `nvidia-smi`; in a container pass `--gpus all`; check CUDA_VISIBLE_DEVICES / --gpu.",
        )
    lost = [d for d in gpu.devices if d.lost]
    if lost:
        return _result(
            "gpu.visible",
            Status.FAIL,
            f"GPU{lost[0].index} is lost (fell off the bus)",
            evidence=[f"{hms(gpu.t)} NVML: {d.reason('device') or 'GPU is lost'} on GPU{d.index}" for d in lost],
            fix="Look for Xid errors in `dmesg` / `journalctl -k`; the GPU needs a reset (`nvidia-smi -r`) or the "
            "host a reboot. vLLM on that GPU is dead until then.",
        )
    names = ", ".join(f"{d.index}: {d.name}" for d in gpu.devices)
    partial = sorted({f for d in gpu.devices for f, _ in d.na})
    evidence = [f"{hms(gpu.t)} {f} n/a: {d.reason(f)}" for d in gpu.devices for f in partial if d.reason(f)]
    if gpu.note:
        evidence.append(gpu.note)
    summary = f"{len(gpu.devices)} GPU(s): {names}" + (f" ({', '.join(partial)} n/a)" if partial else "")
    return _result("gpu.visible", Status.PASS, summary, evidence)


def _vllm_gpu_processes(store: Store, cfg: Config) -> tuple[list[tuple[int, str, int | None, int]], list[int]]:
    """([(pid, role, used bytes, gpu index)] of vLLM processes on a GPU, [GPU pids not visible here]).
    With several vLLM servers on the host, only the target's own (by its URL's port) count."""
    gpu, host = store.gpu, store.host
    all_procs = {p.pid: p for p in host.processes} if host else {}
    own = target_processes(store, cfg)
    procs = {p.pid: p for p in own} if own is not None else all_procs
    mapped, hidden = [], []
    for d in gpu.devices if gpu else ():
        for p in d.processes or ():
            if p.pid in procs:
                mapped.append((p.pid, procs[p.pid].role, p.used_bytes, d.index))
            elif p.pid in all_procs:
                continue  # another vLLM server's process
            elif host is not None and not _pid_visible(p.pid):
                hidden.append(p.pid)
    return mapped, hidden


def _pid_visible(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_model_resident(store: Store, cfg: Config) -> CheckResult:
    gpu = store.gpu
    if gpu is None or not gpu.available or not gpu.devices:
        return _blocked("gpu.model_resident", "gpu.visible")
    mapped, hidden = _vllm_gpu_processes(store, cfg)
    holding = [m for m in mapped if m[2] is None or m[2] >= MODEL_RESIDENT_BYTES]
    if holding:
        pid, role, used, index = max(holding, key=lambda m: m[2] or 0)
        mem = f"{used / 1024**3:.1f} GiB" if used is not None else "memory not reported (MIG/WDDM)"
        evidence = [f"{hms(gpu.t)} NVML GPU{i}: pid {p} ({r}) {(u or 0) / 1024**3:.1f} GiB" for p, r, u, i in mapped]
        return _result("gpu.model_resident", Status.PASS, f"vLLM {role} pid {pid} holds {mem} on GPU{index}", evidence)
    any_procs = [(d.index, p) for d in gpu.devices for p in d.processes or ()]
    server_up = store.server is not None and store.server.ok
    if hidden:
        return _result(
            "gpu.model_resident",
            Status.UNKNOWN,
            f"GPU processes {', '.join(map(str, hidden[:3]))} are not visible here (another PID namespace)",
            [f"{hms(gpu.t)} NVML reports host PIDs; /proc here does not have them"],
            "embedtop runs in a container or PID namespace other than vLLM's: run it on the host, or the "
            "container with `--pid=host`, to name the processes.",
        )
    if server_up:
        evidence = [
            f"{hms(gpu.t)} NVML compute processes: "
            + (", ".join(f"GPU{i} pid {p.pid}" for i, p in any_procs) or "none")
        ]
        host = store.host
        if host and host.processes:
            evidence.append("vLLM processes here: " + ", ".join(f"{p.role} {p.pid}" for p in host.processes))
        return _result(
            "gpu.model_resident",
            Status.FAIL,
            "the API answers but no vLLM process holds GPU memory here",
            evidence,
            "vLLM is running somewhere else (another host or container than this GPU's) or on the CPU: check "
            "`--url` points at this host, `nvidia-smi` inside the vLLM container, and that vLLM is the CUDA build "
            "(its log says 'Automatically detected platform cuda').",
        )
    return _result("gpu.model_resident", Status.UNKNOWN, "no vLLM process holds GPU memory, and the API is not up")


def check_memory_headroom(store: Store, cfg: Config) -> CheckResult:
    gpu = store.gpu
    if gpu is None or not gpu.available or not gpu.devices:
        return _blocked("gpu.memory_headroom", "gpu.visible")
    known = [d for d in gpu.devices if d.used_bytes is not None and d.total_bytes]
    if not known:
        return _result("gpu.memory_headroom", Status.UNKNOWN, "memory not reported by NVML")
    own = target_processes(store, cfg)
    if own is not None:  # several vLLM servers here: the GPUs this one uses, when NVML shows them
        pids = {p.pid for p in own}
        known = [d for d in known if any(p.pid in pids for p in d.processes or ())] or known
    d = max(known, key=lambda d: d.used_bytes / d.total_bytes)  # type: ignore[operator]
    frac = d.used_bytes / d.total_bytes  # type: ignore[operator]
    summary = f"GPU{d.index} {frac * 100:.0f}% used ({d.used_bytes / 1024**3:.1f} of {d.total_bytes / 1024**3:.1f} GiB)"  # type: ignore[operator]
    waiting = [m.waiting for m in list(store.metrics_history)[-4:] if m.ok and m.waiting is not None]
    rising = len(waiting) >= 2 and waiting[-1] > 0 and waiting[-1] > waiting[0]
    evidence = [f"{hms(gpu.t)} NVML GPU{d.index}: used {d.used_bytes} of {d.total_bytes} bytes"]
    if waiting:
        evidence.append("vllm:num_requests_waiting over the last scrapes: " + ", ".join(f"{w:.0f}" for w in waiting))
    fix = (
        "vLLM reserves --gpu-memory-utilization × TOTAL GPU memory at start (0.9, or 0.92 from ~0.20), so a full "
        "card is normal for vLLM alone. The risk is other processes on the same GPU or bursts bigger than the "
        "KV cache: stop other GPU processes (`nvidia-smi`), lower --max-num-seqs / --max-num-batched-tokens, "
        "or send smaller batches; watch for 'CUDA out of memory' in the log."
    )
    if frac >= HEADROOM_FULL and rising:
        return _result(
            "gpu.memory_headroom", Status.WARN, f"{summary} and requests are queueing: OOM risk", evidence, fix
        )
    return _result("gpu.memory_headroom", Status.PASS, summary, evidence)


def check_process(store: Store, cfg: Config) -> CheckResult:
    host = store.host
    if host is None:
        return _result("vllm.process", Status.UNKNOWN, "waiting for the first process scan")
    port = urlsplit(cfg.url).port or (443 if cfg.url.startswith("https") else 80)
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
            return _result(
                "vllm.process",
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
            return _result(
                "vllm.process",
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
        return _result(
            "vllm.process",
            Status.PASS,
            f"API server pid {main.pid}{model} on port {main.port} (+{others} engine processes)",
            evidence,
        )
    if procs:
        return _result(
            "vllm.process", Status.PASS, f"{len(procs)} vLLM engine process(es), no API server here", evidence
        )
    return _result(
        "vllm.process",
        Status.UNKNOWN,
        "no vLLM process on this host (remote --url, or another container / PID namespace)",
    )


# ---------------------------------------------------------------- log


MODEL_RESIDENT_BYTES = 256 * 1024**2  # a process holding less than this is not a loaded model
HEADROOM_FULL = 0.97
NORM_JUMP = 0.05  # a relative change of the probe's L2 norm worth a warning
LATENCY_WINDOW = 30  # probes: 5 minutes at the default interval
STARTUP_SLOW_S = 600  # a start still going after 10 minutes deserves a look


def finding_evidence(state: LogState, root: Finding, others: list[Finding]) -> list[str]:
    """The root line first, then why it is the root, then the lines that followed from it."""
    evidence = [f"{hms(root.t)} log: {root.line[:300]}"]
    if getattr(root.pattern, "generic", False) and state.run.first_error is not None:
        text, t = state.run.first_error
        evidence.append(f"{hms(t)} first error in the log: {text[:300]}")
    evidence += [f"{hms(f.t)} then: {f.line[:200]}" for f in others if f is not root][:3]
    return evidence


def _finding_result(check_id: str, state: LogState) -> CheckResult | None:
    findings = state.findings_for(check_id)
    root = state.root_cause(check_id)
    if root is None:
        return None
    return _result(
        check_id,
        Status.FAIL if root.pattern.severity == "fail" else Status.WARN,
        f"{root.pattern.meaning} [{root.id}]",
        evidence=[*finding_evidence(state, root, findings), f"cause: {root.pattern.cause}"],
        fix=root.fix,
    )


def _log_unavailable(store: Store, check_id: str, cfg: Config) -> CheckResult | None:
    batch = store.log_batch
    if batch is None:
        if cfg.log_source is None:
            return _result(check_id, Status.UNKNOWN, "no log source (pass --log FILE, --docker NAME or --journal UNIT)")
        return _result(check_id, Status.UNKNOWN, f"waiting for the first read of {cfg.log_source}")
    if batch.error and not store.log_lines_total:
        return _result(
            check_id,
            Status.UNKNOWN,
            batch.error,
            evidence=(f"{hms(batch.t)} {batch.error}",),
            fix="Fix the log source named above (path, permissions, container or unit name).",
        )
    return None


def _phase_story(state: LogState) -> str:
    """ "starting 14 s · loading 1 s · warming-up 9 s" for the phases that ended."""
    parts = [f"{phase} {secs:.0f} s" for phase, _, secs in state.phase_durations() if secs is not None]
    return " · ".join(parts[:4])


def _log_verdict(store: Store, cfg: Config, check_id: str) -> CheckResult | None:
    """No usable log → say so; a catalog finding for this check → its root cause. Else None."""
    return _log_unavailable(store, check_id, cfg) or _finding_result(check_id, store.log_state)


def check_startup(store: Store, cfg: Config) -> CheckResult:
    verdict = _log_verdict(store, cfg, "vllm.startup")
    if verdict is not None:
        return verdict
    state = store.log_state
    since = state.phase_since
    if state.phase in lifecycle.BOOTING and since is not None:
        took = max(0.0, time.time() - since)
        evidence = [f"{hms(t)} {phase}" for phase, t, _ in state.phase_durations()]
        summary = f"still starting for {took:.0f} s ({state.phase})"
        if took > STARTUP_SLOW_S:
            return _result(
                "vllm.startup",
                Status.WARN,
                summary,
                evidence,
                "A start this long usually means a slow model download or torch.compile on a cold cache; "
                "look at the last lines of the log. If it is stuck, restart vLLM.",
            )
        return _result("vllm.startup", Status.UNKNOWN, summary, evidence)
    if state.ready_at is not None:
        story = _phase_story(state)
        total = state.ready_at - state.run.phases[0][1] if state.run.phases else 0.0
        summary = f"ready at {hms(state.ready_at)}" + (f" after {total:.0f} s" if total > 0 else "")
        evidence = [story] if story else []
        if state.phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED):
            return _result(
                "vllm.startup",
                Status.WARN,
                f"{summary}; stopped at {hms(since or state.ready_at)} (clean shutdown)",
                evidence,
                "vLLM was stopped (SIGTERM or Ctrl+C), not crashed. Start it again; `systemctl status` or "
                "`docker ps -a` shows who stopped it.",
            )
        return _result("vllm.startup", Status.PASS, summary, evidence)
    if state.phase in lifecycle.UP:
        return _result(
            "vllm.startup",
            Status.PASS,
            f"up since at least {hms(state.run.phases[0][1])} (its startup is older than the log we read)",
        )
    s = store.server
    if s is not None and s.ok:
        return _result(
            "vllm.startup", Status.PASS, "running (its startup is older than the log tail; /health answers 200)"
        )
    if state.phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED):
        return _result("vllm.startup", Status.WARN, f"the log shows vLLM {state.phase} at {hms(since or 0)}")
    return _result("vllm.startup", Status.UNKNOWN, "no startup seen in the log tail yet")


def check_engine(store: Store, cfg: Config) -> CheckResult:
    verdict = _log_verdict(store, cfg, "vllm.engine")
    if verdict is not None:
        return verdict
    state = store.log_state
    if state.findings_for("vllm.startup"):
        return _blocked("vllm.engine", "vllm.startup")
    if state.ready_at is None and not (store.server is not None and store.server.ok):
        return _result("vllm.engine", Status.UNKNOWN, "the engine has not started yet")
    hung = _engine_hung(store)
    if hung is not None:
        return hung
    stats = state.stats
    if stats is not None and state.stats_t is not None:
        kv = f", KV cache {stats.kv_pct:.1f} %" if stats.kv_pct is not None else ""
        return _result(
            "vllm.engine",
            Status.PASS,
            f"no fatal error in the log · running {stats.running}, waiting {stats.waiting}{kv}",
            evidence=[f"{hms(state.stats_t)} stats: {stats.prompt_tps:.1f} prompt tokens/s"],
        )
    return _result("vllm.engine", Status.PASS, "no fatal engine error in the log")


WINDOW_MIN = 5
HUNG_SCRAPES = 4  # requests running and not one token processed over this many consecutive scrapes


def _engine_hung(store: Store) -> CheckResult | None:
    """Requests running but no prompt token processed and no request finished for several scrapes:
    the engine is stuck (known pooling hangs in vLLM), though /health may still say 200."""
    recent = [m for m in list(store.metrics_history)[-HUNG_SCRAPES:] if m.ok]
    # Pooling requests are scheduled and finished within one engine step, so `running` reads 0 on a busy
    # embedding server and `waiting` carries the load (tests/captures/openwebui-real-vllm/): count both.
    if len(recent) < HUNG_SCRAPES or not all((m.running or 0) + (m.waiting or 0) > 0 for m in recent):
        return None
    tokens = {m.counters.get("prompt_tokens") for m in recent}
    done = {sum(m.success.values()) for m in recent}
    if len(tokens) > 1 or len(done) > 1:
        return None
    first, last = recent[0], recent[-1]
    return _result(
        "vllm.engine",
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


def check_requests(store: Store, cfg: Config) -> CheckResult:
    missing = _log_unavailable(store, "vllm.requests", cfg)
    if missing:
        return missing
    state = store.log_state
    now = max(time.time(), state.last_t or 0.0)
    worst: CheckResult | None = None
    for f in state.findings_for("vllm.requests"):
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
        result = _result(
            "vllm.requests",
            Status.FAIL if pattern.severity == "fail" else Status.WARN,
            f"{summary} [{pattern.id}]",
            evidence=[f"{hms(f.t)} log: {f.line[:300]}", f"cause: {pattern.cause}"],
            fix=f.fix,
        )
        if worst is None or result.status.rank > worst.status.rank:
            worst = result
    if worst is not None:
        return worst
    if not state.requests_total:
        return _result(
            "vllm.requests",
            Status.UNKNOWN,
            "no client requests in the log yet (embedtop's own are not counted)",
        )
    return _result("vllm.requests", Status.PASS, f"{state.requests_total} client requests, no error bursts")


# ---------------------------------------------------------------- API


def _down_fix(error: str, cfg: Config) -> str:
    if "refused" in error:
        return (
            f"Start vLLM, e.g. `vllm serve Qwen/Qwen3-Embedding-4B --runner pooling --served-model-name "
            f"Qwen3-Embedding-4B --port PORT`, or point --url at the right host:port (now {cfg.url}); for docker "
            f"publish the port (`-p PORT:8000`). Check with `curl -sS {cfg.url}/health`."
        )
    if "no answer within" in error or "timed out" in error:
        return (
            "The port accepts connections but vLLM does not answer: the process may be hung or stopped "
            "(SIGSTOP, a stuck engine). Check the log and the process; restart vLLM if it stays hung."
        )
    if "TLS" in error:
        return "Use http:// for a vLLM server without TLS, or the right certificate for an https proxy."
    if "resolve" in error:
        return "Fix the host name in --url (or use the IP address)."
    return f"Check that vLLM runs and listens at {cfg.url}."


def check_reachable(store: Store, cfg: Config) -> CheckResult:
    s = store.server
    if s is None:
        return _result("api.reachable", Status.UNKNOWN, f"waiting for the first poll of {cfg.url}/health")
    h = s.health
    phase = store.log_state.phase
    if h.status is None:
        error = h.error or "no answer"
        evidence = [f"{hms(s.t)} GET {s.url}/health → {error}"]
        if "refused" in error and phase in (lifecycle.STARTING, lifecycle.LOADING, lifecycle.WARMING):
            return _result(
                "api.reachable",
                Status.WARN,
                f"not up yet: the log shows vLLM {phase}",
                evidence=[*evidence, f"log phase {phase} since {hms(store.log_state.phase_since or s.t)}"],
                fix="Wait: vLLM opens its port after the model is loaded and warmed up "
                "('Application startup complete.' in the log).",
            )
        root = store.log_state.root_cause()
        if phase == lifecycle.CRASHED and root is not None:
            evidence.append(f"{hms(root.t)} log: {root.line[:200]}")
            return _result("api.reachable", Status.FAIL, f"down: {error}; the log shows a crash", evidence, root.fix)
        if phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED) and "refused" in error:
            evidence.append(f"{hms(store.log_state.phase_since or s.t)} log: vLLM {phase}")
            return _result(
                "api.reachable",
                Status.FAIL,
                f"down: the log shows vLLM {phase} (a clean stop, not a crash)",
                evidence,
                "Start vLLM again; `systemctl status UNIT` or `docker ps -a` shows who stopped it.",
            )
        return _result(
            "api.reachable", Status.FAIL, f"no answer from {s.url}: {error}", evidence, _down_fix(error, cfg)
        )
    evidence = [f"{hms(s.t)} GET {s.url}/health → {h.status} {h.content_type or ''} {h.body_excerpt!r}".rstrip()]
    if h.status == 200:
        if "html" in h.content_type.lower():
            return _result(
                "api.reachable",
                Status.FAIL,
                "/health answers an HTML page: this is not vLLM",
                evidence,
                f"Another server answers on {cfg.url}; point --url at vLLM's own port.",
            )
        version = f" · vLLM {s.version}" if s.version else ""
        return _result("api.reachable", Status.PASS, f"/health 200{version}")
    if h.status in (500, 503):
        return _result(
            "api.reachable",
            Status.FAIL,
            f"engine dead: /health answers {h.status}",
            evidence,
            ENGINE_DEAD_FIX,
        )
    if h.status == 404:
        return _result(
            "api.reachable",
            Status.FAIL,
            "GET /health → 404: not a vLLM server at this URL",
            evidence,
            "Point --url at the vLLM server itself (http://HOST:PORT, without /v1 or a proxy path).",
        )
    return _result(
        "api.reachable",
        Status.FAIL,
        f"/health answered HTTP {h.status}",
        evidence,
        f"Check what listens on {cfg.url}: vLLM answers /health with 200 and an empty body.",
    )


def check_models(store: Store, cfg: Config) -> CheckResult:
    s = store.server
    if s is None or not s.ok:
        return _blocked("api.models", "api.reachable")
    if s.models is None:
        error = s.models_error or "no answer"
        fix = f"Check `curl -sS {cfg.url}/v1/models`."
        if "HTTP 401" in error:
            fix = (
                f"vLLM runs with --api-key: export the key in ${cfg.api_key_env} "
                "(or name another variable with --api-key-env)."
            )
        return _result(
            "api.models", Status.FAIL, f"/v1/models failed: {error}", [f"{hms(s.t)} GET /v1/models → {error}"], fix
        )
    ids = [m.id for m in s.models]
    if not ids:
        return _result("api.models", Status.FAIL, "/v1/models lists no model", [f"{hms(s.t)} GET /v1/models → []"])
    listing = ", ".join(f"{m.id} (root {m.root})" if m.root else m.id for m in s.models)
    if cfg.model is None or cfg.model in ids:
        model = next(m for m in s.models if cfg.model in (None, m.id))
        length = f", max_model_len {model.max_model_len}" if model.max_model_len else ""
        return _result("api.models", Status.PASS, f"serves {model.id}{length}")
    return _result(
        "api.models",
        Status.FAIL,
        f"'{cfg.model}' is not served; /v1/models lists {', '.join(ids)}",
        [f"{hms(s.t)} GET /v1/models → {listing}"],
        f"Clients must send a served id. Restart vLLM with `--served-model-name {cfg.model}`, or use "
        f"'{ids[0]}' as the model in the client (Open WebUI: Admin Settings → Documents → Embedding Model) "
        f"and run embedtop with --model {ids[0]}.",
    )


def check_auth(store: Store, cfg: Config) -> CheckResult:
    """401 on /v1/* means vLLM runs with --api-key (or VLLM_API_KEY) and our key is missing or wrong.
    Only /v1 paths are guarded; /health and /metrics never need it (vLLM's --api-key guards /v1 only)."""
    s = store.server
    if s is None or not s.ok:
        return _blocked("api.auth", "api.reachable")
    p = store.probe
    models_401 = s.models is None and "HTTP 401" in (s.models_error or "")
    probe_401 = p is not None and p.http_status == 401
    if models_401 or probe_401:
        sent = "a key" if cfg.api_key else "no key"
        evidence = []
        if models_401:
            evidence.append(f"{hms(s.t)} GET /v1/models → {s.models_error}")
        if probe_401 and p is not None:
            evidence.append(f"{hms(p.t)} POST /v1/embeddings → 401 {p.error or ''}".rstrip())
        fix = (
            f"vLLM runs with --api-key: export the same key in ${cfg.api_key_env} before starting embedtop "
            "(or name the variable with --api-key-env)."
            if not cfg.api_key
            else f"The key in ${cfg.api_key_env} is not one vLLM accepts: compare it with vLLM's --api-key / "
            "VLLM_API_KEY (the CLI flag wins from 0.9)."
        )
        return _result("api.auth", Status.FAIL, f"401 Unauthorized: embedtop sent {sent}", evidence, fix)
    clients = _log_client_result(store.log_state, "api.auth")
    if clients is not None:
        return clients  # embedtop gets in, but the log shows clients refused: their key is missing or wrong
    if s.models is None and p is None:
        return _result("api.auth", Status.UNKNOWN, "waiting for /v1/models or a probe")
    how = "with the key from $" + cfg.api_key_env if cfg.api_key else "without a key (none needed)"
    return _result("api.auth", Status.PASS, f"/v1 accepts embedtop {how}")


def check_max_model_len(store: Store, cfg: Config) -> CheckResult:
    """max_model_len from /v1/models against what clients send: the log's too-long rejections and the
    long-input probe (vLLM answers 400 for inputs above it: tests/captures/vllm-0.32-cpu/http/22-*)."""
    s = store.server
    if s is None or not s.ok:
        return _blocked("api.max_model_len", "api.reachable")
    if not s.models:
        return _blocked("api.max_model_len", "api.models")
    model = next((m for m in s.models if cfg.model in (None, m.id)), s.models[0])
    if model.max_model_len is None:
        return _result("api.max_model_len", Status.UNKNOWN, "/v1/models does not report max_model_len")
    n = model.max_model_len
    too_long = [f for f in store.log_state.findings_for("vllm.requests") if f.id == "request.too_long"]
    li = store.long_input
    evidence = []
    if li is not None and li.ok:
        verb = "rejected with 400" if li.outcome == "rejected" else "truncated"
        evidence.append(f"{hms(li.t)} long-input probe: {li.words} words → {verb}")
    fix = (
        f"Keep client chunks below {n} tokens (Open WebUI: Admin → Documents → Chunk Size, in characters; "
        "~4 characters per token for English), send `truncate_prompt_tokens: -1`, or restart vLLM with a larger "
        "--max-model-len (at most the model's limit: 40960 for Qwen3-Embedding-4B; more KV cache per request)."
    )
    if too_long:
        f = too_long[-1]
        evidence.insert(0, f"{hms(f.t)} log: {f.line[:200]}")
        return _result("api.max_model_len", Status.WARN, f"clients send inputs over max_model_len {n}", evidence, fix)
    behaviour = ""
    if li is not None and li.ok:
        behaviour = "; longer inputs are rejected (400)" if li.outcome == "rejected" else "; longer inputs truncated"
    return _result("api.max_model_len", Status.PASS, f"max_model_len {n:,} tokens{behaviour}", evidence)


# ---------------------------------------------------------------- probe


def _probe_fix(p: ProbeSample, cfg: Config) -> str:
    error = p.error or ""
    if p.http_status == 404 and "does not exist" in error:
        return (
            f"The probe asked for '{p.model}', which vLLM does not serve: pass the served id with --model, or "
            f"restart vLLM with `--served-model-name {p.model}`."
        )
    if p.http_status == 404:
        return (
            f"POST {cfg.url}/v1/embeddings is not routed: the model may be a generate model (use `--runner pooling`)."
        )
    if p.http_status == 401:
        return f"vLLM runs with --api-key: export the key in ${cfg.api_key_env}."
    if (p.http_status and p.http_status >= 500) or "EngineCore" in error:
        return ENGINE_DEAD_FIX
    if p.error_kind == "transport":
        return _down_fix(error, cfg)
    if p.http_status == 405:
        return (
            f"{cfg.url}/v1/embeddings does not take POST: --url must be the server root (http://HOST:PORT, "
            "no path), not a proxy route."
        )
    if p.error_kind == "body":
        return f"The answer is not an OpenAI embedding list: check that {cfg.url} is vLLM and not a proxy or web page."
    hit = log_catalog.match(error, None)
    if hit is not None:
        return hit[0].fix  # vLLM's request errors are in the catalog too (too long, dimensions, generate model)
    return "Read the error text; `curl` the same request to reproduce it."


def check_probe(store: Store, cfg: Config) -> CheckResult:
    s = store.server
    if s is None or not s.ok:
        return _blocked("probe.status", "api.reachable")
    if cfg.model and s.models is not None and cfg.model not in served_ids(s):
        return _blocked("probe.status", "api.models")
    p = store.probe
    if p is None:
        return _result("probe.status", Status.UNKNOWN, "waiting for the first probe")
    if p.ok:
        return _result("probe.status", Status.PASS, f"200 in {_ms(p.latency_s)}, {p.dims} dims ({p.model})")
    status = f"HTTP {p.http_status}" if p.http_status else "no answer"
    return _result(
        "probe.status",
        Status.FAIL,
        f"{status}: {p.error}",
        [f"{hms(p.t)} POST /v1/embeddings model={p.model} → {status}: {p.error}"],
        _probe_fix(p, cfg),
    )


def expected_dims(store: Store, cfg: Config) -> tuple[int | None, str]:
    if cfg.dims:
        return cfg.dims, "--dims"
    if cfg.expected_dims:
        return cfg.expected_dims, f"model name {cfg.model}"
    model = probe_model(store, cfg)
    implied = implied_dims(model)
    if implied:
        return implied, f"model name {model}"
    return store.first_good_dims, "first good answer"


def check_dimensions(store: Store, cfg: Config) -> CheckResult:
    p = store.probe
    if p is None or not p.ok or check_probe(store, cfg).status != Status.PASS:
        return _blocked("probe.dimensions", "probe.status")
    expected, source = expected_dims(store, cfg)
    if expected is None or p.dims == expected:
        return _result("probe.dimensions", Status.PASS, f"{p.dims} dims as expected ({source})")
    evidence = [f"{hms(p.t)} POST /v1/embeddings model={p.model} → {p.dims}-dim vector"]
    name = p.response_model or p.model
    claimed = implied_dims(name)
    if claimed and claimed != p.dims:
        roots = [m.root for m in (store.server.models or ()) if m.id == name and m.root] if store.server else []
        root = f" (root: {roots[0]})" if roots else ""
        evidence.append(
            f"the served name '{name}' claims a model with {claimed}-dim vectors: other weights are served "
            f"under this name{root}"
        )
    return _result(
        "probe.dimensions",
        Status.FAIL,
        f"vectors have {p.dims} dims, expected {expected} ({source})",
        evidence,
        f"Serve the model you expect (e.g. `vllm serve Qwen/Qwen3-Embedding-4B --runner pooling "
        f"--served-model-name Qwen3-Embedding-4B`). If {p.dims} dims is intended, run embedtop with --dims "
        f"{p.dims} and rebuild every collection built with {expected}-dim vectors — vectors of different lengths "
        "cannot be mixed (Open WebUI: Admin → Documents → Reindex; 'Reset Vector Storage' also deletes all "
        "knowledge bases).",
    )


def check_values(store: Store, cfg: Config) -> CheckResult:
    p = store.probe
    if p is None or not p.ok or check_probe(store, cfg).status != Status.PASS:
        return _blocked("probe.values", "probe.status")
    if p.finite is False:
        return _result(
            "probe.values",
            Status.FAIL,
            "the vector holds NaN or Inf",
            [f"{hms(p.t)} probe vector has non-finite values"],
            "Numeric overflow in the model: restart vLLM with `--dtype bfloat16` (or float32) and re-embed.",
        )
    if p.all_zero:
        return _result(
            "probe.values",
            Status.FAIL,
            "the vector is all zeros",
            [f"{hms(p.t)} probe vector is all 0.0"],
            "The model returns no signal: check the weights and the pooling config in the startup log.",
        )
    norm = f"L2 norm {p.norm:.3f}" if p.norm is not None else "norm n/a"
    earlier = [q.norm for q in list(store.probes)[:-1] if q.ok and q.norm is not None][-30:]
    if p.norm is not None and len(earlier) >= 3:
        usual = statistics.median(earlier)
        if usual > 0 and abs(p.norm - usual) / usual > NORM_JUMP:
            return _result(
                "probe.values",
                Status.WARN,
                f"L2 norm jumped from {usual:.3f} to {p.norm:.3f}",
                [f"{hms(p.t)} probe norm {p.norm:.4f}; median of the {len(earlier)} before: {usual:.4f}"],
                "The same text now embeds differently: the server was restarted with other weights, dtype or "
                "pooling (`Resolved pooling config` in the log, `--pooler-config`). Vectors stored before and "
                "after do not compare; re-embed the collection if the change is intended.",
            )
    return _result("probe.values", Status.PASS, f"finite, {norm}")


def check_latency(store: Store, cfg: Config) -> CheckResult:
    p = store.probe
    if p is None or not p.ok or check_probe(store, cfg).status != Status.PASS:
        return _blocked("probe.latency", "probe.status")
    recent = store.probe_latencies_ms(LATENCY_WINDOW)
    if len(recent) >= 3:
        _, value, _ = percentiles(recent)
        summary = f"p95 of last {len(recent)}: {value:.0f} ms"
    else:
        value = statistics.median(recent)
        summary = f"median of last {len(recent)}: {value:.0f} ms"
    evidence = [f"{hms(p.t)} last probes: " + ", ".join(f"{v:.0f} ms" for v in recent[-8:])]
    fix = (
        "Probes queue behind other work: check 'Running: N reqs, Waiting: M reqs' in the log's stats line. "
        "An Open WebUI upload sends every chunk at once, and latency recovers when the queue drains. If it "
        "stays high while idle, check GPU load and other processes on the GPU (`nvidia-smi`)."
    )
    if value >= cfg.latency_fail_ms:
        return _result("probe.latency", Status.FAIL, f"{summary} ≥ {cfg.latency_fail_ms:.0f} ms", evidence, fix)
    if value >= cfg.latency_warn_ms:
        return _result("probe.latency", Status.WARN, f"{summary} ≥ {cfg.latency_warn_ms:.0f} ms", evidence, fix)
    return _result("probe.latency", Status.PASS, summary)


def check_semantic(store: Store, cfg: Config) -> CheckResult:
    sem = store.semantic
    probe = check_probe(store, cfg)
    if sem is None:
        if probe.status in (Status.FAIL, Status.BLOCKED):
            return _blocked("probe.semantic", "probe.status")
        return _result("probe.semantic", Status.UNKNOWN, "not run yet (press s)")
    if not sem.ok:
        if probe.status in (Status.FAIL, Status.BLOCKED):
            return _blocked("probe.semantic", "probe.status")
        return _result(
            "probe.semantic",
            Status.FAIL,
            f"semantic probe failed: {sem.error}",
            [f"{hms(sem.t)} POST /v1/embeddings ({sem.inputs} inputs) → {sem.error}"],
            f"The single-input probe works but a {sem.inputs}-input request does not: check the log for the error.",
        )
    assert sem.related is not None and sem.unrelated is not None
    mean = "mean " if sem.pairs else ""
    evidence = [
        f"{hms(sem.t)} {mean}cosine(query, related) = {sem.related:.3f}, "
        f"{mean}cosine(query, unrelated) = {sem.unrelated:.3f}",
    ]
    if sem.pairs:
        evidence.append(
            f"the paraphrase won {sem.wins} of {len(sem.pairs)} queries (it shares no word with the query; the "
            "unrelated document shares several: weights without meaning follow the words)"
        )
        evidence += [f"  query {i + 1}: related {r:.2f} vs unrelated {u:.2f}" for i, (r, u) in enumerate(sem.pairs)]
    wins = f", {sem.wins}/{len(sem.pairs)} queries" if sem.pairs else ""
    if sem.passed:
        return _result(
            "probe.semantic",
            Status.PASS,
            f"related {sem.related:.2f} > unrelated {sem.unrelated:.2f}{wins}",
            evidence,
        )
    return _result(
        "probe.semantic",
        Status.FAIL,
        f"related passages do not win: {sem.related:.2f} vs unrelated {sem.unrelated:.2f}{wins}",
        evidence,
        "The vectors carry no meaning: the weights behind the name are wrong or broken, the pooling is wrong "
        "(Qwen3-Embedding needs last-token pooling and normalization — check 'Resolved pooling config' in the "
        "log; drop a custom --pooler-config), or the tokenizer lacks the trailing <|endoftext|> (an old "
        "snapshot or GGUF). Re-download Qwen/Qwen3-Embedding-4B and restart vLLM with `--runner pooling`.",
    )


# ---------------------------------------------------------------- ingestion and clients

BASE_URL_FIX = (
    "Set the client's base URL to http://HOST:PORT/v1 — exactly one /v1, no trailing slash. Open WebUI uses it "
    "verbatim plus /embeddings (Admin → Settings → Documents → Embedding → OpenAI API URL; with Open WebUI in "
    "docker, HOST is host.docker.internal or the bridge IP, not 127.0.0.1)."
)
WRONG_PATH = {
    "no-v1": "without /v1",
    "double-v1": "with /v1 twice",
    "double-slash": "with a double slash",
    "other-path": "on an unexpected path",
}


def log_client_finding(state: LogState, check_id: str) -> Finding | None:
    """The log's own finding for a client check (its history included, e.g. the backlog `check --log` reads),
    if still on at the log's latest time: a burst of access lines in its window, or a request error."""
    latest = state.last_t or 0.0
    found = None
    for f in state.findings_for(check_id):
        if isinstance(f.pattern, AccessRule):
            if state.count_access(f.pattern, latest) < f.pattern.min_count:
                continue
        elif latest - f.t > WINDOW_MIN * 60:
            continue
        if found is None or (f.pattern.severity == "fail" and found.pattern.severity != "fail"):
            found = f
    return found


def _log_client_result(state: LogState, check_id: str, fix: str | None = None) -> CheckResult | None:
    f = log_client_finding(state, check_id)
    if f is None:
        return None
    count = f" ({f.count}× in {f.pattern.window_s / 60:.0f} min)" if isinstance(f.pattern, AccessRule) else ""
    return _result(
        check_id,
        Status.FAIL if f.pattern.severity == "fail" else Status.WARN,
        f"{f.pattern.meaning}{count} [{f.id}]",
        [f"{hms(f.t)} log (line {f.line_no}): {f.line[:300]}", f"cause: {f.pattern.cause}"],
        fix or f.fix,
    )


def _client_window(store: Store) -> list:
    """Client embedding requests of the last WINDOW_MIN minutes (access lines are timed when read)."""
    return store.ingest.window(max(time.time(), store.log_state.last_t or 0.0))


OWUI_LOG_NEEDED = "Open WebUI's log (--openwebui-log / --openwebui-docker / --openwebui-journal)"
REINDEX_BEFORE_012 = (
    " Before Open WebUI 0.12, Reindex rebuilds only the knowledge bases' own collections: files attached to chats "
    "(`file-<id>` collections), the knowledge-bases metadata collection and memories keep the old width — "
    "re-upload those files."
)


def owui_log_on(store: Store, cfg: Config) -> bool:
    """Whether Open WebUI's own log is a source here (configured, or in a recording being replayed)."""
    return cfg.owui_log_source is not None or store.owui_log.batch is not None


def _owui_log_error(store: Store) -> str | None:
    batch = store.owui_log.batch
    return batch.error if batch is not None and batch.error else None


def _owui_log_result(store: Store, check_id: str, summary: str | None = None, fix: str | None = None):
    """The worst finding of Open WebUI's log still on for `check_id` (cited with its line), or None."""
    on = store.owui_log.current(check_id)
    if not on:
        return None
    top = on[0]
    evidence = [top.evidence(), f"cause: {top.entry.cause}"]
    evidence += [c.evidence() for c in on[1:3]]
    return _result(
        check_id,
        Status.FAIL if top.entry.severity == "fail" else Status.WARN,
        summary or f"{top.entry.meaning.rstrip('.')} [{top.entry.id}]",
        evidence,
        fix or top.entry.fix,
    )


def _owui_hostport(url: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None)
    except ValueError:
        return None
    return ((parts.hostname or "").lower(), port) if parts.hostname else None


LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def _owui_target_problem(store: Store, cfg: Config, embedding_url: str) -> tuple[Status, str, str, list[str]] | None:
    """Open WebUI's embedding URL against the watched server: (status, summary, fix, notes) or None."""
    theirs, ours = _owui_hostport(embedding_url), _owui_hostport(cfg.url)
    if theirs is None or ours is None:
        return None
    (host, port), (our_host, our_port) = theirs, ours
    # host.docker.internal reaches the host's own ports (no port mapping between): the same machine.
    same_machine = host in LOOPBACK or host == our_host or (our_host in LOOPBACK and host == "host.docker.internal")
    target = f"{our_host}:{our_port}"
    if port != our_port:
        fix = (
            f"Open WebUI posts its embeddings to {host}:{port}, not to the server embedtop watches ({target}): set "
            f"Admin → Settings → Documents → Embedding → OpenAI API URL to http://HOST:{our_port}/v1 (HOST as Open "
            "WebUI reaches this server; from inside docker host.docker.internal or the compose service name)."
        )
        arriving = any(r.kind == "ok" for r in _client_window(store))
        if same_machine and not arriving:
            return Status.FAIL, f"Open WebUI posts to port {port}, the server listens on {our_port}", fix, []
        if same_machine:
            note = "client requests do reach vLLM: a proxy on that port (LiteLLM, nginx) may forward them"
            return Status.WARN, f"Open WebUI posts to port {port}, the server listens on {our_port}", fix, [note]
        return (
            Status.WARN,
            f"Open WebUI posts to {host}:{port}, the watched server is {target}",
            fix + " A docker port mapping (host port ≠ container port) explains it only when the host is a container.",
            [],
        )
    if host in LOOPBACK and cfg.openwebui_docker:
        requests = any(r.kind == "ok" for r in _client_window(store)) or bool(store.ingest.totals)
        note = (
            f"Open WebUI runs in docker ({cfg.openwebui_docker}) and posts to {host}:{port}: inside its container "
            f"that is the container itself, not this host"
        )
        if requests:
            return None  # host networking: the requests arrive
        return (
            Status.WARN,
            f"Open WebUI (in docker) posts to {host}:{port}: its own container",
            "Use http://host.docker.internal:PORT/v1 (add `--add-host host.docker.internal:host-gateway` on Linux), "
            "the compose service name, or run Open WebUI with --network host.",
            [note],
        )
    return None


def check_base_url(store: Store, cfg: Config) -> CheckResult:
    """Open WebUI posts to `{base_url}/embeddings` verbatim: a missing /v1 gives `POST /embeddings` 404
    (tests/captures/openwebui-real-vllm/fail_no_v1)."""
    owui = store.owui
    elsewhere = None
    if owui is not None and owui.ok and owui.engine == "openai" and owui.embedding_url:
        elsewhere = _owui_target_problem(store, cfg, owui.embedding_url)
        if elsewhere is not None and elsewhere[0] == Status.FAIL:
            status, summary, fix, notes = elsewhere
            evidence = [f"{hms(owui.t)} Open WebUI embedding URL: {owui.embedding_url}", f"watched: {cfg.url}", *notes]
            return _result("client.base_url", status, summary, evidence, fix)
        bad = _owui_url_problem(owui.embedding_url)
        unreachable = [f for f in owui.files if f.status == "failed" and "Cannot connect to host" in f.error]
        if bad or unreachable:
            evidence = [f"{hms(owui.t)} Open WebUI embedding URL: {owui.embedding_url}"]
            fix = BASE_URL_FIX
            if unreachable:
                evidence.append(f"file {unreachable[0].name} failed: {unreachable[0].error[:200]}")
                fix = (
                    "Open WebUI cannot connect to that host:port. Inside docker, 127.0.0.1/localhost is Open WebUI's "
                    "own container: use http://host.docker.internal:PORT/v1 (add `--add-host "
                    "host.docker.internal:host-gateway` on Linux) or the bridge IP. " + BASE_URL_FIX
                )
            return _result(
                "client.base_url", Status.FAIL, f"Open WebUI's base URL {bad or 'is unreachable'}", evidence, fix
            )
    logged_owui = _owui_log_result(store, "client.base_url")
    if logged_owui is not None and logged_owui.status == Status.FAIL:
        return logged_owui
    warning = logged_owui
    if warning is None and owui is not None and elsewhere is not None:
        status, summary, fix, notes = elsewhere
        evidence = [f"{hms(owui.t)} Open WebUI embedding URL: {owui.embedding_url}", f"watched: {cfg.url}", *notes]
        warning = _result("client.base_url", status, summary, evidence, fix)
    owui_log = owui_log_on(store, cfg)
    if cfg.log_source is None and owui is None and not owui_log:
        return _result("client.base_url", Status.UNKNOWN, "needs the vLLM log (--log / --docker / --journal)")
    window = _client_window(store)
    wrong = [r for r in window if r.kind != "ok"]
    if wrong:
        last = wrong[-1]
        kinds = sorted({WRONG_PATH[r.kind] for r in wrong})
        return _result(
            "client.base_url",
            Status.FAIL,
            f"{len(wrong)} client requests {' and '.join(kinds)} in {WINDOW_MIN} min (status {last.status})",
            [f"{hms(last.t)} log: {last.line[:200]}"],
            BASE_URL_FIX,
        )
    logged = _log_client_result(store.log_state, "client.base_url", BASE_URL_FIX)
    if logged is not None and not any(r.kind == "ok" for r in window):
        return logged
    if warning is not None:
        return warning
    if any(r.kind == "ok" for r in window) or store.ingest.totals:
        return _result("client.base_url", Status.PASS, "clients post to /v1/embeddings")
    if store.owui_log.embedded_at:
        return _result("client.base_url", Status.PASS, "Open WebUI's log: its embedding requests succeed")
    return _result("client.base_url", Status.UNKNOWN, "no client embedding requests in the log yet")


def _owui_url_problem(url: str) -> str | None:
    path = urlsplit(url).path
    if path.rstrip("/") == "":
        return "has no /v1"
    if "/v1/v1" in path:
        return "has /v1 twice"
    if path.endswith("/"):
        return "ends with a slash (Open WebUI will post to …//embeddings)"
    if not path.endswith("/v1"):
        return f"ends in {path!r}, not /v1"
    return None


def check_client_model(store: Store, cfg: Config) -> CheckResult:
    """vLLM answers 404 on /v1/embeddings only for a model it does not serve (`The model … does not exist`)."""
    owui, ids = store.owui, served_ids(store.server)
    if owui is not None and owui.ok and owui.model and ids and owui.model not in ids:
        return _result(
            "client.model_name",
            Status.FAIL,
            f"Open WebUI's embedding model '{owui.model}' is not served (served: {', '.join(ids)})",
            [f"{hms(owui.t)} Open WebUI RAG_EMBEDDING_MODEL = {owui.model}", f"/v1/models: {', '.join(ids)}"],
            f"In Open WebUI set the Embedding Model to '{ids[0]}' (Admin → Settings → Documents), or restart vLLM "
            f"with --served-model-name {owui.model}.",
        )
    logged_owui = _owui_log_result(store, "client.model_name")
    if logged_owui is not None:
        return logged_owui
    if cfg.log_source is None:
        if store.owui_log.embedded_at:
            return _result("client.model_name", Status.PASS, "Open WebUI's log: its embedding requests succeed")
        if owui_log_on(store, cfg):
            return _result(
                "client.model_name", Status.UNKNOWN, "no embedding request succeeded in Open WebUI's log yet"
            )
        return _result("client.model_name", Status.UNKNOWN, "needs the vLLM log (--log / --docker / --journal)")
    window = _client_window(store)
    notfound = [r for r in window if r.kind == "ok" and r.status == 404]
    ids = served_ids(store.server)
    if notfound:
        last = notfound[-1]
        served = f" The server serves: {', '.join(ids)}." if ids else ""
        return _result(
            "client.model_name",
            Status.FAIL,
            f"{len(notfound)} client embedding requests got 404 (model name not served)",
            [f"{hms(last.t)} log: {last.line[:200]}"],
            "The client's model name must equal an id in /v1/models (vLLM's --served-model-name)."
            + served
            + " Open WebUI: Admin → Settings → Documents → Embedding Model.",
        )
    ok_now = any(r.kind == "ok" and 200 <= r.status < 300 for r in window)
    logged = _log_client_result(store.log_state, "client.model_name")
    if logged is not None and not ok_now:
        return logged
    if ok_now:
        return _result("client.model_name", Status.PASS, "client requests name a served model")
    if store.owui_log.embedded_at:
        return _result("client.model_name", Status.PASS, "Open WebUI's log: its embedding requests succeed")
    return _result("client.model_name", Status.UNKNOWN, "no client embedding requests in the log yet")


def _store_mismatch(store: Store) -> CheckResult | None:
    """Open WebUI's Chroma collections (--openwebui-data) against the width the watched server returns now: the
    silent case too — after a model change a query answers 200 with no documents and logs nothing."""
    st, probe = store.owui_store, store.probe
    dims = probe.dims if probe is not None and probe.ok else None
    if st is None or not st.ok or not dims:
        return None
    bad = [c for c in st.collections if c.dims and c.dims != dims]
    if not bad:
        return None
    assert probe is not None
    names = {k.id: k.name for k in store.owui.knowledge} if store.owui is not None and store.owui.ok else {}
    widths = "/".join(str(w) for w in sorted({c.dims for c in bad if c.dims}))
    models = sorted({c.model for c in bad if c.model})
    evidence = [
        f"{hms(st.t)} collection {names.get(c.name, c.name)}: {c.dims}-dim vectors"
        + (f", built with {c.model}" if c.model else "")
        for c in bad[:5]
    ]
    evidence += [f"{hms(probe.t)} the watched server returns {dims}-dim vectors (probe)", f"store: {st.path}"]
    built = f" ({', '.join(models)})" if models else ""
    return _result(
        "client.dimensions",
        Status.FAIL,
        f"{len(bad)} of {len(st.collections)} collections in Open WebUI's vector store hold {widths}-dim vectors, "
        f"the server returns {dims}: their queries fail or silently come back empty",
        evidence,
        "Admin → Settings → Documents → Reindex Knowledge Base Vectors (rebuilds them from the stored text with "
        f"the server's model), or serve the model they were built with{built} again." + REINDEX_BEFORE_012,
    )


def check_client_dims(store: Store, cfg: Config) -> CheckResult:
    """A model change without re-indexing: Open WebUI's vector store refuses vectors of another length
    ("Collection expecting embedding with dimension of 2560, got 1024", Open WebUI 0.12.4's message) — in its
    log (uploads and queries) or in a failed file's error (the link)."""
    owui, owui_log = store.owui, owui_log_on(store, cfg)
    on = store.owui_log.current("client.dimensions")
    failing = [c for c in on if c.entry.severity == "fail"]
    if failing:
        top = failing[0]
        facts = top.facts
        expected, got = facts.get("expected"), facts.get("got")
        probe = store.probe.dims if store.probe is not None and store.probe.ok else None
        widths = (
            f"the vector store holds {expected}-dim vectors, Open WebUI now sends {got}-dim ones"
            if expected and got
            else "the vector store holds vectors of another length than Open WebUI sends now"
        )
        evidence = [top.evidence(), f"cause: {top.entry.cause}"]
        if probe:
            evidence.append(f"the watched server returns {probe}-dim vectors now (probe)")
        evidence += [c.evidence() for c in on[1:3] if c is not top]
        fix = top.entry.fix
        if top.id != "owui.dims_pgvector" and "0.12" not in fix:
            fix += REINDEX_BEFORE_012
        return _result("client.dimensions", Status.FAIL, f"{widths} [{top.id}]", evidence, fix)
    mismatch = _store_mismatch(store)
    if mismatch is not None:
        return mismatch
    if owui is not None and owui.ok:
        bad = [f for f in owui.files if f.status == "failed" and "dimension" in f.error.lower()]
        if bad:
            return _result(
                "client.dimensions",
                Status.FAIL,
                "Open WebUI's collections hold vectors of another length than the model gives now",
                [f"{hms(owui.t)} file {f.name} failed: {f.error[:200]}" for f in bad[:3]],
                "The embedding model changed after the knowledge bases were built: Admin → Settings → Documents → "
                "Reindex (rebuilds every collection from the stored text; 'Reset Vector Storage' would also delete "
                "all knowledge bases), or switch back to the model the collections were built with."
                + REINDEX_BEFORE_012,
            )
    if on:  # a query failed (a warning: the width is the usual cause, not the only one)
        result = _owui_log_result(store, "client.dimensions")
        assert result is not None
        return result
    st = store.owui_store
    if owui is None and not owui_log and st is None and cfg.openwebui_data is None:
        return _result(
            "client.dimensions",
            Status.UNKNOWN,
            f"needs the Open WebUI link (--openwebui), {OWUI_LOG_NEEDED} or its DATA_DIR (--openwebui-data): "
            "vLLM cannot see the collection's width",
        )
    seen = []
    if st is not None and st.ok and store.probe is not None and store.probe.ok and store.probe.dims:
        seen.append(f"Open WebUI's {len(st.collections)} collections (all {store.probe.dims}-dim)")
    if owui is not None and owui.ok:
        seen.append(f"Open WebUI's {len(owui.files)} latest files")
    if owui_log and store.owui_log.batch is not None and not _owui_log_error(store):
        seen.append(f"Open WebUI's log ({store.owui_log.lines:,} lines)")
    if not seen and st is not None and st.ok and not (owui_log and store.owui_log.batch is not None):
        return _result(
            "client.dimensions",
            Status.UNKNOWN,
            f"waiting for the probe's vector width to compare with Open WebUI's {len(st.collections)} collections",
        )
    if not seen:
        why = [owui.error] if owui is not None and owui.error else []
        why += [e] if (e := _owui_log_error(store)) else []
        why += [st.error] if st is not None and st.error else []
        if owui_log and store.owui_log.batch is None and not why:
            return _result("client.dimensions", Status.UNKNOWN, f"waiting for the first read of {cfg.owui_log_source}")
        return _result("client.dimensions", Status.UNKNOWN, f"Open WebUI: {'; '.join(why) or 'no data yet'}")
    return _result("client.dimensions", Status.PASS, f"no dimension errors in {' or '.join(seen)}")


INGEST_FIX = (
    "Open WebUI fails the whole file on the first failed chunk and drops vLLM's message: client.base_url "
    "and client.model_name say which mistake it is; a 400 means a chunk over max_model_len (lower the "
    "chunk size) — see api.max_model_len."
)


def _owui_ingest(store: Store) -> CheckResult | None:
    """Open WebUI's log on ingestion: its own failures (400, 401, 429, timeouts), duplicate content (a warning
    that never blames the server), and files it failed for a reason another check names."""
    on = store.owui_log.current("ingest.errors")
    if not on:
        return None
    specific = [c for c in on if not c.entry.generic]
    if specific:
        top = specific[0]
        if top.id == "owui.duplicate":
            summary = "Open WebUI refused a duplicate file (client side: the embedding server is fine)"
        else:
            summary = f"{top.entry.meaning.rstrip('.')} [{top.id}]"
        return _owui_log_result(store, "ingest.errors", summary=summary, fix=top.entry.fix)
    generic = on[0]
    root = store.owui_log.root()
    evidence = [generic.evidence()]
    if root is not None and root.entry.check != "ingest.errors":
        evidence.append(f"why: {root.evidence()}")
        summary = f"Open WebUI failed a file: {root.entry.meaning.rstrip('.')} (see {root.entry.check})"
        fix = f"See {root.entry.check}: {root.entry.fix}"
    else:
        summary = f"Open WebUI failed a file [{generic.id}]"
        fix = generic.entry.fix
    return _result("ingest.errors", Status.FAIL, summary, evidence, fix)


def check_ingest_errors(store: Store, cfg: Config) -> CheckResult:
    """Errors in the latest burst of client embedding requests (vLLM's log), and Open WebUI's own failures (its
    log). Open WebUI fails a whole file on its first failed chunk (tests/captures/openwebui-real-vllm/), so one
    error is already a failed document."""
    owui_side = _owui_ingest(store) if owui_log_on(store, cfg) else None
    if cfg.log_source is None:
        if owui_side is not None:
            return owui_side
        if owui_log_on(store, cfg):
            if store.owui_log.embedded_at:
                return _result("ingest.errors", Status.PASS, "Open WebUI's log: documents embedded, no failures")
            return _result("ingest.errors", Status.UNKNOWN, "no document embedded in Open WebUI's log yet")
        return _result("ingest.errors", Status.UNKNOWN, "needs the vLLM log (--log / --docker / --journal)")
    ing = store.ingest
    now = max(time.time(), store.log_state.last_t or 0.0)
    bursts = [b for b in (*ing.bursts, ing.burst) if b is not None and b.last >= now - WINDOW_MIN * 60]
    latest = bursts[-1] if bursts else None
    errors = sum(latest.errors.values()) if latest is not None else 0
    if latest is not None and errors:
        failed = [r for r in _client_window(store) if not (r.kind == "ok" and 200 <= r.status < 300)]
        evidence = [f"{n}× {label}" for label, n in latest.errors.most_common(3)]
        if failed:
            evidence.append(f"{hms(failed[-1].t)} log: {failed[-1].line[:200]}")
        if owui_side is not None:
            evidence += list(owui_side.evidence[:1])
        return _result(
            "ingest.errors",
            Status.FAIL,
            f"{errors} of {latest.requests} client requests failed in the burst since {hms(latest.start)}",
            evidence,
            INGEST_FIX,
        )
    if owui_side is not None:
        return owui_side
    if latest is None:
        if store.owui_log.embedded_at:
            return _result("ingest.errors", Status.PASS, "Open WebUI's log: documents embedded, no failures")
        return _result("ingest.errors", Status.UNKNOWN, f"no client embedding requests in the last {WINDOW_MIN} min")
    return _result("ingest.errors", Status.PASS, f"{latest.requests} client requests in the last burst, none failed")


STUCK_S = 300.0  # a file pending / processing this long with no client request reaching vLLM is stuck


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


def _requests_flowing(store: Store) -> bool:
    if any(r.kind == "ok" for r in _client_window(store)) or store.ingest.burst is not None:
        return True
    traffic = store.traffic()
    return traffic is not None and (traffic.requests_per_s or 0.0) > 0.05


def _stuck_files(store: Store) -> CheckResult | None:
    """Files Open WebUI keeps pending / processing past STUCK_S: stuck before embedding when no client request
    reaches vLLM, merely slow while requests flow."""
    owui = store.owui
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
    evidence += knowledge_lines(store)
    age = (owui.t - old[0].updated) / 60
    if _requests_flowing(store):
        return _result(
            "ingest.stalled",
            Status.PASS,
            f"{len(old)} files in flight for up to {age:.0f} min while requests flow (slow embedding, not stuck)",
            evidence,
        )
    return _result(
        "ingest.stalled",
        Status.FAIL,
        f"{len(old)} files stuck in Open WebUI for up to {age:.0f} min: no client request reaches vLLM",
        evidence,
        "The files are stuck before embedding (Open WebUI has no processing timeout by default): content "
        "extraction (Tika / Docling) hanging, a background task lost in an Open WebUI restart, or its embedding URL "
        "pointing elsewhere (see client.base_url). Search Open WebUI's log for the file id; delete the file and "
        "upload it again once the cause is fixed.",
    )


def check_ingest_stalled(store: Store, cfg: Config) -> CheckResult:
    if store.server is None or not store.server.ok:
        return _blocked("ingest.stalled", "api.reachable")
    stuck = _stuck_files(store)
    if stuck is not None and stuck.status == Status.FAIL:
        return stuck
    recent = [m for m in list(store.metrics_history)[-HUNG_SCRAPES:] if m.ok]
    if not recent:
        return _result("ingest.stalled", Status.UNKNOWN, "waiting for /metrics")
    last = recent[-1]
    if (last.waiting or 0) == 0:
        if stuck is not None:
            return stuck
        burst = store.ingest.burst
        kbs = knowledge_lines(store)
        if burst is not None:
            return _result("ingest.stalled", Status.PASS, f"ingesting: {burst.requests} requests so far", kbs)
        return _result("ingest.stalled", Status.PASS, "nothing queued", kbs)
    done = {sum(m.success.values()) for m in recent}
    if len(recent) >= HUNG_SCRAPES and len(done) == 1:
        return _result(
            "ingest.stalled",
            Status.FAIL,
            f"{last.waiting:.0f} requests queued and none finished for {last.t - recent[0].t:.0f} s",
            [
                f"{hms(m.t)} waiting {m.waiting or 0:.0f}, request_success_total {sum(m.success.values()):.0f}"
                for m in recent
            ],
            "The queue does not drain: see vllm.engine (a stuck or dead engine) and the log's last lines; restart "
            "vLLM if it stays so. Clients (Open WebUI) send every chunk of a file at once and wait without timeout.",
        )
    return _result("ingest.stalled", Status.PASS, f"{last.waiting:.0f} queued and draining")


@dataclass(frozen=True)
class CheckSpec:
    """One checklist item as data: its stable id, the group it shows under, the store inputs it reads
    (for hysteresis and staleness) and the pure function that decides it."""

    id: str
    group: str
    inputs: tuple[str, ...]
    fn: Callable[[Store, Config], CheckResult]


SPECS: tuple[CheckSpec, ...] = (
    CheckSpec("gpu.visible", "gpu", ("gpu",), check_gpu),
    CheckSpec("vllm.startup", "vllm", ("log",), check_startup),
    CheckSpec("vllm.engine", "vllm", ("log", "server"), check_engine),
    CheckSpec("vllm.process", "vllm", ("host",), check_process),
    CheckSpec("gpu.model_resident", "gpu", ("gpu", "host"), check_model_resident),
    CheckSpec("gpu.memory_headroom", "gpu", ("gpu", "server"), check_memory_headroom),
    CheckSpec("api.reachable", "api", ("server",), check_reachable),
    CheckSpec("api.auth", "api", ("server", "probe"), check_auth),
    CheckSpec("api.models", "api", ("server",), check_models),
    CheckSpec("api.max_model_len", "api", ("server",), check_max_model_len),
    CheckSpec("probe.status", "probe", ("probe",), check_probe),
    CheckSpec("probe.dimensions", "probe", ("probe",), check_dimensions),
    CheckSpec("probe.values", "probe", ("probe",), check_values),
    CheckSpec("probe.latency", "probe", ("probe",), check_latency),
    CheckSpec("probe.semantic", "probe", ("semantic",), check_semantic),
    CheckSpec("ingest.errors", "ingest", ("log", "owui_log"), check_ingest_errors),
    CheckSpec("ingest.stalled", "ingest", ("server", "owui"), check_ingest_stalled),
    CheckSpec("client.base_url", "client", ("log", "owui", "owui_log"), check_base_url),
    CheckSpec("client.model_name", "client", ("log", "owui", "owui_log"), check_client_model),
    CheckSpec("client.dimensions", "client", ("owui", "owui_log", "owui_store", "probe"), check_client_dims),
    CheckSpec("vllm.requests", "client", ("log",), check_requests),
)
CHECKS = tuple(spec.fn for spec in SPECS)
BY_CHECK_ID = {spec.id: spec for spec in SPECS}


def evaluate(store: Store, cfg: Config) -> list[CheckResult]:
    """The whole checklist, in display order."""
    return [check(store, cfg) for check in CHECKS]
