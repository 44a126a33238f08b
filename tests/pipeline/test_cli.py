"""`silkgate ingest PATH... --jsonl` against its own committed SQLite database."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import build_schema, seed_reference_data
from silkgate.cli import app
from silkgate.db import make_engine
from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
from silkgate.declarations.trading import new_trade, register_buyers


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    build_schema(url)
    engine = make_engine(url)
    seed_reference_data(engine)
    engine.dispose()
    return url


def test_ingest_files_and_directories_prints_one_receipt_per_line(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    with Session(engine) as s:
        setup = new_trade(s, "140800", random.Random(3))
        tx = TransactionFactory(random.Random(4), setup.parties, fault_rate=0.0, bonded_share=0.0).make()
        register_buyers(s, [tx])
        s.commit()
    engine.dispose()
    folder = tmp_path / "messages"
    folder.mkdir()
    messages = transaction_messages(tx)
    for kind in ("order", "payment", "waybill"):
        (folder / f"{kind}.xml").write_bytes(messages[kind])
    single = tmp_path / "inventory.xml"
    single.write_bytes(messages["inventory"])
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<ceb:CEB311Message")
    result = CliRunner().invoke(
        app, ["ingest", str(folder), str(single), str(broken), "--jsonl", "--database-url", database]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_type = {}
    for line in lines:
        assert set(line) >= {"guid", "message_type", "business_no", "return_status", "return_info", "errors"}
        by_type.setdefault(line["message_type"], []).append(line)
    assert {"CEB311", "CEB411", "CEB511", "CEB621"} <= set(by_type)
    assert [r["return_status"] for r in by_type["CEB621"]][-1] == "800"
    assert by_type["CEB621"][0]["business_no"] == tx.cop_no
    refused = [r for r in lines if r["return_status"].startswith("-")]
    assert len(refused) == 1 and refused[0]["errors"][0]["field"]
    # the same files again: the same receipts, nothing changes
    again = CliRunner().invoke(app, ["ingest", str(single), "--jsonl", "--database-url", database])
    assert [json.loads(x) for x in again.stdout.splitlines() if x.startswith("{")] == [
        {**r, "file": str(single)} for r in by_type["CEB621"]
    ]
