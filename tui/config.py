"""Settings: CLI flags > environment (`EMBEDTOP_*`) > TOML file, validated into one `Config`.

Each setting is declared once, as a field of `Config` with `setting(...)` (tui/settings.py): its flag,
environment variable, TOML key, help and coercion all come from that one line. `SETTINGS` is the table.

Bad input raises `ConfigError` with one line that names the problem and the fix; the CLI prints
it and exits 2. The API key is read from the environment variable named by `api_key_env`
(default `VLLM_API_KEY`) or the TOML file, and is never part of `repr()`.

Several servers: a TOML file with `[[targets]]` tables (name, url, log/docker/journal, model, dims,
api_key_env, …) gives one `Config` per target (`load_targets`); top-level keys are defaults for every
target, and CLI flags / environment may set shared settings (intervals, timeouts) but not name a target.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.settings import Setting, SettingError, coerce, setting, settings_of

DEFAULT_CONFIG_PATH = Path("~/.config/embedtop/config.toml")

KNOWN_DIMS = {
    "qwen3-embedding-0.6b": 1024,
    "qwen3-embedding-4b": 2560,
    "qwen3-embedding-8b": 4096,
}

LOG = "log sources"  # the exclusive groups: "--log and --docker name two log sources"
OWUI_LOG = "sources of Open WebUI's log"
_ALL_BUT_DEMO = ("watch", "check", "export")  # the demo serves its own URL


class ConfigError(Exception):
    """Bad user input: the message is one line with the problem and how to fix it."""


@dataclass(frozen=True)
class Config:
    """Everything the collectors, rules and app need to know about the target: one field per setting."""

    url: str = setting(
        "http://127.0.0.1:8000",
        "vLLM base URL, e.g. http://127.0.0.1:8000 (no /v1)",
        per_target=True,
        commands=_ALL_BUT_DEMO,
    )
    name: str | None = setting(
        None, "the target's name in a multi-target config (default: HOST:PORT)", flag=False, env=False, per_target=True
    )
    log: Path | None = setting(  # noqa: RUF009 - setting() is dataclasses.field()
        None, "vLLM log file to follow (survives rotation, truncation, recreation)", per_target=True, exclusive=LOG
    )
    docker: str | None = setting(
        None, "follow `docker logs` of this container", per_target=True, metavar="CONTAINER", exclusive=LOG
    )
    journal: str | None = setting(
        None, "follow `journalctl -u UNIT` (vLLM run by systemd)", per_target=True, metavar="UNIT", exclusive=LOG
    )
    model: str | None = setting(None, "model id clients use (default: the first id /v1/models lists)", per_target=True)
    dims: int | None = setting(
        None, "expected vector length (default: implied by the model id, e.g. 4B → 2560)", per_target=True
    )
    gpu: str | None = setting(
        None, "GPUs to show: NVML (PCI-order) indices or UUIDs, e.g. 0,1 (default: CUDA_VISIBLE_DEVICES, else all)"
    )
    interval: float = setting(5.0, "seconds between /health + /v1/models polls (default 5)")
    probe_interval: float = setting(10.0, "seconds between probe embeddings (default 10)")
    semantic_interval: float = setting(
        300.0, "seconds between semantic probes: a query and two documents (default 300; key s runs one)"
    )
    timeout: float = setting(5.0, "HTTP timeout in seconds (default 5)")
    fail_after: int = setting(
        2, "consecutive bad observations before a passing check turns warn/fail", flag=False, env=False
    )
    pass_after: int = setting(2, "consecutive good observations before a red check turns green", flag=False, env=False)
    latency_warn_ms: float = setting(
        1000.0, "probe latency in ms (p95 of the recent probes) at which probe.latency warns", flag=False, env=False
    )
    latency_fail_ms: float = setting(
        5000.0, "probe latency in ms (p95 of the recent probes) at which probe.latency fails", flag=False, env=False
    )
    api_key_env: str = setting(
        "VLLM_API_KEY", "environment variable holding the API key (default VLLM_API_KEY)", per_target=True
    )
    openwebui: str | None = setting(
        None, "Open WebUI URL for a read-only link: its embedding config and file status", per_target=True
    )
    openwebui_key_env: str = setting(
        "OPENWEBUI_API_KEY",
        "environment variable holding an Open WebUI admin API key or JWT (default OPENWEBUI_API_KEY)",
        env=False,
    )
    openwebui_key: str | None = setting(
        None,
        "the Open WebUI key itself (rather: the variable openwebui_key_env names)",
        flag=False,
        env=False,
        secret=True,
    )
    openwebui_log: Path | None = setting(  # noqa: RUF009 - setting() is dataclasses.field()
        None,
        "Open WebUI's log file to follow (its ingestion and retrieval failures feed the client checks)",
        per_target=True,
        metavar="FILE",
        exclusive=OWUI_LOG,
    )
    openwebui_docker: str | None = setting(
        None,
        "follow `docker logs` of Open WebUI's container",
        per_target=True,
        metavar="CONTAINER",
        exclusive=OWUI_LOG,
    )
    openwebui_journal: str | None = setting(
        None,
        "follow `journalctl -u UNIT` (Open WebUI run by systemd)",
        per_target=True,
        metavar="UNIT",
        exclusive=OWUI_LOG,
    )
    openwebui_data: Path | None = setting(  # noqa: RUF009 - setting() is dataclasses.field()
        None,
        "Open WebUI's DATA_DIR on this host: its Chroma store's collection widths, read-only",
        per_target=True,
        metavar="DIR",
    )
    openwebui_pgvector_dsn: str | None = setting(
        None,
        "a read-only DSN of Open WebUI's pgvector store, postgresql://USER:PASSWORD@HOST:PORT/DB (rather in the "
        "variable than on the command line): the vector column's width and each collection's (pip install "
        "'embedtop[pgvector]')",
        per_target=True,
        metavar="DSN",
        secret=True,
    )
    api_key: str | None = setting(
        None,
        "the API key itself (rather: the variable api_key_env names)",
        flag=False,
        env=False,
        per_target=True,
        secret=True,
    )

    @property
    def label(self) -> str:
        """The target's short name: `name`, else HOST:PORT of the URL."""
        return self.name or self.url.split("://", 1)[-1]

    @property
    def log_source(self) -> str | None:
        """What the log panel follows, as the user named it."""
        if self.log is not None:
            return str(self.log)
        if self.docker:
            return f"docker:{self.docker}"
        if self.journal:
            return f"journal:{self.journal}"
        return None

    @property
    def owui_log_source(self) -> str | None:
        """Open WebUI's log as the user named it, or None."""
        if self.openwebui_log is not None:
            return str(self.openwebui_log)
        if self.openwebui_docker:
            return f"docker:{self.openwebui_docker}"
        if self.openwebui_journal:
            return f"journal:{self.openwebui_journal}"
        return None

    @property
    def expected_dims(self) -> int | None:
        """`--dims`, else what the model name implies (Qwen3-Embedding-0.6B/4B/8B)."""
        if self.dims:
            return self.dims
        return implied_dims(self.model)


