"""`silkgate bench ingest`: the ingest pipeline against bare lxml parsing of the same bytes.

N synthetic transactions (with a realistic share of faults) are generated in chunks as real CEB XML;
each chunk is first parsed bare (`lxml.etree.fromstring`, the baseline), then ingested end to end
(committed every 1,000 messages). Chunks keep memory flat as N grows; peak RSS is the process's
high-water mark.

- `--mix import`: order + payment + waybill + list (CEB311/411/511/621) through parse, validate,
  authorise, store, match, identity, quota, tax, bonded stock, decision and receipts.
- `--mix export`: order, collection (most), waybill, list, arrival and departure
  (CEB303/403/505/603/507/509) of 9610 parcels and 9710/9810 consignments (`export.synthetic`)
  through store, list release (matching, collection, arrival, B2B and warehouse filings), departure,
  receipts and TradeEvents.
- `--mix all`: half of each, the two streams interleaved chunk by chunk.
"""

from __future__ import annotations

import contextlib
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
from typing import Annotated, Literal

import typer

from silkgate.clitools import err_console, progress

CHUNK = 250  # transactions per chunk (1,000 messages)
MIXES = ("import", "export", "all")
# (name, signature policy, ledger on, messages signed with registered SM2 keys): every chunk is
# shared among them, so the cost of signature verification and of the traceability log is measured
# on the same database in the same run (docs/signatures-and-ledger.md).
TRUST_CONFIGS: tuple[tuple[str, Literal["verify", "presence"], bool, bool], ...] = (
    ("plain", "presence", False, False),
    ("ledger", "presence", True, False),
    ("signed_ledger", "verify", True, True),
)


def sm2_verifications_per_second(seconds: float = 1.0) -> float:
    """SM2-with-SM3 verifications a second on this core (Tongsuo), over a message-sized SignedInfo."""
    from silkgate.kit import crypto

    key = crypto.sm2_generate_private_key()
    public = crypto.sm2_load_public_key(crypto.sm2_public_key_der(key))
    data = b"<ds:SignedInfo>" + b"x" * 600 + b"</ds:SignedInfo>"
    signature = crypto.sm2_sign(key, data)
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        crypto.sm2_verify(public, data, signature)
        n += 1
    return n / (time.perf_counter() - started)


def _interleave(a: list[bytes], b: list[bytes], rng: random.Random) -> list[bytes]:
    """A random merge of two message streams that keeps each stream's own order."""
    out: list[bytes] = []
    i = j = 0
    while i < len(a) and j < len(b):
        if rng.random() * (len(a) - i + len(b) - j) < len(a) - i:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out


def _prepare_database(url: str) -> None:
    from silkgate.migrate import upgrade

    upgrade("head", url)


