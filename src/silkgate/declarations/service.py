"""CEB messages in: store, authorise, version and dispatch every business document; receipts out.

`ingest` takes the bytes of one message from one sender and answers with receipts. Everything the
message changes happens in the caller's transaction (the API request, or a savepoint per message in
`ingest_batch`): the raw message is always kept, byte for byte with its SM3 digest; a message that
is refused as a whole (malformed, hostile XML, oversize, unknown type, a sender the documents do not
name) stores nothing else. The same message guid from the same sender again returns the receipts
first answered and changes nothing.

Import documents go on to clearance (`clearance.pipeline.on_import_document`); export documents to
`export.service.on_export_document` when the export domain provides it.

The hot path writes through SQLAlchemy Core; timeline events and receipts are buffered per session
and written with executemany (`flush_pending`), at the latest before the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import Row, Table, and_, bindparam, delete, event, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from silkgate.auth.principal import Principal
from silkgate.config import get_settings
from silkgate.declarations import codes
from silkgate.declarations.documents import (
    EXPORT_SENDER_CODE_FIELDS,
    KEY_COLUMN,
    KEY_ENTERPRISE_COLUMN,
    KIND_LABELS,
    SENDER_CODE_FIELDS,
    business_key,
    line_rows,
    row_values,
)
from silkgate.declarations.lookups import EnterpriseFiling, forget_lookups, lookups
from silkgate.declarations.messages import MessageRejected, ParsedDocument, ParsedMessage, parse_message
from silkgate.declarations.receipts import RECEIPT_TYPE_FOR
from silkgate.exceptions import FieldError, NotFound, ValidationFailed
from silkgate.kit.cebtime import BEIJING, now_utc
from silkgate.kit.crypto import field_cipher, sm3_hex
from silkgate.models.declarations import (
    BrokerAuthorisation,
    Declaration,
    DeclarationEvent,
    DeclarationLine,
    ListHourCount,
    RawMessage,
    Receipt,
)
from silkgate.trust import ledger
from silkgate.trust import service as trust

log = logging.getLogger("silkgate.ingest")
DECLARATIONS = cast(Table, Declaration.__table__)
LINES = cast(Table, DeclarationLine.__table__)
EVENTS = cast(Table, DeclarationEvent.__table__)
RECEIPTS = cast(Table, Receipt.__table__)
RAW = cast(Table, RawMessage.__table__)
LIST_HOURS = cast(Table, ListHourCount.__table__)

# Pre-built statements of the hot path, executed on the session's connection with parameters:
# no statement construction or ORM execution overhead per message (about 5x cheaper each).
_INSERT_RAW = insert(RAW).returning(RAW.c.id)
_INSERT_DECLARATION = insert(DECLARATIONS).returning(DECLARATIONS.c.id)
_INSERT_LINES = insert(LINES)
_INSERT_EVENTS = insert(EVENTS)
_INSERT_RECEIPTS = insert(RECEIPTS)
_UPDATE_DECLARATION = update(DECLARATIONS).where(DECLARATIONS.c.id == bindparam("_declaration_id"))
_UPDATE_RAW_RESPONSE = (
    update(RAW).where(RAW.c.id == bindparam("raw_id")).values(response=bindparam("raw_response"))
)
_SELECT_DECLARATION = select(DECLARATIONS).where(DECLARATIONS.c.id == bindparam("_declaration_id"))
_SELECT_VERSION = select(
    DECLARATIONS.c.version,
    DECLARATIONS.c.zone_code,
    DECLARATIONS.c.ebc_enterprise_id,
    DECLARATIONS.c.created_at,
).where(DECLARATIONS.c.id == bindparam("_declaration_id"))
_SELECT_PRIOR_ANSWER = (
    select(RAW.c.response)
    .where(
        RAW.c.sender_org_id == bindparam("sender"),
        RAW.c.guid == bindparam("guid"),
        RAW.c.outcome == "accepted",
    )
    .order_by(RAW.c.id)
    .limit(1)
)


def run(session: Session, statement: Any, params: Any = None) -> Any:
    """Execute a Core statement on the session's current connection (savepoint-aware)."""
    return session.connection().execute(statement, params if params is not None else {})


# Statuses in which a document can no longer be changed or deleted (appType 2/3).
LOCKED_STATUSES = frozenset({"released", "held", "withdrawn", "returned", "departed", "closed"})
# Statuses of a document that no longer counts (a new one with the same business number may come).
SUPERSEDED_STATUSES = frozenset({"deleted", "rejected", "withdrawn"})
IMPORT_MATCHED_KINDS = frozenset({"order", "payment", "waybill", "inventory"})
FORMAT_RECEIPT = "CEB900"
RECEIPT_CURSOR_LOCK = 0x5EC_4EC7  # pg advisory lock key serialising receipt ids


def receipt_type_for(message_type: str) -> str:
    """The receipt type answering a declaration type (FIELDS.md §1); CEB900 for anything else."""
    return RECEIPT_TYPE_FOR.get(message_type, FORMAT_RECEIPT)


def accepted_status(message_type: str, wanted: str = codes.STATUS_CUSTOMS_RECORDED) -> str:
    """`wanted` if the receipt type's XSD lists it, else 2 电子口岸申报中 (listed by every receipt)."""
    allowed = codes.RECEIPT_STATUSES.get(receipt_type_for(message_type))
    return wanted if allowed is None or wanted in allowed else codes.STATUS_DECLARING


@dataclass(frozen=True)
class ReceiptOut:
    """One receipt as the API, the CLI (`--jsonl`) and replays return it."""

    guid: str
    message_type: str  # the DECLARED type, e.g. CEB621
    receipt_type: str  # the receipt's type, e.g. CEB622 (CEB900 for a format rejection)
    business_no: str
    return_status: str
    return_info: str
    errors: list[dict[str, str]] = field(default_factory=list)
    declaration_id: int | None = None
    recipient_org_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "message_type": self.message_type,
            "receipt_type": self.receipt_type,
            "business_no": self.business_no,
            "return_status": self.return_status,
            "return_info": self.return_info,
            "errors": list(self.errors),
            "declaration_id": self.declaration_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReceiptOut:
        return cls(
            guid=str(data.get("guid") or ""),
            message_type=str(data.get("message_type") or ""),
            receipt_type=str(data.get("receipt_type") or ""),
            business_no=str(data.get("business_no") or ""),
            return_status=str(data.get("return_status") or ""),
            return_info=str(data.get("return_info") or ""),
            errors=list(data.get("errors") or []),
            declaration_id=data.get("declaration_id"),
        )