def implied_dims(model: str | None) -> int | None:
    """Vector length implied by a known model id (the last path part, case-insensitive)."""
    if not model:
        return None
    return KNOWN_DIMS.get(model.rstrip("/").rsplit("/", 1)[-1].lower())


SETTINGS: tuple[Setting, ...] = settings_of(Config)
BY_NAME = {s.name: s for s in SETTINGS}
# What names one server: a multi-target config sets these per target, never on the command line.
TARGET_KEYS = tuple(s.name for s in SETTINGS if s.per_target)
MAX_TARGETS = 16


# Each exclusive group (LOG, OWUI_LOG) → its settings, of which at most one is set.
EXCLUSIVE = {
    g: tuple(s.name for s in SETTINGS if s.exclusive == g) for g in dict.fromkeys(s.exclusive for s in SETTINGS) if g
}


def normalize_url(raw: str, flag: str = "--url") -> str:
    """`http://host:port` with no trailing slash or `/v1`; ConfigError if it is not a URL."""
    text = raw.strip()
    hint = f"use http://HOST:PORT, e.g. {flag} http://127.0.0.1:8000"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{flag} {raw!r} is not a valid URL ({exc}): {hint}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{flag} {raw!r} is not an http(s) URL: {hint}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{flag} {raw!r} has a query or fragment: {hint}")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}{path}"


def _read_toml(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {str(path)!r} does not exist: create it or drop --config")
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML ({exc}): fix that line") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r} ({exc.strerror}): check its permissions") from None
    _check_keys(data, f"config file {str(path)!r}", extra=("targets",))
    return data


def _check_keys(data: dict[str, Any], where: str, extra: tuple[str, ...] = ()) -> None:
    known = set(BY_NAME) | set(extra)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(unknown)}: allowed are {', '.join(sorted(known))}")


def _coerce(name: str, value: Any, source: str) -> Any:
    try:
        return coerce(BY_NAME[name], value, source)
    except SettingError as exc:
        raise ConfigError(str(exc)) from None


def check_log_path(path: Path, flag: str = "--log", example: str = "vllm.log") -> None:
    """A log that does not exist yet is fine (it is followed once it appears); a directory is not."""
    if path.is_dir():
        raise ConfigError(f"{flag} {str(path)!r} is a directory: pass the log file, e.g. {flag} {path}/{example}")
    if path.exists() and not os.access(path, os.R_OK):
        raise ConfigError(f"{flag} {str(path)!r} is not readable: fix its permissions or run as a user who can read it")


