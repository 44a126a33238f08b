"""`silkgate bench ingest`: the ingest pipeline against bare lxml parsing of the same bytes.

N synthetic transactions (order + payment + waybill + list, with a realistic share of faults) are
generated in chunks as real CEB XML; each chunk is first parsed bare (`lxml.etree.fromstring`, the
baseline), then ingested end to end (parse, validate, authorise, store, match, identity, quota,
tax, bonded stock, decision, receipts — committed every 1,000 messages). Chunks keep memory flat
as N grows; peak RSS is the process's high-water mark.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from silkgate.clitools import err_console, progress

CHUNK = 250  # transactions per chunk (1,000 messages)


def _prepare_database(url: str) -> None:
    from silkgate.migrate import upgrade

    upgrade("head", url)


def bench_ingest(
    transactions: Annotated[
        int, typer.Option("--transactions", "-n", min=1, help="Transactions (4 messages each).")
    ],
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database (default: a new temporary SQLite file).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
    mix: Annotated[
        str, typer.Option(help="import | export | all (export documents need the export domain).")
    ] = "import",
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic trade.")] = 20261124,
) -> None:
    """Measure ingest end to end against bare XML parsing of the same messages."""
    from silkgate.db import make_engine, normalise_url, session_factory
    from silkgate.declarations.service import BatchItem, ReceiptOut, ingest_batch
    from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
    from silkgate.declarations.trading import new_trade, register_buyers, stock_in_bonded
    from silkgate.kit.safexml import bare_parse
    from silkgate.registry.bootstrap import ensure_reference_data

    if mix != "import":
        err_console.print("[red]错误[/red] 目前只支持 --mix import（出口报文生成器由出口模块提供后再加入）")
        raise typer.Exit(2)
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='silkgate-bench-')) / 'bench.db'}"
    url = normalise_url(url)
    _prepare_database(url)
    engine = make_engine(url)
    session = session_factory(engine)()
    rng = random.Random(seed)
    zone = "140800"
    ensure_reference_data(session)
    setup = new_trade(session, zone, rng, sellers=3)
    stock_in_bonded(session, setup, zone, quantity=Decimal(10**9))
    session.commit()
    factory = TransactionFactory(
        rng,
        setup.parties,
        buyers=max(50, transactions // 3),
        start=dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1),
    )
    from sqlalchemy import func, select

    from silkgate.models.declarations import Declaration

    first_id = (session.scalar(select(func.max(Declaration.id))) or 0) + 1
    bare_seconds = 0.0
    e2e_seconds = 0.0
    messages = 0
    outcomes: Counter[str] = Counter()

    def count(_item: BatchItem, receipts: list[ReceiptOut]) -> None:
        for r in receipts:
            outcomes[f"{r.message_type}:{r.return_status}"] += 1

    with progress() as bar:
        task = bar.add_task("bench ingest", total=transactions)
        done = 0
        while done < transactions:
            size = min(CHUNK, transactions - done)
            txs = [factory.make() for _ in range(size)]
            register_buyers(session, txs)  # the zone's identity registry, loaded beforehand
            session.commit()
            chunk: list[bytes] = []
            for tx in txs:
                docs = list(transaction_messages(tx).values())
                rng.shuffle(docs)  # documents arrive in any order
                chunk.extend(docs)
            del txs
            started = time.perf_counter()
            for data in chunk:
                bare_parse(data)
            bare_seconds += time.perf_counter() - started
            started = time.perf_counter()
            ingest_batch(session, (BatchItem(d) for d in chunk), commit_every=1000, on_result=count)
            session.commit()
            e2e_seconds += time.perf_counter() - started
            messages += len(chunk)
            done += size
            bar.update(task, completed=done)
            if not sys.stderr.isatty():  # a log of the figures so far, for long runs
                rate = messages / e2e_seconds if e2e_seconds else 0.0
                bare = messages / bare_seconds if bare_seconds else 0.0
                print(
                    json.dumps(
                        {
                            "transactions_done": done,
                            "messages": messages,
                            "bare_parse_msgs_per_s": round(bare, 1),
                            "end_to_end_msgs_per_s": round(rate, 1),
                            "elapsed_e2e_s": round(e2e_seconds, 1),
                            "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                        }
                    ),
                    file=sys.stderr,
                    flush=True,
                )
    lists = dict(
        session.execute(
            select(Declaration.status, func.count())
            .where(Declaration.id >= first_id, Declaration.kind == "inventory")
            .group_by(Declaration.status)
        )
        .tuples()
        .all()
    )
    session.close()
    engine.dispose()
    bare_rate = messages / bare_seconds if bare_seconds else 0.0
    e2e_rate = messages / e2e_seconds if e2e_seconds else 0.0
    figures = {
        "backend": engine.dialect.name,
        "transactions": transactions,
        "messages": messages,
        "bare_parse_msgs_per_s": round(bare_rate, 1),
        "end_to_end_msgs_per_s": round(e2e_rate, 1),
        "ratio": round(e2e_rate / bare_rate, 4) if bare_rate else 0.0,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "bare_parse_seconds": round(bare_seconds, 3),
        "end_to_end_seconds": round(e2e_seconds, 3),
        "lists": dict(sorted(lists.items())),
        "receipts_to_senders": dict(sorted(outcomes.items())),
    }
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(f"数据库            {figures['backend']}  ({transactions} 笔交易, {messages} 个报文)")
    typer.echo(f"裸解析            {bare_rate:,.0f} 报文/秒")
    typer.echo(f"端到端（已提交）  {e2e_rate:,.0f} 报文/秒")
    typer.echo(f"比值              {figures['ratio']:.3f}")
    typer.echo(f"峰值内存          {figures['peak_rss_mb']} MB")
    typer.echo(
        f"清单结果          放行 {lists.get('released', 0)}，退单 {lists.get('rejected', 0)}，"
        f"查验 {lists.get('held', 0)}，待三单 {lists.get('waiting', 0)}"
    )
