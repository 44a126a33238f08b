"""Shared pieces of the `silkgate` CLI: the `bench` group, the unit of work, progress bars, errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

from silkgate.exceptions import SilkgateError

if TYPE_CHECKING:  # the CLI starts without SQLAlchemy; a command imports it when it runs
    from rich.progress import Progress
    from sqlalchemy.orm import Session

bench_app = typer.Typer(
    help="Benchmarks that print their figures and the ratio to a bare baseline.", no_args_is_help=True
)
err_console = Console(stderr=True)


def progress(enabled: bool | None = None) -> Progress:
    """A progress bar on stderr, shown only on a terminal unless asked for."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    show = sys.stderr.isatty() if enabled is None else enabled
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=not show,
        transient=False,
    )


@contextmanager
def cli_unit_of_work(database_url: str | None = None) -> Iterator[Session]:
    """One transaction for a CLI command; a SilkgateError exits with code 2 and its Chinese message."""
    from silkgate.config import get_settings
    from silkgate.db import engine_for, unit_of_work

    engine = engine_for(database_url or get_settings().database_url)
    try:
        with unit_of_work(engine) as session:
            yield session
    except SilkgateError as exc:
        err_console.print(f"[red]错误[/red] {escape(exc.code)}: {escape(exc.message)}")
        for e in exc.errors:
            err_console.print(escape(f"  - {e.field} [{e.code}] {e.message}"))
        raise typer.Exit(2) from exc


ZONE_HELP = "Zone: code (140800), short code (YC), city (运城) or full name, as `silkgate load` takes."


def zone_code(session: Session, spelling: str | None) -> str | None:
    """The code of the zone an option names (any spelling `registry.service.resolve_zone` knows);
    None stays None."""
    if spelling is None:
        return None
    from silkgate.registry.service import resolve_zone

    return resolve_zone(session, spelling).code


_CLAUSE_ENDS = "，；。、：）)"


def wrap_at_clauses(text: str, width: int, indent: str = "    ") -> list[str]:
    """`text` as lines of at most `width` terminal cells, broken after a clause (，；。、：or a closing
    bracket) rather than in the middle of a word or number; continuation lines are indented."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch in _CLAUSE_ENDS:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        prefix = indent if lines else ""
        if line and cell_len(prefix + line + piece) > width:
            lines.append(prefix + line)
            line = piece
            prefix = indent
        else:
            line += piece
        while cell_len(prefix + line) > width:  # one clause longer than a line: cut it
            cut = len(line)
            while cut > 1 and cell_len(prefix + line[:cut]) > width:
                cut -= 1
            lines.append(prefix + line[:cut])
            line = line[cut:]
            prefix = indent
    if line:
        lines.append((indent if lines else "") + line)
    return lines
