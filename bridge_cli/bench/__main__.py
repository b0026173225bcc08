"""`python -m bridge_cli.bench ...`: the same as `bridge-cli lab bench ...`."""

from bridge_cli.bench.commands import bench

if __name__ == "__main__":
    bench(prog_name="bridge-cli lab bench")
