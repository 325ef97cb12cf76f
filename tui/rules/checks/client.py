"""The client checks: what Open WebUI (or another client) sends — its base URL, its model name, and the
width of the vectors its store holds — from vLLM's log, Open WebUI's log, its link and its vector store."""

from __future__ import annotations

from urllib.parse import urlsplit

from tui.logs import owui as owui_catalog
from tui.rules.checks._common import WINDOW_MIN, client_window, log_client_result
from tui.rules.checks._owui import (
    OWUI_LOG_NEEDED,
    REINDEX_BEFORE_012,
    owui_log_error,
    owui_log_on,
    owui_log_result,
)
from tui.rules.checks.spec import Judging, check
from tui.rules.evidence import hms
from tui.rules.result import CheckResult, Status
from tui.samples import OwuiFile
from tui.state.target_facts import served_ids
from tui.state.urls import host_port

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
LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
CANNOT_CONNECT = "owui.cannot_connect"  # "Cannot connect to host H:P" (tui/logs/owui_catalog.toml)
PGVECTOR_DIMS = "owui.dims_pgvector"  # pgvector's width error: its fix already covers Open WebUI before 0.12


def _owui_target_problem(c: Judging, embedding_url: str) -> tuple[Status, str, str, list[str]] | None:
    """Open WebUI's embedding URL against the watched server: (status, summary, fix, notes) or None."""
    cfg = c.cfg
    theirs, ours = host_port(embedding_url), host_port(cfg.url)
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
        arriving = any(r.kind == "ok" for r in client_window(c))
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
        requests = any(r.kind == "ok" for r in client_window(c)) or bool(c.store.ingest.totals)
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


@check("client.base_url", "Client base URL", inputs=("log", "owui", "owui_log"))
def base_url(c: Judging) -> CheckResult:
    """Open WebUI posts to `{base_url}/embeddings` verbatim: a missing /v1 gives `POST /embeddings` 404
    (tests/captures/openwebui-real-vllm/fail_no_v1)."""
    store, cfg = c.store, c.cfg
    owui = store.owui
    elsewhere = None
    if owui is not None and owui.ok and owui.engine == "openai" and owui.embedding_url:
        elsewhere = _owui_target_problem(c, owui.embedding_url)
        if elsewhere is not None and elsewhere[0] == Status.FAIL:
            status, summary, fix, notes = elsewhere
            evidence = [f"{hms(owui.t)} Open WebUI embedding URL: {owui.embedding_url}", f"watched: {cfg.url}", *notes]
            return c.result(status, summary, evidence, fix)
        bad = _owui_url_problem(owui.embedding_url)
        unreachable = [f for f in owui.files if f.status == "failed" and f.error_id == CANNOT_CONNECT]
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
            return c.result(Status.FAIL, f"Open WebUI's base URL {bad or 'is unreachable'}", evidence, fix)
    logged_owui = owui_log_result(c)
    if logged_owui is not None and logged_owui.status == Status.FAIL:
        return logged_owui
    warning = logged_owui
    if warning is None and owui is not None and elsewhere is not None:
        status, summary, fix, notes = elsewhere
        evidence = [f"{hms(owui.t)} Open WebUI embedding URL: {owui.embedding_url}", f"watched: {cfg.url}", *notes]
        warning = c.result(status, summary, evidence, fix)
    owui_log = owui_log_on(store, cfg)
    if cfg.log_source is None and owui is None and not owui_log:
        return c.result(Status.UNKNOWN, "needs the vLLM log (--log / --docker / --journal)")
    window = client_window(c)
    wrong = [r for r in window if r.kind != "ok"]
    if wrong:
        last = wrong[-1]
        kinds = sorted({WRONG_PATH[r.kind] for r in wrong})
        return c.result(
            Status.FAIL,
            f"{len(wrong)} client requests {' and '.join(kinds)} in {WINDOW_MIN} min (status {last.status})",
            [f"{hms(last.t)} log: {last.line[:200]}"],
            BASE_URL_FIX,
        )
    logged = log_client_result(c, BASE_URL_FIX)
    if logged is not None and not any(r.kind == "ok" for r in window):
        return logged
    if warning is not None:
        return warning
    if any(r.kind == "ok" for r in window) or store.ingest.totals:
        return c.result(Status.PASS, "clients post to /v1/embeddings")
    if store.owui_log.embedded_at:
        return c.result(Status.PASS, "Open WebUI's log: its embedding requests succeed")
    return c.result(Status.UNKNOWN, "no client embedding requests in the log yet")


