#!/usr/bin/env bash
# Install the Debian packages the lab, the simulator's tests and the benchmarks need.
# Only as root on a Debian/Ubuntu machine; elsewhere it says what is missing and goes on
# (the tests that need these packages then skip with a one-line reason).
set -euo pipefail

# One package a line (several features add to this list).
packages=(
    debootstrap
    systemd-container
    dnsmasq-base
    haproxy
    iproute2
    openssh-client
    qemu-user-static
    binfmt-support
    rsync
    wpasupplicant
    python3-toml
    python3-gi
    gir1.2-nm-1.0
    varnish
    nginx
    caddy
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: not root on Debian/Ubuntu; missing system packages: ${missing[*]}" >&2
    echo "note: the lab tests will be skipped (sudo apt-get install ${missing[*]})" >&2
    exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The benchmark's peers (varnish, nginx, caddy) run as its own unprivileged loopback
# processes; the services their packages start on :80/:6081 are not wanted on this machine.
if [ -d /run/systemd/system ]; then
    for unit in varnish nginx caddy; do
        systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
fi
