"""JSON routes: CEB messages in, receipts out, declarations, tax bills, broker authorisations."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.clearance import pipeline
from silkgate.declarations import queries, taxbills
from silkgate.declarations.lookups import lookups
from silkgate.declarations.receipts_out import receipt_document
from silkgate.declarations.service import BatchItem, authorise_broker, ingest_batch, revoke_broker
from silkgate.exceptions import FieldError, Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from silkgate.models.declarations import Declaration, Receipt, TaxBill
from silkgate.params import MAX_INT64, MAX_OFFSET, BoundedDate, DbId, Period

router = APIRouter(prefix="/api/v1", tags=["declarations"])

BATCH_LIMIT = 1000


class ReceiptPublic(BaseModel):
    id: int | None = None
    guid: str
    message_type: str = Field(description="The declared message type, e.g. CEB621")
    receipt_type: str = Field(
        description="The receipt's message type, e.g. CEB622 (CEB900: format rejection)"
    )
    business_no: str
    return_status: str = Field(description="Receipt status code of the standard (FIELDS.md §3.1)")
    return_info: str
    errors: list[dict[str, str]] = []
    declaration_id: DbId | None = None
    created_at: dt.datetime | None = None


class IngestResult(BaseModel):
    messages: int
    receipts: list[ReceiptPublic]


class ReceiptPage(BaseModel):
    receipts: list[ReceiptPublic]
    next_cursor: int = Field(description="Pass as `since` to read on; unchanged when nothing new")
    has_more: bool


def _receipt_public(r: Receipt) -> ReceiptPublic:
    return ReceiptPublic(
        id=r.id,
        guid=r.guid,
        message_type=r.declared_type or "",
        receipt_type=r.message_type,
        business_no=r.business_no,
        return_status=r.return_status,
        return_info=r.return_info,
        errors=list(r.errors or []),
        declaration_id=r.declaration_id,
        created_at=r.created_at,
    )


def _message_limit(request: Request) -> int:
    return int(request.app.state.settings.max_message_bytes)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(message=f"请求体{declared}字节，超过上限{limit}字节")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(message=f"请求体超过上限{limit}字节")
    return body


@router.post(
    "/messages",
    response_model=IngestResult,
    summary="Declare CEB messages (one XML or JSON message, or a batch) and get their receipts",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "multipart/form-data": {"schema": {"type": "object"}},
            }
        }
    },
)
async def post_messages(request: Request, principal: CurrentPrincipal, session: SessionDep) -> IngestResult:
    """A single message: the XML of a CEB message (or its JSON form) as the body. A batch: a JSON
    array of messages in the JSON form, or multipart/form-data with one message per file part.
    Every message is answered (also when refused: the raw message is kept and a CEB900 receipt
    names each failing field); HTTP errors mean nothing was read."""
    per_message = _message_limit(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=BATCH_LIMIT, max_fields=BATCH_LIMIT)
        items = []
        for _name, value in form.multi_items():
            if isinstance(value, str):
                continue
            data = await value.read(per_message * 4 + 1)
            if len(data) > per_message * 4:
                raise PayloadTooLarge(message=f"文件{value.filename}超过上限")
            items.append(BatchItem(data=data, content_type=value.content_type, source=value.filename or ""))
        return await run_in_threadpool(_batch, session, principal, items)
    body = await _read_body(request, per_message * 4)
    if body.lstrip()[:1] == b"[":
        return await run_in_threadpool(_json_batch, session, principal, body)
    # one message also runs in its own savepoint: should processing fail unexpectedly, the raw
    # message is still kept and answered
    return await run_in_threadpool(
        _batch, session, principal, [BatchItem(data=body, content_type=content_type or None)]
    )


def _json_batch(session: Any, principal: Any, body: bytes) -> IngestResult:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as exc:
        reason = "嵌套层数过深" if isinstance(exc, RecursionError) else str(exc)
        raise ValidationFailed(
            [FieldError("body", "json_invalid", f"请求体不是合法的JSON：{reason}")]
        ) from exc
    if not isinstance(parsed, list):
        raise ValidationFailed([FieldError("body", "list_type", "批量报文应为JSON数组")])
    if len(parsed) > BATCH_LIMIT:
        raise ValidationFailed([FieldError("body", "batch_too_large", f"一批最多{BATCH_LIMIT}个报文")])
    items = []
    for n, m in enumerate(parsed):
        try:
            data = m.encode() if isinstance(m, str) else json.dumps(m, ensure_ascii=False).encode()
        except (ValueError, RecursionError) as exc:
            raise ValidationFailed([FieldError(f"[{n}]", "json_invalid", "报文嵌套层数过深")]) from exc
        items.append(BatchItem(data=data, content_type=None if isinstance(m, str) else "application/json"))
    return _batch(session, principal, items)


def _batch(session: Any, principal: Any, items: list[BatchItem]) -> IngestResult:
    if not items:
        raise ValidationFailed([FieldError("body", "batch_empty", "没有收到任何报文")])
    out: list[ReceiptPublic] = []
    count = ingest_batch(
        session,
        items,
        sender=principal,
        on_result=lambda _item, receipts: out.extend(ReceiptPublic(**r.as_dict()) for r in receipts),
    )
    return IngestResult(messages=count, receipts=out)


@router.get("/receipts", response_model=ReceiptPage, summary="The caller's receipts after a cursor")
def get_receipts(
    principal: CurrentPrincipal,
    session: SessionDep,
    since: Annotated[
        int, Query(ge=0, le=MAX_INT64, description="Last receipt id already read (0: from the start)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReceiptPage:
    rows = queries.receipts_since(session, principal, since, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return ReceiptPage(
        receipts=[_receipt_public(r) for r in rows],
        next_cursor=rows[-1].id if rows else since,
        has_more=more,
    )


@router.get("/receipts/{receipt_id}", summary="One receipt, as JSON or as the standard's receipt XML")
def get_receipt(
    receipt_id: DbId,
    principal: CurrentPrincipal,
    session: SessionDep,
    format: Annotated[str, Query(pattern="^(json|xml)$")] = "json",
) -> Response:
    row = queries.receipt_for(session, principal, receipt_id)
    declaration = session.get(Declaration, row.declaration_id) if row.declaration_id else None
    if format == "xml":
        return Response(receipt_document(row, declaration, fmt="xml"), media_type="application/xml")
    body = _receipt_public(row).model_dump(mode="json")
    body["document"] = receipt_document(row, declaration, fmt="json")
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


def _declaration_public(d: Declaration) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "direction": d.direction,
        "message_type": d.message_type,
        "edition": d.edition,
        "guid": d.guid,
        "business_no": d.business_no,
        "status": d.status,
        "trade_mode": d.trade_mode,
        "order_no": d.order_no,
        "logistics_no": d.logistics_no,
        "invt_no": d.invt_no,
        "pay_no": d.pay_no,
        "cop_no": d.cop_no,
        "pre_no": d.pre_no,
        "ebp_code": d.ebp_code,
        "ebc_code": d.ebc_code,
        "logistics_code": d.logistics_code,
        "pay_code": d.pay_code,
        "agent_code": d.agent_code,
        "area_code": d.area_code,
        "goods_value": _money(d.goods_value),
        "freight": _money(d.freight),
        "tax_total": _money(d.tax_total),
        "actual_paid": _money(d.actual_paid),
        "currency": d.currency,
        "customs_code": d.customs_code,
        "version": d.version,
        "created_at": d.created_at.isoformat() if d.created_at else None,
        "released_at": d.released_at.isoformat() if d.released_at else None,
        "decided_at": d.decided_at.isoformat() if d.decided_at else None,
    }


def _money(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:.2f}"


@router.get("/declarations", summary="Search the declarations the caller may see")
def list_declarations(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: str | None = None,
    status: str | None = None,
    trade_mode: str | None = None,
    direction: Annotated[str | None, Query(pattern="^(import|export)$")] = "import",
    number: Annotated[str | None, Query(description="order, waybill, list, payment or copNo number")] = None,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    flt = queries.DeclarationFilter(kind, status, trade_mode, direction, number, date_from, date_to)
    rows, total = queries.search_declarations(session, principal, flt, limit=limit, offset=offset)
    return {"total": total, "items": [_declaration_public(d) for d in rows]}


@router.get(
    "/declarations/{declaration_id}", summary="A declaration with its timeline, mismatches and tax bill"
)
def get_declaration(declaration_id: DbId, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    detail = queries.declaration_detail(session, principal, declaration_id)
    d: Declaration = detail["declaration"]
    bill: TaxBill | None = detail["tax_bill"]
    return {
        **_declaration_public(d),
        "status_label": detail["status_label"],
        "head": d.head,
        "buyer_masked": detail["personal"],
        "lines": d.line_fields,
        "timeline": [
            {"at": e.at.isoformat(), "status": e.status, "step": e.step, "info": e.info, "detail": e.detail}
            for e in detail["events"]
        ],
        "checks": detail["checks"],
        "mismatches": detail["mismatches"],
        "receipts": [_receipt_public(r).model_dump(mode="json") for r in detail["receipts"]],
        "related": [_declaration_public(r) for r in detail["related"]],
        "tax_bill": taxbills.ceb816_fields(bill) if bill is not None else None,
    }


@router.get("/declarations/{declaration_id}/tax-bill", summary="The list's electronic tax bill (CEB816)")
def get_tax_bill(
    declaration_id: DbId,
    principal: CurrentPrincipal,
    session: SessionDep,
    format: Annotated[str, Query(pattern="^(json|xml)$")] = "json",
) -> Response:
    queries.get_declaration(session, principal, declaration_id)
    bill = taxbills.bill_for_declaration(session, declaration_id)
    if bill is None:
        raise NotFound("该清单没有电子税单（未放行或不是进口清单）")
    if format == "xml":
        return Response(taxbills.ceb816_xml(bill), media_type="application/xml")
    return Response(
        json.dumps(taxbills.ceb816_fields(bill), ensure_ascii=False), media_type="application/json"
    )


@router.get(
    "/tax/bills",
    summary="Electronic tax bills the caller may see (withholding party, zone office, customs, tax)",
)
def get_tax_bills(
    principal: CurrentPrincipal,
    session: SessionDep,
    period: Annotated[Period | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^[123]$")] = None,
    invt_no: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    rows, total, sums = queries.list_tax_bills(
        session, principal, queries.TaxBillFilter(period, status, invt_no), limit=limit, offset=offset
    )
    return {
        "total": total,
        "total_tax": f"{sums['total_tax']:.2f}",
        "items": [
            {"declaration_id": b.declaration_id, "period": b.period, **taxbills.ceb816_fields(b)}
            for b in rows
        ],
    }


@router.get("/tax/monthly-summary", summary="Monthly tax per withholding party (代收代缴义务人)")
def get_monthly_summary(
    principal: CurrentPrincipal,
    session: SessionDep,
    period: Annotated[Period | None, Query()] = None,
) -> dict[str, Any]:
    rows = taxbills.monthly_summary(session, queries.tax_bill_scope(principal), period=period)
    return {
        "items": [
            {
                "period": r.period,
                "withholding_enterprise_id": r.withholding_enterprise_id,
                "withholding_name": r.withholding_name,
                "withholding_code": r.withholding_code,
                "bills": r.bills,
                "voided": r.voided,
                "taxable_value": f"{r.taxable_value:.2f}",
                "customs_tax": f"{r.customs_tax:.2f}",
                "value_added_tax": f"{r.value_added_tax:.2f}",
                "consumption_tax": f"{r.consumption_tax:.2f}",
                "total_tax": f"{r.total_tax:.2f}",
            }
            for r in rows
        ]
    }


class InspectionConclusion(BaseModel):
    passed: bool
    note: str = Field(min_length=1, max_length=500)


@router.post("/declarations/{declaration_id}/inspection", summary="Conclude the inspection of a held list")
def conclude_inspection(
    declaration_id: DbId, body: InspectionConclusion, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    pipeline.conclude_inspection(session, declaration_id, principal, passed=body.passed, note=body.note)
    status = session.scalar(select(Declaration.status).where(Declaration.id == declaration_id))
    return {"id": declaration_id, "status": status}


class BrokerAuthorisationCreate(BaseModel):
    broker_customs_code: str = Field(min_length=10, max_length=18)
    valid_from: BoundedDate | None = None
    valid_until: BoundedDate | None = None


@router.post(
    "/broker-authorisations", status_code=201, summary="Authorise a customs broker to declare for you"
)
def create_broker_authorisation(
    body: BrokerAuthorisationCreate, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    if not principal.is_enterprise or principal.enterprise_id is None:
        raise Forbidden("只有备案企业可以授权报关企业")
    broker = lookups(session).enterprise_by_code(body.broker_customs_code)
    if broker is None:
        raise ValidationFailed(
            [FieldError("broker_customs_code", "broker_not_filed", "该报关企业未在平台备案")]
        )
    row = authorise_broker(
        session, principal.enterprise_id, broker.id, valid_from=body.valid_from, valid_until=body.valid_until
    )
    return {
        "id": row.id,
        "broker_enterprise_id": broker.id,
        "broker_name": broker.name,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
    }


@router.delete(
    "/broker-authorisations/{broker_customs_code}",
    status_code=204,
    summary="Revoke a customs broker's authorisation",
)
def delete_broker_authorisation(
    broker_customs_code: str, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    if not principal.is_enterprise or principal.enterprise_id is None:
        raise Forbidden("只有备案企业可以撤销授权")
    broker = lookups(session).enterprise_by_code(broker_customs_code)
    if broker is None:
        raise NotFound("未找到该报关企业")
    revoke_broker(session, principal.enterprise_id, broker.id)
    return Response(status_code=204)
