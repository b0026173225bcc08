"""`bridge-cli lab soak`: a simulated day of faults on one provisioned lab bridge.

It imports the lab (bridge_cli.lab) and is imported by nobody but the CLI; the results
become RELIABILITY.md (docs/reliability.md says how it measures).
"""
