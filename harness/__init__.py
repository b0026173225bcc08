"""The test harness: what the tests, scripts/ and `make bench` run the product with.

Not shipped (the wheel packages bridge_cli only); bridge_cli never imports it
(tests/unit/test_import_graph.py). It runs from the checkout: pytest puts the checkout
on sys.path (pyproject.toml), `make bench` runs `python -m harness.bench` from it.

- bench/          the measurements behind BENCHMARKS.md (`make bench`)
- proxy_config    the bridge_proxy role's haproxy.cfg rendered outside a play; the guide's
- local_haproxy   a real haproxy on loopback with such a configuration
- testbed         the simulator behind the role's haproxy on a loopback address
- proxy_attacks   the attack table against a bridge's haproxy (raw sockets)
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The checkout: the working directory for `python -m harness...` in a subprocess."""
