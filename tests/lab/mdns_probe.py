"""Look for the PVS over mDNS as Home Assistant does (python-zeroconf), print JSON.

Run inside a lab namespace: `mdns_probe.py SECONDS HOSTNAME...`. Browses _pvs6._tcp and
_pvs5._tcp for SECONDS (the types SunStrong's integration listens for), resolves each
service (SRV, TXT, A) and each HOSTNAME.local to IPv4 addresses.
"""

from __future__ import annotations

import json
import sys
import time

from zeroconf import AddressResolverIPv4, IPVersion, ServiceBrowser, ServiceListener, Zeroconf

TYPES = ["_pvs6._tcp.local.", "_pvs5._tcp.local."]


class Found(ServiceListener):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names[name] = type_

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names[name] = type_

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names.pop(name, None)


def main(seconds: float, hostnames: list[str]) -> dict:
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    try:
        found = Found()
        browser = ServiceBrowser(zc, TYPES, found)
        deadline = time.monotonic() + seconds
        while not found.names and time.monotonic() < deadline:
            time.sleep(0.1)
        browser.cancel()
        services = []
        for name, type_ in sorted(found.names.items()):
            info = zc.get_service_info(type_, name, timeout=3000)
            if info is None:
                continue
            services.append(
                {
                    "name": name,
                    "type": type_,
                    "server": info.server,
                    "port": info.port,
                    "addresses": info.parsed_addresses(IPVersion.V4Only),
                    "properties": info.decoded_properties,
                }
            )
        hosts = {}
        for host in hostnames:
            resolver = AddressResolverIPv4(f"{host}.local.")
            hosts[host] = resolver.parsed_addresses() if resolver.request(zc, 3000) else []
        return {"services": services, "hosts": hosts}
    finally:
        zc.close()


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]), sys.argv[2:])))
