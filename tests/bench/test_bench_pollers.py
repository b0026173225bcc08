"""The bench's pollers are N clients, not one: against the role's haproxy (loopback), whose
guard allows bridge_proxy_client_maxconn (16) connections per client address, 20 pollers
whose requests pile up behind slow scans must all be served (none reset)."""

from __future__ import annotations

import os

import pytest

from harness.bench import pollers
from harness.testbed import testbed

DEVICE_LIST = "/cgi-bin/dl_cgi?Command=DeviceList"


def test_each_poller_on_loopback_has_an_address_of_its_own():
    addresses = {pollers.source_address("127.0.0.1", i) for i in range(pollers.MAX_POLLERS)}
    assert len(addresses) == pollers.MAX_POLLERS
    assert all(a[0].startswith("127.") for a in addresses)
    assert pollers.source_address("10.77.0.10", 3) is None  # in a lab namespace: the system's


@pytest.mark.skipif(not os.path.exists("/usr/sbin/haproxy"), reason="needs /usr/sbin/haproxy")
def test_twenty_pollers_are_twenty_clients_to_the_guard():
    # The cache off and scans of 0.5 s: 20 requests a second queue for 2 a second, so
    # within a second more than 16 connections are open, from one address or from twenty.
    no_cache = {"bridge_proxy_cache": False}
    with testbed(fault="slow_scan", fault_seconds=0.5, haproxy_extra=no_cache) as bed:
        result = pollers.poll(bed.address, 80, DEVICE_LIST, 20, duration=2.0, timeout=60)
    assert result.requests >= 20
    assert result.errors == {}, result.errors
