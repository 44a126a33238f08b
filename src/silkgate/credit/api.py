"""Credit API: records, agency reports, negative list, tiered-supervision policy, appeals, credit
repair; and the public standing (no login)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.credit import rules, service
from silkgate.credit.schemas import (
    AppealCreate,
    AppealDecision,
    AppealPublic,
    DelistRequest,
    FactorPublic,
    ItemCreate,
    ItemPublic,
    NegativeListCreate,
    NegativeListEntryPublic,
    PolicyPublic,
    PolicyUpdate,
    PublicListingOut,
    PublicStandingOut,
    RecordPublic,
    RecordRowPublic,
    RepairCreate,
    RepairDecision,
    RepairPublic,
    SupervisionPublic,
)
from silkgate.exceptions import Forbidden
from silkgate.models.credit import CreditItem, CreditRepairApplication, NegativeListEntry, RatingAppeal
from silkgate.params import DbId

router = APIRouter(prefix="/api/v1", tags=["credit"])


def _item(i: CreditItem) -> ItemPublic:
    return ItemPublic.model_validate(i, from_attributes=True)


def _supervision(s: service.Supervision) -> SupervisionPublic:
    return SupervisionPublic(
        tier=s.tier,
        inspection_share=s.inspection_share,
        hold_all=s.hold_all,
        fast_track=s.fast_track,
        manual_review=s.manual_review,
        reasons=s.reasons,
    )


@router.get("/credit/records", response_model=list[RecordRowPublic], summary="Credit records of the zone")
def list_records(
    session: SessionDep, principal: CurrentPrincipal, tier: str | None = None, q: str | None = None
) -> list[RecordRowPublic]:
    rows = service.zone_records(session, principal, tier=tier, query=q)
    return [
        RecordRowPublic(
            enterprise_id=r.enterprise_id,
            name=r.name,
            uscc=r.uscc,
            tier=r.tier,
            score=r.score,
            customs_level=r.customs_level,
            on_negative_list=r.on_negative_list,
        )
        for r in rows
    ]


@router.get("/credit/records/{enterprise_id}", response_model=RecordPublic, summary="One credit record")
def get_record(
    request: Request, session: SessionDep, principal: CurrentPrincipal, enterprise_id: DbId
) -> RecordPublic:
    view = service.credit_view(session, principal, enterprise_id, request_path=request.url.path)
    rec = view.record
    return RecordPublic(
        enterprise_id=view.enterprise.id,
        name=view.enterprise.name,
        uscc=view.enterprise.uscc,
        tier=rec.tier,
        score=rec.score,
        customs_level=rec.customs_level,
        tax_grade=rec.tax_grade,
        forex_class=rec.forex_class,
        on_negative_list=rec.on_negative_list,
        declarations_total=rec.declarations_total,
        released_count=rec.released_count,
        rejected_count=rec.rejected_count,
        mismatch_count=rec.mismatch_count,
        withdrawn_count=rec.withdrawn_count,
        returned_count=rec.returned_count,
        factors=[FactorPublic(**f) for f in rec.factors],
        customs_findings=rec.customs_findings,
        supervision=_supervision(view.supervision),
        items=[_item(i) for i in view.items],
    )


@router.post(
    "/credit/records/{enterprise_id}/items",
    response_model=ItemPublic,
    status_code=201,
    summary="An agency reports a credit item of its remit",
)
def report_item(
    session: SessionDep, principal: CurrentPrincipal, enterprise_id: DbId, body: ItemCreate
) -> ItemPublic:
    item = service.report_item(
        session,
        principal,
        enterprise_id,
        service.ItemReport(
            kind=body.kind,
            effective_on=body.effective_on,
            value=body.value,
            amount=body.amount,
            document_no=body.document_no,
            summary=body.summary,
            detail=body.detail,
            revokes_item_id=body.revokes_item_id,
        ),
    )
    return _item(item)


def _entry(e: NegativeListEntry) -> NegativeListEntryPublic:
    return NegativeListEntryPublic.model_validate(e, from_attributes=True)


@router.post("/credit/negative-list", response_model=NegativeListEntryPublic, status_code=201)
def add_to_negative_list(
    session: SessionDep, principal: CurrentPrincipal, body: NegativeListCreate
) -> NegativeListEntryPublic:
    return _entry(
        service.list_on_negative_list(
            session,
            principal,
            body.enterprise_id,
            reason_category=body.reason_category,
            reason=body.reason,
            listed_on=body.listed_on,
            basis_document=body.basis_document,
        )
    )


@router.post("/credit/negative-list/{entry_id}/delist", response_model=NegativeListEntryPublic)
def delist(
    session: SessionDep, principal: CurrentPrincipal, entry_id: DbId, body: DelistRequest
) -> NegativeListEntryPublic:
    return _entry(
        service.delist(session, principal, entry_id, reason=body.reason, delisted_on=body.delisted_on)
    )


@router.get("/credit/policies", response_model=list[PolicyPublic], summary="Tiered supervision of the zone")
def get_policies(session: SessionDep, principal: CurrentPrincipal) -> list[PolicyPublic]:
    if not (principal.is_zone_office or principal.is_agency) or principal.zone_code is None:
        raise Forbidden()
    return [
        PolicyPublic(tier=t, **p.__dict__)
        for t, p in service.policies_of_zone(session, principal.zone_code).items()
    ]


@router.put("/credit/policies/{tier}", response_model=PolicyPublic)
def put_policy(
    session: SessionDep, principal: CurrentPrincipal, tier: str, body: PolicyUpdate
) -> PolicyPublic:
    row = service.set_policy(
        session,
        principal,
        tier,
        inspection_share=body.inspection_share,
        manual_review=body.manual_review,
        hold_all=body.hold_all,
        fast_track=body.fast_track,
    )
    return PolicyPublic(
        tier=row.tier,
        inspection_share=row.inspection_share,
        manual_review=row.manual_review,
        hold_all=row.hold_all,
        fast_track=row.fast_track,
    )


def _appeal(a: RatingAppeal) -> AppealPublic:
    return AppealPublic.model_validate(a, from_attributes=True)


@router.post(
    "/credit/appeals", response_model=AppealPublic, status_code=201, summary="Appeal the zone rating"
)
def file_appeal(session: SessionDep, principal: CurrentPrincipal, body: AppealCreate) -> AppealPublic:
    return _appeal(
        service.file_appeal(session, principal, grounds=body.grounds, factor_code=body.factor_code)
    )


@router.post("/credit/appeals/{appeal_id}/decision", response_model=AppealPublic)
def decide_appeal(
    session: SessionDep, principal: CurrentPrincipal, appeal_id: DbId, body: AppealDecision
) -> AppealPublic:
    return _appeal(
        service.decide_appeal(
            session,
            principal,
            appeal_id,
            upheld=body.upheld,
            outcome=body.outcome,
            revoke_item_id=body.revoke_item_id,
        )
    )


def _repair(a: CreditRepairApplication) -> RepairPublic:
    return RepairPublic.model_validate(a, from_attributes=True)


@router.post(
    "/credit/repairs", response_model=RepairPublic, status_code=201, summary="Apply for credit repair"
)
def apply_for_repair(session: SessionDep, principal: CurrentPrincipal, body: RepairCreate) -> RepairPublic:
    return _repair(
        service.apply_for_repair(
            session,
            principal,
            ground=body.ground,
            corrective_action=body.corrective_action,
            obligations_fulfilled=body.obligations_fulfilled,
        )
    )


@router.post("/credit/repairs/{application_id}/decision", response_model=RepairPublic)
def decide_repair(
    session: SessionDep, principal: CurrentPrincipal, application_id: DbId, body: RepairDecision
) -> RepairPublic:
    return _repair(
        service.decide_repair(
            session, principal, application_id, approved=body.approved, outcome=body.outcome
        )
    )


@router.get(
    "/public/credit", response_model=list[PublicStandingOut], summary="Public credit standing (no login)"
)
def public_credit(
    request: Request, session: SessionDep, q: str | None = None, zone: str | None = None
) -> list[PublicStandingOut]:
    zone_code = service.public_zone(session, zone, request.app.state.settings.default_zone)
    return [
        PublicStandingOut(
            name=s.name,
            uscc=s.uscc,
            customs_level=s.customs_level,
            customs_level_label=rules.CUSTOMS_LEVELS.get(s.customs_level, s.customs_level),
            tier=s.tier,
            tier_label=rules.TIERS[s.tier],
            on_negative_list=s.on_negative_list,
            listed_on=s.listed_on,
            reason_category=s.reason_category,
        )
        for s in service.public_standings(session, zone_code, q)
    ]


@router.get(
    "/public/negative-list", response_model=list[PublicListingOut], summary="Public negative list (no login)"
)
def public_negative_list(
    request: Request, session: SessionDep, zone: str | None = None
) -> list[PublicListingOut]:
    zone_code = service.public_zone(session, zone, request.app.state.settings.default_zone)
    return [
        PublicListingOut(
            name=x.name,
            uscc=x.uscc,
            reason_category=x.reason_category,
            reason_category_label=rules.NEGATIVE_LIST_CATEGORIES.get(x.reason_category, x.reason_category),
            listed_on=x.listed_on,
            delisted_on=x.delisted_on,
        )
        for x in service.public_negative_list(session, zone_code)
    ]
