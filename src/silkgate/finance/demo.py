"""Demo step `finance`: banks and insurers, enterprises' consent grants (active, revoked), financing
applications in every state (pledges on overseas-warehouse stock, order and receivables financing on
the demo declarations, payment-term advances on settlement history), export credit insurance with a
claim, and cross-border settlement records reported by the payment firm — all through the services.

Logins (password `silkgate-demo`): bank (from the registry step), bank2, bank3, insurer, insurer2.
For the browser test: seller1 granted `bank`; seller3 applied to `bank` without a grant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.auth.service import create_organisation, create_user, principal_for_org
from silkgate.demo import DEFAULT_ZONE, DEMO_PASSWORD, DemoContext
from silkgate.export import fx
from silkgate.export.demo import load_demo_rates
from silkgate.finance import rules, schemas, service
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import demo as logistics_demo
from silkgate.models.declarations import Declaration
from silkgate.models.export import ExportList
from silkgate.models.finance import FinancingApplication
from silkgate.models.logistics import Warehouse, WarehouseStock
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Enterprise
from silkgate.models.zone import Zone

EXTRA_INSTITUTIONS = (
    (kinds.BANK, "bank2", "中国工商银行股份有限公司{city}分行"),
    (kinds.BANK, "bank3", "{city}农村商业银行股份有限公司"),
    (kinds.INSURER, "insurer2", "中国人民财产保险股份有限公司{city}市分公司"),
)


def _login(base: str, zone: Zone) -> str:
    return base if zone.code == DEFAULT_ZONE else f"{base}_{zone.short.lower().replace('-', '_')}"


def _org_principal(ctx: DemoContext, org_id: int) -> Principal:
    org = ctx.session.get(Organisation, org_id)
    assert org is not None
    return principal_for_org(ctx.session, org)


def _by_login(ctx: DemoContext, zone: Zone, login: str) -> Principal | None:
    user = ctx.session.scalar(select(User).where(User.username == _login(login, zone)))
    return None if user is None else _org_principal(ctx, user.org_id)


def _enterprise_principal(ctx: DemoContext, enterprise_id: int) -> Principal:
    ent = ctx.session.get(Enterprise, enterprise_id)
    assert ent is not None
    return _org_principal(ctx, ent.org_id)


def _institutions(ctx: DemoContext, zone: Zone) -> tuple[list[int], list[int]]:
    """The registry's `bank` and `insurer` first, then ours; banks and insurers belong to no zone."""
    city = zone.city.removesuffix("市")
    for kind, login, name in EXTRA_INSTITUTIONS:
        org = create_organisation(ctx.session, kind=kind, name=name.format(city=city), zone_code=None)
        create_user(
            ctx.session,
            org_id=org.id,
            username=_login(login, zone),
            password=DEMO_PASSWORD,
            display_name=f"{name.format(city=city)[:12]}演示用户",
        )
    banks: list[int] = []
    insurers: list[int] = []
    for login in ("bank", "bank2", "bank3", "insurer", "insurer2"):
        p = _by_login(ctx, zone, login)
        if p is not None:
            (banks if p.org_kind == kinds.BANK else insurers).append(p.org_id)
    return banks, insurers


