"""Open WebUI's pgvector store read directly (`--openwebui-pgvector-dsn`, a read-only DSN): the width of the
`document_chunk.vector` column and, per collection, the width its vectors really have and the model they were
built with.

Why both: Open WebUI (0.6.6+, verified in 0.12.4's `vector/dbs/pgvector.py`) creates `document_chunk` once, with
`vector(PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH)` (default 1536; `halfvec(N)` with PGVECTOR_USE_HALFVEC), and from then
on **cuts every longer vector to that width and pads every shorter one with zeros**, silently
(`adjust_vector_length`). So the column's width is read from the catalogue (`format_type(atttypid, atttypmod)`),
and a collection's own width from its vectors: the last non-zero component of a few of them (a padded 384-dim
vector in a 1536 column ends in 1,152 zeros). A collection whose vectors fill the column may have been cut to it:
its width is then a lower bound (`exact=False`). The model comes from each chunk's `embedding_config`.

Read-only and light: one short connection per read, `default_transaction_read_only`, a 3 s statement timeout
and a 0.5 s lock timeout (a migration holding the table makes one read fail, it never queues behind it), the
distinct collections by a walk of Open WebUI's own `collection_name` index, at most three rows of each. The
driver (pg8000, pure Python: `pip install 'embedtop[pgvector]'`) is imported only when a DSN is given. The DSN's
password is never shown: errors and the sample name the server as host:port/database only.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tui.collectors.owuistore import MAX_COLLECTIONS, MODEL_RE
from tui.samples import OwuiCollection, OwuiStoreSample

CONNECT_TIMEOUT_S = 3.0
SAMPLE_ROWS = 3  # vectors read per collection for its width

COLUMN_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.atttypmod
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relname = 'document_chunk' AND n.nspname = ANY (current_schemas(false))
  AND a.attname IN ('vector', 'vmetadata') AND a.attnum > 0 AND NOT a.attisdropped
"""

# The distinct collections by a loose index scan (idx_document_chunk_collection_name), then a few vectors each:
# the highest non-zero position is the width the vectors had before Open WebUI padded them.
COLLECTIONS_SQL = """
WITH RECURSIVE names(name) AS (
  (SELECT collection_name FROM document_chunk ORDER BY collection_name LIMIT 1)
  UNION ALL
  SELECT (SELECT collection_name FROM document_chunk WHERE collection_name > names.name
          ORDER BY collection_name LIMIT 1)
  FROM names WHERE names.name IS NOT NULL
)
SELECT names.name, s.width, s.config
FROM (SELECT name FROM names WHERE name IS NOT NULL LIMIT {limit}) names
CROSS JOIN LATERAL (
  SELECT max((SELECT max(u.i) FROM unnest(d.vector::vector::real[]) WITH ORDINALITY AS u(v, i) WHERE u.v <> 0))
           AS width,
         max({config}) AS config
  FROM (SELECT vector, vmetadata FROM document_chunk WHERE collection_name = names.name AND vector IS NOT NULL
        LIMIT {rows}) d
) s
ORDER BY names.name
"""

_TYPMOD_RE = re.compile(r"^(vector|halfvec)\((\d+)\)$")


class DsnError(ValueError):
    """A DSN embedtop cannot use; the message never holds the password."""


def parse_dsn(dsn: str) -> dict[str, Any]:
    """`postgresql://user:password@host:port/db?sslmode=…` (also `postgres://`, and Open WebUI's own
    `postgresql+psycopg://…` / `+psycopg2` form of PGVECTOR_DB_URL, copied verbatim) as connection arguments."""
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port or 5432
    except ValueError as exc:
        raise DsnError(f"the pgvector DSN is not a URL ({type(exc).__name__})") from None
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise DsnError(f"the pgvector DSN must start with postgresql:// (got {scheme or 'no scheme'}://)")
    if not parts.hostname:
        raise DsnError("the pgvector DSN names no host (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password) if parts.password is not None else None,
        "host": parts.hostname,
        "port": port,
        "database": unquote(parts.path.lstrip("/")) or unquote(parts.username or "postgres"),
        "sslmode": query.get("sslmode", "prefer"),
    }


def where(args: dict[str, Any]) -> str:
    """The store as shown: host:port/database — never the user's password."""
    return f"pgvector {args['host']}:{args['port']}/{args['database']}"


