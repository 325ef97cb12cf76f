"""Open WebUI's log: its records parsed, and what they say about ingestion and retrieval failures.

Formats, 0.5 → 0.12:
- loguru text (0.5.20+):
  `2026-11-28 06:16:35.328 | ERROR    | open_webui.routers.retrieval:save_docs_to_vector_db:1556 - msg`
  (0.5.x appends ` - {}`, the record's extra dict)
- Python logging (≤ 0.5.x): `ERROR [open_webui.routers.retrieval] msg`
- `LOG_FORMAT=json` (0.12): `{"ts", "level", "msg", "caller", "error": {"type", "message", "stacktrace"}}`
- uvicorn access lines, tracebacks and anything else: kind "other".
A `docker logs --timestamps` / compose prefix is taken off first (the same collectors as vLLM's log).

`OwuiLogState` folds lines into findings from `owui_catalog.toml` (first entry that matches a record):
the root is the first specific finding; "Error processing file" is the consequence it names.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tui.logs.catalog import first_match
from tui.logs.parse import COLLECTOR_TS_RE, clean

CATALOG_PATH = Path(__file__).with_name("owui_catalog.toml")
LOGURU_RE = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.\d+)? \| (?P<level>[A-Z]+)\s*\| "
    r"(?P<src>[\w.]+:[\w<>]+:\d+) - (?P<msg>.*?)(?: - \{\})?$"
)
PYLOG_RE = re.compile(r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+\[(?P<src>open_webui[\w.]*)\] (?P<msg>.*)$")
ACCESS_RE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')
MAX_FINDINGS = 50


@dataclass(frozen=True, slots=True)
class OwuiLine:
    """One line of Open WebUI's log."""

    text: str
    kind: str = "other"  # "record" (loguru / logging / JSON), "access", "other"
    level: str | None = None
    ts: str | None = None  # "YYYY-MM-DD HH:MM:SS"
    src: str | None = None  # "module:function:line" or the logger name
    msg: str = ""


def parse_owui_line(raw: str) -> OwuiLine:
    """Classify one line of Open WebUI's log. Never raises."""
    text = clean(raw)
    body = text if LOGURU_RE.match(text) else COLLECTOR_TS_RE.sub("", text, count=1)
    if body[:1] == "{" and '"level"' in body:
        try:
            record = json.loads(body)
        except ValueError:
            record = None
        if isinstance(record, dict):
            msg = str(record.get("msg") or record.get("message") or "")
            error = record.get("error")
            if isinstance(error, dict):
                kind = str(error.get("type") or "")
                detail = f"{kind}: {error.get('message') or ''}".strip()
                msg = f"{msg} {detail}".strip() if msg else detail
            level = str(record.get("level") or "").upper() or None
            ts = str(record.get("ts") or "")[:19].replace("T", " ") or None
            return OwuiLine(text, "record", level, ts, str(record.get("caller") or "") or None, msg)
    m = LOGURU_RE.match(body)
    if m is not None:
        msg = m["msg"]
        access = ACCESS_RE.search(msg) if m["src"].startswith("uvicorn") else None
        kind = "access" if access is not None else "record"
        return OwuiLine(text, kind, m["level"], f"{m['date']} {m['time']}", m["src"], msg)
    m = PYLOG_RE.match(body)
    if m is not None:
        return OwuiLine(text, "record", m["level"], None, m["src"], m["msg"])
    if ACCESS_RE.search(body) is not None:
        return OwuiLine(text, "access", "INFO", msg=body)
    return OwuiLine(text, msg=body)


@dataclass(frozen=True)
class OwuiEntry:
    """One known failure of Open WebUI's log (owui_catalog.toml)."""

    id: str
    check: str
    severity: str
    regexes: tuple[re.Pattern[str], ...]
    meaning: str
    cause: str
    fix: str
    source: str
    generic: bool = False
    examples: tuple[str, ...] = ()
    cleared_by: str = "embedded"  # the later line that shows it is over: "embedded" or "stored"

    def search(self, text: str) -> re.Match[str] | None:
        return first_match(self.regexes, text)


