"""Bulk onboarding (`silkgate load FILE`): a zone moving from an older platform loads its registry
in one go. Every row goes through the same services as the API, each in its own savepoint, so a
rejected row leaves no trace and later rows may refer to enterprises filed earlier in the file.

Loading the same file twice changes nothing: a row whose enterprise (by USCC) or commodity (by
owner and item number) already exists is compared and reported `unchanged`, or updated with a
history entry when it differs.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.exceptions import Duplicate, FieldError, SilkgateError, ValidationFailed
from silkgate.models.registry import Commodity, Enterprise
from silkgate.registry import rules, service
from silkgate.registry.schemas import CommodityCreate, EnterpriseCreate, EnterpriseUpdate, field_errors
from silkgate.trust import service as trust

KIND_LABELS = {
    "enterprises": "企业",
    "commodities": "商品",
    "certificates": "签名证书",
    "identities": "身份信息",
    "broker_authorisations": "报关企业授权",
    "b2b_export_filings": "B2B出口企业备案",
    "overseas_warehouses": "海外仓备案",
}


@dataclass
class RowOutcome:
    kind: str  # a key of KIND_LABELS
    row: int  # 1-based position within its kind
    key: str  # USCC, owner/item_no, masked ID
    outcome: str  # added | updated | unchanged | rejected
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class LoadReport:
    zone_code: str
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.outcome == "rejected"]

    def count(self, kind: str, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind and o.outcome == outcome)

    def summary(self) -> str:
        parts = []
        for kind, label in KIND_LABELS.items():
            if any(o.kind == kind for o in self.outcomes):
                parts.append(
                    f"{label}：新增{self.count(kind, 'added')}、更新{self.count(kind, 'updated')}、"
                    f"未变{self.count(kind, 'unchanged')}、拒绝{self.count(kind, 'rejected')}"
                )
        return "；".join(parts) or "文件中没有可导入的数据"


def _model(schema: type[BaseModel], row: Mapping[str, Any]) -> BaseModel:
    """Validate a row's known keys (files may carry more keys, which are ignored)."""
    known = {k: v for k, v in row.items() if k in schema.model_fields}
    try:
        return schema.model_validate(known)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from exc


def _resolve_zone(session: Session, doc: Mapping[str, Any], zone_code: str | None) -> str:
    in_file = doc.get("zone")
    if not str(zone_code or "").strip() and not str(in_file or "").strip():
        raise ValidationFailed(
            [FieldError("zone", "required", "文件未指定综试区（zone），请在文件中写明或用 --zone 指定")]
        )
    given = service.resolve_zone(session, zone_code).code if str(zone_code or "").strip() else None
    filed = service.resolve_zone(session, in_file).code if str(in_file or "").strip() else None
    if given and filed and given != filed:
        raise ValidationFailed(
            [FieldError("zone", "zone_mismatch", f"文件中的综试区{in_file}与 --zone {zone_code} 不一致")]
        )
    code = given or filed
    assert code is not None
    return code


def _rows(doc: Mapping[str, Any], kind: str) -> list[Any]:
    rows = doc.get(kind) or []
    if not isinstance(rows, list):
        raise ValidationFailed([FieldError(kind, "list_type", f"“{kind}”应为列表")])
    return rows


def load_registry(
    session: Session,
    doc: Mapping[str, Any],
    *,
    zone_code: str | None = None,
    actor: Principal | None = None,
) -> LoadReport:
    """Load every row it can and report each; the caller decides whether a report with rejected
    rows is committed (`--partial`) or rolled back (the default: all or nothing)."""
    zone = _resolve_zone(session, doc, zone_code)
    report = LoadReport(zone_code=zone)
    for n, row in enumerate(_rows(doc, "enterprises"), start=1):
        report.outcomes.append(
            _in_savepoint(session, "enterprises", n, row, lambda r: _load_enterprise(session, zone, r, actor))
        )
    for n, row in enumerate(_rows(doc, "commodities"), start=1):
        report.outcomes.append(
            _in_savepoint(session, "commodities", n, row, lambda r: _load_commodity(session, zone, r, actor))
        )
    for n, row in enumerate(_rows(doc, "certificates"), start=1):
        report.outcomes.append(
            _in_savepoint(
                session, "certificates", n, row, lambda r: _load_certificate(session, zone, r, actor)
            )
        )
    identities = _rows(doc, "identities")
    if identities:
        report.outcomes.extend(_load_identities(session, identities))
    # The other filings a migrating zone carries over, after the enterprises they name.
    for kind, load_row in (
        ("broker_authorisations", _load_broker_authorisation),
        ("b2b_export_filings", _load_b2b_filing),
        ("overseas_warehouses", _load_overseas_warehouse),
    ):
        for n, row in enumerate(_rows(doc, kind), start=1):
            report.outcomes.append(
                _in_savepoint(session, kind, n, row, lambda r, f=load_row: f(session, zone, r, actor))  # type: ignore[misc]
            )
    return report


