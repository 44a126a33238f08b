"""The traceability log: an append-only Merkle tree (RFC 9162 §2.1, with SM3 for SHA-256) of every
raw message, receipt and status change, with signed checkpoints (C2SP tlog-checkpoint).

- leaf hash = SM3(0x00 ‖ leaf input), node hash = SM3(0x01 ‖ left ‖ right); the hash of the empty
  tree is SM3 of nothing (RFC 9162 §2.1.1);
- leaf input of a raw message: the 32-byte SM3 digest of its bytes as received; of a receipt or a
  status change (a row of the declaration timeline): SM3 of the row's canonical JSON
  (`canonical_json`, documented in docs/signatures-and-ledger.md);
- leaves are appended in batches (`append_leaves`), in one order for the whole deployment (on
  PostgreSQL under a transaction-level advisory lock, released at commit);
- a checkpoint signs "<origin>\\n<tree size>\\n<base64 root hash>\\n" with the platform's SM2 key.

`verify_store` recomputes every leaf from the stored rows and every checkpoint's root from the
leaves, and names the first entry that disagrees. It reads the declarations domain's tables
directly on purpose: it audits what is stored, not what a service presents.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.config import get_settings
from silkgate.exceptions import InvalidState, NotFound
from silkgate.kit import crypto
from silkgate.kit.cebtime import now_utc
from silkgate.models.declarations import Declaration, DeclarationEvent, RawMessage, Receipt
from silkgate.models.org import Organisation
from silkgate.models.trust import LedgerCheckpoint, LedgerLeaf
from silkgate.trust import service

LEAVES = cast(Table, LedgerLeaf.__table__)
CHECKPOINTS = cast(Table, LedgerCheckpoint.__table__)
RAW = cast(Table, RawMessage.__table__)
RECEIPTS = cast(Table, Receipt.__table__)
EVENTS = cast(Table, DeclarationEvent.__table__)
# The pg advisory lock serialising leaf indexes and checkpoints: the same key as the receipts'
# cursor lock (declarations.service.RECEIPT_CURSOR_LOCK), so a transaction that appends leaves and
# issues receipts in either order can never deadlock with one that does the reverse.
LEDGER_LOCK = 0x5EC_4EC7
_INSERT_LEAVES = insert(LEAVES)

# The columns of each source row that its leaf covers, in this order (the row id is always first).
RECEIPT_FIELDS = (
    "recipient_org_id",
    "declaration_id",
    "raw_message_id",
    "message_type",
    "declared_type",
    "guid",
    "business_no",
    "return_status",
    "return_info",
    "errors",
    "created_at",
)
EVENT_FIELDS = ("declaration_id", "at", "status", "step", "info", "detail", "actor_org_id")
SOURCE_LABELS = {"raw_messages": "原始报文", "receipts": "回执", "declaration_events": "状态变更"}


# --- RFC 9162 §2.1 with SM3 ------------------------------------------------------------------------


def leaf_hash(leaf_input: bytes) -> bytes:
    return crypto.sm3(b"\x00" + leaf_input)


def node_hash(left: bytes, right: bytes) -> bytes:
    return crypto.sm3(b"\x01" + left + right)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_hash(hashes: Sequence[bytes], lo: int = 0, hi: int | None = None) -> bytes:
    """MTH(D[lo:hi]) of leaf hashes (§2.1.1)."""
    hi = len(hashes) if hi is None else hi
    n = hi - lo
    if n == 0:
        return crypto.sm3(b"")
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(tree_hash(hashes, lo, lo + k), tree_hash(hashes, lo + k, hi))


def inclusion_path(hashes: Sequence[bytes], m: int, lo: int = 0, hi: int | None = None) -> list[bytes]:
    """PATH(m, D[lo:hi]) (§2.1.3.1): the audit path of leaf m, leaf to root."""
    hi = len(hashes) if hi is None else hi
    n = hi - lo
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return [*inclusion_path(hashes, m, lo, lo + k), tree_hash(hashes, lo + k, hi)]
    return [*inclusion_path(hashes, m - k, lo + k, hi), tree_hash(hashes, lo, lo + k)]


def consistency_path(hashes: Sequence[bytes], m: int) -> list[bytes]:
    """PROOF(m, D[n]) (§2.1.4.1) that the tree of the first m leaves is a prefix of all of them."""
    if m == 0 or m == len(hashes):
        return []
    return _subproof(hashes, m, 0, len(hashes), True)


def _subproof(hashes: Sequence[bytes], m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [tree_hash(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(hashes, m, lo, lo + k, whole), tree_hash(hashes, lo + k, hi)]
    return [*_subproof(hashes, m - k, lo + k, hi, False), tree_hash(hashes, lo, lo + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """§2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: Sequence[bytes]
) -> bool:
    """§2.1.4.2."""
    if first > second:
        return False
    if first == second:
        return not path and first_hash == second_hash
    if first == 0:
        return not path
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:  # a power of two: the first tree is a complete subtree
        proof.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_hash and sr == second_hash


