"""Python tracebacks in a vLLM log, assembled into exception chains from their structure alone.

A chain is what one `raise` printed: one or more sections joined by "The above exception was the
direct cause of the following exception:" or "During handling of the above exception, another
exception occurred:". Python prints the original exception first, so the first section's exception is
the innermost one — the root of the chain. Lines are keyed by the process that printed them (`(Proc
pid=N)` prefix, or none for bare stderr), so tracebacks of several processes may interleave.

No message needs to be known: a traceback is recognised by `Traceback (most recent call last):`, its
`  File "…", line N, in f` frames and the un-indented `Type: message` line that ends each section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.samples import LogLine

TRACEBACK = "Traceback (most recent call last):"
_SEPARATORS = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
# The line that ends a section: `ValueError: …`, `pkg.mod.SomeError: …`, `AssertionError`,
# `torch._dynamo.exc.Unsupported: …`.
EXC_LINE_RE = re.compile(r"^(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?::\s?(?P<msg>.*)|$)")
_FRAME_RE = re.compile(r'^\s*File "(?P<file>[^"]*)", line \d+, in (?P<func>\S+)')
# A frame that is the top of a process: its death is the process's death.
_TOP_FUNCS = frozenset(
    {"<module>", "_bootstrap", "run_engine_core", "run_worker", "worker_main", "_run_module_as_main"}
)
MAX_SECTIONS = 8
MAX_MESSAGE_LINES = 6  # a multi-line exception message (pydantic's "Value error, …" block) kept per section
MAX_CHAIN_LINES = 2000


@dataclass(slots=True)
class Section:
    """One traceback of a chain: its frames' functions and the exception that ended it."""

    toplevel: bool = False  # a frame at the top of a process (`<module>`, multiprocessing's `_bootstrap`)
    files: list[str] = field(default_factory=list)  # last few frame files (for "vllm/…" vs library)
    funcs: list[str] = field(default_factory=list)  # the frames' function names (bounded)
    exc_type: str = ""
    message: str = ""
    line: LogLine | None = None  # the exception line
    line_no: int = 0
    more: list[tuple[LogLine, int]] = field(default_factory=list)  # message lines after the exception line


@dataclass(slots=True)
class Chain:
    """A complete traceback chain, sections in print order (the first is the innermost cause)."""

    key: tuple[str | None, int | None, bool]  # (process name, pid, bare stderr)
    start_no: int
    t: float
    sections: list[Section] = field(default_factory=list)
    header: LogLine | None = None  # the ERROR record just before it ("EngineCore failed to start.")
    header_no: int = 0
    lines: int = 0

    @property
    def complete(self) -> bool:
        return bool(self.sections) and bool(self.sections[-1].exc_type)

    @property
    def toplevel(self) -> bool:
        return any(s.toplevel for s in self.sections)


def exception_text(section: Section) -> str:
    """`Type: message` with pydantic's `Value error, …` continuation when the message is only a count."""
    text = f"{section.exc_type}: {section.message}" if section.message else section.exc_type
    return text


def _record_key(line: LogLine) -> tuple[str | None, str | None, str | None]:
    return (line.ts, line.src, line.level)


class _Open:
    __slots__ = ("awaiting", "chain", "in_message", "kind", "record")

    def __init__(self, chain: Chain, line: LogLine) -> None:
        self.chain = chain
        self.record = _record_key(line) if line.kind == "vllm" else None
        self.kind = line.kind
        self.awaiting = False  # a separator was seen: the next `Traceback` continues this chain
        self.in_message = False  # after a section's exception line: indented lines continue the message


