"""Follow a log file like `tail -F`: start near the end, survive rotation, truncation and bad bytes.

`LogTail.read()` is blocking file I/O: the runtime calls it in a worker thread. It returns a
`LogBatch` and never raises: an unreadable file is a batch with `error` set.

`FileWatch` lets the follower sleep until the file changes instead of reading it every second: inotify
on the file's folder (a write to the file, a new file under its name, a rename or delete of it), read
on the event loop without a thread. Where inotify is missing (not Linux, no inotify_simple, the folder
does not exist yet, the watch limit reached) there is no watch and the runtime polls every second as
before; reading stays the same either way, so rotation and truncation are handled alike.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tui.logs.split import LineSplitter
from tui.samples import LogBatch

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
        self.partial = False  # the last bytes read end inside a line (it is shown once the writer goes quiet)

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
            lines = self._split.idle()
            if lines:
                self.partial = False
            return lines
        self.partial = not data.endswith(b"\n")
        return self._split.feed(data)


class FileWatch:
    """inotify on the folder of `path`: `changed()` says whether the file (by name) may have changed since
    the last call. Raises OSError (or ImportError) where it cannot watch; `lost` once the folder itself
    went away or events overflowed (the caller falls back to polling)."""

    def __init__(self, path: Path) -> None:
        from inotify_simple import INotify, flags

        self.name = path.name
        self._ino = INotify(nonblocking=True)
        mask = (
            flags.MODIFY
            | flags.CREATE
            | flags.MOVED_TO
            | flags.MOVED_FROM
            | flags.DELETE
            | flags.ATTRIB
            | flags.DELETE_SELF
            | flags.MOVE_SELF
        )
        self._gone = int(flags.DELETE_SELF | flags.MOVE_SELF | flags.IGNORED | flags.Q_OVERFLOW | flags.UNMOUNT)
        try:
            self._wd = self._ino.add_watch(path.parent if str(path.parent) else Path("."), mask)
        except OSError:
            self._ino.close()
            raise
        self.lost = False

    def fileno(self) -> int:
        return self._ino.fileno()

    def changed(self) -> bool:
        """Read the pending events without blocking. True: one concerns the file, or the watch was lost."""
        try:
            events = self._ino.read(timeout=0)
        except OSError:
            self.lost = True
            return True
        hit = False
        for event in events:
            if event.mask & self._gone and (event.wd == self._wd or not event.name):
                self.lost = True
                hit = True
            elif event.name == self.name:
                hit = True
        return hit

    def close(self) -> None:
        self._ino.close()
