"""The traceability log (RFC 9162 §2.1 with SM3): the tree algorithms against their definitions,
every raw message, receipt and status change logged, `ledger verify` catching an edited, a deleted
and a reordered row, and a proof checked by the standalone verifier (scripts/verify_ledger_proof.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from silkgate.declarations.synthetic import ImportTransaction, transaction_messages
from silkgate.kit import crypto
from silkgate.models.declarations import DeclarationEvent, RawMessage, Receipt
from silkgate.models.trust import LedgerLeaf
from silkgate.trust import ledger, service

VERIFIER = Path(__file__).resolve().parents[2] / "scripts" / "verify_ledger_proof.py"


def _hashes(n: int) -> list[bytes]:
    return [ledger.leaf_hash(str(i).encode()) for i in range(n)]


def test_the_tree_hash_follows_rfc_9162_with_sm3() -> None:
    assert ledger.tree_hash([]) == crypto.sm3(b"")
    a, b, c = _hashes(3)
    assert a == crypto.sm3(b"\x00" + b"0")
    assert ledger.tree_hash([a, b, c]) == ledger.node_hash(ledger.node_hash(a, b), c)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31])
def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not(size: int) -> None:
    hashes = _hashes(size)
    root = ledger.tree_hash(hashes)
    frontier = ledger.extend_frontier([], hashes)
    assert ledger.frontier_root(frontier) == root
    for m in range(size):
        path = ledger.inclusion_path(hashes, m)
        assert ledger.verify_inclusion(m, size, hashes[m], path, root)
        assert not ledger.verify_inclusion(m, size, ledger.leaf_hash(b"other"), path, root)


@pytest.mark.parametrize("size", [2, 3, 5, 8, 13, 20])
def test_every_consistency_proof_verifies(size: int) -> None:
    hashes = _hashes(size)
    second = ledger.tree_hash(hashes)
    for m in range(1, size + 1):
        first = ledger.tree_hash(hashes[:m])
        path = ledger.consistency_path(hashes, m)
        assert ledger.verify_consistency(m, size, first, second, path), m
        assert m == size or not ledger.verify_consistency(m, size, ledger.leaf_hash(b"x"), second, path)


def _release(send: Callable[..., list], tx: ImportTransaction) -> None:
    for data in transaction_messages(tx).values():
        send(data)


@pytest.fixture
def logged(session: Session, tx: ImportTransaction, send: Callable[..., list], presence_policy: None) -> None:
    """A transaction through clearance, its rows logged, and a checkpoint signed."""
    _release(send, tx)
    session.flush()
    ledger.make_checkpoint(session)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_raw_message_receipt_and_timeline_event_is_a_leaf(session: Session, logged: None) -> None:
    by_source = dict(
        session.execute(select(LedgerLeaf.source, func.count()).group_by(LedgerLeaf.source)).all()
    )
    assert by_source["raw_messages"] == _count(session, RawMessage) == 4
    assert by_source["receipts"] == _count(session, Receipt)
    assert by_source["declaration_events"] == _count(session, DeclarationEvent)
    indexes = list(session.scalars(select(LedgerLeaf.leaf_index).order_by(LedgerLeaf.leaf_index)))
    assert indexes == list(range(len(indexes)))
    report = ledger.verify_store(session)
    assert report.intact, [f.describe() for f in report.findings]


def test_ledger_verify_names_an_edited_receipt(session: Session, logged: None) -> None:
    receipt = session.scalars(select(Receipt).order_by(Receipt.id)).first()
    assert receipt is not None
    session.execute(update(Receipt).where(Receipt.id == receipt.id).values(return_info="放行"))
    first = ledger.verify_store(session).findings[0]
    assert (first.source, first.source_id, first.guid) == ("receipts", receipt.id, receipt.guid)


def test_ledger_verify_names_an_edited_raw_message(session: Session, logged: None) -> None:
    raw = session.scalars(select(RawMessage).order_by(RawMessage.id)).first()
    assert raw is not None
    session.execute(
        update(RawMessage).where(RawMessage.id == raw.id).values(body=raw.body.replace(b"142", b"502", 1))
    )
    first = ledger.verify_store(session).findings[0]
    assert (first.source, first.source_id, first.guid) == ("raw_messages", raw.id, raw.guid)


def test_ledger_verify_names_a_deleted_status_row(session: Session, logged: None) -> None:
    event = session.scalars(select(DeclarationEvent).order_by(DeclarationEvent.id.desc())).first()
    assert event is not None
    session.delete(event)
    session.flush()
    first = ledger.verify_store(session).findings[0]
    assert (first.source, first.source_id) == ("declaration_events", event.id)
    assert "删除" in first.problem


def test_ledger_verify_names_the_first_of_two_reordered_raw_messages(session: Session, logged: None) -> None:
    a, b = session.scalars(select(RawMessage).order_by(RawMessage.id).limit(2)).all()
    body_a, body_b = a.body, b.body
    session.execute(update(RawMessage).where(RawMessage.id == a.id).values(body=body_b))
    session.execute(update(RawMessage).where(RawMessage.id == b.id).values(body=body_a))
    findings = ledger.verify_store(session).findings
    assert (findings[0].source, findings[0].source_id) == ("raw_messages", a.id)
    assert any(f.source_id == b.id for f in findings)


def test_ledger_verify_catches_an_edited_leaf_against_the_signed_checkpoint(
    session: Session, logged: None
) -> None:
    session.execute(update(LedgerLeaf).where(LedgerLeaf.leaf_index == 1).values(leaf_hash=b"\x00" * 32))
    findings = ledger.verify_store(session).findings
    assert any(f.source == "ledger_checkpoints" for f in findings)


def test_a_proof_is_verified_by_the_standalone_verifier(
    session: Session, logged: None, tx: ImportTransaction, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = transaction_messages(tx)["order"]
    guid = order.split(b'guid="')[1].split(b'"')[0].decode()
    proof = ledger.proof_for_guid(session, None, guid)
    assert proof["source"] == "raw_messages"
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    (tmp_path / "order.xml").write_bytes(order)
    (tmp_path / "platform.pem").write_text(service.platform_certificate_pem(session))
    spec = importlib.util.spec_from_file_location("verify_ledger_proof", VERIFIER)
    assert spec is not None and spec.loader is not None
    verifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verifier)
    args = [str(tmp_path / "proof.json"), "--message", str(tmp_path / "order.xml")]
    if shutil.which("openssl"):
        args += ["--certificate", str(tmp_path / "platform.pem")]
    assert verifier.main(args) == 0, capsys.readouterr().out
    (tmp_path / "order.xml").write_bytes(order.replace(b"142", b"502", 1))
    assert verifier.main(args) == 1


def test_consistency_between_two_checkpoints(session: Session, logged: None, make_more: None = None) -> None:
    first = ledger.latest_checkpoint(session)
    assert first is not None
    second = ledger.tree_size(session)
    proof = ledger.consistency_proof(session, first.tree_size // 2, second)
    assert ledger.verify_consistency(
        proof["first"],
        proof["second"],
        bytes.fromhex(proof["first_hash"]),
        bytes.fromhex(proof["second_hash"]),
        [bytes.fromhex(h) for h in proof["consistency_path"]],
    )
    assert proof["second_hash"] == first.root_hash


def test_the_log_and_the_receipt_cursor_share_one_advisory_lock() -> None:
    """Two locks taken in either order by different transactions could deadlock on PostgreSQL."""
    from silkgate.declarations.service import RECEIPT_CURSOR_LOCK

    assert ledger.LEDGER_LOCK == RECEIPT_CURSOR_LOCK
