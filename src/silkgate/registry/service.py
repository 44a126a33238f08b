"""Enterprise and commodity filing (一次备案、多主体共享、全流程使用) and the tariff table.

Every write validates the whole input first (rules.py plus the checks that need the database:
duplicates, zone districts) and raises ValidationFailed / Duplicate naming every offending field
before anything is added, so nothing is half-written. Services never commit.

Who sees what: an enterprise only its own filing and goods; an agency the filings of its zone,
each through the fields of its remit (auth.kinds.AGENCY_FILING_FIELDS), every read audited;
the zone office all of its zone. Anything else looks like a missing record (NotFound).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.exceptions import Duplicate, FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.models.org import Organisation
from silkgate.models.registry import (
    ENTERPRISE_ROLES,
    Commodity,
    Enterprise,
    EnterpriseChange,
    EnterpriseRole,
    TariffLine,
)
from silkgate.models.zone import Zone
from silkgate.registry import rules
from silkgate.registry.schemas import CommodityCreate, CommodityUpdate, EnterpriseCreate, EnterpriseUpdate

# Roles that file goods: sellers and platforms (CEB ebc/ebp), and foreign-trade service firms
# declaring for small sellers.
COMMODITY_FILER_ROLES = frozenset({"seller", "platform", "trade_service"})
# Readers of the shared registry besides the enterprise itself.
REGISTRY_READER_KINDS = (kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
# The filing fields copied 1:1 from the schema to the Enterprise row.
ENTERPRISE_FIELDS = (
    "customs_code",
    "name",
    "name_en",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_email",
    "registered_address",
    "district",
    "settlement_bank",
    "settlement_account",
)
COMMODITY_FIELDS = (
    "name",
    "hs_code",
    "declared_elements",
    "brand",
    "model",
    "origin_country",
    "unit",
    "unit2",
    "unit_price",
    "currency",
    "barcode",
)


def _as_dict(data: BaseModel | Mapping[str, Any], *, exclude_unset: bool = False) -> dict[str, Any]:
    if isinstance(data, BaseModel):
        return data.model_dump(exclude_unset=exclude_unset)
    return dict(data)


def _actor_ids(actor: Principal | None) -> dict[str, int | None]:
    return {
        "actor_org_id": actor.org_id if actor else None,
        "actor_user_id": actor.user_id if actor else None,
    }


# ---------------------------------------------------------------- lookups


def enterprise_by_customs_code(session: Session, code: str) -> Enterprise | None:
    return session.scalar(select(Enterprise).where(Enterprise.customs_code == code))


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))


def roles_of(session: Session, enterprise_id: int) -> set[str]:
    return set(
        session.scalars(select(EnterpriseRole.role).where(EnterpriseRole.enterprise_id == enterprise_id))
    )


def roles_by_enterprise(session: Session, enterprise_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(enterprise_ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(EnterpriseRole.enterprise_id, EnterpriseRole.role).where(EnterpriseRole.enterprise_id.in_(ids))
    ).tuples()
    for ent_id, role in rows:
        out[ent_id].append(role)
    for roles in out.values():
        roles.sort(key=_role_order)
    return out


def _role_order(role: str) -> int:
    return ENTERPRISE_ROLES.index(role) if role in ENTERPRISE_ROLES else len(ENTERPRISE_ROLES)


def enterprise_names(session: Session, enterprise_ids: Iterable[int]) -> dict[int, str]:
    ids = list(enterprise_ids)
    if not ids:
        return {}
    return dict(
        session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).tuples().all()
    )


def commodity_by_item_no(session: Session, enterprise_id: int, item_no: str) -> Commodity | None:
    return session.scalar(
        select(Commodity).where(Commodity.enterprise_id == enterprise_id, Commodity.item_no == item_no)
    )


def tariff_for(session: Session, zone_code: str | None, hs_code: str) -> TariffLine | None:
    """The tariff line for an HS code: the zone's own lines first, then the national table;
    within each, the 10-digit line before its 8-digit line."""
    candidates = [hs_code] if len(hs_code) <= 8 else [hs_code, hs_code[:8]]
    rows = list(
        session.scalars(
            select(TariffLine).where(
                TariffLine.hs_code.in_(candidates),
                or_(TariffLine.zone_code.is_(None), TariffLine.zone_code == zone_code)
                if zone_code
                else TariffLine.zone_code.is_(None),
            )
        )
    )

    def rank(line: TariffLine) -> tuple[int, int]:
        return (0 if line.zone_code is not None else 1, 0 if len(line.hs_code) == 10 else 1)

    return min(rows, key=rank) if rows else None


# ---------------------------------------------------------------- enterprise filing


def _enterprise_duplicates(
    session: Session,
    data: dict[str, Any],
    *,
    exclude_enterprise_id: int | None = None,
    own_org_id: int | None = None,
) -> list[FieldError]:
    """The USCC or customs code already filed by another enterprise. (The district is free text:
    the seeds list only some zones' counties, so the zone's list is a suggestion, not a rule.)"""
    duplicates: list[FieldError] = []
    uscc = data.get("uscc")
    if uscc:
        taken = session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
        org_taken = session.scalar(
            select(Organisation.id).where(Organisation.uscc == uscc, Organisation.id != (own_org_id or -1))
        )
        if taken is not None and taken == exclude_enterprise_id:
            org_taken = None
        if (taken is not None and taken != exclude_enterprise_id) or org_taken is not None:
            duplicates.append(FieldError("uscc", "duplicate", f"统一社会信用代码{uscc}已备案，不能重复备案"))
    code = data.get("customs_code")
    if code:
        taken = session.scalar(select(Enterprise.id).where(Enterprise.customs_code == code))
        if taken is not None and taken != exclude_enterprise_id:
            duplicates.append(FieldError("customs_code", "duplicate", f"海关注册编码{code}已被其他企业备案"))
    return duplicates


def _zone_key(spelling: str) -> str:
    """One form for every way a zone is written: NFKC (full-width brackets and digits), no spaces,
    lower case."""
    return "".join(unicodedata.normalize("NFKC", spelling).split()).lower()


def resolve_zone(session: Session, spelling: object, *, field: str = "zone") -> Zone:
    """The zone a person names, however they spell it: its GB/T 2260 code (`140800`), its short code
    (`YC`, `sd-zz`), its city (`运城` or `运城市`) or its full name (`中国(运城)跨境电子商务综合试验区`,
    full-width brackets too). `silkgate load` and every CLI option that takes a zone go through here."""
    key = _zone_key(str(spelling if spelling is not None else ""))
    if not key:
        raise ValidationFailed([FieldError(field, "required", "未指定综试区")])
    zone = session.get(Zone, key)
    if zone is not None:
        return zone
    for candidate in session.scalars(select(Zone).order_by(Zone.code)):
        spellings = {
            _zone_key(candidate.short),
            _zone_key(candidate.name),
            _zone_key(candidate.city),
            _zone_key(candidate.city).removesuffix("市"),
        }
        if key in spellings or key.removesuffix("市") in spellings:
            return candidate
    raise ValidationFailed(
        [
            FieldError(
                field,
                "unknown_zone",
                f"综试区“{spelling}”不存在（可写行政区划代码如140800、简称如YC、城市名或综试区全称）",
            )
        ]
    )


def _zone(session: Session, zone_code: str) -> Zone:
    zone = session.get(Zone, zone_code)
    if zone is None:
        raise ValidationFailed([FieldError("zone", "unknown_zone", f"综试区代码“{zone_code}”不存在")])
    return zone


def _raise_if_any(errors: list[FieldError], duplicates: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors + duplicates)
    if duplicates:
        raise Duplicate(message="记录已存在：" + "；".join(d.message for d in duplicates), errors=duplicates)


def validate_enterprise(
    session: Session,
    data: EnterpriseCreate | Mapping[str, Any],
    *,
    zone_code: str,
    org: Organisation | None = None,
) -> dict[str, Any]:
    """Every rule an enterprise filing must meet; returns the cleaned values or raises."""
    values = _as_dict(data)
    _zone(session, zone_code)
    errors = rules.enterprise_problems(values)
    if org is not None and org.uscc and values.get("uscc") and values["uscc"] != org.uscc:
        errors.append(FieldError("uscc", "uscc_mismatch", f"统一社会信用代码与本机构登记的{org.uscc}不一致"))
    duplicates = _enterprise_duplicates(session, values, own_org_id=org.id if org is not None else None)
    _raise_if_any(errors, duplicates)
    return values


def file_enterprise(
    session: Session,
    data: EnterpriseCreate | Mapping[str, Any],
    *,
    zone_code: str,
    actor: Principal | None = None,
    approved: bool = False,
    action: str = "filed",
    org: Organisation | None = None,
) -> Enterprise:
    """File an enterprise once: its organisation, filing and roles. Pending unless `approved`.

    `org`: an enterprise organisation that already exists (created by `silkgate admin create-org`)
    and files its own record; otherwise the organisation is created with the filing."""
    if org is not None:
        if org.kind != kinds.ENTERPRISE:
            raise Forbidden("只有企业可以提交企业备案")
        if session.scalar(select(Enterprise.id).where(Enterprise.org_id == org.id)) is not None:
            raise Duplicate(
                message="本企业已提交过备案，请修改已有备案",
                errors=[FieldError("org", "duplicate", "本企业已提交过备案，请修改已有备案")],
            )
    values = validate_enterprise(session, data, zone_code=zone_code, org=org)
    try:
        # A savepoint: a filing racing this one past validation loses here, as a 409, not a 500.
        with session.begin_nested():
            if org is None:
                org = Organisation(
                    kind=kinds.ENTERPRISE, name=values["name"], uscc=values["uscc"], zone_code=zone_code
                )
                session.add(org)
            else:
                org.name, org.uscc = values["name"], values["uscc"]
            session.flush()
            enterprise = Enterprise(
                org_id=org.id,
                zone_code=zone_code,
                uscc=values["uscc"],
                shops=[_as_dict(s) for s in values.get("shops") or []],
                status="pending",
                **{f: values.get(f) for f in ENTERPRISE_FIELDS},
            )
            session.add(enterprise)
            session.flush()
    except IntegrityError as exc:
        raise Duplicate(
            message="统一社会信用代码或海关注册编码刚被另一份备案使用",
            errors=[
                FieldError("uscc", "duplicate", "统一社会信用代码或海关注册编码刚被另一份备案使用，请核对")
            ],
        ) from exc
    for role in values["roles"]:
        session.add(EnterpriseRole(enterprise_id=enterprise.id, role=role))
    session.add(
        EnterpriseChange(
            enterprise_id=enterprise.id,
            action=action,
            changes={"roles": [None, list(values["roles"])]},
            **_actor_ids(actor),
        )
    )
    if approved:
        record_decision(session, enterprise, actor, "approved", None)
    session.flush()
    return enterprise


def record_decision(
    session: Session, enterprise: Enterprise, actor: Principal | None, status: str, reason: str | None
) -> None:
    """Set a filing's decision and write it to the history (no state check: callers check)."""
    enterprise.status = status
    enterprise.status_reason = reason
    enterprise.decided_at = now_utc()
    enterprise.decided_by_user_id = actor.user_id if actor else None
    session.add(
        EnterpriseChange(
            enterprise_id=enterprise.id,
            action=status,
            changes={"status": ["pending", status]},
            note=reason,
            **_actor_ids(actor),
        )
    )


