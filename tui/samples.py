"""Immutable samples that collectors produce and the store keeps.

Every failure of the watched system is a sample with `error` set, never an exception.
Times are wall-clock seconds (`time.time()`), so evidence can show when something happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """What kind of failure a sample's `error` describes, set by the collector beside the message (rules read
    this, never the message's words)."""

    REFUSED = "refused"  # nothing listens on the port
    TIMEOUT = "timeout"  # connected (or connecting) but no complete answer in time
    TLS = "tls"  # the TLS handshake failed (https to a plain-http port, a bad certificate)
    DNS = "dns"  # the host name does not resolve
    HTTP_STATUS = "http_status"  # an answer with an error status (the status is in the sample)
    BODY = "body"  # an answer whose body is not what the endpoint returns
    OTHER = "other"  # another transport failure (a dropped connection, …)

    @property
    def transport(self) -> bool:
        """No HTTP answer at all (the request did not complete)."""
        return self not in (ErrorKind.HTTP_STATUS, ErrorKind.BODY)


@dataclass(frozen=True)
class ModelInfo:
    """One entry of `/v1/models`."""

    id: str
    root: str | None = None
    max_model_len: int | None = None


@dataclass(frozen=True)
class HttpResult:
    """What one GET answered: status and a short body excerpt, or the transport error."""

    status: int | None
    content_type: str = ""
    body_excerpt: str = ""
    error: str | None = None
    latency_s: float | None = None
    error_kind: ErrorKind | None = None


@dataclass(frozen=True)
class Histogram:
    """A Prometheus histogram at one scrape: cumulative (upper bound, count) pairs, sum and count."""

    buckets: tuple[tuple[float, float], ...]
    sum: float
    count: float


@dataclass(frozen=True)
class MetricsSample:
    """One scrape of `/metrics` (the series the dashboard uses, summed over engines), or why it failed."""

    t: float
    error: str | None = None
    running: float | None = None
    waiting: float | None = None
    kv_usage: float | None = None  # 0–1
    start_time: float | None = None  # process_start_time_seconds of the API server
    counters: dict[str, float] = field(default_factory=dict)  # prompt_tokens, preemptions
    success: dict[str, float] = field(default_factory=dict)  # request_success_total by finished_reason
    http_embeddings: dict[str, float] = field(default_factory=dict)  # http_requests_total by 2xx/4xx/5xx
    histograms: dict[str, Histogram] = field(default_factory=dict)  # e2e, queue
    error_kind: ErrorKind | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ServerSample:
    """One poll of `/health`, `/version` and `/v1/models`."""

    t: float
    url: str
    health: HttpResult
    version: str | None = None
    models: tuple[ModelInfo, ...] | None = None
    models_error: str | None = None
    models_error_kind: ErrorKind | None = None
    models_status: int | None = None  # the HTTP status /v1/models answered (when it answered)
    metrics: MetricsSample | None = None  # None: not scraped this poll (down, or scraped < 1 interval ago)

    @property
    def reachable(self) -> bool:
        return self.health.status is not None

    @property
    def ok(self) -> bool:
        return self.health.status == 200


@dataclass(frozen=True)
class ProbeSample:
    """One embedding probe: `POST /v1/embeddings` and what the answer proved."""

    t: float
    model: str
    http_status: int | None
    latency_s: float | None
    error: str | None = None
    error_kind: ErrorKind | None = None
    dims: int | None = None
    norm: float | None = None
    finite: bool | None = None
    all_zero: bool | None = None
    response_model: str | None = None
    manual: bool = False
    tokens: int | None = None  # usage.prompt_tokens: kept out of the ingestion figures
    inputs: int = 1  # vLLM counts request_success per input item

    @property
    def ok(self) -> bool:
        return self.http_status == 200 and self.error is None


