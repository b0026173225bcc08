"""Item 2: bytes on the wire for DeviceList with and without `Accept-Encoding: gzip`.

For each inverter count a simulator (latency off) runs behind the role's haproxy on
loopback; the same GET is sent twice on fresh connections and every received byte is
counted (wire.get). The gzipped answer is decompressed and must be the same device list.
"""

from __future__ import annotations

from bridge_cli.errors import BridgeFailure
from harness.bench import loopback, wire
from harness.bench.stats import saving

DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"


def measure_one(host: str, port: int, inverters: int | None = None) -> dict:
    """Plain vs gzip wire sizes of one DeviceList through the proxy at host:port."""
    plain = wire.get(host, port, DEVICE_LIST)
    packed = wire.get(host, port, DEVICE_LIST, {"Accept-Encoding": "gzip"})
    for label, answer in (("plain", plain), ("gzip", packed)):
        if answer.status != 200:
            raise BridgeFailure(f"compression: {label} DeviceList answered HTTP {answer.status}")
    if packed.encoding != "gzip":
        raise BridgeFailure("compression: the proxy did not gzip DeviceList when asked")
    if plain.encoding != "identity":
        raise BridgeFailure("compression: the proxy gzipped an answer nobody asked to gzip")
    devices_plain = plain.json()["devices"]
    devices_gzip = packed.json()["devices"]
    inverter_count = sum(1 for d in devices_plain if d.get("DEVICE_TYPE") == "Inverter")
    if inverters is not None and inverter_count != inverters:
        raise BridgeFailure(
            f"compression: expected {inverters} inverters in DeviceList, got {inverter_count}"
        )
    if len(devices_gzip) != len(devices_plain):
        raise BridgeFailure("compression: the gzipped DeviceList lists other devices")
    return {
        "inverters": inverter_count,
        "devices": len(devices_plain),
        "json_bytes": len(plain.body),
        "plain_wire_bytes": plain.wire_bytes,
        "gzip_wire_bytes": packed.wire_bytes,
        "plain_body_bytes": plain.body_wire_bytes,
        "gzip_body_bytes": packed.body_wire_bytes,
        "saving_wire_pct": saving(plain.wire_bytes, packed.wire_bytes),
        "saving_body_pct": saving(plain.body_wire_bytes, packed.body_wire_bytes),
    }


def measure_loopback(inverter_counts: tuple[int, ...] = (24, 60)) -> list[dict]:
    rows = []
    for n in inverter_counts:
        with loopback.Simulator(inverters=n, latency="none") as sim:
            config, http_port, _ = loopback.role_config(sim.port)
            with loopback.Haproxy(config, http_port, label="role haproxy"):
                row = measure_one(loopback.LOOPBACK, http_port, n)
        row["where"] = "loopback, role config"
        rows.append(row)
    return rows