def load(path: Path = CATALOG_PATH) -> tuple[OwuiEntry, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for e in data.get("entry", ()):
        regexes = e["regex"] if isinstance(e["regex"], list) else [e["regex"]]
        entries.append(
            OwuiEntry(
                e["id"],
                e["check"],
                e["severity"],
                tuple(re.compile(r) for r in regexes),
                e["meaning"],
                e["cause"],
                e["fix"],
                e.get("source", ""),
                bool(e.get("generic", False)),
                tuple(e.get("examples", ())),
                e.get("cleared_by", "embedded"),
            )
        )
    return tuple(entries)


ENTRIES = load()
BY_ID = {e.id: e for e in ENTRIES}
CHECKS = tuple(dict.fromkeys(e.check for e in ENTRIES))  # the checklist items its findings go to, in its order
# Most records are INFO chatter: a literal gate (words every entry's texts hold) keeps them cheap.
_GATE = re.compile(
    r"dimension|dim \(|dims|message=|Cannot connect|certificate|SSL|[Pp]roxy|Timeout|hash|Duplicate|huggingface|"
    r"local cache|SentenceTransformer|querying|Error|rror|Failed"
)


def match(text: str) -> tuple[OwuiEntry, re.Match[str]] | None:
    """The first catalog entry that fires on a record's message."""
    if _GATE.search(text) is None:
        return None
    for entry in ENTRIES:
        m = entry.search(text)
        if m is not None:
            return entry, m
    return None


@dataclass
class OwuiFinding:
    entry: OwuiEntry
    line: str
    line_no: int
    ts: str | None
    facts: dict[str, str] = field(default_factory=dict)
    count: int = 1

    @property
    def id(self) -> str:
        return self.entry.id


class OwuiLogState:
    """Findings of Open WebUI's log, one per entry (the first line that proved it, and how often it recurred)."""

    def __init__(self) -> None:
        self.findings: list[OwuiFinding] = []
        self.line_no = 0
        self.records = 0
        self.embedded: int = 0  # "embeddings generated N for N items" totals: documents embedded fine
        self.last_ts: str | None = None

    def feed(self, line: OwuiLine) -> None:
        self.line_no += 1
        if line.ts:
            self.last_ts = line.ts
        if line.kind == "access":
            return
        if line.kind == "record":
            self.records += 1
            if line.msg.startswith("embeddings generated"):
                self.embedded += 1
        if line.level in ("DEBUG", "INFO") and line.kind == "record":
            return
        hit = match(line.msg)
        if hit is None:
            return
        entry, m = hit
        for f in self.findings:
            if f.entry is entry:
                f.count += 1
                return
        if len(self.findings) < MAX_FINDINGS:
            facts = {k: v for k, v in m.groupdict().items() if v}
            self.findings.append(OwuiFinding(entry, line.text, self.line_no, line.ts, facts))

    def for_check(self, check: str) -> list[OwuiFinding]:
        return [f for f in self.findings if f.entry.check == check]

    def root_cause(self) -> OwuiFinding | None:
        """The first specific finding (a fail before a warn), else the first one."""
        specific = [f for f in self.findings if not f.entry.generic]
        for f in specific:
            if f.entry.severity == "fail":
                return f
        return specific[0] if specific else (self.findings[0] if self.findings else None)

    @property
    def healthy(self) -> bool:
        return not any(f.entry.severity == "fail" for f in self.findings)


def read(path: Path) -> OwuiLogState:
    """A saved Open WebUI log, streamed. Raises OSError if it cannot be read."""
    from tui.logs.split import LineSplitter

    state = OwuiLogState()
    splitter = LineSplitter()
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1024 * 1024)
            lines = splitter.feed(chunk) if chunk else splitter.flush()
            for line in lines:
                state.feed(parse_owui_line(line.text))
            if not chunk:
                break
    return state


def render_text(path: str, state: OwuiLogState) -> list[str]:
    out = [f"Open WebUI log: {path} ({state.line_no:,} lines, {state.records:,} records)"]
    root = state.root_cause()
    if root is None:
        out.append("verdict: no ingestion or retrieval failure in Open WebUI's log")
        return out
    word = "FAILED" if root.entry.severity == "fail" else "warning"
    out.append(f"verdict: {word} — {root.entry.meaning} [{root.id}] (checklist: {root.entry.check})")
    facts = ", ".join(f"{k}={v}" for k, v in root.facts.items())
    out.append(f"  line {root.line_no} ({root.ts or '?'}): {root.line[:400]}")
    if facts:
        out.append(f"  facts: {facts}")
    out += [f"  cause: {root.entry.cause}", f"  fix:   {root.entry.fix}"]
    others = [f for f in state.findings if f is not root]
    if others:
        out.append("also in Open WebUI's log:")
        for f in others:
            count = f" ×{f.count}" if f.count > 1 else ""
            out.append(f"  - {f.id}{count} [{f.entry.check}]: {f.entry.meaning}")
            out.append(f"    line {f.line_no}: {f.line[:200]}")
    return out


def to_dict(path: str, state: OwuiLogState) -> dict[str, object]:
    def one(f: OwuiFinding) -> dict[str, object]:
        e = f.entry
        return {
            "id": e.id,
            "check": e.check,
            "severity": e.severity,
            "generic": e.generic,
            "meaning": e.meaning,
            "cause": e.cause,
            "fix": e.fix,
            "line": f.line,
            "line_number": f.line_no,
            "time": f.ts,
            "count": f.count,
            "facts": f.facts,
        }

    root = state.root_cause()
    return {
        "file": path,
        "lines": state.line_no,
        "healthy": state.healthy,
        "root_cause": one(root) if root is not None else None,
        "findings": [one(f) for f in state.findings],
    }