def _enterprise_for_zone_office(session: Session, enterprise_id: int, actor: Principal) -> Enterprise:
    actor.require_zone_office()
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not actor.sees_zone(enterprise.zone_code):
        raise NotFound()
    return enterprise


def approve_enterprise(session: Session, enterprise_id: int, actor: Principal) -> Enterprise:
    """The zone office approves a pending filing."""
    enterprise = _enterprise_for_zone_office(session, enterprise_id, actor)
    if enterprise.status != "pending":
        raise InvalidState(message=f"只有待审核的备案可以通过，当前状态：{STATUS_LABELS[enterprise.status]}")
    record_decision(session, enterprise, actor, "approved", None)
    session.flush()
    return enterprise


def reject_enterprise(session: Session, enterprise_id: int, actor: Principal, reason: str) -> Enterprise:
    """The zone office rejects a pending filing, with the reason the enterprise will read."""
    enterprise = _enterprise_for_zone_office(session, enterprise_id, actor)
    if not reason or not reason.strip():
        raise ValidationFailed([FieldError("reason", "required", "驳回时必须填写原因")])
    if enterprise.status != "pending":
        raise InvalidState(message=f"只有待审核的备案可以驳回，当前状态：{STATUS_LABELS[enterprise.status]}")
    record_decision(session, enterprise, actor, "rejected", reason.strip())
    session.flush()
    return enterprise


STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def update_enterprise(
    session: Session,
    enterprise: Enterprise,
    data: EnterpriseUpdate | Mapping[str, Any],
    actor: Principal | None,
) -> Enterprise:
    """Change a filing: validated like a new one; who changed what and when goes to the history.
    A rejected filing the enterprise corrects goes back to the approval queue."""
    values = _as_dict(data, exclude_unset=True)
    values = {k: v for k, v in values.items() if not (v is None and k in ("customs_code", "name", "roles"))}
    errors = rules.enterprise_problems(values, partial=True)
    duplicates = _enterprise_duplicates(session, values, exclude_enterprise_id=enterprise.id)
    _raise_if_any(errors, duplicates)
    changes: dict[str, list[Any]] = {}
    for field in ENTERPRISE_FIELDS:
        if field in values and values[field] != getattr(enterprise, field):
            changes[field] = [getattr(enterprise, field), values[field]]
            setattr(enterprise, field, values[field])
    if "shops" in values:
        shops = [_as_dict(s) for s in values["shops"] or []]
        if shops != list(enterprise.shops or []):
            changes["shops"] = [list(enterprise.shops or []), shops]
            enterprise.shops = shops
    if "roles" in values:
        current = roles_of(session, enterprise.id)
        wanted = set(values["roles"])
        if wanted != current:
            changes["roles"] = [sorted(current, key=_role_order), sorted(wanted, key=_role_order)]
            for row in session.scalars(
                select(EnterpriseRole).where(
                    EnterpriseRole.enterprise_id == enterprise.id, EnterpriseRole.role.in_(current - wanted)
                )
            ):
                session.delete(row)
            for role in wanted - current:
                session.add(EnterpriseRole(enterprise_id=enterprise.id, role=role))
    if not changes:
        return enterprise
    if "name" in changes:
        org = session.get(Organisation, enterprise.org_id)
        if org is not None:
            org.name = values["name"]
    note = None
    if enterprise.status == "rejected" and actor is not None and actor.is_enterprise:
        changes["status"] = ["rejected", "pending"]
        enterprise.status = "pending"
        enterprise.status_reason = None
        note = "企业修改后重新提交审核"
    enterprise.version += 1
    enterprise.updated_at = now_utc()
    session.add(
        EnterpriseChange(
            enterprise_id=enterprise.id,
            action="updated",
            changes={k: [_jsonable(v[0]), _jsonable(v[1])] for k, v in changes.items()},
            note=note,
            **_actor_ids(actor),
        )
    )
    session.flush()
    return enterprise


