"""The API checks: /health answers, the key is accepted, the expected model is served, and how long an
input it takes."""

from __future__ import annotations

from tui.rules.checks._common import ENGINE_DEAD_FIX, down_fix, log_client_result
from tui.rules.checks.spec import Judging, check
from tui.rules.checks.vllm import requests
from tui.rules.evidence import hms
from tui.rules.result import CheckResult, Status
from tui.samples import ErrorKind
from tui.state import lifecycle
from tui.state.target_facts import served_model


@check("api.reachable", "API reachable", inputs=("server",))
def reachable(c: Judging) -> CheckResult:
    s, cfg = c.store.server, c.cfg
    if s is None:
        return c.waiting(f"waiting for the first poll of {cfg.url}/health")
    h = s.health
    state = c.store.log_state
    phase = state.phase
    if h.status is None:
        error = h.error or "no answer"
        refused = h.error_kind == ErrorKind.REFUSED
        evidence = [f"{hms(s.t)} GET {s.url}/health → {error}"]
        if refused and phase in (lifecycle.STARTING, lifecycle.LOADING, lifecycle.WARMING):
            return c.result(
                Status.WARN,
                f"not up yet: the log shows vLLM {phase}",
                [*evidence, f"log phase {phase} since {hms(state.phase_since or s.t)}"],
                "Wait: vLLM opens its port after the model is loaded and warmed up "
                "('Application startup complete.' in the log).",
            )
        root = state.root_cause()
        if phase == lifecycle.CRASHED and root is not None:
            evidence.append(f"{hms(root.t)} log: {root.line[:200]}")
            return c.result(Status.FAIL, f"down: {error}; the log shows a crash", evidence, root.fix)
        if phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED) and refused:
            evidence.append(f"{hms(state.phase_since or s.t)} log: vLLM {phase}")
            return c.result(
                Status.FAIL,
                f"down: the log shows vLLM {phase} (a clean stop, not a crash)",
                evidence,
                "Start vLLM again; `systemctl status UNIT` or `docker ps -a` shows who stopped it.",
            )
        return c.result(Status.FAIL, f"no answer from {s.url}: {error}", evidence, down_fix(h.error_kind, cfg))
    evidence = [f"{hms(s.t)} GET {s.url}/health → {h.status} {h.content_type or ''} {h.body_excerpt!r}".rstrip()]
    if h.status == 200:
        if "html" in h.content_type.lower():
            return c.result(
                Status.FAIL,
                "/health answers an HTML page: this is not vLLM",
                evidence,
                f"Another server answers on {cfg.url}; point --url at vLLM's own port.",
            )
        version = f" · vLLM {s.version}" if s.version else ""
        return c.result(Status.PASS, f"/health 200{version}")
    if h.status in (500, 503):
        return c.result(Status.FAIL, f"engine dead: /health answers {h.status}", evidence, ENGINE_DEAD_FIX)
    if h.status == 404:
        return c.result(
            Status.FAIL,
            "GET /health → 404: not a vLLM server at this URL",
            evidence,
            "Point --url at the vLLM server itself (http://HOST:PORT, without /v1 or a proxy path).",
        )
    return c.result(
        Status.FAIL,
        f"/health answered HTTP {h.status}",
        evidence,
        f"Check what listens on {cfg.url}: vLLM answers /health with 200 and an empty body.",
    )


@check("api.models", "Expected model served", inputs=("server",), blocked_by=(reachable,))
def models(c: Judging) -> CheckResult:
    s, cfg = c.store.server, c.cfg
    if s is None or not s.ok:
        return c.blocked(reachable)
    if s.models is None:
        error = s.models_error or "no answer"
        fix = f"Check `curl -sS {cfg.url}/v1/models`."
        if s.models_status == 401:
            fix = (
                f"vLLM runs with --api-key: export the key in ${cfg.api_key_env} "
                "(or name another variable with --api-key-env)."
            )
        return c.result(Status.FAIL, f"/v1/models failed: {error}", [f"{hms(s.t)} GET /v1/models → {error}"], fix)
    ids = [m.id for m in s.models]
    if not ids:
        return c.result(Status.FAIL, "/v1/models lists no model", [f"{hms(s.t)} GET /v1/models → []"])
    listing = ", ".join(f"{m.id} (root {m.root})" if m.root else m.id for m in s.models)
    if cfg.model is None or cfg.model in ids:
        model = next(m for m in s.models if cfg.model in (None, m.id))
        length = f", max_model_len {model.max_model_len}" if model.max_model_len else ""
        return c.result(Status.PASS, f"serves {model.id}{length}")
    return c.result(
        Status.FAIL,
        f"'{cfg.model}' is not served; /v1/models lists {', '.join(ids)}",
        [f"{hms(s.t)} GET /v1/models → {listing}"],
        f"Clients must send a served id. Restart vLLM with `--served-model-name {cfg.model}`, or use "
        f"'{ids[0]}' as the model in the client (Open WebUI: Admin Settings → Documents → Embedding Model) "
        f"and run embedtop with --model {ids[0]}.",
    )


@check("api.auth", "API key accepted", inputs=("server", "probe"), blocked_by=(reachable,))
def auth(c: Judging) -> CheckResult:
    """401 on /v1/* means vLLM runs with --api-key (or VLLM_API_KEY) and our key is missing or wrong.
    Only /v1 paths are guarded; /health and /metrics never need it (vLLM's --api-key guards /v1 only)."""
    s, cfg = c.store.server, c.cfg
    if s is None or not s.ok:
        return c.blocked(reachable)
    p = c.store.probe
    models_401 = s.models is None and s.models_status == 401
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
        return c.result(Status.FAIL, f"401 Unauthorized: embedtop sent {sent}", evidence, fix)
    clients = log_client_result(c)
    if clients is not None:
        return clients  # embedtop gets in, but the log shows clients refused: their key is missing or wrong
    if s.models is None and p is None:
        return c.waiting("waiting for /v1/models or a probe")
    how = "with the key from $" + cfg.api_key_env if cfg.api_key else "without a key (none needed)"
    return c.result(Status.PASS, f"/v1 accepts embedtop {how}")


@check("api.max_model_len", "Max input length", inputs=("server",), blocked_by=(reachable, models))
def max_model_len(c: Judging) -> CheckResult:
    """max_model_len from /v1/models against what clients send: the log's too-long rejections and the
    long-input probe (vLLM answers 400 for inputs above it: tests/captures/vllm-0.32-cpu/http/22-*)."""
    s, cfg = c.store.server, c.cfg
    if s is None or not s.ok:
        return c.blocked(reachable)
    if not s.models:
        return c.blocked(models)
    model = served_model(c.store, cfg)
    if model is None or model.max_model_len is None:
        return c.result(Status.UNKNOWN, "/v1/models does not report max_model_len")
    n = model.max_model_len
    too_long = [f for f in c.store.log_state.findings_for(requests.id) if f.id == "request.too_long"]
    li = c.store.long_input
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
        return c.result(Status.WARN, f"clients send inputs over max_model_len {n}", evidence, fix)
    behaviour = ""
    if li is not None and li.ok:
        behaviour = "; longer inputs are rejected (400)" if li.outcome == "rejected" else "; longer inputs truncated"
    return c.result(Status.PASS, f"max_model_len {n:,} tokens{behaviour}", evidence)