def _settlements(ctx: DemoContext, sellers: list[Enterprise]) -> int:
    by_role = ctx.shared.get("enterprise_ids_by_role", {})
    if not by_role.get("payment"):
        return 0
    payer = _enterprise_principal(ctx, by_role["payment"][0])
    load_demo_rates(ctx.session, ctx.zone_code, ctx.today)  # already there after the clearance step
    records = []
    for n, seller in enumerate(sellers):
        for month in range(6):
            day = ctx.today - dt.timedelta(days=15 + 30 * month)
            usd = Decimal(8000 + 1500 * ((n + month) % 4))
            # The payment firm's CNY figures, at the zone's rate table like every conversion.
            converted = fx.convert(
                ctx.session, Decimal(1), "502", day, ctx.zone_code, quantum=Decimal("0.000001")
            )
            if converted is None:  # no rate for the day: the firm reports no CNY figure
                continue
            rate = converted.rate
            records.append(
                schemas.SettlementIn(
                    reference=f"FX{seller.id:05d}{month:02d}",
                    enterprise_customs_code=seller.customs_code,
                    kind="fx_receipt",
                    currency="USD",
                    amount=usd,
                    amount_cny=(usd * rate).quantize(Decimal("0.01")),
                    counterparty_country="502",
                    settled_on=day,
                )
            )
            if month % 2 == 0:
                records.append(
                    schemas.SettlementIn(
                        reference=f"ST{seller.id:05d}{month:02d}",
                        enterprise_customs_code=seller.customs_code,
                        kind="fx_settlement",
                        currency="USD",
                        amount=usd / 2,
                        amount_cny=(usd / 2 * rate).quantize(Decimal("0.01")),
                        settled_on=day + dt.timedelta(days=2),
                    )
                )
            if (n + month) % 3 == 0:
                cny = Decimal(20000 + 3000 * month)
                records.append(
                    schemas.SettlementIn(
                        reference=f"RMB{seller.id:05d}{month:02d}",
                        enterprise_customs_code=seller.customs_code,
                        kind="rmb_receipt",
                        currency="CNY",
                        amount=cny,
                        amount_cny=cny,
                        counterparty_country="136",
                        settled_on=day + dt.timedelta(days=5),
                    )
                )
    return service.record_settlements(ctx.session, payer, records).accepted


def _grant(ctx: DemoContext, p: Principal, org_id: int, slices: list[str], days: int, purpose: str) -> None:
    service.grant_access(
        ctx.session,
        p,
        schemas.GrantCreate(
            grantee_org_id=org_id,
            slices=slices,
            purpose=purpose,  # type: ignore[arg-type]
            valid_until=now_utc() + dt.timedelta(days=days),
        ),
    )


def _stock_of(ctx: DemoContext, enterprise_id: int) -> list[WarehouseStock]:
    return list(
        ctx.session.scalars(
            select(WarehouseStock)
            .join(Warehouse, Warehouse.id == WarehouseStock.warehouse_id)
            .where(WarehouseStock.owner_enterprise_id == enterprise_id, Warehouse.kind == "overseas")
            .order_by(WarehouseStock.id)
        )
    )


def _export_list_ids(ctx: DemoContext, enterprise_id: int) -> list[int]:
    """The seller's released export lists (the export issue's list states)."""
    return list(
        ctx.session.scalars(
            select(ExportList.declaration_id)
            .where(
                ExportList.seller_enterprise_id == enterprise_id,
                ExportList.status.in_(("released", "departed")),
            )
            .order_by(ExportList.id)
        )
    )


def _lists_of(ctx: DemoContext, enterprise_id: int, direction: str) -> list[Declaration]:
    return list(
        ctx.session.scalars(
            select(Declaration)
            .where(
                Declaration.ebc_enterprise_id == enterprise_id,
                Declaration.kind == "inventory",
                Declaration.direction == direction,
                Declaration.status.in_(("released", "departed")),
            )
            .order_by(Declaration.id)
            .limit(6)
        )
    )


def _pledge(
    ctx: DemoContext, p: Principal, bank: int, stock: WarehouseStock, qty: int
) -> FinancingApplication:
    amount = (stock.unit_value_cny * qty * Decimal("0.5")).quantize(Decimal("0.01"))
    return service.apply_for_financing(
        ctx.session,
        p,
        schemas.ApplicationCreate(
            bank_org_id=bank,
            product="warehouse_pledge",
            amount_requested=Decimal(amount),
            term_days=180,
            purpose="海外仓备货资金周转",
            pledge_lines=[schemas.PledgeLineIn(source="overseas", stock_id=stock.id, quantity=Decimal(qty))],
        ),
    )


def _advance(ctx: DemoContext, p: Principal, bank: int, amount: str) -> FinancingApplication:
    return service.apply_for_financing(
        ctx.session,
        p,
        schemas.ApplicationCreate(
            bank_org_id=bank,
            product="term_advance",
            amount_requested=Decimal(amount),
            term_days=30,
            purpose="平台回款账期垫资",
        ),
    )


