"""Summary declarations (汇总申报): the platform proposes, the enterprise reviews and submits the
CEB701 汇总申请单, customs' result (CEB702 / CEB792) is recorded; lists show which summary took them.

Grouping and schedule are the pure rules of `export/rules.py` (海关总署公告2018年第194号 第十一条).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.declarations.receipts import render_summary_apply_xml
from silkgate.exceptions import FieldError, InvalidState, NotFound, ValidationFailed
from silkgate.export import rules
from silkgate.export.pipeline import RS_DONE, RS_REJECTED, doc_lines, now, raw_lines, receipt, timeline
from silkgate.kit.cebtime import BEIJING, format_app_time, now_utc
from silkgate.models.declarations import Declaration
from silkgate.models.export import ExportAuditEvent, ExportList, ExportSummary
from silkgate.models.registry import Enterprise

ZERO = Decimal("0")
STATUS_LABELS = {
    "proposed": "待企业复核",
    "submitted": "已申报",
    "accepted": "海关已接受",
    "rejected": "海关退单",
    "cancelled": "已作废",
}
ENTRY_ID = re.compile(r"^\d{18}$")


def _period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """The Beijing month of `period` as UTC instants [start, end)."""
    year, month = (int(p) for p in period.split("-"))
    start = dt.datetime(year, month, 1, tzinfo=BEIJING)
    end = dt.datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=BEIJING)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def validate_period(period: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period or ""):
        raise ValidationFailed([FieldError("period", "invalid_period", "汇总月份应为YYYY-MM")])
    return period


def candidate_of(session: Session, lst: ExportList) -> rules.SummaryCandidate:
    decl = session.get(Declaration, lst.declaration_id)
    lines = doc_lines(session, decl) if decl is not None else []
    closed = (lst.departed_at or lst.released_at or now(session)).astimezone(BEIJING).date()
    return rules.SummaryCandidate(
        list_id=lst.id,
        invt_no=lst.invt_no,
        ebc_code=lst.ebc_code,
        traf_mode=lst.traf_mode,
        owner_code=lst.owner_code,
        country=lst.country,
        port_code=lst.port_code,
        trade_mode=lst.trade_mode,
        customs_code=lst.customs_code,
        statistics_flag=lst.statistics_flag,
        closed_on=closed,
        gross_weight=lst.gross_weight,
        net_weight=lst.net_weight,
        lines=tuple(
            rules.SummaryLine(
                g_num=int(ln["gnum"]),
                hs_code=ln.get("gcode", ""),
                g_name=ln.get("gname", ""),
                country=ln.get("country") or lst.country,
                currency=ln.get("currency") or lst.currency,
                unit=ln.get("unit", ""),
                unit1=ln.get("unit1", ""),
                qty=Decimal(ln.get("qty", "0")),
                qty1=Decimal(ln.get("qty1", "0")),
                value=Decimal(ln.get("totalPrice", "0")),
            )
            for ln in lines
        ),
    )


def closed_lists(session: Session, seller_id: int, period: str) -> list[ExportList]:
    """Lists of the seller closed (结关 = departed) in the period, not in a submitted summary."""
    start, end = _period_bounds(period)
    q = select(ExportList).where(
        ExportList.seller_enterprise_id == seller_id,
        ExportList.status.in_(("departed", "returned")),
        ExportList.departed_at >= start,
        ExportList.departed_at < end,
    )
    out = []
    for lst in session.scalars(q.order_by(ExportList.departed_at, ExportList.id)):
        if lst.summary_id is not None:
            s = session.get(ExportSummary, lst.summary_id)
            if s is not None and s.status not in ("proposed", "cancelled", "rejected"):
                continue
        out.append(lst)
    return out


def _party_name(session: Session, code: str, fallback: str) -> str:
    ent = session.scalar(select(Enterprise).where(Enterprise.customs_code == code))
    return ent.name if ent is not None else fallback


def propose(
    session: Session, seller_id: int, period: str, actor: Principal | None = None
) -> list[ExportSummary]:
    """(Re)build the proposals of a seller's month: earlier unsubmitted proposals are replaced."""
    validate_period(period)
    seller = session.get(Enterprise, seller_id)
    if seller is None:
        raise NotFound()
    for old in session.scalars(
        select(ExportSummary).where(
            ExportSummary.seller_enterprise_id == seller_id,
            ExportSummary.period == period,
            ExportSummary.status == "proposed",
        )
    ):
        for lst in session.scalars(select(ExportList).where(ExportList.summary_id == old.id)):
            lst.summary_id = None
        old.status = "cancelled"
        old.status_info = "已按最新清单重新生成汇总建议"
    session.flush()
    lists = {lst.id: lst for lst in closed_lists(session, seller_id, period)}
    groups = rules.group_for_summary(candidate_of(session, lst) for lst in lists.values())
    existing = len(
        list(session.scalars(select(ExportSummary.id).where(ExportSummary.seller_enterprise_id == seller_id)))
    )
    made = []
    due = rules.summary_due_date(period)
    for n, group in enumerate(groups, start=existing + 1):
        members = [lists[c.list_id] for c in group.lists]
        agent_code = members[0].agent_code or seller.customs_code
        s = ExportSummary(
            zone_code=seller.zone_code,
            seller_enterprise_id=seller_id,
            period=period,
            due_date=due,
            cop_no=f"HZ{seller.customs_code}{period.replace('-', '')}{n:04d}",
            guid=str(uuid.uuid4()).upper(),
            group_key=group.header,
            items=[
                {
                    "country": it.country,
                    "hs_code": it.hs_code,
                    "currency": it.currency,
                    "unit": it.unit,
                    "unit1": it.unit1,
                    "g_name": it.g_name,
                    "qty": f"{it.qty.normalize():f}",
                    "qty1": f"{it.qty1.normalize():f}",
                    "value": f"{it.value:f}",
                    "invt_nos": it.invt_nos,
                }
                for it in group.items
            ],
            list_count=len(members),
            total_value_cny=sum((m.value_cny or ZERO for m in members), ZERO),
            gross_weight=group.gross_weight,
            net_weight=group.net_weight,
            decl_agent_code=agent_code,
            decl_agent_name=_party_name(session, agent_code, seller.name),
            status="proposed",
        )
        session.add(s)
        session.flush()
        for m in members:
            m.summary_id = s.id
        made.append(s)
    for s in made:
        session.add(
            ExportAuditEvent(
                zone_code=seller.zone_code,
                enterprise_id=seller_id,
                subject="summary",
                subject_id=s.id,
                action="proposed",
                actor_org_id=actor.org_id if actor else None,
                actor_user_id=actor.user_id if actor else None,
                detail={"period": period, "lists": s.list_count},
            )
        )
    return made


