"""Command line: `embedtop watch|demo|check|export|diagnose|replay`, and one-line errors for bad input.

The settings' flags and the help's list of environment variables are generated from
`tui.config.SETTINGS` (tui/settings.py); only each command's own flags (OWN_FLAGS) are written here.

Bad user input prints one line naming the problem and the fix and exits 2, never a traceback.
A server that is down is not bad input: the dashboard opens and shows it red.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tui import __version__
from tui.config import SETTINGS, Config, ConfigError, load_config, load_targets
from tui.settings import add_flags, env_help, flag_values

if TYPE_CHECKING:
    from tui.logs.owui import OwuiLogState

EXAMPLES = """examples:
  embedtop demo                                   simulated vLLM + Qwen3-Embedding-4B, press f for faults
  embedtop demo --scenario wrong-dims             start in one fault (healthy, ingest, bad-base-url,
                                                  wrong-model, wrong-dims, slow, engine-dead, starting)
  embedtop demo --serve-only --port 8011          only the demo target, for tests and other tools
  embedtop watch --url http://127.0.0.1:8000 --log /var/log/vllm.log --model Qwen3-Embedding-4B
  embedtop --url http://gpu-host:8000 --dims 2560  (watch is the default)
  embedtop --url http://127.0.0.1:8000 --docker vllm        follow `docker logs` of container vllm
  embedtop --url http://127.0.0.1:8000 --journal vllm.service
  embedtop --url http://127.0.0.1:8000 --log vllm.log --openwebui-docker open-webui   also Open WebUI's log
  embedtop diagnose --log vllm.log [--json]       offline: lifecycle, root cause and fix of a saved log
  embedtop check --url http://127.0.0.1:8000 --json --wait 120   headless checklist for CI / healthchecks
  embedtop export --url http://127.0.0.1:8000 --listen 127.0.0.1:9464   Prometheus metrics of the checklist
  embedtop --config targets.toml                  several servers: one [[targets]] table each (see README)
  embedtop demo --targets 3                       three demo targets: an overview tab and one tab each"""


EPILOG = (
    f"{EXAMPLES}\n\n{env_help(SETTINGS)}\n"
    "The API key is read from $VLLM_API_KEY (or the variable named by --api-key-env); it is never shown."
)
# The flags that are no setting of tui.config (the settings' flags are generated from SETTINGS): each
# command's own (--record and --export: watch and demo; --scenario … --targets: demo; --json: check and
# diagnose; --wait: check; --listen: export; --recording: diagnose; --speed: replay). diagnose's --log and
# --openwebui-log share a setting's name but take a saved file.
OWN_FLAGS = frozenset(
    {"-h", "--help", "--version", "--config", "--record", "--export", "--scenario", "--serve-only", "--port"}
    | {"--targets", "--json", "--wait", "--listen", "--recording", "--speed"}
)

SUBCOMMANDS = ("watch", "demo", "diagnose", "check", "export", "replay")


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see `{self.prog} --help`)")


def fail(message: str) -> NoReturn:
    print(f"embedtop: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _common(p: argparse.ArgumentParser, command: str) -> None:
    """What watch, demo, check and export share: --config, the settings' flags, --record and --export."""
    p.add_argument("--config", type=Path, help="TOML config file (default ~/.config/embedtop/config.toml)")
    add_flags(p, SETTINGS, command)
    p.add_argument("--record", help="append every sample and check change to this JSONL file (for replay)")
    p.add_argument(
        "--export",
        metavar="HOST:PORT",
        help="watch/demo: also serve the checklist as Prometheus metrics on HOST:PORT (as `embedtop export`)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="embedtop",
        description="Live terminal dashboard for a vLLM embedding server: GPU, API, probe embeddings, "
        "log and a checklist that names the fix.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"embedtop {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    watch = sub.add_parser(
        "watch", help="watch a real vLLM server", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _common(watch, "watch")
    demo = sub.add_parser(
        "demo",
        help="run the built-in demo target and watch it",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--scenario",
        default="healthy",
        help="healthy, ingest, bad-base-url, wrong-model, wrong-dims, slow, engine-dead or starting (default healthy)",
    )
    demo.add_argument("--serve-only", action="store_true", help="run only the demo target, no dashboard")
    demo.add_argument("--port", type=int, default=0, help="port for the demo target (default: a free one)")
    demo.add_argument(
        "--targets",
        type=int,
        default=1,
        help="demo targets to run side by side, 1-9 (default 1); the first plays --scenario",
    )
    _common(demo, "demo")
    check = sub.add_parser(
        "check",
        help="headless: run the checks once (until every check has a verdict or --wait), print them, "
        "exit 0 pass, 1 fail, 3 warn, 2 bad input",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--json", action="store_true", help="print JSON (schema: tui/check_schema.json)")
    check.add_argument(
        "--wait", type=float, default=30.0, help="seconds to keep polling while checks wait for data (default 30)"
    )
    _common(check, "check")
    export = sub.add_parser(
        "export",
        help="headless: serve the checklist and key figures as Prometheus metrics",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--listen", default="127.0.0.1:9464", help="HOST:PORT for /metrics (default 127.0.0.1:9464)")
    _common(export, "export")
    replay = sub.add_parser("replay", help="play a --record file back into the dashboard")
    replay.add_argument(
        "file", nargs="+", help="the recording (JSONL from --record); several (FILE.<name>.jsonl): one tab each"
    )
    replay.add_argument("--speed", type=float, default=10.0, help="playback speed factor (default 10)")
    diag = sub.add_parser(
        "diagnose",
        help="analyse a saved vLLM log offline: lifecycle, root cause, fix (exit 0 healthy, 1 failure, 2 bad input)",
    )
    source = diag.add_mutually_exclusive_group()
    source.add_argument("--log", help="the saved vLLM log file")
    source.add_argument("--recording", help="a --record file: print the timeline of check changes")
    diag.add_argument(
        "--openwebui-log",
        metavar="FILE",
        help="Open WebUI's saved log (`docker logs open-webui > owui.log 2>&1`): its ingestion and retrieval failures",
    )
    diag.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def _cli_values(args: argparse.Namespace) -> dict[str, Any]:
    return flag_values(args, SETTINGS)


def demo_config(cfg: Config, url: str, cli: dict[str, Any]) -> Config:
    """The dashboard's config for the demo: its URL and model, quicker polls unless given."""
    return replace(
        cfg,
        url=url,
        model=cfg.model or "Qwen3-Embedding-4B",
        interval=cfg.interval if cli.get("interval") else 3.0,
        probe_interval=cfg.probe_interval if cli.get("probe_interval") else 5.0,
    )


MULTI_DEMO = ("ingest", "wrong-dims", "slow", "healthy")  # what demo targets 2, 3, … play


def _run_demo(args: argparse.Namespace) -> int:
    from tui.demo.target import SCENARIOS, DemoTarget

    if args.scenario not in SCENARIOS:
        fail(f"unknown scenario {args.scenario!r}: choose one of {', '.join(SCENARIOS)}")
    if not 0 <= args.port <= 65535:
        fail(f"--port {args.port} is out of range: use 1-65535, or 0 for a free port")
    if not 1 <= args.targets <= 9:
        fail(f"--targets {args.targets} is out of range: use 1 to 9")
    if args.targets > 1 and (args.log or args.port):
        fail("--targets runs several demo targets on free ports, each with its own log: drop --log / --port")
    folder = Path(tempfile.mkdtemp(prefix="embedtop-demo-"))
    n = args.targets
    names = ["vllm.log"] if n == 1 else [f"vllm-{i + 1}.log" for i in range(n)]
    logs = [Path(args.log)] if args.log else [folder / name for name in names]
    cli = _cli_values(args)
    cli["log"] = str(logs[0])
    try:
        cfg_overrides = load_config(cli, config_path=args.config, ignore_targets=True)
    except ConfigError as exc:
        fail(str(exc))
    scenarios = [args.scenario, *(MULTI_DEMO[i % len(MULTI_DEMO)] for i in range(n - 1))]
    nvml = None
    if n > 1:
        from tui.demo.fake_nvml import FakeNvml
        from tui.demo.target import H200

        nvml = FakeNvml("healthy", card=H200, count=n)  # one GPU per demo target
    targets: list[Any] = []
    try:
        for i in range(n):
            try:
                demo = DemoTarget(
                    scenarios[i], logs[i], port=args.port, processes=not args.serve_only, nvml=nvml, gpu_index=i
                )
                targets.append(demo.start())
            except OSError as exc:
                fail(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}): pick another --port or 0")
        if args.serve_only:
            for t, log in zip(targets, logs, strict=True):
                print(f"demo target ({t.scenario.name}) on {t.url}  log: {log}", flush=True)
            print("(Ctrl+C stops)", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
            return 0
        cfgs = [
            replace(demo_config(cfg_overrides, t.url, cli), log=log, name=f"demo-{i + 1}" if n > 1 else None)
            for i, (t, log) in enumerate(zip(targets, logs, strict=True))
        ]
        from tui.app import EmbedtopApp

        records = _record_paths(args, cfgs)
        side, stop = _side_exporter(args, cfgs)
        try:
            EmbedtopApp(cfgs, demo=targets, nvml=targets[0].nvml, record=records, exporter=side).run()
        finally:
            if stop is not None:
                stop()
        return 0
    finally:
        for t in targets:
            t.stop()


def _targets(args: argparse.Namespace) -> list[Config]:
    try:
        return load_targets(_cli_values(args), config_path=args.config)
    except ConfigError as exc:
        fail(str(exc))


def _run_watch(args: argparse.Namespace) -> int:
    cfgs = _targets(args)
    given = {k for k, v in _cli_values(args).items() if v is not None}
    if len(cfgs) == 1 and "url" not in given and cfgs[0].url == Config.url:
        # No URL anywhere: watching the default port is a fine guess, but say so.
        print(f"embedtop: no --url given; watching {cfgs[0].url}", file=sys.stderr)
    from tui.app import EmbedtopApp

    records = _record_paths(args, cfgs)
    side, stop = _side_exporter(args, cfgs)
    try:
        EmbedtopApp(cfgs, record=records, exporter=side).run()
    finally:
        if stop is not None:
            stop()
    return 0


def _dashboard_only(args: argparse.Namespace) -> None:
    if getattr(args, "export", None):
        fail("--export serves metrics beside the dashboard (watch, demo): headless, use `embedtop export --listen`")


def _run_check(args: argparse.Namespace) -> int:
    _dashboard_only(args)
    cfgs = _targets(args)
    if not 0 <= args.wait <= 86400:
        fail(f"--wait {args.wait} is out of range: use 0 to 86400 seconds")
    from tui import headless

    return headless.main(cfgs, args.wait, args.json)


def _address(flag: str, value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"{flag} {value!r} is not HOST:PORT: use e.g. {flag} 127.0.0.1:9464")
    return host or "127.0.0.1", int(port)


def _side_exporter(args: argparse.Namespace, cfgs: list[Config]) -> tuple[Any, Any]:
    """(exporter, stop) for --export beside the dashboard, or (None, None)."""
    if not getattr(args, "export", None):
        return None, None
    host, port = _address("--export", args.export)
    from tui import exporter

    try:
        return exporter.start(cfgs, host, port)
    except OSError as exc:
        fail(f"cannot listen on {args.export} ({exc.strerror or exc}): pick another --export")


def _run_export(args: argparse.Namespace) -> int:
    _dashboard_only(args)
    cfgs = _targets(args)
    _address("--listen", args.listen)
    from tui import exporter

    try:
        return exporter.main(cfgs, args.listen)
    except OSError as exc:
        fail(f"cannot listen on {args.listen} ({exc.strerror or exc}): pick another --listen")


def _record_paths(args: argparse.Namespace, cfgs: list[Config]) -> list[Path | None]:
    """The --record file; with several targets one file each: FILE.jsonl → FILE.<name>.jsonl."""
    if not getattr(args, "record", None):
        return [None] * len(cfgs)
    path = Path(args.record).expanduser()
    if path.is_dir() or not path.parent.is_dir():
        fail(f"--record {args.record!r}: pass a file in an existing folder, e.g. --record ./embedtop.jsonl")
    if len(cfgs) == 1:
        return [path]
    safe = [re.sub(r"[^A-Za-z0-9_.-]+", "_", cfg.label) for cfg in cfgs]
    return [path.with_name(f"{path.stem}.{name}{path.suffix or '.jsonl'}") for name in safe]


def _recording(path_text: str) -> list:
    from tui.state.recording import read

    path = Path(path_text).expanduser()
    if not path.is_file():
        fail(f"recording {str(path)!r} does not exist: make one with `embedtop watch … --record FILE`")
    try:
        records = list(read(path))
    except OSError as exc:
        fail(f"cannot read recording {str(path)!r} ({exc.strerror or exc})")
    if not records:
        fail(f"{str(path)!r} holds no embedtop recording lines")
    return records


def _replay_name(path: Path, others: list[Path]) -> str | None:
    """FILE.<name>.jsonl (as --record writes for several targets) → name; one file needs none."""
    if len(others) == 1:
        return None
    stem = path.stem  # without .jsonl
    return stem.split(".", 1)[1] if "." in stem else stem


def _run_replay(args: argparse.Namespace) -> int:
    from tui.samples import LogBatch, ServerSample

    if not args.speed > 0:
        fail(f"--speed {args.speed} must be positive")
    paths = [Path(f).expanduser() for f in args.file]
    if len(paths) > 16:
        fail(f"{len(paths)} recordings: at most 16 at once")
    recordings = [_recording(str(p)) for p in paths]
    cfgs = []
    for path, records in zip(paths, recordings, strict=True):
        url = next((s.url for _, k, s in records if isinstance(s, ServerSample)), Config.url)
        log = next((s.source for _, k, s in records if isinstance(s, LogBatch)), None)
        cfgs.append(Config(url=url, log=Path(log) if log else None, name=_replay_name(path, paths)))
    names = [c.label for c in cfgs]
    if len(set(names)) < len(names):  # two recordings of one target, or names that clash: number them
        cfgs = [replace(c, name=f"{i + 1}-{c.label}") for i, c in enumerate(cfgs)]
    from tui.app import EmbedtopApp

    replay = recordings[0] if len(recordings) == 1 else recordings
    EmbedtopApp(cfgs, live=False, replay=replay, speed=args.speed).run()
    return 0


def _run_diagnose(args: argparse.Namespace) -> int:
    from tui.diagnose import NotALog, diagnose, render_json, render_text

    if args.recording:
        import time as _time

        changes = [(t, d) for t, k, d in _recording(args.recording) if k == "transition"]
        for t, d in changes:
            stamp = _time.strftime("%Y-%m-%d %H:%M:%S", _time.localtime(t))
            print(f"{stamp}  {d['id']:<20} {d['old'] or 'start'} → {d['new']}  {d['summary'][:100]}")
        print(f"{len(changes)} status changes")
        return 1 if changes and any(d["new"] == "fail" for _, d in changes[-20:]) else 0

    if not args.log and not args.openwebui_log:
        fail("diagnose needs --log FILE (vLLM's log), --openwebui-log FILE or --recording FILE")
    owui = _read_owui_log(args.openwebui_log) if args.openwebui_log else None
    if not args.log:
        assert owui is not None
        from tui.logs import owui as owui_log

        path_text = str(Path(args.openwebui_log).expanduser())
        if args.json:
            print(json.dumps(owui_log.to_dict(path_text, owui), indent=2))
        else:
            print("\n".join(owui_log.render_text(path_text, owui)))
        return 0 if owui.healthy else 1
    path = Path(args.log).expanduser()
    if path.is_dir():
        fail(f"--log {str(path)!r} is a directory: pass the log file")
    try:
        report = diagnose(path)
    except FileNotFoundError:
        fail(f"--log {str(path)!r} does not exist: pass the saved log, e.g. `docker logs vllm > vllm.log 2>&1`")
    except NotALog:
        fail(
            f"--log {str(path)!r} is binary data, not a text log: pass the saved log text "
            "(`docker logs vllm > vllm.log 2>&1`)"
        )
    except OSError as exc:
        fail(f"cannot read --log {str(path)!r} ({exc.strerror or exc}): check its permissions")
    if owui is None:
        print(render_json(report) if args.json else render_text(report))
        return 0 if report.healthy else 1
    from tui.logs import owui as owui_log

    owui_path = str(Path(args.openwebui_log).expanduser())
    if args.json:
        print(json.dumps(report.to_dict() | {"openwebui": owui_log.to_dict(owui_path, owui)}, indent=2))
    else:
        print(render_text(report))
        print("\n".join(owui_log.render_text(owui_path, owui)))
    return 0 if report.healthy and owui.healthy else 1


def _read_owui_log(name: str) -> OwuiLogState:
    from tui.logs import owui as owui_log

    path = Path(name).expanduser()
    if path.is_dir():
        fail(f"--openwebui-log {name!r} is a directory: pass the log file")
    try:
        return owui_log.read(path)
    except FileNotFoundError:
        fail(f"--openwebui-log {name!r} does not exist: save it with `docker logs open-webui > owui.log 2>&1`")
    except OSError as exc:
        fail(f"cannot read --openwebui-log {name!r} ({exc.strerror or exc}): check its permissions")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    if argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "watch")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _run_demo(args)
        if args.command == "diagnose":
            return _run_diagnose(args)
        if args.command == "check":
            return _run_check(args)
        if args.command == "export":
            return _run_export(args)
        if args.command == "replay":
            return _run_replay(args)
        return _run_watch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `embedtop diagnose … | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
