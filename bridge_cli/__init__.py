"""pvs-bridge: a Raspberry Pi bridge to the local API of SunPower PVS5/PVS6 supervisors."""

__version__ = "0.1.0"