def members(session: Session, summary_id: int) -> list[ExportList]:
    return list(
        session.scalars(
            select(ExportList).where(ExportList.summary_id == summary_id).order_by(ExportList.invt_no)
        )
    )


def render_ceb701(session: Session, s: ExportSummary) -> bytes:
    """The CEB701 汇总申请单 for a summary (summaryFlag 2: by 收发货人 and 生产销售单位, as 194号
    requires the same 生产销售单位; itemNameFlag 1: items keep the lists' own goods names, the only
    value the XSD's required one-character field documents)."""
    seller = session.get(Enterprise, s.seller_enterprise_id)
    if seller is None:
        raise NotFound()
    head = {
        "guid": s.guid,
        "appType": "1",
        "appTime": format_app_time(now_utc()),
        "appStatus": "2",
        "customsCode": s.group_key.get("customs_code", ""),
        "copNo": s.cop_no,
        "agentCode": seller.customs_code,
        "agentName": seller.name,
        "ebcCode": s.group_key.get("ebc_code", seller.customs_code),
        "ebcName": seller.name,
        "declAgentCode": s.decl_agent_code,
        "declAgentName": s.decl_agent_name,
        "summaryFlag": "2",
        "itemNameFlag": "1",
        "msgCount": "1",
        "msgSeqNo": "1",
    }
    invt_nos = [lst.invt_no for lst in members(session, s.id)]
    return render_summary_apply_xml(head, [{"invtNo": no} for no in invt_nos])