@dataclass(frozen=True)
class SemanticSample:
    """A query (Qwen3 instruct format) and two documents: does the related one score higher?"""

    t: float
    latency_s: float | None
    error: str | None = None
    related: float | None = None  # cosine(query, related document)
    unrelated: float | None = None  # cosine(query, unrelated document)
    margin: float = 0.05
    manual: bool = False
    tokens: int | None = None
    inputs: int = 3
    pairs: tuple[tuple[float, float], ...] = ()  # (related, unrelated) per query; related/unrelated are the means
    error_kind: ErrorKind | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.related is not None and self.unrelated is not None

    @property
    def wins(self) -> int:
        return sum(r > u for r, u in self.pairs)

    @property
    def passed(self) -> bool:
        """The related documents win on average by the margin, and in all pairs but one at most."""
        if not self.ok or self.related - self.unrelated < self.margin:  # type: ignore[operator]
            return False
        return not self.pairs or self.wins >= len(self.pairs) - 1


@dataclass(frozen=True)
class LongInputSample:
    """What the server does with an input longer than max_model_len: reject (400) or truncate (200)."""

    t: float
    max_model_len: int | None
    words: int
    http_status: int | None
    outcome: str  # "rejected", "truncated", "error", "skipped"
    message: str = ""
    tokens: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("rejected", "truncated")


@dataclass(slots=True, eq=False)
class LogLine:
    """One parsed line of the vLLM log (see `tui.logs.parse` for the formats)."""

    text: str  # the cleaned line: no ANSI codes, NUL bytes or trailing CR/LF
    level: str | None = None  # DEBUG, INFO, WARNING, ERROR, CRITICAL
    kind: str = "other"  # "vllm", "access", "uvicorn", "other"
    proc: str | None = None  # "APIServer", "EngineCore", "Worker", ...
    pid: int | None = None
    ts: str | None = None  # vLLM's "MM-DD HH:MM:SS" (no year, local time)
    src: str | None = None  # "file.py:N"
    msg: str = ""  # the message after the prefix ("" for a blank continuation line)
    status: int | None = None  # access lines only
    path: str | None = None  # access lines only, with the query string
    method: str | None = None  # access lines only
    client: str | None = None  # access lines only: "ip:port"

    @property
    def ours(self) -> bool:
        """A request embedtop itself sent (its URLs carry `embedtop=`; see tui.collectors.http_util)."""
        return self.path is not None and "embedtop=" in self.path


@dataclass(frozen=True)
class LogBatch:
    """New lines read from the log source since the last poll, or why none could be read."""

    t: float
    source: str
    lines: tuple[LogLine, ...] = ()
    error: str | None = None
    note: str | None = None  # e.g. "log was truncated; reading from the start"
    backlog: bool = False  # the first read of an existing log: lines written before we started

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class OwuiLogBatch:
    """New lines of Open WebUI's own log (`--openwebui-log / -docker / -journal`), or why none could be read.
    Lines are the cleaned text; `tui.logs.owui.parse_owui_line` reads them."""

    t: float
    source: str
    lines: tuple[str, ...] = ()
    error: str | None = None
    note: str | None = None
    backlog: bool = False  # the first read: lines written before we started

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class OwuiCollection:
    """One collection of Open WebUI's vector store: its width and the model its chunks were built with."""

    name: str  # the knowledge base's id, or file-<id>
    dims: int | None
    model: str = ""
    exact: bool = True  # False: pgvector vectors that fill the column (they may have been cut to it: dims ≤ real)


@dataclass(frozen=True)
class OwuiStoreSample:
    """Open WebUI's vector store read directly: Chroma (`--openwebui-data DIR`) or pgvector
    (`--openwebui-pgvector-dsn`), or why not."""

    t: float
    path: str  # the Chroma file, or "pgvector HOST:PORT/DB" (never the DSN's password)
    collections: tuple[OwuiCollection, ...] = ()
    error: str | None = None
    kind: str = "chroma"  # or "pgvector"
    column: str = ""  # pgvector: the type of document_chunk.vector, e.g. "vector(1536)" or "halfvec(4000)"
    column_dims: int | None = None  # pgvector: the column's width; Open WebUI cuts or zero-pads every vector to it

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class OwuiFile:
    """One file in Open WebUI and its processing status."""

    id: str
    name: str
    status: str  # pending, processing, completed, failed ("" where Open WebUI keeps none: ≤ 0.6.22)
    error: str = ""
    updated: float = 0.0
    knowledge_id: str = ""  # the knowledge base it was uploaded into (meta.data.knowledge_id), if known
    created: float = 0.0
    error_id: str = ""  # the entry of Open WebUI's failure catalog (tui.logs.owui) its error matches, if any


