"""`silkgate credit rerate`: re-rate every enterprise of a zone (schedule it daily beside `risk scan`:
releases re-rate an enterprise only every 25th list, and facts age out of the 12-month window)."""

from __future__ import annotations

from typing import Annotated

import typer

from silkgate.clitools import ZONE_HELP, cli_unit_of_work, err_console, zone_code

credit_app = typer.Typer(help="Credit: re-rate the zone's enterprises.", no_args_is_help=True)


@credit_app.command("rerate")
def rerate_command(
    zone: Annotated[
        str | None, typer.Option(help=ZONE_HELP + " Default: every zone with enterprises.")
    ] = None,
) -> None:
    """Recompute every approved enterprise's zone rating; print the tier counts per zone."""
    from silkgate.credit.service import rerate_zone, tier_distribution, zones_with_enterprises

    with cli_unit_of_work() as session:
        zone = zone_code(session, zone)
        for code in [zone] if zone else zones_with_enterprises(session):
            changed = rerate_zone(session, code)
            counts = tier_distribution(session, code)
            err_console.print(f"[bold]{code}[/bold] 评级变化 {changed} 家")
            typer.echo(f"{code}\t" + "\t".join(f"{t}={n}" for t, n in counts.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(credit_app, name="credit")
