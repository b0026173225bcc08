"""The 2025 firmware's side of the bridge: :443's mode and certificate, the PVS's pin, the
mDNS advertisement, what the guard lets through (issue 12).

From the home side (no SSH): the certificate :443 presents, its expiry. Over SSH (the same
single round trip as the other checks, `COMMANDS`): the proxy role's local facts, read by the
shared `facts` command (ssh_parsers: bridge_proxy.fact: HTTPS mode, first-use pinning, the
guard's allowlist; bridge_proxy_pin.fact: the pinned PVS fingerprint, by whom and when), the
fingerprint the PVS presents now (asked from the bridge, which is the only host that reaches
LAN1), avahi and the advertised service file. The judges are pure.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl

from bridge_cli.doctor import ssh_parsers
from bridge_cli.doctor.context import Context
from bridge_cli.doctor.findings import Finding, fail, info, passed, skip, warn
from bridge_cli.pvs.client import mask_serial

FACTS = "/etc/ansible/facts.d/bridge_proxy.fact"
PROXY_FACT, PIN_FACT = "bridge_proxy", "bridge_proxy_pin"  # their names in ssh_parsers' facts
SERVICE_FILE = "/etc/avahi/services/pvs-bridge-pvs.service"  # bridge_mdns_service_file
RENEW_DAYS = 30  # bridge_proxy_tls_renew_days: provisioning renews within this window
PVS_HTTPS_PORT = 443  # the PVS's own HTTPS port (the facts do not record it)
REPIN = "bridge-cli provision -i <inventory> -e bridge_proxy_pvs_repin=true"
PIN_UNITS = "pvs-bridge-pin.timer pvs-bridge-pin.service"

COMMANDS: dict[str, str] = {
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


def proxy_facts(facts: dict[str, dict]) -> dict | None:
    """The proxy role's facts with the pin's record merged in (None: no bridge_proxy.fact).
    The pin is recorded by pvs-bridge-pin (bridge_proxy_pin.fact: pvs_pin_sha256, pinned_by,
    pinned_at); a bridge provisioned by an older role has pvs_pin_sha256 in bridge_proxy.fact."""
    proxy = facts.get(PROXY_FACT)
    if proxy is None:
        return None
    return {**proxy, **facts.get(PIN_FACT, {})}


def pin_refused(facts: dict | None, presented: str) -> bool:
    """The PVS presents a certificate other than the pinned one (haproxy refuses it)."""
    pin = ((facts or {}).get("pvs_pin_sha256") or "").upper()
    return bool(pin and presented and presented != pin)


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
    cert: dict | None,
    error: str,
    facts: dict | None,
    new_firmware: bool | None,
    now: dt.datetime,
    refused: bool = False,
) -> Finding:
    """`refused`: the PVS presents a certificate other than the pinned one (from SSH)."""
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
    if refused:
        return fail(
            "bridge.https",
            f":443 {how} answers 503: the PVS presents a certificate other than the pinned one,"
            " which the bridge never trusts by itself (see ssh.pvs_pin)",
            f"if the PVS was replaced (or reset), pin the new one: `{REPIN}`",
            detail,
        )
    return passed(
        "bridge.https", f":443 {how}; its certificate is valid until {until} ({days} days)", detail
    )


def judge_pin(facts: dict | None, presented: str) -> Finding:
    if facts is None:
        return skip("ssh.pvs_pin", f"no {FACTS} on the bridge (provisioned by an older role)")
    mode = facts.get("https_mode")
    if mode in ("passthrough", "off"):
        return info("ssh.pvs_pin", f":443 is {mode} on the bridge: no PVS certificate is pinned")
    pin = (facts.get("pvs_pin_sha256") or "").upper()
    first_use = bool(facts.get("pvs_pin_on_first_use"))
    if not pin:
        if not presented:
            if first_use:
                return info(
                    "ssh.pvs_pin",
                    "no PVS certificate pinned yet (legacy firmware has no HTTPS): the bridge"
                    " pins the first one the PVS presents on 443, by itself (pvs-bridge-pin.timer)",
                )
            return info(
                "ssh.pvs_pin",
                "no PVS certificate pinned (legacy firmware has no HTTPS; a later provisioning"
                " pins it once the PVS answers on 443)",
            )
        if first_use:
            return warn(
                "ssh.pvs_pin",
                "the PVS presents a certificate but none is pinned yet: :443 answers 503 until"
                " the bridge's next look pins it (pvs-bridge-pin.timer)",
                f"if this stays, see `systemctl status {PIN_UNITS}` on the bridge; or pin it now:"
                " `bridge-cli provision -i <inventory>`",
                f"presented: SHA256 {presented}",
            )
        return warn(
            "ssh.pvs_pin",
            "the PVS presents a certificate but none is pinned: :443 answers 503"
            " (bridge_proxy_pvs_pin_on_first_use is off)",
            "pin it: `bridge-cli provision -i <inventory>`",
            f"presented: SHA256 {presented}",
        )
    how = _pinned_how(facts)
    if not presented:
        return warn(
            "ssh.pvs_pin",
            f"the PVS presented no certificate on {PVS_HTTPS_PORT} (from the bridge)",
            "see pvs.info: the PVS may be restarting; legacy firmware has no HTTPS",
            f"pinned{how}: SHA256 {pin}",
        )
    if presented != pin:
        return fail(
            "ssh.pvs_pin",
            "the PVS presents a certificate other than the pinned one: the terminated :443"
            " answers 503 (a changed certificate is never trusted by itself)",
            f"if the PVS was replaced (or reset), pin the new one: `{REPIN}`; otherwise find out"
            " what answers on LAN1",
            f"pinned{how}: SHA256 {pin}\npresented: SHA256 {presented}",
        )
    return passed("ssh.pvs_pin", "the PVS's certificate matches the pin", f"SHA256 {pin}{how}")


def _pinned_how(facts: dict) -> str:
    """' (on first presentation, 2026-12-02T10:00:00Z)' from the pin's record, if any."""
    by, at = facts.get("pinned_by"), facts.get("pinned_at")
    if not by:
        return ""
    by = "on first presentation" if by == "first presentation" else f"at {by}"
    return f" ({by}{', ' + at if at else ''})"


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
    return proxy_facts(ssh_parsers.parse_facts(_output(ctx, "facts")[1]))


def _presented(ctx: Context) -> str:
    return parse_fingerprint(_output(ctx, "pvs_cert")[1])


def check_https(ctx: Context) -> Finding:
    o = ctx.options
    sup = ctx.get("supervisor_info")
    try:
        cert, error = presented_certificate(o.address, o.https_port, max(o.timeout, 3.0)), ""
    except (OSError, ValueError) as exc:
        cert, error = None, f"{type(exc).__name__}: {exc}"
    new = getattr(sup, "new_firmware", None)
    facts = _facts(ctx)
    refused = pin_refused(facts, _presented(ctx))
    return judge_https(cert, error, facts, new, dt.datetime.now(dt.UTC), refused)


def check_pin(ctx: Context) -> Finding:
    return judge_pin(_facts(ctx), _presented(ctx))


def check_mdns(ctx: Context) -> Finding:
    return judge_mdns(_output(ctx, "avahi"), _output(ctx, "mdns_service"))


def check_guard_allows(ctx: Context) -> Finding:
    return judge_guard_allows(_facts(ctx))