def load_config(
    cli: dict[str, Any],
    env: dict[str, str] | None = None,
    config_path: Path | None = None,
    ignore_targets: bool = False,
) -> Config:
    """Merge TOML < environment < CLI (None values in `cli` mean 'not given'). One target only;
    `ignore_targets` (the demo) uses a targets file's top-level defaults and skips its [[targets]]."""
    targets = load_targets(cli, env, config_path, ignore_targets)
    if len(targets) > 1:
        names = ", ".join(t.label for t in targets)
        raise ConfigError(f"the config file lists {len(targets)} targets ({names}): this command watches one")
    return targets[0]


def load_targets(
    cli: dict[str, Any],
    env: dict[str, str] | None = None,
    config_path: Path | None = None,
    ignore_targets: bool = False,
) -> list[Config]:
    """Every target the settings name: one, or one per `[[targets]]` table of the TOML file."""
    env = dict(os.environ) if env is None else env
    explicit = config_path is not None
    path = (config_path or DEFAULT_CONFIG_PATH).expanduser()
    toml = _read_toml(path, explicit)
    where = f"config file {str(path)!r}"
    tables = toml.pop("targets", None)
    if ignore_targets:
        tables = None
    base: dict[str, Any] = {}
    for key, value in toml.items():
        base[key] = _coerce(key, value, f"{where}:")
    shared: dict[str, Any] = {}  # name → (value, where it came from)
    for s in SETTINGS:
        if s.env and env.get(s.env):
            shared[s.name] = (_coerce(s.name, env[s.env], f"environment {s.env}:"), f"environment {s.env}")
    for key, value in cli.items():
        if value is not None:
            shared[key] = (_coerce(key, value, "flag"), "--" + key.replace("_", "-"))
    if tables is None:
        merged = dict(base)
        merged.update({k: v for k, (v, _) in shared.items()})
        return [_finish(merged, env)]
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{where}: `targets` must be [[targets]] tables, each with at least a url")
    if len(tables) > MAX_TARGETS:
        raise ConfigError(f"{where} lists {len(tables)} targets: at most {MAX_TARGETS}, run a second embedtop")
    for key, (_, source) in shared.items():
        if key in TARGET_KEYS:
            raise ConfigError(
                f"{source} names one server but {where} lists [[targets]]: set it in each target's table instead"
            )
    targets: list[Config] = []
    for i, table in enumerate(tables, 1):
        _check_keys(table, f"{where} target #{i}")
        if "url" not in table:
            raise ConfigError(f'{where} target #{i} has no url: add url = "http://HOST:PORT" to its table')
        merged = dict(base)
        for group in EXCLUSIVE.values():  # a target's own log source replaces the default one
            if any(k in table for k in group):
                for key in group:
                    merged.pop(key, None)
        for key, value in table.items():
            merged[key] = _coerce(key, value, f"{where} target #{i}:")
        merged.update({k: v for k, (v, _) in shared.items()})
        targets.append(_finish(merged, env))
    labels = [t.label for t in targets]
    twice = sorted({n for n in labels if labels.count(n) > 1})
    if twice:
        raise ConfigError(f"{where}: target name(s) {', '.join(twice)} appear twice: give each target its own name")
    return targets


def _finish(merged: dict[str, Any], env: dict[str, str]) -> Config:
    """Normalize URLs, read keys from the environment, and validate one target's merged settings."""
    if "url" in merged:
        merged["url"] = normalize_url(merged["url"])
    if merged.get("openwebui"):
        merged["openwebui"] = normalize_url(str(merged["openwebui"]), flag="--openwebui")
        owui_env = merged.get("openwebui_key_env", Config.openwebui_key_env)
        if env.get(owui_env):
            merged["openwebui_key"] = env[owui_env]
    key_env = merged.get("api_key_env", Config.api_key_env)
    if env.get(key_env):
        merged["api_key"] = env[key_env]
    for group, names in EXCLUSIVE.items():
        given = [BY_NAME[k].flag or k for k in names if merged.get(k) is not None]
        if len(given) > 1:
            raise ConfigError(f"{' and '.join(given)} name two {group}: pass only one")
    if merged.get("log") is not None:
        check_log_path(merged["log"])
    if merged.get("openwebui_log") is not None:
        check_log_path(merged["openwebui_log"], "--openwebui-log", "owui.log")
    data = merged.get("openwebui_data")
    if data is not None and not data.is_dir():
        raise ConfigError(
            f"--openwebui-data {str(data)!r} is not a directory: pass Open WebUI's DATA_DIR (the folder holding "
            "webui.db and vector_db/), e.g. the volume mounted at /app/backend/data"
        )
    if merged.get("latency_fail_ms", Config.latency_fail_ms) < merged.get("latency_warn_ms", Config.latency_warn_ms):
        raise ConfigError("latency_fail_ms must be at least latency_warn_ms")
    return Config(**merged)
