"""The failure catalog: loads `catalog.toml` (the data) into compiled patterns and access rules.

Each entry says what a log line means, why it happens and the fix (see the header of
catalog.toml). tests/test_log_catalog.py runs every regex against the real capture or the
vllm-facts text it names.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class LogPattern:
    """One known failure line."""

    id: str
    scope: str  # "server" or "request"
    severity: str  # "fail" or "warn"
    regexes: tuple[re.Pattern[str], ...]
    meaning: str
    cause: str
    fix: str
    versions: str
    generic: bool = False
    levels: str = "error"  # "error": ERROR/CRITICAL/WARNING/unprefixed lines; "info": INFO lines
    seen_in: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    def search(self, text: str) -> re.Match[str] | None:
        for regex in self.regexes:
            m = regex.search(text)
            if m is not None:
                return m
        return None


@dataclass(frozen=True)
class AccessRule:
    """A burst of access-log statuses that means clients are failing."""

    id: str
    statuses: frozenset[int]
    path_prefix: str
    min_count: int
    window_s: float
    severity: str
    meaning: str
    cause: str
    fix: str


class CatalogError(ValueError):
    """The catalog file is malformed (a packaging bug, reported by the tests)."""


def _pattern(entry: dict) -> LogPattern:
    try:
        regexes = entry["regex"]
        if isinstance(regexes, str):
            regexes = [regexes]
        return LogPattern(
            id=entry["id"],
            scope=entry["scope"],
            severity=entry["severity"],
            regexes=tuple(re.compile(r) for r in regexes),
            meaning=entry["meaning"],
            cause=entry["cause"],
            fix=entry["fix"],
            versions=entry.get("versions", ""),
            generic=bool(entry.get("generic", False)),
            levels=entry.get("levels", "error"),
            seen_in=tuple(entry.get("seen_in", ())),
            examples=tuple(entry.get("examples", ())),
        )
    except (KeyError, re.error) as exc:
        raise CatalogError(f"catalog entry {entry.get('id', '?')}: {exc}") from exc


def _rule(entry: dict) -> AccessRule:
    return AccessRule(
        id=entry["id"],
        statuses=frozenset(entry["statuses"]),
        path_prefix=entry.get("path_prefix", "/"),
        min_count=int(entry.get("min_count", 1)),
        window_s=float(entry.get("window_s", 300)),
        severity=entry["severity"],
        meaning=entry["meaning"],
        cause=entry["cause"],
        fix=entry["fix"],
    )


def load(path: Path = CATALOG_PATH) -> tuple[tuple[LogPattern, ...], tuple[AccessRule, ...]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(_pattern(e) for e in data.get("pattern", ())), tuple(_rule(e) for e in data.get("access", ()))


PATTERNS, ACCESS_RULES = load()
_ERROR_PATTERNS = tuple(p for p in PATTERNS if p.levels == "error")
_INFO_PATTERNS = tuple(p for p in PATTERNS if p.levels == "info")
BY_ID = {p.id: p for p in PATTERNS} | {r.id: r for r in ACCESS_RULES}


def _any_of(patterns: tuple[LogPattern, ...]) -> re.Pattern[str]:
    """One regex that fires where any of the patterns would: a C-speed pre-filter for every line."""
    parts = [re.sub(r"\(\?P<\w+>", "(?:", r.pattern) for p in patterns for r in p.regexes]
    return re.compile("|".join(f"(?:{x})" for x in parts))


_ERROR_ANY = _any_of(_ERROR_PATTERNS)
_INFO_ANY = _any_of(_INFO_PATTERNS)


def match(text: str, level: str | None) -> tuple[LogPattern, re.Match[str]] | None:
    """The first catalog entry that fires on a line of this level, in catalog order."""
    if level in (None, "ERROR", "CRITICAL", "WARNING"):
        candidates, any_of = _ERROR_PATTERNS, _ERROR_ANY
    elif level == "INFO":
        candidates, any_of = _INFO_PATTERNS, _INFO_ANY
    else:
        return None
    if any_of.search(text) is None:
        return None
    for pattern in candidates:
        m = pattern.search(text)
        if m is not None:
            return pattern, m
    return None