class DeclarationRef(Protocol):
    """What a receipt needs to know of its declaration (an ORM `Declaration` or a `StoredDocument`)."""

    @property
    def id(self) -> int: ...
    @property
    def sender_org_id(self) -> int | None: ...
    @property
    def message_type(self) -> str: ...
    @property
    def guid(self) -> str: ...
    @property
    def business_no(self) -> str: ...


@dataclass
class StoredDocument:
    """A declaration as stored, the handle clearance and export work with (no personal data)."""

    id: int
    kind: str
    direction: str
    message_type: str
    guid: str
    business_no: str
    sender_org_id: int | None
    zone_code: str | None
    status: str
    trade_mode: str | None = None
    order_no: str | None = None
    ebp_code: str | None = None
    logistics_no: str | None = None
    logistics_code: str | None = None
    invt_no: str | None = None
    app_status: str = "2"
    received_at: dt.datetime | None = None
    app_type: str = "1"

    @classmethod
    def from_row(cls, row: Any) -> StoredDocument:
        m = row._mapping if isinstance(row, Row) else row
        return cls(
            id=m["id"],
            kind=m["kind"],
            direction=m["direction"],
            message_type=m["message_type"],
            guid=m["guid"],
            business_no=m["business_no"],
            sender_org_id=m["sender_org_id"],
            zone_code=m["zone_code"],
            status=m["status"],
            trade_mode=m["trade_mode"],
            order_no=m["order_no"],
            ebp_code=m["ebp_code"],
            logistics_no=m["logistics_no"],
            logistics_code=m["logistics_code"],
            invt_no=m["invt_no"],
            app_status=m["app_status"],
            received_at=m["created_at"],
        )


# --- the per-session write buffer ------------------------------------------------------------------


@dataclass
class _Pending:
    events: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    raw_responses: list[dict[str, Any]] = field(default_factory=list)
    issued: list[ReceiptOut] = field(default_factory=list)  # receipts of the message in hand
    clock: dt.datetime | None = None  # the moment the message in hand was received
    root: Any = None  # the SessionTransaction the buffered rows belong to
    # Additive writes other domains defer to the end of the transaction (`defer_write`).
    deferred: list[tuple[DeferredWriter, Any]] = field(default_factory=list)
    batching: bool = False  # inside `ingest_batch`: deferred writes wait for its flush
    # trust: traceability-log leaves of the raw messages stored, appended with the rest at the flush
    leaves: list[ledger.Leaf] = field(default_factory=list)

    def marks(self) -> tuple[int, int, int, int, int]:
        return (
            len(self.events),
            len(self.receipts),
            len(self.raw_responses),
            len(self.deferred),
            len(self.leaves),
        )

    def truncate(self, marks: tuple[int, int, int, int, int]) -> None:
        del self.events[marks[0] :]
        del self.receipts[marks[1] :]
        del self.raw_responses[marks[2] :]
        del self.deferred[marks[3] :]
        del self.leaves[marks[4] :]


DeferredWriter = Callable[[Session, list[Any]], None]


def defer_write(session: Session, writer: DeferredWriter, item: Any) -> None:
    """Leave an additive write (e.g. a statistics delta) to the end of the transaction, where
    `writer(session, items)` gets every item deferred to it, in order, at once.

    For counters that many declarations of one transaction touch (the zone's daily rollup cells):
    one merged write per commit instead of one per declaration, and on PostgreSQL no chain of row
    versions that every later update in the transaction must walk. A message rolled back in
    `ingest_batch` takes its deferred items with it. Readers of such figures in the same transaction
    call `flush_pending` first."""
    pending = _pending(session)
    if pending.batching:
        pending.deferred.append((writer, item))
    else:
        writer(session, [item])


_PENDING_KEY = "silkgate.declarations.pending"


def _pending(session: Session) -> _Pending:
    """The buffer of the session's current (outermost) transaction: a rolled-back transaction's
    buffered rows never reach the next one."""
    root = session.get_transaction()
    pending: _Pending | None = session.info.get(_PENDING_KEY)
    if pending is None or (pending.root is not None and pending.root is not root):
        pending = session.info[_PENDING_KEY] = _Pending(root=root)
    elif pending.root is None:
        pending.root = root
    return pending


# --- lists per enterprise and hour (kept as lists are stored) --------------------------------------


def epoch_hour(moment: dt.datetime) -> int:
    """The UTC hour a moment falls in, as whole hours since 1970-01-01T00:00Z."""
    return int(moment.timestamp() // 3600)


_LIST_HOUR_UPSERTS: dict[str, Any] = {}


def _list_hour_upsert(dialect: str) -> Any:
    statement = _LIST_HOUR_UPSERTS.get(dialect)
    if statement is None:
        insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
        base = insert_(LIST_HOURS)
        statement = _LIST_HOUR_UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=["zone_code", "enterprise_id", "hour"],
            set_={"lists": LIST_HOURS.c.lists + base.excluded.lists},
        )
    return statement


def write_list_hours(connection: Any, items: Iterable[tuple[str, int, int, int]]) -> None:
    """Add (zone, enterprise, hour, delta) items to the hourly list counts, merged by key."""
    merged: dict[tuple[str, int, int], int] = {}
    for zone, enterprise_id, hour, delta in items:
        merged[(zone, enterprise_id, hour)] = merged.get((zone, enterprise_id, hour), 0) + delta
    rows = [
        {"zone_code": z, "enterprise_id": e, "hour": h, "lists": n}
        for (z, e, h), n in sorted(merged.items())
        if n
    ]
    if rows:
        connection.execute(_list_hour_upsert(connection.dialect.name), rows)


def _write_list_hours(session: Session, items: list[tuple[str, int, int, int]]) -> None:
    write_list_hours(session.connection(), items)


