"""`python -m harness.bench ...`: the benchmarks (`make bench` runs it from the checkout)."""

from harness.bench.commands import PROG, bench

if __name__ == "__main__":
    bench(prog_name=PROG)
