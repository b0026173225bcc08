"""Checks on the bridge over SSH (paramiko, key auth), one round trip for all commands.

Host-key policy: keys are checked against ~/.ssh/known_hosts (or --ssh-known-hosts). A
host that is not listed is accepted for this run and reported as a warning with its key
fingerprint (trust on first use, nothing written); --ssh-strict refuses it instead. A host
whose key differs from the listed one is always refused (possible impersonation).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path

from bridge_cli.doctor import newfw, onbridge, ssh_parsers
from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, fail, passed, warn

# The checks of the bridge itself (onbridge, shared with verify.yml) plus the doctor's
# 2025-firmware checks (newfw: certificate pin, mDNS, guard), in one SSH round trip.
DOCTOR_SCRIPT = ssh_parsers.build_script({**ssh_parsers.COMMANDS, **newfw.COMMANDS})


def fingerprint(key) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _policy(strict: bool, seen: dict):
    import paramiko

    class RecordPolicy(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client, hostname, key):
            seen["unknown_key"] = f"{key.get_name()} {fingerprint(key)}"
            if strict:
                raise paramiko.SSHException(f"host key for {hostname} is not in known_hosts")

    return RecordPolicy()


def load_private_key(path: Path):
    """A paramiko key from a file; raises ValueError naming what is wrong."""
    import paramiko

    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key_file(str(path))
        except paramiko.PasswordRequiredException:
            raise ValueError(
                "the key is encrypted; load it into ssh-agent and omit --ssh-key"
            ) from None
        except (paramiko.SSHException, ValueError):
            continue
    raise ValueError("no private key in this file (a .pub file or another format?)")


def quiet_paramiko() -> None:
    """paramiko logs a failed handshake's traceback from its transport thread; with no
    logging configured Python prints it on stderr. The finding says what went wrong."""
    log = logging.getLogger("paramiko")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False


def run_ssh(ctx: Context) -> tuple[dict, dict]:
    """Connect and run the whole script. Returns (outputs, facts)."""
    import paramiko

    quiet_paramiko()
    o = ctx.options
    seen: dict = {}
    client = paramiko.SSHClient()
    known = o.ssh_known_hosts or Path.home() / ".ssh" / "known_hosts"
    if known.exists():
        client.load_host_keys(str(known))
    client.set_missing_host_key_policy(_policy(o.ssh_strict, seen))
    pkey = load_private_key(o.ssh_key) if o.ssh_key else None
    try:
        client.connect(
            o.address,
            port=o.ssh_port,
            username=o.ssh_user,
            pkey=pkey,
            look_for_keys=pkey is None,
            allow_agent=pkey is None,
            timeout=o.timeout,
            banner_timeout=o.timeout,
            auth_timeout=o.timeout,
        )
    except paramiko.SSHException as exc:
        # When the handshake dies in the transport thread, connect() reports a later
        # symptom ("No existing session"); the transport kept the real cause.
        transport = client.get_transport()
        saved = getattr(transport, "saved_exception", None) if transport else None
        client.close()
        if (
            saved is not None
            and saved is not exc
            and not isinstance(
                exc, (paramiko.BadHostKeyException, paramiko.AuthenticationException)
            )
        ):
            raise saved from None
        raise
    try:
        chan = client.get_transport().open_session(timeout=o.timeout)
        chan.settimeout(max(o.timeout * 3, 10.0))
        chan.exec_command("sh -s")
        chan.sendall(DOCTOR_SCRIPT.encode())
        chan.shutdown_write()
        chunks = []
        while True:
            data = chan.recv(65536)
            if not data:
                break
            chunks.append(data)
        stdout = b"".join(chunks).decode("utf-8", "replace")
    finally:
        client.close()
    return ssh_parsers.split_script_output(stdout), seen


def check_connect(ctx: Context) -> Finding:
    import paramiko

    o = ctx.options
    target = f"{o.ssh_user}@{o.address}:{o.ssh_port}"
    default_keys = o.ssh_key is None
    hint_auth = (
        "pass --ssh-key FILE (the key `bridge-cli sdcard write` installed) and --ssh-user, "
        "or --no-ssh"
    )
    try:
        try:
            outputs, seen = run_ssh(ctx)
        except paramiko.ssh_exception.NoValidConnectionsError as exc:
            errs = list(exc.errors.values())
            if errs and all(
                isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == 111
                for e in errs
            ):
                raise ConnectionRefusedError() from None
            raise
    except paramiko.BadHostKeyException as exc:
        return fail(
            "ssh.connect",
            f"{target}: the host key CHANGED since it was saved in known_hosts: refusing",
            "if the bridge was re-imaged: `ssh-keygen -R <host>`; otherwise someone may be "
            "impersonating it",
            str(exc),
        )
    except paramiko.AuthenticationException as exc:
        f = fail if not default_keys else warn
        return f("ssh.connect", f"{target}: key authentication refused", hint_auth, str(exc))
    except TimeoutError:
        return fail(
            "ssh.connect",
            f"{target}: no SSH answer within {o.timeout:g} s",
            "is the bridge on? (see bridge.http)",
        )
    except ConnectionRefusedError:
        return fail(
            "ssh.connect",
            f"{target}: SSH refused: the host is up but sshd is not listening",
            "enable SSH on the bridge (the sdcard writer does), or use --no-ssh",
        )
    except (OSError, paramiko.SSHException, EOFError) as exc:
        # "No existing session": connect() gave up waiting for the handshake (--timeout).
        if "protocol banner" in str(exc) or "No existing session" in str(exc):
            return fail(
                "ssh.connect",
                f"{target}: the port accepts connections but no SSH handshake within"
                f" {o.timeout:g} s: not sshd (wrong --ssh-port?), or sshd is overloaded",
                "check --ssh-port (the bridge's sshd listens on 22); if it is right, the"
                " bridge is overloaded: look at it with a monitor and keyboard",
                f"{exc.__class__.__name__}: {exc}",
            )
        if "No authentication methods available" in str(exc):
            return fail(
                "ssh.connect",
                f"{target}: no SSH key to offer (no --ssh-key, no ssh-agent key, no ~/.ssh/id_*)",
                hint_auth,
            )
        return fail(
            "ssh.connect",
            f"{target}: SSH failed: {exc.__class__.__name__}: {exc}",
            hint_auth,
        )
    ctx.put("ssh_outputs", outputs)
    if seen.get("unknown_key"):
        return warn(
            "ssh.connect",
            f"connected to {target}, but its host key is not in known_hosts (accepted for this"
            " run only)",
            f"verify and save it: `ssh-keyscan {o.address} >> ~/.ssh/known_hosts`, then "
            "compare the fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on"
            " the bridge; --ssh-strict refuses unknown hosts",
            seen["unknown_key"],
        )
    return passed("ssh.connect", f"SSH to {target} (host key known)")


def _judge(check_id: str):
    """A doctor check (over SSH) that judges with the one on-bridge implementation."""

    def check(ctx: Context) -> Finding:
        o = ctx.options
        interface = o.pvs_interface if o.pvs_interface_given else None
        return onbridge.judge(check_id, ctx.get("ssh_outputs", {}), interface)

    check.__doc__ = f"{check_id}: see bridge_cli.doctor.onbridge.JUDGES."
    return check


check_lease = _judge("ssh.eth0_lease")
check_default_route = _judge("ssh.default_route")
check_resolv = _judge("ssh.resolv")
check_forward = _judge("ssh.ip_forward")
check_haproxy = _judge("ssh.haproxy")
check_clock = _judge("ssh.clock")
check_disk = _judge("ssh.disk")
check_memory = _judge("ssh.memory")
check_power = _judge("ssh.power")
check_wifi = _judge("ssh.wifi")
check_temperature = _judge("ssh.temperature")
check_uptime = _judge("ssh.uptime")
check_sdcard = _judge("ssh.sdcard")
