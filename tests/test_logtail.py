"""LogTail follows a file through rotation, truncation, bad bytes, huge and partial lines."""

from __future__ import annotations

import os
from pathlib import Path

from tui.collectors.logtail import LogTail
from tui.logs.split import MAX_LINE, PARTIAL_FLUSH_POLLS


def texts(tail: LogTail) -> list[str]:
    batch = tail.read()
    assert batch.error is None
    return [line.text for line in batch.lines]


def empty_tail(tmp_path: Path) -> tuple[Path, LogTail]:
    """An empty log already opened by a tail, so later appends are read as new lines."""
    path = tmp_path / "a.log"
    path.write_bytes(b"")
    tail = LogTail(path)
    tail.read()
    return path, tail


def test_missing_file_then_appears(tmp_path: Path) -> None:
    path = tmp_path / "vllm.log"
    tail = LogTail(path)
    batch = tail.read()
    assert batch.ok and not batch.lines and "waiting" in (batch.note or "")
    path.write_text("INFO:     Application startup complete.\n")
    assert texts(tail) == ["INFO:     Application startup complete."]


def test_starts_near_the_end_of_a_big_log(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_text("".join(f"line {i}\n" for i in range(100_000)))
    lines = texts(LogTail(path, start_bytes=1000))
    assert lines[-1] == "line 99999"
    assert len(lines) < 200 and all(x.startswith("line ") for x in lines)


def test_partial_line_waits_for_newline(tmp_path: Path) -> None:
    path, tail = empty_tail(tmp_path)
    with path.open("a") as fh:
        fh.write("half")
    assert texts(tail) == []
    with path.open("a") as fh:
        fh.write(" line\n")
    assert texts(tail) == ["half line"]


def test_partial_last_line_is_shown_once_the_writer_goes_quiet(tmp_path: Path) -> None:
    # A process that died mid-line never writes the newline: the fragment must not be lost.
    path, tail = empty_tail(tmp_path)
    with path.open("a") as fh:
        fh.write("INFO:     Application startup complete.\nKilled mid-li")
    assert texts(tail) == ["INFO:     Application startup complete."]
    seen = []
    for _ in range(PARTIAL_FLUSH_POLLS):
        seen += texts(tail)
    assert seen == ["Killed mid-li"]
    assert texts(tail) == []


def test_huge_line_written_in_pieces_is_cut_once(tmp_path: Path) -> None:
    path, tail = empty_tail(tmp_path)
    for i in range(8):  # 8 × 128 KB, no newline until the end, read between writes
        with path.open("ab") as fh:
            fh.write(b"y" * 131072 + (b"\nafter\n" if i == 7 else b""))
        lines = texts(tail)
        if i < 7:
            assert lines == []
    assert len(lines) == 2 and lines[1] == "after"
    assert lines[0].startswith("y" * 100) and "line cut: 1,048,576 bytes" in lines[0] and len(lines[0]) < MAX_LINE + 40


def test_invalid_utf8_nul_crlf_and_ansi(tmp_path: Path) -> None:
    path, tail = empty_tail(tmp_path)
    with path.open("ab") as fh:
        fh.write(b"bad \xff\xfe bytes\r\n\x1b[31mred\x1b[0m\x00\nok\n")
    assert texts(tail) == ["bad \ufffd\ufffd bytes", "red", "ok"]


def test_one_megabyte_line_is_cut(tmp_path: Path) -> None:
    path, tail = empty_tail(tmp_path)
    with path.open("ab") as fh:
        fh.write(b"x" * 1_000_000 + b"\nnext\n")
    lines = []
    for _ in range(10):
        lines += texts(tail)
    assert lines[-1] == "next"
    assert len(lines) == 2 and len(lines[0]) < MAX_LINE + 100 and "line cut" in lines[0]


def test_copy_truncate(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("one\ntwo\n")
    tail = LogTail(path)
    assert texts(tail) == ["one", "two"]
    path.write_text("")  # logrotate copytruncate
    with path.open("a") as fh:
        fh.write("three\n")
    batch = tail.read()
    assert [x.text for x in batch.lines] == ["three"] and "truncated" in (batch.note or "")


def test_rotation_by_rename_and_recreate(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("one\n")
    tail = LogTail(path)
    assert texts(tail) == ["one"]
    with path.open("a") as fh:
        fh.write("two\n")
    os.rename(path, tmp_path / "a.log.1")
    path.write_text("three\n")
    batch = tail.read()
    assert [x.text for x in batch.lines] == ["two", "three"] and "rotated" in (batch.note or "")
    path.unlink()
    assert tail.read().ok  # deleted: no crash, nothing new
    path.write_text("four\n")
    assert texts(tail) == ["four"]


def test_unreadable_is_data(tmp_path: Path) -> None:
    path = tmp_path / "dir.log"
    path.mkdir()
    batch = LogTail(path).read()
    assert batch.error and "cannot read" in batch.error
