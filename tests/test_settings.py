"""Each setting declared once (tui/config.py with tui/settings.py): every flag, environment variable,
TOML key, per-target rule and help line comes from `SETTINGS`, and nothing names a setting beside it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from tui.cli import EPILOG, OWN_FLAGS, build_parser
from tui.config import SETTINGS, TARGET_KEYS, Config, ConfigError, load_config, load_targets
from tui.settings import COMMANDS, README_BEGIN, README_END, Setting, flag_values, markdown_table

ROOT = Path(__file__).resolve().parents[1]


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def sample(s: Setting, tmp_path: Path) -> tuple[str, Any]:
    """A good raw value for `s` (as a flag or variable would give it) and what Config holds for it."""
    if s.name in ("url", "openwebui"):
        return " http://gpu-host:8123/v1/ ", "http://gpu-host:8123"
    if s.name == "openwebui_data":  # must be a directory
        return str(tmp_path), tmp_path
    if s.type is Path:
        return f" {tmp_path / (s.name + '.log')} ", tmp_path / (s.name + ".log")
    if s.type is int:
        return "7", 7
    if s.type is float:
        return {"latency_warn_ms": ("700.5", 700.5), "latency_fail_ms": ("7000.5", 7000.5)}.get(s.name, ("2.5", 2.5))
    return " some-value ", "some-value"


def empty(tmp_path: Path) -> Path:
    """A config file with nothing in it (the default path may hold the user's own)."""
    path = tmp_path / "empty.toml"
    path.touch()
    return path


def toml_literal(raw: str) -> str:
    return raw if raw.replace(".", "").isdigit() else '"' + raw + '"'


def test_settings_are_the_config_fields() -> None:
    from dataclasses import fields

    assert [s.name for s in SETTINGS] == [f.name for f in fields(Config)]
    assert all(s.type in (int, float, str, Path) for s in SETTINGS)
    assert Config() == Config(**{s.name: s.default for s in SETTINGS})
    for s in SETTINGS:
        assert s.flag in (None, "--" + s.name.replace("_", "-")) and s.env in (None, "EMBEDTOP_" + s.name.upper())
        assert s.help and "\n" not in s.help
    assert {s.name for s in SETTINGS if s.secret} == {"api_key", "openwebui_key", "openwebui_pgvector_dsn"}
    # the keys are read from the variable another setting names; the pgvector DSN (a password inside) has its own
    assert all(s.flag is None and s.env is None for s in SETTINGS if s.secret and s.name != "openwebui_pgvector_dsn")


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: s.name)
def test_each_setting_round_trips_through_file_env_and_flag(s: Setting, tmp_path: Path) -> None:
    raw, want = sample(s, tmp_path)
    toml = tmp_path / "c.toml"
    toml.write_text(f"{s.name} = {toml_literal(raw.strip())}\n")
    assert getattr(load_config({}, env={}, config_path=toml), s.name) == want
    none = empty(tmp_path)
    if s.env is not None:
        assert getattr(load_config({}, env={s.env: raw}, config_path=none), s.name) == want
    if s.flag is not None:
        for command in s.commands:  # through the real parser of every command that takes it
            args = build_parser().parse_args([command, s.flag, raw])
            cli = flag_values(args, SETTINGS)  # as tui/cli.py hands them over
            assert getattr(load_config(cli, env={}, config_path=none), s.name) == want, command
    # The environment beats the file, the flag beats both.
    if s.env is not None and s.flag is not None:
        other = tmp_path / "other"
        other.mkdir()
        elsewhere = sample(s, other)[0] if s.type is Path else {int: "9", float: "900.5"}.get(s.type, "http://o:9")
        toml.write_text(f"{s.name} = {toml_literal(elsewhere.strip())}\n")
        assert getattr(load_config({}, env={s.env: raw}, config_path=toml), s.name) == want
        assert getattr(load_config({s.name: raw}, env={s.env: elsewhere}, config_path=toml), s.name) == want


