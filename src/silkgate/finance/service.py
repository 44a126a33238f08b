"""Financial services: consent grants and the grant check every bank/insurer read goes through,
financing applications with their collateral, export credit insurance, settlement records and the
zone's finance figures. Services take a session and never commit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.credit.service import supervision_for
from silkgate.exceptions import Duplicate, FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.export import fx as export_fx
from silkgate.finance import pledges, rules, schemas
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import service as logistics
from silkgate.models.clearance import BondedStock
from silkgate.models.declarations import Declaration
from silkgate.models.export import ExportList, NettingEntry
from silkgate.models.finance import (
    DataGrant,
    FinancingApplication,
    FinancingEvent,
    InsuranceClaim,
    InsurancePolicy,
    PledgeLock,
    PledgePosition,
    Repayment,
    SettlementRecord,
)
from silkgate.models.org import AuditEntry, Organisation
from silkgate.models.registry import Enterprise
from silkgate.registry.service import commodity_by_item_no, roles_of

RELEASED_STATUSES = ("released", "departed", "closed")


class GrantScopeMissing(Forbidden):
    code = "grant_scope_missing"
    title = "授权范围不含该数据"


# --- consent grants ---------------------------------------------------------------------------


def _own_enterprise(session: Session, principal: Principal) -> Enterprise:
    if principal.enterprise_id is None:
        raise Forbidden("只有备案企业可以执行此操作")
    ent = session.get(Enterprise, principal.enterprise_id)
    assert ent is not None
    return ent


def finance_institutions(session: Session, kind: str | None = None) -> list[Organisation]:
    q = select(Organisation).where(Organisation.kind.in_(kinds.FINANCE_KINDS), Organisation.active.is_(True))
    if kind:
        q = q.where(Organisation.kind == kind)
    return list(session.scalars(q.order_by(Organisation.kind, Organisation.name)))


def grant_access(session: Session, principal: Principal, data: schemas.GrantCreate) -> DataGrant:
    """An enterprise consents that a named bank or insurer reads the given slices until a date (FIN-04)."""
    ent = _own_enterprise(session, principal)
    now = now_utc()
    valid_from = data.valid_from or now
    errors = []
    grantee = session.get(Organisation, data.grantee_org_id)
    if grantee is None or grantee.kind not in kinds.FINANCE_KINDS or not grantee.active:
        errors.append(
            FieldError("grantee_org_id", "not_a_finance_institution", "被授权机构须为已登记的银行或保险机构")
        )
    if data.valid_until <= valid_from:
        errors.append(FieldError("valid_until", "not_after_start", "授权截止时间须晚于生效时间"))
    elif data.valid_until - valid_from > dt.timedelta(days=rules.MAX_GRANT_DAYS):
        errors.append(FieldError("valid_until", "too_long", f"单次授权期限不得超过{rules.MAX_GRANT_DAYS}天"))
    if data.valid_until <= now:
        errors.append(FieldError("valid_until", "in_past", "授权截止时间已过"))
    if len(set(data.slices)) != len(data.slices):
        errors.append(FieldError("slices", "duplicate", "授权数据范围有重复项"))
    if errors:
        raise ValidationFailed(errors)
    grant = DataGrant(
        enterprise_id=ent.id,
        grantee_org_id=data.grantee_org_id,
        slices=sorted(set(data.slices), key=list(rules.SLICE_LABELS).index),
        purpose=data.purpose.strip(),
        valid_from=valid_from,
        valid_until=data.valid_until,
        created_by_user_id=principal.user_id,
    )
    session.add(grant)
    session.flush()
    return grant


def revoke_grant(session: Session, principal: Principal, grant_id: int) -> DataGrant:
    grant = session.get(DataGrant, grant_id)
    if grant is None or grant.enterprise_id != principal.enterprise_id:
        raise NotFound()
    if grant.revoked_at is not None:
        raise InvalidState("该授权已撤销")
    grant.revoked_at = now_utc()
    grant.revoked_by_user_id = principal.user_id
    session.flush()
    return grant


def grant_public(session: Session, grant: DataGrant, now: dt.datetime | None = None) -> schemas.GrantPublic:
    out = schemas.GrantPublic.model_validate(grant)
    grantee = session.get(Organisation, grant.grantee_org_id)
    ent = session.get(Enterprise, grant.enterprise_id)
    out.grantee_name = grantee.name if grantee else ""
    out.enterprise_name = ent.name if ent else ""
    out.active = rules.grant_is_active(
        grant.valid_from, grant.valid_until, grant.revoked_at, now or now_utc()
    )
    return out


def reads_of_my_record(
    session: Session, principal: Principal, limit: int = 50
) -> list[tuple[AuditEntry, str]]:
    """What banks and insurers read of this enterprise's record, newest first (the consent's other half)."""
    ent = _own_enterprise(session, principal)
    rows = session.execute(
        select(AuditEntry, Organisation.name)
        .join(Organisation, Organisation.id == AuditEntry.actor_org_id)
        .where(AuditEntry.subject_org_id == ent.org_id, AuditEntry.actor_kind.in_(kinds.FINANCE_KINDS))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [(entry, name) for entry, name in rows]


def list_grants(session: Session, principal: Principal) -> list[DataGrant]:
    """An enterprise sees every grant it gave; a bank or insurer the grants given to it."""
    if principal.enterprise_id is not None:
        q = select(DataGrant).where(DataGrant.enterprise_id == principal.enterprise_id)
    elif principal.org_kind in kinds.FINANCE_KINDS:
        q = select(DataGrant).where(DataGrant.grantee_org_id == principal.org_id)
    else:
        raise Forbidden("只有企业和金融机构可以查看数据授权")
    return list(session.scalars(q.order_by(DataGrant.id.desc())))


def active_grant(
    session: Session, grantee_org_id: int, enterprise_id: int, now: dt.datetime
) -> list[DataGrant]:
    return [
        g
        for g in session.scalars(
            select(DataGrant).where(
                DataGrant.grantee_org_id == grantee_org_id,
                DataGrant.enterprise_id == enterprise_id,
                DataGrant.revoked_at.is_(None),
                DataGrant.valid_from <= now,
                DataGrant.valid_until > now,
            )
        )
    ]


@dataclass(frozen=True)
class GrantAccess:
    enterprise: Enterprise
    grant: DataGrant
    slices: tuple[str, ...]


def check_grant(
    session: Session,
    principal: Principal,
    enterprise_id: int,
    slices: tuple[str, ...],
    *,
    resource: str,
    resource_id: str | int | None = None,
    request_path: str | None = None,
    action: str = "read",
) -> GrantAccess:
    """THE check in front of every bank- and insurer-facing read and action.

    No active, unexpired, unrevoked grant from the enterprise -> NotFound (the bank learns nothing,
    not even that the enterprise exists). An active grant that lacks a slice -> 403. Allowed ->
    one audit entry in the enterprise's zone.
    """
    principal.require(*kinds.FINANCE_KINDS)
    ent = session.get(Enterprise, enterprise_id)
    grants = active_grant(session, principal.org_id, enterprise_id, now_utc()) if ent is not None else []
    if ent is None or not grants:
        raise NotFound()
    covering = [g for g in grants if set(slices) <= set(g.slices)]
    if not covering:
        granted = sorted({s for g in grants for s in g.slices})
        missing = [rules.SLICE_LABELS[s] for s in slices if s not in granted]
        raise GrantScopeMissing(f"该企业的授权不含：{'、'.join(missing)}")
    grant = max(covering, key=lambda g: g.valid_until)
    record_read(
        session,
        principal,
        resource=resource,
        resource_id=resource_id if resource_id is not None else ent.id,
        subject_org_id=ent.org_id,
        action=action,
        detail={"grant_id": grant.id, "slices": list(slices), "enterprise_id": ent.id},
        request_path=request_path,
        zone_code=ent.zone_code,
    )
    return GrantAccess(enterprise=ent, grant=grant, slices=slices)


# --- the record slices ------------------------------------------------------------------------


def _filing_slice(session: Session, ent: Enterprise) -> dict[str, Any]:
    fields = (*kinds.COMMON_FILING_FIELDS, "settlement_bank", "settlement_account")
    data = {f: getattr(ent, f, None) for f in fields if f != "roles"}
    data["roles"] = sorted(roles_of(session, ent.id))
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in data.items()}


def _lists_of(enterprise_id: int) -> Any:
    return select(Declaration).where(
        Declaration.ebc_enterprise_id == enterprise_id, Declaration.kind == "inventory"
    )


def _declaration_slice(session: Session, ent: Enterprise) -> dict[str, Any]:
    """Released trade by direction and month and the latest lists — no buyer data."""
    totals: dict[str, dict[str, Any]] = {}
    rows = session.execute(
        select(Declaration.direction, Declaration.status, func.count(), func.sum(Declaration.value_cny))
        .where(Declaration.ebc_enterprise_id == ent.id, Declaration.kind == "inventory")
        .group_by(Declaration.direction, Declaration.status)
    ).all()
    for direction, status, count, value in rows:
        cell = totals.setdefault(
            direction, {"lists": 0, "released": 0, "released_value_cny": Decimal(0), "by_status": {}}
        )
        cell["lists"] += count
        cell["by_status"][status] = count
        if status in RELEASED_STATUSES:
            cell["released"] += count
            cell["released_value_cny"] += value or Decimal(0)
    latest = session.scalars(_lists_of(ent.id).order_by(Declaration.created_at.desc()).limit(50))
    return {
        "totals": {k: {**v, "released_value_cny": str(v["released_value_cny"])} for k, v in totals.items()},
        "latest": [
            {
                "id": d.id,
                "business_no": d.business_no,
                "direction": d.direction,
                "trade_mode": d.trade_mode,
                "status": d.status,
                "currency": d.currency,
                "goods_value": None if d.goods_value is None else str(d.goods_value),
                "value_cny": None if d.value_cny is None else str(d.value_cny),
                "country": d.country,
                "released_at": d.released_at.isoformat() if d.released_at else None,
            }
            for d in latest
        ],
    }


def _fx_slice(session: Session, ent: Enterprise) -> dict[str, Any]:
    records = list_settlements(session, ent.id)
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    for r in records:
        by_kind[r.kind] += r.amount_cny
    export = export_fx.seller_fx_totals(session, ent.id)
    return {
        "totals_cny": {k: str(v) for k, v in by_kind.items()},
        "export_collection": {
            "released_cny": str(export.released_cny),
            "collected_cny": str(export.collected_cny),
            "outstanding_cny": str(export.outstanding_cny),
            "netted_cny": str(export.netted_cny),
            "gross_restored_cny": str(export.gross_restored_cny),
            "outstanding_lists": export.outstanding_lists,
            "partial_lists": export.partial_lists,
        },
        "records": [
            schemas.SettlementPublic.model_validate(r).model_dump(mode="json") for r in records[:100]
        ],
    }


def _credit_slice(session: Session, ent: Enterprise) -> dict[str, Any]:
    sup = supervision_for(session, ent.id)
    return {
        "tier": sup.tier,
        "reasons": list(sup.reasons),
        "hold_all": sup.hold_all,
        "fast_track": sup.fast_track,
        "inspection_share": str(sup.inspection_share),
    }


SLICE_READERS = {
    "filings": _filing_slice,
    "declarations": _declaration_slice,
    "fx": _fx_slice,
    "credit": _credit_slice,
}


def read_slice(session: Session, access: GrantAccess, slice_name: str) -> schemas.SliceOut:
    if slice_name not in access.slices:
        raise GrantScopeMissing()
    return schemas.SliceOut(
        enterprise_id=access.enterprise.id,
        slice=slice_name,
        grant_id=access.grant.id,
        data=SLICE_READERS[slice_name](session, access.enterprise),
    )


# --- financing applications -------------------------------------------------------------------


def _event(
    session: Session, app: FinancingApplication, principal: Principal, amount: Decimal | None, note: str
) -> None:
    session.add(
        FinancingEvent(
            application_id=app.id,
            status=app.status,
            actor_org_id=principal.org_id,
            amount=amount,
            note=note or None,
        )
    )


def _declarations_in_open_applications(session: Session, enterprise_id: int) -> set[int]:
    used: set[int] = set()
    for collateral in session.scalars(
        select(FinancingApplication.collateral).where(
            FinancingApplication.enterprise_id == enterprise_id,
            FinancingApplication.status.in_(rules.OPEN_STATUSES),
        )
    ):
        used.update(int(x) for x in collateral.get("declaration_ids", []))
    return used


def receivable_cny(session: Session, declaration_id: int) -> Decimal | None:
    """What is still to be collected on a released export list (export issue's collection status), in CNY."""
    lst = session.scalar(select(ExportList).where(ExportList.declaration_id == declaration_id))
    if lst is None or lst.status not in ("released", "departed"):
        return None
    status = export_fx.list_collection_status(session, lst)
    rate = export_fx.rate_to_cny(session, lst.currency, lst.ie_date, lst.zone_code)
    if rate is None:
        return None
    return (status.outstanding * rate).quantize(Decimal("0.01"))


def _collateral_from_declarations(
    session: Session, ent: Enterprise, product: str, declaration_ids: list[int]
) -> tuple[Decimal, list[FieldError]]:
    errors: list[FieldError] = []
    if not declaration_ids:
        return Decimal(0), [FieldError("declaration_ids", "required", "须选择作为交易背景的申报清单")]
    used = _declarations_in_open_applications(session, ent.id)
    found = {d.id: d for d in session.scalars(select(Declaration).where(Declaration.id.in_(declaration_ids)))}
    total = Decimal(0)
    for i, did in enumerate(declaration_ids):
        d = found.get(did)
        field = f"declaration_ids[{i}]"
        if d is None or d.ebc_enterprise_id != ent.id or d.kind not in ("inventory", "order"):
            errors.append(FieldError(field, "not_own_declaration", f"申报单{did}不存在或不属于本企业"))
            continue
        if did in used:
            errors.append(FieldError(field, "already_financed", f"申报单{d.business_no}已用于另一笔在途融资"))
        if product == "receivables":
            exportable = d.direction == "export" and d.kind == "inventory"
            receivable = receivable_cny(session, d.id) if exportable else None
            if receivable is None:
                errors.append(
                    FieldError(field, "not_released_export", f"{d.business_no}不是已放行的出口清单")
                )
            elif receivable <= 0:
                errors.append(
                    FieldError(
                        field, "already_collected", f"{d.business_no}的货款已全部收汇，不能作为应收账款"
                    )
                )
            else:
                total += receivable
            continue
        if d.status in ("rejected", "withdrawn", "returned", "deleted"):
            errors.append(FieldError(field, "not_live", f"{d.business_no}已退单、撤销或退货"))
        total += d.value_cny or Decimal(0)
    return total, errors


def _term_advance_base(session: Session, enterprise_id: int, today: dt.date) -> Decimal:
    """Average monthly export proceeds received over the last six months (the payout the advance anticipates)."""
    since = today - dt.timedelta(days=182)
    received = session.scalar(
        select(func.coalesce(func.sum(SettlementRecord.amount_cny), 0)).where(
            SettlementRecord.enterprise_id == enterprise_id,
            SettlementRecord.kind.in_(("fx_receipt", "rmb_receipt")),
            SettlementRecord.settled_on >= since,
        )
    )
    return (Decimal(received or 0) / 6).quantize(Decimal("0.01"))


def _bonded_row_for_pledge(
    session: Session, ent: Enterprise, stock_id: int, field: str
) -> tuple[Decimal, str, Decimal]:
    """The 1210 account-book row (clearance's bonded book), locked: the same row lock its release
    deduction takes, so a pledge and a release of the same goods are serialised."""
    row = session.scalar(
        select(BondedStock)
        .where(BondedStock.id == stock_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.owner_code != ent.customs_code:
        raise ValidationFailed([FieldError(field, "not_own_stock", "保税账册库存不存在或不属于本企业")])
    commodity = commodity_by_item_no(session, ent.id, row.item_no)
    unit_value = Decimal(0)
    if commodity is not None:
        rate = export_fx.rate_to_cny(session, commodity.currency, now_utc().date(), ent.zone_code)
        unit_value = (commodity.unit_price * rate).quantize(Decimal("0.01")) if rate else Decimal(0)
    if unit_value <= 0:
        raise ValidationFailed(
            [FieldError(field, "no_unit_value", f"货号{row.item_no}无商品备案单价，无法估值")]
        )
    return Decimal(row.quantity), row.item_no, unit_value


def bonded_stock_of(session: Session, enterprise: Enterprise) -> list[BondedStock]:
    """The enterprise's goods in bonded warehouses (what it may pledge)."""
    return list(
        session.scalars(
            select(BondedStock)
            .where(BondedStock.owner_code == enterprise.customs_code)
            .order_by(BondedStock.item_no)
        )
    )


def _lock_pledges(
    session: Session, ent: Enterprise, lines: list[schemas.PledgeLineIn]
) -> tuple[Decimal, list[tuple[PledgePosition, Decimal, Decimal]]]:
    """Lock each pledged stock position (stock row first, then position: one lock order everywhere)."""
    if not lines:
        raise ValidationFailed([FieldError("pledge_lines", "required", "仓单质押须列明质押的库存")])
    locked: list[tuple[PledgePosition, Decimal, Decimal]] = []
    total = Decimal(0)
    index_of = {id(line): i for i, line in enumerate(lines)}
    for line in sorted(lines, key=lambda x: (x.source, x.stock_id)):
        field = f"pledge_lines[{index_of[id(line)]}]"
        if line.source == "bonded":
            quantity, item_no, unit_value = _bonded_row_for_pledge(
                session, ent, line.stock_id, f"{field}.stock_id"
            )
            key = pledges.bonded_position_key(line.stock_id)
        else:
            stock = logistics.stock_for_pledge(session, line.stock_id)
            if stock is None or stock.owner_enterprise_id != ent.id:
                raise ValidationFailed(
                    [FieldError(f"{field}.stock_id", "not_own_stock", "库存不存在或不属于本企业")]
                )
            quantity, item_no, unit_value = stock.quantity, stock.item_no, stock.unit_value_cny
            key = pledges.overseas_position_key(stock.id)
        position = pledges.lock_position(session, line.source, key, enterprise_id=ent.id, item_no=item_no)
        pledges.add_pledge(position, line.quantity, quantity, f"{field}.quantity")
        locked.append((position, line.quantity, unit_value))
        total += line.quantity * unit_value
    return total, locked


def apply_for_financing(
    session: Session, principal: Principal, data: schemas.ApplicationCreate
) -> FinancingApplication:
    ent = _own_enterprise(session, principal)
    bank = session.get(Organisation, data.bank_org_id)
    errors: list[FieldError] = []
    if bank is None or bank.kind != kinds.BANK or not bank.active:
        errors.append(FieldError("bank_org_id", "not_a_bank", "申请对象须为已登记的银行"))
    if data.product != "warehouse_pledge" and data.pledge_lines:
        errors.append(FieldError("pledge_lines", "not_pledge", "只有仓单质押需要列明质押库存"))
    locked: list[tuple[PledgePosition, Decimal, Decimal]] = []
    collateral: dict[str, Any] = {}
    if data.product in ("order", "receivables"):
        value, more = _collateral_from_declarations(session, ent, data.product, data.declaration_ids)
        errors.extend(more)
        collateral["declaration_ids"] = list(data.declaration_ids)
    elif data.product == "term_advance":
        value = _term_advance_base(session, ent.id, now_utc().date())
        collateral["basis"] = "avg_monthly_receipts_6m"
        if value <= 0:
            errors.append(FieldError("product", "no_receipts", "近六个月无收汇记录，无法申请账期垫资"))
    else:
        value = Decimal(0)
    if errors:
        raise ValidationFailed(errors)
    if data.product == "warehouse_pledge":
        value, locked = _lock_pledges(session, ent, data.pledge_lines)
        collateral["pledges"] = [line.model_dump(mode="json") for line in data.pledge_lines]
    ceiling = rules.max_advance(data.product, value)
    if data.amount_requested > ceiling:
        raise ValidationFailed(
            [
                FieldError(
                    "amount_requested",
                    "exceeds_collateral",
                    f"申请金额超过可融资上限{ceiling:f}元（押品价值{value:f}元×"
                    f"{rules.ADVANCE_RATIO[data.product] * 100:.0f}%）",
                )
            ]
        )
    app = FinancingApplication(
        zone_code=ent.zone_code,
        enterprise_id=ent.id,
        bank_org_id=data.bank_org_id,
        product=data.product,
        amount_requested=data.amount_requested,
        term_days=data.term_days,
        purpose=data.purpose.strip(),
        collateral=collateral,
        collateral_value=value,
        status="applied",
    )
    session.add(app)
    session.flush()
    for position, qty, unit_value in locked:
        session.add(
            PledgeLock(application_id=app.id, position_id=position.id, quantity=qty, unit_value=unit_value)
        )
    _event(session, app, principal, data.amount_requested, "企业提交申请")
    session.flush()
    return app


def _release_locks(session: Session, app: FinancingApplication) -> None:
    for lock in session.scalars(
        select(PledgeLock).where(PledgeLock.application_id == app.id, PledgeLock.active.is_(True))
    ):
        position = session.scalar(
            select(PledgePosition)
            .where(PledgePosition.id == lock.position_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert position is not None
        pledges.release_pledge(position, lock.quantity)
        lock.active = False
        lock.released_at = now_utc()


def _move(app: FinancingApplication, target: str, actor: str) -> None:
    if not rules.may_transition(app.status, target, actor):
        raise InvalidState(
            f"申请当前为“{rules.STATUS_LABELS[app.status]}”，不能变为“{rules.STATUS_LABELS[target]}”"
        )
    app.status = target
    app.updated_at = now_utc()


def bank_application(
    session: Session, access: GrantAccess, principal: Principal, application_id: int
) -> FinancingApplication:
    app = session.get(FinancingApplication, application_id)
    if app is None or app.enterprise_id != access.enterprise.id or app.bank_org_id != principal.org_id:
        raise NotFound()
    return app


def start_review(session: Session, principal: Principal, app: FinancingApplication) -> FinancingApplication:
    _move(app, "under_review", "bank")
    _event(session, app, principal, None, "银行受理审核")
    return app


def decide(
    session: Session, principal: Principal, app: FinancingApplication, data: schemas.DecisionIn
) -> FinancingApplication:
    if data.approve:
        amount = data.amount_approved or app.amount_requested
        errors = []
        if amount > app.amount_requested:
            errors.append(FieldError("amount_approved", "above_request", "批准金额不得超过申请金额"))
        if data.annual_rate is None:
            errors.append(FieldError("annual_rate", "required", "批准时须填写年利率"))
        if errors:
            raise ValidationFailed(errors)
        _move(app, "approved", "bank")
        app.amount_approved, app.annual_rate = amount, data.annual_rate
    else:
        if not data.note.strip():
            raise ValidationFailed([FieldError("note", "required", "拒绝时须说明理由")])
        _move(app, "declined", "bank")
        _release_locks(session, app)
    app.decision_note = data.note.strip() or None
    app.decided_at = now_utc()
    _event(session, app, principal, app.amount_approved if data.approve else None, data.note)
    session.flush()
    return app


def disburse(
    session: Session, principal: Principal, app: FinancingApplication, amount: Decimal
) -> FinancingApplication:
    if app.amount_approved is not None and amount > app.amount_approved:
        raise ValidationFailed(
            [FieldError("amount", "above_approved", f"放款金额不得超过批准金额{app.amount_approved:f}")]
        )
    _move(app, "disbursed", "bank")
    app.amount_disbursed, app.disbursed_at = amount, now_utc()
    _event(session, app, principal, amount, "银行放款")
    session.flush()
    return app


def record_repayment(
    session: Session, principal: Principal, app: FinancingApplication, data: schemas.RepaymentIn
) -> FinancingApplication:
    if app.status != "disbursed":
        raise InvalidState("只有已放款的融资可以登记还款")
    remaining = rules.outstanding(app.amount_disbursed, app.amount_repaid)
    if data.amount > remaining:
        raise ValidationFailed(
            [FieldError("amount", "above_outstanding", f"还款金额超过未还余额{remaining:f}")]
        )
    session.add(
        Repayment(
            application_id=app.id,
            paid_on=data.paid_on,
            amount=data.amount,
            recorded_by_org_id=principal.org_id,
        )
    )
    app.amount_repaid += data.amount
    _event(session, app, principal, data.amount, f"还款（{data.paid_on.isoformat()}）")
    if app.amount_repaid >= app.amount_disbursed:
        _move(app, "closed", "bank")
        app.closed_at = now_utc()
        _release_locks(session, app)
        _event(session, app, principal, None, "贷款结清，解除质押")
    session.flush()
    return app


def withdraw_application(session: Session, principal: Principal, application_id: int) -> FinancingApplication:
    app = own_application(session, principal, application_id)
    _move(app, "withdrawn", "enterprise")
    _release_locks(session, app)
    _event(session, app, principal, None, "企业撤回申请")
    session.flush()
    return app


def own_application(session: Session, principal: Principal, application_id: int) -> FinancingApplication:
    app = session.get(FinancingApplication, application_id)
    if app is None or app.enterprise_id != principal.enterprise_id:
        raise NotFound()
    return app


def application_events(session: Session, application_id: int) -> list[FinancingEvent]:
    return list(
        session.scalars(
            select(FinancingEvent)
            .where(FinancingEvent.application_id == application_id)
            .order_by(FinancingEvent.id)
        )
    )


def application_detail(session: Session, app: FinancingApplication) -> schemas.ApplicationDetail:
    return schemas.ApplicationDetail(
        application=schemas.ApplicationPublic.model_validate(app),
        events=[
            schemas.ApplicationEventPublic.model_validate(e) for e in application_events(session, app.id)
        ],
    )


def list_own_applications(session: Session, principal: Principal) -> list[FinancingApplication]:
    _own_enterprise(session, principal)
    return list(
        session.scalars(
            select(FinancingApplication)
            .where(FinancingApplication.enterprise_id == principal.enterprise_id)
            .order_by(FinancingApplication.id.desc())
        )
    )


def bank_inbox(session: Session, principal: Principal) -> list[schemas.InboxItem]:
    """Applications addressed to this bank from enterprises whose active grant covers the product's
    review slices. Anything else stays invisible (without a grant a bank sees nothing)."""
    principal.require(kinds.BANK)
    now = now_utc()
    grants: dict[int, set[str]] = defaultdict(set)
    for g in session.scalars(
        select(DataGrant).where(
            DataGrant.grantee_org_id == principal.org_id,
            DataGrant.revoked_at.is_(None),
            DataGrant.valid_from <= now,
            DataGrant.valid_until > now,
        )
    ):
        grants[g.enterprise_id].update(g.slices)
    if not grants:
        return []
    rows = session.execute(
        select(FinancingApplication, Enterprise)
        .join(Enterprise, Enterprise.id == FinancingApplication.enterprise_id)
        .where(
            FinancingApplication.bank_org_id == principal.org_id,
            FinancingApplication.enterprise_id.in_(grants),
        )
        .order_by(FinancingApplication.id.desc())
    ).all()
    out = []
    for app, ent in rows:
        if not set(rules.REVIEW_SLICES[app.product]) <= grants[ent.id]:
            continue
        record_read(
            session,
            principal,
            resource="finance.application",
            resource_id=app.id,
            subject_org_id=ent.org_id,
            action="list",
            zone_code=ent.zone_code,
        )
        out.append(
            schemas.InboxItem(
                id=app.id,
                enterprise_id=ent.id,
                enterprise_name=ent.name,
                product=app.product,
                amount_requested=app.amount_requested,
                status=app.status,
                created_at=app.created_at,
            )
        )
    return out


# --- export credit insurance ------------------------------------------------------------------


def issue_policy(
    session: Session, principal: Principal, access: GrantAccess, data: schemas.PolicyCreate
) -> InsurancePolicy:
    principal.require(kinds.INSURER)
    errors = []
    if data.ends_on <= data.starts_on:
        errors.append(FieldError("ends_on", "not_after_start", "保单终止日须晚于起始日"))
    if session.scalar(select(InsurancePolicy.id).where(InsurancePolicy.policy_no == data.policy_no)):
        raise Duplicate(f"保单号“{data.policy_no}”已存在")
    if data.declaration_ids:
        found = {
            d.id: d
            for d in session.scalars(select(Declaration).where(Declaration.id.in_(data.declaration_ids)))
        }
        for i, did in enumerate(data.declaration_ids):
            d = found.get(did)
            if d is None or d.ebc_enterprise_id != access.enterprise.id or d.direction != "export":
                errors.append(
                    FieldError(f"declaration_ids[{i}]", "not_own_export", f"出口申报单{did}不属于被保险企业")
                )
    if errors:
        raise ValidationFailed(errors)
    policy = InsurancePolicy(
        zone_code=access.enterprise.zone_code,
        insurer_org_id=principal.org_id,
        enterprise_id=access.enterprise.id,
        **data.model_dump(),
    )
    session.add(policy)
    session.flush()
    return policy


def insurer_policy(
    session: Session, principal: Principal, access: GrantAccess, policy_id: int
) -> InsurancePolicy:
    policy = session.get(InsurancePolicy, policy_id)
    if (
        policy is None
        or policy.insurer_org_id != principal.org_id
        or policy.enterprise_id != access.enterprise.id
    ):
        raise NotFound()
    return policy


def claims_of(session: Session, policy_id: int) -> list[InsuranceClaim]:
    return list(
        session.scalars(
            select(InsuranceClaim).where(InsuranceClaim.policy_id == policy_id).order_by(InsuranceClaim.id)
        )
    )


def own_policies(session: Session, principal: Principal) -> list[InsurancePolicy]:
    if principal.enterprise_id is not None:
        q = select(InsurancePolicy).where(InsurancePolicy.enterprise_id == principal.enterprise_id)
    elif principal.org_kind == kinds.INSURER:
        q = select(InsurancePolicy).where(InsurancePolicy.insurer_org_id == principal.org_id)
    else:
        raise Forbidden()
    return list(session.scalars(q.order_by(InsurancePolicy.id.desc())))


def file_claim(
    session: Session, principal: Principal, policy_id: int, data: schemas.ClaimCreate
) -> InsuranceClaim:
    policy = session.get(InsurancePolicy, policy_id)
    if policy is None or policy.enterprise_id != principal.enterprise_id:
        raise NotFound()
    errors = []
    if data.declaration_id is not None and data.declaration_id not in policy.declaration_ids:
        errors.append(FieldError("declaration_id", "not_covered", "该出货不在保单承保范围内"))
    paid_or_open = session.scalar(
        select(func.coalesce(func.sum(InsuranceClaim.amount_claimed), 0)).where(
            InsuranceClaim.policy_id == policy.id, InsuranceClaim.status != "rejected"
        )
    )
    if Decimal(paid_or_open or 0) + data.amount_claimed > policy.insured_value:
        errors.append(
            FieldError(
                "amount_claimed", "above_insured_value", f"累计索赔金额超过保险金额{policy.insured_value:f}"
            )
        )
    if errors:
        raise ValidationFailed(errors)
    claim = InsuranceClaim(policy_id=policy.id, **data.model_dump())
    session.add(claim)
    session.flush()
    return claim


def decide_claim(
    session: Session,
    principal: Principal,
    policy: InsurancePolicy,
    claim_id: int,
    data: schemas.ClaimDecision,
) -> InsuranceClaim:
    claim = session.get(InsuranceClaim, claim_id)
    if claim is None or claim.policy_id != policy.id:
        raise NotFound()
    if claim.status != "filed":
        raise InvalidState("该索赔已处理")
    if data.pay:
        amount = data.amount_paid or claim.amount_claimed
        if amount > claim.amount_claimed:
            raise ValidationFailed([FieldError("amount_paid", "above_claim", "赔付金额不得超过索赔金额")])
        claim.status, claim.amount_paid = "paid", amount
    else:
        if not data.note.strip():
            raise ValidationFailed([FieldError("note", "required", "拒赔须说明理由")])
        claim.status = "rejected"
    claim.note = data.note.strip() or claim.note
    claim.decided_at = now_utc()
    session.flush()
    return claim


# --- payments and FX --------------------------------------------------------------------------


def record_settlements(
    session: Session, principal: Principal, records: list[schemas.SettlementIn]
) -> schemas.SettlementResult:
    """A payment firm (registry role payment) reports settlements; a reference already reported is skipped."""
    if principal.enterprise_id is None or "payment" not in principal.roles:
        raise Forbidden("只有备案为支付企业的机构可以报送结算记录")
    errors = []
    ents: dict[str, Enterprise] = {}
    for i, r in enumerate(records):
        ent = session.scalar(select(Enterprise).where(Enterprise.customs_code == r.enterprise_customs_code))
        if ent is None or ent.zone_code != principal.zone_code:
            errors.append(
                FieldError(
                    f"records[{i}].enterprise_customs_code",
                    "unknown_enterprise",
                    "企业海关编码未在本综试区备案",
                )
            )
        else:
            ents[r.enterprise_customs_code] = ent
        if r.kind.startswith("rmb") and r.currency != "CNY":
            errors.append(FieldError(f"records[{i}].currency", "rmb_not_cny", "跨境人民币结算的币种应为CNY"))
        if r.currency == "CNY" and r.amount != r.amount_cny:
            errors.append(
                FieldError(f"records[{i}].amount_cny", "cny_mismatch", "人民币结算的折人民币金额应等于金额")
            )
    if errors:
        raise ValidationFailed(errors)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    accepted = 0
    for r in records:
        ent = ents[r.enterprise_customs_code]
        values = r.model_dump(exclude={"enterprise_customs_code"})
        stored = session.execute(
            insert(SettlementRecord)
            .values(
                zone_code=ent.zone_code,
                enterprise_id=ent.id,
                payment_org_id=principal.org_id,
                created_at=now_utc(),
                **values,
            )
            .on_conflict_do_nothing()
            .returning(SettlementRecord.id)
        ).first()
        accepted += stored is not None
    return schemas.SettlementResult(accepted=accepted, duplicates=len(records) - accepted)


def list_settlements(session: Session, enterprise_id: int) -> list[SettlementRecord]:
    return list(
        session.scalars(
            select(SettlementRecord)
            .where(SettlementRecord.enterprise_id == enterprise_id)
            .order_by(SettlementRecord.settled_on.desc(), SettlementRecord.id.desc())
        )
    )


def netting_of(session: Session, enterprise_id: int) -> list[NettingEntry]:
    """Overseas costs netted against export proceeds (轧差, recorded by the export issue), newest first."""
    return list(
        session.scalars(
            select(NettingEntry)
            .where(NettingEntry.seller_enterprise_id == enterprise_id)
            .order_by(NettingEntry.period.desc(), NettingEntry.id.desc())
        )
    )


def fx_overview(session: Session, enterprise_id: int) -> export_fx.SellerFxTotals:
    """Shipped, collected and outstanding export proceeds with the netted costs (gross restored)."""
    return export_fx.seller_fx_totals(session, enterprise_id)


def settlements_for(session: Session, principal: Principal) -> list[SettlementRecord]:
    """An enterprise sees its own records; a payment firm those it reported."""
    if principal.enterprise_id is None:
        raise Forbidden()
    if "payment" in principal.roles:
        return list(
            session.scalars(
                select(SettlementRecord)
                .where(
                    (SettlementRecord.payment_org_id == principal.org_id)
                    | (SettlementRecord.enterprise_id == principal.enterprise_id)
                )
                .order_by(SettlementRecord.settled_on.desc())
            )
        )
    return list_settlements(session, principal.enterprise_id)


# --- figures ----------------------------------------------------------------------------------


def figures(session: Session, zone_code: str) -> schemas.FinanceFigures:
    """Financing granted by product and bank, insured value and the RMB share of settlements."""
    granted = ("approved", "disbursed", "closed")
    by_product = session.execute(
        select(FinancingApplication.product, func.count(), func.sum(FinancingApplication.amount_approved))
        .where(FinancingApplication.zone_code == zone_code, FinancingApplication.status.in_(granted))
        .group_by(FinancingApplication.product)
    ).all()
    by_bank = session.execute(
        select(Organisation.name, func.count(), func.sum(FinancingApplication.amount_approved))
        .join(Organisation, Organisation.id == FinancingApplication.bank_org_id)
        .where(FinancingApplication.zone_code == zone_code, FinancingApplication.status.in_(granted))
        .group_by(Organisation.name)
    ).all()
    by_status = session.execute(
        select(FinancingApplication.status, func.count(), func.sum(FinancingApplication.amount_requested))
        .where(FinancingApplication.zone_code == zone_code)
        .group_by(FinancingApplication.status)
    ).all()
    disbursed, repaid = session.execute(
        select(
            func.coalesce(func.sum(FinancingApplication.amount_disbursed), 0),
            func.coalesce(func.sum(FinancingApplication.amount_repaid), 0),
        ).where(FinancingApplication.zone_code == zone_code, FinancingApplication.status == "disbursed")
    ).one()
    today = now_utc().date()
    insured, active = session.execute(
        select(func.coalesce(func.sum(InsurancePolicy.insured_value), 0), func.count()).where(
            InsurancePolicy.zone_code == zone_code,
            InsurancePolicy.status == "active",
            InsurancePolicy.ends_on >= today,
        )
    ).one()
    claims_paid = session.scalar(
        select(func.coalesce(func.sum(InsuranceClaim.amount_paid), 0))
        .join(InsurancePolicy, InsurancePolicy.id == InsuranceClaim.policy_id)
        .where(InsurancePolicy.zone_code == zone_code, InsuranceClaim.status == "paid")
    )
    total_cny = Decimal(
        session.scalar(
            select(func.coalesce(func.sum(SettlementRecord.amount_cny), 0)).where(
                SettlementRecord.zone_code == zone_code
            )
        )
        or 0
    )
    rmb_cny = Decimal(
        session.scalar(
            select(func.coalesce(func.sum(SettlementRecord.amount_cny), 0)).where(
                SettlementRecord.zone_code == zone_code, SettlementRecord.kind.in_(rules.RMB_KINDS)
            )
        )
        or 0
    )
    return schemas.FinanceFigures(
        zone_code=zone_code,
        granted_by_product=[
            schemas.AmountByKey(key=p, label=rules.PRODUCT_LABELS[p], count=n, amount=Decimal(a or 0))
            for p, n, a in sorted(by_product)
        ],
        granted_by_bank=[
            schemas.AmountByKey(key=name, label=name, count=n, amount=Decimal(a or 0))
            for name, n, a in sorted(by_bank)
        ],
        applications_by_status=[
            schemas.AmountByKey(key=s, label=rules.STATUS_LABELS[s], count=n, amount=Decimal(a or 0))
            for s, n, a in sorted(by_status, key=lambda r: list(rules.STATUS_LABELS).index(r[0]))
        ],
        outstanding=Decimal(disbursed) - Decimal(repaid),
        insured_value=Decimal(insured),
        policies_active=active,
        claims_paid=Decimal(claims_paid or 0),
        settlement_total_cny=total_cny,
        rmb_total_cny=rmb_cny,
        rmb_share=rules.share(rmb_cny, total_cny),
    )
