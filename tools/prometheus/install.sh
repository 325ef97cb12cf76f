#!/usr/bin/env bash
# Unpack Debian's REAL Prometheus (server + promtool) and Alertmanager (+ amtool) into a cache, no system install:
# `apt-get download` of the packages `prometheus` and `prometheus-alertmanager` (Debian 12: 2.42.0, 0.25.0),
# then `dpkg-deb -x` of their binaries into $PROM_HOME/bin. About 2 s and 135 MB; needs apt-get and dpkg-deb
# (any Debian or Ubuntu) and the Debian package registry.
# One file cannot live in the cache: Debian's Alertmanager reads its notification templates from the fixed path
# /usr/share/prometheus/alertmanager/ (default.tmpl, email.tmpl; upstream embeds them). When they are not there
# (the package not installed), this script puts the package's two files there, which needs root.
# usage: install.sh        (env: PROM_HOME, default ~/.cache/embedtop/prometheus)
# Idempotent: does nothing when the four binaries answer --version. Writes $PROM_HOME/.embedtop-installed
# (the package versions) when done: the tests look for it before they start anything.
set -euo pipefail
HOME_DIR=${PROM_HOME:-$HOME/.cache/embedtop/prometheus}
BIN="$HOME_DIR/bin"
TOOLS="prometheus promtool prometheus-alertmanager amtool"
AM_SHARE=/usr/share/prometheus/alertmanager
fail() { echo "install.sh: $*" >&2; exit 1; }

works() {
  for t in $TOOLS; do "$BIN/$t" --version >/dev/null 2>&1 || return 1; done
  [ -f "$AM_SHARE/default.tmpl" ] && [ -f "$AM_SHARE/email.tmpl" ]
}
if [ -f "$HOME_DIR/.embedtop-installed" ] && works; then
  echo "install.sh: $HOME_DIR already has $(cat "$HOME_DIR/.embedtop-installed")"; exit 0
fi
rm -f "$HOME_DIR/.embedtop-installed"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
  || fail "needs apt-get and dpkg-deb (Debian/Ubuntu) to fetch Debian's prometheus and prometheus-alertmanager"

t0=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download needs package lists; a fresh machine may have none (or stale ones): update once and retry.
if ! apt-get download -q prometheus prometheus-alertmanager >download.log 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -q >update.log 2>&1 || true; fi
  apt-get download -q prometheus prometheus-alertmanager >download.log 2>&1 \
    || fail "apt-get download prometheus prometheus-alertmanager failed: $(grep -E '^(E|W):' download.log | head -n1 || tail -n1 download.log)"
fi
versions=""
for deb in prometheus_*.deb prometheus-alertmanager_*.deb; do
  [ -f "$deb" ] || fail "apt-get download left no $deb"
  dpkg-deb -x "$deb" root
  versions="$versions $(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)"
done
mkdir -p "$BIN"
for t in $TOOLS; do
  [ -x "root/usr/bin/$t" ] || fail "the Debian packages hold no usr/bin/$t"
  install -m 0755 "root/usr/bin/$t" "$BIN/$t"
done
mkdir -p "$HOME_DIR/share/alertmanager/ui"
for f in default.tmpl email.tmpl; do
  [ -f "root$AM_SHARE/$f" ] || fail "the Debian package holds no $AM_SHARE/$f"
  install -m 0644 "root$AM_SHARE/$f" "$HOME_DIR/share/alertmanager/$f"
  if [ ! -f "$AM_SHARE/$f" ]; then
    { mkdir -p "$AM_SHARE" && install -m 0644 "root$AM_SHARE/$f" "$AM_SHARE/$f"; } 2>/dev/null \
      || fail "Debian's Alertmanager reads $AM_SHARE/$f and it is missing: run this as root once (or apt-get install prometheus-alertmanager)"
  fi
done
works || fail "the unpacked binaries do not run: $("$BIN/prometheus" --version 2>&1 | head -n1)"
echo "${versions# }" > "$HOME_DIR/.embedtop-installed"
echo "install.sh: done in $(( $(date +%s) - t0 )) s:${versions}; $(du -sh "$HOME_DIR" | cut -f1) in $BIN"
