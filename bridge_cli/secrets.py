"""Secrets: WiFi PSK hashing, crypt(3) password hashes, and reading secrets safely.

Secrets never come from the command line: they come from an environment variable, a file,
or a hidden prompt. Only hashed forms are ever written anywhere.
"""

from __future__ import annotations

import hashlib

from passlib.hash import sha512_crypt

from bridge_cli import settings


def wifi_psk(ssid: str, passphrase: str) -> str:
    """The 64-hex raw PSK that wpa_passphrase and Raspberry Pi Imager write.

    A passphrase that already is 64 hex digits is a raw PSK and is returned as is.
    """
    settings.ssid(ssid)
    passphrase = settings.wifi_passphrase(passphrase)
    if settings.is_raw_psk(passphrase):
        return passphrase
    return hashlib.pbkdf2_hmac(
        "sha1", passphrase.encode("ascii"), ssid.encode("utf-8"), 4096, 32
    ).hex()


def crypt_sha512(password: str) -> str:
    """A SHA-512 crypt hash ($6$...) that chpasswd -e, userconf and cloud-init accept."""
    return sha512_crypt.using(rounds=5000).hash(password)
