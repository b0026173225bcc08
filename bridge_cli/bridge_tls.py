"""The bridge's TLS files: its own certificate for :443, the PVS's pinned certificate.

On the Pi the bridge_proxy role makes them with the openssl command line; this module is
what the role's checks (through the collection's filter plugin) and the tests use: validation of a
user's own certificate and key (one line naming the field), SHA-256 fingerprints, and a
self-signed bridge certificate for loopback tests.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Relative imports only: the collection carries a verbatim copy (plugins/module_utils).
from .errors import BridgeInputError


def load_certificate(path: str | Path, field: str) -> x509.Certificate:
    """The first PEM certificate in PATH; BridgeInputError(FIELD) when there is none."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BridgeInputError(field, f"cannot read {path}: {exc.strerror}") from None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise BridgeInputError(field, f"{path} is not a PEM certificate") from None


def check_key_matches(cert_path: str | Path, key_path: str | Path, field: str) -> None:
    """The key in KEY_PATH is a PEM private key (not encrypted) for the certificate."""
    cert = load_certificate(cert_path, field.replace("_key", "_certificate"))
    try:
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except OSError as exc:
        raise BridgeInputError(field, f"cannot read {key_path}: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise BridgeInputError(field, f"{key_path} is not an unencrypted PEM private key") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.PEM, public) != cert.public_key(
    ).public_bytes(serialization.Encoding.PEM, public):  # fmt: skip
        raise BridgeInputError(field, f"{key_path} is not the key of {cert_path}")


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as openssl prints it (AB:CD:...)."""
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def presented_certificate(host: str, port: int, timeout: float = 5.0) -> str:
    """The PEM certificate a TLS server presents (no verification: this is what is pinned)."""
    return ssl.get_server_certificate((host, port), timeout=timeout)


def self_signed(
    name: x509.Name, alt_names: list[x509.GeneralName], days: int, backdate: datetime.timedelta
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed EC P-256 certificate (SHA-256) for `name` with these SANs, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - backdate)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_self_signed(
    pem_path: Path, hostname: str, addresses: list[str], days: int = 825
) -> x509.Certificate:
    """A bridge certificate + key in one PEM file (mode 0600), as the role makes it."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    alt: list[x509.GeneralName] = [x509.DNSName(hostname), x509.DNSName(f"{hostname}.local")]
    alt += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert, key = self_signed(name, alt, days, datetime.timedelta(minutes=5))
    fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
        out.write(key_pem(key))
    return cert
