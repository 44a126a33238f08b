"""Export web pages (zh-CN) under /export: the seller's lists, summary declarations (propose → review →
submit → accepted), returns, tax-free ledger and deemed-income statement, FX and netting, rebate
package, filings and settings. The zone office and agencies see their zone, one seller at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from silkgate.auth import kinds
from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, NotFound, SilkgateError, ValidationFailed
from silkgate.export import access, filings, fx, ledgers, queries, rules, summary
from silkgate.export.fx import NETTING_KIND_LABELS
from silkgate.export.pipeline import doc_lines
from silkgate.kit import codelists
from silkgate.kit.cebtime import BEIJING, now_utc
from silkgate.models.declarations import Declaration
from silkgate.models.export import (
    B2BExportFiling,
    ExemptionExcludedGoods,
    ExportAuditEvent,
    ExportSummary,
    ExportZoneSetting,
    NettingEntry,
    OverseasWarehouse,
)
from silkgate.models.registry import Enterprise
from silkgate.params import DbId, Offset, Year
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 50

TABS = (
    ("/export", "出口清单"),
    ("/export/summaries", "汇总申报"),
    ("/export/returns", "出口退货"),
    ("/export/tax", "免税与核定征收"),
    ("/export/fx", "收汇与轧差"),
    ("/export/rebate", "退税准备"),
    ("/export/filings", "备案与设置"),
)


def _today() -> dt.date:
    return now_utc().astimezone(BEIJING).date()


def _ctx(request: Request, session: Any, principal: Principal, seller_id: DbId | None) -> dict[str, Any]:
    """What every export page shows: tabs, the seller picker for zone readers, labels."""
    access.require_reader(principal)
    seller: Enterprise | None = None
    if principal.is_enterprise:
        seller = session.get(Enterprise, principal.enterprise_id)
    elif seller_id is not None:
        seller = access.seller_for(
            session, principal, seller_id, resource="export_records", path=request.url.path
        )
    return {
        "tabs": TABS,
        "seller": seller,
        "seller_q": f"?seller_id={seller.id}" if seller is not None and not principal.is_enterprise else "",
        "sellers": access.zone_sellers(session, principal),
        "is_seller": principal.is_enterprise,
        "mode_labels": rules.TRADE_MODE_LABELS,
        "list_status_labels": queries.LIST_STATUS_LABELS,
        "summary_status_labels": summary.STATUS_LABELS,
        "missing_labels": rules.MISSING_LABELS,
        "collection_labels": rules.COLLECTION_LABELS,
        "country_name": codelists.country_name,
        "currency_name": lambda c: codelists.currencies().get(c, c),
        "flash": request.query_params.get("flash"),
        "flash_kind": request.query_params.get("kind", "ok"),
    }


def _guard(request: Request, principal: Principal | None, build: Callable[[Principal], Response]) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        return build(principal)
    except SilkgateError as exc:
        return render(
            request,
            "export/error.html",
            principal,
            status_code=exc.status,
            title=exc.title,
            error=exc,
            tabs=TABS,
        )


def _back(path: str, flash: str, kind: str = "ok", **params: Any) -> RedirectResponse:
    q = {k: v for k, v in params.items() if v not in (None, "")}
    q.update(flash=flash, kind=kind)
    return RedirectResponse(f"{path}?{urlencode(q)}", status_code=303)


def _fail(session: Any, path: str, exc: SilkgateError, **params: Any) -> RedirectResponse:
    """Nothing half-written: roll back what the failed action began, then show why."""
    session.rollback()
    return _back(path, _form_error(exc), "error", **params)


def _form_error(exc: SilkgateError) -> str:
    details = "；".join(e.message for e in exc.errors)
    return exc.message + (f"：{details}" if details else "")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Lists


@router.get("/export", response_class=HTMLResponse)
def export_home(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    seller_id: str | None = None,
    status: str | None = None,
    trade_mode: str | None = None,
    period: str | None = None,
    offset: Offset = 0,
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = ctx["seller"]
        zone = None if seller is not None else p.zone_code
        sid = seller.id if seller is not None else None
        per = period if period and len(period) == 7 else None
        rows, total = queries.search_lists(
            session,
            zone_code=zone,
            seller_id=sid,
            status=status or None,
            trade_mode=trade_mode or None,
            period=per,
            limit=PAGE,
            offset=max(offset, 0),
        )
        ov = queries.overview(session, zone_code=zone, seller_id=sid, today=_today())
        names = {
            e.id: e.name
            for e in session.scalars(
                select(Enterprise).where(
                    Enterprise.id.in_({r.seller_enterprise_id for r in rows if r.seller_enterprise_id})
                )
            )
        }
        summary_ids = {r.summary_id for r in rows if r.summary_id}
        sums = {
            x.id: x for x in session.scalars(select(ExportSummary).where(ExportSummary.id.in_(summary_ids)))
        }
        return render(
            request,
            "export/index.html",
            p,
            title="出口申报",
            rows=rows,
            total=total,
            ov=ov,
            names=names,
            sums=sums,
            status=status or "",
            trade_mode=trade_mode or "",
            period=period or "",
            offset=offset,
            page=PAGE,
            today=_today(),
            **ctx,
        )

    return _guard(request, principal, build)


@router.get("/export/lists/{list_id}", response_class=HTMLResponse)
def export_list(
    list_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    def build(p: Principal) -> Response:
        lst = access.list_visible(session, p, list_id, request.url.path)
        ctx = _ctx(request, session, p, None)
        decl = session.get(Declaration, lst.declaration_id)
        return render(
            request,
            "export/list.html",
            p,
            title=f"出口清单 {lst.invt_no}",
            lst=lst,
            lines=doc_lines(session, decl) if decl else [],
            d=queries.list_detail(session, lst),
            **ctx,
        )

    return _guard(request, principal, build)


# --------------------------------------------------------------------------------------------
# Summaries


@router.get("/export/summaries", response_class=HTMLResponse)
def export_summaries(
    request: Request, session: SessionDep, principal: OptionalPrincipal, seller_id: str | None = None
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = ctx["seller"]
        rows = queries.summaries(
            session, zone_code=None if seller else p.zone_code, seller_id=seller.id if seller else None
        )
        ov = (
            queries.overview(session, zone_code=None, seller_id=seller.id, today=_today()) if seller else None
        )
        last_month = (_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        names = {
            e.id: e.name
            for e in session.scalars(
                select(Enterprise).where(Enterprise.id.in_({s.seller_enterprise_id for s in rows}))
            )
        }
        return render(
            request,
            "export/summaries.html",
            p,
            title="汇总申报",
            rows=rows,
            ov=ov,
            last_month=last_month,
            names=names,
            today=_today(),
            **ctx,
        )

    return _guard(request, principal, build)


@router.post("/export/summaries/propose")
def export_propose(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    period = str(form.get("period") or "")
    try:
        seller = access.own_enterprise(session, principal)
        made = summary.propose(session, seller.id, period, principal)
    except SilkgateError as exc:
        return _fail(session, "/export/summaries", exc)
    if not made:
        return _back(
            "/export/summaries", f"{period}没有待汇总的已结关清单（汇总申报清单需已离境结关）", "warn"
        )
    return _back(
        "/export/summaries", f"已按194号公告归并规则生成{len(made)}份{period}汇总建议，请逐份复核后提交"
    )


@router.get("/export/summaries/{summary_id}", response_class=HTMLResponse)
def export_summary(
    summary_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    def build(p: Principal) -> Response:
        s = summary.visible_summary(session, summary_id, p)
        ctx = _ctx(request, session, p, None)
        seller = session.get(Enterprise, s.seller_enterprise_id)
        audit = list(
            session.scalars(
                select(ExportAuditEvent)
                .where(ExportAuditEvent.subject == "summary", ExportAuditEvent.subject_id == s.id)
                .order_by(ExportAuditEvent.id)
            )
        )
        header_labels = dict((*rules.SUMMARY_HEADER_RULES, *rules.SUMMARY_FORM_RULES))
        ctx["seller"] = seller
        return render(
            request,
            "export/summary.html",
            p,
            title=f"汇总申请 {s.cop_no}",
            s=s,
            members=summary.members(session, s.id),
            audit=audit,
            header_labels=header_labels,
            can_result=p.org_kind in (kinds.CUSTOMS, kinds.ZONE_OFFICE),
            today=_today(),
            **ctx,
        )

    return _guard(request, principal, build)


@router.post("/export/summaries/{summary_id}/submit")
def export_submit(
    summary_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        s = summary.submit(session, summary_id, principal)
    except SilkgateError as exc:
        return _fail(session, f"/export/summaries/{summary_id}", exc)
    return _back(f"/export/summaries/{summary_id}", f"汇总申请{s.cop_no}已提交（CEB701），等待海关回执")


@router.post("/export/summaries/{summary_id}/result")
def export_result(
    summary_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        s = summary.record_result(
            session,
            summary_id,
            principal,
            accepted=form.get("accepted") == "1",
            sum_no=str(form.get("sum_no") or "").strip(),
            entry_id=str(form.get("entry_id") or "").strip(),
            info=str(form.get("info") or ""),
        )
    except SilkgateError as exc:
        return _fail(session, f"/export/summaries/{summary_id}", exc)
    return _back(f"/export/summaries/{summary_id}", f"已录入海关回执：{summary.STATUS_LABELS[s.status]}")


@router.get("/export/summaries/{summary_id}/ceb701.xml")
def export_ceb701(
    summary_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    def build(p: Principal) -> Response:
        s = summary.visible_summary(session, summary_id, p)
        data = s.message_xml.encode() if s.message_xml else summary.render_ceb701(session, s)
        return Response(
            data,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="CEB701-{s.cop_no}.xml"'},
        )

    return _guard(request, principal, build)


# --------------------------------------------------------------------------------------------
# Returns


@router.get("/export/returns", response_class=HTMLResponse)
def export_returns(
    request: Request, session: SessionDep, principal: OptionalPrincipal, seller_id: str | None = None
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = ctx["seller"]
        rows = queries.returns_of(
            session, zone_code=None if seller else p.zone_code, seller_id=seller.id if seller else None
        )
        return render(request, "export/returns.html", p, title="出口退货", rows=rows, **ctx)

    return _guard(request, principal, build)


# --------------------------------------------------------------------------------------------
# Tax records


def _dates(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    today = _today()
    try:
        s = dt.date.fromisoformat(start) if start else today.replace(month=1, day=1)
        e = dt.date.fromisoformat(end) if end else today
    except ValueError as exc:
        raise ValidationFailed([FieldError("start", "invalid_date", "日期应为YYYY-MM-DD")]) from exc
    return s, e


def _seller_or_pick(ctx: dict[str, Any]) -> Enterprise | None:
    return ctx["seller"]  # type: ignore[no-any-return]


@router.get("/export/tax", response_class=HTMLResponse)
def export_tax(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    seller_id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    year: Year | None = None,
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = _seller_or_pick(ctx)
        s, e = _dates(start, end)
        y = year or _today().year
        rows = ledgers.tax_free_ledger(session, seller.id, s, e) if seller else []
        st = ledgers.deemed_statement(session, seller.id, y) if seller else None
        setting = filings.setting_for(session, seller) if seller else None
        return render(
            request,
            "export/tax.html",
            p,
            title="无票免税与核定征收",
            rows=rows,
            st=st,
            start=s,
            end=e,
            year=y,
            setting=setting,
            is_tax=p.org_kind == kinds.TAX,
            qualifying=sum((r.net_cny for r in rows if r.decision.qualifies), Decimal("0")),
            **ctx,
        )

    return _guard(request, principal, build)


@router.get("/export/tax/ledger.xlsx")
def export_ledger_xlsx(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    seller_id: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    def build(p: Principal) -> Response:
        seller = access.seller_for(
            session, p, _int(seller_id), resource="export_tax_ledger", path=request.url.path
        )
        s, e = _dates(start, end)
        data = ledgers.ledger_xlsx(ledgers.tax_free_ledger(session, seller.id, s, e))
        return Response(
            data,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="tax-free-ledger-{s}-{e}.xlsx"'},
        )

    return _guard(request, principal, build)


@router.get("/export/tax/deemed.xlsx")
def export_deemed_xlsx(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    seller_id: str | None = None,
    year: Year | None = None,
) -> Response:
    def build(p: Principal) -> Response:
        seller = access.seller_for(
            session, p, _int(seller_id), resource="export_deemed_income", path=request.url.path
        )
        y = year or _today().year
        st = ledgers.deemed_statement(session, seller.id, y)
        if st is None:
            raise NotFound()
        return Response(
            ledgers.deemed_xlsx(st),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="deemed-income-{y}.xlsx"'},
        )

    return _guard(request, principal, build)


@router.post("/export/tax/approval")
def export_tax_approval(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    sid = _int(form.get("seller_id"))
    try:
        if principal.org_kind != kinds.TAX:
            raise ValidationFailed([FieldError("seller_id", "tax_office_only", "核定征收鉴定由税务机关办理")])
        seller = access.seller_for(session, principal, sid, resource="export_deemed_income")
        filings.set_deemed_levy_approval(session, seller, form.get("approved") == "1", principal)
    except SilkgateError as exc:
        return _fail(session, "/export/tax", exc, seller_id=sid)
    return _back("/export/tax", "已更新核定征收鉴定", seller_id=sid)


# --------------------------------------------------------------------------------------------
# FX


@router.get("/export/fx", response_class=HTMLResponse)
def export_fx(
    request: Request, session: SessionDep, principal: OptionalPrincipal, seller_id: str | None = None
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = _seller_or_pick(ctx)
        totals = fx.seller_fx_totals(session, seller.id) if seller else None
        open_lists = []
        netting: list[NettingEntry] = []
        audit: list[ExportAuditEvent] = []
        if seller is not None:
            rows, _ = queries.search_lists(session, zone_code=None, seller_id=seller.id, limit=300)
            for lst in rows:
                if lst.status in ("released", "departed", "returned"):
                    st = fx.list_collection_status(session, lst)
                    if st.status != "collected":
                        open_lists.append((lst, st))
            netting = list(
                session.scalars(
                    select(NettingEntry)
                    .where(NettingEntry.seller_enterprise_id == seller.id)
                    .order_by(NettingEntry.id.desc())
                )
            )
            audit = list(
                session.scalars(
                    select(ExportAuditEvent)
                    .where(
                        ExportAuditEvent.enterprise_id == seller.id,
                        ExportAuditEvent.subject.in_(("netting", "fx")),
                    )
                    .order_by(ExportAuditEvent.id.desc())
                    .limit(50)
                )
            )
        rates = fx.list_rates(session, p.zone_code if not seller else seller.zone_code)
        return render(
            request,
            "export/fx.html",
            p,
            title="收汇与轧差",
            totals=totals,
            open_lists=open_lists,
            netting=netting,
            audit=audit,
            rates=rates,
            kinds_labels=NETTING_KIND_LABELS,
            is_zone_office=p.is_zone_office,
            currencies=codelists.currencies(),
            today=_today(),
            **ctx,
        )

    return _guard(request, principal, build)


def _form_dict(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {n: str(form.get(n) or "").strip() for n in names}


@router.post("/export/fx/collections")
def export_collection(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    f = _form_dict(form, ("order_no", "currency", "amount", "collected_on", "pay_no"))
    try:
        seller = access.own_enterprise(session, principal)
        try:
            amount = Decimal(f["amount"])
            on = dt.date.fromisoformat(f["collected_on"])
        except (InvalidOperation, ValueError) as exc:
            raise ValidationFailed(
                [FieldError("amount", "invalid", "收款金额应为数字，到账日期应为YYYY-MM-DD")]
            ) from exc
        c = fx.record_bank_collection(
            session,
            seller_id=seller.id,
            zone_code=seller.zone_code,
            order_no=f["order_no"],
            currency=f["currency"],
            amount=amount,
            collected_on=on,
            pay_no=f["pay_no"] or None,
            actor=principal,
        )
    except SilkgateError as exc:
        return _fail(session, "/export/fx", exc)
    return _back("/export/fx", "收款已登记，" + ("已匹配到清单" if c.list_id else "暂未找到对应订单的清单"))


@router.post("/export/fx/netting")
def export_netting(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    f = _form_dict(form, ("period", "kind", "counterparty", "reference", "currency", "amount", "note"))
    try:
        seller = access.own_enterprise(session, principal)
        e = fx.add_netting(
            session, seller_id=seller.id, zone_code=seller.zone_code, values=f, actor=principal
        )
    except SilkgateError as exc:
        return _fail(session, "/export/fx", exc)
    return _back("/export/fx", f"轧差已登记，折人民币{e.amount_cny:,.2f}元")


@router.post("/export/fx/netting/{entry_id}/reverse")
def export_netting_reverse(
    entry_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        seller = access.own_enterprise(session, principal)
        fx.reverse_netting(session, entry_id, seller.id, principal, str(form.get("reason") or ""))
    except SilkgateError as exc:
        return _fail(session, "/export/fx", exc)
    return _back("/export/fx", "轧差已冲销，审计记录已保留")


@router.post("/export/fx/rates")
def export_rates(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        principal.require_zone_office()
        rows = fx.parse_rate_csv(str(form.get("csv") or ""))
        n = fx.load_rates(
            session,
            rows,
            zone_code=principal.zone_code,
            default_source=str(form.get("source") or "").strip() or "综试办导入",
            actor=principal,
        )
    except SilkgateError as exc:
        return _fail(session, "/export/fx", exc)
    return _back("/export/fx", f"已导入{n}条汇率")


# --------------------------------------------------------------------------------------------
# Rebate package


@router.get("/export/rebate", response_class=HTMLResponse)
def export_rebate(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    seller_id: str | None = None,
    period: str | None = None,
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = _seller_or_pick(ctx)
        per = (
            summary.validate_period(period)
            if period
            else (_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        )
        pkg = ledgers.rebate_package(session, seller.id, per) if seller else None
        return render(request, "export/rebate.html", p, title="退税准备", pkg=pkg, period=per, **ctx)

    return _guard(request, principal, build)


@router.get("/export/rebate.xlsx")
def export_rebate_xlsx(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    seller_id: str | None = None,
    period: str = "",
) -> Response:
    def build(p: Principal) -> Response:
        seller = access.seller_for(
            session, p, _int(seller_id), resource="export_rebate", path=request.url.path
        )
        pkg = ledgers.rebate_package(session, seller.id, summary.validate_period(period))
        if pkg is None:
            raise NotFound()
        return Response(
            ledgers.rebate_xlsx(pkg),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="rebate-{period}.xlsx"'},
        )

    return _guard(request, principal, build)


# --------------------------------------------------------------------------------------------
# Filings and settings


@router.get("/export/filings", response_class=HTMLResponse)
def export_filings(
    request: Request, session: SessionDep, principal: OptionalPrincipal, seller_id: str | None = None
) -> Response:
    def build(p: Principal) -> Response:
        ctx = _ctx(request, session, p, _int(seller_id))
        seller = _seller_or_pick(ctx)
        bq = select(B2BExportFiling, Enterprise).join(
            Enterprise, Enterprise.id == B2BExportFiling.enterprise_id
        )
        wq = select(OverseasWarehouse, Enterprise).join(
            Enterprise, Enterprise.id == OverseasWarehouse.enterprise_id
        )
        if seller is not None:
            bq, wq = bq.where(Enterprise.id == seller.id), wq.where(Enterprise.id == seller.id)
        else:
            bq, wq = (
                bq.where(Enterprise.zone_code == p.zone_code),
                wq.where(Enterprise.zone_code == p.zone_code),
            )
        zone = session.get(ExportZoneSetting, p.zone_code or (seller.zone_code if seller else ""))
        excluded = list(
            session.scalars(
                select(ExemptionExcludedGoods).where(
                    ExemptionExcludedGoods.zone_code
                    == (p.zone_code or (seller.zone_code if seller else None))
                )
            )
        )
        return render(
            request,
            "export/filings.html",
            p,
            title="备案与设置",
            b2b=list(session.execute(bq)),
            warehouses=list(session.execute(wq)),
            setting=filings.setting_for(session, seller) if seller and p.is_enterprise else None,
            path_labels=filings.PATH_LABELS,
            invoice_labels=filings.INVOICE_LABELS,
            zone=zone,
            excluded=excluded,
            is_zone_office=p.is_zone_office,
            countries=codelists.countries(),
            **ctx,
        )

    return _guard(request, principal, build)


def _filing_post(
    request: Request,
    session: Any,
    principal: Principal | None,
    form: Any,
    names: tuple[str, ...],
    action: Callable[[Principal, dict[str, str]], str],
) -> Response:
    if principal is None:
        return login_redirect(request)
    values = _form_dict(form, names)
    try:
        message = action(principal, values)
    except SilkgateError as exc:
        return _fail(session, "/export/filings", exc)
    return _back("/export/filings", message)


@router.post("/export/filings/b2b")
def export_b2b(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    def act(p: Principal, v: dict[str, str]) -> str:
        f = filings.file_b2b(session, access.own_enterprise(session, p), v, p)
        return f"{f.trade_mode}备案已登记"

    return _filing_post(
        request, session, principal, form, ("trade_mode", "customs_code", "business_scope"), act
    )


@router.post("/export/filings/warehouses")
def export_warehouse(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    def act(p: Principal, v: dict[str, str]) -> str:
        w = filings.file_warehouse(session, access.own_enterprise(session, p), v, p)
        return f"海外仓“{w.name}”已备案"

    names = (
        "name",
        "country",
        "address",
        "area_m2",
        "operator",
        "ownership",
        "contract_no",
        "contract_valid_until",
    )
    return _filing_post(request, session, principal, form, names, act)


@router.post("/export/settings")
def export_settings(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    def act(p: Principal, v: dict[str, str]) -> str:
        filings.update_seller_setting(session, access.own_enterprise(session, p), v, p)
        return "出口设置已保存"

    names = ("declaration_path", "purchase_invoices", "employees", "total_assets", "restricted_industry")
    return _filing_post(request, session, principal, form, names, act)


@router.post("/export/zone-settings")
def export_zone_settings(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    def act(p: Principal, v: dict[str, str]) -> str:
        p.require_zone_office()
        assert p.zone_code is not None
        codes = [c.strip() for c in v["customs_codes"].replace("，", ",").split(",") if c.strip()]
        filings.update_zone_customs(session, p.zone_code, codes, p)
        if v["hs_prefix"]:
            filings.add_excluded_goods(session, p.zone_code, v["hs_prefix"], v["name"], v["source"], p)
        return "综试区出口设置已保存"

    return _filing_post(
        request, session, principal, form, ("customs_codes", "hs_prefix", "name", "source"), act
    )
