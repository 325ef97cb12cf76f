"""Open WebUI's vector store read directly (`--openwebui-data DIR`, its DATA_DIR, on the same host): each Chroma
collection's width and the model its chunks were built with, from `vector_db/chroma.sqlite3`.

Read-only and never locking: SQLite's `mode=ro` with a one-second busy timeout (a write in progress makes one
poll report "busy", never waits on Open WebUI), one short connection per poll. Chroma keeps a collection's width
in `collections.dimension` (set by its first vectors) and Open WebUI tags every chunk with `embedding_config`
(`{'engine': …, 'model': …}`) in `embedding_metadata`.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from tui.samples import OwuiCollection, OwuiStoreSample

MAX_COLLECTIONS = 200
MODEL_RE = re.compile(r"""['"]model['"]\s*:\s*['"]([^'"]+)['"]""")


def chroma_path(data_dir: Path) -> Path:
    return data_dir / "vector_db" / "chroma.sqlite3"


def read_chroma(data_dir: Path) -> OwuiStoreSample:
    """The collections of Open WebUI's Chroma store. Never raises: an unreadable store is a sample with `error`."""
    t = time.time()
    path = chroma_path(data_dir)
    where = str(path)
    if not path.is_file():
        return OwuiStoreSample(t, where, error=f"no Chroma store at {path} (is VECTOR_DB chroma, and DATA_DIR right?)")
    import sqlite3  # here, not with the module: only --openwebui-data reads it (~1 MB of heap and 0.9 MB of libsqlite3)

    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        return OwuiStoreSample(t, where, error=f"cannot open {path} read-only: {exc}")
    try:
        rows = db.execute(
            "SELECT id, name, dimension FROM collections ORDER BY name LIMIT ?", (MAX_COLLECTIONS,)
        ).fetchall()
        collections = []
        for cid, name, dimension in rows:
            model = ""
            hit = db.execute(
                "SELECT m.string_value FROM embedding_metadata m JOIN embeddings e ON e.id = m.id "
                "JOIN segments s ON s.id = e.segment_id WHERE s.collection = ? AND m.key = 'embedding_config' "
                "LIMIT 1",
                (cid,),
            ).fetchone()
            if hit and isinstance(hit[0], str) and (m := MODEL_RE.search(hit[0])):
                model = m.group(1)
            dims = int(dimension) if isinstance(dimension, int) else None
            collections.append(OwuiCollection(str(name), dims, model))
    except sqlite3.Error as exc:
        return OwuiStoreSample(t, where, error=f"cannot read {path}: {exc}")
    finally:
        db.close()
    return OwuiStoreSample(t, where, collections=tuple(collections))


class OwuiStoreCollector:
    """Polls the Chroma store in a worker thread."""

    name = "owui_store"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    async def collect(self) -> OwuiStoreSample:
        return await asyncio.to_thread(read_chroma, self.data_dir)
