"""Parse one line of a vLLM server log into a `LogLine`, and the periodic stats line into numbers.

Formats (vLLM's logger across releases, and the real 0.32 captures in tests/captures):
- vLLM logger 0.31+:    `(APIServer pid=29379) INFO 11-24 18:54:33 [api_utils.py:286] msg`
- vLLM logger 0.8–0.30: the same, `(Proc pid=N) ` optional (0.10.1 puts it on every process)
- vLLM logger ≤0.7:     `INFO 01-15 10:23:42 file.py:123] msg` (no bracket)
- `VLLM_LOGGING_PREFIX`, a docker `--timestamps` or a journald `short` prefix before any of these
- uvicorn access:       `INFO:     127.0.0.1:50902 - "POST /v1/embeddings HTTP/1.1" 200 OK`
- uvicorn lifecycle:    `INFO:     Application startup complete.`
- 0.8–0.30 also put `(Proc pid=N) ` before uvicorn lines, tracebacks and tqdm bars.
- JSON records (`--logging-config.formatter json`, 0.3x; python-json-logger): `{"asctime", "levelname",
  "name", "processName", "process", "message", "vllm_process_name", "exc_info"?}` — one per record,
  uvicorn's included (`parse_json_record`; tests/captures/vllm-0.32-json are real 0.32 captures).
Anything else (bare tracebacks, Python warnings, tqdm bars) is kind "other" with `msg` = the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tui.samples import LogLine

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

_PROC = r"(?:\((?P<proc>[A-Za-z][^()]*?) pid=(?P<pid>\d+)\)\s+)?"
_VLLM = (
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"(?:\d{4}-)?(?P<ts>\d\d-\d\d \d\d:\d\d:\d\d)(?:[.,]\d+)? "
    r"\[?(?P<src>[\w./-]+:\d+)\] ?(?P<msg>.*)"
)
VLLM_RE = re.compile("^" + _PROC + _VLLM, re.S)
# A VLLM_LOGGING_PREFIX or a collector's timestamp before the record: found anywhere.
VLLM_ANYWHERE_RE = re.compile(_PROC + _VLLM, re.S)
ACCESS_RE = re.compile(
    _PROC + r"(?P<level>INFO|WARNING|ERROR):\s+(?P<client>\S+) - "
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})'
)
UVICORN_RE = re.compile(_PROC + r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+(?P<msg>.*)", re.S)
PROC_ONLY_RE = re.compile(r"\((?P<proc>[A-Za-z][^()]*?) pid=(?P<pid>\d+)\) ?(?P<msg>.*)", re.S)
# What collectors and viewers put before the line: `docker logs --timestamps` (RFC 3339), `journalctl -o
# short`, `docker compose logs` (`vllm-1  | `), `kubectl logs --prefix` (`[pod/name/container] `), a log
# viewer's `2025-05-30 18:28:27.890 | `.
COLLECTOR_TS_RE = re.compile(
    r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)? "
    r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^:\s]+(?:\[\d+\])?: "
    r"|[\w][\w.-]*\s*\| "
    r"|\[pod/[^\]\s]+\] "
    r"|\[rank\d+\]: ?(?!\[)"
    r"|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)? \| )"
)
# A launcher's own format around vLLM's message: `2024-12-19 21:40:35 ERROR 56542 [file.py:64] msg`.
LAUNCHER_RE = re.compile(
    r"^\d{4}-(?P<ts>\d\d-\d\d \d\d:\d\d:\d\d)(?:[.,]\d+)? (?:- )?"
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?:- )?(?:(?P<pid>\d+) )?"
    r"\[?(?P<src>[\w./-]+:\d+)\]? ?(?P<msg>.*)",
    re.S,
)
# glog-style C++ records (PyTorch, NCCL): `[E ProcessGroupNCCL.cpp:475] …`, `[rank0]:[E1120 10:00:00 …] …`.
GLOG_RE = re.compile(r"^(?:\[rank\d+\]:)?\[(?P<sev>[EFW])[\d ][^\]]*\] ")
_GLOG_LEVELS = {"E": "ERROR", "F": "CRITICAL", "W": "WARNING"}
# Colour codes whose escape byte a paste lost (` [36m(RayWorkerVllm pid=5085) [0m`), and a literal `^M`.
BROKEN_ANSI_RE = re.compile(r"(?:(?<=\s)|^)\[\d{1,2}(?:;\d{1,3})*m\s?")
# The exception line that ends a traceback section: `ValueError: …`, `pkg.mod.SomeError: …`.
EXCEPTION_RE = re.compile(r"^(?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*)?(?:Error|Exception|Exit|Interrupt|Fault)\b(?::|$)")


def clean(text: str) -> str:
    """Strip ANSI colour codes, NUL bytes and trailing CR/LF."""
    if "\x1b" in text:
        text = ANSI_RE.sub("", text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.rstrip("\r\n")


def _pid(m: re.Match[str]) -> int | None:
    pid = m["pid"]
    return int(pid) if pid else None


def parse_line(raw: str) -> LogLine:
    """Classify one log line. Never raises."""
    text = raw
    if "\x1b" in text:
        text = ANSI_RE.sub("", text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text[-1:] in ("\n", "\r"):
        text = text.rstrip("\r\n")
    m = VLLM_RE.match(text)
    if m is not None:
        proc, pid, level, ts, src, msg = m.groups()
        return LogLine(text, level, "vllm", proc, int(pid) if pid else None, ts, src, msg)
    if ":  " in text or ": " in text[:40]:
        m = ACCESS_RE.match(text)
        if m is not None:
            return LogLine(
                text,
                m["level"],
                "access",
                m["proc"],
                _pid(m),
                msg=text[m.end("level") + 1 :].lstrip(),
                status=int(m["status"]),
                path=m["path"],
                method=m["method"],
                client=m["client"],
            )
        m = UVICORN_RE.match(text)
        if m is not None:
            return LogLine(text, m["level"], "uvicorn", m["proc"], _pid(m), msg=m["msg"])
    if text.endswith("^M") or ("[" in text[:8] and "m" in text[:12]):
        fixed = BROKEN_ANSI_RE.sub("", text[:-2] if text.endswith("^M") else text).lstrip()
        if fixed != text:  # a paste's literal `^M` or colour codes without their escape byte
            line = parse_line(fixed)
            line.text = text
            return line
    stripped = COLLECTOR_TS_RE.sub("", text, count=1)
    if stripped is not text and stripped != text:
        line = parse_line(stripped)
        line.text = text
        return line
    if text[:1].isdigit():
        m = LAUNCHER_RE.match(text)
        if m is not None:
            return LogLine(text, m["level"], "vllm", None, _pid(m), m["ts"], m["src"], m["msg"])
    m = VLLM_ANYWHERE_RE.search(text) if "] " in text else None
    if m is not None:
        return LogLine(text, m["level"], "vllm", m["proc"], _pid(m), m["ts"], m["src"], m["msg"])
    if text.startswith("("):
        m = PROC_ONLY_RE.match(text)
        if m is not None:
            msg = m["msg"]
            return LogLine(text, _glog_level(msg), "other", m["proc"], _pid(m), msg=msg)
    return LogLine(text, _glog_level(text), msg=text)


_NCCL_RE = re.compile(r"^\S+:\d+:\d+ \[\d+\] (?:[\w.]+:\d+ )?NCCL (?P<sev>WARN|INFO|ERROR) ")
_NCCL_LEVELS = {"WARN": "ERROR", "ERROR": "ERROR", "INFO": "INFO"}  # NCCL WARN reports its failures


def _glog_level(msg: str) -> str | None:
    if " NCCL " in msg[:80]:
        m = _NCCL_RE.match(msg)
        if m is not None:
            return _NCCL_LEVELS[m["sev"]]
    if msg[:1] != "[":
        return None
    m = GLOG_RE.match(msg)
    return _GLOG_LEVELS[m["sev"]] if m is not None else None


ASCTIME_RE = re.compile(r"\d{4}-(\d\d-\d\d \d\d:\d\d:\d\d)")


def parse_json_record(text: str) -> list[LogLine] | None:
    """One JSON log record as the lines vLLM's text format would print (None: not a JSON record).

    A record's message and its `exc_info` traceback become one line each with the record's prefix
    (as vLLM's text formatter repeats it), so grouping, the lifecycle and the catalog read them as
    usual. The lines are shown in that text layout: `(APIServer pid=494) INFO 11-28 10:20:03
    [vllm.entrypoints.launchers.api_server.entry] Starting vLLM server on …` — the logger name where
    the text format has `file.py:N`. uvicorn's records read like uvicorn's own lines."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("message"), str) or "levelname" not in record:
        return None
    level = str(record["levelname"]).upper()
    level = level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else None
    name = str(record.get("name") or "")
    body = record["message"]
    exc = record.get("exc_info")
    if isinstance(exc, str) and exc:
        body += "\n" + exc
    pieces = [clean(x) for x in body.split("\n")]
    if name.startswith("uvicorn"):
        prefix = f"{(level or 'INFO') + ':':<9} "
        first = parse_line(prefix + pieces[0])
        return [first, *(LogLine(piece, level, msg=piece) for piece in pieces[1:])]
    pid = record.get("process")
    pid = pid if isinstance(pid, int) else None
    proc = record.get("vllm_process_name") or record.get("processName")
    proc = proc if isinstance(proc, str) and proc else None
    stamp = ASCTIME_RE.match(str(record.get("asctime") or ""))
    ts = stamp.group(1) if stamp else None
    head = (f"({proc} pid={pid}) " if proc and pid is not None else "") + f"{level} {ts or ''} [{name}] "
    return [LogLine(head + piece, level, "vllm", proc, pid, ts, name or None, piece) for piece in pieces]


# ------------------------------------------------------------------ the periodic stats line

STATS_RE = re.compile(
    r"Avg prompt throughput: (?P<prompt_tps>[\d.]+) tokens/s, "
    r"Avg generation throughput: (?P<gen_tps>[\d.]+) tokens/s, "
    r"Running: (?P<running>\d+) reqs, (?:Swapped: \d+ reqs, )?(?:Waiting|Pending): (?P<waiting>\d+) reqs"
    r"(?:.*?(?:GPU|CPU|XPU|TPU|[A-Z]+)(?: \+ host)? KV cache usage: (?P<kv_pct>[\d.]+)%)?"
    r"(?:.*?Prefix cache hit rate: (?:GPU: )?(?P<prefix_pct>[\d.]+)%)?"
)


@dataclass(frozen=True)
class Stats:
    """vLLM's `Avg prompt throughput: …` line (every 10 s; DEBUG, so absent, while idle)."""

    prompt_tps: float
    gen_tps: float
    running: int
    waiting: int
    kv_pct: float | None
    prefix_hit_pct: float | None


def parse_stats(msg: str) -> Stats | None:
    """The numbers of a stats line (the V0 and V1 engines' forms), or None."""
    if "Avg prompt throughput" not in msg:
        return None
    m = STATS_RE.search(msg)
    if m is None:
        return None
    kv, prefix = m["kv_pct"], m["prefix_pct"]
    return Stats(
        float(m["prompt_tps"]),
        float(m["gen_tps"]),
        int(m["running"]),
        int(m["waiting"]),
        float(kv) if kv else None,
        float(prefix) if prefix else None,
    )