def extend_frontier(frontier: list[tuple[int, bytes]], hashes: Iterable[bytes]) -> list[tuple[int, bytes]]:
    """The perfect subtrees (size, root), largest first, of a tree grown by `hashes`."""
    out = list(frontier)
    for h in hashes:
        out.append((1, h))
        while len(out) > 1 and out[-1][0] == out[-2][0]:
            (size, left), (_, right) = out[-2], out[-1]
            out[-2:] = [(size * 2, node_hash(left, right))]
    return out


def frontier_root(frontier: Sequence[tuple[int, bytes]]) -> bytes:
    """MTH of the whole tree from its perfect subtrees (folded from the right, as §2.1.1 splits)."""
    if not frontier:
        return crypto.sm3(b"")
    acc = frontier[-1][1]
    for _, h in reversed(frontier[:-1]):
        acc = node_hash(h, acc)
    return acc


# --- leaf inputs -----------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_json(table: str, row_id: int, row: Mapping[str, Any], fields: Sequence[str]) -> bytes:
    """The documented canonical JSON of a stored row: {"table", "id", and each covered column};
    keys sorted, no spaces, UTF-8 (not ASCII-escaped), times as UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ"."""
    obj = {"table": table, "id": row_id, **{f: _json_value(row.get(f)) for f in fields}}
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Leaf:
    source: str  # raw_messages | receipts | declaration_events
    source_id: int
    guid: str | None
    leaf_input: bytes


def raw_leaf(raw_id: int, guid: str | None, digest_hex: str) -> Leaf:
    """A raw message: leaf input = SM3 of its bytes as received (the digest stored beside it)."""
    return Leaf("raw_messages", raw_id, (guid or None) and guid[:64], bytes.fromhex(digest_hex))


def receipt_leaves(ids: Sequence[int], rows: Sequence[Mapping[str, Any]]) -> list[Leaf]:
    return [
        Leaf(
            "receipts", i, r.get("guid") or None, crypto.sm3(canonical_json("receipts", i, r, RECEIPT_FIELDS))
        )
        for i, r in zip(ids, rows, strict=True)
    ]


def event_leaves(ids: Sequence[int], rows: Sequence[Mapping[str, Any]]) -> list[Leaf]:
    out = []
    for i, r in zip(ids, rows, strict=True):
        detail = r.get("detail") or {}
        guid = detail.get("guid") if isinstance(detail, dict) else None
        data = canonical_json("declaration_events", i, r, EVENT_FIELDS)
        out.append(Leaf("declaration_events", i, str(guid)[:64] if guid else None, crypto.sm3(data)))
    return out


# --- appending -------------------------------------------------------------------------------------


def enabled() -> bool:
    return get_settings().ledger


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LEDGER_LOCK)))


def tree_size(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(LEAVES.c.leaf_index) + 1, 0))) or 0)


def append_leaves(session: Session, leaves: Sequence[Leaf]) -> None:
    """Append leaves to the log in the given order, in the caller's transaction (one insert)."""
    if not leaves or not enabled():
        return
    _lock(session)
    start = tree_size(session)
    now = now_utc()
    session.connection().execute(
        _INSERT_LEAVES,
        [
            {
                "leaf_index": start + n,
                "source": leaf.source,
                "source_id": leaf.source_id,
                "guid": leaf.guid,
                "leaf_hash": leaf_hash(leaf.leaf_input),
                "appended_at": now,
            }
            for n, leaf in enumerate(leaves)
        ],
    )


