"""The credit database and its three systems: rating, supervision (what clearance applies to each
enterprise) and the negative list; agency reports, appeals, credit repair and public disclosure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.credit import rules
from silkgate.db import is_read_only, with_column_defaults
from silkgate.declarations.service import defer_write
from silkgate.events import TradeEvent
from silkgate.exceptions import FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc, to_beijing
from silkgate.models.credit import (
    CreditItem,
    CreditRecord,
    CreditRepairApplication,
    NegativeListEntry,
    RatingAppeal,
    RatingSnapshot,
    SupervisionPolicy,
)
from silkgate.models.registry import Enterprise, EnterpriseRole
from silkgate.models.zone import Zone

APPEAL_REVIEW_DAYS = 15


def beijing_today() -> dt.date:
    return to_beijing(now_utc()).date()


# ---------------------------------------------------------------- supervision (called by clearance)


@dataclass(frozen=True)
class Supervision:
    """What clearance applies to an enterprise's next declaration (分类监管 + 联合奖惩)."""

    inspection_share: Decimal
    hold_all: bool
    fast_track: bool
    reasons: list[str] = field(default_factory=list)
    tier: str = "C"
    manual_review: bool = False


_POLICY = select(
    SupervisionPolicy.inspection_share,
    SupervisionPolicy.manual_review,
    SupervisionPolicy.hold_all,
    SupervisionPolicy.fast_track,
).where(SupervisionPolicy.zone_code == bindparam("zone"), SupervisionPolicy.tier == bindparam("tier"))
_SUPERVISED = select(
    CreditRecord.zone_code,
    CreditRecord.tier,
    CreditRecord.score,
    CreditRecord.on_negative_list,
    CreditRecord.customs_level,
).where(CreditRecord.enterprise_id == bindparam("enterprise"))
_ENTERPRISE_ZONE = select(Enterprise.zone_code).where(Enterprise.id == bindparam("enterprise"))


def policy_for(session: Session, zone_code: str, tier: str) -> rules.TierPolicy:
    row = session.connection().execute(_POLICY, {"zone": zone_code, "tier": tier}).first()
    if row is None:
        return rules.DEFAULT_POLICIES[tier]
    return rules.TierPolicy(Decimal(row.inspection_share), row.manual_review, row.hold_all, row.fast_track)


def supervision_for(session: Session, enterprise_id: int | None) -> Supervision:
    """The supervision for an enterprise from its credit tier, the zone's policy for that tier,
    and the joint measures: negative list and 严重失信 hold every declaration for review."""
    # A read on the ingest path: do not force the pipeline's buffered writes out before it.
    with session.no_autoflush:
        return _supervision_for(session, enterprise_id)


def _supervision_for(session: Session, enterprise_id: int | None) -> Supervision:
    record = None
    connection = session.connection()
    if enterprise_id is not None:
        # Core reads: the hot path of every list's decision (no ORM identity-map work)
        record = connection.execute(_SUPERVISED, {"enterprise": enterprise_id}).first()
    if record is None:
        zone = None
        if enterprise_id is not None:
            zone = connection.execute(_ENTERPRISE_ZONE, {"enterprise": enterprise_id}).scalar()
        policy = policy_for(session, zone, "C") if zone else rules.DEFAULT_POLICIES["C"]
        return Supervision(
            inspection_share=policy.inspection_share,
            hold_all=policy.hold_all,
            fast_track=policy.fast_track,
            reasons=["尚无信用记录，按C级（一般）管理"],
            tier="C",
            manual_review=policy.manual_review,
        )
    policy = policy_for(session, record.zone_code, record.tier)
    reasons = [f"综试区信用评级{rules.TIERS[record.tier]}（{record.score}分）"]
    hold_all = policy.hold_all
    fast_track = policy.fast_track
    if record.on_negative_list:
        hold_all, fast_track = True, False
        reasons.append("列入信用负面清单：失信联合惩戒，每票申报人工审核")
    if record.customs_level == "seriously_dishonest":
        hold_all, fast_track = True, False
        reasons.append("海关严重失信企业：失信联合惩戒，每票申报人工审核")
    elif record.customs_level in ("advanced_certified", "certified") and fast_track:
        reasons.append(f"{rules.CUSTOMS_LEVELS[record.customs_level]}：守信联合激励，优先办理")
    if fast_track and not hold_all:
        reasons.append("守信联合激励：降低查验比例、优先办理")
    share = Decimal("1") if hold_all else policy.inspection_share
    return Supervision(
        inspection_share=share,
        hold_all=hold_all,
        fast_track=fast_track and not hold_all,
        reasons=reasons,
        tier=record.tier,
        manual_review=policy.manual_review or hold_all,
    )


