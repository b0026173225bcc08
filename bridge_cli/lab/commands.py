import click


@click.group()
def lab() -> None:
    """The virtual lab: a simulated PVS, a home LAN and a booted bridge host."""