def history(session: Session, enterprise_id: int) -> list[EnterpriseChange]:
    return list(
        session.scalars(
            select(EnterpriseChange)
            .where(EnterpriseChange.enterprise_id == enterprise_id)
            .order_by(EnterpriseChange.at, EnterpriseChange.id)
        )
    )


# ---------------------------------------------------------------- reading the registry


@dataclass(frozen=True)
class EnterpriseFilter:
    q: str | None = None  # name, USCC or customs code
    role: str | None = None
    status: str | None = None
    district: str | None = None


def _readable_enterprises(principal: Principal) -> Select[Enterprise]:
    query = select(Enterprise)
    if principal.is_enterprise:
        return query.where(Enterprise.id == (principal.enterprise_id or -1))
    if principal.org_kind in REGISTRY_READER_KINDS:
        return query.where(Enterprise.zone_code == (principal.zone_code or ""))
    raise Forbidden("您的机构无权查阅企业备案库")


def _filtered(query: Select[Enterprise], flt: EnterpriseFilter) -> Select[Enterprise]:
    if flt.q:
        term = flt.q.strip()
        query = query.where(
            or_(
                Enterprise.name.contains(term, autoescape=True),
                Enterprise.uscc == term.upper(),
                Enterprise.customs_code == term.upper(),
            )
        )
    if flt.role:
        query = query.where(
            Enterprise.id.in_(select(EnterpriseRole.enterprise_id).where(EnterpriseRole.role == flt.role))
        )
    if flt.status:
        query = query.where(Enterprise.status == flt.status)
    if flt.district:
        query = query.where(Enterprise.district == flt.district)
    return query


