import click


@click.group()
def sdcard() -> None:
    """Write the first-boot files of a Raspberry Pi OS SD card."""
