"""Follow a log file like `tail -F`: start near the end, survive rotation, truncation and bad bytes.

`LogTail.read()` is blocking file I/O: the runtime calls it in a worker thread. It returns a
`LogBatch` and never raises: an unreadable file is a batch with `error` set.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tui.logs.split import LineSplitter
from tui.model.samples import LogBatch

START_BYTES = 64 * 1024  # read only the tail of an existing log at start
CHUNK = 256 * 1024  # most bytes read per poll, so a flood cannot stall a poll


class LogTail:
    """Incremental reader of one log file."""

    def __init__(self, path: Path, start_bytes: int = START_BYTES) -> None:
        self.path = path
        self.start_bytes = start_bytes
        self._fd: int | None = None
        self._ino: int | None = None
        self._offset = 0
        self._split = LineSplitter()
        self._first = True

    @property
    def source(self) -> str:
        return str(self.path)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self, first: bool) -> None:
        self._fd = os.open(self.path, os.O_RDONLY)
        st = os.fstat(self._fd)
        self._ino = st.st_ino
        if first and st.st_size > self.start_bytes:
            self._offset = st.st_size - self.start_bytes
            self._split.reset(skip_first=True)  # we probably landed mid-line
        else:
            self._offset = 0
            self._split.reset()

    def read(self) -> LogBatch:
        now = time.time()
        note = None
        backlog = self._first
        try:
            if self._fd is None:
                if not self.path.exists():
                    return LogBatch(now, self.source, note="waiting for the log file to appear")
                self._open(first=self._ino is None)
            else:
                try:
                    st = os.stat(self.path)
                except FileNotFoundError:
                    st = None
                if st is not None and st.st_ino != self._ino:
                    # Rotated by rename, or deleted and recreated: finish the old file, then switch.
                    lines = self._drain() + self._split.flush()
                    self.close()
                    self._open(first=False)
                    lines += self._drain()
                    return LogBatch(now, self.source, tuple(lines), note="log was rotated; following the new file")
                fsize = os.fstat(self._fd).st_size
                if fsize < self._offset:
                    # Copy-truncate rotation (logrotate `copytruncate`) or `> file`.
                    self._offset = 0
                    self._split.reset()
                    note = "log was truncated; reading from the start"
            lines = self._drain()
            self._first = False
            return LogBatch(now, self.source, tuple(lines), note=note, backlog=backlog)
        except OSError as exc:
            self.close()
            return LogBatch(now, self.source, error=f"cannot read {self.source}: {exc.strerror or exc}")

    def _drain(self) -> list:
        assert self._fd is not None
        data = os.pread(self._fd, CHUNK, self._offset)
        self._offset += len(data)
        if not data:
            return self._split.idle()
        return self._split.feed(data)
