#!/usr/bin/env bash
# promtool (Prometheus's rule checker) for the alert-rule tests, from Debian's `prometheus`
# package without installing it: installing would start a Prometheus server (an init
# script) on this machine. `apt-get download` fetches the .deb (about 19 MB, once) and only
# usr/bin/promtool is kept, in the shared cache. Not root, or no apt: say so and go on
# (tests/docs/test_alert_rules.py then skips the promtool checks with that reason).
set -euo pipefail

dest=${BRIDGE_TOOLS_CACHE:-/var/cache/pvs-bridge/tools}
[ -x "$dest/promtool" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: not root on Debian/Ubuntu: promtool not fetched (alert-rule checks skip)" >&2
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get download -q prometheus >/dev/null 2>&1); then
    echo "note: the prometheus package is not downloadable here: promtool not fetched" >&2
    exit 0
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
install -d -m 0755 "$dest"
install -m 0755 "$work/root/usr/bin/promtool" "$dest/promtool.tmp"
mv "$dest/promtool.tmp" "$dest/promtool"
echo "promtool: $("$dest/promtool" --version 2>&1 | head -1)"
