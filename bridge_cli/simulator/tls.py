"""A self-signed certificate like the PVS's, generated once and cached in a state directory."""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import ipaddress
import os
import ssl
import stat
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from bridge_cli import bridge_tls

SAN_ADDRESSES = ("127.0.0.1", "172.27.153.1")


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME")
    if base:
        return Path(base) / "bridge-cli-simulator"
    return Path(tempfile.gettempdir()) / f"bridge-cli-simulator-{os.getuid()}"


def ensure_certificate(state_dir: Path, serial: str, host: str) -> tuple[Path, Path]:
    """Return (cert, key) paths for `serial`, creating them (key mode 0600) if missing.

    A lock file serialises simulators starting at the same time (the lab and tests)."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_private_dir(state_dir)
    fd = os.open(state_dir / ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(state_dir, serial, host)


def check_private_dir(path: Path) -> None:
    """Refuse a state folder another user could change (the default lives in /tmp).

    Someone else's folder, or one others may write, could swap the key or plant a
    symlink that makes us overwrite another file; raise OSError (EPERM) instead.
    """
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise OSError(
            errno.EPERM,
            f"{path} is not a private folder of this user (a symlink, owned by uid "
            f"{st.st_uid} or writable by others); remove it or set XDG_STATE_HOME",
        )


def _ensure_locked(state_dir: Path, serial: str, host: str) -> tuple[Path, Path]:
    cert_path = state_dir / f"pvs-{serial}.crt"
    key_path = state_dir / f"pvs-{serial}.key"
    if cert_path.is_file() and key_path.is_file() and _covers(cert_path, host):
        return cert_path, key_path
    cert, key = _make(serial, host)
    _write(cert, key, cert_path, key_path)
    return cert_path, key_path


def fresh_context(serial: str, host: str) -> ssl.SSLContext:
    """A server context with a certificate made just now and never cached (a PVS that was
    replaced or reset: the same name, another key). The shared cache is left alone."""
    cert, key = _make(serial, host)
    with tempfile.TemporaryDirectory() as tmp:
        paths = Path(tmp) / "pvs.crt", Path(tmp) / "pvs.key"
        _write(cert, key, *paths)
        return server_context(*paths)


def _make(serial: str, host: str):
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SunPower (simulated)"),
            x509.NameAttribute(NameOID.COMMON_NAME, serial),
        ]
    )
    addresses = {ipaddress.ip_address(a) for a in SAN_ADDRESSES}
    with contextlib.suppress(ValueError):
        addresses.add(ipaddress.ip_address(host))
    alt_names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName("pvs6.local")]
    alt_names += [x509.IPAddress(a) for a in sorted(addresses, key=str)]
    return bridge_tls.self_signed(name, alt_names, 3650, datetime.timedelta(days=1))


def _write(cert, key, cert_path: Path, key_path: Path) -> None:
    tmp_key = key_path.with_suffix(".key.tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bridge_tls.key_pem(key))
    tmp_cert = cert_path.with_suffix(".crt.tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, key_path)
    os.replace(tmp_cert, cert_path)


def _covers(cert_path: Path, host: str) -> bool:
    """True when the cached certificate is readable and names `host` (if it is an address)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except Exception:
        return False
    try:
        wanted = ipaddress.ip_address(host)
    except ValueError:
        return True  # a host name: any of our certificates will do
    return wanted in san.get_values_for_type(x509.IPAddress)


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
