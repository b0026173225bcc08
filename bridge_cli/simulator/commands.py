import click


@click.command()
def simulate() -> None:
    """Run a simulated PVS5/PVS6."""