@check("client.model_name", "Client model name", inputs=("log", "owui", "owui_log"))
def model_name(c: Judging) -> CheckResult:
    """vLLM answers 404 on /v1/embeddings only for a model it does not serve (`The model … does not exist`)."""
    store, cfg = c.store, c.cfg
    owui, ids = store.owui, served_ids(store.server)
    if owui is not None and owui.ok and owui.model and ids and owui.model not in ids:
        return c.result(
            Status.FAIL,
            f"Open WebUI's embedding model '{owui.model}' is not served (served: {', '.join(ids)})",
            [f"{hms(owui.t)} Open WebUI RAG_EMBEDDING_MODEL = {owui.model}", f"/v1/models: {', '.join(ids)}"],
            f"In Open WebUI set the Embedding Model to '{ids[0]}' (Admin → Settings → Documents), or restart vLLM "
            f"with --served-model-name {owui.model}.",
        )
    logged_owui = owui_log_result(c)
    if logged_owui is not None:
        return logged_owui
    if cfg.log_source is None:
        if store.owui_log.embedded_at:
            return c.result(Status.PASS, "Open WebUI's log: its embedding requests succeed")
        if owui_log_on(store, cfg):
            return c.result(Status.UNKNOWN, "no embedding request succeeded in Open WebUI's log yet")
        return c.result(Status.UNKNOWN, "needs the vLLM log (--log / --docker / --journal)")
    window = client_window(c)
    notfound = [r for r in window if r.kind == "ok" and r.status == 404]
    if notfound:
        last = notfound[-1]
        served = f" The server serves: {', '.join(ids)}." if ids else ""
        return c.result(
            Status.FAIL,
            f"{len(notfound)} client embedding requests got 404 (model name not served)",
            [f"{hms(last.t)} log: {last.line[:200]}"],
            "The client's model name must equal an id in /v1/models (vLLM's --served-model-name)."
            + served
            + " Open WebUI: Admin → Settings → Documents → Embedding Model.",
        )
    ok_now = any(r.kind == "ok" and 200 <= r.status < 300 for r in window)
    logged = log_client_result(c)
    if logged is not None and not ok_now:
        return logged
    if ok_now:
        return c.result(Status.PASS, "client requests name a served model")
    if store.owui_log.embedded_at:
        return c.result(Status.PASS, "Open WebUI's log: its embedding requests succeed")
    return c.result(Status.UNKNOWN, "no client embedding requests in the log yet")


def pgvector_fix(dims: int, width: int) -> str:
    """How to give Open WebUI's pgvector column the server's width (it is sized once, at the first start)."""
    wide = dims > 2000
    kind = "halfvec" if wide else "vector"
    return (
        "Open WebUI sizes document_chunk.vector once, at its first start, from PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH "
        "(default 1536), and refuses to start when the variable later differs from the column, so a reindex cannot "
        f"change it. To keep {dims}-dim vectors whole: stop Open WebUI; migrate the table (`DROP INDEX IF EXISTS "
        f"idx_document_chunk_vector; DELETE FROM document_chunk; ALTER TABLE document_chunk ALTER COLUMN vector TYPE "
        f"{kind}({dims});`); start it with PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH={dims}"
        + (
            " and PGVECTOR_USE_HALFVEC=true (pgvector indexes `vector` only up to 2000 dims; halfvec up to 4000)"
            if wide
            else ""
        )
        + "; then Admin → Settings → Documents → Reindex (rebuilds every collection from the stored text). On a "
        "fresh install, set the variable before the first start instead. Or serve a model of at most "
        f"{width} dims."
    )