def _row_key(kind: str, row: Any) -> str:
    if not isinstance(row, Mapping):
        return ""
    if kind == "enterprises":
        return str(row.get("uscc") or "")
    if kind == "commodities":
        return f"{row.get('owner_customs_code') or ''}/{row.get('item_no') or ''}"
    if kind == "certificates":
        return str(row.get("customs_code") or row.get("uscc") or "")
    if kind == "broker_authorisations":
        return f"{row.get('enterprise_customs_code') or ''}→{row.get('broker_customs_code') or ''}"
    if kind == "b2b_export_filings":
        return f"{row.get('enterprise_customs_code') or ''}/{row.get('trade_mode') or ''}"
    if kind == "overseas_warehouses":
        return f"{row.get('enterprise_customs_code') or ''}/{row.get('name') or ''}"
    number = str(row.get("id_number") or "")
    return number[:6] + "********" + number[-4:] if len(number) >= 10 else number


def _in_savepoint(session: Session, kind: str, n: int, row: Any, load: Any) -> RowOutcome:
    key = _row_key(kind, row)
    if not isinstance(row, Mapping):
        return RowOutcome(kind, n, key, "rejected", [FieldError("row", "dict_type", "每一行应为对象")])
    savepoint = session.begin_nested()
    try:
        outcome: str = load(row)
    except SilkgateError as exc:
        savepoint.rollback()
        errors = exc.errors or [FieldError("row", exc.code, exc.message)]
        return RowOutcome(kind, n, key, "rejected", list(errors))
    savepoint.commit()
    return RowOutcome(kind, n, key, outcome)


def _load_enterprise(session: Session, zone: str, row: Mapping[str, Any], actor: Principal | None) -> str:
    data = _model(EnterpriseCreate, row)
    assert isinstance(data, EnterpriseCreate)
    approved = bool(row.get("approved", False))
    existing = service.enterprise_by_uscc(session, data.uscc or "") if data.uscc else None
    if existing is None:
        service.file_enterprise(
            session, data, zone_code=zone, actor=actor, approved=approved, action="loaded"
        )
        return "added"
    if existing.zone_code != zone:
        raise ValidationFailed(
            [FieldError("uscc", "other_zone", f"统一社会信用代码{existing.uscc}已在其他综试区备案")]
        )
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if k != "uscc" and k in EnterpriseUpdate.model_fields
    }
    version = existing.version
    service.update_enterprise(session, existing, EnterpriseUpdate.model_validate(changes), actor)
    changed = existing.version != version
    if approved and existing.status == "pending":
        service.record_decision(session, existing, actor, "approved", "批量导入时标记为已通过")
        changed = True
    return "updated" if changed else "unchanged"


def _load_certificate(session: Session, zone: str, row: Mapping[str, Any], actor: Principal | None) -> str:
    """{"customs_code" or "uscc": the enterprise, "pem": its signing certificate}: registered on the
    filing through the same service as the API (trust.service); the same certificate again is unchanged."""
    code = str(row.get("customs_code") or "").strip()
    uscc = str(row.get("uscc") or "").strip()
    enterprise = (
        service.enterprise_by_customs_code(session, code)
        if code
        else service.enterprise_by_uscc(session, uscc)
    )
    if enterprise is None or enterprise.zone_code != zone:
        raise ValidationFailed(
            [
                FieldError(
                    "customs_code",
                    "unknown_enterprise",
                    f"企业{code or uscc or '（未填写）'}未在本综试区备案",
                )
            ]
        )
    pem = row.get("pem")
    if not isinstance(pem, str) or not pem.strip() or len(pem) > 20_000:
        raise ValidationFailed([FieldError("pem", "required", "请填写PEM格式的签名证书（不超过20000字符）")])
    try:
        trust.register_certificate(session, enterprise, pem.encode(), actor=actor, source="load")
    except Duplicate:
        return "unchanged"
    return "added"