def visible_summary(session: Session, summary_id: int, principal: Principal) -> ExportSummary:
    s = session.get(ExportSummary, summary_id)
    if s is None:
        raise NotFound()
    if principal.is_enterprise:
        if s.seller_enterprise_id != principal.enterprise_id:
            raise NotFound()
    elif not principal.sees_zone(s.zone_code):
        raise NotFound()
    return s


def submit(
    session: Session, summary_id: int, principal: Principal, at: dt.datetime | None = None
) -> ExportSummary:
    """The seller (or its broker, through the seller's login) reviews and submits the proposal."""
    s = visible_summary(session, summary_id, principal)
    if not principal.is_enterprise:
        raise InvalidState(message="汇总申请由电商企业复核后提交")
    if s.status != "proposed":
        raise InvalidState(message=f"汇总申请当前状态为“{STATUS_LABELS[s.status]}”，不能提交")
    lists = members(session, s.id)
    stale = [lst.invt_no for lst in lists if lst.status not in ("departed", "returned")]
    if not lists or stale:
        raise InvalidState(message="汇总建议已过期（清单有变动），请重新生成：" + "、".join(stale))
    s.message_xml = render_ceb701(session, s).decode()
    s.status = "submitted"
    s.submitted_at = at or now(session)
    late = s.submitted_at.astimezone(BEIJING).date() > s.due_date
    s.status_info = f"已提交（逾期：应于{s.due_date:%Y-%m-%d}前申报）" if late else "已提交，等待海关回执"
    session.add(
        ExportAuditEvent(
            zone_code=s.zone_code,
            enterprise_id=s.seller_enterprise_id,
            subject="summary",
            subject_id=s.id,
            action="submitted",
            actor_org_id=principal.org_id,
            actor_user_id=principal.user_id,
            detail={"cop_no": s.cop_no, "lists": len(lists), "late": late},
        )
    )
    return s


def record_result(
    session: Session,
    summary_id: int,
    principal: Principal,
    *,
    accepted: bool,
    sum_no: str,
    entry_id: str,
    info: str,
    at: dt.datetime | None = None,
) -> ExportSummary:
    """Customs' answer (CEB702 汇总申请单回执 / CEB792 汇总结果单), entered by the customs office of the
    zone (or loaded by the zone office from the single window)."""
    s = visible_summary(session, summary_id, principal)
    if principal.org_kind not in ("customs", "zone_office"):
        raise InvalidState(message="海关回执由海关或综试办录入")
    if s.status != "submitted":
        raise InvalidState(message="只有已申报的汇总申请才能录入海关回执")
    errors = []
    if accepted:
        if not sum_no or len(sum_no) > 18:
            errors.append(FieldError("sum_no", "invalid_sum_no", "汇总申请编号必填，最长18位"))
        if not ENTRY_ID.fullmatch(entry_id or ""):
            errors.append(FieldError("entry_id", "invalid_entry_id", "报关单编号应为18位数字"))
    elif not info.strip():
        errors.append(FieldError("info", "required", "退单原因必填"))
    if errors:
        raise ValidationFailed(errors)
    s.status = "accepted" if accepted else "rejected"
    s.sum_no = sum_no or None
    s.entry_id = entry_id or None
    s.status_info = info.strip() or ("海关已接受，已生成报关单" if accepted else "海关退单")
    s.decided_at = at or now(session)
    if not accepted:
        for lst in members(session, s.id):
            lst.summary_id = None
    session.add(
        ExportAuditEvent(
            zone_code=s.zone_code,
            enterprise_id=s.seller_enterprise_id,
            subject="summary",
            subject_id=s.id,
            action="accepted" if accepted else "rejected",
            actor_org_id=principal.org_id,
            actor_user_id=principal.user_id,
            detail={"sum_no": sum_no, "entry_id": entry_id, "info": s.status_info},
        )
    )
    return s


def drop_from_proposal(session: Session, lst: ExportList) -> None:
    """A withdrawn list leaves its (still unsubmitted) proposal, which is rebuilt without it."""
    if lst.summary_id is None:
        return
    s = session.get(ExportSummary, lst.summary_id)
    lst.summary_id = None
    if s is not None and s.status == "proposed":
        session.flush()
        propose(session, s.seller_enterprise_id, s.period)


