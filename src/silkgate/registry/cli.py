"""Registry commands: `silkgate load FILE` (bulk onboarding) and `silkgate tariff load|show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from silkgate.clitools import ZONE_HELP, cli_unit_of_work, err_console, zone_code

tariff_app = typer.Typer(
    help="The retail-import tariff table (rates and positive list).", no_args_is_help=True
)

_OUTCOME_LABELS = {"added": "新增", "updated": "更新", "unchanged": "未变", "rejected": "拒绝"}


def load(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSON, CSV (one kind per file) or Excel (.xlsx, one sheet per kind).",
            exists=True,
            dir_okay=False,
        ),
    ],
    zone: Annotated[
        str | None, typer.Option(help=ZONE_HELP + ' Must match the file\'s "zone" when both are given.')
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="Import the valid rows even when some are rejected.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option(
            help="For a CSV: enterprises, commodities, identities, broker_authorisations, "
            "b2b_export_filings or overseas_warehouses (default: from the file name)."
        ),
    ] = None,
) -> None:
    """Load enterprises, commodities, identities and the filings that name them (broker authorisations,
    B2B export and overseas-warehouse filings) from FILE, validating every row as the API does.

    A file with any rejected row imports nothing unless --partial is given. Loading the same file
    twice changes nothing.
    """
    from silkgate.registry.bulk import KIND_LABELS, load_registry
    from silkgate.registry.files import read_load_file

    with cli_unit_of_work() as session:
        doc = read_load_file(file, kind=kind)
        report = load_registry(session, doc, zone_code=zone)
        for outcome in report.rejected:
            err_console.print(
                f"[red]拒绝[/red] {KIND_LABELS[outcome.kind]}第{outcome.row}行 {outcome.key}".rstrip()
            )
            for e in outcome.errors:
                err_console.print(escape(f"    - {e.field} [{e.code}] {e.message}"))
        if report.rejected and not partial:
            err_console.print(
                f"[red]未导入任何数据[/red]：{len(report.rejected)}行被拒绝（修正后重试，或用 --partial 只导入合格的行）"
            )
            raise typer.Exit(1)
        typer.echo(f"综试区 {report.zone_code}：{report.summary()}")


@tariff_app.command("load")
def tariff_load(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list[,source]",
            exists=True,
            dir_okay=False,
        ),
    ],
    zone: Annotated[
        str | None,
        typer.Option(help=ZONE_HELP + " Its lines extend (and override) the national table."),
    ] = None,
    national: Annotated[
        bool, typer.Option("--national", help="Load into the national table every zone falls back to.")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Remove the zone's own lines that the file does not contain.")
    ] = False,
) -> None:
    """Validate a tariff CSV row by row and load it; nothing is written if any row is bad.

    HS codes of 8 or 10 digits; rates as fractions (13% = 0.13); positive_list 1 or 0.
    """
    from silkgate.registry.files import read_tariff_csv
    from silkgate.registry.service import load_tariff, parse_tariff_rows, remove_tariff_lines_except

    if national == (zone is not None):
        err_console.print("[red]错误[/red] 请用 --zone 指定综试区，或用 --national 更新全国表（二者选一）")
        raise typer.Exit(2)
    with cli_unit_of_work() as session:
        zone = zone_code(session, zone)
        raw, first_line = read_tariff_csv(file.read_bytes())
        rows = parse_tariff_rows(raw, first_row_number=first_line)
        added, updated = load_tariff(session, zone, rows, source=f"{file.name}")
        removed = remove_tariff_lines_except(session, zone, {r.hs_code for r in rows}) if replace else 0
    where = "全国表" if zone is None else f"综试区 {zone}"
    typer.echo(
        f"{where}：{len(rows)}行合格，新增{added}行，更新{updated}行"
        + (f"，删除{removed}行" if replace else "")
    )


@tariff_app.command("show")
def tariff_show(
    hs_code: Annotated[str, typer.Argument(help="8 or 10-digit HS code.")],
    zone: Annotated[
        str | None, typer.Option(help=ZONE_HELP + " Its own lines override the national table.")
    ] = None,
) -> None:
    """Print the tariff line in force for an HS code."""
    from silkgate.registry.service import tariff_for

    with cli_unit_of_work() as session:
        line = tariff_for(session, zone_code(session, zone), hs_code)
        if line is None:
            err_console.print(f"税则表中没有 {hs_code} 或其8位税号")
            raise typer.Exit(1)
        table = Table("字段", "值")
        for label, value in (
            ("税号", line.hs_code),
            ("名称", line.name),
            ("增值税率", str(line.vat_rate)),
            ("消费税率", str(line.consumption_tax_rate)),
            ("最惠国关税率", str(line.tariff_rate)),
            ("正面清单", "是" if line.positive_list else "否"),
            ("来源", "全国表" if line.zone_code is None else f"综试区 {line.zone_code}"),
            ("依据", line.source),
        ):
            table.add_row(label, value)
        err_console.print(table)


def register(app: typer.Typer) -> None:
    app.command("load")(load)
    app.add_typer(tariff_app, name="tariff")
