"""What the Ingestion screen shows per document and per knowledge base, joined from the sources that know it:
the Open WebUI link (files and their status, knowledge bases and their counts), Open WebUI's log (each file's
chunk count), its vector store (each knowledge base's width and the model its chunks were built with) and vLLM's
access log (the client embedding requests seen while a file was in flight).

Pure: times are the samples' own (a file's age is as of the Open WebUI answer that listed it), so a frozen store
or a replay reads the same on any day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.samples import OwuiFile, OwuiKnowledge

if TYPE_CHECKING:
    from tui.state.store import Store

IN_FLIGHT = ("pending", "processing")
LOG_LAG_S = 2.0  # access lines are timed when read (every second): a request may be read this much later


@dataclass(frozen=True)
class DocumentRow:
    """One recent file of Open WebUI."""

    file: OwuiFile
    knowledge: str  # the name of the knowledge base it was uploaded into ("" when none is known)
    chunks: int | None  # stored in its own collection (Open WebUI's log); None: not known
    age_s: float | None  # since the upload, as of the Open WebUI answer (None: no upload time)
    duration_s: float | None  # upload → done (completed / failed only)
    requests: int | None  # client embedding requests vLLM saw while it was in flight (None: no vLLM log, or before)
    progress: float | None  # 0–1 while in flight, when the chunk count tells how many requests it needs

    @property
    def in_flight(self) -> bool:
        return self.file.status in IN_FLIGHT


@dataclass(frozen=True)
class KnowledgeRow:
    """One knowledge base, with its collection's width and model where the vector store was read."""

    knowledge: OwuiKnowledge
    model: str  # the model its chunks were built with ("" when the store was not read or has none)
    dims: int | None  # its vectors' width (None: not known)
    exact: bool  # False: pgvector vectors that fill the column (they may have been cut: the real width ≥ dims)
    server_dims: int | None  # the width the server returns now (the latest good probe)

    @property
    def mismatch(self) -> bool:
        """The collection holds vectors of another width than the server returns now (for vectors that fill a
        pgvector column: the server's are wider, so they are cut to it, or narrower than what it holds)."""
        return self.dims is not None and self.server_dims is not None and self.dims != self.server_dims


def server_dims(store: Store) -> int | None:
    """The width of the vectors the server returns now: the latest good probe's."""
    return next((p.dims for p in reversed(store.probes) if p.ok and p.dims), None)


def _requests(store: Store, times: list[float], start: float, end: float) -> int | None:
    """Client embedding requests (good or not) vLLM's access log showed in [start, end + LOG_LAG_S]; None without
    the log, or for a file done before embedtop watched (the log's backlog is not timed). `times`: the requests'
    times, in order."""
    since = store.ingest.since
    if store.log_batch is None or since is None or end < since:
        return None
    return bisect_right(times, end + LOG_LAG_S) - bisect_left(times, start)


def _progress(f: OwuiFile, chunks: int | None, requests: int | None) -> float | None:
    """How far an in-flight file is: requests seen against those it needs (each chunk once for its own collection,
    once more for the knowledge base it goes into). Known only once the log gave its chunk count."""
    if f.status not in IN_FLIGHT or not chunks or requests is None:
        return None
    need = chunks * (2 if f.knowledge_id else 1)
    return min(1.0, requests / need)


def document_rows(store: Store) -> list[DocumentRow]:
    """The recent files (the latest page's newest, and every one still in flight), newest upload first."""
    owui = store.owui
    if owui is None or not owui.ok:
        return []
    names = {k.id: k.name for k in owui.knowledge}
    files = {f.id: f for f in (*owui.in_flight, *owui.files)}
    chunks = store.owui_log.chunks
    times = [r.t for r in store.ingest.recent]  # read in order: sorted
    rows = []
    for f in sorted(files.values(), key=lambda f: (f.created or f.updated, f.name), reverse=True):
        start = f.created or f.updated
        done = f.status not in IN_FLIGHT and f.status != ""
        end = f.updated if done else owui.t
        requests = _requests(store, times, start, end) if start else None
        n = chunks.get(f.id)
        rows.append(
            DocumentRow(
                file=f,
                knowledge=names.get(f.knowledge_id, f.knowledge_id[:8]),
                chunks=n,
                age_s=max(0.0, owui.t - start) if start else None,
                duration_s=max(0.0, f.updated - start) if done and start and f.updated else None,
                requests=requests,
                progress=_progress(f, n, requests),
            )
        )
    return rows


def knowledge_rows(store: Store) -> list[KnowledgeRow]:
    """The knowledge bases, each with its collection of the vector store where it was read."""
    owui = store.owui
    if owui is None or not owui.ok:
        return []
    stored = store.owui_store
    collections = {c.name: c for c in stored.collections} if stored is not None and stored.ok else {}
    width = server_dims(store)
    rows = []
    for k in owui.knowledge:
        c = collections.get(k.id)
        rows.append(
            KnowledgeRow(
                knowledge=k,
                model=c.model if c is not None else "",
                dims=c.dims if c is not None else None,
                exact=c.exact if c is not None else True,
                server_dims=width,
            )
        )
    return rows