def insert_with_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (executemany) and return their ids in order: PostgreSQL by RETURNING in parameter
    order; SQLite, whose writers are serialised, as the block of ids just below the new maximum."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return [int(r[0]) for r in result]
    connection.execute(insert(table), rows)
    last = int(connection.execute(select(func.max(table.c.id))).scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


# --- checkpoints -----------------------------------------------------------------------------------


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The body of a C2SP tlog-checkpoint: origin, tree size in decimal, base64 root hash."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def _hashes(session: Session, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
    q = select(LEAVES.c.leaf_hash).where(LEAVES.c.leaf_index >= start).order_by(LEAVES.c.leaf_index)
    if stop is not None:
        q = q.where(LEAVES.c.leaf_index < stop)
    for (h,) in session.execute(q.execution_options(yield_per=10_000)):
        yield bytes(h)


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(1))


def make_checkpoint(session: Session) -> LedgerCheckpoint:
    """Sign the tree head of the log as it stands (the latest one when nothing was appended since)."""
    _lock(session)
    last = latest_checkpoint(session)
    size = tree_size(session)
    if last is not None and last.tree_size == size:
        return last
    start = last.tree_size if last is not None else 0
    frontier = [(int(s), bytes.fromhex(h)) for s, h in (last.frontier if last is not None else [])]
    frontier = extend_frontier(frontier, _hashes(session, start, size))
    root = frontier_root(frontier)
    signer = service.platform_signer(session)
    body = checkpoint_body(signer.origin, size, root)
    signature = base64.b64encode(crypto.sm2_sign(signer.key, body.encode())).decode()
    row = LedgerCheckpoint(
        tree_size=size,
        root_hash=root.hex(),
        checkpoint=body,
        signature=signature,
        key_fingerprint=signer.certificate.fingerprint,
        frontier=[[s, h.hex()] for s, h in frontier],
        created_at=now_utc(),
    )
    session.add(row)
    session.flush()
    return row


def checkpoint_json(row: LedgerCheckpoint) -> dict[str, Any]:
    return {
        "tree_size": row.tree_size,
        "root_hash": row.root_hash,
        "checkpoint": row.checkpoint,
        "checkpoint_signature": row.signature,
        "created_at": row.created_at.astimezone(dt.UTC).isoformat(),
    }


# --- proofs ----------------------------------------------------------------------------------------

_SOURCE_PREFERENCE = {"raw_messages": 0, "receipts": 1, "declaration_events": 2}


def leaves_for_guid(session: Session, guid: str) -> list[LedgerLeaf]:
    rows = list(
        session.scalars(select(LedgerLeaf).where(LedgerLeaf.guid == guid).order_by(LedgerLeaf.leaf_index))
    )
    return sorted(rows, key=lambda r: (_SOURCE_PREFERENCE.get(r.source, 9), r.leaf_index))


