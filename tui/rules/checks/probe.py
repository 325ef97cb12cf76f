"""The probe checks: embedtop's own embedding request answers, with vectors of the right length, finite
values, a usual latency, and a meaning (related passages score higher)."""

from __future__ import annotations

import statistics

from tui.config import Config, implied_dims
from tui.logs import catalog as log_catalog
from tui.logs.catalog import LogPattern
from tui.rules.checks._common import ENGINE_DEAD_FIX, down_fix
from tui.rules.checks.api import models, reachable
from tui.rules.checks.spec import Judging, check
from tui.rules.evidence import hms, ms
from tui.rules.result import CheckResult, Status
from tui.samples import ErrorKind, ProbeSample
from tui.state.target_facts import expected_dims, served_ids
from tui.state.window import percentiles

NORM_JUMP = 0.05  # a relative change of the probe's L2 norm worth a warning
LATENCY_WINDOW = 30  # probes: 5 minutes at the default interval
UNKNOWN_MODEL = "request.unknown_model"  # vLLM's "The model `…` does not exist" (logs/catalog.toml)


def _known(error: str) -> LogPattern | None:
    """The log catalog's entry for a request error vLLM answered (unknown model, too long, a dead engine…)."""
    hit = log_catalog.match(error, None) if error else None
    return hit[0] if hit is not None else None


def _probe_fix(p: ProbeSample, cfg: Config) -> str:
    error = p.error or ""
    if p.http_status == 404:
        known = _known(error)
        if known is not None and known.id == UNKNOWN_MODEL:
            return (
                f"The probe asked for '{p.model}', which vLLM does not serve: pass the served id with --model, or "
                f"restart vLLM with `--served-model-name {p.model}`."
            )
        return (
            f"POST {cfg.url}/v1/embeddings is not routed: the model may be a generate model (use `--runner pooling`)."
        )
    if p.http_status == 401:
        return f"vLLM runs with --api-key: export the key in ${cfg.api_key_env}."
    if p.http_status and p.http_status >= 500:
        return ENGINE_DEAD_FIX
    known = _known(error)
    if known is not None and known.stage == "engine":
        return ENGINE_DEAD_FIX
    if p.error_kind is not None and p.error_kind.transport:
        return down_fix(p.error_kind, cfg)
    if p.http_status == 405:
        return (
            f"{cfg.url}/v1/embeddings does not take POST: --url must be the server root (http://HOST:PORT, "
            "no path), not a proxy route."
        )
    if p.error_kind == ErrorKind.BODY:
        return f"The answer is not an OpenAI embedding list: check that {cfg.url} is vLLM and not a proxy or web page."
    if known is not None:
        return known.fix  # vLLM's request errors are in the catalog too (too long, dimensions, generate model)
    return "Read the error text; `curl` the same request to reproduce it."


@check("probe.status", "Probe embedding", inputs=("probe",), blocked_by=(reachable, models))
def status(c: Judging) -> CheckResult:
    s, cfg = c.store.server, c.cfg
    if s is None or not s.ok:
        return c.blocked(reachable)
    if cfg.model and s.models is not None and cfg.model not in served_ids(s):
        return c.blocked(models)
    p = c.store.probe
    if p is None:
        return c.waiting("waiting for the first probe")
    if p.ok:
        return c.result(Status.PASS, f"200 in {ms(p.latency_s)}, {p.dims} dims ({p.model})")
    answer = f"HTTP {p.http_status}" if p.http_status else "no answer"
    return c.result(
        Status.FAIL,
        f"{answer}: {p.error}",
        [f"{hms(p.t)} POST /v1/embeddings model={p.model} → {answer}: {p.error}"],
        _probe_fix(p, cfg),
    )


def _probe_failed(c: Judging) -> bool:
    """No good probe to judge: none yet, a failed one, or probe.status did not pass this round."""
    p = c.store.probe
    return p is None or not p.ok or c.verdict(status).status != Status.PASS


