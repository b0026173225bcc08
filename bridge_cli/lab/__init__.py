"""The virtual lab: a simulated PVS, a home LAN and a booted bridge host (see lab.py)."""

from bridge_cli.lab.lab import Lab

__all__ = ["Lab"]
