"""Modal screens: key help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """[b]embedtop[/b] — live checks of a vLLM embedding server

[b]p[/b]        send a probe embedding now
[b]s[/b]        semantic probe now: a query (Qwen3 instruct form) and two documents
[b]l[/b]        long-input probe: max_model_len + 64 words — rejected (400) or truncated?
[b]+ -[/b]      probe more / less often (2 s … 300 s)
[b]g[/b]        latency graph in place of the log, and back
[b]c[/b]        copy the selected check's fix (OSC 52 clipboard)
[b]space[/b]    pause / resume all polling
[b]f[/b]        demo only: switch to the next fault scenario
[b]tab[/b]      move focus between panels (the checklist follows the worst item until focused)
[b]↑ ↓[/b]      in the checklist: show another item's evidence and fix
[b]v[/b]        log: cycle the level filter (all → warnings+errors → errors)
[b]o[/b]        log: show / hide embedtop's own requests (URLs with ?embedtop=)
[b]enter[/b]    in the log: fold / unfold the traceback under the cursor
[b]end[/b]      in the log: follow the tail again
[b]0 1-9[/b]    several targets: the overview, target N ([b][ ][/b]: previous / next)
[b]n > <[/b]    replay: next status change, a minute forward / back ([b]space[/b] pauses)
[b]?[/b]        this help
[b]q[/b]        quit

Statuses: [green]✔ pass[/]  [yellow]▲ warn[/]  [red]✖ FAIL[/]  [dim]? n/a[/] (no data)
          [dim]… blocked[/] (an earlier check fails, so this one cannot run)

Press escape or ? to close."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help-body")
