"""Export filings and settings: B2B export enterprise filing (9710/9810), overseas-warehouse filing
(9810), the seller's declaration path and tax facts, the zone's customs offices and excluded goods.

海关总署公告2020年第75号: enterprises doing 9710/9810 file with customs; 9810 exporters also file the
overseas-warehouse mode with the warehouse's name, address, area, country, operator and proof of use
(own or leased, with the lease contract).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.db import is_read_only, with_column_defaults
from silkgate.exceptions import Duplicate, FieldError, ValidationFailed
from silkgate.kit import codelists
from silkgate.kit.cebtime import now_utc
from silkgate.models.export import (
    DECLARATION_PATHS,
    PURCHASE_INVOICE_STATES,
    B2BExportFiling,
    ExemptionExcludedGoods,
    ExportAuditEvent,
    ExportSellerSetting,
    ExportZoneSetting,
    OverseasWarehouse,
)
from silkgate.models.registry import Enterprise

CUSTOMS_CODE = re.compile(r"^\d{4}$")
PATH_LABELS = {
    "summary_declaration": "清单核放、汇总申报（办理收结汇、退税）",
    "summary_statistics": "清单核放、汇总统计（不办理收结汇、退税）",
}
INVOICE_LABELS = {
    "none": "未取得有效进货凭证（适用无票免税）",
    "held": "取得增值税专用发票等有效进货凭证（申报退税）",
}


def _text(
    values: Mapping[str, Any],
    name: str,
    label: str,
    max_len: int,
    errors: list[FieldError],
    required: bool = True,
) -> str:
    value = str(values.get(name) or "").strip()
    if required and not value:
        errors.append(FieldError(name, "required", f"{label}必填"))
    elif len(value) > max_len:
        errors.append(FieldError(name, "too_long", f"{label}最多{max_len}个字符"))
    return value


def _audit(
    session: Session,
    actor: Principal | None,
    subject: str,
    subject_id: int | None,
    action: str,
    enterprise_id: int | None,
    zone_code: str | None,
    detail: dict[str, Any],
) -> None:
    session.add(
        ExportAuditEvent(
            zone_code=zone_code,
            enterprise_id=enterprise_id,
            subject=subject,
            subject_id=subject_id,
            action=action,
            actor_org_id=actor.org_id if actor else None,
            actor_user_id=actor.user_id if actor else None,
            detail=detail,
        )
    )


def file_b2b(
    session: Session, enterprise: Enterprise, values: Mapping[str, Any], actor: Principal | None
) -> B2BExportFiling:
    errors: list[FieldError] = []
    mode = str(values.get("trade_mode") or "")
    if mode not in ("9710", "9810"):
        errors.append(
            FieldError(
                "trade_mode", "invalid_trade_mode", "监管方式应为9710（B2B直接出口）或9810（出口海外仓）"
            )
        )
    customs = str(values.get("customs_code") or "").strip()
    if not CUSTOMS_CODE.fullmatch(customs):
        errors.append(FieldError("customs_code", "invalid_customs_code", "主管海关关区代码应为4位数字"))
    scope = _text(values, "business_scope", "业务范围说明", 500, errors)
    if errors:
        raise ValidationFailed(errors, "B2B出口企业备案未保存")
    if session.scalar(
        select(B2BExportFiling).where(
            B2BExportFiling.enterprise_id == enterprise.id, B2BExportFiling.trade_mode == mode
        )
    ):
        raise Duplicate(message=f"本企业已办理{mode}备案")
    f = B2BExportFiling(
        enterprise_id=enterprise.id,
        zone_code=enterprise.zone_code,
        trade_mode=mode,
        customs_code=customs,
        business_scope=scope,
        status="approved",
    )
    session.add(f)
    session.flush()
    _audit(
        session, actor, "filing", f.id, "b2b_filed", enterprise.id, enterprise.zone_code, {"trade_mode": mode}
    )
    return f


def file_warehouse(
    session: Session, enterprise: Enterprise, values: Mapping[str, Any], actor: Principal | None
) -> OverseasWarehouse:
    errors: list[FieldError] = []
    name = _text(values, "name", "海外仓名称", 200, errors)
    country = str(values.get("country") or "").strip()
    if country not in codelists.countries() or country == "142":
        errors.append(
            FieldError("country", "invalid_country", "所在国家（地区）应为海关国别代码，且不能为中国")
        )
    address = _text(values, "address", "海外仓地址", 300, errors)
    operator = _text(values, "operator", "经营主体", 200, errors)
    area = Decimal("0")
    try:
        area = Decimal(str(values.get("area_m2") or "").strip())
        if not area.is_finite() or area <= 0:
            raise InvalidOperation
    except InvalidOperation:
        errors.append(FieldError("area_m2", "invalid_area", "面积（平方米）应为大于0的数字"))
    ownership = str(values.get("ownership") or "")
    if ownership not in ("own", "leased"):
        errors.append(FieldError("ownership", "invalid_ownership", "使用方式应为自有（own）或租赁（leased）"))
    contract_no = _text(values, "contract_no", "租赁合同编号", 60, errors, required=ownership == "leased")
    until: dt.date | None = None
    raw_until = str(values.get("contract_valid_until") or "").strip()
    if ownership == "leased":
        try:
            until = dt.date.fromisoformat(raw_until)
            if until < now_utc().date():
                errors.append(FieldError("contract_valid_until", "contract_expired", "租赁合同已到期"))
        except ValueError:
            errors.append(FieldError("contract_valid_until", "invalid_date", "合同有效期至应为YYYY-MM-DD"))
    if errors:
        raise ValidationFailed(errors, "海外仓备案未保存")
    if session.scalar(
        select(OverseasWarehouse).where(
            OverseasWarehouse.enterprise_id == enterprise.id, OverseasWarehouse.name == name
        )
    ):
        raise Duplicate(message=f"海外仓“{name}”已备案")
    w = OverseasWarehouse(
        enterprise_id=enterprise.id,
        zone_code=enterprise.zone_code,
        name=name,
        country=country,
        address=address,
        area_m2=area,
        operator=operator,
        ownership=ownership,
        contract_no=contract_no or None,
        contract_valid_until=until,
        status="approved",
    )
    session.add(w)
    session.flush()
    _audit(
        session,
        actor,
        "filing",
        w.id,
        "warehouse_filed",
        enterprise.id,
        enterprise.zone_code,
        {"name": name, "country": country},
    )
    return w


def setting_for(session: Session, enterprise: Enterprise) -> ExportSellerSetting:
    s = session.scalar(select(ExportSellerSetting).where(ExportSellerSetting.enterprise_id == enterprise.id))
    if s is None:
        s = ExportSellerSetting(
            enterprise_id=enterprise.id,
            zone_code=enterprise.zone_code,
            declaration_path="summary_declaration",
            purchase_invoices="none",
            deemed_levy_approved=False,
            restricted_industry=False,
        )
        if is_read_only(session):
            return with_column_defaults(s)  # the defaults, shown; stored when the seller saves
        session.add(s)
        session.flush()
    return s


def update_seller_setting(
    session: Session, enterprise: Enterprise, values: Mapping[str, Any], actor: Principal | None
) -> ExportSellerSetting:
    errors: list[FieldError] = []
    path = str(values.get("declaration_path") or "")
    if path not in DECLARATION_PATHS:
        errors.append(FieldError("declaration_path", "invalid_path", "申报方式应为汇总申报或汇总统计"))
    invoices = str(values.get("purchase_invoices") or "")
    if invoices not in PURCHASE_INVOICE_STATES:
        errors.append(FieldError("purchase_invoices", "invalid_value", "进货凭证应为“未取得”或“已取得”"))
    employees: int | None = None
    raw = str(values.get("employees") or "").strip()
    if raw:
        if not raw.isdigit():
            errors.append(FieldError("employees", "invalid_number", "从业人数应为非负整数"))
        else:
            employees = int(raw)
    assets: Decimal | None = None
    raw = str(values.get("total_assets") or "").strip()
    if raw:
        try:
            assets = Decimal(raw)
            if not assets.is_finite() or assets < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError("total_assets", "invalid_amount", "资产总额应为非负数字（元）"))
    if errors:
        raise ValidationFailed(errors, "出口设置未保存")
    s = setting_for(session, enterprise)
    before = {"declaration_path": s.declaration_path, "purchase_invoices": s.purchase_invoices}
    s.declaration_path = path
    s.purchase_invoices = invoices
    s.employees = employees
    s.total_assets = assets
    s.restricted_industry = str(values.get("restricted_industry") or "") in ("1", "true", "on", "True")
    s.updated_at = now_utc()
    _audit(
        session,
        actor,
        "setting",
        s.id,
        "updated",
        enterprise.id,
        enterprise.zone_code,
        {"before": before, "after": {"declaration_path": path, "purchase_invoices": invoices}},
    )
    return s


def set_deemed_levy_approval(
    session: Session, enterprise: Enterprise, approved: bool, actor: Principal
) -> ExportSellerSetting:
    """The tax office's assessment (鉴定) of 核定征收 for a seller (2019年第36号 第三条)."""
    s = setting_for(session, enterprise)
    s.deemed_levy_approved = approved
    _audit(
        session,
        actor,
        "setting",
        s.id,
        "deemed_levy_" + ("approved" if approved else "revoked"),
        enterprise.id,
        enterprise.zone_code,
        {},
    )
    return s