def _owner(session: Session, zone: str, row: Mapping[str, Any]) -> Enterprise:
    code = str(row.get("owner_customs_code") or "").strip()
    if not code:
        raise ValidationFailed(
            [FieldError("owner_customs_code", "required", "商品所属企业的海关注册编码为必填项")]
        )
    owner = service.enterprise_by_customs_code(session, code)
    if owner is None or owner.zone_code != zone:
        raise ValidationFailed(
            [FieldError("owner_customs_code", "unknown_owner", f"海关注册编码{code}的企业未在本综试区备案")]
        )
    return owner


_COMPARED = (
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


def _load_commodity(session: Session, zone: str, row: Mapping[str, Any], actor: Principal | None) -> str:
    errors: list[FieldError] = []
    owner: Enterprise | None = None
    try:
        owner = _owner(session, zone, row)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    try:
        data = _model(CommodityCreate, row)
    except ValidationFailed as exc:
        raise ValidationFailed(errors + exc.errors) from exc
    if owner is None:
        errors.extend(rules.commodity_problems(data.model_dump()))
        raise ValidationFailed(errors)
    assert isinstance(data, CommodityCreate)
    existing = service.commodity_by_item_no(session, owner.id, data.item_no or "") if data.item_no else None
    if existing is None:
        service.file_commodity(session, owner, data, actor=actor)
        return "added"
    wanted = data.model_dump(exclude_unset=True)
    if _same_commodity(existing, wanted):
        return "unchanged"
    service.update_commodity(session, existing, {k: v for k, v in wanted.items() if k in _COMPARED})
    return "updated"


def _same_commodity(existing: Commodity, wanted: Mapping[str, Any]) -> bool:
    for key in _COMPARED:
        if key not in wanted:
            continue
        current, new = getattr(existing, key), wanted[key]
        if key == "unit_price":
            if Decimal(str(current)) != Decimal(str(new)):
                return False
        elif current != new:
            return False
    return True


def _load_identities(session: Session, rows: Sequence[Any]) -> list[RowOutcome]:
    """People for the buyer identity check: handed to the clearance identity registry row by row."""
    if importlib.util.find_spec("silkgate.clearance.identity") is None:
        return [
            RowOutcome(
                "identities",
                n,
                _row_key("identities", row),
                "rejected",
                [
                    FieldError(
                        "identities",
                        "identity_registry_missing",
                        "本部署未安装身份信息核查库，无法导入身份信息",
                    )
                ],
            )
            for n, row in enumerate(rows, start=1)
        ]
    identity = importlib.import_module("silkgate.clearance.identity")

    def load_one(row: Mapping[str, Any]) -> str:
        try:
            result = identity.load_identities(session, [row], source="silkgate load")
        except ValidationFailed as exc:
            raise ValidationFailed(
                [FieldError(e.field.removeprefix("rows[0]."), e.code, e.message) for e in exc.errors]
            ) from exc
        if getattr(result, "added", 0):
            return "added"
        return "updated" if getattr(result, "updated", 0) else "unchanged"

    return [_in_savepoint(session, "identities", n, row, load_one) for n, row in enumerate(rows, start=1)]


def _filer(
    session: Session, zone: str, row: Mapping[str, Any], errors: list[FieldError]
) -> Enterprise | None:
    """The filed enterprise a filing row names by `enterprise_customs_code` (in this zone)."""
    code = str(row.get("enterprise_customs_code") or "").strip()
    if not code:
        errors.append(FieldError("enterprise_customs_code", "required", "企业的海关注册编码为必填项"))
        return None
    found = service.enterprise_by_customs_code(session, code)
    if found is None or found.zone_code != zone:
        errors.append(
            FieldError(
                "enterprise_customs_code", "unknown_enterprise", f"海关注册编码{code}的企业未在本综试区备案"
            )
        )
        return None
    return found


def _date(row: Mapping[str, Any], key: str, label: str, errors: list[FieldError]) -> dt.date | None:
    value = row.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        errors.append(FieldError(key, "invalid_date", f"{label}应为YYYY-MM-DD"))
        return None


def _load_broker_authorisation(
    session: Session, zone: str, row: Mapping[str, Any], _actor: Principal | None
) -> str:
    """An enterprise's authorisation of a customs broker to declare for it (海关总署公告2018年第194号),
    through the same service as POST /api/v1/broker-authorisations."""
    from silkgate.declarations.service import authorise_broker
    from silkgate.models.declarations import BrokerAuthorisation

    errors: list[FieldError] = []
    principal = _filer(session, zone, row, errors)
    code = str(row.get("broker_customs_code") or "").strip()
    broker = service.enterprise_by_customs_code(session, code) if code else None
    if not code:
        errors.append(FieldError("broker_customs_code", "required", "报关企业的海关注册编码为必填项"))
    elif broker is None or broker.zone_code != zone:
        errors.append(
            FieldError("broker_customs_code", "broker_not_filed", f"报关企业{code}未在本综试区备案")
        )
    valid_from = _date(row, "valid_from", "授权起始日期", errors)
    valid_until = _date(row, "valid_until", "授权截止日期", errors)
    if errors or principal is None or broker is None:
        raise ValidationFailed(errors)
    existing = session.scalar(
        select(BrokerAuthorisation).where(
            BrokerAuthorisation.principal_enterprise_id == principal.id,
            BrokerAuthorisation.broker_enterprise_id == broker.id,
        )
    )
    if (
        existing is not None
        and existing.revoked_at is None
        and (existing.valid_from, existing.valid_until)
        == (
            valid_from,
            valid_until,
        )
    ):
        return "unchanged"
    authorise_broker(session, principal.id, broker.id, valid_from=valid_from, valid_until=valid_until)
    return "added" if existing is None else "updated"


def _load_b2b_filing(session: Session, zone: str, row: Mapping[str, Any], actor: Principal | None) -> str:
    """A 9710/9810 export enterprise filing (海关总署公告2020年第75号), through export.filings."""
    from silkgate.export import filings
    from silkgate.models.export import B2BExportFiling

    errors: list[FieldError] = []
    enterprise = _filer(session, zone, row, errors)
    if enterprise is None:
        raise ValidationFailed(errors)
    existing = session.scalar(
        select(B2BExportFiling).where(
            B2BExportFiling.enterprise_id == enterprise.id,
            B2BExportFiling.trade_mode == str(row.get("trade_mode") or "").strip(),
        )
    )
    if existing is not None:
        same = existing.customs_code == str(
            row.get("customs_code") or ""
        ).strip() and existing.business_scope == (str(row.get("business_scope") or "").strip())
        if same:
            return "unchanged"
        raise ValidationFailed(
            [
                FieldError(
                    "trade_mode",
                    "filed_differently",
                    f"该企业已办理{existing.trade_mode}备案，内容不同，请在出口备案页面修改",
                )
            ]
        )
    filings.file_b2b(session, enterprise, row, actor)
    return "added"


def _load_overseas_warehouse(
    session: Session, zone: str, row: Mapping[str, Any], actor: Principal | None
) -> str:
    """A 9810 overseas-warehouse filing (海关总署公告2020年第75号), through export.filings."""
    from silkgate.export import filings
    from silkgate.models.export import OverseasWarehouse

    errors: list[FieldError] = []
    enterprise = _filer(session, zone, row, errors)
    if enterprise is None:
        raise ValidationFailed(errors)
    values = dict(row)
    until = values.get("contract_valid_until")
    if isinstance(until, dt.date):
        values["contract_valid_until"] = (
            until.date() if isinstance(until, dt.datetime) else until
        ).isoformat()
    name = str(values.get("name") or "").strip()
    if name and session.scalar(
        select(OverseasWarehouse.id).where(
            OverseasWarehouse.enterprise_id == enterprise.id, OverseasWarehouse.name == name
        )
    ):
        return "unchanged"
    filings.file_warehouse(session, enterprise, values, actor)
    return "added"
