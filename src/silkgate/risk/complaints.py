"""Consumers' disputes and rights holders' IP complaints: filed without login, routed to the
enterprise, answered by it, resolved by the zone office; an upheld case feeds the credit record."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.config import get_settings
from silkgate.credit import service as credit_service
from silkgate.exceptions import FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.kit.crypto import field_cipher
from silkgate.models.registry import Enterprise
from silkgate.models.risk import Complaint

KINDS = {"dispute": "消费纠纷", "ip": "知识产权投诉"}
RIGHT_TYPES = {"trademark": "商标权", "patent": "专利权", "copyright": "著作权"}
STATUSES = {"filed": "待企业答复", "responded": "企业已答复", "resolved": "已办结"}
RESOLUTIONS = {"upheld": "投诉成立", "dismissed": "投诉不成立", "settled": "双方和解"}
RESPONSE_DAYS = 7  # the enterprise answers within 7 days
RESOLVE_DAYS = 30  # the zone office closes the case within 30 days
DAILY_LIMIT_PER_CONTACT = 5
MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")


@dataclass
class ComplaintForm:
    kind: str
    enterprise: str  # USCC or the exact registered name
    complainant_name: str
    contact: str
    subject: str
    description: str
    order_no: str | None = None
    right_type: str | None = None
    right_no: str | None = None


def _find_enterprise(session: Session, zone_code: str, text: str) -> Enterprise | None:
    value = text.strip()
    return session.scalar(
        select(Enterprise).where(
            Enterprise.zone_code == zone_code,
            Enterprise.status == "approved",
            (Enterprise.uscc == value.upper()) | (Enterprise.name == value),
        )
    )


def file_complaint(session: Session, zone_code: str, form: ComplaintForm) -> Complaint:
    """Validate every field (all errors at once), then route the case to the enterprise."""
    errors: list[FieldError] = []
    if form.kind not in KINDS:
        errors.append(FieldError("kind", "unknown_kind", "投诉类型应为消费纠纷（dispute）或知识产权（ip）"))
    ent = _find_enterprise(session, zone_code, form.enterprise) if form.enterprise.strip() else None
    if not form.enterprise.strip():
        errors.append(FieldError("enterprise", "required", "请填写被投诉企业的统一社会信用代码或全称"))
    elif ent is None:
        errors.append(
            FieldError("enterprise", "unknown_enterprise", "本综试区没有该企业，请核对统一社会信用代码或全称")
        )
    name = form.complainant_name.strip()
    if not 2 <= len(name) <= 100:
        errors.append(FieldError("complainant_name", "invalid", "请填写投诉人姓名或单位名称（2到100个字）"))
    contact = form.contact.strip()
    if not (MOBILE.match(contact) or EMAIL.match(contact)):
        errors.append(FieldError("contact", "invalid", "联系方式应为11位手机号或电子邮箱"))
    if not 4 <= len(form.subject.strip()) <= 200:
        errors.append(FieldError("subject", "invalid", "标题应为4到200个字"))
    if not 10 <= len(form.description.strip()) <= 5000:
        errors.append(FieldError("description", "invalid", "请具体描述问题（10到5000个字）"))
    if form.order_no and len(form.order_no.strip()) > 60:
        errors.append(FieldError("order_no", "too_long", "订单号最多60个字符"))
    if form.kind == "ip":
        if form.right_type not in RIGHT_TYPES:
            errors.append(
                FieldError("right_type", "required", "知识产权投诉须选择权利类型：商标、专利或著作权")
            )
        if not (form.right_no or "").strip() or len((form.right_no or "").strip()) > 60:
            errors.append(
                FieldError("right_no", "required", "知识产权投诉须填写权利证书号（注册号/专利号/登记号）")
            )
    cipher = field_cipher(get_settings().data_key)
    contact_index = cipher.blind_index("complaint_contact", contact) if contact else ""
    if contact and not errors:
        since = now_utc() - dt.timedelta(days=1)
        recent = session.scalar(
            select(func.count(Complaint.id)).where(
                Complaint.complainant_contact_index == contact_index, Complaint.created_at >= since
            )
        )
        if (recent or 0) >= DAILY_LIMIT_PER_CONTACT:
            errors.append(
                FieldError(
                    "contact", "rate_limited", f"同一联系方式24小时内最多提交{DAILY_LIMIT_PER_CONTACT}件投诉"
                )
            )
    if errors:
        raise ValidationFailed(errors)
    assert ent is not None
    today = credit_service.beijing_today()
    complaint = Complaint(
        reference=f"TS{today:%Y%m%d}{secrets.token_hex(4).upper()}",
        zone_code=zone_code,
        kind=form.kind,
        enterprise_id=ent.id,
        complainant_name=name,
        complainant_contact_enc=cipher.encrypt(contact),
        complainant_contact_index=contact_index,
        order_no=(form.order_no or "").strip() or None,
        right_type=form.right_type if form.kind == "ip" else None,
        right_no=(form.right_no or "").strip() or None if form.kind == "ip" else None,
        subject=form.subject.strip(),
        description=form.description.strip(),
        response_due_on=today + dt.timedelta(days=RESPONSE_DAYS),
        resolve_due_on=today + dt.timedelta(days=RESOLVE_DAYS),
    )
    session.add(complaint)
    session.flush()
    return complaint


def public_status(session: Session, reference: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.reference == reference.strip().upper()))


def list_complaints(session: Session, principal: Principal, status: str | None = None) -> list[Complaint]:
    q = select(Complaint)
    if principal.is_enterprise:
        q = q.where(Complaint.enterprise_id == principal.enterprise_id)
    elif principal.is_zone_office or principal.org_kind == "market_regulation":
        q = q.where(Complaint.zone_code == principal.zone_code)
    else:
        raise Forbidden("只有被投诉企业、综试办和市场监管部门可以查看投诉")
    if status:
        q = q.where(Complaint.status == status)
    return list(session.scalars(q.order_by(Complaint.id.desc()).limit(500)))


def get_complaint(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id)
    if c is None:
        raise NotFound()
    if principal.is_enterprise and c.enterprise_id == principal.enterprise_id:
        return c
    if (principal.is_zone_office or principal.org_kind == "market_regulation") and principal.sees_zone(
        c.zone_code
    ):
        return c
    raise NotFound()


def respond(session: Session, principal: Principal, complaint_id: int, response: str) -> Complaint:
    c = get_complaint(session, principal, complaint_id)
    if not principal.is_enterprise:
        raise Forbidden("只有被投诉企业可以答复")
    if c.status != "filed":
        raise InvalidState("该投诉已答复或已办结")
    if not 10 <= len(response.strip()) <= 5000:
        raise ValidationFailed([FieldError("response", "invalid", "请具体答复（10到5000个字）")])
    c.response = response.strip()
    c.responded_at = now_utc()
    c.status = "responded"
    session.flush()
    return c


def resolve(
    session: Session, principal: Principal, complaint_id: int, *, outcome: str, resolution: str
) -> Complaint:
    """The zone office closes the case; an upheld dispute or IP complaint becomes a credit item."""
    principal.require_zone_office()
    c = get_complaint(session, principal, complaint_id)
    if c.status == "resolved":
        raise InvalidState("该投诉已办结")
    errors = []
    if outcome not in RESOLUTIONS:
        errors.append(FieldError("outcome", "unknown_outcome", "办结结论应为 upheld / dismissed / settled"))
    if not resolution.strip():
        errors.append(FieldError("resolution", "required", "请写明办理结果"))
    if errors:
        raise ValidationFailed(errors)
    c.status = "resolved"
    c.outcome = outcome
    c.resolution = resolution.strip()
    c.resolved_at = now_utc()
    c.resolved_by_user_id = principal.user_id
    if outcome == "upheld":
        kind = "ip_infringement" if c.kind == "ip" else "complaint_upheld"
        item = credit_service.record_platform_item(
            session,
            c.enterprise_id,
            kind,
            summary=f"投诉{c.reference}成立：{c.subject}",
            detail={"complaint_id": c.id, "kind": c.kind},
            document_no=c.reference,
        )
        c.credit_item_id = item.id
    session.flush()
    return c


def overdue(complaint: Complaint, today: dt.date) -> bool:
    if complaint.status == "filed":
        return today > complaint.response_due_on
    if complaint.status == "responded":
        return today > complaint.resolve_due_on
    return False