def set_policy(
    session: Session,
    principal: Principal,
    tier: str,
    *,
    inspection_share: Decimal,
    manual_review: bool,
    hold_all: bool,
    fast_track: bool,
) -> SupervisionPolicy:
    principal.require_zone_office()
    errors = []
    if tier not in rules.TIERS:
        errors.append(FieldError("tier", "unknown_tier", f"信用等级“{tier}”不存在，可选 A/B/C/D/E"))
    if not (Decimal("0") <= inspection_share <= Decimal("1")):
        errors.append(FieldError("inspection_share", "out_of_range", "查验比例应在0到1之间"))
    if hold_all and fast_track:
        errors.append(
            FieldError("fast_track", "conflicts_with_hold_all", "全部人工审核的等级不能同时优先办理")
        )
    if errors:
        raise ValidationFailed(errors)
    assert principal.zone_code is not None
    row = session.scalar(
        select(SupervisionPolicy).where(
            SupervisionPolicy.zone_code == principal.zone_code, SupervisionPolicy.tier == tier
        )
    )
    if row is None:
        row = SupervisionPolicy(zone_code=principal.zone_code, tier=tier, inspection_share=inspection_share)
        session.add(row)
    row.inspection_share = inspection_share
    row.manual_review = manual_review
    row.hold_all = hold_all
    row.fast_track = fast_track
    row.updated_by_user_id = principal.user_id
    row.updated_at = now_utc()
    session.flush()
    return row


def policies_of_zone(session: Session, zone_code: str) -> dict[str, rules.TierPolicy]:
    return {tier: policy_for(session, zone_code, tier) for tier in rules.TIERS}


# ---------------------------------------------------------------- the record and its facts


def ensure_record(session: Session, enterprise_id: int) -> CreditRecord:
    record = session.scalar(select(CreditRecord).where(CreditRecord.enterprise_id == enterprise_id))
    if record is None:
        zone = session.scalar(select(Enterprise.zone_code).where(Enterprise.id == enterprise_id))
        if zone is None:
            raise NotFound(f"企业{enterprise_id}不存在")
        record = CreditRecord(enterprise_id=enterprise_id, zone_code=zone, factors=[], customs_findings=[])
        if is_read_only(session):
            # a first view in a read: rated for display, stored by the next write
            return with_column_defaults(record)
        session.add(record)
        session.flush()
    return record


def active_items(
    session: Session, enterprise_id: int, kinds_: tuple[str, ...] | None = None
) -> list[CreditItem]:
    """Items not revoked by a later item, oldest first."""
    q = select(CreditItem).where(CreditItem.enterprise_id == enterprise_id)
    if kinds_:
        q = q.where(CreditItem.kind.in_(kinds_))
    items = list(session.scalars(q.order_by(CreditItem.effective_on, CreditItem.id)))
    revoked = {i.revokes_item_id for i in items if i.revokes_item_id}
    return [i for i in items if i.id not in revoked and i.revokes_item_id is None]


def _latest_value(items: list[CreditItem], kind: str) -> CreditItem | None:
    graded = [i for i in items if i.kind == kind]
    return graded[-1] if graded else None


def gather_facts(session: Session, record: CreditRecord, items: list[CreditItem]) -> rules.CreditFacts:
    today = beijing_today()
    year_ago = rules.add_months(today, -12)
    recent = [i for i in items if i.effective_on > year_ago]
    level = _latest_value(items, "customs_level")
    tax = _latest_value(items, "tax_grade")
    forex = _latest_value(items, "forex_class")
    arrears = sum((i.amount or Decimal("0") for i in items if i.kind == "tax_arrears"), Decimal("0"))
    return rules.CreditFacts(
        customs_level=level.value if level else "regular",
        tax_grade=tax.value if tax else None,
        forex_class=forex.value if forex else None,
        declarations_total=record.declarations_total,
        rejected_count=record.rejected_count,
        mismatch_count=record.mismatch_count,
        withdrawn_count=record.withdrawn_count,
        returned_count=record.returned_count,
        released_count=record.released_count,
        late_summaries=sum(1 for i in recent if i.kind == "late_summary"),
        tax_arrears_open=arrears,
        fx_uncollected=sum(1 for i in recent if i.kind == "fx_uncollected"),
        confirmed_risk_cases=sum(1 for i in recent if i.kind == "risk_case_confirmed"),
        complaints_upheld=sum(1 for i in recent if i.kind == "complaint_upheld"),
        ip_infringements=sum(1 for i in recent if i.kind == "ip_infringement"),
        court_judgements=sum(1 for i in recent if i.kind == "court_judgement"),
        admin_penalties=[i.amount or Decimal("0") for i in recent if i.kind == "admin_penalty"],
        on_negative_list=record.on_negative_list,
    )


