"""Open WebUI's read-only API answers, 0.6 → 0.12, parsed into samples (pure: tests/test_owui_versions.py runs
them on the real answers of 0.6.5 and 0.12.4 in tests/captures).

What changes between releases (read in the wheels and seen in the captures):
- `GET /api/v1/retrieval/embedding`: 0.6.5 answers `embedding_engine` / `embedding_model` / `embedding_batch_size`,
  0.6.43+ `RAG_EMBEDDING_ENGINE` / `RAG_EMBEDDING_MODEL` / `RAG_EMBEDDING_BATCH_SIZE` (both are read); every
  release returns the embedding key in clear (`openai_config.key`): it is reduced to "set" here.
- `GET /api/v1/files/`: up to 0.6.x a list of every file, 0.9+ a page `{"items", "total"}`; both send each file's
  full text unless asked `content=false` (the collector always asks). `data.status` exists from 0.6.23; before it
  (and for files uploaded before an upgrade) a processed file is known only by its `meta.collection_name`, so such a
  file is `completed`, and one without either is unknown (""), never pending.
- The knowledge base a file belongs to: `meta.data.knowledge_id` (0.9.6+, the upload links it), or the base's own
  `data.file_ids` / `files` in `GET /api/v1/knowledge/` (0.6.x).
- `GET /api/version` → `{"version": "0.6.5"}` in all of them. A route a release lacks (0.6.5's
  `/knowledge/{id}/files/pending`) answers 200 with the web app's HTML page: an answer counts only as JSON.
"""

from __future__ import annotations

from typing import Any

from tui.samples import OwuiFile, OwuiKnowledge

IN_FLIGHT = ("pending", "processing")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_version(data: Any) -> str:
    """`GET /api/version`'s version, or ""."""
    return _text(_dict(data).get("version"))


def parse_config(data: Any) -> dict[str, Any]:
    """The embedding settings Open WebUI uses now (its effective, persisted config), any release."""
    d = _dict(data)
    openai = _dict(d.get("openai_config"))

    def pick(key: str) -> Any:
        return d.get(f"RAG_{key.upper()}", d.get(key))

    return {
        "engine": _text(pick("embedding_engine")),
        "model": _text(pick("embedding_model")),
        "embedding_url": _text(openai.get("url")),
        "key_set": bool(openai.get("key")),
        "batch": pick("embedding_batch_size"),
    }


def _status(item: dict[str, Any]) -> str:
    d, meta = _dict(item.get("data")), _dict(item.get("meta"))
    status = _text(d.get("status"))
    if status:
        return status
    return "completed" if _text(meta.get("collection_name")) else ""  # ≤ 0.6.22: processed ⇔ it has a collection


def all_files(data: Any, error_id: Any = None) -> tuple[OwuiFile, ...]:
    """Every file of the answer (one page), newest first. `error_id(error) -> str` names a failed file's error."""
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return ()
    files = []
    for item in items:
        if not isinstance(item, dict):
            continue
        d, meta = _dict(item.get("data")), _dict(item.get("meta"))
        created = _time(item.get("created_at"))
        error = _text(d.get("error"))[:300]
        extra = {"error_id": error_id(error)} if error_id is not None else {}
        files.append(
            OwuiFile(
                id=_text(item.get("id")),
                name=_text(item.get("filename")) or _text(meta.get("name")),
                status=_status(item),
                error=error,
                updated=_time(item.get("updated_at")) or created,
                knowledge_id=_text(_dict(meta.get("data")).get("knowledge_id")),
                created=created,
                **extra,
            )
        )
    files.sort(key=lambda f: f.updated, reverse=True)
    return tuple(files)


def _members(item: dict[str, Any]) -> set[str]:
    """The ids of a knowledge base's files that the knowledge list itself names (0.6.x)."""
    ids = {x for x in _dict(item.get("data")).get("file_ids") or () if isinstance(x, str)}
    files = item.get("files")
    if isinstance(files, list):
        ids |= {_text(f.get("id")) for f in files if isinstance(f, dict) and _text(f.get("id"))}
    return ids


def parse_knowledge(data: Any, files: tuple[OwuiFile, ...]) -> tuple[OwuiKnowledge, ...]:
    """Knowledge bases (a list, or 0.9+ `{"items", "total"}`) with their files' counts from the files page."""
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return ()
    out = []
    for item in items:
        if not isinstance(item, dict) or not _text(item.get("id")):
            continue
        kid = _text(item["id"])
        listed = _members(item)
        mine = [f for f in files if f.knowledge_id == kid or f.id in listed]
        out.append(
            OwuiKnowledge(
                id=kid,
                name=_text(item.get("name")) or kid[:8],
                files=len(mine),
                completed=sum(f.status == "completed" for f in mine),
                failed=sum(f.status == "failed" for f in mine),
                in_flight=sum(f.status in IN_FLIGHT for f in mine),
            )
        )
    return tuple(out)