@pytest.mark.parametrize("s", [s for s in SETTINGS if s.type in (int, float)], ids=lambda s: s.name)
def test_numbers_are_positive_with_one_line_errors(s: Setting, tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    for bad in ("0", "-3", "abc", "nan", "inf" if s.type is int else "-inf"):
        toml.write_text(f'{s.name} = "{bad}"\n')
        with pytest.raises(ConfigError, match=rf"^config file .*: {s.name}='{bad}' must be a positive number$"):
            load_config({}, env={}, config_path=toml)
        if s.env:
            with pytest.raises(
                ConfigError, match=rf"^environment {s.env}: {s.name}='{bad}' must be a positive number$"
            ):
                load_config({}, env={s.env: bad}, config_path=empty(tmp_path))
        if s.flag:
            with pytest.raises(ConfigError, match=rf"^flag {s.name}='{bad}' must be a positive number$"):
                load_config({s.name: bad}, env={}, config_path=empty(tmp_path))


@pytest.mark.parametrize("s", [s for s in SETTINGS if s.type in (str, Path)], ids=lambda s: s.name)
def test_blank_text_is_a_one_line_error(s: Setting, tmp_path: Path) -> None:
    what = "a file path" if s.type is Path else "a non-empty string"
    toml = tmp_path / "c.toml"
    for bad in ('" "', "3"):
        toml.write_text(f"{s.name} = {bad}\n")
        with pytest.raises(ConfigError, match=rf"^config file .*: {s.name}=.* must be {what}$"):
            load_config({}, env={}, config_path=toml)
    if s.flag:
        with pytest.raises(ConfigError, match=rf"^flag {s.name}='  ' must be {what}$"):
            load_config({s.name: "  "}, env={}, config_path=empty(tmp_path))


def test_per_target_settings_are_refused_beside_targets_and_shared_ones_apply_to_each(tmp_path: Path) -> None:
    toml = tmp_path / "targets.toml"
    toml.write_text('[[targets]]\nname = "a"\nurl = "http://a:1"\n[[targets]]\nname = "b"\nurl = "http://b:2"\n')
    assert set(TARGET_KEYS) == {s.name for s in SETTINGS if s.per_target}
    for s in SETTINGS:
        raw, want = sample(s, tmp_path)
        sources = ([(s.flag, {s.name: raw}, {})] if s.flag else []) + ([(s.env, {}, {s.env: raw})] if s.env else [])
        for where, cli, env in sources:
            if s.per_target:
                with pytest.raises(ConfigError, match=rf"^(environment )?{where} names one server but"):
                    load_targets(cli, env=env, config_path=toml)
            else:
                a, b = load_targets(cli, env=env, config_path=toml)
                assert getattr(a, s.name) == getattr(b, s.name) == want


def test_every_flag_is_a_setting_or_a_commands_own() -> None:
    """No flag can exist beside SETTINGS except the few each command owns (cli.OWN_FLAGS)."""
    parser = build_parser()
    setting_flags = {s.flag for s in SETTINGS if s.flag}
    commands = subparsers(parser)
    for name, sub in [("", parser), *commands.items()]:
        for action in sub._actions:
            for option in action.option_strings:
                assert option in setting_flags | OWN_FLAGS, f"embedtop {name} {option} is not in SETTINGS"
                if option in setting_flags and name in COMMANDS:  # generated: dest is the name, default None
                    assert (action.dest, action.default) == (option[2:].replace("-", "_"), None)
    for s in SETTINGS:  # and each setting's flag is on exactly the commands it names
        if s.flag is None:
            continue
        for name in COMMANDS:
            flags = {o for a in commands[name]._actions for o in a.option_strings}
            assert (s.flag in flags) == (name in s.commands), (name, s.flag)


def test_the_flag_surface_is_the_one_users_know() -> None:
    """The flags and metavars of each command, as they were before the table generated them."""
    surface = {
        name: sorted(f"{a.option_strings[-1]} {a.metavar or ''}".strip() for a in sub._actions if a.option_strings)
        for name, sub in subparsers(build_parser()).items()
    }
    common = [
        *("--api-key-env", "--config", "--dims", "--docker CONTAINER", "--export HOST:PORT", "--gpu", "--help"),
        *("--interval", "--journal UNIT", "--log", "--model", "--openwebui", "--openwebui-data DIR"),
        *("--openwebui-docker CONTAINER", "--openwebui-journal UNIT", "--openwebui-key-env"),
        *("--openwebui-log FILE", "--openwebui-pgvector-dsn DSN", "--probe-interval", "--record"),
        *("--semantic-interval", "--timeout"),
    ]
    assert surface["watch"] == sorted([*common, "--url"])
    assert surface["demo"] == sorted([*common, "--port", "--scenario", "--serve-only", "--targets"])
    assert surface["check"] == sorted([*common, "--json", "--url", "--wait"])
    assert surface["export"] == sorted([*common, "--listen", "--url"])
    assert surface["diagnose"] == ["--help", "--json", "--log", "--openwebui-log FILE", "--recording"]
    assert surface["replay"] == ["--help", "--speed"]
    groups = {
        tuple(a.dest for a in g._group_actions) for g in subparsers(build_parser())["watch"]._mutually_exclusive_groups
    }
    assert groups == {("log", "docker", "journal"), ("openwebui_log", "openwebui_docker", "openwebui_journal")}


def test_help_epilog_lists_every_environment_variable() -> None:
    parser = build_parser()
    texts = [parser.format_help(), *(subparsers(parser)[c].format_help() for c in COMMANDS)]
    for s in SETTINGS:
        for text in texts:
            if s.env:
                assert s.env in text and s.env in EPILOG
            elif s.flag is None:
                assert s.name in text  # the keys only the config file takes are named too
    assert EPILOG.count("EMBEDTOP_") == sum(1 for s in SETTINGS if s.env)


def test_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()
    assert table == markdown_table(SETTINGS), "regenerate it: print(markdown_table(SETTINGS)) into README.md"
