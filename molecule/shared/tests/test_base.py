"""bridge_base's host name on a converged lab bridge, as Raspberry Pi OS's own tools leave
it (/etc/hostname, the 127.0.1.1 line of /etc/hosts), and running without a reboot (the
lab's base boots as raspberrypi)."""

from __future__ import annotations

import re

from bridge_cli.lab.inventory import HOSTNAME


def test_the_host_name_is_written_and_running(host):
    assert host.file("/etc/hostname").content_string == f"{HOSTNAME}\n"
    assert host.check_output("hostname") == HOSTNAME
    hosts = host.file("/etc/hosts").content_string
    assert re.findall(r"^127\.0\.1\.1\s.*$", hosts, re.M) == [f"127.0.1.1\t{HOSTNAME}"], hosts
    assert host.check_output(f"getent hosts {HOSTNAME}").split()[0] == "127.0.1.1"
