"""The WiFi PSK as wpa_passphrase and Raspberry Pi Imager derive it (one place).

Stdlib and relative imports only: the Ansible collection carries a verbatim copy
(plugins/module_utils/pvs_bridge/), so the roles and the SD card derive the same PSK.
"""

from __future__ import annotations

import hashlib

from . import settings


def wifi_psk(ssid: str, passphrase: str) -> str:
    """The 64-hex raw PSK: PBKDF2-HMAC-SHA1(passphrase, ssid, 4096, 32).

    A passphrase that already is 64 hex digits is a raw PSK and is returned as is.
    """
    settings.ssid(ssid)
    passphrase = settings.wifi_passphrase(passphrase)
    if settings.is_raw_psk(passphrase):
        return passphrase
    return hashlib.pbkdf2_hmac(
        "sha1", passphrase.encode("ascii"), ssid.encode("utf-8"), 4096, 32
    ).hex()
