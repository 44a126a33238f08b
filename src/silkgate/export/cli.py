"""`silkgate export ...`: load the zone's exchange-rate table, propose a month's summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from silkgate.clitools import ZONE_HELP, cli_unit_of_work, err_console, zone_code

export_app = typer.Typer(help="Export: rate table, summary declarations.", no_args_is_help=True)


@export_app.command("load-rates")
def load_rates_cmd(
    file: Annotated[
        Path, typer.Argument(help="CSV with header currency,rate_to_cny,valid_from[,source]", exists=True)
    ],
    source: Annotated[str, typer.Option(help="Where the rates come from, e.g. 海关月度折算率 2026年3月.")],
    zone: Annotated[str | None, typer.Option(help=ZONE_HELP + " Omit for the deployment-wide table.")] = None,
) -> None:
    """Load (insert or replace) exchange rates; every bad row is named and nothing is written."""
    from silkgate.export import fx

    rows = fx.parse_rate_csv(file.read_text(encoding="utf-8-sig"))
    with cli_unit_of_work() as session:
        zone = zone_code(session, zone)
        n = fx.load_rates(session, rows, zone_code=zone, default_source=source, actor=None)
    err_console.print(f"已导入{n}条汇率（{'综试区' + zone if zone else '全国'}）")


@export_app.command("propose-summaries")
def propose_cmd(
    period: Annotated[str, typer.Argument(help="Month the lists closed in, YYYY-MM.")],
    seller: Annotated[str, typer.Option(help="The seller's customs code (10 digits).")],
) -> None:
    """Propose the month's summary declarations of one seller (海关总署公告2018年第194号 第十一条)."""
    from sqlalchemy import select

    from silkgate.exceptions import FieldError, ValidationFailed
    from silkgate.export import summary
    from silkgate.models.registry import Enterprise

    with cli_unit_of_work() as session:
        ent = session.scalar(select(Enterprise).where(Enterprise.customs_code == seller))
        if ent is None:
            raise ValidationFailed([FieldError("seller", "not_found", f"海关编码{seller}未备案")])
        made = summary.propose(session, ent.id, period)
        for s in made:
            typer.echo(f"{s.cop_no}\t{s.group_key['country']}\t{s.list_count}票\t{s.total_value_cny}")
    err_console.print(f"{period}：生成{len(made)}份汇总建议")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
