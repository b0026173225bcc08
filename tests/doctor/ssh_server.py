"""A small real SSH server (paramiko) for the doctor's SSH tests: public-key auth for one
key, `exec` requests run with /bin/sh in this process's network namespace.

Run: python ssh_server.py ADDRESS PORT HOST_KEY AUTHORIZED_PUBKEY_FILE USER
Prints "ready" when listening; serves until killed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import paramiko


class Server(paramiko.ServerInterface):
    def __init__(self, user: str, key: paramiko.PKey):
        self.user, self.key = user, key
        self.command: bytes | None = None
        self.event = threading.Event()

    def check_auth_publickey(self, username, key):
        if username == self.user and key.asbytes() == self.key.asbytes():
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "publickey"

    def check_channel_request(self, kind, chanid):
        return (
            paramiko.OPEN_SUCCEEDED
            if kind == "session"
            else paramiko.OPEN_FAILED_UNKNOWN_CHANNEL_TYPE
        )  # noqa: E501

    def check_channel_exec_request(self, channel, command):
        self.command = command
        self.event.set()
        return True


def serve(conn: socket.socket, host_key: paramiko.PKey, user: str, key: paramiko.PKey) -> None:
    t = paramiko.Transport(conn)
    t.add_server_key(host_key)
    server = Server(user, key)
    try:
        t.start_server(server=server)
    except (paramiko.SSHException, EOFError):
        return
    chan = t.accept(20)
    if chan is None or not server.event.wait(10):
        t.close()
        return
    proc = subprocess.Popen(
        ["/bin/sh", "-c", server.command.decode()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def pump_in():
        while True:
            data = chan.recv(65536)
            if not data:
                break
            proc.stdin.write(data)
            proc.stdin.flush()
        proc.stdin.close()

    threading.Thread(target=pump_in, daemon=True).start()
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        chan.sendall(chunk)
    chan.send_exit_status(proc.wait())
    chan.shutdown_write()
    chan.close()
    t.close()


def main() -> None:
    address, port, host_key_file, pub_file, user = sys.argv[1:6]
    host_key = paramiko.RSAKey.from_private_key_file(host_key_file)
    with open(pub_file) as fh:
        kind, b64 = fh.read().split()[:2]
    key = paramiko.PKey.from_type_string(kind, __import__("base64").b64decode(b64))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, int(port)))
    sock.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn, host_key, user, key), daemon=True).start()


if __name__ == "__main__":
    main()