def count_list(
    session: Session, zone_code: str | None, enterprise_id: int | None, created_at: dt.datetime, delta: int
) -> None:
    """A stored inventory list counts in its enterprise's hour (deferred inside `ingest_batch`)."""
    if zone_code and enterprise_id is not None:
        defer_write(session, _write_list_hours, (zone_code, enterprise_id, epoch_hour(created_at), delta))


def pending_list_hours(session: Session, zone_code: str, enterprise_id: int) -> dict[int, int]:
    """Counts of this transaction not yet written (an ingest batch writes them at its commits)."""
    pending: _Pending | None = session.info.get(_PENDING_KEY)
    found: dict[int, int] = {}
    if pending is None or pending.root is not session.get_transaction():
        return found
    for writer, item in pending.deferred:
        if writer is _write_list_hours and item[0] == zone_code and item[1] == enterprise_id:
            found[item[2]] = found.get(item[2], 0) + item[3]
    return found


@event.listens_for(Declaration, "after_insert")
def _count_orm_list(_mapper: Any, connection: Any, target: Declaration) -> None:
    """Lists written through the ORM (not the ingest path's Core insert) count at once."""
    if target.kind == "inventory" and target.zone_code and target.ebc_enterprise_id is not None:
        write_list_hours(
            connection, [(target.zone_code, target.ebc_enterprise_id, epoch_hour(target.created_at), 1)]
        )


@event.listens_for(Declaration, "after_delete")
def _uncount_orm_list(_mapper: Any, connection: Any, target: Declaration) -> None:
    if target.kind == "inventory" and target.zone_code and target.ebc_enterprise_id is not None:
        write_list_hours(
            connection, [(target.zone_code, target.ebc_enterprise_id, epoch_hour(target.created_at), -1)]
        )


def flush_pending(session: Session) -> None:
    """Write the buffered timeline events, receipts and raw-message answers (executemany)."""
    pending = session.info.get(_PENDING_KEY)
    if pending is None:
        return
    if pending.root is not None and pending.root is not session.get_transaction():
        session.info.pop(_PENDING_KEY, None)  # rows of a transaction that was rolled back
        return
    logged = ledger.enabled()
    leaves, pending.leaves = pending.leaves, []
    if pending.events:
        rows, pending.events = pending.events, []
        if logged:
            leaves += ledger.event_leaves(ledger.insert_with_ids(session, EVENTS, rows), rows)
        else:
            run(session, _INSERT_EVENTS, rows)
    if pending.receipts:
        rows, pending.receipts = pending.receipts, []
        if session.get_bind().dialect.name == "postgresql":
            # Receipt ids are the cursor of GET /receipts: taking them under one transaction-level
            # lock, released at commit, makes id order commit order, so a reader that has seen id n
            # never later finds a new receipt below n. (SQLite serialises writers already.)
            session.execute(select(func.pg_advisory_xact_lock(RECEIPT_CURSOR_LOCK)))
        if logged:
            leaves += ledger.receipt_leaves(ledger.insert_with_ids(session, RECEIPTS, rows), rows)
        else:
            run(session, _INSERT_RECEIPTS, rows)
    # trust: every raw message, timeline event (status change) and receipt written is a log leaf
    ledger.append_leaves(session, leaves)
    if pending.raw_responses:
        rows, pending.raw_responses = pending.raw_responses, []
        run(session, _UPDATE_RAW_RESPONSE, rows)
    if pending.deferred:
        deferred, pending.deferred = pending.deferred, []
        by_writer: dict[DeferredWriter, list[Any]] = {}
        for writer, item in deferred:
            by_writer.setdefault(writer, []).append(item)
        for writer, items in by_writer.items():
            writer(session, items)


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the buffer is written with the enclosing transaction
    flush_pending(session)


@contextmanager
def clock_at(session: Session, moment: dt.datetime | None) -> Iterator[None]:
    """Run pipeline work (receipts, events, decisions) at `moment`: the demo replays history."""
    pending = _pending(session)
    before = pending.clock
    pending.clock = moment
    try:
        yield
    finally:
        pending.clock = before


def now_for(session: Session) -> dt.datetime:
    """The time of the message in hand (the demo replays weeks of trade with their own clock)."""
    return _pending(session).clock or now_utc()


# --- receipts and timeline -------------------------------------------------------------------------


def issue_receipt(
    session: Session,
    declaration: DeclarationRef,
    return_status: str,
    return_info: str,
    errors: Iterable[FieldError] = (),
    *,
    recipient_org_id: int | None = None,
) -> ReceiptOut:
    """The ONE way any domain answers a declaration: a receipt to its sender (or `recipient_org_id`),
    in the receipt type the standard pairs with the declaration's type."""
    recipient = recipient_org_id or declaration.sender_org_id
    out = ReceiptOut(
        guid=declaration.guid,
        message_type=declaration.message_type,
        receipt_type=receipt_type_for(declaration.message_type),
        business_no=declaration.business_no,
        return_status=return_status,
        return_info=return_info[:1000],
        errors=[e.as_dict() for e in errors],
        declaration_id=declaration.id,
        recipient_org_id=recipient,
    )
    pending = _pending(session)
    if recipient is not None:
        pending.receipts.append(
            {
                "recipient_org_id": recipient,
                "declaration_id": declaration.id,
                "raw_message_id": None,
                "message_type": out.receipt_type,
                "declared_type": out.message_type,
                "guid": out.guid,
                "business_no": out.business_no[:64],
                "return_status": out.return_status,
                "return_info": out.return_info,
                "errors": out.errors,
                "created_at": now_for(session),
            }
        )
    pending.issued.append(out)
    return out


def add_event(
    session: Session,
    declaration_id: int,
    status: str,
    step: str,
    info: str,
    detail: dict[str, Any] | None = None,
    *,
    actor_org_id: int | None = None,
) -> None:
    """One step of a declaration's timeline (no personal data in `detail`)."""
    _pending(session).events.append(
        {
            "declaration_id": declaration_id,
            "at": now_for(session),
            "status": status,
            "step": step,
            "info": info,
            "detail": detail or {},
            "actor_org_id": actor_org_id,
        }
    )


def set_status(session: Session, declaration_id: int, status: str, **columns: Any) -> None:
    run(
        session,
        _UPDATE_DECLARATION,
        {"_declaration_id": declaration_id, "status": status, "updated_at": now_for(session), **columns},
    )


