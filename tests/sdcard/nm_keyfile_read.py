"""Print a NetworkManager keyfile as libnm reads it, as JSON (run with Debian's python3).

NM.keyfile_read is libnm's own keyfile reader (the one NetworkManager's keyfile plugin
uses), from gir1.2-nm-1.0 through python3-gi: it is not importable from the project's venv,
so the tests run this file with /usr/bin/python3.
"""

import json
import os
import sys

import gi

gi.require_version("NM", "1.0")
from gi.repository import NM, GLib  # noqa: E402


def main(path: str) -> None:
    kf = GLib.KeyFile()
    kf.load_from_file(path, GLib.KeyFileFlags.NONE)
    conn = NM.keyfile_read(kf, os.path.dirname(os.path.abspath(path)),
                           NM.KeyfileHandlerFlags.NONE, None, None)  # fmt: skip
    s_con = conn.get_setting_connection()
    out = {"id": s_con.get_id(), "interface": s_con.get_interface_name(),
           "type": s_con.get_connection_type()}  # fmt: skip
    wifi = conn.get_setting_wireless()
    if wifi is not None:
        out["ssid_hex"] = bytes(wifi.get_ssid().get_data()).hex()
        out["hidden"] = wifi.get_hidden()
        sec = conn.get_setting_wireless_security()
        out["key_mgmt"] = sec.get_key_mgmt() if sec else None
        out["psk"] = sec.get_psk() if sec else None
    ip4 = conn.get_setting_ip4_config()
    if ip4 is not None:
        out["ipv4"] = {
            "method": ip4.get_method(),
            "never_default": ip4.get_never_default(),
            "ignore_auto_routes": ip4.get_ignore_auto_routes(),
            "ignore_auto_dns": ip4.get_ignore_auto_dns(),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
