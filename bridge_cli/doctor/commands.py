import click


@click.command()
def doctor() -> None:
    """Diagnose a bridge."""