def update_zone_customs(
    session: Session, zone_code: str, codes: list[str], actor: Principal
) -> ExportZoneSetting:
    bad = [c for c in codes if not CUSTOMS_CODE.fullmatch(c)]
    if bad or not codes:
        raise ValidationFailed(
            [
                FieldError(
                    "customs_codes",
                    "invalid_customs_code",
                    "关区代码应为4位数字，至少一个：" + "、".join(bad),
                )
            ]
        )
    z = session.get(ExportZoneSetting, zone_code)
    if z is None:
        z = ExportZoneSetting(zone_code=zone_code, customs_codes=[])
        session.add(z)
    z.customs_codes = sorted(set(codes))
    z.updated_at = now_utc()
    _audit(
        session, actor, "setting", None, "zone_customs", None, zone_code, {"customs_codes": z.customs_codes}
    )
    return z


def add_excluded_goods(
    session: Session, zone_code: str, hs_prefix: str, name: str, source: str, actor: Principal
) -> ExemptionExcludedGoods:
    errors = []
    if not re.fullmatch(r"\d{2,10}", hs_prefix or ""):
        errors.append(FieldError("hs_prefix", "invalid_hs_prefix", "商品编码前缀应为2至10位数字"))
    if not name.strip():
        errors.append(FieldError("name", "required", "货物名称必填"))
    if not source.strip():
        errors.append(FieldError("source", "required", "文件依据必填（如 财税〔2006〕139号）"))
    if errors:
        raise ValidationFailed(errors)
    row = session.scalar(
        select(ExemptionExcludedGoods).where(
            ExemptionExcludedGoods.zone_code == zone_code, ExemptionExcludedGoods.hs_prefix == hs_prefix
        )
    )
    if row is None:
        row = ExemptionExcludedGoods(
            zone_code=zone_code, hs_prefix=hs_prefix, name=name.strip(), source=source.strip()
        )
        session.add(row)
    else:
        row.name, row.source = name.strip(), source.strip()
    _audit(session, actor, "setting", None, "excluded_goods", None, zone_code, {"hs_prefix": hs_prefix})
    session.flush()
    return row