def _customs_findings(session: Session, record: CreditRecord, items: list[CreditItem]) -> list[rules.Finding]:
    penalties = [
        rules.PenaltyFact(
            decided_on=i.effective_on,
            amount=i.amount or Decimal("0"),
            smuggling=bool(i.detail.get("smuggling")),
            obstruction=bool(i.detail.get("obstruction")),
        )
        for i in items
        if i.kind == "admin_penalty" and i.source == kinds.CUSTOMS
    ]
    arrears = [
        rules.ArrearsFact(kind=i.kind, due_on=i.effective_on, amount=i.amount or Decimal("0"))
        for i in items
        if i.kind in ("tax_arrears", "fines_arrears")
    ]
    is_broker = (
        session.scalar(
            select(EnterpriseRole.id).where(
                EnterpriseRole.enterprise_id == record.enterprise_id, EnterpriseRole.role == "broker"
            )
        )
        is not None
    )
    return rules.dishonest_findings(
        today=beijing_today(),
        customs_penalties=penalties,
        arrears=arrears,
        documents_last_year=record.declarations_total,
        is_broker=is_broker,
    )


def recompute(session: Session, enterprise_id: int, trigger: str) -> CreditRecord:
    """Re-rate an enterprise from its record and items; keep a snapshot when score or tier moved."""
    record = ensure_record(session, enterprise_id)
    if session.is_modified(record):
        session.flush()
    if record in session:
        # the trade counters move by Core UPDATEs (`_count_event`): read them fresh
        session.refresh(record, attribute_names=[*_COUNTERS.values(), *_TOTALS])
    items = active_items(session, enterprise_id)
    facts = gather_facts(session, record, items)
    rating = rules.rate_enterprise(facts)
    record.customs_level = facts.customs_level
    record.tax_grade = facts.tax_grade
    record.forex_class = facts.forex_class
    record.customs_findings = [f.as_dict() for f in _customs_findings(session, record, items)]
    changed = rating.score != record.score or rating.tier != record.tier or not record.factors
    previous = record.tier
    record.score = rating.score
    record.tier = rating.tier
    record.factors = [f.as_dict() for f in rating.factors]
    record.rated_at = now_utc()
    record.updated_at = now_utc()
    if is_read_only(session):
        return record
    if changed:
        session.add(
            RatingSnapshot(
                enterprise_id=enterprise_id,
                zone_code=record.zone_code,
                score=rating.score,
                tier=rating.tier,
                previous_tier=previous,
                factors=record.factors,
                trigger=trigger[:60],
            )
        )
    session.flush()  # clearance reads the tier with Core (`supervision_for`)
    return record


# ---------------------------------------------------------------- platform facts from trade events


_COUNTERS = {
    "released": "released_count",
    "rejected": "rejected_count",
    "held": "held_count",
    "withdrawn": "withdrawn_count",
    "returned": "returned_count",
}


_TOTALS = ("declarations_total", "released_value_cny", "mismatch_count", "updated_at")


# Releases only improve an enterprise's rates, so they re-rate it every RERATE_EVERY lists (and on
# any other fact); a rejection, hold, withdrawal or return re-rates it at once.
RERATE_EVERY = 25


def apply_trade_event(session: Session, event: TradeEvent) -> None:
    """Count the event for every enterprise named in it (one atomic UPDATE each, so concurrent
    declarations never lose a count) and re-rate when the event can lower the rating."""
    counter = _COUNTERS.get(event.kind)
    if counter is None:
        return
    # On the ingest path: leave the pipeline's buffered writes to its own batched flush.
    with session.no_autoflush:
        _count_event(session, event, counter)


_COUNT_STATEMENTS: dict[tuple[str, bool], Any] = {}


def _count_statement(counter: str, mismatch: bool) -> Any:
    """One UPDATE ... RETURNING for every enterprise of an event (built once per counter): a Core
    statement, so the session's identity map is neither consulted nor synchronised per event."""
    key = (counter, mismatch)
    statement = _COUNT_STATEMENTS.get(key)
    if statement is None:
        t = cast(Table, CreditRecord.__table__)
        values: dict[str, Any] = {counter: t.c[counter] + 1, "updated_at": bindparam("now")}
        if counter in ("released_count", "rejected_count"):
            values["declarations_total"] = t.c.declarations_total + 1
        if counter == "released_count":
            values["released_value_cny"] = t.c.released_value_cny + bindparam(
                "value", type_=t.c.released_value_cny.type
            )
        if mismatch:
            values["mismatch_count"] = t.c.mismatch_count + 1
        statement = _COUNT_STATEMENTS[key] = (
            update(t)
            .where(t.c.enterprise_id.in_(bindparam("ids", expanding=True)))
            .values(values)
            .returning(t.c.enterprise_id, t.c.declarations_total)
        )
    return statement


def _count_event(session: Session, event: TradeEvent, counter: str) -> None:
    ids = sorted(set(event.enterprise_ids.values()))
    if not ids:
        return
    statement = _count_statement(counter, event.kind == "rejected" and _is_mismatch(event))
    params = {"ids": ids, "now": now_utc(), "value": event.total_value_cny}
    totals = {row[0]: row[1] for row in session.connection().execute(statement, params)}
    missing = [i for i in ids if i not in totals]
    if missing:  # the first event of these enterprises
        for enterprise_id in missing:
            ensure_record(session, enterprise_id)
        session.flush()
        totals.update(
            (row[0], row[1]) for row in session.connection().execute(statement, {**params, "ids": missing})
        )
    for enterprise_id in ids:
        total = totals.get(enterprise_id)
        if event.kind != "released" or (total or 0) % RERATE_EVERY == 1:
            # at once; in an ingest batch once per enterprise at the batch's commit
            defer_write(session, _rerate, (enterprise_id, f"trade:{event.kind}"))


