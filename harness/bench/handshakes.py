"""TLS handshakes per second on the bridge's terminated :443, and what a Pi Zero W would do.

The handshake rate: client processes open a TLS connection to haproxy's :443 (the role's
configuration, the bridge's EC P-256 certificate), finish the handshake and close, with no
session reuse, for a fixed time. On a 2-core machine the clients compete with haproxy for
the CPU, so the observed rate is a floor; haproxy's own CPU time per handshake (from
/proc) gives what one core of this machine sustains: 1 / (CPU seconds per handshake).

The Pi Zero W (one ARM1176JZF-S core at 1 GHz, BCM2835) is not here. The estimate scales
this machine's per-core rate by the ratio of the server's two public-key operations per
handshake (one ECDSA P-256 signature, one X25519 key agreement: TLS 1.3 with the role's
certificate), timed by `openssl speed` here and by the same command of an armhf Debian
root file system (the lab's cached image) under qemu-user. That ratio is qemu's
translation of ARM code on this CPU, not a Pi: a BCM2835 has no NEON, runs at 1 GHz and
has a small cache, so the real Pi is slower than qemu on a modern x86 core; the figure is
an upper bound to read as an order of magnitude.
"""

from __future__ import annotations

import multiprocessing
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

from harness.bench import procstat

LOOPBACK = "127.0.0.1"
OPENSSL_ALGORITHMS = ("ecdsap256", "ecdhx25519")


def _handshakes(port: int, stop_at: float, queue) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    done = failed = 0
    cipher = None
    while time.monotonic() < stop_at:
        try:
            with (
                socket.create_connection((LOOPBACK, port), timeout=10) as raw,
                context.wrap_socket(raw) as tls,
            ):
                cipher = tls.cipher()
                done += 1
        except OSError:
            failed += 1
    queue.put((done, failed, cipher))


def measure(haproxy_pid: int, port: int, seconds: float, clients: int) -> dict:
    """Full handshakes against :443 for `seconds` from `clients` processes."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    before = procstat.sample(haproxy_pid)
    stop_at = time.monotonic() + seconds
    workers = [
        multiprocessing.Process(target=_handshakes, args=(port, stop_at, queue))
        for _ in range(clients)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join(timeout=10)
    after = procstat.sample(haproxy_pid)
    done = sum(r[0] for r in results)
    cpu = after.cpu_seconds - before.cpu_seconds
    elapsed = after.at - before.at
    return {
        "clients": clients,
        "seconds": elapsed,
        "handshakes": done,
        "failed": sum(r[1] for r in results),
        "rate": done / elapsed if elapsed > 0 else 0.0,
        "haproxy_cpu_seconds": cpu,
        "cpu_per_handshake": cpu / done if done else None,
        "per_core": done / cpu if cpu > 0 else None,
        "cipher": next((list(r[2]) for r in results if r[2]), None),
    }


def parse_speed(text: str) -> dict[str, float]:
    """Operations per second from `openssl speed -mr` (+F4: ECDSA sign, +F5: ECDH)."""
    rates: dict[str, float] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if line.startswith("+F4:") and len(fields) >= 5 and fields[2] == "256":
            rates["ecdsa_p256_sign"] = float(fields[3])
        elif line.startswith("+F5:") and len(fields) >= 4 and fields[2] == "253":
            rates["x25519"] = float(fields[3])
    return rates


def handshake_crypto_seconds(rates: dict[str, float]) -> float:
    """Server-side public-key time per TLS 1.3 handshake: one signature, one agreement."""
    return 1 / rates["ecdsa_p256_sign"] + 1 / rates["x25519"]


def openssl_speed(prefix: list[str], openssl: str, seconds: int = 1) -> dict[str, float]:
    argv = [*prefix, openssl, "speed", "-seconds", str(seconds), "-mr", *OPENSSL_ALGORITHMS]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    rates = parse_speed(proc.stdout + proc.stderr)
    if set(rates) != {"ecdsa_p256_sign", "x25519"}:
        raise RuntimeError(f"{' '.join(argv[:3])}: no speed figures (exit {proc.returncode})")
    return rates


def armhf_root(cache: Path | None = None) -> Path | None:
    """An armhf Debian root file system with openssl in the lab's image cache, if any."""
    from bridge_cli.lab.image import cache_root

    root = cache or cache_root()
    candidates = sorted(root.glob("*armhf*/usr/bin/openssl")) if root.is_dir() else []
    return candidates[0].parents[2] if candidates else None


def pi_zero_estimate(per_core: float | None = None) -> dict:
    """The crypto ratio armhf-under-qemu : this machine (see the module's text)."""
    native = openssl_speed([], shutil.which("openssl") or "openssl")
    out: dict = {"native": native}
    qemu = shutil.which("qemu-arm-static") or shutil.which("qemu-arm")
    root = armhf_root()
    if not qemu or root is None:
        out["error"] = "no qemu-arm or no armhf root file system in the lab's image cache"
        return out
    emulated = openssl_speed([qemu, "-L", str(root)], str(root / "usr/bin/openssl"))
    out.update(
        emulated=emulated,
        root=str(root),
        ratio=handshake_crypto_seconds(emulated) / handshake_crypto_seconds(native),
    )
    return out
