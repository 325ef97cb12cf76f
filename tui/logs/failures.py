"""Failure detection from the log's structure, for messages no catalog entry knows.

A run collects *suspects*: the innermost exception of each traceback chain, pydantic's `Value error, …`
lines, argparse `error:` lines and ERROR/CRITICAL records. Progress (a later startup milestone, a
2xx answer, a stats line) clears them: vLLM recovered, they were harmless. A *fatal signal* — a line
saying a process died or is exiting (`EngineDeadError`, "Engine core initialization failed", "died
unexpectedly", a traceback that reached a process's top frame, the log ending or a restart right after
an error during startup) — turns the run red, and the root cause is the first suspect that is not a
consequence, quoted verbatim, with vLLM's own advice as the fix when its message carries some.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from tui.logs import advice
from tui.logs.catalog import STARTUP_CHECK, LogPattern
from tui.logs.parse import EXCEPTION_RE
from tui.logs.tracebacks import Chain, exception_text
from tui.samples import LogLine

MAX_SUSPECTS = 24
# Functions that run only while serving: a traceback through them is the engine's, not a startup's.
_SERVING_FUNCS = frozenset(
    {
        "output_handler",
        "_run_output_handler",
        "engine_step",
        "step_async",
        "run_engine_loop",
        "run_busy_loop",
        "_process_engine_step",
        "process_input_sockets",
        "create_embedding",
        "create_chat_completion",
        "engine_step_async",
        "run_output_handler",
        "execute_model_async",
        "step_with_batch_queue",
    }
)
QUIET_S = 60.0  # live: an error during startup followed by this long a silence is the end of that start
_VALUE_ERROR_RE = re.compile(r"^\s*(?:Value error|Assertion failed), (?P<msg>.*?)(?:\s*\[type=\w+.*)?$")
_ARGPARSE_RE = re.compile(r"^[\w./-]+(?: [\w-]+)?: error: (?P<msg>.+)")
# Exceptions that only say the process is being stopped: never a cause.
_STOP_TYPES = ("KeyboardInterrupt", "SystemExit", "CancelledError", "GeneratorExit")
# Words of a warning that can explain a death right after it.
_EXPLAINS_RE = re.compile(
    r"too long|longer than the (?:specified )?maximum|exceeds? the (?:model's )?maximum|sequence length is longer|"
    r"out of memory|\bOOM\b|insufficient memory|not enough memory|\btimed out\b|\bNaN\b|illegal|preempt",
    re.I,
)


@dataclass(slots=True)
class Suspect:
    """An error line that may be the cause of a failure."""

    line: LogLine  # the line to cite
    text: str  # vLLM's message, verbatim (an exception's `Type: message`, a record's message)
    line_no: int
    t: float
    consequence: bool
    exc_type: str = ""
    header: str = ""  # the ERROR record before a traceback ("EngineCore failed to start.")
    detail: str = ""  # the message lines after the exception line (advice often sits there)
    serving: bool = False  # its frames are the serving path (engine step, output handler)
    header_no: int = 0  # line number of the ERROR record this traceback belongs to (0: none)


def suspect_from_chain(chain: Chain) -> Suspect | None:
    """The innermost exception of the chain that is not a consequence, else its first exception."""
    first: Suspect | None = None
    for section in chain.sections:
        if not section.exc_type or section.line is None:
            continue
        text, line, no = exception_text(section), section.line, section.line_no
        for more, more_no in section.more:
            m = _VALUE_ERROR_RE.match(more.msg)
            if m is not None:  # pydantic: the count line is the wrapper, "Value error, …" is vLLM's message
                text, line, no = m["msg"], more, more_no
                break
        else:
            if section.more and (not section.message or section.message.rstrip().endswith("raised:")):
                # `BackendCompilerFailed: backend='inductor' raised:` then the real error on the next line
                inner, inner_no = section.more[0]
                if section.message:
                    text, line, no = inner.msg.strip(), inner, inner_no
                else:
                    text = f"{section.exc_type}: {inner.msg.strip()}"
        header = chain.header.msg if chain.header is not None else ""
        stop = section.exc_type.rsplit(".", 1)[-1] in _STOP_TYPES
        detail = " ".join(
            m.msg.strip()
            for m, _ in section.more
            if m is not line and not m.msg.strip().startswith("For further information")
        )
        serving = any(f in _SERVING_FUNCS for s in chain.sections for f in s.funcs)
        suspect = Suspect(
            line,
            text,
            no,
            chain.t,
            stop or advice.is_consequence(text),
            section.exc_type,
            header,
            detail,
            serving,
            chain.header_no if chain.header is not None else 0,
        )
        if not suspect.consequence:
            return suspect
        first = first or suspect
    return first


_CODE_RE = re.compile(
    r"^[\s^~]*$|^\s|^(?:Process \S+:|Stack \(most recent call first\):)$|"
    # the second lines of torch's CUDA error text: part of the error above, not errors of their own
    r"^(?:For debugging consider passing|CUDA kernel errors might be|Compile with `TORCH_USE_CUDA_DSA`)|"
    # a traceback chain's separators, pasted without the traceback's header
    r"^(?:The above exception was the direct cause|During handling of the above exception)"
)
_NCCL_WARN_RE = re.compile(r" NCCL (?:WARN|ERROR) (?P<msg>.+)")
_CUDA_CODE_RE = re.compile(r"^Search for `(?P<code>cuda\w+)'")
# A CUDA kernel's own assert (printed before torch's "device-side assert triggered"): the first cause.
_KERNEL_ASSERT_RE = re.compile(r"\.cu:\d+: \w+: block: \[[\d,]+\], thread: \[[\d,]+\] Assertion `[^`]+` failed\.")


def standalone(line: LogLine, line_no: int, t: float) -> Suspect | None:
    """A suspect from one line outside a traceback header: `Value error, …`, argparse's `error:`, an
    exception line (a paste that starts mid-traceback), an ERROR/CRITICAL record."""
    raw = line.msg
    if _CODE_RE.match(raw) or raw.strip() == "NoneType: None":  # (logger.exception without an exception)
        return None  # a frame, a code line or a `^^^^` marker of a traceback whose header is not in the log
    msg = raw.strip()
    m = _VALUE_ERROR_RE.match(msg)
    if m is not None:
        return Suspect(line, m["msg"], line_no, t, False, "ValueError")
    m = _NCCL_WARN_RE.search(msg)
    if m is not None:
        return Suspect(line, f"NCCL: {m['msg']}", line_no, t, False, "NCCL")
    m = _CUDA_CODE_RE.match(msg)
    if m is not None:  # torch's "Search for `cudaErrorX' …" line: the CUDA error's name
        return Suspect(line, f"CUDA error {m['code']}", line_no, t, False, "CUDA error")
    m = _KERNEL_ASSERT_RE.search(msg)
    if m is not None:
        return Suspect(line, msg, line_no, t, False, "CUDA kernel assertion")
    exc = EXCEPTION_RE.match(msg)
    if exc is not None:
        exc_type = msg.split(":", 1)[0]
        stop = exc_type.rsplit(".", 1)[-1] in _STOP_TYPES
        return Suspect(line, msg, line_no, t, stop or advice.is_consequence(msg), exc_type)
    if line.level is None:
        m = _ARGPARSE_RE.match(msg)
        if m is not None:
            return Suspect(line, m["msg"], line_no, t, False, "ArgumentError")
        return None
    if line.level in ("ERROR", "CRITICAL") and msg:
        return Suspect(line, msg, line_no, t, advice.is_consequence(msg))
    return None


_REQUEST_RE = re.compile(
    r"Exception in ASGI application|Error in preprocessing prompt inputs|Error with model object|"
    r"Error in (?:chat completion|completion|embedding|pooling|score)|maximum context length|request_id|"
    r"does not exist\.|is longer than the maximum model length|Input prompt|prompt inputs|Invalid request"
)


def request_level(suspect: Suspect) -> bool:
    """An error about one request (the server answered it with an error and went on)."""
    src = suspect.line.src or ""
    return src.startswith(("serving_", "serving.py", "protocol.py")) or _REQUEST_RE.search(suspect.text) is not None


@dataclass
class RunFailures:
    """The suspects and the fatal signal of one run."""

    suspects: list[Suspect] = field(default_factory=list)
    warnings: deque[tuple[LogLine, float]] = field(default_factory=lambda: deque(maxlen=6))
    fatal: tuple[LogLine, int, float, str] | None = None  # (line, number, time, check)
    request_errors: int = 0

    def add(self, suspect: Suspect) -> None:
        if len(self.suspects) < MAX_SUSPECTS:
            self.suspects.append(suspect)

    def recovered(self) -> None:
        """Progress after the errors: they did not stop vLLM."""
        if self.fatal is None:
            self.suspects.clear()

    def root(self, pending: list[Suspect] | None = None) -> Suspect | None:
        """The first suspect that is not a consequence (`pending`: those of tracebacks still open)."""
        suspects = self.suspects
        if pending:
            headers = {p.header_no for p in pending if p.header_no}  # their ERROR records: the traceback says more
            suspects = sorted([*(s for s in suspects if s.line_no not in headers), *pending], key=lambda s: s.line_no)
        found = [s for s in suspects if not s.consequence]
        if found:
            return found[0]
        return suspects[0] if suspects else None

    def explaining_warning(self, t: float) -> tuple[LogLine, float] | None:
        """The last warning just before the failure whose words can explain it (input too long, OOM…)."""
        for line, wt in reversed(self.warnings):
            if t - wt <= 30 and _EXPLAINS_RE.search(line.msg):
                return line, wt
        return None


def pattern_for(suspect: Suspect, check: str, version: str | None, context: str = "") -> LogPattern:
    """A catalog-shaped entry for a failure the catalog does not know, in vLLM's own words."""
    startup = check == STARTUP_CHECK
    kind = "exception" if suspect.exc_type else "error"
    quote = suspect.text if len(suspect.text) <= 240 else suspect.text[:237] + "…"
    fix, _own = advice.fix_for(suspect.text, version, suspect.header + " " + context, suspect.consequence)
    if not _own and suspect.detail and advice.vllm_advice(suspect.detail):
        fix, _own = advice.fix_for(suspect.detail, version, context)
    where = "vLLM failed to start" if startup else "the vLLM engine failed"
    cause = f"vLLM's own message (not in embedtop's catalog): {quote}" + (
        f" — after: {suspect.header[:160]}" if suspect.header else ""
    )
    return LogPattern(
        id=f"{'startup' if startup else 'engine'}.{kind}",
        scope="server",
        severity="fail",
        regexes=(),
        meaning=f"{where}: {quote}",
        cause=cause,
        fix=fix,
        versions=version or "",
        generic=suspect.consequence,
        stage="startup" if startup else "engine",
    )
