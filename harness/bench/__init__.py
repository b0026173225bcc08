"""`make bench`: what the bridge costs, what it saves the PVS, how fast it provisions.

One run measures, side by side, and writes BENCHMARKS.md (see README.md):
proxy overhead, compression, protection of the PVS (role config vs the guide's), provisioning
times per lab flavour, the doctor's wall time and haproxy's footprint.
"""