def list_enterprises(
    session: Session,
    principal: Principal,
    flt: EnterpriseFilter | None = None,
    *,
    limit: int | None = 50,
    offset: int = 0,
    request_path: str | None = None,
    action: str = "list",
) -> tuple[list[Enterprise], int]:
    """The filings the principal may see, newest first; an agency's list is audited."""
    query = _filtered(_readable_enterprises(principal), flt or EnterpriseFilter())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Enterprise.created_at.desc(), Enterprise.id.desc()).offset(max(offset, 0))
    if limit is not None:
        page = page.limit(limit)
    rows = list(session.scalars(page))
    if principal.is_audited:
        record_read(
            session,
            principal,
            resource="enterprise",
            action=action,
            detail={
                "filter": {k: v for k, v in vars(flt or EnterpriseFilter()).items() if v},
                "ids": [e.id for e in rows][:200],
                "total": total,
            },
            request_path=request_path,
        )
    return rows, total


def get_enterprise(
    session: Session, principal: Principal, enterprise_id: int, *, request_path: str | None = None
) -> Enterprise:
    """One filing, or NotFound when it does not exist or is not the principal's to see."""
    enterprise = session.scalar(_readable_enterprises(principal).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise NotFound()
    record_read(
        session,
        principal,
        resource="enterprise",
        resource_id=enterprise.id,
        subject_org_id=enterprise.org_id,
        request_path=request_path,
        zone_code=enterprise.zone_code,
    )
    return enterprise


def visible_fields(principal: Principal) -> tuple[str, ...] | None:
    """The filing fields the principal may read; None = every field."""
    if principal.is_agency:
        return kinds.AGENCY_FILING_FIELDS[principal.org_kind]
    return None


def enterprise_view(enterprise: Enterprise, roles: Sequence[str], principal: Principal) -> dict[str, Any]:
    """The filing as this principal may see it (an agency: only its remit's fields)."""
    full: dict[str, Any] = {
        "id": enterprise.id,
        "uscc": enterprise.uscc,
        "customs_code": enterprise.customs_code,
        "name": enterprise.name,
        "name_en": enterprise.name_en,
        "roles": list(roles),
        "status": enterprise.status,
        "status_reason": enterprise.status_reason,
        "zone_code": enterprise.zone_code,
        "registered_address": enterprise.registered_address,
        "district": enterprise.district,
        "legal_representative": enterprise.legal_representative,
        "contact_name": enterprise.contact_name,
        "contact_phone": enterprise.contact_phone,
        "contact_email": enterprise.contact_email,
        "settlement_bank": enterprise.settlement_bank,
        "settlement_account": enterprise.settlement_account,
        "shops": list(enterprise.shops or []),
        "created_at": enterprise.created_at,
        "updated_at": enterprise.updated_at,
        "decided_at": enterprise.decided_at,
        "version": enterprise.version,
    }
    allowed = visible_fields(principal)
    if allowed is None:
        return full
    return {k: v for k, v in full.items() if k in allowed}


def enterprise_for_edit(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
    """The filing the principal may change: the enterprise's own, or any in the zone office's zone."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound()
    if principal.is_enterprise and principal.enterprise_id == enterprise.id:
        return enterprise
    if principal.is_zone_office and principal.sees_zone(enterprise.zone_code):
        return enterprise
    if principal.is_agency and principal.sees_zone(enterprise.zone_code):
        raise Forbidden("监管部门只能查阅备案，不能修改")
    raise NotFound()


# ---------------------------------------------------------------- commodity filing


def _commodity_rates(session: Session, zone_code: str, values: dict[str, Any]) -> dict[str, Any]:
    """Rates given in the filing win; otherwise the zone's tariff table; otherwise the general
    13% VAT (财政部 税务总局 海关总署公告2019年第39号), no consumption tax and not on the positive list."""
    line = tariff_for(session, zone_code, values["hs_code"])

    def pick(field: str, default: Decimal) -> Decimal:
        given = values.get(field)
        if given is not None:
            return Decimal(str(given))
        return getattr(line, field) if line is not None else default

    return {
        "vat_rate": pick("vat_rate", Decimal("0.13")),
        "consumption_tax_rate": pick("consumption_tax_rate", Decimal("0")),
        "tariff_rate": pick("tariff_rate", Decimal("0")),
        "positive_list": bool(line.positive_list) if line is not None else False,
    }


def validate_commodity(
    session: Session, owner: Enterprise, data: CommodityCreate | Mapping[str, Any]
) -> dict[str, Any]:
    values = _as_dict(data)
    errors = rules.commodity_problems(values)
    if owner.status != "approved":
        errors.append(
            FieldError("owner", "owner_not_approved", f"企业“{owner.name}”的备案尚未通过审核，暂不能备案商品")
        )
    roles = roles_of(session, owner.id)
    if not roles & COMMODITY_FILER_ROLES:
        errors.append(
            FieldError("owner", "owner_role", "只有电商企业、电商平台或外贸综合服务企业可以备案商品")
        )
    duplicates = []
    if values.get("item_no") and commodity_by_item_no(session, owner.id, values["item_no"]) is not None:
        duplicates.append(FieldError("item_no", "duplicate", f"商品货号{values['item_no']}已备案"))
    _raise_if_any(errors, duplicates)
    return values


def file_commodity(
    session: Session,
    owner: Enterprise,
    data: CommodityCreate | Mapping[str, Any],
    *,
    actor: Principal | None = None,
) -> Commodity:
    """File a good of an approved seller or platform, with its retail-import rates."""
    values = validate_commodity(session, owner, data)
    commodity = Commodity(
        enterprise_id=owner.id,
        zone_code=owner.zone_code,
        item_no=values["item_no"],
        **{f: values.get(f) for f in COMMODITY_FIELDS},
        **_commodity_rates(session, owner.zone_code, values),
    )
    if commodity.currency is None:
        commodity.currency = "142"
    commodity.unit_price = Decimal(str(values["unit_price"]))
    session.add(commodity)
    session.flush()
    return commodity


def update_commodity(
    session: Session, commodity: Commodity, data: CommodityUpdate | Mapping[str, Any]
) -> Commodity:
    """Change a filed good; a new HS code takes the rates and positive-list status of its line."""
    values = {k: v for k, v in _as_dict(data, exclude_unset=True).items() if v is not None}
    errors = rules.commodity_problems(values, partial=True)
    _raise_if_any(errors, [])
    for field in COMMODITY_FIELDS:
        if field in values:
            setattr(commodity, field, values[field])
    if "hs_code" in values:
        rates = _commodity_rates(session, commodity.zone_code, {"hs_code": values["hs_code"]})
        for field, value in rates.items():
            setattr(commodity, field, value)
    commodity.updated_at = now_utc()
    session.flush()
    return commodity


def _readable_commodities(principal: Principal) -> Select[Commodity]:
    query = select(Commodity)
    if principal.is_enterprise:
        return query.where(Commodity.enterprise_id == (principal.enterprise_id or -1))
    if principal.org_kind in REGISTRY_READER_KINDS:
        return query.where(Commodity.zone_code == (principal.zone_code or ""))
    raise Forbidden("您的机构无权查阅商品备案库")


def list_commodities(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    hs_code: str | None = None,
    enterprise_id: int | None = None,
    positive_list: bool | None = None,
    limit: int | None = 50,
    offset: int = 0,
    request_path: str | None = None,
    action: str = "list",
) -> tuple[list[Commodity], int]:
    query = _readable_commodities(principal)
    if q:
        query = query.where(
            or_(Commodity.name.contains(q.strip(), autoescape=True), Commodity.item_no == q.strip())
        )
    if hs_code:
        query = query.where(Commodity.hs_code.startswith(hs_code.strip(), autoescape=True))
    if enterprise_id is not None:
        query = query.where(Commodity.enterprise_id == enterprise_id)
    if positive_list is not None:
        query = query.where(Commodity.positive_list.is_(positive_list))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Commodity.id.desc()).offset(max(offset, 0))
    if limit is not None:
        page = page.limit(max(limit, 1))
    rows = list(session.scalars(page))
    if principal.is_audited:
        record_read(
            session,
            principal,
            resource="commodity",
            action=action,
            detail={"ids": [c.id for c in rows][:200], "total": total},
            request_path=request_path,
        )
    return rows, total


def get_commodity(
    session: Session, principal: Principal, commodity_id: int, *, request_path: str | None = None
) -> Commodity:
    commodity = session.scalar(_readable_commodities(principal).where(Commodity.id == commodity_id))
    if commodity is None:
        raise NotFound()
    owner = session.get(Enterprise, commodity.enterprise_id)
    record_read(
        session,
        principal,
        resource="commodity",
        resource_id=commodity.id,
        subject_org_id=owner.org_id if owner else None,
        request_path=request_path,
        zone_code=commodity.zone_code,
    )
    return commodity


def commodity_for_edit(session: Session, principal: Principal, commodity_id: int) -> Commodity:
    commodity = session.get(Commodity, commodity_id)
    if commodity is None:
        raise NotFound()
    if principal.is_enterprise and principal.enterprise_id == commodity.enterprise_id:
        return commodity
    if principal.is_zone_office and principal.sees_zone(commodity.zone_code):
        return commodity
    if principal.is_agency and principal.sees_zone(commodity.zone_code):
        raise Forbidden("监管部门只能查阅商品备案，不能修改")
    raise NotFound()


def commodity_owner_for(session: Session, principal: Principal, enterprise_id: int | None) -> Enterprise:
    """Whose goods a filing request files: the enterprise's own, or (zone office) a named one."""
    if principal.is_enterprise:
        owner = session.get(Enterprise, principal.enterprise_id or -1)
        if owner is None or (enterprise_id is not None and enterprise_id != owner.id):
            raise NotFound()
        return owner
    if principal.is_zone_office:
        if enterprise_id is None:
            raise ValidationFailed(
                [FieldError("enterprise_id", "required", "综试办代企业备案商品时须指定企业（enterprise_id）")]
            )
        owner = session.get(Enterprise, enterprise_id)
        if owner is None or not principal.sees_zone(owner.zone_code):
            raise NotFound()
        return owner
    raise Forbidden("只有企业本身或综试办可以备案商品")


# ---------------------------------------------------------------- tariff table


@dataclass(frozen=True)
class TariffRow:
    hs_code: str
    name: str
    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal
    positive_list: bool
    source: str = ""


def parse_tariff_rows(rows: Sequence[Mapping[str, Any]], *, first_row_number: int = 2) -> list[TariffRow]:
    """Validate every row of a tariff table (8 or 10-digit HS codes, rates as fractions); raise
    ValidationFailed naming each bad row and field (`rows[N].field`, N = line in the file)."""
    errors: list[FieldError] = []
    parsed: list[TariffRow] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        number = index + first_row_number
        row, row_errors = _coerce_tariff_row(raw)
        row_errors.extend(rules.tariff_row_problems(row))
        code = row.get("hs_code")
        if code and code in seen:
            row_errors.append(FieldError("hs_code", "duplicate", f"海关商品编码{code}与第{seen[code]}行重复"))
        elif code:
            seen[code] = number
        for e in row_errors:
            errors.append(FieldError(f"rows[{number}].{e.field}", e.code, f"第{number}行：{e.message}"))
        if not row_errors:
            parsed.append(
                TariffRow(
                    hs_code=row["hs_code"],
                    name=row["name"],
                    vat_rate=row["vat_rate"],
                    consumption_tax_rate=row["consumption_tax_rate"],
                    tariff_rate=row["tariff_rate"],
                    positive_list=row["positive_list"],
                    source=str(row.get("source") or ""),
                )
            )
    if not rows:
        errors.append(FieldError("rows", "empty", "税则表没有任何数据行"))
    if errors:
        raise ValidationFailed(errors, message="税则表未通过校验，未导入任何数据")
    return parsed


_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def _coerce_tariff_row(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    row: dict[str, Any] = {}
    for key in ("hs_code", "name", "source"):
        value = raw.get(key)
        row[key] = None if value is None else str(value).strip()
    if row["hs_code"]:
        row["hs_code"] = row["hs_code"].replace(".", "").replace(" ", "")
    for key in ("vat_rate", "consumption_tax_rate", "tariff_rate"):
        value = raw.get(key)
        text = "" if value is None else str(value).strip()
        if text == "":
            row[key] = None
            continue
        try:
            row[key] = Decimal(text)
            if not row[key].is_finite():
                raise ArithmeticError
        except ArithmeticError:
            row[key] = None
            errors.append(FieldError(key, "decimal_parsing", f"“{text}”不是数字（税率用小数，如0.13）"))
            continue
    flag = raw.get("positive_list")
    text = "" if flag is None else str(flag).strip().lower()
    if isinstance(flag, bool):
        row["positive_list"] = flag
    elif text in _TRUE:
        row["positive_list"] = True
    elif text in _FALSE and text != "":
        row["positive_list"] = False
    elif text == "":
        row["positive_list"] = None
    else:
        row["positive_list"] = False
        errors.append(FieldError("positive_list", "bool_parsing", f"“{flag}”应为1（在清单内）或0"))
    return row, errors


def load_tariff(
    session: Session, zone_code: str | None, rows: Sequence[TariffRow], *, source: str
) -> tuple[int, int]:
    """Insert or replace tariff lines for a zone (None = the national table); returns (added, updated)."""
    existing = {
        line.hs_code: line
        for line in session.scalars(
            select(TariffLine).where(
                TariffLine.zone_code.is_(None) if zone_code is None else TariffLine.zone_code == zone_code
            )
        )
    }
    added = updated = 0
    for row in rows:
        values = {
            "name": row.name,
            "vat_rate": row.vat_rate,
            "consumption_tax_rate": row.consumption_tax_rate,
            "tariff_rate": row.tariff_rate,
            "positive_list": row.positive_list,
            "source": (row.source or source)[:200],
        }
        line = existing.get(row.hs_code)
        if line is None:
            session.add(TariffLine(zone_code=zone_code, hs_code=row.hs_code, **values))
            added += 1
            continue
        if any(getattr(line, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(line, k, v)
            line.updated_at = now_utc()
            updated += 1
    session.flush()
    return added, updated


def remove_tariff_lines_except(session: Session, zone_code: str | None, keep: set[str]) -> int:
    """Drop a table's lines that are not in `keep` (a zone replacing its own table)."""
    lines = session.scalars(
        select(TariffLine).where(
            TariffLine.zone_code.is_(None) if zone_code is None else TariffLine.zone_code == zone_code
        )
    )
    removed = 0
    for line in lines:
        if line.hs_code not in keep:
            session.delete(line)
            removed += 1
    session.flush()
    return removed


def list_tariff(
    session: Session, zone_code: str | None, *, q: str | None = None, limit: int = 200, offset: int = 0
) -> tuple[list[TariffLine], int]:
    """The tariff lines in force for a zone: its own lines and the national lines it does not override."""
    own = select(TariffLine.hs_code).where(TariffLine.zone_code == zone_code) if zone_code else None
    query = select(TariffLine).where(
        or_(TariffLine.zone_code == zone_code, TariffLine.zone_code.is_(None))
        if zone_code
        else TariffLine.zone_code.is_(None)
    )
    if own is not None:
        query = query.where(or_(TariffLine.zone_code.is_not(None), TariffLine.hs_code.not_in(own)))
    if q:
        term = q.strip()
        query = query.where(
            or_(
                TariffLine.hs_code.startswith(term, autoescape=True),
                TariffLine.name.contains(term, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(TariffLine.hs_code).limit(limit).offset(max(offset, 0))))
    return rows, total
