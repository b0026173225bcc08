"""Self-healing and SD-card care on a converged lab bridge (bridge_base, docs/reliability.md).

Each check asks the software that reads our file what it made of it: systemd (watchdog),
journald (where it writes), apt and unattended-upgrade (origins, the dpkg hook), perl
(needrestart's configuration is perl), and the haproxy package's own upgrade path.
"""

from __future__ import annotations

import re

HOOK = "/usr/local/sbin/pvs-bridge-haproxy-refresh"
NEEDRESTART = "/etc/needrestart/conf.d/60-pvs-bridge-haproxy.conf"


def test_systemd_pets_the_watchdog_with_our_timeouts(host):
    # systemd.system.conf(5): RuntimeWatchdogSec/RebootWatchdogSec, read by PID 1 on
    # daemon-reexec; the lab has no /dev/watchdog, and PID 1 runs on all the same.
    shown = host.check_output("systemctl show -p RuntimeWatchdogUSec -p RebootWatchdogUSec")
    assert "RuntimeWatchdogUSec=15s" in shown, shown
    assert "RebootWatchdogUSec=2min" in shown, shown
    assert host.service("haproxy").is_running


def test_journald_writes_to_ram_only(host):
    # journald's PID from systemd, not pidof: under qemu-user (the armhf lab guest) every
    # process's executable is qemu, which pidof does not recognise.
    pid = host.check_output("systemctl show -p MainPID --value systemd-journald")
    assert pid.isdigit() and pid != "0", pid
    with host.sudo():
        files = host.check_output(f"ls -l /proc/{pid}/fd")
        assert "/run/log/journal/" in files, files
        assert "/var/log/journal/" not in files, files
        text = host.file("/etc/systemd/journald.conf.d/60-pvs-bridge.conf").content_string
    assert "Storage=volatile" in text and "RuntimeMaxUse=16M" in text


def test_unattended_upgrades_take_security_origins_only(host):
    with host.sudo():
        out = host.check_output("unattended-upgrade --dry-run -v 2>&1")
    allowed = re.search(r"^Allowed origins are: (.*)$", out, re.M)
    assert allowed, out
    codename = host.system_info.codename
    assert allowed.group(1).split(", ") == [
        f"origin=Debian,codename={codename},label=Debian-Security",
        f"origin=Debian,codename={codename}-security,label=Debian-Security",
        f"origin=Raspbian,codename={codename},label=Raspbian",
    ]
    periodic = host.check_output("apt-config dump APT::Periodic::Unattended-Upgrade")
    assert '"1"' in periodic
    assert '"false"' in host.check_output("apt-config dump Unattended-Upgrade::Automatic-Reboot")


def test_needrestart_leaves_haproxy_alone(host):
    # needrestart reads its conf.d files as perl; an override of 0 means "do not restart".
    script = (
        f"our %nrconf; do q({NEEDRESTART}); die $@ if $@; "
        "print join(q(,), map { qq($_=$nrconf{override_rc}{$_}) } keys %{$nrconf{override_rc}})"
    )
    out = host.check_output(f"LC_ALL=C perl -e '{script}'")
    assert re.fullmatch(r"\(\?\^:\^haproxy\)=0", out), out


def haproxy_state(host) -> tuple[str, str, set[str]]:
    """(master pid, start time, worker pids) of the running haproxy."""
    shown = host.check_output("systemctl show -p MainPID -p ExecMainStartTimestamp haproxy")
    values = dict(line.split("=", 1) for line in shown.splitlines())
    workers = set(host.check_output(f"pgrep -P {values['MainPID']}").split())
    return values["MainPID"], values["ExecMainStartTimestamp"], workers


def test_an_upgrade_of_haproxy_reloads_it_never_restarts_it(host):
    """dpkg installs haproxy again (as an upgrade would): the package's postinst reloads
    it (it does not stop haproxy in prerm), so the master lives on and only the workers,
    which finish their in-flight requests, are replaced."""
    with host.sudo():
        before = haproxy_state(host)
        host.check_output(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "
            "/var/cache/apt/archives/haproxy_*.deb"
        )
        after = haproxy_state(host)
    assert after[:2] == before[:2], (before, after)
    # New workers: a reload (old ones may linger until their connections close: haproxy 2.2).
    assert after[2] - before[2], "no new worker: haproxy was not reloaded"


def test_the_dpkg_hook_reloads_haproxy_when_it_uses_replaced_files(host):
    """A library upgrade replaces files haproxy has mapped; apt's DPkg::Post-Invoke runs the
    hook, which reloads haproxy (new master image and workers, same service, no restart)."""
    hook = host.check_output("apt-config dump DPkg::Post-Invoke")
    assert HOOK in hook, hook
    with host.sudo():
        before = haproxy_state(host)
        # Same content, new inode: the running master now maps a "(deleted)" binary.
        host.check_output("cp -p /usr/sbin/haproxy /usr/sbin/haproxy.new")
        host.check_output("mv -f /usr/sbin/haproxy.new /usr/sbin/haproxy")
        host.check_output(HOOK)
        after = haproxy_state(host)
        maps = host.check_output(f"cat /proc/{after[0]}/maps")
    assert after[:2] == before[:2], (before, after)
    assert after[2] - before[2], "no new worker: the hook did not reload haproxy"
    assert "/usr/sbin/haproxy (deleted)" not in maps