def update_columns(session: Session, declaration_id: int, **columns: Any) -> None:
    run(session, _UPDATE_DECLARATION, {"_declaration_id": declaration_id, **columns})


def load_document(session: Session, declaration_id: int) -> StoredDocument | None:
    row = run(session, _SELECT_DECLARATION, {"_declaration_id": declaration_id}).first()
    return StoredDocument.from_row(row) if row is not None else None


def load_row(session: Session, declaration_id: int) -> Any:
    """The declaration's row (all columns), for clearance."""
    return run(session, _SELECT_DECLARATION, {"_declaration_id": declaration_id}).one()


# --- ingest ----------------------------------------------------------------------------------------


def _format_rejection(exc: MessageRejected) -> ReceiptOut:
    return ReceiptOut(
        guid=exc.guid or "",
        message_type=exc.message_type or "Unknown",
        receipt_type=FORMAT_RECEIPT,
        business_no="",
        return_status=codes.STATUS_FORMAT_ERROR,
        return_info=exc.message[:1000],
        errors=[e.as_dict() for e in exc.errors]
        or [{"field": "message", "code": exc.code, "message": exc.message}],
    )


def _message_rejection(
    msg: ParsedMessage, code: str, message: str, errors: Sequence[FieldError]
) -> ReceiptOut:
    return ReceiptOut(
        guid=msg.guid,
        message_type=msg.message_type,
        receipt_type=FORMAT_RECEIPT,
        business_no=msg.documents[0].business_no if len(msg.documents) == 1 else "",
        return_status=codes.STATUS_FORMAT_ERROR,
        return_info=message[:1000],
        errors=[e.as_dict() for e in errors] or [{"field": "message", "code": code, "message": message}],
    )


def _store_raw(
    session: Session,
    data: bytes,
    digest: str,
    *,
    sender_org_id: int | None,
    message_type: str | None,
    guid: str | None,
    edition: str | None,
    fmt: str,
    outcome: str,
    response: list[dict[str, Any]],
) -> int:
    result = run(
        session,
        _INSERT_RAW,
        {
            "received_at": now_for(session),
            "sender_org_id": sender_org_id,
            "message_type": message_type,
            "guid": (guid or "")[:64] or None,
            "edition": edition,
            "fmt": fmt,
            "sm3": digest,
            "size": len(data),
            "body": data,
            "outcome": outcome,
            "response": response,
        },
    )
    raw_id = int(result.scalar_one())
    _pending(session).leaves.append(ledger.raw_leaf(raw_id, guid, digest))  # trust: logged at the flush
    return raw_id


def _guess_fmt(data: bytes, content_type: str | None) -> str:
    if content_type and "json" in content_type:
        return "json"
    return "json" if data.lstrip()[:1] in (b"{", b"[") else "xml"


def ingest(
    session: Session,
    data: bytes,
    *,
    content_type: str | None = None,
    sender: Principal | None = None,
    received_at: dt.datetime | None = None,
    defer_writes: bool = False,
) -> list[ReceiptOut]:
    """Take one CEB message (XML or its JSON form) from `sender` and answer with receipts.

    `sender` None: the organisation the message names in BaseTransfer/copCode (trusted local
    callers only: the CLI, the demo). `received_at` replays history with its own clock (demo).
    `defer_writes` leaves events/receipts in the session buffer for a batch to write together.
    """
    pending = _pending(session)
    pending.issued = []
    pending.clock = received_at
    try:
        receipts = _ingest(session, data, content_type=content_type, sender=sender)
    finally:
        pending.clock = None
    if not defer_writes:
        flush_pending(session)
    return receipts


def _ingest(
    session: Session, data: bytes, *, content_type: str | None, sender: Principal | None
) -> list[ReceiptOut]:
    settings = get_settings()
    digest = sm3_hex(data)
    fmt = _guess_fmt(data, content_type)
    try:
        msg = parse_message(data, content_type=content_type, max_bytes=settings.max_message_bytes)
    except MessageRejected as exc:
        receipt = _format_rejection(exc)
        _store_raw(
            session,
            data,
            digest,
            sender_org_id=sender.org_id if sender else None,
            message_type=exc.message_type,
            guid=exc.guid,
            edition=exc.edition,
            fmt=fmt,
            outcome="rejected",
            response=[receipt.as_dict()],
        )
        return [receipt]
    found = lookups(session)
    if sender is None:
        sender = found.principal_named_in(msg.transfer.get("copCode", ""))
    if sender is None:
        receipt = _message_rejection(
            msg,
            "sender_unknown",
            f"传输企业{msg.transfer.get('copCode', '')}未在平台备案，报文不予接收",
            [FieldError("BaseTransfer.copCode", "sender_unknown", "传输企业未在平台备案")],
        )
        _store_raw(
            session,
            data,
            digest,
            sender_org_id=None,
            message_type=msg.message_type,
            guid=msg.guid,
            edition=msg.edition,
            fmt=msg.fmt,
            outcome="rejected",
            response=[receipt.as_dict()],
        )
        return [receipt]

    prior = run(session, _SELECT_PRIOR_ANSWER, {"sender": sender.org_id, "guid": msg.guid}).first()
    if prior is not None:
        answered = [ReceiptOut.from_dict(r) for r in (prior[0] or [])]
        _store_raw(
            session,
            data,
            digest,
            sender_org_id=sender.org_id,
            message_type=msg.message_type,
            guid=msg.guid,
            edition=msg.edition,
            fmt=msg.fmt,
            outcome="replayed",
            response=[r.as_dict() for r in answered],
        )
        return answered

    # trust: a ds:Signature is verified against the sender's registered certificates before the
    # message's content is judged (SILKGATE_SIGNATURE_POLICY)
    refusal = trust.verify_incoming(
        session, enterprise_id=sender.enterprise_id, data=data, signed=msg.signed, at=now_for(session)
    )
    if refusal is not None:
        receipt = _message_rejection(msg, refusal.code, refusal.message, refusal.errors)
        _store_raw(
            session,
            data,
            digest,
            sender_org_id=sender.org_id,
            message_type=msg.message_type,
            guid=msg.guid,
            edition=msg.edition,
            fmt=msg.fmt,
            outcome="rejected",
            response=[receipt.as_dict()],
        )
        return [receipt]

    problems = _sender_problems(found, sender, msg)
    if problems:
        receipt = _message_rejection(
            msg, "sender_not_authorised", "发送方不是报文所列企业或其授权的报关企业，报文不予接收", problems
        )
        _store_raw(
            session,
            data,
            digest,
            sender_org_id=sender.org_id,
            message_type=msg.message_type,
            guid=msg.guid,
            edition=msg.edition,
            fmt=msg.fmt,
            outcome="rejected",
            response=[receipt.as_dict()],
        )
        return [receipt]

    raw_id = _store_raw(
        session,
        data,
        digest,
        sender_org_id=sender.org_id,
        message_type=msg.message_type,
        guid=msg.guid,
        edition=msg.edition,
        fmt=msg.fmt,
        outcome="accepted",
        response=[],
    )
    context = _Context(session=session, sender=sender, msg=msg, raw_id=raw_id)
    for doc in msg.documents:
        _dispatch(context, doc)
    pending = _pending(session)
    answered = [r for r in pending.issued if r.recipient_org_id in (None, sender.org_id)]
    pending.raw_responses.append({"raw_id": raw_id, "raw_response": [r.as_dict() for r in answered]})
    return answered