@check("probe.dimensions", "Vector dimensions", inputs=("probe",), blocked_by=(status,))
def dimensions(c: Judging) -> CheckResult:
    if _probe_failed(c):
        return c.blocked(status)
    p = c.store.probe
    assert p is not None
    expected, source = expected_dims(c.store, c.cfg)
    if expected is None or p.dims == expected:
        return c.result(Status.PASS, f"{p.dims} dims as expected ({source})")
    evidence = [f"{hms(p.t)} POST /v1/embeddings model={p.model} → {p.dims}-dim vector"]
    name = p.response_model or p.model
    claimed = implied_dims(name)
    server = c.store.server
    if claimed and claimed != p.dims:
        roots = [m.root for m in (server.models or ()) if m.id == name and m.root] if server else []
        root = f" (root: {roots[0]})" if roots else ""
        evidence.append(
            f"the served name '{name}' claims a model with {claimed}-dim vectors: other weights are served "
            f"under this name{root}"
        )
    return c.result(
        Status.FAIL,
        f"vectors have {p.dims} dims, expected {expected} ({source})",
        evidence,
        f"Serve the model you expect (e.g. `vllm serve Qwen/Qwen3-Embedding-4B --runner pooling "
        f"--served-model-name Qwen3-Embedding-4B`). If {p.dims} dims is intended, run embedtop with --dims "
        f"{p.dims} and rebuild every collection built with {expected}-dim vectors — vectors of different lengths "
        "cannot be mixed (Open WebUI: Admin → Documents → Reindex; 'Reset Vector Storage' also deletes all "
        "knowledge bases).",
    )


@check("probe.values", "Vector values", inputs=("probe",), blocked_by=(status,))
def values(c: Judging) -> CheckResult:
    if _probe_failed(c):
        return c.blocked(status)
    p = c.store.probe
    assert p is not None
    if p.finite is False:
        return c.result(
            Status.FAIL,
            "the vector holds NaN or Inf",
            [f"{hms(p.t)} probe vector has non-finite values"],
            "Numeric overflow in the model: restart vLLM with `--dtype bfloat16` (or float32) and re-embed.",
        )
    if p.all_zero:
        return c.result(
            Status.FAIL,
            "the vector is all zeros",
            [f"{hms(p.t)} probe vector is all 0.0"],
            "The model returns no signal: check the weights and the pooling config in the startup log.",
        )
    norm = f"L2 norm {p.norm:.3f}" if p.norm is not None else "norm n/a"
    earlier = [q.norm for q in list(c.store.probes)[:-1] if q.ok and q.norm is not None][-30:]
    if p.norm is not None and len(earlier) >= 3:
        usual = statistics.median(earlier)
        if usual > 0 and abs(p.norm - usual) / usual > NORM_JUMP:
            return c.result(
                Status.WARN,
                f"L2 norm jumped from {usual:.3f} to {p.norm:.3f}",
                [f"{hms(p.t)} probe norm {p.norm:.4f}; median of the {len(earlier)} before: {usual:.4f}"],
                "The same text now embeds differently: the server was restarted with other weights, dtype or "
                "pooling (`Resolved pooling config` in the log, `--pooler-config`). Vectors stored before and "
                "after do not compare; re-embed the collection if the change is intended.",
            )
    return c.result(Status.PASS, f"finite, {norm}")


@check("probe.latency", "Probe latency", inputs=("probe",), blocked_by=(status,))
def latency(c: Judging) -> CheckResult:
    if _probe_failed(c):
        return c.blocked(status)
    p = c.store.probe
    assert p is not None
    cfg = c.cfg
    recent = c.store.probe_latencies_ms(LATENCY_WINDOW)
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
        return c.result(Status.FAIL, f"{summary} ≥ {cfg.latency_fail_ms:.0f} ms", evidence, fix)
    if value >= cfg.latency_warn_ms:
        return c.result(Status.WARN, f"{summary} ≥ {cfg.latency_warn_ms:.0f} ms", evidence, fix)
    return c.result(Status.PASS, summary)


@check("probe.semantic", "Vectors mean something", inputs=("semantic",), blocked_by=(status,))
def semantic(c: Judging) -> CheckResult:
    sem = c.store.semantic
    probe_failed = c.verdict(status).status in (Status.FAIL, Status.BLOCKED)
    if sem is None:
        if probe_failed:
            return c.blocked(status)
        return c.waiting("not run yet (press s)")
    if not sem.ok:
        if probe_failed:
            return c.blocked(status)
        return c.result(
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
        return c.result(Status.PASS, f"related {sem.related:.2f} > unrelated {sem.unrelated:.2f}{wins}", evidence)
    return c.result(
        Status.FAIL,
        f"related passages do not win: {sem.related:.2f} vs unrelated {sem.unrelated:.2f}{wins}",
        evidence,
        "The vectors carry no meaning: the weights behind the name are wrong or broken, the pooling is wrong "
        "(Qwen3-Embedding needs last-token pooling and normalization — check 'Resolved pooling config' in the "
        "log; drop a custom --pooler-config), or the tokenizer lacks the trailing <|endoftext|> (an old "
        "snapshot or GGUF). Re-download Qwen/Qwen3-Embedding-4B and restart vLLM with `--runner pooling`.",
    )
