"""The failure catalog: loads `catalog.toml` (the data) into compiled patterns and access rules.

Each entry says what a log line means, why it happens and the fix (see the header of
catalog.toml). tests/test_log_catalog.py runs every regex against the real capture or the
exact vLLM text it quotes. The catalog also says which checklist item a stage's findings go to
(`STARTUP_CHECK`, `ENGINE_CHECK`, `REQUESTS_CHECK`: ids tui/rules/checks declares).
"""

from __future__ import annotations

import re
import re._constants as _sre_c  # the regex parser, to find the literal text each regex requires
import re._parser as _sre_p
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ahocorasick_rs import AhoCorasick

from tui.logs.access import route_kind

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
    levels: str = "error"  # "error": ERROR/CRITICAL/unprefixed lines; "warning": those and WARNING; "info": INFO
    seen_in: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    check: str = ""  # request scope: the checklist item (default REQUESTS_CHECK)
    stage: str = ""  # "startup", "engine", "server" (either, by when) or "request": what fails

    def search(self, text: str) -> re.Match[str] | None:
        return first_match(self.regexes, text)


def first_match(regexes: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    """The first of the regexes that is found in the text (an entry fires on any of its texts)."""
    for regex in regexes:
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
    check: str = ""  # the checklist item these requests belong to (the catalog's default: REQUESTS_CHECK)
    kinds: frozenset[str] = frozenset()  # path kinds (tui.logs.access.path_kind) instead of a prefix


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
            check=entry.get("check", ""),
            stage=entry["stage"],
        )
    except (KeyError, re.error) as exc:
        raise CatalogError(f"catalog entry {entry.get('id', '?')}: {exc}") from exc


def _rule(entry: dict, default_check: str) -> AccessRule:
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
        check=entry.get("check", default_check),
        kinds=frozenset(entry.get("kinds", ())),
    )


def access_matches(rule: AccessRule, status: int, path: str) -> bool:
    """Whether an access line (status, path without its query) counts for the rule."""
    if status not in rule.statuses:
        return False
    if rule.kinds:
        return route_kind(path) in rule.kinds
    return path.startswith(rule.path_prefix)


def load(path: Path = CATALOG_PATH) -> tuple[tuple[LogPattern, ...], tuple[AccessRule, ...], dict[str, str]]:
    """(patterns, access rules, the checklist item each stage's findings go to)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    checks = {str(k): str(v) for k, v in data.get("checks", {}).items()}
    requests = checks.get("requests", "")
    patterns = tuple(_pattern(e) for e in data.get("pattern", ()))
    return patterns, tuple(_rule(e, requests) for e in data.get("access", ())), checks


PATTERNS, ACCESS_RULES, STAGE_CHECKS = load()
STARTUP_CHECK = STAGE_CHECKS["startup"]  # a server-scope finding before vLLM was ready
ENGINE_CHECK = STAGE_CHECKS["engine"]  # a server-scope finding once it ran
REQUESTS_CHECK = STAGE_CHECKS["requests"]  # a failed request (unless its entry names another check)
_ERROR_PATTERNS = tuple(p for p in PATTERNS if p.levels == "error")
_INFO_PATTERNS = tuple(p for p in PATTERNS if p.levels == "info")
BY_ID = {p.id: p for p in PATTERNS} | {r.id: r for r in ACCESS_RULES}
# status → the access rules that may count it, in catalog order (most lines are 200s: no rule at all)
RULES_BY_STATUS: dict[int, tuple[AccessRule, ...]] = {
    status: tuple(r for r in ACCESS_RULES if status in r.statuses) for r0 in ACCESS_RULES for status in r0.statuses
}


def _literals(items: list) -> list[str] | None:
    """Literal strings one of which every match must contain, or None if none is found (≥ 4 chars)."""
    if len(items) == 1 and items[0][0] is _sre_c.BRANCH:
        out: list[str] = []
        for alt in items[0][1][1]:
            sub = _literals(list(alt))
            if sub is None:
                return None
            out += sub
        return out
    best = cur = ""
    for op, av in items:
        if op is _sre_c.LITERAL:
            cur += chr(av)
            continue
        best, cur = max(best, cur, key=len), ""
    best = max(best, cur, key=len)
    if len(best) >= 4:
        return [best]
    for op, av in items:  # a required alternation inside the sequence: `x(?:a|b)c`, `(a|b)c`
        sub = None
        if op is _sre_c.SUBPATTERN:
            sub = _literals(list(av[-1]))
        elif op is _sre_c.BRANCH:
            sub = _literals([(op, av)])
        if sub is not None:
            return sub
    return None


def required_literals(regex: re.Pattern[str]) -> list[str] | None:
    """Literal strings one of which every match of `regex` contains (None: no such gate found)."""
    return _literals(list(_sre_p.parse(regex.pattern)))


def needles(patterns: tuple[LogPattern, ...]) -> tuple[tuple[str, ...], tuple[LogPattern, ...]]:
    """(literals that gate the patterns, patterns that have none and are always tried)."""
    found: set[str] = set()
    always: list[LogPattern] = []
    for p in patterns:
        for regex in p.regexes:
            lits = required_literals(regex)
            if lits is None:
                always.append(p)
                break
            found.update(lits)
    return tuple(sorted(found, key=len)), tuple(always)


_LEVELS = {"error": ("ERROR", "CRITICAL", None), "warning": ("ERROR", "CRITICAL", None, "WARNING"), "info": ("INFO",)}
_BY_LEVEL = {
    level: tuple(p for p in PATTERNS if level in _LEVELS[p.levels])
    for level in ("ERROR", "CRITICAL", None, "WARNING", "INFO")
}
_GATES = {level: needles(patterns) for level, patterns in _BY_LEVEL.items()}
# One Aho-Corasick automaton per level: a single scan of the line for all of a level's literals (dozens of
# them for ERROR and unprefixed lines), instead of one substring test each.
_GATE_AC = {level: AhoCorasick(list(lits)) if lits else None for level, (lits, _always) in _GATES.items()}


def match(text: str, level: str | None) -> tuple[LogPattern, re.Match[str]] | None:
    """The first catalog entry that fires on a line of this level (None: unprefixed), in catalog order.

    Each entry's regexes are gated by the literal text they require, so the common line costs a few
    substring tests, not dozens of regex searches."""
    candidates = _BY_LEVEL.get(level)
    if not candidates:
        return None
    if not _GATES[level][1]:
        gate = _GATE_AC[level]
        if gate is None or not gate.find_matches_as_indexes(text):
            return None
    for pattern in candidates:
        m = pattern.search(text)
        if m is not None:
            return pattern, m
    return None
