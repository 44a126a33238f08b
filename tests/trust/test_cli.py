"""`silkgate keys issue`, `silkgate sign`, `silkgate ledger …` and certificates in `silkgate load`,
against their own committed SQLite database (the SQLite/PostgreSQL behaviour of the same services is
pinned by the other trust tests)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import build_schema, seed_reference_data
from silkgate.cli import app
from silkgate.config import get_settings
from silkgate.db import make_engine
from silkgate.declarations.synthetic import TransactionFactory, order_xml
from silkgate.declarations.trading import TradeSetup, new_trade, register_buyers
from silkgate.kit import crypto
from silkgate.trust.certificates import read_certificate


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    build_schema(url)
    engine = make_engine(url)
    seed_reference_data(engine)
    engine.dispose()
    monkeypatch.setenv("SILKGATE_DATABASE_URL", url)
    monkeypatch.setenv("SILKGATE_SIGNATURE_POLICY", "verify")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def trade(database: str) -> TradeSetup:
    engine = make_engine(database)
    with Session(engine, expire_on_commit=False) as s:
        setup = new_trade(s, "140800", random.Random(9))
        s.commit()
    engine.dispose()
    return setup


def _run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_keys_issue_sign_ingest_and_prove_from_the_command_line(
    database: str, trade: TradeSetup, tmp_path: Path
) -> None:
    engine = make_engine(database)
    with Session(engine) as s:
        tx = TransactionFactory(random.Random(4), trade.parties, fault_rate=0.0, bonded_share=0.0).make()
        register_buyers(s, [tx])
        s.commit()
    engine.dispose()
    platform = trade.enterprise(tx.platform)
    keys = tmp_path / "keys"
    result = _run("keys", "issue", "--org", str(platform.org_id), "--out", str(keys))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert (keys / "key.pem").stat().st_mode & 0o077 == 0
    cert = read_certificate((keys / "cert.pem").read_bytes())
    assert cert.algorithm == "sm2" and cert.serial_hex in result.output  # type: ignore[attr-defined]
    assert (
        crypto.sm2_public_key_der(crypto.sm2_load_private_key((keys / "key.pem").read_bytes()))
        == cert.public_key_der
    )

    (tmp_path / "order.xml").write_bytes(order_xml(tx))  # with the synthetic placeholder signature
    signed = tmp_path / "order.signed.xml"
    result = _run(
        "sign",
        str(tmp_path / "order.xml"),
        "-o",
        str(signed),
        "--key",
        str(keys / "key.pem"),
        "--cert",
        str(keys / "cert.pem"),
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert b"xmldsig#sm2-sm3" in signed.read_bytes() and b"<ds:X509Certificate>" in signed.read_bytes()

    result = _run("ingest", str(signed), "--jsonl", "--database-url", database)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    (line,) = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]  # type: ignore[attr-defined]
    assert line["receipt_type"] == "CEB312", line

    result = _run("ledger", "checkpoint")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    head = json.loads(result.output)  # type: ignore[attr-defined]
    assert head["tree_size"] >= 2 and head["checkpoint"].split("\n")[1] == str(head["tree_size"])

    guid = signed.read_bytes().split(b'guid="')[1].split(b'"')[0].decode()
    result = _run("ledger", "proof", "--guid", guid)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    proof = json.loads(result.output)  # type: ignore[attr-defined]
    assert proof["source"] == "raw_messages" and proof["leaf_index"] == 0

    result = _run("ledger", "consistency", "--from", "1", "--to", str(head["tree_size"]))
    assert result.exit_code == 0 and "consistency_path" in result.output  # type: ignore[attr-defined]

    result = _run("ledger", "verify")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]

    path = database.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:  # a database administrator edits a stored receipt
        db.execute("UPDATE receipts SET return_status = '800' WHERE id = (SELECT min(id) FROM receipts)")
    result = _run("ledger", "verify")
    assert result.exit_code == 1
    assert '"table": "receipts"' in result.output  # type: ignore[attr-defined]


def test_sign_refuses_a_key_that_does_not_match_the_certificate(
    database: str, trade: TradeSetup, tmp_path: Path
) -> None:
    platform = trade.enterprise(trade.parties.platforms[0])
    assert _run("keys", "issue", "--org", str(platform.org_id), "--out", str(tmp_path / "a")).exit_code == 0  # type: ignore[attr-defined]
    assert _run("keys", "issue", "--org", str(platform.org_id), "--out", str(tmp_path / "b")).exit_code == 0  # type: ignore[attr-defined]
    (tmp_path / "m.xml").write_bytes(b"<a/>")
    result = _run(
        "sign",
        str(tmp_path / "m.xml"),
        "-o",
        str(tmp_path / "o.xml"),
        "--key",
        str(tmp_path / "a" / "key.pem"),
        "--cert",
        str(tmp_path / "b" / "cert.pem"),
    )
    assert result.exit_code == 2 and "不匹配" in result.output  # type: ignore[attr-defined]


def test_load_registers_certificates_on_filings_and_is_idempotent(
    database: str, trade: TradeSetup, tmp_path: Path
) -> None:
    key = crypto.sm2_generate_private_key()
    import datetime as dt

    from silkgate.trust import certificates

    cert = certificates.build_certificate(
        signing_key=key,
        issuer=None,
        subject_key_der=crypto.sm2_public_key_der(key),
        common_name="导入证书",
        organisation="导入证书",
        not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        days=365,
        ca=False,
    )
    seller = trade.enterprise(trade.parties.sellers[0])
    doc = {"zone": "140800", "certificates": [{"customs_code": seller.customs_code, "pem": cert.pem}]}
    (tmp_path / "certs.json").write_text(json.dumps(doc, ensure_ascii=False))
    result = _run("load", str(tmp_path / "certs.json"))
    assert result.exit_code == 0 and "签名证书：新增1" in result.output, result.output  # type: ignore[attr-defined]
    result = _run("load", str(tmp_path / "certs.json"))
    assert result.exit_code == 0 and "未变1" in result.output, result.output  # type: ignore[attr-defined]
