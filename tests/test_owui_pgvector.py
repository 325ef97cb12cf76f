"""Open WebUI's pgvector store (`--openwebui-pgvector-dsn`): the width of `document_chunk.vector` and of each
collection's vectors, read-only, and client.dimensions judging them against the server's width.

These read tests/captures/openwebui-pgvector: what the collector's two queries returned from a real PostgreSQL
18.3 + pgvector 0.8.2 after a real Open WebUI 0.12.4 ingested into it. tests/test_owui_pgvector_real.py runs them.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pytest

from tests.conftest import CAPTURES, capture
from tui.collectors.owuipg import DsnError, from_rows, parse_dsn, read_pgvector
from tui.samples import OwuiStoreSample

PG = CAPTURES / "openwebui-pgvector"
SECRET = "s3cr3t-Pa55-never-shown"


def captured(name: str) -> OwuiStoreSample:
    data = json.loads(capture(f"{name}.json", PG).read_text())
    return from_rows(1.0, f"pgvector 127.0.0.1:55432/{data['database']}", data["column_rows"], data["collection_rows"])


# ---------------------------------------------------------------- the collector, on the captured rows


def test_a_padded_store_gives_the_column_and_each_collections_own_width() -> None:
    s = captured("vector-1536")  # Open WebUI's default column; 384-dim and 128-dim models wrote into it
    assert s.ok and s.kind == "pgvector" and s.column == "vector(1536)" and s.column_dims == 1536
    widths = {c.name: (c.dims, c.model, c.exact) for c in s.collections}
    assert widths["0dac3126-a6df-49ab-a458-faf8883f9faa"] == (384, "all-MiniLM-L6-v2", True)
    assert widths["file-fd2da185-165b-48e2-8098-af2cd04af52e"] == (128, "alt-128", True)
    assert widths["knowledge-bases"][1] == ""  # Open WebUI's own collection carries no embedding_config
    rows = json.loads(capture("vector-1536.json", PG).read_text())["rows_per_collection"]
    assert {r[2] for r in rows} == {1536}, "every stored vector is the column's width: padded, as the code says"


def test_a_narrow_column_marks_its_collections_as_cut() -> None:
    s = captured("vector-256")  # PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH=256, a 384-dim model
    assert s.column_dims == 256
    assert {(c.dims, c.exact) for c in s.collections} == {(256, False)}


def test_no_table_yet_is_one_line() -> None:
    s = from_rows(1.0, "pgvector h:5432/db", [], [])
    assert not s.ok and "document_chunk.vector" in (s.error or "")


@pytest.mark.parametrize(
    ("dsn", "host", "port", "db", "user"),
    [
        ("postgresql://ro:pw@db.lan:6543/openwebui", "db.lan", 6543, "openwebui", "ro"),
        ("postgres://ro:pw@127.0.0.1/openwebui?sslmode=require", "127.0.0.1", 5432, "openwebui", "ro"),
        ("postgresql+psycopg://owui:p%40ss@10.0.0.2:5432/owui", "10.0.0.2", 5432, "owui", "owui"),
    ],
)
def test_dsn_forms_open_webui_uses(dsn: str, host: str, port: int, db: str, user: str) -> None:
    args = parse_dsn(dsn)
    assert (args["host"], args["port"], args["database"], args["user"]) == (host, port, db, user)


@pytest.mark.parametrize("dsn", ["mysql://u:p@h/db", "postgresql:///db", f"postgresql://u:{SECRET}@h:notaport/db"])
def test_a_bad_dsn_is_one_line_without_the_password(dsn: str) -> None:
    with pytest.raises(DsnError) as err:
        parse_dsn(dsn)
    assert SECRET not in str(err.value)
    s = read_pgvector(dsn)
    assert not s.ok and SECRET not in (s.error or "") and SECRET not in s.path


class FakeDb:
    """Records every statement; answers the captured rows."""

    def __init__(self, data: dict[str, Any], fail: Exception | None = None) -> None:
        self.data, self.fail, self.sql, self.closed = data, fail, [], False

    def run(self, sql: str, **params: Any) -> list[list[Any]]:
        self.sql.append(sql)
        if self.fail is not None:
            raise self.fail
        if "pg_attribute" in sql:
            return self.data["column_rows"]
        if "document_chunk" in sql:
            return self.data["collection_rows"]
        return []

    def close(self) -> None:
        self.closed = True


def test_the_session_is_read_only_with_short_timeouts_and_never_writes() -> None:
    data = json.loads(capture("vector-1536.json", PG).read_text())
    db = FakeDb(data)
    seen: dict[str, Any] = {}

    def connect(**kw: Any) -> FakeDb:
        seen.update(kw)
        return db

    s = read_pgvector(f"postgresql://embedtop_ro:{SECRET}@127.0.0.1:55432/openwebui", connect=connect)
    assert s.ok and s.column_dims == 1536 and db.closed
    assert seen["password"] == SECRET and seen["timeout"] <= 3 and seen["application_name"] == "embedtop"
    assert db.sql[0] == "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    assert any("lock_timeout" in q for q in db.sql) and any("statement_timeout" in q for q in db.sql)
    writes = re.compile(r"\b(INSERT|UPDATE|DELETE|ALTER|CREATE|DROP|TRUNCATE|LOCK|GRANT|COPY)\b", re.I)
    assert not [q for q in db.sql if writes.search(q)]
    assert "LIMIT 3" in db.sql[-1] and "LIMIT 200" in db.sql[-1]  # a few vectors per collection, bounded


def test_driver_errors_never_show_the_password() -> None:
    fail = Exception({"S": "FATAL", "M": f'password authentication failed for user "ro" ({SECRET})'})
    s = read_pgvector(f"postgresql://ro:{SECRET}@127.0.0.1:5/openwebui", connect=lambda **kw: FakeDb({}, fail))
    assert not s.ok and "password authentication failed" in (s.error or "")
    assert SECRET not in (s.error or "") and SECRET not in repr(s)


def test_without_the_driver_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pg8000.native", None)  # import fails
    s = read_pgvector("postgresql://ro:pw@127.0.0.1:5/db")
    assert not s.ok and "pip install 'embedtop[pgvector]'" in (s.error or "")


# ---------------------------------------------------------------- client.dimensions on those stores


def judged_dims(sample: OwuiStoreSample, dims: int) -> Any:
    import time

    from tui.config import Config
    from tui.rules.checks import evaluate
    from tui.samples import ProbeSample
    from tui.state.store import Store

    store = Store()
    store.apply(sample)
    store.apply(ProbeSample(time.time(), "Qwen3-Embedding-4B", 200, 0.01, dims=dims))
    cfg = Config(url="http://127.0.0.1:8011", openwebui_pgvector_dsn="postgresql://ro:pw@127.0.0.1:55432/openwebui")
    results = {r.id: r for r in evaluate(store, cfg, time.time())}
    return results["client.dimensions"]


def test_a_column_narrower_than_the_server_fails_with_the_pgvector_fix() -> None:
    r = judged_dims(captured("vector-1536"), 2560)  # Qwen3-Embedding-4B into Open WebUI's default column
    assert r.status.value == "fail", r.summary
    assert "vector(1536)" in r.summary and "first 1536 values" in r.summary and "no log line" in r.summary
    assert "PGVECTOR_INITIALIZE_MAX_VECTOR_LENGTH=2560" in r.fix and "PGVECTOR_USE_HALFVEC=true" in r.fix
    assert "halfvec(2560)" in r.fix and "ALTER TABLE document_chunk" in r.fix and "Reindex" in r.fix
    small = judged_dims(captured("vector-256"), 384)  # the real cut: 384-dim vectors in vector(256)
    assert small.status.value == "fail" and "vector(256)" in small.summary
    assert "vector(384)" in small.fix and "HALFVEC" not in small.fix


def test_padded_collections_of_another_width_fail_and_the_matching_width_passes() -> None:
    r = judged_dims(captured("vector-1536"), 384)  # the 128-dim collections no longer match
    assert r.status.value == "fail", r.summary
    assert "2 of 5 collections" in r.summary and "128-dim vectors zero-padded to 1536" in r.summary
    assert any("built with alt-128" in e for e in r.evidence) and "Reindex" in r.fix
    cut = judged_dims(captured("vector-256"), 128)  # vectors that fill the column were wider than 128
    assert cut.status.value == "fail" and "≥256-dim" in cut.summary
    same = judged_dims(captured("vector-256"), 256)
    assert same.status.value == "pass", same.summary
    only_384 = from_rows(1.0, "pgvector h:1/db", *_only(captured_data("vector-1536"), 384))
    ok = judged_dims(only_384, 384)
    assert ok.status.value == "pass" and "zero-padded into vector(1536): harmless" in ok.summary


def captured_data(name: str) -> dict[str, Any]:
    return json.loads(capture(f"{name}.json", PG).read_text())


def _only(data: dict[str, Any], width: int) -> tuple[list[Any], list[Any]]:
    return data["column_rows"], [r for r in data["collection_rows"] if r[1] == width]