def _rerate(session: Session, wanted: list[tuple[int, str]]) -> None:
    """Re-rate each enterprise once, for the last trade fact that asked for it."""
    triggers = dict(wanted)
    for enterprise_id, trigger in triggers.items():
        recompute(session, enterprise_id, trigger)


def _is_mismatch(event: TradeEvent) -> bool:
    """A list the import pipeline rejected at the three-document match step (三单比对不符)."""
    return event.extra.get("step") == "match" or bool(event.extra.get("mismatches"))


def record_platform_item(
    session: Session,
    enterprise_id: int,
    kind: str,
    *,
    summary: str,
    effective_on: dt.date | None = None,
    amount: Decimal | None = None,
    detail: dict[str, Any] | None = None,
    document_no: str | None = None,
) -> CreditItem:
    """A fact the platform itself established (a confirmed risk case, an upheld complaint ...)."""
    record = ensure_record(session, enterprise_id)
    item = CreditItem(
        enterprise_id=enterprise_id,
        zone_code=record.zone_code,
        kind=kind,
        value="",
        amount=amount,
        effective_on=effective_on or beijing_today(),
        source="platform",
        summary=summary,
        detail=detail or {},
        document_no=document_no,
    )
    session.add(item)
    session.flush()
    recompute(session, enterprise_id, f"item:{kind}")
    return item


# ---------------------------------------------------------------- agency reports


@dataclass
class ItemReport:
    kind: str
    effective_on: dt.date
    value: str = ""
    amount: Decimal | None = None
    document_no: str | None = None
    summary: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    revokes_item_id: int | None = None


