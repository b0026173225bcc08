"""A simulated SunPower PVS5/PVS6: legacy dl_cgi API, 2025 varserver API, faults, counters.

Public Python API: `bridge_cli.simulator.server.SimulatorServer` and `SimulatorConfig`.
"""
