"""Frozen stores for the Ingestion screen: the healthy dashboard's store, then a minute of Open WebUI ingesting
into three knowledge bases — client requests in vLLM's access log and /metrics, files pending / processing /
completed / failed in the link's answer, their chunk counts in Open WebUI's log, and the vector store's widths
(one knowledge base built with a 384-dim model: red against the server's 2560). No timers, fixed times."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.frozen import MODELS, T0, URL, frozen_store
from tui.collectors.openwebui import error_id
from tui.logs.parse import parse_line
from tui.samples import (
    GpuSample,
    HttpResult,
    LogBatch,
    MetricsSample,
    OwuiCollection,
    OwuiFile,
    OwuiKnowledge,
    OwuiLogBatch,
    OwuiSample,
    OwuiStoreSample,
    ServerSample,
)
from tui.state.store import Store

LOG = Path("/var/log/vllm.log")
OWUI = "http://127.0.0.1:8080"
OWUI_LOG = Path("/var/log/open-webui.log")
OWUI_DATA = Path("/srv/open-webui/data")
T_START = T0 + 120  # the healthy store's last sample
T_OWUI = T_START + 64  # Open WebUI's answer (the files' ages are as of it)
T_END = T_START + 66
ACCESS = 'INFO:     10.0.0.7:{port} - "POST /v1/embeddings HTTP/1.1" 200 OK'
TOO_LONG = (
    "400, message='Bad Request', url='http://127.0.0.1:8000/v1/embeddings': This model's maximum context length is "
    "32768 tokens. However, you requested 40211 tokens in the input for embedding generation. Please reduce the "
    "length of the input."
)
DUPLICATE = "Duplicate content detected. Please provide unique content to proceed."
KBS = {"kb-harbour": "Harbour docs", "kb-crew": "Crew handbook", "kb-ops": "Port operations"}
# (id, name, status, created, updated, knowledge base, error, chunks in Open WebUI's log)
FILES = [
    ("f-manual", "harbour-manual.pdf", "completed", T_START, T_START + 31, "kb-harbour", "", 50),
    ("f-tides", "tide-tables.csv", "completed", T_START + 8, T_START + 44, "kb-harbour", "", 22),
    ("f-roster", "crew-roster.docx", "failed", T_START + 20, T_START + 21, "kb-crew", TOO_LONG, None),
    ("f-safety", "safety-rules.md", "processing", T_START + 40, T_START + 41, "kb-harbour", "", 30),
    ("f-berths", "berth-plan.xlsx", "processing", T_START + 50, T_START + 50, "kb-ops", "", None),
    ("f-visitor", "visitor-policy.txt", "pending", T_START + 62, T_START + 62, "kb-ops", "", None),
    ("f-old", "old-notes.txt", "completed", T_START - 3000, T_START - 2990, "kb-crew", "", 4),
    ("f-dup", "crew-roster-copy.docx", "failed", T_START + 24, T_START + 24, "kb-crew", DUPLICATE, None),
]


def _metrics(t: float, done: float, tokens: float, waiting: float) -> MetricsSample:
    return MetricsSample(
        t,
        running=1.0 if waiting else 0.0,
        waiting=waiting,
        kv_usage=0.004,
        start_time=T0 - 8000,
        counters={"prompt_tokens": tokens},
        success={"stop": done, "abort": 0.0},
    )


def owui_files() -> tuple[OwuiFile, ...]:
    return tuple(
        OwuiFile(fid, name, status, error, updated, kb, created, error_id(error) if error else "")
        for fid, name, status, created, updated, kb, error, _ in FILES
    )


def owui_knowledge(files: tuple[OwuiFile, ...]) -> tuple[OwuiKnowledge, ...]:
    out = []
    for kid, name in KBS.items():
        mine = [f for f in files if f.knowledge_id == kid]
        out.append(
            OwuiKnowledge(
                kid,
                name,
                files=len(mine),
                completed=sum(f.status == "completed" for f in mine),
                failed=sum(f.status == "failed" for f in mine),
                in_flight=sum(f.status in ("pending", "processing") for f in mine),
            )
        )
    return tuple(out)


def owui_log_lines() -> tuple[str, ...]:
    ts = "2026-11-24 18:58:{:02d}.120 | INFO     | open_webui.routers.retrieval:save_docs_to_vector_db:1553 - "
    return tuple(
        ts.format(i) + f"added {chunks} items to collection file-{fid}"
        for i, (fid, *_, chunks) in enumerate(FILES)
        if chunks is not None
    )


def ingest_store(link: bool = True) -> Store:
    """The healthy store, then a minute of ingestion: a burst of client requests (about 4 per second for 50 s,
    queued at first), then quiet scrapes — the last scrape's step reads 0.0 req/s while the minute reads ~3."""
    store = frozen_store("healthy", LOG)
    done, tokens, port = 1720.0, 175_000.0, 40000
    for s in range(2, 52, 2):  # vLLM's access log, read every 2 s: 8 client embeddings each time
        lines = tuple(parse_line(ACCESS.format(port=port + i)) for i in range(8))
        port += 8
        store.apply(LogBatch(T_START + s, str(LOG), lines))
    for s in range(5, 70, 5):  # /metrics every 5 s: the burst, then nothing
        if s <= 50:
            done += 20
            tokens += 20 * 118
        waiting = 12.0 if s <= 20 else 0.0
        metrics = _metrics(T_START + s, done, tokens, waiting)
        health = HttpResult(200, "", "", None, 0.002)
        store.apply(ServerSample(T_START + s, URL, health, version="0.32.0", models=MODELS, metrics=metrics))
    if link:
        files = owui_files()
        in_flight = tuple(sorted((f for f in files if f.status in ("pending", "processing")), key=lambda f: f.updated))
        store.apply(
            OwuiSample(
                T_OWUI,
                OWUI,
                engine="openai",
                model="Qwen3-Embedding-4B",
                embedding_url=f"{URL}/v1",
                key_set=True,
                files=files,
                knowledge=owui_knowledge(files),
                in_flight=in_flight,
            )
        )
        store.apply(OwuiLogBatch(T_OWUI, str(OWUI_LOG), owui_log_lines()))
        collections = (
            OwuiCollection("kb-harbour", 2560, "Qwen3-Embedding-4B"),
            OwuiCollection("kb-crew", 384, "sentence-transformers/all-MiniLM-L6-v2"),
            OwuiCollection("file-f-manual", 2560, "Qwen3-Embedding-4B"),
        )
        store.apply(OwuiStoreSample(T_OWUI, str(OWUI_DATA / "vector_db" / "chroma.sqlite3"), collections))
    store.apply(LogBatch(T_END, str(LOG)))  # every poller reported at the end (nothing stale)
    gpu, host = store.gpu, store.host
    assert gpu is not None and host is not None
    store.apply(GpuSample(T_END, gpu.available, driver=gpu.driver, devices=gpu.devices, cuda=gpu.cuda))
    store.apply(replace(host, t=T_END))
    return store


def ingest_config(link: bool = True):  # -> Config
    from tui.config import Config

    if not link:
        return Config(url=URL, log=LOG, model="Qwen3-Embedding-4B")
    return Config(
        url=URL,
        log=LOG,
        model="Qwen3-Embedding-4B",
        openwebui=OWUI,
        openwebui_log=OWUI_LOG,
        openwebui_data=OWUI_DATA,
    )


def ingest_app(link: bool = True):  # -> EmbedtopApp (Textual imported late)
    from tui.app import EmbedtopApp

    return EmbedtopApp(ingest_config(link), live=False, store=ingest_store(link))
