"""A bridge as the inventory describes it: one place that reads a host's values.

The Ansible inventory is where a site's bridge is described (host, user, WiFi, country,
time zone, locale, PVS link and ports). `sdcard write -i INVENTORY --host NAME` and
`doctor -i INVENTORY --host NAME` read the same host's values here, through Ansible's own
inventory and variable code (so group_vars, host_vars and precedence are Ansible's), with
the roles' defaults underneath, so a user types each value once.

Values are validated by settings.py as everywhere else. Secrets are read only when the
inventory gives them and their vault can be opened; otherwise they are asked for as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bridge_cli.errors import BridgeInputError
from bridge_cli.resources import PROJECT_ROOT

# The roles whose defaults lie under the inventory's values (as when the playbook runs).
ROLES = ("bridge_base", "bridge_wifi", "bridge_pvs_link", "bridge_proxy", "bridge_mdns")


@dataclass(frozen=True)
class BridgeDescription:
    """The values of one bridge that the CLI needs (None: the inventory does not say)."""

    name: str
    address: str | None = None  # ansible_host, else the inventory name
    user: str | None = None  # ansible_user
    hostname: str | None = None
    wifi_ssid: str | None = None
    wifi_country: str | None = None
    timezone: str | None = None
    locale: str | None = None
    pvs_interface: str | None = None
    pvs_subnet: str | None = None
    http_port: int | None = None
    stats_port: int | None = None
    https_port: int | None = None
    secrets: dict[str, str] = field(default_factory=dict, repr=False)


# description field -> inventory variable
_VARS = {
    "address": "ansible_host",
    "user": "ansible_user",
    "hostname": "bridge_base_hostname",
    "wifi_ssid": "bridge_wifi_ssid",
    "wifi_country": "bridge_wifi_country",
    "timezone": "bridge_base_timezone",
    "locale": "bridge_base_locale",
    "pvs_interface": "bridge_pvs_link_interface",
    "pvs_subnet": "bridge_pvs_link_subnet",
    "http_port": "bridge_proxy_http_port",
    "stats_port": "bridge_proxy_stats_port",
    "https_port": "bridge_proxy_https_port",
}
_SECRETS = {"wifi_psk": "bridge_wifi_psk"}
_INTS = ("http_port", "stats_port", "https_port")


def role_defaults(root: Path = PROJECT_ROOT) -> dict:
    merged: dict = {}
    for role in ROLES:
        path = root / "roles" / role / "defaults" / "main.yml"
        if path.exists():
            merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def _host_vars(inventory: Path, host: str, vault_password_file: Path | None):
    # Imported here: loading Ansible costs a few hundred ms, only paid when -i is given.
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    if not inventory.exists():
        raise BridgeInputError("inventory", f"{str(inventory)!r} does not exist")
    loader = DataLoader()
    if vault_password_file is not None:
        from ansible.parsing.vault import get_file_vault_secret

        if not vault_password_file.is_file():
            raise BridgeInputError(
                "vault-password-file", f"{str(vault_password_file)!r} is not a file"
            )
        try:
            secret = get_file_vault_secret(
                filename=str(vault_password_file), vault_id="default", loader=loader
            )
            secret.load()
        except AnsibleError as exc:
            raise BridgeInputError("vault-password-file", _one_line(exc)) from None
        loader.set_vault_secrets([("default", secret)])
    try:
        inv = InventoryManager(loader=loader, sources=[str(inventory)])
        found = inv.get_host(host)
        if found is None:
            names = ", ".join(sorted(h.name for h in inv.get_hosts())) or "none"
            raise BridgeInputError("host", f"{host!r} is not in {inventory} (hosts: {names})")
        variables = VariableManager(loader=loader, inventory=inv).get_vars(
            host=found, include_hostvars=False
        )
    except AnsibleError as exc:
        text = _one_line(exc)
        if "vault" in text.lower() and vault_password_file is not None:
            raise BridgeInputError(
                "vault-password-file",
                f"the password in {vault_password_file} does not open {inventory}'s vault",
            ) from None
        if "vault" in text.lower():
            raise BridgeInputError(
                "inventory",
                f"{inventory} has vault-encrypted values; give --vault-password-file FILE "
                "(or leave the secrets out: they are then asked for)",
            ) from None
        raise BridgeInputError("inventory", text) from None
    return variables, Templar(loader=loader, variables=variables)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _resolve(templar, value):
    """A value as the play would see it; None when it cannot be resolved here (e.g. a
    template naming a vault variable whose vault is closed)."""
    if value is None:
        return None
    try:
        resolved = templar.template(value)
    except Exception:  # Ansible raises many kinds; an unresolvable value is simply absent
        return None
    if isinstance(resolved, str) and "{{" in resolved:
        return None
    return resolved


def read(
    inventory: Path, host: str, vault_password_file: Path | None = None
) -> BridgeDescription:
    """The bridge `host` as `inventory` (with the roles' defaults) describes it."""
    variables, templar = _host_vars(inventory, host, vault_password_file)
    merged = {**role_defaults(), **variables}
    values: dict = {}
    for name, var in _VARS.items():
        value = _resolve(templar, merged.get(var))
        if value in ("", None):
            continue
        if name in _INTS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise BridgeInputError(var, f"{value!r} in {inventory} is not a port") from None
        values[name] = value if name in _INTS else str(value)
    found_secrets = {}
    for name, var in _SECRETS.items():
        value = _resolve(templar, variables.get(var))
        if isinstance(value, str) and value:
            found_secrets[name] = value
    values.setdefault("address", host)
    return BridgeDescription(name=host, secrets=found_secrets, **values)


def apply_to_options(ctx, description: BridgeDescription, mapping: dict[str, str]) -> dict:
    """Click option values with the description's underneath: an option typed on the
    command line wins, the inventory comes next, the option's default last.

    `mapping`: option name -> description field."""
    from click.core import ParameterSource

    out = {}
    for option, attr in mapping.items():
        explicit = ctx.get_parameter_source(option) not in (None, ParameterSource.DEFAULT)
        value = getattr(description, attr)
        out[option] = ctx.params[option] if explicit or value is None else value
    return out


def inventory_options(what: str):
    """The `-i INVENTORY --host NAME` options, alike on every command that reads them;
    `what` says which values the command takes from the inventory."""
    import click

    def decorate(fn):
        fn = click.option(
            "--host", "inventory_host", metavar="NAME", help="The bridge's name in --inventory."
        )(fn)
        return click.option(
            "-i",
            "--inventory",
            type=click.Path(path_type=Path),
            metavar="INVENTORY",
            help=f"Take the host's {what} from this Ansible inventory (with --host); "
            "options given here still win.",
        )(fn)

    return decorate


def read_if_asked(inventory: Path | None, host: str | None, vault_password_file=None):
    """The description when -i/--host were given (both or neither), else None."""
    if inventory is None and host is None:
        return None
    if inventory is None or host is None:
        raise BridgeInputError("inventory", "--inventory and --host go together")
    return read(inventory, host, vault_password_file)
