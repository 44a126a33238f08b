"""Commands: `silkgate bench stats`, `silkgate stats import-historical`, `silkgate stats report`."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from silkgate.clitools import ZONE_HELP, bench_app, cli_unit_of_work, err_console, progress, zone_code

stats_app = typer.Typer(help="Statistics & monitoring: historical figures, reports.", no_args_is_help=True)


@bench_app.command("stats")
def bench_stats(
    lists: Annotated[
        int, typer.Option("--lists", help="How many synthetic released lists to add.")
    ] = 100_000,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Database to fill (default: a new temporary SQLite file)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    repeat: Annotated[int, typer.Option(help="Timed runs per query (median shown).")] = 5,
    events: Annotated[
        int,
        typer.Option(help="Release events to push through the subscriber afterwards (its cost per list)."),
    ] = 2000,
    skip_fill: Annotated[
        bool, typer.Option("--skip-fill", help="Time the lists already in the database.")
    ] = False,
) -> None:
    """Fill N released lists, then time each dashboard query from the rollups against a plain GROUP BY."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from silkgate.db import make_engine, normalise_url
    from silkgate.migrate import upgrade
    from silkgate.models.declarations import Declaration
    from silkgate.models.trade_stats import StatRollup
    from silkgate.registry.bootstrap import ensure_reference_data
    from silkgate.trade_stats import bench
    from silkgate.trade_stats.api import today_beijing

    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='silkgate-stats-bench-')}/bench.db"
    engine = make_engine(normalise_url(url))
    upgrade("head", url)  # a new database is built; an existing one (a bench run adds to it) is kept
    with Session(engine) as s:
        ensure_reference_data(s)
        s.commit()
    fill_seconds = 0.0
    if not skip_fill and lists > 0:
        t0 = time.perf_counter()
        with progress() as bar:
            task = bar.add_task("写入清单", total=lists)
            bench.fill(engine, lists, progress=lambda n: bar.advance(task, n))
        fill_seconds = time.perf_counter() - t0
    with Session(engine) as s:
        total = (
            s.scalar(select(func.count()).select_from(Declaration).where(Declaration.kind == "inventory"))
            or 0
        )
        rollup_rows = s.scalar(select(func.count()).select_from(StatRollup)) or 0
    result = bench.BenchResult(engine.dialect.name, total, fill_seconds, rollup_rows)
    result.timings = bench.run_queries(engine, bench.biggest_zone(engine), today_beijing(), repeat=repeat)
    subscriber = bench.time_subscriber(engine, events) if events > 0 else None
    if as_json:
        typer.echo(json.dumps({**result.as_dict(), "subscriber": subscriber}, ensure_ascii=False, indent=2))
    else:
        typer.echo(bench.render_text(result))
        if subscriber:
            typer.echo(
                f"subscriber: {subscriber['events']} releases in {subscriber['seconds']}s = "
                f"{subscriber['ms_per_list']} ms per list added to ingest "
                f"({subscriber['cpu_ms_per_list']} ms CPU)"
            )
    if not database_url:
        err_console.print(f"benchmark database kept at {url}")


@stats_app.command("import-historical")
def import_historical_cmd(
    zone: Annotated[str, typer.Option(help=ZONE_HELP)],
    file: Annotated[
        Path, typer.Argument(help="CSV: month,direction,trade_mode,list_count,value_cny[,value_usd]")
    ],
) -> None:
    """Import a zone's prior monthly statistics (shown as 历史统计, never mixed with list figures)."""
    from silkgate.trade_stats import service

    rows = service.parse_historical_csv(file.read_text(encoding="utf-8-sig"))
    with cli_unit_of_work() as session:
        n = service.import_historical(session, zone_code(session, zone) or zone, rows)
    typer.echo(f"已导入 {n} 条历史月度统计")


@stats_app.command("report")
def report_cmd(
    zone: Annotated[str, typer.Option(help=ZONE_HELP)],
    kind: Annotated[str, typer.Option(help="monthly or quarterly")] = "monthly",
    period: Annotated[
        str | None, typer.Option(help="YYYY-MM or YYYY-Qn (default: the last complete one).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output file (.xlsx or .csv).")] = None,
) -> None:
    """Write the zone's monthly or quarterly statistical report to Excel or CSV."""
    from silkgate.trade_stats import reports, service
    from silkgate.trade_stats.api import today_beijing

    with cli_unit_of_work() as session:
        z = service.zone_or_404(session, zone_code(session, zone) or zone)
        start, end = reports.parse_period(kind, period, today_beijing())
        rep = reports.build_report(
            session, service.StatsScope(z.code, label=z.name), kind, start, end, today_beijing()
        )
        target = out or Path(f"{rep.title}-{rep.period_label}.xlsx")
        if target.suffix == ".csv":
            target.write_text(reports.report_csv(rep), encoding="utf-8")
        else:
            target.write_bytes(reports.report_xlsx(rep))
    typer.echo(f"已生成 {target}")


def register(app: typer.Typer) -> None:
    app.add_typer(stats_app, name="stats")
