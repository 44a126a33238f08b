"""JSON routes of the financial services under /api/v1/finance.

Every route under /api/v1/finance/access, /bank/enterprises and /insurer/enterprises is bank- or
insurer-facing and depends on `RequireGrant` (tests/finance/test_grants.py proves it for each).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from silkgate.auth import kinds
from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.exceptions import SilkgateError
from silkgate.finance import schemas, service
from silkgate.finance.access import RequireGrant, granted
from silkgate.params import DbId

router = APIRouter(prefix="/api/v1/finance", tags=["finance"])

Access = service.GrantAccess | SilkgateError


# --- enterprise side --------------------------------------------------------------------------


@router.get("/institutions", summary="Banks and insurers an enterprise may grant access to or apply to")
def institutions(principal: CurrentPrincipal, session: SessionDep) -> list[dict[str, object]]:
    return [{"id": o.id, "kind": o.kind, "name": o.name} for o in service.finance_institutions(session)]


@router.post(
    "/grants", response_model=schemas.GrantPublic, status_code=201, summary="Grant a bank/insurer access"
)
def create_grant(
    data: schemas.GrantCreate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.GrantPublic:
    return service.grant_public(session, service.grant_access(session, principal, data))


@router.get(
    "/grants",
    response_model=list[schemas.GrantPublic],
    summary="Grants given (enterprise) or received (bank)",
)
def list_grants(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.GrantPublic]:
    return [service.grant_public(session, g) for g in service.list_grants(session, principal)]


@router.post("/grants/{grant_id}/revoke", response_model=schemas.GrantPublic, summary="Revoke a grant")
def revoke_grant(grant_id: DbId, principal: CurrentPrincipal, session: SessionDep) -> schemas.GrantPublic:
    return service.grant_public(session, service.revoke_grant(session, principal, grant_id))


@router.post(
    "/applications", response_model=schemas.ApplicationPublic, status_code=201, summary="Apply for financing"
)
def apply(
    data: schemas.ApplicationCreate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ApplicationPublic:
    return schemas.ApplicationPublic.model_validate(service.apply_for_financing(session, principal, data))


@router.get(
    "/applications", response_model=list[schemas.ApplicationPublic], summary="The enterprise's applications"
)
def my_applications(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.ApplicationPublic]:
    return [
        schemas.ApplicationPublic.model_validate(a) for a in service.list_own_applications(session, principal)
    ]


@router.get("/applications/{application_id}", response_model=schemas.ApplicationDetail)
def my_application(
    application_id: DbId, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ApplicationDetail:
    return service.application_detail(session, service.own_application(session, principal, application_id))


@router.post("/applications/{application_id}/withdraw", response_model=schemas.ApplicationPublic)
def withdraw(
    application_id: DbId, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ApplicationPublic:
    return schemas.ApplicationPublic.model_validate(
        service.withdraw_application(session, principal, application_id)
    )


@router.get(
    "/policies",
    response_model=list[schemas.PolicyPublic],
    summary="Policies held (enterprise) or issued (insurer)",
)
def policies(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.PolicyPublic]:
    return [schemas.PolicyPublic.model_validate(p) for p in service.own_policies(session, principal)]


@router.post("/policies/{policy_id}/claims", response_model=schemas.ClaimPublic, status_code=201)
def file_claim(
    policy_id: DbId, data: schemas.ClaimCreate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ClaimPublic:
    return schemas.ClaimPublic.model_validate(service.file_claim(session, principal, policy_id, data))


@router.post(
    "/settlements", response_model=schemas.SettlementResult, summary="Payment firm reports settlements"
)
def post_settlements(
    batch: schemas.SettlementBatch, principal: CurrentPrincipal, session: SessionDep
) -> schemas.SettlementResult:
    return service.record_settlements(session, principal, batch.records)


@router.get("/settlements", response_model=list[schemas.SettlementPublic])
def settlements(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.SettlementPublic]:
    return [schemas.SettlementPublic.model_validate(r) for r in service.settlements_for(session, principal)]


@router.get(
    "/figures", response_model=schemas.FinanceFigures, summary="Zone finance figures (zone office, agencies)"
)
def figures(principal: CurrentPrincipal, session: SessionDep) -> schemas.FinanceFigures:
    principal.require(kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    assert principal.zone_code is not None
    return service.figures(session, principal.zone_code)


# --- bank and insurer side: every route depends on RequireGrant --------------------------------


@router.get("/bank/applications", response_model=list[schemas.InboxItem], summary="Bank inbox (granted only)")
def bank_inbox(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.InboxItem]:
    return service.bank_inbox(session, principal)


@router.get("/access/enterprises/{enterprise_id}/filing", response_model=schemas.SliceOut, name="filing")
def read_filing(
    session: SessionDep, access: Annotated[Access, Depends(RequireGrant("filings"))]
) -> schemas.SliceOut:
    return service.read_slice(session, granted(access), "filings")


@router.get(
    "/access/enterprises/{enterprise_id}/declarations", response_model=schemas.SliceOut, name="declarations"
)
def read_declarations(
    session: SessionDep, access: Annotated[Access, Depends(RequireGrant("declarations"))]
) -> schemas.SliceOut:
    return service.read_slice(session, granted(access), "declarations")


@router.get("/access/enterprises/{enterprise_id}/fx", response_model=schemas.SliceOut, name="fx")
def read_fx(session: SessionDep, access: Annotated[Access, Depends(RequireGrant("fx"))]) -> schemas.SliceOut:
    return service.read_slice(session, granted(access), "fx")


@router.get("/access/enterprises/{enterprise_id}/credit", response_model=schemas.SliceOut, name="credit")
def read_credit(
    session: SessionDep, access: Annotated[Access, Depends(RequireGrant("credit"))]
) -> schemas.SliceOut:
    return service.read_slice(session, granted(access), "credit")


BankApp = Annotated[Access, Depends(RequireGrant(for_application=True))]


@router.get(
    "/bank/enterprises/{enterprise_id}/applications/{application_id}",
    response_model=schemas.ApplicationDetail,
    name="application",
)
def bank_application(
    application_id: DbId, principal: CurrentPrincipal, session: SessionDep, access: BankApp
) -> schemas.ApplicationDetail:
    app = service.bank_application(session, granted(access), principal, application_id)
    return service.application_detail(session, app)


@router.post(
    "/bank/enterprises/{enterprise_id}/applications/{application_id}/review",
    response_model=schemas.ApplicationPublic,
    name="application_review",
)
def bank_review(
    application_id: DbId, principal: CurrentPrincipal, session: SessionDep, access: BankApp
) -> schemas.ApplicationPublic:
    app = service.bank_application(session, granted(access), principal, application_id)
    return schemas.ApplicationPublic.model_validate(service.start_review(session, principal, app))


@router.post(
    "/bank/enterprises/{enterprise_id}/applications/{application_id}/decision",
    response_model=schemas.ApplicationPublic,
    name="application_decision",
)
def bank_decide(
    application_id: DbId,
    data: schemas.DecisionIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    access: BankApp,
) -> schemas.ApplicationPublic:
    app = service.bank_application(session, granted(access), principal, application_id)
    return schemas.ApplicationPublic.model_validate(service.decide(session, principal, app, data))


@router.post(
    "/bank/enterprises/{enterprise_id}/applications/{application_id}/disbursement",
    response_model=schemas.ApplicationPublic,
    name="application_disbursement",
)
def bank_disburse(
    application_id: DbId,
    data: schemas.DisbursementIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    access: BankApp,
) -> schemas.ApplicationPublic:
    app = service.bank_application(session, granted(access), principal, application_id)
    return schemas.ApplicationPublic.model_validate(service.disburse(session, principal, app, data.amount))


@router.post(
    "/bank/enterprises/{enterprise_id}/applications/{application_id}/repayments",
    response_model=schemas.ApplicationPublic,
    name="application_repayment",
)
def bank_repayment(
    application_id: DbId,
    data: schemas.RepaymentIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    access: BankApp,
) -> schemas.ApplicationPublic:
    app = service.bank_application(session, granted(access), principal, application_id)
    return schemas.ApplicationPublic.model_validate(service.record_repayment(session, principal, app, data))


InsurerAccess = Annotated[Access, Depends(RequireGrant("filings", "declarations"))]


@router.post(
    "/insurer/enterprises/{enterprise_id}/policies",
    response_model=schemas.PolicyPublic,
    status_code=201,
    name="policy_issue",
)
def issue_policy(
    data: schemas.PolicyCreate, principal: CurrentPrincipal, session: SessionDep, access: InsurerAccess
) -> schemas.PolicyPublic:
    return schemas.PolicyPublic.model_validate(
        service.issue_policy(session, principal, granted(access), data)
    )


@router.get(
    "/insurer/enterprises/{enterprise_id}/policies/{policy_id}/claims",
    response_model=list[schemas.ClaimPublic],
    name="policy_claims",
)
def policy_claims(
    policy_id: DbId, principal: CurrentPrincipal, session: SessionDep, access: InsurerAccess
) -> list[schemas.ClaimPublic]:
    policy = service.insurer_policy(session, principal, granted(access), policy_id)
    return [schemas.ClaimPublic.model_validate(c) for c in service.claims_of(session, policy.id)]


@router.post(
    "/insurer/enterprises/{enterprise_id}/policies/{policy_id}/claims/{claim_id}/decision",
    response_model=schemas.ClaimPublic,
    name="claim_decision",
)
def decide_claim(
    policy_id: DbId,
    claim_id: DbId,
    data: schemas.ClaimDecision,
    principal: CurrentPrincipal,
    session: SessionDep,
    access: InsurerAccess,
) -> schemas.ClaimPublic:
    policy = service.insurer_policy(session, principal, granted(access), policy_id)
    return schemas.ClaimPublic.model_validate(
        service.decide_claim(session, principal, policy, claim_id, data)
    )