def _enterprise_in_zone(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
    ent = session.get(Enterprise, enterprise_id)
    if ent is None or not principal.sees_zone(ent.zone_code):
        raise NotFound()
    return ent


def report_item(session: Session, principal: Principal, enterprise_id: int, report: ItemReport) -> CreditItem:
    """An agency (or the zone office) reports one fact of its remit; nothing is overwritten."""
    allowed = rules.REPORTABLE_BY.get(principal.org_kind)
    if not allowed:
        raise Forbidden("只有海关、税务、外汇、市场监管、商务部门和综试办可以报送信用信息")
    ent = _enterprise_in_zone(session, principal, enterprise_id)
    errors: list[FieldError] = []
    if report.kind not in allowed:
        label = kinds.KIND_LABELS.get(principal.org_kind, principal.org_kind)
        names = "、".join(rules.ITEM_KINDS[k] for k in allowed)
        errors.append(FieldError("kind", "outside_remit", f"{label}只能报送：{names}"))
    valid_values = rules.ITEM_VALUES.get(report.kind)
    if valid_values is not None and report.value not in valid_values:
        errors.append(FieldError("value", "unknown_value", f"取值应为：{'、'.join(valid_values)}"))
    if report.kind in rules.AMOUNT_KINDS:
        if report.amount is None:
            errors.append(FieldError("amount", "required", "该类信息必须填写金额（元）"))
        elif report.amount < 0:
            errors.append(FieldError("amount", "negative", "金额不能为负数"))
    if report.effective_on > beijing_today():
        errors.append(FieldError("effective_on", "in_future", "生效日期不能晚于今天"))
    if report.kind in ("admin_penalty", "court_judgement") and not (report.document_no or "").strip():
        errors.append(FieldError("document_no", "required", "行政处罚和判决必须填写文书编号"))
    if report.revokes_item_id is not None:
        earlier = session.get(CreditItem, report.revokes_item_id)
        if earlier is None or earlier.enterprise_id != enterprise_id or earlier.source != principal.org_kind:
            errors.append(FieldError("revokes_item_id", "not_found", "要撤销的信息不存在或不是本部门报送的"))
    if len(report.summary) > 2000:
        errors.append(FieldError("summary", "too_long", "说明最多2000个字符"))
    if errors:
        raise ValidationFailed(errors)
    item = CreditItem(
        enterprise_id=ent.id,
        zone_code=ent.zone_code,
        kind=report.kind,
        value=report.value,
        amount=report.amount,
        effective_on=report.effective_on,
        source=principal.org_kind,
        source_org_id=principal.org_id,
        reported_by_user_id=principal.user_id,
        document_no=(report.document_no or "").strip() or None,
        summary=report.summary.strip(),
        detail=report.detail,
        revokes_item_id=report.revokes_item_id,
    )
    session.add(item)
    session.flush()
    recompute(session, ent.id, f"report:{report.kind}")
    return item


# ---------------------------------------------------------------- reading


@dataclass
class CreditView:
    enterprise: Enterprise
    record: CreditRecord
    items: list[CreditItem]
    snapshots: list[RatingSnapshot]
    negative_list: list[NegativeListEntry]
    appeals: list[RatingAppeal]
    repairs: list[CreditRepairApplication]
    supervision: Supervision


def can_read(principal: Principal, ent: Enterprise) -> bool:
    if principal.is_enterprise:
        return principal.enterprise_id == ent.id
    if principal.is_zone_office or principal.is_agency:
        return principal.sees_zone(ent.zone_code)
    return False


def credit_view(
    session: Session, principal: Principal, enterprise_id: int, request_path: str | None = None
) -> CreditView:
    ent = session.get(Enterprise, enterprise_id)
    if ent is None or not can_read(principal, ent):
        raise NotFound()
    record_read(
        session,
        principal,
        resource="credit_record",
        resource_id=ent.id,
        subject_org_id=ent.org_id,
        request_path=request_path,
        zone_code=ent.zone_code,
    )
    record = session.scalar(select(CreditRecord).where(CreditRecord.enterprise_id == ent.id))
    if record is None:
        record = recompute(session, ent.id, "first_view")
    return CreditView(
        enterprise=ent,
        record=record,
        items=list(
            session.scalars(
                select(CreditItem).where(CreditItem.enterprise_id == ent.id).order_by(CreditItem.id.desc())
            )
        ),
        snapshots=list(
            session.scalars(
                select(RatingSnapshot)
                .where(RatingSnapshot.enterprise_id == ent.id)
                .order_by(RatingSnapshot.id.desc())
                .limit(20)
            )
        ),
        negative_list=list(
            session.scalars(
                select(NegativeListEntry)
                .where(NegativeListEntry.enterprise_id == ent.id)
                .order_by(NegativeListEntry.id.desc())
            )
        ),
        appeals=list(
            session.scalars(
                select(RatingAppeal)
                .where(RatingAppeal.enterprise_id == ent.id)
                .order_by(RatingAppeal.id.desc())
            )
        ),
        repairs=list(
            session.scalars(
                select(CreditRepairApplication)
                .where(CreditRepairApplication.enterprise_id == ent.id)
                .order_by(CreditRepairApplication.id.desc())
            )
        ),
        supervision=supervision_for(session, ent.id),
    )


@dataclass(frozen=True)
class RecordRow:
    enterprise_id: int
    name: str
    uscc: str
    tier: str
    score: int
    customs_level: str
    tax_grade: str | None
    forex_class: str | None
    on_negative_list: bool
    declarations_total: int
    findings: int


def zone_records(
    session: Session, principal: Principal, *, tier: str | None = None, query: str | None = None
) -> list[RecordRow]:
    if not (principal.is_zone_office or principal.is_agency):
        raise Forbidden()
    q = (
        select(Enterprise, CreditRecord)
        .join(CreditRecord, CreditRecord.enterprise_id == Enterprise.id, isouter=True)
        .where(Enterprise.zone_code == principal.zone_code, Enterprise.status == "approved")
    )
    if tier:
        q = q.where(CreditRecord.tier == tier)
    if query:
        q = q.where(Enterprise.name.contains(query) | (Enterprise.uscc == query.strip().upper()))
    rows = []
    for ent, rec in session.execute(q.order_by(Enterprise.name)):
        rows.append(
            RecordRow(
                enterprise_id=ent.id,
                name=ent.name,
                uscc=ent.uscc,
                tier=rec.tier if rec else "C",
                score=rec.score if rec else rules.BASE_SCORE,
                customs_level=rec.customs_level if rec else "regular",
                tax_grade=rec.tax_grade if rec else None,
                forex_class=rec.forex_class if rec else None,
                on_negative_list=rec.on_negative_list if rec else False,
                declarations_total=rec.declarations_total if rec else 0,
                findings=len(rec.customs_findings) if rec else 0,
            )
        )
    record_read(session, principal, resource="credit_record", action="list", detail={"count": len(rows)})
    return rows


def zones_with_enterprises(session: Session) -> list[str]:
    return list(session.scalars(select(Enterprise.zone_code).distinct().order_by(Enterprise.zone_code)))


def rerate_zone(session: Session, zone_code: str) -> int:
    """Re-rate every approved enterprise of the zone; return how many changed tier."""
    changed = 0
    for enterprise_id in session.scalars(
        select(Enterprise.id).where(Enterprise.zone_code == zone_code, Enterprise.status == "approved")
    ):
        before = session.scalar(select(CreditRecord.tier).where(CreditRecord.enterprise_id == enterprise_id))
        after = recompute(session, enterprise_id, "scheduled").tier
        changed += int(before is not None and before != after)
    session.flush()
    return changed


def tier_distribution(session: Session, zone_code: str) -> dict[str, int]:
    counts = dict.fromkeys(rules.TIERS, 0)
    for tier, n in session.execute(
        select(CreditRecord.tier, func.count())
        .where(CreditRecord.zone_code == zone_code)
        .group_by(CreditRecord.tier)
    ):
        counts[tier] = n
    return counts


# ---------------------------------------------------------------- negative list (joint sanctions)


def list_on_negative_list(
    session: Session,
    principal: Principal,
    enterprise_id: int,
    *,
    reason_category: str,
    reason: str,
    listed_on: dt.date,
    basis_document: str | None = None,
) -> NegativeListEntry:
    principal.require_zone_office()
    ent = _enterprise_in_zone(session, principal, enterprise_id)
    errors = []
    if reason_category not in rules.NEGATIVE_LIST_CATEGORIES:
        errors.append(FieldError("reason_category", "unknown_category", "列入原因类别不存在"))
    if not reason.strip():
        errors.append(FieldError("reason", "required", "必须写明列入理由"))
    if listed_on > beijing_today():
        errors.append(FieldError("listed_on", "in_future", "列入日期不能晚于今天"))
    if errors:
        raise ValidationFailed(errors)
    if active_listing(session, ent.id) is not None:
        raise InvalidState("该企业已在信用负面清单中")
    entry = NegativeListEntry(
        enterprise_id=ent.id,
        zone_code=ent.zone_code,
        reason_category=reason_category,
        reason=reason.strip(),
        basis_document=(basis_document or "").strip() or None,
        listed_on=listed_on,
        listed_by_user_id=principal.user_id,
    )
    session.add(entry)
    record = ensure_record(session, ent.id)
    record.on_negative_list = True
    session.flush()
    recompute(session, ent.id, "negative_list:listed")
    return entry


def delist(
    session: Session, principal: Principal, entry_id: int, *, reason: str, delisted_on: dt.date
) -> NegativeListEntry:
    principal.require_zone_office()
    entry = session.get(NegativeListEntry, entry_id)
    if entry is None or entry.zone_code != principal.zone_code:
        raise NotFound()
    if entry.delisted_at is not None:
        raise InvalidState("该记录已移出负面清单")
    errors = []
    if not reason.strip():
        errors.append(FieldError("reason", "required", "必须写明移出理由"))
    if delisted_on < entry.listed_on:
        errors.append(FieldError("delisted_on", "before_listing", "移出日期不能早于列入日期"))
    if errors:
        raise ValidationFailed(errors)
    entry.delisted_on = delisted_on
    entry.delisted_at = now_utc()
    entry.delist_reason = reason.strip()
    entry.delisted_by_user_id = principal.user_id
    record = ensure_record(session, entry.enterprise_id)
    record.on_negative_list = False
    session.flush()
    recompute(session, entry.enterprise_id, "negative_list:delisted")
    return entry


def active_listing(session: Session, enterprise_id: int) -> NegativeListEntry | None:
    return session.scalar(
        select(NegativeListEntry).where(
            NegativeListEntry.enterprise_id == enterprise_id, NegativeListEntry.delisted_at.is_(None)
        )
    )


# ---------------------------------------------------------------- appeals against the zone rating


def file_appeal(
    session: Session, principal: Principal, *, grounds: str, factor_code: str | None = None
) -> RatingAppeal:
    if not principal.is_enterprise or principal.enterprise_id is None:
        raise Forbidden("只有企业本身可以对评级提出申诉")
    record = ensure_record(session, principal.enterprise_id)
    errors = []
    if len(grounds.strip()) < 10:
        errors.append(FieldError("grounds", "too_short", "请写明申诉理由（至少10个字）"))
    codes = {f["code"] for f in record.factors}
    if factor_code and factor_code not in codes:
        errors.append(FieldError("factor_code", "unknown_factor", "申诉的评分项不在当前评级中"))
    if errors:
        raise ValidationFailed(errors)
    pending = session.scalar(
        select(RatingAppeal.id).where(
            RatingAppeal.enterprise_id == record.enterprise_id, RatingAppeal.status == "filed"
        )
    )
    if pending:
        raise InvalidState("已有一件申诉正在复核，请等待结果")
    snapshot_id = session.scalar(
        select(RatingSnapshot.id)
        .where(RatingSnapshot.enterprise_id == record.enterprise_id)
        .order_by(RatingSnapshot.id.desc())
        .limit(1)
    )
    appeal = RatingAppeal(
        enterprise_id=record.enterprise_id,
        zone_code=record.zone_code,
        snapshot_id=snapshot_id,
        factor_code=factor_code or None,
        grounds=grounds.strip(),
        due_on=beijing_today() + dt.timedelta(days=APPEAL_REVIEW_DAYS),
    )
    session.add(appeal)
    session.flush()
    return appeal


def decide_appeal(
    session: Session,
    principal: Principal,
    appeal_id: int,
    *,
    upheld: bool,
    outcome: str,
    revoke_item_id: int | None = None,
) -> RatingAppeal:
    """The zone office reviews an appeal; upholding it may revoke the platform item it contested."""
    principal.require_zone_office()
    appeal = session.get(RatingAppeal, appeal_id)
    if appeal is None or appeal.zone_code != principal.zone_code:
        raise NotFound()
    if appeal.status != "filed":
        raise InvalidState("该申诉已复核完毕")
    errors = []
    if not outcome.strip():
        errors.append(FieldError("outcome", "required", "必须写明复核意见"))
    item = None
    if revoke_item_id is not None:
        item = session.get(CreditItem, revoke_item_id)
        if item is None or item.enterprise_id != appeal.enterprise_id or item.source != "platform":
            errors.append(FieldError("revoke_item_id", "not_found", "只能撤销本企业由平台认定的信用信息"))
        elif not upheld:
            errors.append(FieldError("revoke_item_id", "requires_upheld", "申诉不成立时不能撤销信息"))
    if errors:
        raise ValidationFailed(errors)
    appeal.status = "upheld" if upheld else "rejected"
    appeal.outcome = outcome.strip()
    appeal.decided_at = now_utc()
    appeal.decided_by_user_id = principal.user_id
    if item is not None:
        revocation = CreditItem(
            enterprise_id=item.enterprise_id,
            zone_code=item.zone_code,
            kind=item.kind,
            value="revoked",
            effective_on=beijing_today(),
            source="zone_office",
            source_org_id=principal.org_id,
            reported_by_user_id=principal.user_id,
            summary=f"申诉成立，撤销第{item.id}号信息：{outcome.strip()}",
            revokes_item_id=item.id,
        )
        session.add(revocation)
        session.flush()
        appeal.revoked_item_id = item.id
    session.flush()
    recompute(session, appeal.enterprise_id, f"appeal:{appeal.status}")
    return appeal


def open_appeals(session: Session, zone_code: str) -> list[tuple[RatingAppeal, str]]:
    return [
        (a, name)
        for a, name in session.execute(
            select(RatingAppeal, Enterprise.name)
            .join(Enterprise, Enterprise.id == RatingAppeal.enterprise_id)
            .where(RatingAppeal.zone_code == zone_code, RatingAppeal.status == "filed")
            .order_by(RatingAppeal.due_on)
        )
    ]


# ---------------------------------------------------------------- credit repair (信用修复)


def apply_for_repair(
    session: Session,
    principal: Principal,
    *,
    ground: str,
    corrective_action: str,
    obligations_fulfilled: bool,
) -> CreditRepairApplication:
    if not principal.is_enterprise or principal.enterprise_id is None:
        raise Forbidden("只有企业本身可以申请信用修复")
    enterprise_id = principal.enterprise_id
    items = active_items(session, enterprise_id, ("customs_level",))
    level = items[-1] if items else None
    errors = []
    if level is None or level.value not in ("dishonest", "seriously_dishonest"):
        raise InvalidState("只有被认定为失信企业或严重失信企业的企业才能申请信用修复")
    if ground not in rules.DISHONEST_CRITERIA:
        errors.append(FieldError("ground", "unknown_ground", "认定情形不存在"))
    if len(corrective_action.strip()) < 10:
        errors.append(
            FieldError("corrective_action", "too_short", "请说明已纠正失信行为的情况（至少10个字）")
        )
    if not obligations_fulfilled:
        errors.append(
            FieldError("obligations_fulfilled", "required", "须已履行行政处罚、缴清税款或罚没款等相关义务")
        )
    if errors:
        raise ValidationFailed(errors)
    eligible = rules.repair_eligible_from(ground, level.effective_on)
    if beijing_today() < eligible:
        crit = rules.DISHONEST_CRITERIA[ground]
        raise ValidationFailed(
            [
                FieldError(
                    "ground",
                    "waiting_period",
                    f"因{crit.article}情形被认定满{crit.repair_wait_months}个月后方可申请，最早{eligible}",
                )
            ]
        )
    if session.scalar(
        select(CreditRepairApplication.id).where(
            CreditRepairApplication.enterprise_id == enterprise_id, CreditRepairApplication.status == "filed"
        )
    ):
        raise InvalidState("已有一件信用修复申请正在办理")
    record = ensure_record(session, enterprise_id)
    app = CreditRepairApplication(
        enterprise_id=enterprise_id,
        zone_code=record.zone_code,
        level_item_id=level.id,
        ground=ground,
        corrective_action=corrective_action.strip(),
        obligations_fulfilled=True,
        eligible_from=eligible,
        due_on=beijing_today() + dt.timedelta(days=rules.REPAIR_DECISION_DAYS),
    )
    session.add(app)
    session.flush()
    return app


def decide_repair(
    session: Session, principal: Principal, application_id: int, *, approved: bool, outcome: str
) -> CreditRepairApplication:
    """Customs decides; approval records a new customs level (常规企业) — the old one stays in history."""
    principal.require(kinds.CUSTOMS)
    app = session.get(CreditRepairApplication, application_id)
    if app is None or app.zone_code != principal.zone_code:
        raise NotFound()
    if app.status != "filed":
        raise InvalidState("该申请已办结")
    if not outcome.strip():
        raise ValidationFailed([FieldError("outcome", "required", "必须写明决定意见")])
    app.status = "approved" if approved else "rejected"
    app.outcome = outcome.strip()
    app.decided_at = now_utc()
    app.decided_by_org_id = principal.org_id
    if approved:
        session.add(
            CreditItem(
                enterprise_id=app.enterprise_id,
                zone_code=app.zone_code,
                kind="customs_level",
                value="regular",
                effective_on=beijing_today(),
                source=kinds.CUSTOMS,
                source_org_id=principal.org_id,
                reported_by_user_id=principal.user_id,
                summary=f"信用修复通过，调整为常规企业：{outcome.strip()}",
                detail={"repair_application_id": app.id},
            )
        )
        session.flush()
    recompute(session, app.enterprise_id, f"repair:{app.status}")
    return app


def open_repairs(session: Session, zone_code: str) -> list[tuple[CreditRepairApplication, str]]:
    return [
        (a, name)
        for a, name in session.execute(
            select(CreditRepairApplication, Enterprise.name)
            .join(Enterprise, Enterprise.id == CreditRepairApplication.enterprise_id)
            .where(CreditRepairApplication.zone_code == zone_code, CreditRepairApplication.status == "filed")
            .order_by(CreditRepairApplication.due_on)
        )
    ]


# ---------------------------------------------------------------- public disclosure (有序公开)


@dataclass(frozen=True)
class PublicStanding:
    """Exactly what the public may see: nothing else leaves through the public pages."""

    name: str
    uscc: str
    customs_level: str
    tier: str
    on_negative_list: bool
    listed_on: dt.date | None
    reason_category: str | None


@dataclass(frozen=True)
class PublicListing:
    name: str
    uscc: str
    reason_category: str
    listed_on: dt.date
    delisted_on: dt.date | None


def public_zone(session: Session, requested: str | None, default: str | None) -> str:
    """The zone a public page shows: the one asked for, else the deployment's default, else the zone
    with the most approved enterprises (the deployment's working zone)."""
    for code in (requested, default):
        if code and session.get(Zone, code) is not None:
            return code
    if requested:
        raise NotFound(f"综试区“{requested}”不存在")
    busiest = session.scalar(
        select(Enterprise.zone_code)
        .where(Enterprise.status == "approved")
        .group_by(Enterprise.zone_code)
        .order_by(func.count(Enterprise.id).desc(), Enterprise.zone_code)
        .limit(1)
    )
    if busiest:
        return busiest
    first = session.scalar(select(Zone.code).order_by(Zone.code).limit(1))
    if first is None:
        raise NotFound("尚未配置综试区")
    return first


def public_standings(session: Session, zone_code: str, query: str | None = None) -> list[PublicStanding]:
    q = (
        select(Enterprise.id, Enterprise.name, Enterprise.uscc, CreditRecord.customs_level, CreditRecord.tier)
        .join(CreditRecord, CreditRecord.enterprise_id == Enterprise.id, isouter=True)
        .where(Enterprise.zone_code == zone_code, Enterprise.status == "approved")
    )
    if query and query.strip():
        text = query.strip()
        q = q.where(Enterprise.name.contains(text) | (Enterprise.uscc == text.upper()))
    listings = {
        e.enterprise_id: e
        for e in session.scalars(
            select(NegativeListEntry).where(
                NegativeListEntry.zone_code == zone_code, NegativeListEntry.delisted_at.is_(None)
            )
        )
    }
    out = []
    for ent_id, name, uscc, level, tier in session.execute(q.order_by(Enterprise.name).limit(500)):
        listing = listings.get(ent_id)
        out.append(
            PublicStanding(
                name=name,
                uscc=uscc,
                customs_level=level or "regular",
                tier=tier or "C",
                on_negative_list=listing is not None,
                listed_on=listing.listed_on if listing else None,
                reason_category=listing.reason_category if listing else None,
            )
        )
    return out


def public_negative_list(
    session: Session, zone_code: str, include_delisted: bool = True
) -> list[PublicListing]:
    q = (
        select(NegativeListEntry, Enterprise.name, Enterprise.uscc)
        .join(Enterprise, Enterprise.id == NegativeListEntry.enterprise_id)
        .where(NegativeListEntry.zone_code == zone_code)
    )
    if not include_delisted:
        q = q.where(NegativeListEntry.delisted_at.is_(None))
    return [
        PublicListing(
            name=name,
            uscc=uscc,
            reason_category=entry.reason_category,
            listed_on=entry.listed_on,
            delisted_on=entry.delisted_on,
        )
        for entry, name, uscc in session.execute(q.order_by(NegativeListEntry.listed_on.desc()))
    ]
