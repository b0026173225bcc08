"""Per-lab files placed in the guest before its first boot, through the overlay's upper dir.

This is the lab's stand-in for what Raspberry Pi Imager does on a real card (custom.toml or
cloud-init): the lab's own SSH host key (so the controller can check it) and the lab's
public key in the user's authorized_keys. Directories created in the upper dir copy the
owner and mode of the base's directory, so the merged view looks as in the base.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _lower_owner(base: Path, rel: str) -> tuple[int, int, int]:
    st = (base / rel).stat()
    return st.st_uid, st.st_gid, st.st_mode & 0o7777


def _mkdirs_like_base(base: Path, upper: Path, rel_dir: str) -> None:
    parts = Path(rel_dir).parts
    for i in range(1, len(parts) + 1):
        rel = os.path.join(*parts[:i])
        target = upper / rel
        if not target.exists():
            target.mkdir()
            uid, gid, mode = _lower_owner(base, rel)
            os.chown(target, uid, gid)
            target.chmod(mode)


def put(base: Path, upper: Path, rel: str, data: bytes, mode: int, uid: int, gid: int) -> None:
    _mkdirs_like_base(base, upper, os.path.dirname(rel))
    target = upper / rel
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chown(target, uid, gid)
    target.chmod(mode)


def user_ids(base: Path, user: str) -> tuple[int, int]:
    for line in (base / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise KeyError(f"user {user} not in the base image")


def keygen(path: Path, comment: str) -> None:
    """An ed25519 key pair without passphrase (private key 0600)."""
    path.unlink(missing_ok=True)
    Path(f"{path}.pub").unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    path.chmod(0o600)


def seed_guest(base: Path, upper: Path, state_dir: Path, user: str, lab: str) -> str:
    """Write host key and authorized_keys into the upper dir; return the host public key."""
    client_key = state_dir / "id_ed25519"
    host_key = state_dir / "ssh_host_ed25519_key"
    keygen(client_key, f"pvs-bridge-lab-{lab}")
    keygen(host_key, f"root@pvs-bridge-lab-{lab}")
    uid, gid = user_ids(base, user)
    put(base, upper, "etc/ssh/ssh_host_ed25519_key", host_key.read_bytes(), 0o600, 0, 0)
    host_pub = Path(f"{host_key}.pub").read_bytes()
    put(base, upper, "etc/ssh/ssh_host_ed25519_key.pub", host_pub, 0o644, 0, 0)
    put(
        base,
        upper,
        f"home/{user}/.ssh/authorized_keys",
        Path(f"{client_key}.pub").read_bytes(),
        0o600,
        uid,
        gid,
    )
    host_key.unlink()  # the guest has it; the controller needs only the public half
    return host_pub.decode().strip()
