"""JSON routes of the tax domain: the retail import tax quote for a proposed order."""

from __future__ import annotations

from fastapi import APIRouter, Request

from silkgate.auth.deps import OptionalPrincipal, SessionDep
from silkgate.tax import service
from silkgate.tax.schemas import TaxQuotePublic, TaxQuoteRequest

router = APIRouter(prefix="/api/v1/tax", tags=["tax"])


@router.post(
    "/import-quote",
    response_model=TaxQuotePublic,
    summary="Retail import tax of a proposed order (tariff, VAT, consumption tax; decision under the limits)",
)
def import_quote(
    body: TaxQuoteRequest, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> TaxQuotePublic:
    """Public calculator: rates the order omits come from the caller's zone tariff table (the
    national table without a login). Nothing is stored."""
    zone = principal.zone_code if principal is not None else request.app.state.settings.default_zone
    return TaxQuotePublic.of(service.quote(session, body, zone_code=zone))
