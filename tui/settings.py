"""Each setting declared once: a `Setting` record, and everything generated from a table of them.

A setting is a field of `tui.config.Config` whose default is `setting(...)`: its type and default are the
field's, the rest (help, flag, environment variable, per-target, exclusive group) is this record's. From
the table `tui.config.SETTINGS` come the argparse flags of every command (`add_flags`), the
`EMBEDTOP_*` variables, the coercion of a raw value by type with its one-line error (`coerce`), the keys
that name one server (`per_target`), and the help's and README's lists (`env_help`, `markdown_table`).

Names follow one convention: the field `probe_interval` is the flag `--probe-interval`, the variable
`EMBEDTOP_PROBE_INTERVAL` and the TOML key `probe_interval`. Nothing here imports the rest of `tui`.
"""

from __future__ import annotations

import argparse
import textwrap
import typing
from collections.abc import Iterable
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

# The commands that take the settings' flags (diagnose and replay read saved files and take their own).
COMMANDS = ("watch", "demo", "check", "export")
ENV_PREFIX = "EMBEDTOP_"
_KEY = "embedtop.setting"  # where `setting()` leaves its record in the field's metadata


class SettingError(ValueError):
    """A raw value that does not fit its setting; the message is the whole one-line error."""


@dataclass(frozen=True)
class Setting:
    """One setting: how it is named on the command line, in the environment and in the TOML file."""

    name: str  # the Config field and the TOML key
    type: type  # int or float (positive numbers), str (non-empty, stripped) or Path (a file path)
    default: Any
    help: str
    flag: str | None  # e.g. "--probe-interval"; None: config file only
    env: str | None  # e.g. "EMBEDTOP_PROBE_INTERVAL"; None: no environment variable
    per_target: bool  # names one server: with [[targets]] it is set in each table, never by a flag or env
    metavar: str | None = None  # the flag's placeholder (default: argparse's NAME)
    exclusive: str | None = None  # settings with the same group: at most one of them (two log sources)
    commands: tuple[str, ...] = COMMANDS  # the commands whose parser has the flag
    secret: bool = False  # never in repr() or help output; read from the variable another setting names


@dataclass(frozen=True)
class _Spec:
    help: str
    flag: bool
    env: bool
    per_target: bool
    metavar: str | None
    exclusive: str | None
    commands: tuple[str, ...]
    secret: bool


def setting(
    default: Any,
    help: str,
    *,
    flag: bool = True,
    env: bool = True,
    per_target: bool = False,
    metavar: str | None = None,
    exclusive: str | None = None,
    commands: tuple[str, ...] = COMMANDS,
    secret: bool = False,
) -> Any:
    """A dataclass field that is also a setting: `interval: float = setting(5.0, "seconds between polls")`."""
    spec = _Spec(help, flag, env, per_target, metavar, exclusive, commands, secret)
    return field(default=default, repr=not secret, metadata={_KEY: spec})


def settings_of(cls: type) -> tuple[Setting, ...]:
    """The settings a dataclass declares with `setting()`, in field order."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in fields(cls):
        spec: _Spec | None = f.metadata.get(_KEY)
        if spec is None:
            raise TypeError(f"{cls.__name__}.{f.name} is not declared with setting()")
        out.append(
            Setting(
                name=f.name,
                type=_base_type(hints[f.name]),
                default=_default(f),
                help=spec.help,
                flag="--" + f.name.replace("_", "-") if spec.flag else None,
                env=ENV_PREFIX + f.name.upper() if spec.env else None,
                per_target=spec.per_target,
                metavar=spec.metavar,
                exclusive=spec.exclusive,
                commands=spec.commands if spec.flag else (),
                secret=spec.secret,
            )
        )
    return tuple(out)


def _base_type(hint: Any) -> type:
    """`float` → float, `Path | None` → Path."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if args else hint
    if base not in (int, float, str, Path):
        raise TypeError(f"a setting is int, float, str or Path, not {hint}")
    return base


def _default(f: Field[Any]) -> Any:
    return None if f.default is MISSING else f.default


def coerce(s: Setting, value: Any, source: str) -> Any:
    """`value` (a flag's or variable's text, or a TOML value) as `s.type`; SettingError names `source`."""
    if s.type in (int, float):
        try:
            number = s.type(value)
            if not number > 0:
                raise ValueError
        except (TypeError, ValueError, OverflowError):  # int(inf) overflows
            raise SettingError(f"{source} {s.name}={value!r} must be a positive number") from None
        return number
    if s.type is Path:
        if not isinstance(value, str | Path) or not str(value).strip():
            raise SettingError(f"{source} {s.name}={value!r} must be a file path")
        return Path(str(value).strip()).expanduser()
    if not isinstance(value, str) or not value.strip():
        raise SettingError(f"{source} {s.name}={value!r} must be a non-empty string")
    return value.strip()


def add_flags(parser: argparse.ArgumentParser, settings: Iterable[Setting], command: str) -> None:
    """The flags of `command`'s settings, each with dest = its name and default None ('not given')."""
    groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
    for s in settings:
        if s.flag is None or command not in s.commands:
            continue
        target: Any = parser
        if s.exclusive is not None:
            if s.exclusive not in groups:
                groups[s.exclusive] = parser.add_mutually_exclusive_group()
            target = groups[s.exclusive]
        target.add_argument(s.flag, dest=s.name, metavar=s.metavar, help=s.help)


def flag_values(args: argparse.Namespace, settings: Iterable[Setting]) -> dict[str, Any]:
    """What the command line gave for each setting with a flag (None: not given)."""
    return {s.name: getattr(args, s.name, None) for s in settings if s.flag is not None}


def env_help(settings: Iterable[Setting], width: int = 100) -> str:
    """The help's precedence paragraph: every environment variable, and the keys only the file sets."""
    settings = tuple(settings)
    env = ", ".join(s.env for s in settings if s.env)
    file_only = ", ".join(s.name for s in settings if s.flag is None and s.env is None)
    text = (
        f"config: CLI flags > environment ({env}) > ~/.config/embedtop/config.toml (or --config FILE), "
        f"whose keys are the flags' names with _ (probe_interval); only there: {file_only}."
    )
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


README_BEGIN = "<!-- settings: generated from tui.config.SETTINGS by tui.settings.markdown_table -->"
README_END = "<!-- end of settings -->"


def markdown_table(settings: Iterable[Setting]) -> str:
    """The README's table of settings (TOML key, flag, variable, default, per target, meaning), between
    the markers README_BEGIN and README_END."""
    rows = ["| TOML key | flag | environment | default | per target | what |", "|---|---|---|---|---|---|"]
    for s in settings:
        default = "–" if s.default is None or s.secret else f"`{s.default}`"
        flag = f"`{s.flag} {s.metavar or s.name.upper()}`" if s.flag else "–"
        if s.flag and s.commands != COMMANDS:
            flag += f" ({', '.join(s.commands)})"
        env = f"`{s.env}`" if s.env else "–"
        rows.append(f"| `{s.name}` | {flag} | {env} | {default} | {'yes' if s.per_target else ''} | {s.help} |")
    return "\n".join(rows)
