import click


@click.group()
def pvs() -> None:
    """PVS serial tools (hardware variant, commissioning WiFi, API login)."""
