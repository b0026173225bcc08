"""The 2025 firmware's side of the bridge: :443's mode and certificate, the PVS's pin, the
mDNS advertisement, what the guard lets through (issue 12).

From the home side (no SSH): the certificate :443 presents, its expiry. Over SSH (the same
single round trip as the other checks, `COMMANDS`): the proxy role's local facts
(/etc/ansible/facts.d/bridge_proxy.fact: HTTPS mode, the pinned PVS fingerprint, the guard's
allowlist), the fingerprint the PVS presents now (asked from the bridge, which is the only
host that reaches LAN1), avahi and the advertised service file. The judges are pure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import ssl

from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, fail, info, passed, skip, warn
from bridge_cli.pvs.client import mask_serial

FACTS = "/etc/ansible/facts.d/bridge_proxy.fact"
SERVICE_FILE = "/etc/avahi/services/pvs-bridge-pvs.service"  # bridge_mdns_service_file
RENEW_DAYS = 30  # bridge_proxy_tls_renew_days: provisioning renews within this window
PVS_HTTPS_PORT = 443  # the PVS's own HTTPS port (the facts do not record it)
REPIN = "bridge-cli provision ... -e bridge_proxy_pvs_repin=true"

COMMANDS: dict[str, str] = {
    "proxy_facts": f"cat {FACTS}",
    # The PVS address from the facts (to_nice_json: one key per line), else the default.
    "pvs_cert": (
        f'a=$(sed -n \'s/.*"pvs_address": *"\\([^"]*\\)".*/\\1/p\' {FACTS} 2>/dev/null);'
        f' timeout 10 openssl s_client -connect "${{a:-172.27.153.1}}:{PVS_HTTPS_PORT}"'
        " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"
    ),
    "avahi": "systemctl is-active avahi-daemon",
    "mdns_service": f"cat {SERVICE_FILE}",
}


# ---- reading ---------------------------------------------------------------------------


def presented_certificate(address: str, port: int, timeout: float) -> dict:
    """What :443 presents (no verification: the doctor only looks): CN, expiry, SHA-256."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from bridge_cli.bridge_tls import fingerprint

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((address, port), timeout=timeout) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    cert = x509.load_der_x509_certificate(der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {
        "cn": str(names[0].value) if names else "",
        "not_after": cert.not_valid_after_utc,
        "sha256": fingerprint(cert),
    }


def parse_facts(rc: int, text: str) -> dict | None:
    if rc != 0:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def parse_fingerprint(text: str) -> str:
    """'sha256 Fingerprint=AB:CD...' (openssl 3) or 'SHA256 Fingerprint=...' -> 'AB:CD...'."""
    for line in text.splitlines():
        if "fingerprint=" in line.lower():
            return line.split("=", 1)[1].strip().upper()
    return ""


def parse_service(text: str) -> dict:
    kind = re.search(r"<type>\s*([^<\s]+)\s*</type>", text)
    serial = re.search(r"serialnum=([^<\s]+)", text)
    return {"type": kind.group(1) if kind else "", "serial": serial.group(1) if serial else ""}


# ---- judging (pure) --------------------------------------------------------------------


def judge_https(
    cert: dict | None, error: str, facts: dict | None, new_firmware: bool | None, now: dt.datetime
) -> Finding:
    mode = (facts or {}).get("https_mode")
    pin = (facts or {}).get("pvs_pin_sha256") or ""
    if cert is None:
        if mode in ("off", None) and not new_firmware:
            return info("bridge.https", f"nothing answers TLS on :443 ({error}): legacy API only")
        return fail(
            "bridge.https",
            f":443 does not answer TLS ({error}): 2025-firmware clients cannot reach the PVS",
            "re-run `bridge-cli provision` (bridge_proxy_https_mode: terminate)",
        )
    if mode is None:  # no SSH: tell by the certificate alone
        mode = "passthrough" if pin and cert["sha256"] == pin else "unknown"
    if mode == "passthrough" or (pin and cert["sha256"] == pin):
        return info(
            "bridge.https",
            ":443 passed through: TLS ends at the PVS (its own certificate); the guard, the"
            " queue and gzip do not apply to the 2025 API",
            f"presented: CN={cert['cn']}, SHA256 {cert['sha256']}",
        )
    left = cert["not_after"] - now
    days = left.days
    until = cert["not_after"].strftime("%Y-%m-%d")
    how = "terminated on the bridge" if mode == "terminate" else "TLS answered (mode unknown)"
    detail = f"CN={cert['cn']}, SHA256 {cert['sha256']}"
    if left.total_seconds() <= 0:
        return fail(
            "bridge.https",
            f":443 {how}: its certificate EXPIRED on {until}: clients refuse it",
            "re-run `bridge-cli provision`: the role makes a new one",
            detail,
        )
    if days < RENEW_DAYS:
        return warn(
            "bridge.https",
            f":443 {how}: its certificate expires in {days} days ({until})",
            f"re-run `bridge-cli provision`: the role renews it within {RENEW_DAYS} days of expiry",
            detail,
        )
    return passed(
        "bridge.https", f":443 {how}; its certificate is valid until {until} ({days} days)", detail
    )


def judge_pin(facts: dict | None, presented: str) -> Finding:
    if facts is None:
        return skip("ssh.pvs_pin", f"no {FACTS} on the bridge (provisioned by an older role)")
    pin = (facts.get("pvs_pin_sha256") or "").upper()
    if not pin:
        return info(
            "ssh.pvs_pin",
            "no PVS certificate pinned (legacy firmware has no HTTPS; a later provisioning"
            " pins it once the PVS answers on 443)",
        )
    if not presented:
        return warn(
            "ssh.pvs_pin",
            f"the PVS presented no certificate on {PVS_HTTPS_PORT} (from the bridge)",
            "see pvs.info: the PVS may be restarting; legacy firmware has no HTTPS",
            f"pinned: SHA256 {pin}",
        )
    if presented != pin:
        return fail(
            "ssh.pvs_pin",
            "the PVS presents a certificate other than the one pinned at provisioning:"
            " the terminated :443 answers 503",
            f"if the PVS was replaced, pin the new one: `{REPIN}`; otherwise find out what"
            " answers on LAN1",
            f"pinned: SHA256 {pin}\npresented: SHA256 {presented}",
        )
    return passed("ssh.pvs_pin", "the PVS's certificate matches the pin", f"SHA256 {pin}")


def judge_mdns(avahi: tuple[int, str], service: tuple[int, str]) -> Finding:
    active = avahi[1].strip() == "active"
    if service[0] != 0:
        return info(
            "ssh.mdns",
            "the PVS is not advertised over mDNS (bridge_mdns_advertise_pvs: false, or not"
            " provisioned with bridge_mdns)"
            + ("" if active else "; avahi-daemon is not running either"),
        )
    found = parse_service(service[1])
    what = f"{found['type'] or '?'} serialnum={mask_serial(found['serial'])}"
    if not active:
        return fail(
            "ssh.mdns",
            f"the advertisement ({what}) is there but avahi-daemon is {avahi[1].strip() or '?'}:"
            " clients' auto-discovery finds nothing",
            "`sudo systemctl restart avahi-daemon` on the bridge, or re-run `bridge-cli provision`",
        )
    return passed("ssh.mdns", f"the PVS is advertised over mDNS as {what}, pointing at the bridge")


def judge_guard_allows(facts: dict | None) -> Finding:
    if facts is None:
        return skip("ssh.guard_allows", f"no {FACTS} on the bridge")
    if facts.get("allow_writes"):
        return warn(
            "ssh.guard_allows",
            "the guard lets every write through (bridge_proxy_allow_writes: true)",
            "set bridge_proxy_allow_writes: false and list only the writes you need in"
            " bridge_proxy_allowed_sets",
        )
    sets = facts.get("allowed_sets") or []
    listed = ", ".join(sets) if sets else "none"
    where = (
        "legacy :80 and the terminated :443" if facts.get("https_mode") == "terminate" else ":80"
    )
    return info(
        "ssh.guard_allows",
        f"read-only on {where}; 2025-API writes let through: {listed}",
    )


# ---- the checks ------------------------------------------------------------------------


def _output(ctx: Context, name: str) -> tuple[int, str]:
    return ctx.get("ssh_outputs", {}).get(name, (-1, ""))


def _facts(ctx: Context) -> dict | None:
    if ctx.get("ssh_outputs") is None:
        return None
    return parse_facts(*_output(ctx, "proxy_facts"))


def check_https(ctx: Context) -> Finding:
    o = ctx.options
    sup = ctx.get("supervisor_info")
    try:
        cert, error = presented_certificate(o.address, o.https_port, max(o.timeout, 3.0)), ""
    except (OSError, ValueError) as exc:
        cert, error = None, f"{type(exc).__name__}: {exc}"
    new = getattr(sup, "new_firmware", None)
    return judge_https(cert, error, _facts(ctx), new, dt.datetime.now(dt.UTC))


def check_pin(ctx: Context) -> Finding:
    return judge_pin(_facts(ctx), parse_fingerprint(_output(ctx, "pvs_cert")[1]))


def check_mdns(ctx: Context) -> Finding:
    return judge_mdns(_output(ctx, "avahi"), _output(ctx, "mdns_service"))


def check_guard_allows(ctx: Context) -> Finding:
    return judge_guard_allows(_facts(ctx))