# --- who may send what -----------------------------------------------------------------------------


def _head_path(doc: ParsedDocument, index: int, field_name: str) -> str:
    return (
        f"{doc.node}[{index}].{doc.node}Head.{field_name}"
        if doc.lines
        else f"{doc.node}[{index}].{field_name}"
    )


def _sender_problems(found: Any, sender: Principal, msg: ParsedMessage) -> list[FieldError]:
    """Every document must name the sender's enterprise in one of the codes its kind allows, or an
    enterprise that authorised the sender as its customs broker."""
    if not sender.is_enterprise or sender.enterprise_id is None:
        return [FieldError("sender", "sender_not_enterprise", "只有备案企业可以报送申报报文")]
    me: EnterpriseFiling | None = found.enterprise_by_id(sender.enterprise_id)
    if me is None:
        return [FieldError("sender", "sender_not_filed", "发送方企业未备案")]
    my_codes = {c for c in (me.customs_code, me.uscc) if c}
    problems: list[FieldError] = []
    for index, doc in enumerate(msg.documents, start=1):
        if doc.kind == "receipt":
            problems.append(
                FieldError(
                    doc.node, "receipt_not_accepted", f"平台只接收申报报文，不接收回执报文{msg.message_type}"
                )
            )
            continue
        fields = SENDER_CODE_FIELDS.get(doc.kind)
        if fields is None:
            fields = EXPORT_SENDER_CODE_FIELDS
        named = [(f, doc.head.get(f, "")) for f in fields if doc.head.get(f)]
        if any(code in my_codes for _, code in named) or any(
            found.broker_authorised(code, me.id) for _, code in named
        ):
            pass
        else:
            listed = "、".join(f"{f}={c}" for f, c in named) or "（无）"
            problems.append(
                FieldError(
                    _head_path(doc, index, fields[0]),
                    "sender_not_named",
                    f"第{index}票{KIND_LABELS.get(doc.kind, doc.kind)}所列企业（{listed}）不是发送方"
                    f"{me.customs_code}，发送方也不是其授权的报关企业",
                )
            )
            continue
        if doc.kind in ("inventory", "cancel", "refund"):
            agent, ebc = doc.head.get("agentCode", ""), doc.head.get("ebcCode", "")
            if (
                agent
                and ebc
                and agent != ebc
                and not found.broker_authorised(ebc, found.enterprise_id_for(agent))
            ):
                problems.append(
                    FieldError(
                        _head_path(doc, index, "agentCode"),
                        "agent_not_authorised",
                        f"申报单位{agent}未获电商企业{ebc}授权代理申报（应由电商企业或其境内代理人申报）",
                    )
                )
    return problems


# --- one document ----------------------------------------------------------------------------------


@dataclass
class _Context:
    session: Session
    sender: Principal
    msg: ParsedMessage
    raw_id: int


def _refuse(
    ctx: _Context,
    doc: ParsedDocument,
    code: str,
    message: str,
    *,
    declaration_id: int | None = None,
    field_name: str = "appType",
) -> None:
    """A document-level refusal: a receipt (code 100) and, when the declaration exists, a timeline entry."""
    session = ctx.session
    out = ReceiptOut(
        guid=doc.guid,
        message_type=ctx.msg.message_type,
        receipt_type=receipt_type_for(ctx.msg.message_type),
        business_no=doc.business_no,
        return_status=codes.STATUS_CUSTOMS_REJECTED,
        return_info=message[:1000],
        errors=[{"field": field_name, "code": code, "message": message}],
        declaration_id=declaration_id,
        recipient_org_id=ctx.sender.org_id,
    )
    pending = _pending(session)
    pending.receipts.append(
        {
            "recipient_org_id": ctx.sender.org_id,
            "declaration_id": declaration_id,
            "raw_message_id": ctx.raw_id,
            "message_type": out.receipt_type,
            "declared_type": out.message_type,
            "guid": out.guid,
            "business_no": out.business_no[:64],
            "return_status": out.return_status,
            "return_info": out.return_info,
            "errors": out.errors,
            "created_at": now_for(session),
        }
    )
    pending.issued.append(out)
    if declaration_id is not None:
        add_event(
            session,
            declaration_id,
            "refused",
            "change",
            message,
            {"code": code, "guid": doc.guid},
            actor_org_id=ctx.sender.org_id,
        )


_CURRENT_STATEMENTS: dict[tuple[str, bool], Any] = {}
_CURRENT_COLUMNS = (
    DECLARATIONS.c.id,
    DECLARATIONS.c.status,
    DECLARATIONS.c.guid,
    DECLARATIONS.c.sender_org_id,
    DECLARATIONS.c.released_at,
)


