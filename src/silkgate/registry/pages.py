"""Registry web pages (zh-CN): enterprise filing, list and detail with history, the zone office's
approval queue, commodity filing and list, the tariff table."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, SilkgateError
from silkgate.kit import codelists
from silkgate.models.org import Organisation, User
from silkgate.models.registry import ENTERPRISE_ROLES, Enterprise
from silkgate.models.zone import Zone
from silkgate.params import DbId, Offset
from silkgate.registry import service
from silkgate.registry.excel import FIELD_LABELS, STATUS_LABELS
from silkgate.registry.files import read_tariff_csv
from silkgate.registry.schemas import CommodityCreate, EnterpriseCreate, EnterpriseUpdate, field_errors
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50

ENTERPRISE_FORM_FIELDS = (
    "uscc",
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
COMMODITY_FORM_FIELDS = (
    "item_no",
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


def _errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        key = e.field.split("[", 1)[0].split(".", 1)[0]
        out[key] = f"{out[key]}；{e.message}" if key in out else e.message
    return out


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _parse_shops(text: str | None) -> list[dict[str, str | None]]:
    """One shop per line: 平台|店铺名称|网址 (网址可省)."""
    shops: list[dict[str, str | None]] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        shops.append(
            {
                "platform": parts[0] or None,
                "shop": parts[1] if len(parts) > 1 and parts[1] else None,
                "url": parts[2] if len(parts) > 2 and parts[2] else None,
            }
        )
    return shops


def _shops_text(shops: list[Any] | None) -> str:
    return "\n".join(
        "|".join(x for x in (s.get("platform") or "", s.get("shop") or "", s.get("url") or "") if x)
        for s in shops or []
    )


_M = TypeVar("_M", bound=BaseModel)


def _model(schema: type[_M], values: dict[str, Any]) -> _M:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise _FormErrors(field_errors(exc)) from exc


class _FormErrors(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("form errors")
        self.errors = errors


def _zone_districts(session: SessionDep, principal: Principal) -> list[str]:
    zone = session.get(Zone, principal.zone_code or "")
    return list(zone.districts) if zone else []


# ---------------------------------------------------------------- enterprises


@router.get("/enterprises", response_class=HTMLResponse)
def enterprise_list(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    q: str | None = None,
    role: str | None = None,
    status: str | None = None,
    district: str | None = None,
    offset: Offset = 0,
) -> Response:
    if principal is None:
        return login_redirect(request)
    if principal.is_enterprise:
        if principal.enterprise_id is None:
            return RedirectResponse("/enterprises/new", status_code=303)
        return RedirectResponse(f"/enterprises/{principal.enterprise_id}", status_code=303)
    flt = service.EnterpriseFilter(
        q=q or None,
        role=role if role in ENTERPRISE_ROLES else None,
        status=status if status in STATUS_LABELS else None,
        district=district or None,
    )
    rows, total = service.list_enterprises(
        session, principal, flt, limit=PAGE_SIZE, offset=max(offset, 0), request_path=request.url.path
    )
    roles = service.roles_by_enterprise(session, [e.id for e in rows])
    query = {k: v for k, v in vars(flt).items() if v}
    return render(
        request,
        "registry/enterprise_list.html",
        principal,
        title="企业备案",
        rows=[(e, roles[e.id]) for e in rows],
        total=total,
        offset=max(offset, 0),
        page_size=PAGE_SIZE,
        flt=flt,
        query=query,
        export_url="/api/v1/enterprises?" + urlencode({**query, "format": "xlsx"}),
        districts=_zone_districts(session, principal),
        statuses=STATUS_LABELS,
        roles=ENTERPRISE_ROLES,
        can_file=principal.is_zone_office,
        remit_note=principal.is_agency,
    )


def _enterprise_form(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    action: str,
    editing: Enterprise | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/enterprise_form.html",
        principal,
        status_code=status_code,
        title="修改企业备案" if editing else "企业备案",
        values=values,
        errors=errors,
        action=action,
        editing=editing,
        roles=ENTERPRISE_ROLES,
        districts=_zone_districts(session, principal),
        labels=FIELD_LABELS,
    )


def _enterprise_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {f: _text(form, f) for f in ENTERPRISE_FORM_FIELDS}
    if values.get("uscc"):
        values["uscc"] = values["uscc"].upper()
    if values.get("customs_code"):
        values["customs_code"] = values["customs_code"].upper()
    values["roles"] = [r for r in form.getlist("roles") if isinstance(r, str)]
    values["shops"] = _parse_shops(_text(form, "shops"))
    values["shops_text"] = _text(form, "shops") or ""
    return values


@router.get("/enterprises/new", response_class=HTMLResponse)
def enterprise_new(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    if principal.is_enterprise and principal.enterprise_id is not None:
        return RedirectResponse(f"/enterprises/{principal.enterprise_id}", status_code=303)
    if not (principal.is_zone_office or principal.is_enterprise):
        principal.require_zone_office()
    org = session.get(Organisation, principal.org_id)
    values: dict[str, Any] = {"roles": [], "shops": []}
    if principal.is_enterprise and org is not None:
        values.update({"name": org.name, "uscc": org.uscc})
    return _enterprise_form(request, session, principal, values=values, errors={}, action="/enterprises/new")


@router.post("/enterprises/new", response_class=HTMLResponse)
def enterprise_create(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    if not principal.is_enterprise:
        principal.require_zone_office()
    values = _enterprise_values(form)
    try:
        data = _model(EnterpriseCreate, {k: v for k, v in values.items() if k != "shops_text"})
        org = session.get(Organisation, principal.org_id) if principal.is_enterprise else None
        enterprise = service.file_enterprise(
            session, data, zone_code=principal.zone_code or "", actor=principal, org=org
        )
    except (_FormErrors, SilkgateError) as exc:
        errors = (
            exc.errors if exc.errors else [FieldError("form", "error", getattr(exc, "message", str(exc)))]
        )
        return _enterprise_form(
            request,
            session,
            principal,
            values=values,
            errors=_errors_by_field(errors),
            action="/enterprises/new",
            status_code=422 if not isinstance(exc, SilkgateError) else exc.status,
        )
    return RedirectResponse(f"/enterprises/{enterprise.id}?filed=1", status_code=303)


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_detail(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    enterprise = service.get_enterprise(session, principal, enterprise_id, request_path=request.url.path)
    roles = service.roles_by_enterprise(session, [enterprise.id])[enterprise.id]
    view = service.enterprise_view(enterprise, roles, principal)
    allowed = service.visible_fields(principal)
    history = service.history(session, enterprise.id)
    actors = _actor_names(session, history)
    entries = []
    for change in history:
        changes = change.changes or {}
        if allowed is not None:
            changes = {k: v for k, v in changes.items() if k in allowed or k == "status"}
        entries.append((change, changes, actors.get((change.actor_org_id, change.actor_user_id), "系统")))
    can_edit = (
        principal.is_enterprise and principal.enterprise_id == enterprise.id
    ) or principal.is_zone_office
    flash = None
    if request.query_params.get("filed"):
        flash = "备案已提交，等待综试办审核。" if enterprise.status == "pending" else "备案已保存。"
    elif request.query_params.get("saved"):
        flash = "修改已保存，变更记录见下方历史。"
    return render(
        request,
        "registry/enterprise_detail.html",
        principal,
        title=enterprise.name,
        enterprise=enterprise,
        view=view,
        labels=FIELD_LABELS,
        statuses=STATUS_LABELS,
        history=entries,
        can_edit=can_edit,
        can_decide=principal.is_zone_office and enterprise.status == "pending",
        remit_note=principal.is_agency,
        flash=flash,
        action_labels=ACTION_LABELS,
    )


ACTION_LABELS = {
    "filed": "提交备案",
    "loaded": "批量导入",
    "updated": "修改",
    "approved": "审核通过",
    "rejected": "驳回",
}


def _actor_names(session: SessionDep, history: list[Any]) -> dict[tuple[int | None, int | None], str]:
    org_ids = {h.actor_org_id for h in history if h.actor_org_id}
    user_ids = {h.actor_user_id for h in history if h.actor_user_id}
    orgs = dict(
        session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))
        .tuples()
        .all()
    )
    users = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).tuples().all()
    )
    out: dict[tuple[int | None, int | None], str] = {}
    for h in history:
        name = orgs.get(h.actor_org_id, "系统") if h.actor_org_id else "系统"
        if h.actor_user_id and h.actor_user_id in users:
            name += f"（{users[h.actor_user_id]}）"
        out[(h.actor_org_id, h.actor_user_id)] = name
    return out


@router.get("/enterprises/{enterprise_id}/edit", response_class=HTMLResponse)
def enterprise_edit(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    enterprise = service.enterprise_for_edit(session, principal, enterprise_id)
    values: dict[str, Any] = {f: getattr(enterprise, f, None) for f in ENTERPRISE_FORM_FIELDS}
    values["roles"] = sorted(service.roles_of(session, enterprise.id))
    values["shops_text"] = _shops_text(enterprise.shops)
    return _enterprise_form(
        request,
        session,
        principal,
        values=values,
        errors={},
        action=f"/enterprises/{enterprise.id}/edit",
        editing=enterprise,
    )


@router.post("/enterprises/{enterprise_id}/edit", response_class=HTMLResponse)
def enterprise_update(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    enterprise = service.enterprise_for_edit(session, principal, enterprise_id)
    values = _enterprise_values(form)
    update = {k: v for k, v in values.items() if k not in ("uscc", "shops_text")}
    try:
        data = _model(EnterpriseUpdate, update)
        service.update_enterprise(session, enterprise, data, principal)
    except (_FormErrors, SilkgateError) as exc:
        values["uscc"] = enterprise.uscc
        return _enterprise_form(
            request,
            session,
            principal,
            values=values,
            errors=_errors_by_field(exc.errors),
            action=f"/enterprises/{enterprise.id}/edit",
            editing=enterprise,
            status_code=422 if not isinstance(exc, SilkgateError) else exc.status,
        )
    return RedirectResponse(f"/enterprises/{enterprise.id}?saved=1", status_code=303)


# ---------------------------------------------------------------- approvals


@router.get("/approvals", response_class=HTMLResponse)
def approval_queue(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    principal.require_zone_office()
    rows, total = service.list_enterprises(
        session,
        principal,
        service.EnterpriseFilter(status="pending"),
        limit=200,
        request_path=request.url.path,
    )
    rows = sorted(rows, key=lambda e: (e.created_at, e.id))
    roles = service.roles_by_enterprise(session, [e.id for e in rows])
    done = request.query_params.get("done")
    flash = {"approved": "已通过该企业备案。", "rejected": "已驳回该企业备案，企业将看到驳回原因。"}.get(
        done or ""
    )
    return render(
        request,
        "registry/approvals.html",
        principal,
        title="备案审核",
        rows=[(e, roles[e.id]) for e in rows],
        total=total,
        flash=flash,
        error=request.query_params.get("error"),
    )


@router.post("/approvals/{enterprise_id}/approve")
def approval_approve(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    service.approve_enterprise(session, enterprise_id, principal)
    return RedirectResponse("/approvals?done=approved", status_code=303)


@router.post("/approvals/{enterprise_id}/reject")
def approval_reject(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        service.reject_enterprise(session, enterprise_id, principal, _text(form, "reason") or "")
    except SilkgateError as exc:
        if exc.status != 422:
            raise
        return RedirectResponse("/approvals?" + urlencode({"error": "驳回时必须填写原因"}), status_code=303)
    return RedirectResponse("/approvals?done=rejected", status_code=303)


# ---------------------------------------------------------------- commodities


@router.get("/commodities", response_class=HTMLResponse)
def commodity_list(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    q: str | None = None,
    hs_code: str | None = None,
    enterprise_id: str | None = None,
    offset: Offset = 0,
) -> Response:
    if principal is None:
        return login_redirect(request)
    owner_id = int(enterprise_id) if enterprise_id and enterprise_id.isdigit() else None
    rows, total = service.list_commodities(
        session,
        principal,
        q=q or None,
        hs_code=hs_code or None,
        enterprise_id=owner_id,
        limit=PAGE_SIZE,
        offset=max(offset, 0),
        request_path=request.url.path,
    )
    names = dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_({c.enterprise_id for c in rows}))
        )
        .tuples()
        .all()
    )
    query = {k: v for k, v in {"q": q, "hs_code": hs_code, "enterprise_id": enterprise_id}.items() if v}
    can_file = principal.is_zone_office or bool(principal.roles & service.COMMODITY_FILER_ROLES)
    return render(
        request,
        "registry/commodity_list.html",
        principal,
        title="商品备案",
        rows=[(c, names.get(c.enterprise_id, "")) for c in rows],
        total=total,
        offset=max(offset, 0),
        page_size=PAGE_SIZE,
        query=query,
        q=q,
        hs_code=hs_code,
        can_file=can_file,
        countries=codelists.countries(),
        units=codelists.units(),
        flash="商品备案已保存。" if request.query_params.get("filed") else None,
    )


def _filer_choices(session: SessionDep, principal: Principal) -> list[tuple[int, str]]:
    if not principal.is_zone_office:
        return []
    rows, _ = service.list_enterprises(
        session, principal, service.EnterpriseFilter(status="approved"), limit=None, request_path=None
    )
    roles = service.roles_by_enterprise(session, [e.id for e in rows])
    return sorted(
        ((e.id, e.name) for e in rows if set(roles[e.id]) & service.COMMODITY_FILER_ROLES), key=lambda x: x[1]
    )


def _commodity_form(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/commodity_form.html",
        principal,
        status_code=status_code,
        title="商品备案",
        values=values,
        errors=errors,
        filers=_filer_choices(session, principal),
        countries=sorted(codelists.countries().items()),
        units=sorted(codelists.units().items()),
        currencies=sorted(codelists.currencies().items()),
    )


@router.get("/commodities/new", response_class=HTMLResponse)
def commodity_new(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    if not principal.is_enterprise:
        principal.require_zone_office()
    return _commodity_form(request, session, principal, values={"currency": "142"}, errors={})


@router.post("/commodities/new", response_class=HTMLResponse)
def commodity_create(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    values: dict[str, Any] = {f: _text(form, f) for f in COMMODITY_FORM_FIELDS}
    values["currency"] = values.get("currency") or "142"
    owner_text = _text(form, "enterprise_id")
    values["enterprise_id"] = owner_text
    try:
        owner = service.commodity_owner_for(
            session, principal, int(owner_text) if owner_text and owner_text.isdigit() else None
        )
        data = _model(CommodityCreate, {k: v for k, v in values.items() if k != "enterprise_id"})
        service.file_commodity(session, owner, data, actor=principal)
    except (_FormErrors, SilkgateError) as exc:
        if isinstance(exc, SilkgateError) and exc.status in (401, 403, 404):
            raise
        errors = exc.errors if exc.errors else [FieldError("form", "error", str(exc))]
        return _commodity_form(
            request,
            session,
            principal,
            values=values,
            errors=_errors_by_field(errors),
            status_code=422 if not isinstance(exc, SilkgateError) else exc.status,
        )
    return RedirectResponse("/commodities?filed=1", status_code=303)


# ---------------------------------------------------------------- tariff


@router.get("/tariff", response_class=HTMLResponse)
def tariff_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    q: str | None = None,
    offset: Offset = 0,
) -> Response:
    if principal is None:
        return login_redirect(request)
    return _tariff_page(request, session, principal, q=q, offset=offset)


def _tariff_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    q: str | None = None,
    offset: Offset = 0,
    flash: str | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    rows, total = service.list_tariff(
        session, principal.zone_code, q=q or None, limit=200, offset=max(offset, 0)
    )
    return render(
        request,
        "registry/tariff.html",
        principal,
        status_code=status_code,
        title="税率与正面清单",
        rows=rows,
        total=total,
        q=q,
        offset=max(offset, 0),
        can_load=principal.is_zone_office,
        flash=flash,
        flash_kind="error" if errors else "ok",
        load_errors=errors or [],
    )


@router.post("/tariff", response_class=HTMLResponse)
def tariff_upload(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    principal.require_zone_office()
    upload = form.get("file")
    replace = form.get("replace") == "1"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _tariff_page(
            request,
            session,
            principal,
            flash="请选择要导入的 CSV 文件",
            errors=[FieldError("file", "required", "请选择要导入的 CSV 文件")],
            status_code=422,
        )
    data = upload.file.read()
    try:
        raw, first_line = read_tariff_csv(data)
        rows = service.parse_tariff_rows(raw, first_row_number=first_line)
        added, updated = service.load_tariff(
            session, principal.zone_code, rows, source=f"{upload.filename}（{principal.org_name}导入）"
        )
        removed = (
            service.remove_tariff_lines_except(session, principal.zone_code, {r.hs_code for r in rows})
            if replace
            else 0
        )
    except SilkgateError as exc:
        return _tariff_page(
            request,
            session,
            principal,
            flash=f"{exc.message}（共{len(exc.errors)}处错误）",
            errors=exc.errors,
            status_code=exc.status,
        )
    message = f"已导入 {upload.filename}：{len(rows)}行合格，新增{added}行，更新{updated}行"
    if replace:
        message += f"，删除{removed}行"
    return _tariff_page(request, session, principal, flash=message)
