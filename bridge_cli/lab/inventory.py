"""How the controller (ansible, molecule, testinfra, ssh) in the host namespace reaches a lab.

SSH runs in the host namespace and its ProxyCommand runs the relay inside the lab's home
namespace, so no lab route is ever needed in the host namespace. The host key is the lab's
own (seeded before first boot) and is checked strictly.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from pathlib import Path

import yaml

from bridge_cli.lab import netns
from bridge_cli.lab import topology as topo


def proxy_command(home_ns: str) -> str:
    return (
        shlex.join(
            [netns.IP, "netns", "exec", home_ns, sys.executable, "-m", "bridge_cli.lab.relay"]
        )
        + " %h %p"
    )


def ssh_options(home_ns: str, key: Path, known_hosts: Path) -> list[str]:
    """`-o` options for ssh/scp (and ansible's ssh_common_args) to reach the lab bridge."""
    return [
        "-o", f"ProxyCommand={proxy_command(home_ns)}",
        "-o", f"UserKnownHostsFile={known_hosts}",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "IdentitiesOnly=yes",
        "-o", f"IdentityFile={key}",
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=10",
        "-o", "LogLevel=ERROR",
    ]  # fmt: skip


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, replacing it atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_ssh_files(
    state_dir: Path, host_alias: str, address: str, home_ns: str, host_pub: str
) -> tuple[Path, Path]:
    """known_hosts and an ssh_config (for `ssh -F`, paramiko and testinfra)."""
    known_hosts = state_dir / "known_hosts"
    key = state_dir / "id_ed25519"
    write_private(known_hosts, f"{address} {' '.join(host_pub.split()[:2])}\n")
    ssh_config = state_dir / "ssh_config"
    write_private(
        ssh_config,
        f"Host {host_alias} {address}\n"
        f"  HostName {address}\n"
        f"  User {topo.SSH_USER}\n"
        f"  IdentityFile {key}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known_hosts}\n"
        "  StrictHostKeyChecking yes\n"
        f"  ProxyCommand {proxy_command(home_ns)}\n",
    )
    return known_hosts, ssh_config


# The lab bridge's host name after provisioning (the base boots as raspberrypi).
HOSTNAME = "pvs-bridge"


def lab_vars(lab: str, names: topo.Names, wifi_psk: str) -> dict:
    """Role variables of a lab bridge (an offline host, wlan0 being a wired veth)."""
    return {
        "bridge_wifi_ssid": f"lab-{lab}",  # lab names are at most 24 characters: <= 32 bytes
        # A lab-only dummy (nothing joins a WiFi in the lab); kept out of argv all the same.
        "bridge_wifi_psk": wifi_psk,
        "bridge_wifi_country": "US",
        "bridge_base_hostname": HOSTNAME,
        "bridge_base_timezone": "America/Los_Angeles",
        "bridge_base_apt_update_cache": False,
        "bridge_pvs_link_interface": "eth0",
        "bridge_network_stack": "auto",
        "bridge_proxy_pvs_address": topo.PVS_ADDRESS,
        "bridge_proxy_pvs_port": 80,
        # Facts about the lab itself, for tests and the doctor.
        "bridge_lab": True,
        "bridge_lab_name": lab,
        "bridge_lab_home_ns": names.home_ns,
        "bridge_lab_pvs_ns": names.pvs_ns,
    }


def new_wifi_psk() -> str:
    return secrets.token_urlsafe(24)


def write_inventory(
    state_dir: Path, lab: str, names: topo.Names, address: str, wifi_psk: str
) -> Path:
    """An Ansible inventory (group `bridges`) for the lab bridge; mode 0600."""
    key = state_dir / "id_ed25519"
    known_hosts = state_dir / "known_hosts"
    host = {
        "ansible_host": address,
        "ansible_user": topo.SSH_USER,
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": shlex.join(ssh_options(names.home_ns, key, known_hosts)),
        "ansible_control_path_dir": str(state_dir / "cp"),
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    inventory = {
        "bridges": {
            "hosts": {f"lab-{lab}": host},
            "vars": lab_vars(lab, names, wifi_psk),
        }
    }
    path = state_dir / "inventory.yml"
    text = "---\n# Written by `bridge-cli lab up`: the lab bridge, reached from the home side.\n"
    write_private(path, text + yaml.safe_dump(inventory, sort_keys=False, width=1000))
    return path
