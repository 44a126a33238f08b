"""`silkgate bench ingest --mix export|all` and the synthetic export trade behind it."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.declarations.bench import bench_ingest
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import Party
from silkgate.declarations.trading import new_trade
from silkgate.export.synthetic import (
    ExportParties,
    ExportSeller,
    ExportTransactionFactory,
    prepare_export_trade,
)
from silkgate.models.export import ExportList

FIGURES = (
    "backend",
    "transactions",
    "mix",
    "import_transactions",
    "export_transactions",
    "messages",
    "bare_parse_msgs_per_s",
    "end_to_end_msgs_per_s",
    "ratio",
    "peak_rss_mb",
    "export_lists",
    "receipts_to_senders",
    "receipts_issued",
)


def _bench(tmp_path: Path, capsys: pytest.CaptureFixture[str], mix: str, n: int) -> dict[str, object]:
    bench_ingest(
        transactions=n,
        database_url=f"sqlite:///{tmp_path / 'bench.db'}",
        as_json=True,
        mix=mix,
        seed=20261124,
    )
    out = capsys.readouterr().out.strip().splitlines()
    figures: dict[str, object] = json.loads(out[-1])
    return figures


def test_bench_export_mix_releases_lists_and_answers_every_sender(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _bench(tmp_path, capsys, "export", 20)
    assert all(k in figures for k in FIGURES), sorted(figures)
    assert "lists" not in figures  # no import lists in an export-only run
    assert figures["mix"] == "export"
    assert figures["export_transactions"] == 20
    lists = figures["export_lists"]
    assert isinstance(lists, dict)
    assert sum(lists.values()) == 20  # one export list per transaction
    assert lists.get("departed", 0) + lists.get("released", 0) > 0
    issued = figures["receipts_issued"]
    answered = figures["receipts_to_senders"]
    assert isinstance(issued, dict) and isinstance(answered, dict)
    assert issued.get("CEB603:800", 0) > 0  # 放行 receipts to the lists' declarants
    assert issued.get("CEB603:899", 0) > 0  # 结关 after departure
    for message_type in ("CEB303", "CEB505", "CEB603", "CEB507", "CEB509"):
        assert any(k.startswith(message_type + ":") for k in answered), message_type


def test_bench_all_mix_runs_half_import_half_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _bench(tmp_path, capsys, "all", 20)
    assert all(k in figures for k in (*FIGURES, "lists")), sorted(figures)
    assert figures["import_transactions"] == 10
    assert figures["export_transactions"] == 10
    imports, exports = figures["lists"], figures["export_lists"]
    assert isinstance(imports, dict) and isinstance(exports, dict)
    assert sum(imports.values()) == 10
    assert sum(exports.values()) == 10
    assert imports.get("released", 0) > 0
    assert exports.get("departed", 0) + exports.get("released", 0) > 0
    answered = figures["receipts_to_senders"]
    assert isinstance(answered, dict)
    assert any(k.startswith("CEB621:") for k in answered)
    assert any(k.startswith("CEB603:") for k in answered)


def test_bench_refuses_an_unknown_mix(tmp_path: Path) -> None:
    with pytest.raises(typer.Exit):
        bench_ingest(transactions=1, database_url=f"sqlite:///{tmp_path / 'x.db'}", mix="re-export")


def _parties() -> ExportParties:
    return ExportParties(
        sellers=[
            ExportSeller(Party("1408960001", "甲"), "exempt"),
            ExportSeller(Party("1408960002", "乙"), "statistics"),
            ExportSeller(
                Party("1408960003", "丙"), "rebate", frozenset({"9710", "9810"}), frozenset({"502"})
            ),
        ],
        platforms=[Party("1408960004", "平台")],
        payments=[Party("1408960005", "支付")],
        logistics=[Party("1408960006", "物流")],
    )


def test_factory_is_deterministic_under_its_seed_and_draws_every_mode() -> None:
    def draw(seed: int) -> list[tuple[object, ...]]:
        f = ExportTransactionFactory(random.Random(seed), _parties(), fault_rate=5.0)
        out = []
        for _ in range(300):
            p = f.make()
            out.append(
                (
                    p.tx.order_no,
                    p.tx.trade_mode,
                    p.tx.country,
                    p.tx.goods_value,
                    p.fault,
                    p.collection,
                    p.arrives,
                    p.departs,
                    p.tx.guids["inventory"],
                )
            )
        return out

    first = draw(7)
    assert first == draw(7)
    assert first != draw(8)
    modes = Counter(row[1] for row in first)
    assert set(modes) == {"9610", "9710", "9810"}
    faults = Counter(row[4] for row in first if row[4])
    assert {"list_qty_differs", "missing_collection", "not_arrived"} <= set(faults)


def test_factory_messages_keep_each_parcel_after_its_trade_documents() -> None:
    f = ExportTransactionFactory(random.Random(3), _parties(), fault_rate=0.0)
    chunk = f.messages(30)
    kinds = [data.split(b"Message ", 1)[0].rsplit(b"<ceb:", 1)[-1].decode() for data in chunk]
    counts = Counter(kinds)
    assert counts["CEB303"] == counts["CEB505"] == counts["CEB603"] == 30
    assert 0 < counts["CEB403"] < 30  # the statistics-path seller and 9810 stock collect nothing
    assert counts["CEB507"] == 30
    # a parcel arrives after its list was declared, and leaves after it arrived
    for i in range(1, 31):
        parcel = f"<ceb:logisticsNo>EY{(f.start + f.spacing * i):%y%m%d}{i:010d}</ceb:logisticsNo>".encode()
        at = [k for k, data in enumerate(chunk) if parcel in data]
        types = [kinds[k] for k in at]
        assert types.index("CEB507") > types.index("CEB603")
        if "CEB509" in types:
            assert types.index("CEB509") > types.index("CEB507")


def test_synthetic_export_trade_through_ingest_releases_refuses_and_waits(session: Session) -> None:
    """Every outcome of the synthetic trade, end to end on both backends: released and closed lists,
    lists refused for disagreeing documents, lists waiting for a collection or an arrival."""
    zone = "140800"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=2)
    setup = new_trade(session, zone, random.Random(11), sellers=3)
    parties = prepare_export_trade(session, setup, zone, random.Random(12), today=start.date())
    factory = ExportTransactionFactory(random.Random(13), parties, fault_rate=12.0, start=start)
    first = session.scalar(select(func.max(ExportList.id))) or 0
    for data in factory.messages(60):
        ingest(session, data)
    session.flush()
    statuses = Counter(
        dict(
            session.execute(
                select(ExportList.status, func.count())
                .where(ExportList.id > first)
                .group_by(ExportList.status)
            ).all()
        )
    )
    assert sum(statuses.values()) == 60
    assert statuses["departed"] > 0
    assert statuses["withdrawn"] > 0  # refused: list and order or waybill disagree, B2B over the limit
    assert statuses["waiting"] > 0  # no collection, not arrived, or no filing for the mode
    waiting = session.scalars(
        select(ExportList).where(ExportList.id > first, ExportList.status == "waiting")
    ).all()
    reasons = {m for lst in waiting for m in lst.missing}
    assert reasons & {"collection", "arrival", "b2b_filing", "warehouse_filing"}