def _walk(ctx: DemoContext, bank_p: Principal, app: FinancingApplication, to: str) -> None:
    """Move an application through the bank's steps up to `to`."""
    s = ctx.session
    if to == "applied":
        return
    service.start_review(s, bank_p, app)
    if to == "under_review":
        return
    if to == "declined":
        service.decide(s, bank_p, app, schemas.DecisionIn(approve=False, note="押品集中度过高，建议分批申请"))
        return
    amount = (app.amount_requested * Decimal("0.9")).quantize(Decimal("0.01"))
    service.decide(
        s,
        bank_p,
        app,
        schemas.DecisionIn(
            approve=True, amount_approved=amount, annual_rate=Decimal("0.0395"), note="交易背景真实"
        ),
    )
    if to == "approved":
        return
    service.disburse(s, bank_p, app, amount)
    if to == "disbursed":
        service.record_repayment(
            s,
            bank_p,
            app,
            schemas.RepaymentIn(amount=(amount / 3).quantize(Decimal("0.01")), paid_on=ctx.today),
        )
        return
    service.record_repayment(s, bank_p, app, schemas.RepaymentIn(amount=amount, paid_on=ctx.today))


def load(ctx: DemoContext) -> str:
    session = ctx.session
    zone = session.get(Zone, ctx.zone_code)
    assert zone is not None
    banks, insurers = _institutions(ctx, zone)
    by_role = ctx.shared.get("enterprise_ids_by_role", {})
    seller1 = _by_login(ctx, zone, "seller1")
    seller2 = _by_login(ctx, zone, "seller2")
    seller3 = _by_login(ctx, zone, "seller3")
    assert (
        seller1
        and seller2
        and seller3
        and seller1.enterprise_id
        and seller2.enterprise_id
        and seller3.enterprise_id
    )
    sellers = [session.get(Enterprise, i) for i in by_role.get("seller", [])[:6]]
    settled = _settlements(ctx, [s for s in sellers if s is not None])
    logistics_demo.ensure_warehouses(ctx)  # overseas stock to pledge

    bank, bank2 = banks[0], banks[1]
    bank_p, bank2_p = _org_principal(ctx, bank), _org_principal(ctx, bank2)
    everything = ["filings", "declarations", "fx", "credit"]
    _grant(ctx, seller1, bank, everything, 180, "仓单质押、订单融资授信审核")
    _grant(ctx, seller1, insurers[0], ["filings", "declarations"], 365, "出口信用保险承保")
    _grant(ctx, seller2, bank2, ["filings", "declarations", "fx"], 90, "应收账款融资")
    _grant(ctx, seller2, bank, ["filings", "fx"], 60, "账期垫资")
    _grant(ctx, seller3, bank2, ["filings", "fx"], 30, "账期垫资")
    revoked = service.grant_access(
        session,
        seller3,
        schemas.GrantCreate(
            grantee_org_id=bank,
            slices=["filings", "declarations"],
            purpose="仓单质押询价",
            valid_until=now_utc() + dt.timedelta(days=30),
        ),
    )
    service.revoke_grant(session, seller3, revoked.id)

    apps: list[tuple[FinancingApplication, Principal, str]] = []
    stock1 = _stock_of(ctx, seller1.enterprise_id)
    stock3 = _stock_of(ctx, seller3.enterprise_id)
    if stock1:
        apps.append((_pledge(ctx, seller1, bank, stock1[0], 80), bank_p, "disbursed"))
        apps.append((_pledge(ctx, seller1, bank, stock1[1 % len(stock1)], 60), bank_p, "under_review"))
        apps.append((_pledge(ctx, seller1, bank, stock1[2 % len(stock1)], 40), bank_p, "applied"))
    if stock3:  # seller3 applies to `bank` but revoked its grant: the bank cannot see it
        apps.append((_pledge(ctx, seller3, bank, stock3[0], 50), bank_p, "applied"))
    apps.append((_advance(ctx, seller2, bank, "20000"), bank_p, "closed"))
    apps.append((_advance(ctx, seller2, bank, "15000"), bank_p, "declined"))
    apps.append((_advance(ctx, seller3, bank2, "12000"), bank2_p, "approved"))
    lists1 = _lists_of(ctx, seller1.enterprise_id, "import")
    if lists1:
        value = sum((d.value_cny or Decimal(0) for d in lists1), Decimal(0))
        order_app = service.apply_for_financing(
            session,
            seller1,
            schemas.ApplicationCreate(
                bank_org_id=bank,
                product="order",
                amount_requested=(value * Decimal("0.5")).quantize(Decimal("0.01")),
                term_days=60,
                purpose="订单备货",
                declaration_ids=[d.id for d in lists1],
            ),
        )
        apps.append((order_app, bank_p, "approved"))
    receivables = [
        i for i in _export_list_ids(ctx, seller2.enterprise_id) if service.receivable_cny(session, i)
    ]
    if receivables:
        base = sum((service.receivable_cny(session, i) or Decimal(0) for i in receivables[:4]), Decimal(0))
        recv_app = service.apply_for_financing(
            session,
            seller2,
            schemas.ApplicationCreate(
                bank_org_id=bank2,
                product="receivables",
                amount_requested=(base * Decimal("0.6")).quantize(Decimal("0.01")),
                term_days=90,
                purpose="出口货款回笼前资金周转",
                declaration_ids=receivables[:4],
            ),
        )
        apps.append((recv_app, bank2_p, "disbursed"))
    for app, bp, to in apps:
        _walk(ctx, bp, app, to)
    withdrawn = _advance(ctx, seller2, bank, "8000")
    service.withdraw_application(session, seller2, withdrawn.id)

    insurer_p = _org_principal(ctx, insurers[0])
    seller1_ent = session.get(Enterprise, seller1.enterprise_id)
    assert seller1_ent is not None
    access = service.check_grant(
        session, insurer_p, seller1_ent.id, ("filings", "declarations"), resource="finance.demo"
    )
    exports = _export_list_ids(ctx, seller1_ent.id)[:8]
    policy = service.issue_policy(
        session,
        insurer_p,
        access,
        schemas.PolicyCreate(
            policy_no=f"SINO{zone.short.replace('-', '')}{ctx.today:%Y}0001",
            buyer_name="Brightway Home Goods LLC",
            buyer_country="502",
            insured_value=Decimal("600000"),
            premium=Decimal("3600"),
            declaration_ids=exports,
            starts_on=ctx.today - dt.timedelta(days=60),
            ends_on=ctx.today + dt.timedelta(days=305),
        ),
    )
    service.issue_policy(
        session,
        insurer_p,
        access,
        schemas.PolicyCreate(
            policy_no=f"SINO{zone.short.replace('-', '')}{ctx.today:%Y}0002",
            buyer_name="Nordlicht Handels GmbH",
            buyer_country="304",
            insured_value=Decimal("250000"),
            premium=Decimal("1625"),
            starts_on=ctx.today - dt.timedelta(days=10),
            ends_on=ctx.today + dt.timedelta(days=355),
        ),
    )
    claim = service.file_claim(
        session,
        seller1,
        policy.id,
        schemas.ClaimCreate(
            loss_cause="buyer_default", amount_claimed=Decimal("42000"), note="买方逾期120天未付款"
        ),
    )
    service.decide_claim(
        session,
        insurer_p,
        policy,
        claim.id,
        schemas.ClaimDecision(pay=True, amount_paid=Decimal("37800"), note="按90%赔付"),
    )
    service.file_claim(
        session,
        seller1,
        policy.id,
        schemas.ClaimCreate(loss_cause="refusal", amount_claimed=Decimal("8600"), note="买方拒收"),
    )
    states = [
        rules.STATUS_LABELS[s]
        for s in rules.STATUS_LABELS
        if s in {a.status for a, _, _ in apps} | {"withdrawn"}
    ]
    return (
        f"{len(banks)}家银行、{len(insurers)}家保险机构，6项数据授权（含1项已撤销），{len(apps) + 1}笔融资申请"
        f"（{'、'.join(states)}），2张出口信用保险保单与2笔索赔，{settled}条跨境结算记录"
    )
