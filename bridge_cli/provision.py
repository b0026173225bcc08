import click


@click.command()
def provision() -> None:
    """Run the bridge playbook against an inventory."""
