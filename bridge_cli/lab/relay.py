"""A stdin/stdout <-> TCP relay: SSH's ProxyCommand into a lab namespace.

Run as `ip netns exec <home-ns> python -m bridge_cli.lab.relay HOST PORT`: ssh (in the host
namespace) talks over this process's stdin/stdout, and the TCP connection is made from
inside the home namespace, so the host namespace needs no route to the lab.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading


def _pump_in(sock: socket.socket) -> None:
    try:
        while data := os.read(0, 65536):
            sock.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


def relay(host: str, port: int, timeout: float = 10.0) -> int:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        print(f"relay: cannot connect to {host}:{port}: {exc}", file=sys.stderr)
        return 255
    sock.settimeout(None)
    threading.Thread(target=_pump_in, args=(sock,), daemon=True).start()
    try:
        while data := sock.recv(65536):
            view = memoryview(data)
            while view:
                view = view[os.write(1, view) :]
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m bridge_cli.lab.relay HOST PORT", file=sys.stderr)
        return 2
    return relay(args[0], int(args[1]))


if __name__ == "__main__":
    sys.exit(main())