def inclusion_proof(session: Session, leaf: LedgerLeaf, checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    """RFC 9162 §2.1.3 inclusion proof of `leaf` in the tree `checkpoint` signed."""
    hashes = list(_hashes(session, 0, checkpoint.tree_size))
    path = inclusion_path(hashes, leaf.leaf_index)
    return {
        "leaf_index": leaf.leaf_index,
        "tree_size": checkpoint.tree_size,
        "leaf_hash": bytes(leaf.leaf_hash).hex(),
        "source": leaf.source,
        "source_id": leaf.source_id,
        "guid": leaf.guid,
        "audit_path": [p.hex() for p in path],
        "root_hash": checkpoint.root_hash,
        "checkpoint": checkpoint.checkpoint,
        "checkpoint_signature": checkpoint.signature,
    }


def _owner_org(session: Session, leaf: LedgerLeaf) -> int | None:
    """The organisation a leaf's row belongs to: a raw message's sender, a receipt's recipient, the
    sender of the declaration a timeline event is about."""
    if leaf.source == "raw_messages":
        return session.scalar(select(RAW.c.sender_org_id).where(RAW.c.id == leaf.source_id))
    if leaf.source == "receipts":
        return session.scalar(select(RECEIPTS.c.recipient_org_id).where(RECEIPTS.c.id == leaf.source_id))
    declarations = cast(Table, Declaration.__table__)
    return session.scalar(
        select(declarations.c.sender_org_id)
        .join(EVENTS, EVENTS.c.declaration_id == declarations.c.id)
        .where(EVENTS.c.id == leaf.source_id)
    )


def visible_to(session: Session, principal: Principal, leaf: LedgerLeaf) -> bool:
    """An organisation sees the proofs of its own rows; the zone office and agencies those of their zone."""
    org_id = _owner_org(session, leaf)
    if org_id is None:
        return False
    if org_id == principal.org_id:
        return True
    if principal.is_zone_office or principal.is_agency:
        return principal.sees_zone(
            session.scalar(select(Organisation.zone_code).where(Organisation.id == org_id))
        )
    return False


def proof_for_guid(session: Session, principal: Principal | None, guid: str) -> dict[str, Any]:
    """The inclusion proof of the first leaf carrying `guid` that the principal may see (a raw message
    before its receipts and timeline), in the latest signed checkpoint. `principal` None: the CLI."""
    leaves = [
        leaf
        for leaf in leaves_for_guid(session, guid)
        if principal is None or visible_to(session, principal, leaf)
    ]
    if not leaves:
        raise NotFound(f"溯源日志中没有guid为{guid}的记录（或无权查看）")
    checkpoint = latest_checkpoint(session)
    if checkpoint is None or checkpoint.tree_size <= leaves[0].leaf_index:
        raise InvalidState(
            "该记录尚未纳入签名检查点：服务器每分钟签署一次，请稍后再试（或运行 silkgate ledger checkpoint）"
        )
    return inclusion_proof(session, leaves[0], checkpoint)


def consistency_proof(session: Session, first: int, second: int) -> dict[str, Any]:
    """RFC 9162 §2.1.4 proof that the tree of `first` leaves is a prefix of the tree of `second`."""
    hashes = list(_hashes(session, 0, second))
    if second > len(hashes) or first > second or first < 0:
        raise ValueError(f"tree sizes must satisfy 0 <= first <= second <= {len(hashes)}")
    return {
        "first": first,
        "second": second,
        "first_hash": tree_hash(hashes, 0, first).hex(),
        "second_hash": tree_hash(hashes).hex(),
        "consistency_path": [p.hex() for p in consistency_path(hashes, first)],
    }


# --- verifying the store ---------------------------------------------------------------------------


@dataclass
class Finding:
    source: str
    source_id: int | None
    guid: str | None
    leaf_index: int | None
    problem: str

    def describe(self) -> str:
        where = f"{self.source} id={self.source_id}" if self.source_id is not None else self.source
        guid = f" guid={self.guid}" if self.guid else ""
        leaf = f"（日志第{self.leaf_index}条）" if self.leaf_index is not None else ""
        return f"{where}{guid}{leaf}：{self.problem}"


@dataclass
class VerifyReport:
    leaves: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings


_SOURCE_TABLES: dict[str, tuple[Table, tuple[str, ...]]] = {
    "raw_messages": (RAW, ("body", "guid")),
    "receipts": (RECEIPTS, RECEIPT_FIELDS),
    "declaration_events": (EVENTS, EVENT_FIELDS),
}


def _recomputed(source: str, row_id: int, row: Mapping[str, Any]) -> bytes:
    if source == "raw_messages":
        return leaf_hash(crypto.sm3(bytes(row["body"])))
    fields = _SOURCE_TABLES[source][1]
    return leaf_hash(crypto.sm3(canonical_json(source, row_id, row, fields)))


def verify_store(session: Session, *, chunk: int = 5000) -> VerifyReport:
    """Recompute every leaf from its stored row and every checkpoint from the leaves; report what
    disagrees, in log order (the first finding is the first bad entry)."""
    report = VerifyReport()
    checkpoints = list(session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size)))
    wanted = {c.tree_size: c for c in checkpoints}
    frontier: list[tuple[int, bytes]] = []
    seen: dict[str, set[int]] = {s: set() for s in _SOURCE_TABLES}
    expected_index = 0
    if 0 in wanted:
        _check_checkpoint(session, wanted[0], frontier_root([]), report)
    last_index = -1
    while True:
        batch = list(
            session.scalars(
                select(LedgerLeaf)
                .where(LedgerLeaf.leaf_index > last_index)
                .order_by(LedgerLeaf.leaf_index)
                .limit(chunk)
            )
        )
        if not batch:
            break
        last_index = batch[-1].leaf_index
        rows: dict[str, dict[int, Mapping[str, Any]]] = {}
        for source in {leaf.source for leaf in batch}:
            if source not in _SOURCE_TABLES:
                continue
            table, fields = _SOURCE_TABLES[source]
            ids = [leaf.source_id for leaf in batch if leaf.source == source]
            columns = [table.c.id, *(table.c[f] for f in fields)]
            found = session.execute(select(*columns).where(table.c.id.in_(ids)))
            rows[source] = {int(r.id): dict(r._mapping) for r in found}
        for leaf in batch:
            if leaf.leaf_index != expected_index:
                report.findings.append(
                    Finding(
                        "ledger_leaves",
                        None,
                        None,
                        expected_index,
                        f"日志条目缺失或重排（应为第{expected_index}条，实为第{leaf.leaf_index}条）",
                    )
                )
                expected_index = leaf.leaf_index
            expected_index += 1
            report.leaves += 1
            row = rows.get(leaf.source, {}).get(leaf.source_id)
            label = SOURCE_LABELS.get(leaf.source, leaf.source)
            if leaf.source not in _SOURCE_TABLES:
                report.findings.append(
                    Finding(leaf.source, leaf.source_id, leaf.guid, leaf.leaf_index, "未知的日志来源")
                )
            elif row is None:
                report.findings.append(
                    Finding(
                        leaf.source,
                        leaf.source_id,
                        leaf.guid,
                        leaf.leaf_index,
                        f"{label}记录已被删除（日志中有，库中无）",
                    )
                )
            else:
                seen[leaf.source].add(leaf.source_id)
                if _recomputed(leaf.source, leaf.source_id, row) != bytes(leaf.leaf_hash):
                    guid = row.get("guid") if leaf.source != "declaration_events" else leaf.guid
                    report.findings.append(
                        Finding(
                            leaf.source,
                            leaf.source_id,
                            guid or leaf.guid,
                            leaf.leaf_index,
                            f"{label}内容与日志不符（记录被修改或与其他记录调换了位置）",
                        )
                    )
            frontier = extend_frontier(frontier, [bytes(leaf.leaf_hash)])
            if expected_index in wanted:
                _check_checkpoint(session, wanted[expected_index], frontier_root(frontier), report)
    for size, checkpoint in wanted.items():
        if size > expected_index:
            report.findings.append(
                Finding(
                    "ledger_checkpoints",
                    checkpoint.id,
                    None,
                    None,
                    f"检查点的树大小{size}超过日志现有条目数{expected_index}（日志条目被删除）",
                )
            )
    report.checkpoints = len(checkpoints)
    _check_unlogged(session, seen, report)
    return report