def _pgvector_width(c: Judging) -> CheckResult | None:
    """Open WebUI's pgvector store (--openwebui-pgvector-dsn): its column cuts or zero-pads every vector to its
    width without a word, so a too-narrow column, or collections of another width padded into it, fail here."""
    store = c.store
    st, probe = store.owui_store, store.probe
    dims = probe.dims if probe is not None and probe.ok else None
    if st is None or not st.ok or st.kind != "pgvector" or not st.column_dims or not dims:
        return None
    assert probe is not None
    width = st.column_dims
    evidence = [
        f"{hms(st.t)} {st.path}: document_chunk.vector is {st.column}",
        f"{hms(probe.t)} the watched server returns {dims}-dim vectors (probe)",
    ]
    if dims > width:
        return c.result(
            Status.FAIL,
            f"Open WebUI's pgvector column is {st.column}, the server returns {dims}-dim vectors: Open WebUI "
            f"silently keeps only the first {width} values of each (no error, no log line)",
            evidence,
            pgvector_fix(dims, width),
        )
    bad = [x for x in st.collections if x.dims and ((x.exact and x.dims != dims) or (not x.exact and dims < width))]
    if not bad:
        return None
    names = {k.id: k.name for k in store.owui.knowledge} if store.owui is not None and store.owui.ok else {}
    shown = sorted({f"{x.dims}" if x.exact else f"≥{x.dims}" for x in bad})
    evidence[1:1] = [
        f"{hms(st.t)} collection {names.get(x.name, x.name)}: {x.dims if x.exact else f'≥{x.dims}'}-dim vectors"
        + (f", built with {x.model}" if x.model else "")
        for x in bad[:5]
    ]
    return c.result(
        Status.FAIL,
        f"{len(bad)} of {len(st.collections)} collections in Open WebUI's pgvector store hold {'/'.join(shown)}-dim "
        f"vectors zero-padded to {width}, the server returns {dims}: queries compare them without an error and "
        "rank nonsense",
        evidence,
        "Admin → Settings → Documents → Reindex Knowledge Base Vectors (rebuilds them from the stored text with the "
        f"server's model; the {st.column} column holds {dims}-dim vectors padded, which is harmless), or serve the "
        "model they were built with again." + REINDEX_BEFORE_012,
    )


def _store_mismatch(c: Judging) -> CheckResult | None:
    """Open WebUI's Chroma collections (--openwebui-data) against the width the watched server returns now: the
    silent case too — after a model change a query answers 200 with no documents and logs nothing."""
    store = c.store
    st, probe = store.owui_store, store.probe
    dims = probe.dims if probe is not None and probe.ok else None
    if st is None or not st.ok or not dims or st.kind == "pgvector":  # pgvector: _pgvector_width
        return None
    bad = [col for col in st.collections if col.dims and col.dims != dims]
    if not bad:
        return None
    assert probe is not None
    names = {k.id: k.name for k in store.owui.knowledge} if store.owui is not None and store.owui.ok else {}
    widths = "/".join(str(w) for w in sorted({col.dims for col in bad if col.dims}))
    models = sorted({col.model for col in bad if col.model})
    evidence = [
        f"{hms(st.t)} collection {names.get(col.name, col.name)}: {col.dims}-dim vectors"
        + (f", built with {col.model}" if col.model else "")
        for col in bad[:5]
    ]
    evidence += [f"{hms(probe.t)} the watched server returns {dims}-dim vectors (probe)", f"store: {st.path}"]
    built = f" ({', '.join(models)})" if models else ""
    return c.result(
        Status.FAIL,
        f"{len(bad)} of {len(st.collections)} collections in Open WebUI's vector store hold {widths}-dim vectors, "
        f"the server returns {dims}: their queries fail or silently come back empty",
        evidence,
        "Admin → Settings → Documents → Reindex Knowledge Base Vectors (rebuilds them from the stored text with "
        f"the server's model), or serve the model they were built with{built} again." + REINDEX_BEFORE_012,
    )


