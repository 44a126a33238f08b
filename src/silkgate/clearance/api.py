"""JSON routes of the clearance domain."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.clearance import bonded
from silkgate.clearance.bonded_schemas import StockInCreate, StockPage, StockPublic
from silkgate.params import MAX_OFFSET, DbId

router = APIRouter(prefix="/api/v1")


# ---------------------------------------------------------------- 1210 bonded account book (helper C)


@router.post(
    "/bonded/stock-in",
    response_model=list[StockPublic],
    status_code=201,
    tags=["bonded"],
    summary="Record goods entered into the bonded warehouse (warehouse enterprises)",
)
def bonded_stock_in(
    body: StockInCreate, principal: CurrentPrincipal, session: SessionDep
) -> list[StockPublic]:
    rows = bonded.record_stock_in(
        session,
        principal,
        owner_code=body.owner_code,
        reference=body.reference,
        lines=[
            bonded.StockInLine(
                item_no=line.item_no,
                quantity=line.quantity,
                item_record_no=line.item_record_no,
                item_name=line.item_name,
                unit=line.unit,
            )
            for line in body.lines
        ],
    )
    return [StockPublic.of(r) for r in rows]


@router.get(
    "/bonded/stock",
    response_model=StockPage,
    tags=["bonded"],
    summary="The bonded account book: stock per warehouse, owner and item, with recent movements",
)
def bonded_stock(
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
    owner_code: str | None = Query(None, max_length=18),
    item_no: str | None = Query(None, max_length=40),
    warehouse_id: DbId | None = Query(None, description="仓储企业 ID"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> StockPage:
    rows = bonded.visible_stock(
        session,
        principal,
        bonded.StockFilter(owner_code=owner_code, item_no=item_no, warehouse_enterprise_id=warehouse_id),
        limit=limit,
        offset=offset,
        request_path=request.url.path,
    )
    history = bonded.history_of(session, [r.id for r in rows], limit=10)
    return StockPage(items=[StockPublic.of(r, history[r.id]) for r in rows], limit=limit, offset=offset)