def _check_checkpoint(
    session: Session, checkpoint: LedgerCheckpoint, root: bytes, report: VerifyReport
) -> None:
    if root.hex() != checkpoint.root_hash:
        report.findings.append(
            Finding(
                "ledger_checkpoints",
                checkpoint.id,
                None,
                None,
                f"树大小{checkpoint.tree_size}的根哈希与签名检查点不符（日志条目被修改、删除或重排）",
            )
        )
    if not service.checkpoint_signature_valid(session, checkpoint):
        report.findings.append(
            Finding(
                "ledger_checkpoints",
                checkpoint.id,
                None,
                None,
                f"树大小{checkpoint.tree_size}的检查点签名无效",
            )
        )


def _check_unlogged(session: Session, seen: dict[str, set[int]], report: VerifyReport) -> None:
    """Rows stored after the log began that have no leaf (written around the platform)."""
    for source, ids in seen.items():
        if not ids:
            continue
        table = _SOURCE_TABLES[source][0]
        first = min(ids)
        for (row_id,) in session.execute(select(table.c.id).where(table.c.id > first).order_by(table.c.id)):
            if row_id not in ids:
                report.findings.append(
                    Finding(
                        source,
                        int(row_id),
                        None,
                        None,
                        f"{SOURCE_LABELS[source]}记录不在日志中（绕过平台写入）",
                    )
                )
                break


# --- the server's checkpointer ---------------------------------------------------------------------


def start_checkpointer(database_url: str, every_seconds: float) -> threading.Event:
    """A daemon thread that signs a checkpoint every `every_seconds` while the log grows (the
    server's); set the returned event to stop it."""
    from silkgate.db import engine_for, unit_of_work

    stop = threading.Event()

    def run() -> None:
        engine = engine_for(database_url)
        while not stop.wait(every_seconds):
            try:
                with unit_of_work(engine) as session:
                    make_checkpoint(session)
            except Exception:  # a busy database: try again at the next tick
                import logging

                logging.getLogger("silkgate.ledger").exception("ledger checkpoint failed")

    threading.Thread(target=run, name="silkgate-ledger-checkpoints", daemon=True).start()
    return stop
