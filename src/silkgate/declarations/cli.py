"""`silkgate ingest PATH...` and `silkgate bench ingest`."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from silkgate.clitools import bench_app, err_console, progress

MESSAGE_SUFFIXES = (".xml", ".json")
COMMIT_EVERY = 1000


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MESSAGE_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            err_console.print(f"[red]错误[/red] 找不到文件或目录：{path}")
            raise typer.Exit(2)
    return found


def _items(files: list[Path]) -> Iterator[tuple[Path, bytes, str | None]]:
    """Each message: a file is one message, or (JSON) an array of messages in the JSON form."""
    for path in files:
        data = path.read_bytes()
        if path.suffix.lower() == ".json" and data.lstrip()[:1] == b"[":
            try:
                messages = json.loads(data)
            except ValueError:
                yield path, data, "application/json"
                continue
            for message in messages:
                yield path, json.dumps(message, ensure_ascii=False).encode(), "application/json"
            continue
        yield path, data, "application/json" if path.suffix.lower() == ".json" else None


def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Message files or directories (XML or JSON).")],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Print one JSON receipt per line on stdout.")
    ] = False,
    as_org: Annotated[
        int | None,
        typer.Option("--as", help="Send as this organisation id (default: the one each message names)."),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database (default: settings).")
    ] = None,
) -> None:
    """Declare CEB messages from files, as the enterprise each names (or --as ORG_ID)."""
    from silkgate.auth.service import principal_for_org
    from silkgate.config import get_settings
    from silkgate.db import engine_for, session_factory
    from silkgate.declarations.service import BatchItem, ReceiptOut, ingest_batch
    from silkgate.models.org import Organisation

    files = _files(paths)
    engine = engine_for(database_url or get_settings().database_url)
    session = session_factory(engine)()
    statuses: Counter[str] = Counter()
    try:
        sender = None
        if as_org is not None:
            org = session.get(Organisation, as_org)
            if org is None:
                err_console.print(f"[red]错误[/red] 机构{as_org}不存在")
                raise typer.Exit(2)
            sender = principal_for_org(session, org)
        messages = list(_items(files))
        with progress() as bar:
            task = bar.add_task("申报报文", total=len(messages))

            def report(item: BatchItem, receipts: list[ReceiptOut]) -> None:
                bar.advance(task)
                for r in receipts:
                    statuses[r.return_status] += 1
                    if jsonl:
                        sys.stdout.write(
                            json.dumps({**r.as_dict(), "file": item.source}, ensure_ascii=False) + "\n"
                        )

            count = ingest_batch(
                session,
                (BatchItem(data, ctype, str(path)) for path, data, ctype in messages),
                sender=sender,
                commit_every=COMMIT_EVERY,
                on_result=report,
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    summary = "，".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    err_console.print(f"已处理报文{count}个（{len(files)}个文件）；回执状态 {summary or '无'}")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    from silkgate.declarations.bench import bench_ingest

    bench_app.command("ingest")(bench_ingest)