def accept_summary_message(session: Session, declaration: Declaration) -> None:
    """A CEB701 the enterprise sent itself: accepted when its lists are closed lists of that
    consignor and all of them may share one declaration (194号 第十一条); otherwise 退单 naming why."""
    h = declaration.head
    ebc = h.get("ebcCode", "")
    numbers = [ln["invtNo"] for ln in raw_lines(session, declaration) if ln.get("invtNo")]
    errors: list[FieldError] = []
    lists: list[ExportList] = []
    for i, no in enumerate(numbers, start=1):
        lst = session.scalar(select(ExportList).where(ExportList.invt_no == no))
        if lst is None or lst.ebc_code != ebc:
            errors.append(
                FieldError(
                    f"SummaryApplyList[{i}].invtNo", "list_not_found", f"清单{no}不存在或不属于该收发货人"
                )
            )
        elif lst.status not in ("departed", "returned"):
            errors.append(FieldError(f"SummaryApplyList[{i}].invtNo", "list_not_closed", f"清单{no}尚未结关"))
        elif (
            lst.summary_id is not None
            and (s := session.get(ExportSummary, lst.summary_id))
            and s.status
            in (
                "submitted",
                "accepted",
            )
        ):
            errors.append(
                FieldError(
                    f"SummaryApplyList[{i}].invtNo", "already_summarised", f"清单{no}已在汇总申请{s.cop_no}中"
                )
            )
        else:
            lists.append(lst)
    cands = [candidate_of(session, lst) for lst in lists]
    for c in cands[1:]:
        why = rules.explain_group_difference(cands[0], c)
        if why:
            errors.append(
                FieldError(
                    "SummaryApplyList",
                    "not_one_group",
                    f"清单{c.invt_no}与{cands[0].invt_no}：" + "；".join(why),
                )
            )
    if not numbers:
        errors.append(FieldError("SummaryApplyList", "required", "汇总申请单应列明清单编号"))
    if errors:
        declaration.status = "rejected"
        receipt(
            session,
            declaration,
            RS_REJECTED,
            "汇总申请退单：" + "；".join(e.message for e in errors[:5]),
            errors,
        )
        return
    seller = session.get(Enterprise, lists[0].seller_enterprise_id) if lists[0].seller_enterprise_id else None
    period = rules.summary_period(cands[0].closed_on)
    group = rules.group_for_summary(cands)[0]
    s = ExportSummary(
        zone_code=declaration.zone_code,
        seller_enterprise_id=lists[0].seller_enterprise_id or 0,
        period=period,
        due_date=rules.summary_due_date(period),
        cop_no=h.get("copNo", declaration.cop_no or declaration.guid[:30]),
        guid=declaration.guid[:36],
        group_key=group.header,
        items=[
            {
                "country": it.country,
                "hs_code": it.hs_code,
                "currency": it.currency,
                "unit": it.unit,
                "unit1": it.unit1,
                "g_name": it.g_name,
                "qty": f"{it.qty:f}",
                "qty1": f"{it.qty1:f}",
                "value": f"{it.value:f}",
                "invt_nos": it.invt_nos,
            }
            for it in group.items
        ],
        list_count=len(lists),
        total_value_cny=sum((lst.value_cny or ZERO for lst in lists), ZERO),
        gross_weight=group.gross_weight,
        net_weight=group.net_weight,
        decl_agent_code=h.get("declAgentCode", ""),
        decl_agent_name=h.get("declAgentName", seller.name if seller else ""),
        status="submitted",
        submitted_at=now(session),
        status_info="企业直接报送的汇总申请单，等待海关回执",
    )
    session.add(s)
    session.flush()
    for lst in lists:
        lst.summary_id = s.id
    declaration.status = "released"
    timeline(session, declaration, "summary", f"汇总申请单已受理，含{len(lists)}票清单")
    receipt(session, declaration, RS_DONE, f"汇总申请单已受理，含{len(lists)}票清单")
