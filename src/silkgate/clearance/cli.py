"""`silkgate identity load FILE.csv`: fill the local identity registry (columns name,id_number)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from silkgate.clitools import cli_unit_of_work, err_console

identity_app = typer.Typer(help="The buyer identity registry (个人身份信息核查库).", no_args_is_help=True)


@identity_app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="CSV, UTF-8, header line `name,id_number`.")],
) -> None:
    """Load people into the local identity registry: all rows or, if any row is bad, none."""
    from silkgate.clearance.identity import load_identities, read_identity_csv

    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        err_console.print(f"[red]错误[/red] 无法读取文件 {file}: {exc.strerror}")
        raise typer.Exit(2) from exc
    except UnicodeDecodeError as exc:
        err_console.print(f"[red]错误[/red] {file} 不是 UTF-8 编码的 CSV 文件")
        raise typer.Exit(2) from exc
    with cli_unit_of_work() as session:
        rows = read_identity_csv(text)
        report = load_identities(session, rows, source=file.name)
    typer.echo(report.summary())


def register(app: typer.Typer) -> None:
    app.add_typer(identity_app, name="identity")