def _width_error(c: Judging, f: OwuiFile) -> bool:
    """A failed file whose error is one of this check's entries in Open WebUI's catalog (a vector store's
    width error), as the link's collector classified it."""
    entry = owui_catalog.BY_ID.get(f.error_id)
    return f.status == "failed" and entry is not None and entry.check == c.id


@check("client.dimensions", "Client vector dimensions", inputs=("owui", "owui_log", "owui_store", "probe"))
def dimensions(c: Judging) -> CheckResult:
    """A model change without re-indexing: Open WebUI's vector store refuses vectors of another length
    ("Collection expecting embedding with dimension of 2560, got 1024", Open WebUI 0.12.4's message) — in its
    log (uploads and queries) or in a failed file's error (the link)."""
    store, cfg = c.store, c.cfg
    owui, owui_log = store.owui, owui_log_on(store, cfg)
    on = store.owui_log.current(c.id)
    failing = [x for x in on if x.entry.severity == "fail"]
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
        evidence += [x.evidence() for x in on[1:3] if x is not top]
        fix = top.entry.fix
        if top.id != PGVECTOR_DIMS and "0.12" not in fix:
            fix += REINDEX_BEFORE_012
        return c.result(Status.FAIL, f"{widths} [{top.id}]", evidence, fix)
    mismatch = _pgvector_width(c) or _store_mismatch(c)
    if mismatch is not None:
        return mismatch
    if owui is not None and owui.ok:
        bad = [f for f in owui.files if _width_error(c, f)]
        if bad:
            return c.result(
                Status.FAIL,
                "Open WebUI's collections hold vectors of another length than the model gives now",
                [f"{hms(owui.t)} file {f.name} failed: {f.error[:200]}" for f in bad[:3]],
                "The embedding model changed after the knowledge bases were built: Admin → Settings → Documents → "
                "Reindex (rebuilds every collection from the stored text; 'Reset Vector Storage' would also delete "
                "all knowledge bases), or switch back to the model the collections were built with."
                + REINDEX_BEFORE_012,
            )
    if on:  # a query failed (a warning: the width is the usual cause, not the only one)
        result = owui_log_result(c)
        assert result is not None
        return result
    st = store.owui_store
    if owui is None and not owui_log and st is None and cfg.openwebui_data is None and not cfg.openwebui_pgvector_dsn:
        return c.result(
            Status.UNKNOWN,
            f"needs the Open WebUI link (--openwebui), {OWUI_LOG_NEEDED}, its DATA_DIR (--openwebui-data) or its "
            "pgvector store (--openwebui-pgvector-dsn): vLLM cannot see the collection's width",
        )
    seen = []
    if st is not None and st.ok and store.probe is not None and store.probe.ok and store.probe.dims:
        padded = (
            f", zero-padded into {st.column}: harmless"
            if st.kind == "pgvector" and st.column_dims and st.column_dims > store.probe.dims
            else ""
        )
        seen.append(f"Open WebUI's {len(st.collections)} collections (all {store.probe.dims}-dim{padded})")
    if owui is not None and owui.ok:
        seen.append(f"Open WebUI's {len(owui.files)} latest files")
    if owui_log and store.owui_log.batch is not None and not owui_log_error(store):
        seen.append(f"Open WebUI's log ({store.owui_log.lines:,} lines)")
    if not seen and st is not None and st.ok and not (owui_log and store.owui_log.batch is not None):
        return c.waiting(
            f"waiting for the probe's vector width to compare with Open WebUI's {len(st.collections)} collections"
        )
    if not seen:
        why = [owui.error] if owui is not None and owui.error else []
        why += [e] if (e := owui_log_error(store)) else []
        why += [st.error] if st is not None and st.error else []
        if owui_log and store.owui_log.batch is None and not why:
            return c.waiting(f"waiting for the first read of {cfg.owui_log_source}")
        return c.result(Status.UNKNOWN, f"Open WebUI: {'; '.join(why) or 'no data yet'}")
    return c.result(Status.PASS, f"no dimension errors in {' or '.join(seen)}")