@dataclass(frozen=True)
class OwuiKnowledge:
    """One knowledge base and how its files (among the latest page of files) stand."""

    id: str
    name: str
    files: int = 0
    completed: int = 0
    failed: int = 0
    in_flight: int = 0  # pending or processing


@dataclass(frozen=True)
class OwuiSample:
    """Open WebUI's embedding config and latest files (the optional --openwebui link), or why not."""

    t: float
    url: str
    error: str | None = None
    engine: str = ""
    model: str = ""
    embedding_url: str = ""  # openai_config.url: what it posts to, + "/embeddings"
    key_set: bool = False  # whether an embedding API key is configured (never the key)
    batch: Any = None
    files: tuple[OwuiFile, ...] = ()
    knowledge: tuple[OwuiKnowledge, ...] = ()  # GET /api/v1/knowledge/ with its files' counts
    in_flight: tuple[OwuiFile, ...] = ()  # every pending / processing file of the latest page (oldest first)
    error_kind: ErrorKind | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class GpuProcess:
    """A compute process on a GPU as NVML reports it: a HOST pid, and its memory (None: not reported)."""

    pid: int
    used_bytes: int | None


@dataclass(frozen=True)
class GpuDevice:
    """One GPU as NVML reports it. A field NVML cannot give is None, with the reason in `na`."""

    index: int
    name: str
    used_bytes: int | None
    total_bytes: int | None
    uuid: str | None = None
    util_percent: int | None = None
    temperature_c: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    processes: tuple[GpuProcess, ...] | None = None  # None: the list could not be read
    na: tuple[tuple[str, str], ...] = ()  # (field, reason) for fields that are not available
    lost: bool = False

    def reason(self, name: str) -> str | None:
        return next((why for f, why in self.na if f == name), None)


@dataclass(frozen=True)
class GpuSample:
    """One NVML poll: devices, or the reason NVML cannot be used on this host (and the fix)."""

    t: float
    available: bool
    reason: str | None = None
    driver: str | None = None
    devices: tuple[GpuDevice, ...] = field(default_factory=tuple)
    cuda: str | None = None  # CUDA driver API version, e.g. "12.4"
    fix: str | None = None
    note: str | None = None  # e.g. how CUDA_VISIBLE_DEVICES / --gpu selected devices

    @property
    def ok(self) -> bool:
        return self.available


@dataclass(frozen=True)
class VllmProcess:
    """A vLLM process on this host (psutil)."""

    pid: int
    role: str  # "api-server", "engine-core", "worker"
    title: str
    ppid: int | None
    rss: int
    cpu_percent: float
    model: str | None = None  # api-server: from its command line
    port: int | None = None
    served_name: str | None = None
    container: str | None = None  # short docker/containerd id, when it runs in one


@dataclass(frozen=True)
class HostSample:
    """Host CPU, RAM, swap and the vLLM processes."""

    t: float
    cpu_percent: float
    ram_used: int
    ram_total: int
    swap_used: int
    swap_total: int
    processes: tuple[VllmProcess, ...] = ()
    gone: tuple[VllmProcess, ...] = ()  # vLLM processes seen last poll and gone now
    hostname: str = ""  # this host's name and interface addresses: which target URLs point here
    addresses: tuple[str, ...] = ()
    visible_pids: tuple[int, ...] = ()  # of the GPU processes' PIDs the scan was given, those that exist here

    @property
    def ok(self) -> bool:
        return True


Sample = (
    ServerSample
    | ProbeSample
    | LogBatch
    | GpuSample
    | HostSample
    | SemanticSample
    | LongInputSample
    | OwuiSample
    | OwuiLogBatch
    | OwuiStoreSample
)
