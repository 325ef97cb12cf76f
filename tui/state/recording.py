"""Record and replay: every sample the dashboard folds in (and every check transition) as JSON lines.

A line is `{"t": <wall time>, "kind": "<Sample class>", "data": {…}}` or `{"t", "kind": "transition",
"data": {"id", "old", "new", "summary"}}`. Samples hold no secrets (API keys live only in Config, which
is never written). The file is bounded: past `max_bytes` it rotates to `FILE.1` (one generation kept).
Reading rebuilds the same frozen dataclasses from their type hints.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui import samples as S

KINDS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        S.ServerSample,
        S.ProbeSample,
        S.SemanticSample,
        S.LongInputSample,
        S.LogBatch,
        S.GpuSample,
        S.HostSample,
        S.OwuiSample,
        S.OwuiLogBatch,
        S.OwuiStoreSample,
    )
}
MAX_BYTES = 50 * 1024 * 1024


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return value


def _build(tp: Any, value: Any) -> Any:
    """Rebuild `value` (from JSON) as type `tp`."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _build(arg, value)
            except (TypeError, ValueError):
                continue
        return value
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, vars(S))
        kwargs = {f.name: _build(hints[f.name], value[f.name]) for f in dataclasses.fields(tp) if f.name in value}
        return tp(**kwargs)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=False))
    if origin is dict:
        return {k: _build(args[1], v) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)  # ErrorKind: rules read its properties, not only its value
    if tp is float:
        return float(value) if not isinstance(value, str) else float(value.replace("inf", "inf"))
    return value


class Recorder:
    """Appends JSON lines; rotates past `max_bytes`. Never raises into the dashboard."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.error: str | None = None
        self._fh = path.open("a", encoding="utf-8")

    def _write(self, record: dict) -> None:
        if self._fh.closed:
            return
        try:
            self._fh.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._fh.flush()
            if self._fh.tell() > self.max_bytes:
                self._fh.close()
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                self._fh = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            self.error = f"recording to {self.path} stopped: {exc.strerror or exc}"
            self._fh.close()

    def sample(self, sample: Any) -> None:
        kind = type(sample).__name__
        if kind in KINDS:
            self._write({"t": getattr(sample, "t", 0.0), "kind": kind, "data": _plain(sample)})

    def transition(self, t: float, check_id: str, old: str | None, new: str, summary: str) -> None:
        data = {"id": check_id, "old": old, "new": new, "summary": summary}
        self._write({"t": t, "kind": "transition", "data": data})

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def read(path: Path) -> Iterator[tuple[float, str, Any]]:
    """(t, kind, sample or transition dict) for each readable line; broken lines are skipped."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                record = json.loads(line)
                kind = record["kind"]
                if kind == "transition":
                    yield float(record["t"]), kind, record["data"]
                elif kind in KINDS:
                    yield float(record["t"]), kind, _build(KINDS[kind], record["data"])
            except (ValueError, KeyError, TypeError):
                continue
