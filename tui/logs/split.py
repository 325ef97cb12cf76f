"""Bytes from a log source → parsed lines, safely: bounded lines, bad UTF-8, CR/LF, partial last lines.

Shared by the file tail and the command tails (docker, journald). Never raises on content.
"""

from __future__ import annotations

from tui.logs.parse import parse_json_record, parse_line
from tui.samples import LogLine

MAX_LINE = 16 * 1024  # longer lines are cut: a 1 MB line must not reach the screen whole
PARTIAL_FLUSH_POLLS = 2  # a last line without newline is shown after this many polls with no new bytes


def _parse(text: str, out: list[LogLine]) -> None:
    """One line of text → parsed line(s): a JSON record may hold a traceback (several lines)."""
    if text[:1] == "{" and '"levelname"' in text:
        records = parse_json_record(text)
        if records is not None:
            out.extend(records)
            return
    out.append(parse_line(text))


def _cut(line: str) -> str:
    """A bounded head of an over-long line, saying how long it was."""
    size = len(line.encode("utf-8", "replace"))
    return line.encode("utf-8", "replace")[:MAX_LINE].decode("utf-8", "replace") + f" [line cut: {size:,} bytes]"


class LineSplitter:
    """Incremental splitter: `feed(bytes)` → complete lines; `idle()` releases a stale partial line."""

    def __init__(self, skip_first: bool = False) -> None:
        self._partial = b""
        self._dropped = 0  # bytes of the current over-long line that were not kept
        self._skip_first = skip_first  # started mid-file: the first line is probably a fragment
        self._idle_polls = 0

    def reset(self, skip_first: bool = False) -> None:
        self.__init__(skip_first)  # type: ignore[misc]

    def feed(self, data: bytes) -> list[LogLine]:
        if not data:
            return []
        self._idle_polls = 0
        last_nl = data.rfind(b"\n")
        if last_nl < 0:
            self._keep(data)
            return []
        head, rest = data[:last_nl], data[last_nl + 1 :]
        first_nl = head.find(b"\n")
        first, body = (head, b"") if first_nl < 0 else (head[:first_nl], head[first_nl + 1 :])
        # The buffered partial line ends at the first newline of this chunk.
        self._keep(first)
        raw, dropped = self._partial, self._dropped
        self._partial, self._dropped = b"", 0
        out: list[LogLine] = []
        if self._skip_first:
            self._skip_first = False
        else:
            self._emit(raw, dropped, out)
        if first_nl >= 0:
            # Complete lines: decode once (no multi-byte character can straddle a newline), then split.
            append = out.append
            for line in body.decode("utf-8", "replace").split("\n"):
                if len(line) > MAX_LINE:
                    line = _cut(line)
                if "\r" in line:
                    self._emit_text(line, out)
                elif not line or line.isspace():
                    continue
                elif line[0] == "{":
                    _parse(line, out)  # maybe a JSON record (one record, several lines)
                else:
                    append(parse_line(line))
        self._keep(rest)
        return out

    def idle(self) -> list[LogLine]:
        """Call once per poll that read nothing: a partial line left alone long enough is emitted."""
        if not self._partial:
            return []
        self._idle_polls += 1
        if self._idle_polls < PARTIAL_FLUSH_POLLS:
            return []
        return self.flush()

    def flush(self) -> list[LogLine]:
        """Emit what is buffered (end of input)."""
        raw, dropped = self._partial, self._dropped
        self._partial, self._dropped = b"", 0
        out: list[LogLine] = []
        if raw and not self._skip_first:
            self._emit(raw, dropped, out)
        return out

    def _keep(self, piece: bytes) -> None:
        room = MAX_LINE - len(self._partial)
        if len(piece) <= room:
            self._partial += piece
        else:
            self._partial += piece[: max(room, 0)]
            self._dropped += len(piece) - max(room, 0)

    @classmethod
    def _emit(cls, raw: bytes, dropped: int, out: list[LogLine]) -> None:
        text = raw.decode("utf-8", "replace")
        if dropped:
            text += f" [line cut: {len(raw) + dropped:,} bytes]"
        cls._emit_text(text, out)

    @staticmethod
    def _emit_text(text: str, out: list[LogLine]) -> None:
        if "\r" in text:
            # CRLF endings, or tqdm redrawing one line with bare CRs: each piece is a line.
            for piece in text.split("\r"):
                if piece.strip():
                    _parse(piece, out)
        elif text.strip():
            _parse(text, out)
