"""Export JSON API under /api/v1/export: lists, summaries, returns, tax records, FX, rebate package,
filings and settings. Routes are thin: access check, service call, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from silkgate.auth import kinds
from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.exceptions import FieldError, Forbidden, ValidationFailed
from silkgate.export import access, filings, fx, ledgers, queries, summary
from silkgate.export.schemas import (
    B2BFilingIn,
    CollectionIn,
    DeemedApprovalIn,
    NettingIn,
    RatesIn,
    ReverseIn,
    SellerSettingIn,
    SummaryProposeIn,
    SummaryResultIn,
    WarehouseIn,
    ZoneSettingIn,
)
from silkgate.models.export import B2BExportFiling, NettingEntry, OverseasWarehouse
from silkgate.models.registry import Enterprise
from silkgate.params import MAX_OFFSET, BoundedDate, DbId, Period

router = APIRouter(prefix="/api/v1/export", tags=["export 出口"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _scope(session: Any, principal: Any, seller_id: DbId | None) -> tuple[str | None, int | None]:
    """(zone, seller) a listing covers: an enterprise its own; zone readers their zone or one seller."""
    access.require_reader(principal)
    if principal.is_enterprise:
        return None, principal.enterprise_id
    if seller_id is not None:
        return None, access.seller_for(session, principal, seller_id, resource="export_records").id
    return principal.zone_code, None


@router.get("/lists", summary="出口申报清单（9610/9710/9810）")
def get_lists(
    session: SessionDep,
    principal: CurrentPrincipal,
    seller_id: DbId | None = None,
    status: str | None = None,
    trade_mode: str | None = None,
    period: Annotated[Period | None, Query()] = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    zone, seller = _scope(session, principal, seller_id)
    rows, total = queries.search_lists(
        session,
        zone_code=zone,
        seller_id=seller,
        status=status,
        trade_mode=trade_mode,
        period=period,
        limit=limit,
        offset=offset,
    )
    return {"total": total, "items": [queries.list_public(r) for r in rows]}


@router.get("/lists/{list_id}", summary="一票出口清单：状态、缺少的单证、收款、退货、汇总")
def get_list(
    list_id: DbId, session: SessionDep, principal: CurrentPrincipal, request: Request
) -> dict[str, Any]:
    lst = access.list_visible(session, principal, list_id, request.url.path)
    d = queries.list_detail(session, lst)
    st = d["collection_status"]
    return {
        **queries.list_public(lst),
        "collection": {
            "status": st.status,
            "expected": str(st.expected),
            "collected": str(st.collected),
            "outstanding": str(st.outstanding),
            "over": str(st.over),
        },
        "returns": [
            {"id": r.id, "returned_on": r.returned_on.isoformat(), "value": str(r.value), "reason": r.reason}
            for r in d["returns"]
        ],
        "summary": queries.summary_public(d["summary"]) if d["summary"] else None,
        "timeline": [
            {"at": e.at.isoformat(), "status": e.status, "step": e.step, "info": e.info} for e in d["events"]
        ],
    }


@router.get("/summaries", summary="汇总申报（建议、已申报、已接受）")
def get_summaries(
    session: SessionDep, principal: CurrentPrincipal, seller_id: DbId | None = None
) -> dict[str, Any]:
    zone, seller = _scope(session, principal, seller_id)
    rows = queries.summaries(session, zone_code=zone, seller_id=seller)
    return {"items": [queries.summary_public(s) for s in rows]}


@router.post("/summaries/propose", summary="按194号公告归并规则生成某月汇总建议", status_code=201)
def post_propose(body: SummaryProposeIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    seller = access.own_enterprise(session, principal)
    made = summary.propose(session, seller.id, body.period, principal)
    return {
        "items": [
            queries.summary_public(s, [m.invt_no for m in summary.members(session, s.id)]) for s in made
        ]
    }


@router.get("/summaries/{summary_id}", summary="一份汇总申请：归并键、商品项、所含清单")
def get_summary(summary_id: DbId, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    access.require_reader(principal)
    s = summary.visible_summary(session, summary_id, principal)
    return queries.summary_public(s, [m.invt_no for m in summary.members(session, s.id)])


@router.get("/summaries/{summary_id}/ceb701", summary="已提交的CEB701汇总申请单报文")
def get_ceb701(summary_id: DbId, session: SessionDep, principal: CurrentPrincipal) -> Response:
    access.require_reader(principal)
    s = summary.visible_summary(session, summary_id, principal)
    data = s.message_xml.encode() if s.message_xml else summary.render_ceb701(session, s)
    return Response(data, media_type="application/xml")


@router.post("/summaries/{summary_id}/submit", summary="企业复核后提交汇总申请")
def post_submit(summary_id: DbId, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return queries.summary_public(summary.submit(session, summary_id, principal))


@router.post("/summaries/{summary_id}/result", summary="录入海关回执（CEB702/CEB792）")
def post_result(
    summary_id: DbId, body: SummaryResultIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    s = summary.record_result(
        session,
        summary_id,
        principal,
        accepted=body.accepted,
        sum_no=body.sum_no,
        entry_id=body.entry_id,
        info=body.info,
    )
    return queries.summary_public(s)


@router.get("/returns", summary="出口退货记录")
def get_returns(
    session: SessionDep, principal: CurrentPrincipal, seller_id: DbId | None = None
) -> dict[str, Any]:
    zone, seller = _scope(session, principal, seller_id)
    return {
        "items": [
            {
                "id": r.id,
                "invt_no": r.invt_no,
                "returned_on": r.returned_on.isoformat(),
                "value": str(r.value),
                "currency": lst.currency,
                "value_cny": None if r.value_cny is None else str(r.value_cny),
                "reason": r.reason,
                "trade_mode": lst.trade_mode,
            }
            for r, lst in queries.returns_of(session, zone_code=zone, seller_id=seller)
        ]
    }


@router.get("/tax-free-ledger", summary="无票免税台账（财税〔2018〕103号）", response_model=None)
def get_ledger(
    session: SessionDep,
    principal: CurrentPrincipal,
    request: Request,
    start: BoundedDate,
    end: BoundedDate,
    seller_id: DbId | None = None,
    format: str = Query(default="json", pattern="^(json|xlsx)$"),
) -> dict[str, Any] | Response:
    seller = access.seller_for(
        session, principal, seller_id, resource="export_tax_ledger", path=request.url.path
    )
    rows = ledgers.tax_free_ledger(session, seller.id, start, end)
    if format == "xlsx":
        return _xlsx(ledgers.ledger_xlsx(rows), f"tax-free-ledger-{start}-{end}.xlsx")
    return {
        "items": [
            {
                "invt_no": r.lst.invt_no,
                "ie_date": r.lst.ie_date.isoformat(),
                "value_cny": str(r.lst.value_cny),
                "qualifies": r.decision.qualifies,
                "conditions": [
                    {"code": c.code, "basis": c.basis, "met": c.met, "reason": c.reason}
                    for c in r.decision.conditions
                ],
            }
            for r in rows
        ]
    }


@router.get("/deemed-income", summary="核定征收季度与年度表（2019年第36号）", response_model=None)
def get_deemed(
    session: SessionDep,
    principal: CurrentPrincipal,
    request: Request,
    year: int = Query(ge=2019, le=2100),
    seller_id: DbId | None = None,
    format: str = Query(default="json", pattern="^(json|xlsx)$"),
) -> dict[str, Any] | Response:
    seller = access.seller_for(
        session, principal, seller_id, resource="export_deemed_income", path=request.url.path
    )
    st = ledgers.deemed_statement(session, seller.id, year)
    assert st is not None
    if format == "xlsx":
        return _xlsx(ledgers.deemed_xlsx(st), f"deemed-income-{year}.xlsx")
    return {
        "year": year,
        "conditions_unmet": st.conditions_unmet,
        "notes": st.notes,
        "periods": [
            {
                "label": p.label,
                "revenue": str(p.revenue),
                "cumulative_taxable_income": str(p.cumulative_taxable_income),
                "small_low_profit": p.small_low_profit,
                "cumulative_tax": str(p.cumulative_tax),
                "tax_due": str(p.tax_due),
                "basis": p.basis,
            }
            for p in st.periods
        ],
    }


@router.post("/deemed-income/approval", summary="税务机关核定征收鉴定（2019年第36号 第三条）")
def post_deemed_approval(
    body: DeemedApprovalIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    if principal.org_kind != kinds.TAX:
        raise Forbidden("核定征收鉴定由税务机关办理")
    seller = access.seller_for(session, principal, body.seller_id, resource="export_deemed_income")
    s = filings.set_deemed_levy_approval(session, seller, body.approved, principal)
    return {"seller_id": seller.id, "deemed_levy_approved": s.deemed_levy_approved}


@router.get("/fx", summary="收汇：应收、已收、未收、超收、轧差")
def get_fx(
    session: SessionDep, principal: CurrentPrincipal, request: Request, seller_id: DbId | None = None
) -> dict[str, Any]:
    seller = access.seller_for(session, principal, seller_id, resource="export_fx", path=request.url.path)
    t = fx.seller_fx_totals(session, seller.id)
    netting = session.scalars(
        select(NettingEntry).where(NettingEntry.seller_enterprise_id == seller.id).order_by(NettingEntry.id)
    )
    return {
        "released_cny": str(t.released_cny),
        "collected_cny": str(t.collected_cny),
        "outstanding_cny": str(t.outstanding_cny),
        "over_cny": str(t.over_cny),
        "netted_cny": str(t.netted_cny),
        "gross_restored_cny": str(t.gross_restored_cny),
        "partial_lists": t.partial_lists,
        "outstanding_lists": t.outstanding_lists,
        "over_lists": t.over_lists,
        "unmatched_collections": t.unmatched_collections,
        "netting": [
            {
                "id": n.id,
                "period": n.period,
                "kind": n.kind,
                "amount": str(n.amount),
                "currency": n.currency,
                "amount_cny": str(n.amount_cny),
                "reversed": n.reversed_at is not None,
            }
            for n in netting
        ],
    }


@router.post("/fx/collections", summary="登记银行收款（未通过CEB403申报的）", status_code=201)
def post_collection(body: CollectionIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    seller = access.own_enterprise(session, principal)
    c = fx.record_bank_collection(
        session,
        seller_id=seller.id,
        zone_code=seller.zone_code,
        order_no=body.order_no,
        currency=body.currency,
        amount=body.amount,
        collected_on=body.collected_on,
        pay_no=body.pay_no,
        actor=principal,
    )
    return {
        "id": c.id,
        "list_id": c.list_id,
        "match_status": c.match_status,
        "amount_cny": None if c.amount_cny is None else str(c.amount_cny),
    }


@router.post("/fx/netting", summary="登记轧差（境外费用抵减收汇）", status_code=201)
def post_netting(body: NettingIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    seller = access.own_enterprise(session, principal)
    e = fx.add_netting(
        session,
        seller_id=seller.id,
        zone_code=seller.zone_code,
        values=body.model_dump(exclude_none=True),
        actor=principal,
    )
    return {"id": e.id, "amount_cny": str(e.amount_cny)}


@router.post("/fx/netting/{entry_id}/reverse", summary="冲销一笔轧差")
def post_reverse(
    entry_id: DbId, body: ReverseIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    seller = access.own_enterprise(session, principal)
    e = fx.reverse_netting(session, entry_id, seller.id, principal, body.reason)
    return {"id": e.id, "reversed_at": e.reversed_at.isoformat() if e.reversed_at else None}


@router.get("/rates", summary="汇率表（全国及本综试区）")
def get_rates(session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return {
        "items": [
            {
                "zone_code": r.zone_code,
                "currency": r.currency,
                "rate_to_cny": str(r.rate_to_cny),
                "valid_from": r.valid_from.isoformat(),
                "source": r.source,
            }
            for r in fx.list_rates(session, principal.zone_code)
        ]
    }


@router.post("/rates", summary="综试办导入汇率表", status_code=201)
def post_rates(body: RatesIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, int]:
    principal.require_zone_office()
    rows = [fx.RateRow(r.currency, r.rate_to_cny, r.valid_from, r.source) for r in body.rows]
    if body.csv:
        rows += fx.parse_rate_csv(body.csv)
    if not body.source:
        raise ValidationFailed([FieldError("source", "required", "汇率来源必填")])
    return {
        "loaded": fx.load_rates(
            session, rows, zone_code=principal.zone_code, default_source=body.source, actor=principal
        )
    }


@router.get("/rebate", summary="退税准备：报关单、收汇、尚缺材料", response_model=None)
def get_rebate(
    session: SessionDep,
    principal: CurrentPrincipal,
    request: Request,
    period: Annotated[Period, Query()],
    seller_id: DbId | None = None,
    format: str = Query(default="json", pattern="^(json|xlsx)$"),
) -> dict[str, Any] | Response:
    seller = access.seller_for(session, principal, seller_id, resource="export_rebate", path=request.url.path)
    pkg = ledgers.rebate_package(session, seller.id, period)
    assert pkg is not None
    if format == "xlsx":
        return _xlsx(ledgers.rebate_xlsx(pkg), f"rebate-{period}.xlsx")
    return {
        "period": period,
        "seller_issues": pkg.seller_issues,
        "declarations": [queries.summary_public(s) for s in pkg.declarations],
        "lines": [
            {
                "invt_no": ln.lst.invt_no,
                "entry_id": ln.summary.entry_id if ln.summary else None,
                "collection": ln.collection.status,
                "missing": ln.missing,
            }
            for ln in pkg.lines
        ],
        "ready": len(pkg.ready),
    }


@router.get("/filings", summary="B2B出口企业备案与海外仓备案")
def get_filings(
    session: SessionDep, principal: CurrentPrincipal, seller_id: DbId | None = None
) -> dict[str, Any]:
    zone, seller = _scope(session, principal, seller_id)
    bq = select(B2BExportFiling, Enterprise).join(Enterprise, Enterprise.id == B2BExportFiling.enterprise_id)
    wq = select(OverseasWarehouse, Enterprise).join(
        Enterprise, Enterprise.id == OverseasWarehouse.enterprise_id
    )
    if seller is not None:
        bq, wq = bq.where(Enterprise.id == seller), wq.where(Enterprise.id == seller)
    else:
        bq, wq = bq.where(Enterprise.zone_code == zone), wq.where(Enterprise.zone_code == zone)
    return {
        "b2b": [
            {
                "id": f.id,
                "enterprise": e.name,
                "trade_mode": f.trade_mode,
                "customs_code": f.customs_code,
                "status": f.status,
            }
            for f, e in session.execute(bq)
        ],
        "warehouses": [
            {
                "id": w.id,
                "enterprise": e.name,
                "name": w.name,
                "country": w.country,
                "address": w.address,
                "area_m2": str(w.area_m2),
                "operator": w.operator,
                "ownership": w.ownership,
                "contract_no": w.contract_no,
                "status": w.status,
            }
            for w, e in session.execute(wq)
        ],
    }


@router.post("/filings/b2b", summary="跨境电商B2B出口企业备案（9710/9810）", status_code=201)
def post_b2b(body: B2BFilingIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    f = filings.file_b2b(session, access.own_enterprise(session, principal), body.model_dump(), principal)
    return {"id": f.id, "trade_mode": f.trade_mode, "status": f.status}


@router.post("/filings/warehouses", summary="海外仓备案（9810）", status_code=201)
def post_warehouse(body: WarehouseIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    w = filings.file_warehouse(
        session, access.own_enterprise(session, principal), body.model_dump(), principal
    )
    return {"id": w.id, "name": w.name, "status": w.status}


@router.put("/settings", summary="企业出口设置：申报方式、进货凭证、小型微利企业信息")
def put_settings(body: SellerSettingIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    values = body.model_dump()
    values["restricted_industry"] = "1" if body.restricted_industry else ""
    s = filings.update_seller_setting(session, access.own_enterprise(session, principal), values, principal)
    return {
        "declaration_path": s.declaration_path,
        "purchase_invoices": s.purchase_invoices,
        "employees": s.employees,
        "total_assets": None if s.total_assets is None else str(s.total_assets),
    }


@router.put("/zone-settings", summary="综试办：综试区所在地海关关区代码")
def put_zone_settings(
    body: ZoneSettingIn, session: SessionDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    principal.require_zone_office()
    assert principal.zone_code is not None
    z = filings.update_zone_customs(session, principal.zone_code, body.customs_codes, principal)
    return {"zone_code": z.zone_code, "customs_codes": z.customs_codes}
