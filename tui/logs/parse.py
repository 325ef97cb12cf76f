"""Parse one line of a vLLM server log into a `LogLine`.

Formats (see shared docs, vllm-facts §1 and the real 0.32 captures):
- vLLM logger, 0.8+:  `(APIServer pid=29379) INFO 11-24 18:54:33 [api_utils.py:286] msg`
- vLLM logger, ≤0.7:  `INFO 01-15 10:23:42 file.py:123] msg` (no bracket, optional proc prefix)
- uvicorn access:     `INFO:     127.0.0.1:50902 - "POST /v1/embeddings HTTP/1.1" 200 OK`
- uvicorn lifecycle:  `INFO:     Application startup complete.`
Anything else (tracebacks, warnings, tqdm bars) is kept as kind "other".
"""

from __future__ import annotations

import re

from tui.model.samples import LogLine

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

VLLM_RE = re.compile(
    r"^(?:\((?P<proc>[^()]*?) pid=(?P<pid>\d+)\) )?"
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"(?P<date>\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.\d+)? "
    r"\[?(?P<src>[\w./-]+:\d+)\] ?(?P<msg>.*)$"
)
ACCESS_RE = re.compile(
    r"^(?:\((?P<proc>[^()]*?) pid=\d+\) )?(?P<level>INFO|WARNING|ERROR):\s+(?P<client>\S+) - "
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})'
)
UVICORN_RE = re.compile(r"^(?:\((?P<proc>[^()]*?) pid=\d+\) )?(?P<level>INFO|WARNING|ERROR):\s+(?P<msg>.+)$")


def clean(text: str) -> str:
    """Strip ANSI colour codes, NUL bytes and trailing CR/LF."""
    text = ANSI_RE.sub("", text)
    return text.replace("\x00", "").rstrip("\r\n")


def parse_line(raw: str) -> LogLine:
    """Classify one log line. Never raises."""
    text = clean(raw)
    m = ACCESS_RE.match(text)
    if m:
        return LogLine(
            text=text,
            level=m["level"],
            kind="access",
            proc=m["proc"],
            status=int(m["status"]),
            path=m["path"],
        )
    m = VLLM_RE.match(text)
    if m:
        return LogLine(text=text, level=m["level"], kind="vllm", proc=m["proc"])
    m = UVICORN_RE.match(text)
    if m:
        return LogLine(text=text, level=m["level"], kind="uvicorn", proc=m["proc"])
    return LogLine(text=text)

