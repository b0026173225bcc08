"""`bridge-cli sdcard ...`: thin click commands over bridge_cli.sdcard's functions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bridge_cli import description, secrets, settings
from bridge_cli.sdcard import config, detect, sshkeys, writer

PASSWORD = secrets.SecretSource(
    "password", secrets.PASSWORD_ENV, "password-file", "Login password for user {user}"
)
WIFI_PSK = secrets.SecretSource(
    "wifi-psk", secrets.WIFI_PSK_ENV, "wifi-psk-file", "WiFi passphrase for {ssid}"
)


@click.group()
def sdcard() -> None:
    """Prepare a Raspberry Pi OS SD card to boot headless onto your WiFi with SSH.

    \b
    1. Flash Raspberry Pi OS Lite with Raspberry Pi Imager (no OS customisation) or dd.
    2. Mount the card's boot partition (often /media/$USER/bootfs).
    3. bridge-cli sdcard write BOOT_DIR --wifi-ssid ... --wifi-country ...
    4. Eject, boot the Pi, then ssh USER@HOSTNAME.local.
    """


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # no stdin, or it is closed
        return False


def _prompt(text: str) -> str:
    """A hidden, confirmed prompt; "" when there is no answer (no terminal, Ctrl-D).

    Without a terminal on stdin nothing is asked: getpass would read the secret from the
    pipe with a Python warning that the input may be echoed. The caller then says how to
    give the secret instead (environment variable or file).
    """
    if not _stdin_is_terminal():
        return ""
    try:
        return click.prompt(
            text, hide_input=True, confirmation_prompt=True, default="", show_default=False
        )
    except (click.Abort, EOFError):
        click.echo("", err=True)
        return ""


def _source(src: secrets.SecretSource, **names: str) -> secrets.SecretSource:
    return secrets.SecretSource(
        src.field, src.env_var, src.file_option, src.prompt_text.format(**names)
    )


@sdcard.command(
    "write", short_help="Write first-boot files (user, SSH, WiFi) to a card's boot partition."
)
@click.argument("boot_dir", type=click.Path(path_type=Path))
@click.option(
    "--release",
    default="auto",
    show_default=True,
    metavar="auto|bullseye|bookworm|trixie",
    help="Raspberry Pi OS release on the card; auto reads it from the boot partition.",
)
@click.option(
    "--hostname",
    default=config.DEFAULT_HOSTNAME,
    show_default=True,
    help="Name of the Pi on your network (letters, digits, hyphens).",
)
@click.option(
    "--user",
    default=config.DEFAULT_USER,
    show_default=True,
    help="Login user to create (lower case; not root nor another system account).",
)
@click.option(
    "--ssh-key",
    "ssh_keys",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Public key file to authorise (repeatable), e.g. ~/.ssh/id_ed25519.pub.",
)
@click.option("--wifi-ssid", metavar="SSID", help="Name of your home WiFi (required).")
@click.option(
    "--wifi-country", metavar="CC", help="WiFi country, ISO 3166 code, e.g. US (required)."
)
@click.option(
    "--wifi-hidden",
    is_flag=True,
    help="The WiFi does not broadcast its name: the Pi probes for it by name.",
)
@click.option(
    "--timezone",
    metavar="TZ",
    help="Time zone, e.g. America/Los_Angeles (default: keep the image's).",
)
@click.option("--keymap", metavar="LAYOUT", help="Keyboard layout, e.g. us.")
@click.option("--locale", "locale_", metavar="LOCALE", help="Locale, e.g. en_US.UTF-8.")
@click.option(
    "--password-file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Read the login password from FILE (else $BRIDGE_PASSWORD, else a prompt).",
)
@click.option(
    "--wifi-psk-file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Read the WiFi passphrase from FILE (else $BRIDGE_WIFI_PSK, else a prompt).",
)
@description.inventory_options("name, user, WiFi, country, time zone and locale")
@click.option(
    "--vault-password-file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Opens the inventory's vault, so its WiFi passphrase is used too.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written (secrets masked).")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite files bridge-cli did not write; accept a folder without cmdline.txt.",
)
def write(
    boot_dir: Path,
    release: str,
    hostname: str,
    user: str,
    ssh_keys: tuple[Path, ...],
    wifi_ssid: str | None,
    wifi_country: str | None,
    wifi_hidden: bool,
    timezone: str | None,
    keymap: str | None,
    locale_: str | None,
    password_file: Path | None,
    wifi_psk_file: Path | None,
    inventory: Path | None,
    inventory_host: str | None,
    vault_password_file: Path | None,
    dry_run: bool,
    force: bool,
) -> None:
    """Write first-boot files to the mounted boot partition BOOT_DIR of a freshly
    flashed Raspberry Pi OS card, so the Pi boots onto your WiFi with SSH on.

    \b
    Per release:
      bullseye  ssh, userconf.txt, wpa_supplicant.conf
      bookworm  ssh, userconf.txt, custom.toml
      trixie    cloud-init user-data, network-config, meta-data
    and the WiFi country in cmdline.txt (Trixie: also ds=nocloud).

    Secrets never go on the command line. The login password comes from
    --password-file, else $BRIDGE_PASSWORD, else a hidden prompt (asked
    twice); the WiFi passphrase from --wifi-psk-file, else $BRIDGE_WIFI_PSK,
    else a prompt. Only hashes are written ($6$ crypt, 64-hex WiFi PSK).

    \b
    Example (you are asked for both secrets):
      bridge-cli sdcard write /media/$USER/bootfs --hostname pvs-bridge \\
          --user pi --wifi-ssid "Home WiFi" --wifi-country US \\
          --timezone America/Los_Angeles --ssh-key ~/.ssh/id_ed25519.pub

    Where a release's files have no field for a setting (e.g. Bullseye: host
    name, time zone; Bookworm: locale) the command says so: the Ansible roles
    set it later. Nothing is written unless every value is valid; files are
    written under temporary names and renamed, so the card gets all files or
    none. Running it twice gives the same card. --dry-run shows the files with
    the hashes masked. Then boot the Pi and log in with ssh USER@HOSTNAME.local
    (see README.md).
    """
    release = config.release_choice(release)
    inventory_psk = None
    described = description.read_if_asked(inventory, inventory_host, vault_password_file)
    if described is not None:
        ctx = click.get_current_context()
        values = description.apply_to_options(ctx, described, _FROM_INVENTORY)
        hostname, user, wifi_ssid = values["hostname"], values["user"], values["wifi_ssid"]
        wifi_country, timezone = values["wifi_country"], values["timezone"]
        locale_ = values["locale_"]
        inventory_psk = described.secrets.get("wifi_psk")
    card = config.validate(
        hostname=hostname,
        user=user,
        wifi_ssid=wifi_ssid,
        wifi_country=wifi_country,
        timezone=timezone,
        keymap=keymap,
        locale=locale_,
        wifi_hidden=wifi_hidden,
    )
    boot = detect.check_boot_dir(boot_dir, force, probe=not dry_run)
    if release == "auto":
        detection = detect.detect_release(boot_dir)
        click.echo(f"release: {detection.release} (found {detection.reason})")
        release = detection.release
        for warning in detection.warnings:
            click.echo(f"warning: {warning}", err=True)
    else:
        detect.check_image_date(boot_dir, release)
        mismatch = detect.mismatch(boot_dir, release)
        if mismatch:
            click.echo(f"warning: {mismatch}", err=True)
    keys = sshkeys.read_all(ssh_keys)
    password = _read(PASSWORD, password_file, user=card.user)
    settings.login_password(password.value)
    if inventory_psk is not None and wifi_psk_file is None and not os.environ.get(
        secrets.WIFI_PSK_ENV
    ):
        passphrase = secrets.SecretValue(inventory_psk, f"inventory {inventory}")
    else:
        passphrase = _read(WIFI_PSK, wifi_psk_file, ssid=repr(card.wifi_ssid))
    settings.wifi_passphrase(passphrase.value)

    plan = writer.plan(boot, release, card, keys, password.value, passphrase.value, force)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    if dry_run:
        click.echo(writer.mask(plan, render_dry_run(plan)))
        return
    written = writer.apply(plan)
    click.echo(render_result(plan, written))


# sdcard write option -> the bridge description's field (bridge_cli/description.py)
_FROM_INVENTORY = {
    "hostname": "hostname",
    "user": "user",
    "wifi_ssid": "wifi_ssid",
    "wifi_country": "wifi_country",
    "timezone": "timezone",
    "locale_": "locale",
}


def _read(src: secrets.SecretSource, file: Path | None, **names: str) -> secrets.SecretValue:
    value = secrets.read_secret(_source(src, **names), file, os.environ, _prompt)
    for warning in value.warnings:
        click.echo(f"warning: {warning}", err=True)
    return value


def _file_lines(plan: writer.Plan) -> list[str]:
    lines = []
    for f in plan.files:
        mode = f"mode {f.mode:04o}" if f.name != "cmdline.txt" else "edited on its one line"
        lines.append(f"  {f.name:<24} {f.status:<9} {mode}")
    return lines


def render_dry_run(plan: writer.Plan) -> str:
    out = [f"dry run: {plan.release} files for {plan.boot_dir} (nothing is written)"]
    out += _file_lines(plan)
    for f in plan.files:
        if f.name in ("cmdline.txt", "pvs-bridge-sdcard.json") or not f.changes:
            continue
        out.append(f"--- {f.name}")
        out.append(f.content.decode("utf-8").rstrip("\n") or "(empty file)")
    if plan.cmdline_after is not None and plan.cmdline_after != plan.cmdline_before:
        out += ["--- cmdline.txt (before)", plan.cmdline_before or "", "--- cmdline.txt (after)"]
        out.append(plan.cmdline_after)
    out += [f"note: {n}" for n in plan.notes]
    return "\n".join(out)


def render_result(plan: writer.Plan, written: tuple[str, ...]) -> str:
    if not written:
        out = [f"{plan.boot_dir}: already up to date, nothing written"]
    else:
        out = [f"wrote {plan.release} first-boot files to {plan.boot_dir}:"]
        out += _file_lines(plan)
    out += [f"note: {n}" for n in plan.notes]
    out.append(
        "next: eject the card, put it in the Pi, power it on, wait a few minutes (first boot "
        f"reboots once), then: ssh {plan.ssh_target}"
    )
    return "\n".join(out)