def _current_statement(kind: str, by_key: bool) -> Any:
    """Per kind: the latest version with the same business key (`by_key`), or the latest document of
    the sender already using the guid. Two statements, each an index look-up (an OR of the two would
    scan every document of the kind)."""
    statement = _CURRENT_STATEMENTS.get((kind, by_key))
    if statement is None:
        t = DECLARATIONS
        if by_key:
            condition = and_(
                t.c[KEY_COLUMN[kind]] == bindparam("key"),
                t.c[KEY_ENTERPRISE_COLUMN[kind]] == bindparam("code"),
            )
        else:
            condition = and_(t.c.guid == bindparam("guid"), t.c.sender_org_id == bindparam("sender"))
        statement = _CURRENT_STATEMENTS[(kind, by_key)] = (
            select(*_CURRENT_COLUMNS).where(t.c.kind == kind, condition).order_by(t.c.id.desc()).limit(1)
        )
    return statement


def _current(ctx: _Context, doc: ParsedDocument) -> Any:
    """The document this one continues: same business key, or (first) the same guid of the sender."""
    same_guid = run(
        ctx.session, _current_statement(doc.kind, False), {"sender": ctx.sender.org_id, "guid": doc.guid}
    ).first()
    key = business_key(doc.kind, doc.head)
    if key is None or KEY_COLUMN.get(doc.kind) is None:
        return same_guid
    by_key = run(ctx.session, _current_statement(doc.kind, True), {"key": key[1], "code": key[2]}).first()
    if same_guid is None:
        return by_key
    if by_key is None:
        return same_guid
    return by_key if by_key.id > same_guid.id else same_guid


_LOCK_REASONS = {
    "released": "已放行",
    "held": "查验中",
    "withdrawn": "已撤销",
    "returned": "已退货",
    "departed": "已离境",
    "closed": "已结关",
}


def _locked_reason(doc: ParsedDocument, status: str, released_at: dt.datetime | None) -> str:
    label = KIND_LABELS.get(doc.kind, doc.kind)
    when = f"（{released_at.astimezone(BEIJING):%Y-%m-%d %H:%M}放行）" if released_at else ""
    action = "变更" if doc.app_type == "2" else "删除"
    text = f"{label}{doc.business_no}{_LOCK_REASONS.get(status, status)}{when}，不能{action}"
    if doc.kind == "inventory" and status == "released":
        text += "；如需取消交易，请申报撤销申请单（CEB623）或退货申请单（CEB625）"
    elif doc.kind in ("order", "payment", "waybill") and status == "released":
        text = f"{label}{doc.business_no}关联的清单已放行，不能{action}"
    return text


def _dispatch(ctx: _Context, doc: ParsedDocument) -> None:
    if doc.kind in ("cancel", "refund") and ctx.msg.direction == "import":
        # Import withdrawals and returns act on import clearance (quota, tax, bonded stock); an
        # export withdrawal (CEB605) is stored like any export document and handled by the export hook.
        # clearance imports this module: the dispatch to it is resolved at call time
        from silkgate.clearance import pipeline

        if doc.kind == "cancel":
            pipeline.on_withdrawal(ctx.session, _WithdrawalInput(ctx, doc))
        else:
            pipeline.on_return(ctx.session, _WithdrawalInput(ctx, doc))
        return
    existing = _current(ctx, doc)
    if existing is not None and existing.guid == doc.guid and existing.sender_org_id == ctx.sender.org_id:
        _refuse(
            ctx,
            doc,
            "guid_reused",
            f"单证guid {doc.guid}已被本企业此前的申报使用，请为新报文生成新的guid",
            field_name="guid",
        )
        return
    if doc.app_type == "1":
        if existing is not None and existing.status == "stored":
            _store_version(ctx, doc, existing.id)
            return
        if existing is not None and existing.status not in SUPERSEDED_STATUSES:
            _refuse(
                ctx,
                doc,
                "duplicate_declaration",
                f"{KIND_LABELS.get(doc.kind, doc.kind)}{doc.business_no}已申报（状态：{existing.status}），"
                "不能重复新增；如需修改请以appType=2变更",
                declaration_id=existing.id,
            )
            return
        _store_new(ctx, doc)
        return
    if existing is None or existing.status in ("deleted",):
        _refuse(
            ctx,
            doc,
            "not_found_for_change",
            f"未找到要{'变更' if doc.app_type == '2' else '删除'}的{KIND_LABELS.get(doc.kind, doc.kind)}{doc.business_no}",
        )
        return
    if existing.status in LOCKED_STATUSES:
        _refuse(
            ctx,
            doc,
            "locked_" + existing.status,
            _locked_reason(doc, existing.status, existing.released_at),
            declaration_id=existing.id,
        )
        return
    if doc.app_type == "2":
        _store_version(ctx, doc, existing.id)
    else:
        _delete(ctx, doc, existing.id)


def _values_for(ctx: _Context, doc: ParsedDocument) -> dict[str, Any]:
    values = row_values(doc, field_cipher(get_settings().data_key))
    values.update(
        direction=ctx.msg.direction,
        kind=doc.kind,
        message_type=ctx.msg.message_type,
        edition=ctx.msg.edition,
        guid=doc.guid,
        message_guid=ctx.msg.guid,
        raw_message_id=ctx.raw_id,
        sender_org_id=ctx.sender.org_id,
        business_no=(doc.business_no or values.get("order_no") or doc.guid)[:64],
        app_type=doc.app_type or "1",
        app_status=doc.app_status or "2",
        line_fields=doc.lines,
        zone_code=ctx.sender.zone_code,
    )
    found = lookups(ctx.session)
    for code_column, id_column in (
        ("ebp_code", "ebp_enterprise_id"),
        ("ebc_code", "ebc_enterprise_id"),
        ("logistics_code", "logistics_enterprise_id"),
        ("pay_code", "payment_enterprise_id"),
        ("agent_code", "agent_enterprise_id"),
        ("area_code", "area_enterprise_id"),
    ):
        code = values.get(code_column)
        values[id_column] = found.enterprise_id_for(code) if code else None
    return values


def _status_on_arrival(doc: ParsedDocument) -> str:
    return "stored" if doc.app_status == "1" else "declared"


