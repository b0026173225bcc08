"""First-boot files for a Raspberry Pi OS SD card (Bullseye, Bookworm, Trixie).

Flow: settings (validate all) -> secrets (hash) -> release format -> templates -> atomic
write. Nothing is written before everything is valid.
"""
