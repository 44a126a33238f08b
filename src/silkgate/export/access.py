"""Who sees which seller's export records: the seller itself; the zone office and the agencies of the
seller's zone (agency reads audited); nobody else (banks and insurers go through consent in finance)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, Forbidden, NotFound, ValidationFailed
from silkgate.models.export import ExportList
from silkgate.models.registry import Enterprise, EnterpriseRole

ZONE_READERS = (kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)


def require_reader(principal: Principal) -> None:
    if not principal.is_enterprise and principal.org_kind not in ZONE_READERS:
        raise Forbidden("出口申报数据仅向企业本身、综试办和监管部门开放")


def own_enterprise(session: Session, principal: Principal) -> Enterprise:
    """The enterprise of an enterprise user (for writes the seller makes itself)."""
    if not principal.is_enterprise or principal.enterprise_id is None:
        raise Forbidden("此操作由电商企业本身办理")
    ent = session.get(Enterprise, principal.enterprise_id)
    if ent is None:
        raise NotFound()
    return ent


def seller_for(
    session: Session, principal: Principal, seller_id: int | None, *, resource: str, path: str | None = None
) -> Enterprise:
    """The seller whose records are asked for, or NotFound when the principal may not see it."""
    require_reader(principal)
    if principal.is_enterprise:
        if seller_id not in (None, principal.enterprise_id):
            raise NotFound()
        return own_enterprise(session, principal)
    if seller_id is None:
        raise ValidationFailed([FieldError("seller_id", "required", "请选择电商企业")])
    ent = session.get(Enterprise, seller_id)
    if ent is None or not principal.sees_zone(ent.zone_code):
        raise NotFound()
    record_read(
        session,
        principal,
        resource=resource,
        resource_id=ent.id,
        subject_org_id=ent.org_id,
        request_path=path,
        zone_code=ent.zone_code,
    )
    return ent


def zone_sellers(session: Session, principal: Principal) -> list[Enterprise]:
    """Sellers a zone reader may pick from (those of its zone with export lists, or filed as sellers)."""
    if principal.is_enterprise or principal.zone_code is None:
        return []
    with_lists = select(ExportList.seller_enterprise_id).where(ExportList.zone_code == principal.zone_code)
    sellers = select(EnterpriseRole.enterprise_id).where(EnterpriseRole.role == "seller")
    q = select(Enterprise).where(
        Enterprise.zone_code == principal.zone_code,
        Enterprise.id.in_(with_lists) | Enterprise.id.in_(sellers),
    )
    return list(session.scalars(q.order_by(Enterprise.name)))


def list_visible(session: Session, principal: Principal, list_id: int, path: str | None = None) -> ExportList:
    require_reader(principal)
    lst = session.get(ExportList, list_id)
    if lst is None:
        raise NotFound()
    if principal.is_enterprise:
        if principal.enterprise_id not in (
            lst.seller_enterprise_id,
            lst.platform_enterprise_id,
            lst.logistics_enterprise_id,
            lst.agent_enterprise_id,
        ):
            raise NotFound()
        return lst
    if not principal.sees_zone(lst.zone_code):
        raise NotFound()
    seller = session.get(Enterprise, lst.seller_enterprise_id) if lst.seller_enterprise_id else None
    record_read(
        session,
        principal,
        resource="export_list",
        resource_id=lst.id,
        subject_org_id=seller.org_id if seller else None,
        request_path=path,
        zone_code=lst.zone_code,
    )
    return lst