class ChainTracker:
    """Feed every line; `feed` returns the chains that a line completed (usually none)."""

    def __init__(self) -> None:
        # open tracebacks by process; while none is, only ERROR records and `Traceback` lines need feeding
        self.open_chains: dict[tuple[str | None, int | None, bool], _Open] = {}
        self._last_error: dict[tuple[str | None, int | None], tuple[LogLine, int]] = {}

    def feed(self, line: LogLine, line_no: int, t: float) -> list[Chain]:
        # Bare stderr (kind "other") and logger records of one process are separate streams: a V0 engine
        # prints its traceback both ways, interleaved.
        pkey = (line.proc, line.pid)
        key = (line.proc, line.pid, line.kind == "other")
        msg = line.msg if line.kind in ("vllm", "other") else ""
        done: list[Chain] = []
        if line.kind != "other":
            bare = self.open_chains.get((line.proc, line.pid, True))
            if bare is not None and bare.chain.complete and not bare.awaiting:
                done.append(self._close((line.proc, line.pid, True)))  # a log record after a finished bare traceback
        cur = self.open_chains.get(key)
        if line.kind not in ("vllm", "other"):
            if cur is not None:  # an access or uvicorn line of the same process: the traceback is over
                done.append(self._close(key))
            return done
        if msg.startswith(TRACEBACK):
            if cur is not None and cur.awaiting:
                cur.awaiting = False
                cur.in_message = False
                cur.chain.sections.append(Section())
                cur.chain.lines += 1
                return done
            if cur is not None:
                done.append(self._close(key))
            chain = Chain(key, line_no, t, [Section()], lines=1)
            header = self._last_error.get(pkey)
            if header is not None and line_no - header[1] <= 2:
                chain.header, chain.header_no = header
            self.open_chains[key] = _Open(chain, line)
            return done
        if cur is None:
            if line.level in ("ERROR", "CRITICAL"):
                self._last_error[pkey] = (line, line_no)
                if len(self._last_error) > 64:
                    del self._last_error[next(iter(self._last_error))]
            return done
        if line.kind != cur.kind or (cur.record is not None and _record_key(line) != cur.record):
            # A new log record of the same process: the traceback is over.
            done.append(self._close(key))
            if line.level in ("ERROR", "CRITICAL"):
                self._last_error[pkey] = (line, line_no)
            return done
        chain = cur.chain
        chain.lines += 1
        section = chain.sections[-1]
        stripped = msg.strip()
        if not stripped:
            return done
        if stripped in _SEPARATORS:
            cur.awaiting = True
            cur.in_message = False
            if len(chain.sections) >= MAX_SECTIONS:
                done.append(self._close(key))
            return done
        if msg[0] in " \t":
            m = _FRAME_RE.match(msg)
            if m is not None and not section.exc_type:
                if m["func"] in _TOP_FUNCS:
                    section.toplevel = True
                section.files.append(m["file"])
                del section.files[:-4]
                if len(section.funcs) < 64:
                    section.funcs.append(m["func"])
            elif cur.in_message and len(section.more) < MAX_MESSAGE_LINES:
                section.more.append((line, line_no))
            return done
        m = EXC_LINE_RE.match(stripped)
        if not section.exc_type and m is not None:
            section.exc_type = m["type"]
            section.message = (m["msg"] or "").strip()
            section.line = line
            section.line_no = line_no
            cur.in_message = True
        elif section.exc_type and cur.in_message and len(section.more) < MAX_MESSAGE_LINES:
            section.more.append((line, line_no))  # a message that spans lines
        elif section.exc_type and line.kind == "other" and key == (None, None, True):
            done.append(self._close(key))  # unrelated stderr after a finished traceback
            return done
        if chain.lines >= MAX_CHAIN_LINES:
            done.append(self._close(key))
        return done

    def _close(self, key: tuple[str | None, int | None, bool]) -> Chain:
        return self.open_chains.pop(key).chain

    def flush(self) -> list[Chain]:
        """Close every open chain (end of the input)."""
        chains = [o.chain for o in self.open_chains.values()]
        self.open_chains.clear()
        return chains

    def close_complete(self) -> list[Chain]:
        """Close the open chains whose last section ended with its exception (live: the log went quiet)."""
        keys = [k for k, o in self.open_chains.items() if o.chain.complete and not o.awaiting]
        return [self._close(k) for k in keys]

    def open_for(self, line: LogLine) -> bool:
        """Whether the line went into an open traceback of its process."""
        return (line.proc, line.pid, line.kind == "other") in self.open_chains

    def pending(self) -> list[Chain]:
        """Chains still open (their last section may be complete)."""
        return [o.chain for o in self.open_chains.values()]