def bench_ingest(
    transactions: Annotated[
        int,
        typer.Option(
            "--transactions", "-n", min=1, help="Transactions (import: 4 messages each; export: up to 6)."
        ),
    ],
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Database (default: a new temporary SQLite file).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
    mix: Annotated[
        str, typer.Option(help="import | export | all (half import, half export, interleaved).")
    ] = "import",
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic trade.")] = 20261124,
) -> None:
    """Measure ingest end to end against bare XML parsing of the same messages."""
    from silkgate.config import get_settings
    from silkgate.db import make_engine, normalise_url, session_factory
    from silkgate.declarations import synthetic
    from silkgate.declarations.messages import MessageRejected, parse_message
    from silkgate.declarations.service import BatchItem, ReceiptOut, ingest_batch
    from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
    from silkgate.declarations.trading import new_trade, register_buyers, stock_in_bonded
    from silkgate.kit.safexml import bare_parse
    from silkgate.registry.bootstrap import ensure_reference_data
    from silkgate.trust.demo import SyntheticSigner

    if mix not in MIXES:
        err_console.print(f"[red]错误[/red] --mix 应为 import、export 或 all，收到 {mix!r}")
        raise typer.Exit(2)
    with_import = mix in ("import", "all")
    with_export = mix in ("export", "all")
    export_n = transactions if mix == "export" else (transactions // 2 if with_export else 0)
    import_n = transactions - export_n
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='silkgate-bench-')) / 'bench.db'}"
    url = normalise_url(url)
    _prepare_database(url)
    engine = make_engine(url)
    session = session_factory(engine)()
    rng = random.Random(seed)
    zone = "140800"
    ensure_reference_data(session)
    setup = new_trade(session, zone, rng, sellers=3)
    if with_import:
        stock_in_bonded(session, setup, zone, quantity=Decimal(10**9))
    export_rng = random.Random(f"{seed}:export")
    export_factory = None
    if with_export:
        from silkgate.export.synthetic import ExportTransactionFactory, prepare_export_trade

        export_start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=2)
        export_parties = prepare_export_trade(session, setup, zone, export_rng, today=export_start.date())
        export_factory = ExportTransactionFactory(
            export_rng,
            export_parties,
            start=export_start,
            # everything (departures 8 hours after the declaration) stays in the past
            spacing=dt.timedelta(seconds=max(1, min(37, 36 * 3600 // max(export_n, 1)))),
        )
    session.commit()
    factory = TransactionFactory(
        rng,
        setup.parties,
        buyers=max(50, import_n // 3),
        start=dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1),
    )
    from sqlalchemy import func, select, text

    from silkgate.models.declarations import Declaration, Receipt
    from silkgate.models.export import ExportList

    first_id = (session.scalar(select(func.max(Declaration.id))) or 0) + 1
    bare_seconds = 0.0
    e2e_seconds = 0.0
    messages = 0
    outcomes: Counter[str] = Counter()

    def count(_item: BatchItem, receipts: list[ReceiptOut]) -> None:
        for r in receipts:
            outcomes[f"{r.message_type}:{r.return_status}"] += 1

    postgres = engine.dialect.name == "postgresql"
    settings = get_settings()
    saved_policy, saved_ledger = settings.signature_policy, settings.ledger
    signer = SyntheticSigner(session, valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    trust_seconds: dict[str, float] = dict.fromkeys((c[0] for c in TRUST_CONFIGS), 0.0)
    trust_messages: Counter[str] = Counter()
    sm2_rate = sm2_verifications_per_second()
    validate_seconds = 0.0
    max_bytes = get_settings().max_message_bytes
    chunks = 0
    analyze_seconds = 0.0
    with progress() as bar:
        task = bar.add_task("bench ingest", total=transactions)
        done = 0
        exported = 0
        while done < transactions:
            size = min(CHUNK, transactions - done)
            export_size = (done + size) * export_n // transactions - exported
            # Each chunk's transactions are shared among the trust configurations (TRUST_CONFIGS),
            # so signatures and the ledger are measured on and off over the same growing database.
            groups: list[tuple[str, list[bytes]]] = []
            txs = [factory.make() for _ in range(size - export_size)] if size > export_size else []
            if txs:
                register_buyers(session, txs)  # the zone's identity registry, loaded beforehand
                session.commit()
            for k, (name, _policy, _logged, signed) in enumerate(TRUST_CONFIGS):
                part: list[bytes] = []
                with synthetic.signed_by(signer if signed else None):
                    for tx in txs[k :: len(TRUST_CONFIGS)]:
                        docs = list(transaction_messages(tx).values())
                        rng.shuffle(docs)  # documents arrive in any order
                        part.extend(docs)
                    share = export_size // len(TRUST_CONFIGS) + (k < export_size % len(TRUST_CONFIGS))
                    if share and export_factory is not None:
                        part = _interleave(part, export_factory.messages(share), export_rng)
                session.commit()  # certificates the signer registered on first use
                groups.append((name, part))
            del txs
            exported += export_size
            chunk = [data for _, part in groups for data in part]
            started = time.perf_counter()
            for data in chunk:
                bare_parse(data)
            bare_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for data in chunk:  # the first step of ingest alone: hardened parse + every XSD rule
                with contextlib.suppress(MessageRejected):
                    parse_message(data, max_bytes=max_bytes)
            validate_seconds += time.perf_counter() - started
            for (name, policy, logged, _signed), (_, part) in zip(TRUST_CONFIGS, groups, strict=True):
                settings.signature_policy, settings.ledger = policy, logged
                started = time.perf_counter()
                ingest_batch(session, (BatchItem(d) for d in part), commit_every=1000, on_result=count)
                session.commit()
                elapsed = time.perf_counter() - started
                e2e_seconds += elapsed
                trust_seconds[name] += elapsed
                trust_messages[name] += len(part)
            settings.signature_policy, settings.ledger = saved_policy, saved_ledger
            messages += len(chunk)
            done += size
            chunks += 1
            if postgres and (chunks & (chunks - 1) == 0 or chunks % 16 == 0):
                # PostgreSQL plans by table statistics; autovacuum's auto-analyze keeps them as tables
                # grow, but may be off or lag on a bench server: analyse as it would (not timed).
                started = time.perf_counter()
                session.execute(text("ANALYZE"))
                session.commit()
                analyze_seconds += time.perf_counter() - started
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
    lists: dict[str, int] = {
        status: n
        for status, n in session.execute(
            select(Declaration.status, func.count())
            .where(
                Declaration.id >= first_id, Declaration.kind == "inventory", Declaration.direction == "import"
            )
            .group_by(Declaration.status)
        )
    }
    export_lists: dict[str, int] = {
        status: n
        for status, n in session.execute(
            select(ExportList.status, func.count())
            .where(ExportList.declaration_id >= first_id)
            .group_by(ExportList.status)
        )
    }
    issued = {
        f"{declared}:{status}": n
        for declared, status, n in session.execute(
            select(Receipt.declared_type, Receipt.return_status, func.count())
            .where(Receipt.declaration_id >= first_id)
            .group_by(Receipt.declared_type, Receipt.return_status)
        )
    }
    session.close()
    engine.dispose()
    bare_rate = messages / bare_seconds if bare_seconds else 0.0
    e2e_rate = messages / e2e_seconds if e2e_seconds else 0.0
    figures: dict[str, object] = {"backend": engine.dialect.name, "transactions": transactions}
    if mix != "import":
        figures.update(mix=mix, import_transactions=import_n, export_transactions=export_n)
    figures.update(
        {
            "messages": messages,
            "bare_parse_msgs_per_s": round(bare_rate, 1),
            "end_to_end_msgs_per_s": round(e2e_rate, 1),
            "ratio": round(e2e_rate / bare_rate, 4) if bare_rate else 0.0,
            "parse_validate_msgs_per_s": round(messages / validate_seconds, 1) if validate_seconds else 0.0,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "bare_parse_seconds": round(bare_seconds, 3),
            "end_to_end_seconds": round(e2e_seconds, 3),
        }
    )
    rates = {k: trust_messages[k] / trust_seconds[k] if trust_seconds[k] else 0.0 for k, *_ in TRUST_CONFIGS}
    figures["trust"] = {
        "sm2_verifications_per_s": round(sm2_rate, 1),
        "plain_msgs_per_s": round(rates["plain"], 1),
        "ledger_msgs_per_s": round(rates["ledger"], 1),
        "signed_ledger_msgs_per_s": round(rates["signed_ledger"], 1),
        "ledger_cost_pct": round(100 * (1 - rates["ledger"] / rates["plain"]), 1) if rates["plain"] else 0.0,
        "signature_cost_pct": round(100 * (1 - rates["signed_ledger"] / rates["ledger"]), 1)
        if rates["ledger"]
        else 0.0,
        "messages": dict(trust_messages),
    }
    if postgres:
        figures["analyze_seconds_untimed"] = round(analyze_seconds, 3)
    if with_import:
        figures["lists"] = dict(sorted(lists.items()))
    if with_export:
        figures["export_lists"] = dict(sorted(export_lists.items()))
    figures["receipts_to_senders"] = dict(sorted(outcomes.items()))
    if with_export:  # export lists are released and closed by other senders' messages (arrival, departure)
        figures["receipts_issued"] = dict(sorted(issued.items()))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(f"数据库            {figures['backend']}  ({transactions} 笔交易, {messages} 个报文)")
    typer.echo(f"裸解析            {bare_rate:,.0f} 报文/秒")
    typer.echo(f"端到端（已提交）  {e2e_rate:,.0f} 报文/秒")
    typer.echo(f"比值              {figures['ratio']:.3f}")
    typer.echo(
        f"仅解析+校验       {figures['parse_validate_msgs_per_s']:,.0f} 报文/秒（入库流程的第一步，单独计时）"
    )
    typer.echo(f"峰值内存          {figures['peak_rss_mb']} MB")
    trust = figures["trust"]
    assert isinstance(trust, dict)
    typer.echo(f"SM2验签           {trust['sm2_verifications_per_s']:,.0f} 次/秒（单核，Tongsuo）")
    typer.echo(
        f"签名与溯源日志    均关 {trust['plain_msgs_per_s']:,.0f}，仅日志 {trust['ledger_msgs_per_s']:,.0f}，"
        f"验签+日志 {trust['signed_ledger_msgs_per_s']:,.0f} 报文/秒"
        f"（日志开销 {trust['ledger_cost_pct']}%，验签开销 {trust['signature_cost_pct']}%）"
    )
    if with_import:
        typer.echo(
            f"清单结果          放行 {lists.get('released', 0)}，退单 {lists.get('rejected', 0)}，"
            f"查验 {lists.get('held', 0)}，待三单 {lists.get('waiting', 0)}"
        )
    if with_export:
        typer.echo(
            f"出口清单          放行 {export_lists.get('released', 0)}，结关 {export_lists.get('departed', 0)}，"
            f"退单 {export_lists.get('withdrawn', 0)}，待放行 {export_lists.get('waiting', 0)}"
        )