def _ssl_context(mode: str) -> ssl.SSLContext | None:
    if mode in ("disable", "allow", "prefer"):
        return None  # pg8000 has no "try TLS, fall back": prefer connects in the clear, as on a local socket
    ctx = ssl.create_default_context()
    if mode == "require":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif mode == "verify-ca":
        ctx.check_hostname = False
    return ctx


def from_rows(
    t: float, name: str, column_rows: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]]
) -> OwuiStoreSample:
    """The sample from the two queries' rows (pure: the captures test it)."""
    cols = {str(r[0]): (str(r[1]), str(r[2]), r[3]) for r in column_rows}
    if "vector" not in cols:
        return OwuiStoreSample(
            t,
            name,
            kind="pgvector",
            error="no document_chunk.vector column yet (Open WebUI creates it at its first start)",
        )
    fmt, _typname, _typmod = cols["vector"]
    m = _TYPMOD_RE.match(fmt)
    width = int(m.group(2)) if m else None
    collections = []
    for coll, seen, config in rows:
        dims = int(seen) if isinstance(seen, int) else None
        model = ""
        if isinstance(config, str) and (hit := MODEL_RE.search(config)):
            model = hit.group(1)
        exact = dims is not None and (width is None or dims < width)
        collections.append(OwuiCollection(str(coll), dims, model, exact=exact))
    return OwuiStoreSample(t, name, tuple(collections), kind="pgvector", column=fmt, column_dims=width)


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def read_pgvector(dsn: str, connect: Callable[..., Any] | None = None) -> OwuiStoreSample:
    """One read of Open WebUI's pgvector store. Never raises: a failure is a sample with `error`."""
    t = time.time()
    try:
        args = parse_dsn(dsn)
    except DsnError as exc:
        return OwuiStoreSample(t, "pgvector", kind="pgvector", error=str(exc))
    name, secret = where(args), args["password"]
    if connect is None:
        try:
            from pg8000.native import Connection  # lazy: only with a DSN
        except ImportError:
            return OwuiStoreSample(
                t, name, kind="pgvector", error="reading pgvector needs pg8000: pip install 'embedtop[pgvector]'"
            )
        connect = Connection
    db = None
    try:
        db = connect(
            user=args["user"],
            password=args["password"],
            host=args["host"],
            port=args["port"],
            database=args["database"],
            timeout=CONNECT_TIMEOUT_S,
            application_name="embedtop",
            ssl_context=_ssl_context(args["sslmode"]),
        )
        db.run("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        db.run("SET statement_timeout = 3000")
        db.run("SET lock_timeout = 500")
        column_rows = db.run(COLUMN_SQL)
        kinds = {str(r[0]): str(r[2]) for r in column_rows}
        if "vector" not in kinds:
            return from_rows(t, name, column_rows, ())
        config = "d.vmetadata->>'embedding_config'" if kinds.get("vmetadata") == "jsonb" else "NULL::text"
        sql = COLLECTIONS_SQL.format(limit=MAX_COLLECTIONS, rows=SAMPLE_ROWS, config=config)
        return from_rows(t, name, column_rows, db.run(sql))
    except Exception as exc:  # the driver's errors (network, auth, SQL) and anything else: data, never a crash
        why = _scrub(_pg_message(exc), secret)
        return OwuiStoreSample(t, name, kind="pgvector", error=f"cannot read {name}: {why}")
    finally:
        if db is not None:
            with contextlib.suppress(Exception):  # closing a broken connection: nothing left to report
                db.close()


def _pg_message(exc: Exception) -> str:
    """pg8000 puts the server's fields in a dict (`{'S': 'FATAL', 'M': 'password authentication failed …'}`)."""
    first = exc.args[0] if exc.args else None
    if isinstance(first, dict) and first.get("M"):
        return str(first["M"])[:300]
    return (str(exc) or type(exc).__name__)[:300]


class PgvectorCollector:
    """Polls the pgvector store in a worker thread (the driver is blocking)."""

    name = "owui_store"

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn  # never logged, never shown

    def __repr__(self) -> str:
        return "PgvectorCollector(dsn=***)"

    async def collect(self) -> OwuiStoreSample:
        return await asyncio.to_thread(read_pgvector, self._dsn)