def _store_new(ctx: _Context, doc: ParsedDocument) -> None:
    session = ctx.session
    now = now_for(session)
    values = _values_for(ctx, doc)
    status = _status_on_arrival(doc)
    values.update(status=status, version=1, created_at=now, updated_at=now, clearance={})
    new_id = int(run(session, _INSERT_DECLARATION, values).scalar_one())
    if doc.kind == "inventory":
        count_list(session, values.get("zone_code"), values.get("ebc_enterprise_id"), now, 1)
    if doc.kind in ("inventory", "refund") or (ctx.msg.direction == "export" and doc.lines):
        rows = line_rows(doc)
        for row in rows:
            row["declaration_id"] = new_id
        if rows:
            run(session, _INSERT_LINES, rows)
    _after_store(ctx, doc, new_id, values, status, changed=False)


def _store_version(ctx: _Context, doc: ParsedDocument, declaration_id: int) -> None:
    """appType=2 (or the declaration of a stored document): the new version replaces the old."""
    session = ctx.session
    values = _values_for(ctx, doc)
    status = _status_on_arrival(doc)
    values.update(status=status, updated_at=now_for(session), clearance={}, decided_at=None)
    values.pop("raw_message_id", None)
    before = run(session, _SELECT_VERSION, {"_declaration_id": declaration_id}).one()
    version = before.version
    if doc.kind == "inventory" and (before.zone_code, before.ebc_enterprise_id) != (
        values.get("zone_code"),
        values.get("ebc_enterprise_id"),
    ):  # the list now counts for another enterprise (or zone)
        count_list(session, before.zone_code, before.ebc_enterprise_id, before.created_at, -1)
        count_list(session, values.get("zone_code"), values.get("ebc_enterprise_id"), before.created_at, 1)
    run(
        session,
        _UPDATE_DECLARATION,
        {"_declaration_id": declaration_id, "version": version + 1, "raw_message_id": ctx.raw_id, **values},
    )
    session.execute(delete(LINES).where(LINES.c.declaration_id == declaration_id))
    if doc.kind in ("inventory", "refund") or (ctx.msg.direction == "export" and doc.lines):
        rows = line_rows(doc)
        for row in rows:
            row["declaration_id"] = declaration_id
        if rows:
            run(session, _INSERT_LINES, rows)
    loaded = session.identity_map.get(identity_key(Declaration, declaration_id))
    if loaded is not None:  # an ORM copy read earlier in the session: the Core update replaced it
        session.expire(loaded)
    _after_store(ctx, doc, declaration_id, values, status, changed=True)


def _delete(ctx: _Context, doc: ParsedDocument, declaration_id: int) -> None:
    session = ctx.session
    set_status(session, declaration_id, "deleted", app_type="3")
    stored = load_document(session, declaration_id)
    assert stored is not None
    stored.guid = doc.guid
    add_event(
        session,
        declaration_id,
        "deleted",
        "change",
        f"企业申报删除（appType=3，guid {doc.guid}）",
        actor_org_id=ctx.sender.org_id,
    )
    issue_receipt(session, stored, accepted_status(stored.message_type), f"删除申报成功[{doc.guid}]")


def _after_store(
    ctx: _Context,
    doc: ParsedDocument,
    declaration_id: int,
    values: dict[str, Any],
    status: str,
    *,
    changed: bool,
) -> None:
    session = ctx.session
    stored = StoredDocument(
        id=declaration_id,
        kind=doc.kind,
        direction=ctx.msg.direction,
        message_type=ctx.msg.message_type,
        guid=doc.guid,
        business_no=values["business_no"],
        sender_org_id=ctx.sender.org_id,
        zone_code=values.get("zone_code"),
        status=status,
        trade_mode=values.get("trade_mode"),
        order_no=values.get("order_no"),
        ebp_code=values.get("ebp_code"),
        logistics_no=values.get("logistics_no"),
        logistics_code=values.get("logistics_code"),
        invt_no=values.get("invt_no"),
        app_status=values.get("app_status", "2"),
        received_at=now_for(session),
        app_type=doc.app_type or "1",
    )
    label = KIND_LABELS.get(doc.kind, doc.kind)
    verb = "变更" if changed else "新增"
    if status == "stored":
        add_event(
            session,
            declaration_id,
            "stored",
            "received",
            f"{label}{verb}暂存（appStatus=1）",
            {"guid": doc.guid, "message_guid": ctx.msg.guid},
            actor_org_id=ctx.sender.org_id,
        )
        issue_receipt(
            session,
            stored,
            accepted_status(stored.message_type, codes.STATUS_STORED),
            f"暂存成功[{doc.guid}]",
        )
        return
    add_event(
        session,
        declaration_id,
        "declared",
        "received",
        f"收到{label}{verb}申报（{ctx.msg.message_type}）",
        {"guid": doc.guid, "message_guid": ctx.msg.guid, "edition": ctx.msg.edition},
        actor_org_id=ctx.sender.org_id,
    )
    if ctx.msg.direction == "export":
        issue_receipt(session, stored, accepted_status(stored.message_type), f"{verb}申报成功[{doc.guid}]")
        _export_hook(session, stored)
        return
    if doc.kind in IMPORT_MATCHED_KINDS:
        from silkgate.clearance import pipeline

        pipeline.on_import_document(session, stored)
        return
    issue_receipt(session, stored, accepted_status(stored.message_type), f"{verb}申报成功[{doc.guid}]")


def _export_hook(session: Session, stored: StoredDocument) -> None:
    if importlib.util.find_spec("silkgate.export.service") is None:
        return
    module = importlib.import_module("silkgate.export.service")
    handler: Callable[[Session, Any], Any] | None = getattr(module, "on_export_document", None)
    if handler is not None:
        declaration = session.get(Declaration, stored.id)
        handler(session, declaration)


