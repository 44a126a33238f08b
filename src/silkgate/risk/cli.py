"""`silkgate risk scan`: run the risk rules over history (schedule it daily, e.g. from cron)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from silkgate.clitools import ZONE_HELP, cli_unit_of_work, err_console, zone_code

risk_app = typer.Typer(
    help="Risk prevention: scheduled scans of the rules over history.", no_args_is_help=True
)


def _parse_since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--since") from exc
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@risk_app.command("scan")
def scan_command(
    zone: Annotated[
        str | None, typer.Option(help=ZONE_HELP + " Default: every zone with enterprises.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only lists declared on or after this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Evaluate lists the rules have not seen, then the history rules (export without FX, goods
    never departed, repeated violations); print what was found per rule."""
    from sqlalchemy import select

    from silkgate.models.registry import Enterprise
    from silkgate.risk.service import scan

    start = _parse_since(since)
    with cli_unit_of_work() as session:
        zone = zone_code(session, zone)
        zones = [zone] if zone else list(session.scalars(select(Enterprise.zone_code).distinct()))
        for code in zones:
            result = scan(session, code, start)
            err_console.print(
                f"[bold]{code}[/bold] 评估清单 {result.evaluated} 票，新增命中 {result.hits} 次"
            )
            for rule_code, n in sorted(result.by_rule.items()):
                typer.echo(f"{code}\t{rule_code}\t{n}")


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
