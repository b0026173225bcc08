"""How long a real PVS takes to answer (used when latency is "realistic")."""

from __future__ import annotations

from bridge_cli.simulator.model import SiteModel

SCAN_COMMANDS = ("DeviceList", "devices/list")
PER_INVERTER = 0.25  # DeviceList: 6-7 s for 24 panels in the guide
FIXED = {
    "Get_Comm": 0.4,
    "Start": 0.3,
    "GridProfileRefresh": 1.5,
    "supervisor/info": 0.05,
    "energy-storage-system/status": 0.6,
    "auth?login": 0.2,
    "auth?logout": 0.05,
}


def delay(command: str, params: dict[str, str], model: SiteModel) -> float:
    """Seconds a real PVS would spend on `command` (before the first byte)."""
    if model.new_firmware and command not in ("supervisor/info", "vars") and "auth" not in command:
        return 0.05  # the locked legacy API refuses at once (403)
    if command in SCAN_COMMANDS:
        return 0.3 + PER_INVERTER * model.inverters
    if command == "vars":
        if "match" in params:  # a match walks the whole varserver: slow on a real PVS
            return 0.2 + 0.02 * model.inverters
        return 0.05
    return FIXED.get(command, 0.15)