@dataclass
class _WithdrawalInput:
    """A withdrawal (CEB623) or return (CEB625) document as clearance reads it."""

    ctx: _Context
    doc: ParsedDocument

    @property
    def sender(self) -> Principal:
        return self.ctx.sender

    def store(self, *, related_declaration_id: int | None, status: str) -> StoredDocument:
        """Keep the withdrawal/return document itself (with its lines) and return its handle."""
        session = self.ctx.session
        now = now_for(session)
        values = _values_for(self.ctx, self.doc)
        values.update(
            status=status,
            version=1,
            created_at=now,
            updated_at=now,
            clearance={},
            related_declaration_id=related_declaration_id,
        )
        new_id = int(run(session, _INSERT_DECLARATION, values).scalar_one())
        rows = line_rows(self.doc)
        for row in rows:
            row["declaration_id"] = new_id
        if rows:
            run(session, _INSERT_LINES, rows)
        label = KIND_LABELS.get(self.doc.kind, self.doc.kind)
        add_event(
            session,
            new_id,
            status,
            "received",
            f"收到{label}（{self.ctx.msg.message_type}）",
            {"guid": self.doc.guid, "message_guid": self.ctx.msg.guid},
            actor_org_id=self.ctx.sender.org_id,
        )
        return StoredDocument(
            id=new_id,
            kind=self.doc.kind,
            direction="import",
            message_type=self.ctx.msg.message_type,
            guid=self.doc.guid,
            business_no=values["business_no"],
            sender_org_id=self.ctx.sender.org_id,
            zone_code=values.get("zone_code"),
            status=status,
            invt_no=values.get("invt_no"),
            order_no=values.get("order_no"),
            ebp_code=values.get("ebp_code"),
            received_at=now,
        )

    def refuse(
        self, code: str, message: str, *, declaration_id: int | None = None, field_name: str = "invtNo"
    ) -> None:
        _refuse(self.ctx, self.doc, code, message, declaration_id=declaration_id, field_name=field_name)


# --- batches ---------------------------------------------------------------------------------------


@dataclass
class BatchItem:
    data: bytes
    content_type: str | None = None
    source: str = ""  # file name, for the CLI


def ingest_batch(
    session: Session,
    items: Iterable[BatchItem],
    *,
    sender: Principal | None = None,
    commit_every: int = 0,
    on_result: Callable[[BatchItem, list[ReceiptOut]], None] | None = None,
) -> int:
    """Ingest many messages, each in its own savepoint (one message's failure touches no other);
    with `commit_every` > 0, commit every that many messages (the CLI and the benchmark).

    A message whose processing fails unexpectedly is rolled back and kept as raw with an error
    receipt. Returns the number of messages taken.
    """
    try:
        count = _ingest_each(session, items, sender, commit_every, on_result)
    finally:
        _pending(session).batching = False
    flush_pending(session)
    return count


def _ingest_each(
    session: Session,
    items: Iterable[BatchItem],
    sender: Principal | None,
    commit_every: int,
    on_result: Callable[[BatchItem, list[ReceiptOut]], None] | None,
) -> int:
    count = 0
    for item in items:
        pending = _pending(session)  # a new one after each commit
        pending.batching = True
        marks = pending.marks()
        savepoint = session.begin_nested()
        try:
            receipts = ingest(
                session, item.data, content_type=item.content_type, sender=sender, defer_writes=True
            )
            savepoint.commit()
        except Exception as exc:  # one bad message must not sink the batch; it is answered and kept
            log.warning("message processing failed; kept as raw with a CEB900", exc_info=exc)
            savepoint.rollback()
            pending.truncate(marks)
            receipts = [_processing_failure(session, item, sender, exc)]
        count += 1
        if on_result is not None:
            on_result(item, receipts)
        if commit_every and count % commit_every == 0:
            flush_pending(session)
            session.commit()
    return count


def _processing_failure(
    session: Session, item: BatchItem, sender: Principal | None, exc: Exception
) -> ReceiptOut:
    receipt = ReceiptOut(
        guid="",
        message_type="Unknown",
        receipt_type=FORMAT_RECEIPT,
        business_no="",
        return_status="-2",
        return_info=f"报文处理异常，未写入任何业务数据，请稍后重发（{type(exc).__name__}）",
        errors=[{"field": "message", "code": "processing_failed", "message": "报文处理异常"}],
    )
    _store_raw(
        session,
        item.data,
        sm3_hex(item.data),
        sender_org_id=sender.org_id if sender else None,
        message_type=None,
        guid=None,
        edition=None,
        fmt=_guess_fmt(item.data, item.content_type),
        outcome="rejected",
        response=[receipt.as_dict()],
    )
    return receipt


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    """Cached filings may have been rolled back with it (the write buffer is per transaction)."""
    forget_lookups(session)


# --- broker authorisations ---------------------------------------------------------------------------


def authorise_broker(
    session: Session,
    principal_enterprise_id: int,
    broker_enterprise_id: int,
    *,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> BrokerAuthorisation:
    """An enterprise authorises a filed customs broker to declare on its behalf (re-authorising
    after a revocation reinstates it)."""
    found = lookups(session)
    broker = found.enterprise_by_id(broker_enterprise_id)
    errors: list[FieldError] = []
    if broker is None:
        errors.append(FieldError("broker_enterprise_id", "broker_not_filed", "被授权的报关企业未备案"))
    elif "broker" not in broker.roles:
        errors.append(FieldError("broker_enterprise_id", "not_a_broker", f"{broker.name}未备案为报关企业"))
    if broker_enterprise_id == principal_enterprise_id:
        errors.append(FieldError("broker_enterprise_id", "self_authorisation", "不能授权本企业"))
    if valid_from and valid_until and valid_until < valid_from:
        errors.append(FieldError("valid_until", "period_reversed", "授权截止日期早于起始日期"))
    if errors:
        raise ValidationFailed(errors, "报关企业授权未通过校验")
    row = session.scalar(
        select(BrokerAuthorisation).where(
            BrokerAuthorisation.principal_enterprise_id == principal_enterprise_id,
            BrokerAuthorisation.broker_enterprise_id == broker_enterprise_id,
        )
    )
    if row is None:
        row = BrokerAuthorisation(
            principal_enterprise_id=principal_enterprise_id, broker_enterprise_id=broker_enterprise_id
        )
        session.add(row)
    row.valid_from, row.valid_until, row.revoked_at = valid_from, valid_until, None
    session.flush()
    found.forget()
    return row


def revoke_broker(session: Session, principal_enterprise_id: int, broker_enterprise_id: int) -> None:
    row = session.scalar(
        select(BrokerAuthorisation).where(
            BrokerAuthorisation.principal_enterprise_id == principal_enterprise_id,
            BrokerAuthorisation.broker_enterprise_id == broker_enterprise_id,
            BrokerAuthorisation.revoked_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("未找到有效的报关企业授权")
    row.revoked_at = now_utc()
    session.flush()
    lookups(session).forget()
