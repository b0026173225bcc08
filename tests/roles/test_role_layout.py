"""The roles' conventions: prefixed, typed, documented variables; managed templates."""

from __future__ import annotations

import pytest
import yaml

from bridge_cli.provision import PROJECT_ROOT

ROLES = [
    "bridge_base",
    "bridge_network",
    "bridge_wifi",
    "bridge_pvs_link",
    "bridge_proxy",
    "bridge_mdns",
]
# Replaced by bridge_network_stack: still read in this release (with a warning), so still
# typed and documented, but without a default (bridge_network tells set from not set).
DEPRECATED = {"bridge_pvs_link_network_stack", "bridge_wifi_network_stack"}


def role_doc(role: str) -> str:
    """The role's README, generated from its argument specs (scripts/gen_reference.py)."""
    return (PROJECT_ROOT / "roles" / role / "README.md").read_text()


def defaults(role: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def specs(role: str) -> dict:
    path = PROJECT_ROOT / "roles" / role / "meta" / "argument_specs.yml"
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_is_prefixed_typed_and_documented(role):
    names = set(defaults(role))
    assert names, role
    assert all(name.startswith(f"{role}_") for name in names)
    options = specs(role)
    assert set(options) - DEPRECATED == names
    for name, option in options.items():
        assert option.get("type") and option.get("description"), name
        assert f"`{name}`" in role_doc(role), f"{name} missing from roles/{role}/README.md"


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_match_the_defaults_file(role):
    for name, value in defaults(role).items():
        option = specs(role)[name]
        if option.get("required") or (isinstance(value, str) and "{{" in value):
            continue
        assert option.get("default") == value, name


def test_templates_start_with_the_managed_comment():
    templates = list((PROJECT_ROOT / "roles").glob("*/templates/*.j2"))
    assert len(templates) >= 6
    for template in templates:
        # XML files (avahi services) cannot start with "#": they take the XML comment style.
        header = (
            "{{ ansible_managed | comment('xml') }}\n"
            if "<service-group>" in template.read_text()
            else ("{{ ansible_managed | comment }}\n")
        )
        assert template.read_text().startswith(header), template


def test_site_runs_wifi_last_so_its_change_is_applied_at_the_end():
    play = yaml.safe_load((PROJECT_ROOT / "playbooks" / "site.yml").read_text())[0]
    assert play["hosts"] == "bridges"
    assert [r["role"] for r in play["roles"]][-1] == "pvs_bridge.bridge.bridge_wifi"


def test_secrets_are_root_only():
    """Files that hold a PSK or a password hash are written 0600/0640, never world-readable."""
    for rel in ("bridge_wifi/tasks/wpa_supplicant.yml", "bridge_wifi/tasks/networkmanager.yml",
                "bridge_pvs_link/tasks/networkmanager.yml"):  # fmt: skip
        text = (PROJECT_ROOT / "roles" / rel).read_text()
        assert 'mode: "0600"' in text, rel
    proxy = (PROJECT_ROOT / "roles" / "bridge_proxy" / "tasks" / "main.yml").read_text()
    assert 'mode: "0640"' in proxy


def test_example_group_vars_show_the_defaults_unless_marked():
    """inventory.example/group_vars/bridges/main.yml promises its values are the defaults
    unless a comment says `default:`; an example that silently differs (a short cache TTL
    that would poll the PVS hard) misleads everyone who copies it."""
    path = PROJECT_ROOT / "inventory.example" / "group_vars" / "bridges" / "main.yml"
    values = yaml.safe_load(path.read_text())
    all_defaults = {name: value for role in ROLES for name, value in defaults(role).items()}
    checked = 0
    for line in path.read_text().splitlines():
        name = line.split(":", 1)[0]
        if name not in all_defaults or "default:" in line or "{{" in line:
            continue
        assert values[name] == all_defaults[name], f"{name}: {values[name]!r} is not the default"
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("bridge_network", "bridge_network_stack"),
        ("bridge_wifi", "bridge_wifi_network_stack"),
        ("bridge_pvs_link", "bridge_pvs_link_network_stack"),
    ],
)
def test_network_stack_choices_are_the_one_list(role, name):
    """The argument specs (YAML, read by Ansible) list the stacks settings.py knows."""
    from bridge_cli import settings

    choices = specs(role)[name]["choices"]
    assert choices == ["auto", *settings.NETWORK_STACKS]
    assert set(settings.RELEASE_NETWORK_STACK) == set(settings.RELEASES)
    assert set(settings.RELEASE_NETWORK_STACK.values()) == set(settings.NETWORK_STACKS)


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_deprecated_stack_variables_say_so_and_have_no_default(name):
    role = name.removesuffix("_network_stack")
    option = specs(role)[name]
    assert (
        option["description"].startswith("Deprecated")
        and "bridge_network_stack" in option["description"]
    )
    assert "default" not in option and name not in defaults(role)


# What only bridge_network may say: detecting the stack, and the stack's own commands.
STACK_KNOWLEDGE = (
    "service_facts",
    "network_stack(",
    "nmcli connection reload",
    "command: netplan generate",
    "dhcpcd -n",
    "state: reloaded",
)


def test_the_stack_is_one_role_that_both_link_roles_depend_on():
    """One place knows the stack: bridge_network, a dependency of both roles (so each still
    works alone); neither detects the stack itself nor keeps stack handlers of its own."""
    for role in ("bridge_pvs_link", "bridge_wifi"):
        meta = yaml.safe_load((PROJECT_ROOT / "roles" / role / "meta" / "main.yml").read_text())
        assert meta["dependencies"] == [{"role": "pvs_bridge.bridge.bridge_network"}], role
        for path in (PROJECT_ROOT / "roles" / role).rglob("*.y*ml"):
            text = path.read_text()
            for needle in STACK_KNOWLEDGE:
                assert needle not in text, (path, needle)
