"""`python -m tui` runs the embedtop command line."""

from tui.cli import main

raise SystemExit(main())
