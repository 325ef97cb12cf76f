"""What several check groups share: the fix texts and windows they agree on, the vLLM log's findings as
results, and the client requests of the last minutes."""

from __future__ import annotations

from tui.config import Config
from tui.logs.catalog import AccessRule
from tui.rules.checks.spec import Judging
from tui.rules.evidence import hms
from tui.rules.result import CheckResult, Status
from tui.samples import ErrorKind
from tui.state.lifecycle import Finding, LogState

ENGINE_DEAD_FIX = (
    "The engine process is dead. Its root cause is logged above the EngineDeadError (a worker that "
    "'died unexpectedly', an OOM kill, a fatal error): fix that and restart vLLM."
)
WINDOW_MIN = 5  # a client request error, or a burst of them, counts this long
HUNG_SCRAPES = 4  # requests running and not one token processed over this many consecutive scrapes


def down_fix(kind: ErrorKind | None, cfg: Config) -> str:
    """The fix for a request that got no HTTP answer, by the kind of failure the collector recorded."""
    if kind == ErrorKind.REFUSED:
        return (
            f"Start vLLM, e.g. `vllm serve Qwen/Qwen3-Embedding-4B --runner pooling --served-model-name "
            f"Qwen3-Embedding-4B --port PORT`, or point --url at the right host:port (now {cfg.url}); for docker "
            f"publish the port (`-p PORT:8000`). Check with `curl -sS {cfg.url}/health`."
        )
    if kind == ErrorKind.TIMEOUT:
        return (
            "The port accepts connections but vLLM does not answer: the process may be hung or stopped "
            "(SIGSTOP, a stuck engine). Check the log and the process; restart vLLM if it stays hung."
        )
    if kind == ErrorKind.TLS:
        return "Use http:// for a vLLM server without TLS, or the right certificate for an https proxy."
    if kind == ErrorKind.DNS:
        return "Fix the host name in --url (or use the IP address)."
    return f"Check that vLLM runs and listens at {cfg.url}."


def client_window(c: Judging) -> list:
    """Client embedding requests of the last WINDOW_MIN minutes (access lines are timed when read)."""
    return c.store.ingest.window(max(c.now, c.store.log_state.last_t or 0.0))


# ---------------------------------------------------------------- the vLLM log


def finding_evidence(state: LogState, root: Finding, others: list[Finding]) -> list[str]:
    """The root line first, then why it is the root, then the lines that followed from it."""
    evidence = [f"{hms(root.t)} log: {root.line[:300]}"]
    if getattr(root.pattern, "generic", False) and state.run.first_error is not None:
        text, t = state.run.first_error
        evidence.append(f"{hms(t)} first error in the log: {text[:300]}")
    evidence += [f"{hms(f.t)} then: {f.line[:200]}" for f in others if f is not root][:3]
    return evidence


def finding_result(c: Judging) -> CheckResult | None:
    """The log's root cause for this check, if it has one."""
    state = c.store.log_state
    root = state.root_cause(c.id)
    if root is None:
        return None
    return c.result(
        Status.FAIL if root.pattern.severity == "fail" else Status.WARN,
        f"{root.pattern.meaning} [{root.id}]",
        [*finding_evidence(state, root, state.findings_for(c.id)), f"cause: {root.pattern.cause}"],
        root.fix,
    )


def log_unavailable(c: Judging) -> CheckResult | None:
    """No usable vLLM log: say why (none configured, not read yet, unreadable). Else None."""
    batch, cfg = c.store.log_batch, c.cfg
    if batch is None:
        if cfg.log_source is None:
            return c.result(Status.UNKNOWN, "no log source (pass --log FILE, --docker NAME or --journal UNIT)")
        return c.waiting(f"waiting for the first read of {cfg.log_source}")
    if batch.error and not c.store.log_lines_total:
        return c.result(
            Status.UNKNOWN,
            batch.error,
            (f"{hms(batch.t)} {batch.error}",),
            "Fix the log source named above (path, permissions, container or unit name).",
        )
    return None


def log_verdict(c: Judging) -> CheckResult | None:
    """No usable log → say so; a catalog finding for this check → its root cause. Else None."""
    return log_unavailable(c) or finding_result(c)


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


def log_client_result(c: Judging, fix: str | None = None) -> CheckResult | None:
    """This check's finding in the vLLM log (clients' failing requests), as a result."""
    f = log_client_finding(c.store.log_state, c.id)
    if f is None:
        return None
    count = f" ({f.count}× in {f.pattern.window_s / 60:.0f} min)" if isinstance(f.pattern, AccessRule) else ""
    return c.result(
        Status.FAIL if f.pattern.severity == "fail" else Status.WARN,
        f"{f.pattern.meaning}{count} [{f.id}]",
        [f"{hms(f.t)} log (line {f.line_no}): {f.line[:300]}", f"cause: {f.pattern.cause}"],
        fix or f.fix,
    )
