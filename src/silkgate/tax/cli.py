"""`silkgate tax quote FILE.json`: the retail import tax of a proposed order, as the API computes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from silkgate.clitools import ZONE_HELP, cli_unit_of_work, err_console, zone_code

tax_app = typer.Typer(help="Retail import tax (跨境电商综合税).", no_args_is_help=True)


@tax_app.command("quote")
def quote_command(
    file: Annotated[Path, typer.Argument(help="JSON: items, freight, insurance, discount, year_to_date.")],
    zone: Annotated[
        str | None, typer.Option(help=ZONE_HELP + " Its tariff lines apply (default: national).")
    ] = None,
) -> None:
    """Print the tax quote of the order in FILE (the same JSON as POST /api/v1/tax/import-quote)."""
    from pydantic import ValidationError

    from silkgate.tax import service
    from silkgate.tax.schemas import TaxQuotePublic, TaxQuoteRequest

    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        request = TaxQuoteRequest.model_validate(raw)
    except OSError as exc:
        err_console.print(f"[red]错误[/red] 无法读取文件 {file}: {exc.strerror}")
        raise typer.Exit(2) from exc
    except json.JSONDecodeError as exc:
        err_console.print(f"[red]错误[/red] {file} 不是合法的 JSON（第{exc.lineno}行第{exc.colno}列）")
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        err_console.print("[red]错误[/red] validation_failed: 提交的数据未通过校验")
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"])
            err_console.print(f"  - {where} [{e['type']}] {e['msg']}")
        raise typer.Exit(2) from exc
    with cli_unit_of_work() as session:
        result = TaxQuotePublic.of(service.quote(session, request, zone_code=zone_code(session, zone)))
    typer.echo(json.dumps(result.model_dump(), ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(tax_app, name="tax")
