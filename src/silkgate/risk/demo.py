"""Demo step `risk`: the zone's rules (v1 of the shipped catalogue), a product-safety alert from
market regulation, and planted risk patterns sent as real CEB messages through the pipeline among
the normal demo trade (brushing with one phone / one address / one payer, order splitting and quota
draining, mispriced goods, an unconnected channel, a seller whose lists keep failing, goods under
the safety alert, export lists with no FX and no departure, goods exported then re-imported).
Then a scan, and a few alerts walked through their handling."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import func, select

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import (
    DEFAULT_PRODUCTS,
    GoodsLine,
    ImportTransaction,
    Party,
    Product,
    TradingParties,
    TransactionFactory,
    estimate_retail_tax,
    inject_fault,
    transaction_messages,
)
from silkgate.declarations.trading import file_commodities, register_buyers
from silkgate.demo import DemoContext, synth
from silkgate.export import messages as M
from silkgate.kit.cebtime import now_utc
from silkgate.models.org import Organisation
from silkgate.models.registry import Enterprise
from silkgate.models.risk import RiskAlert, RiskHit
from silkgate.risk import service


def _agency(ctx: DemoContext, kind: str) -> Principal:
    org_ids = ctx.shared.get("org_ids_by_kind", {}).get(kind) or []
    org = ctx.session.get(Organisation, org_ids[0]) if org_ids else None
    if org is None:
        raise RuntimeError(f"demo step risk needs the registry step's {kind} organisation")
    return principal_for_org(ctx.session, org)


def _first(ctx: DemoContext, role: str, fragment: str | None = None) -> Enterprise:
    ids = ctx.shared.get("enterprise_ids_by_role", {}).get(role) or []
    rows = [ctx.session.get(Enterprise, i) for i in ids]
    found = [e for e in rows if e is not None and (fragment is None or fragment in e.name)]
    if not found:
        raise RuntimeError(f"demo step risk needs an approved {role} enterprise")
    return found[0]


def _party(e: Enterprise) -> Party:
    return Party(e.customs_code, e.name)


def _send(ctx: DemoContext, tx: ImportTransaction) -> None:
    """The four documents, received minutes apart at the transaction's own time (not the load's)."""
    messages = transaction_messages(tx)
    for n, kind in enumerate(("order", "payment", "waybill", "inventory")):
        received = tx.declared_at.astimezone(dt.UTC) + dt.timedelta(minutes=2 * n + 1)
        ingest(ctx.session, messages[kind], sender=None, received_at=received)


def _plant_imports(ctx: DemoContext) -> int:
    session = ctx.session
    platform = _first(ctx, "platform")
    sellers = [
        _first(ctx, "seller", "东盟优选"),
        _first(ctx, "seller", "日韩美妆"),
        _first(ctx, "seller", "运动户外"),
    ]
    for seller in sellers:
        file_commodities(session, seller, DEFAULT_PRODUCTS)
    parties = TradingParties(
        platforms=[_party(platform)],
        sellers=[_party(sellers[0])],
        payments=[_party(_first(ctx, "payment"))],
        logistics=[_party(_first(ctx, "logistics"))],
        brokers={},
        warehouses=[],
    )
    start = now_utc() - dt.timedelta(hours=30)
    factory = TransactionFactory(ctx.rng, parties, fault_rate=0.0, bonded_share=0.0, start=start)
    by_item = {p.item_no: p for p in DEFAULT_PRODUCTS}
    milk, cream, diapers = by_item["MK-AP3-800"], by_item["CS-SK2-230"], by_item["DP-KAO-L54"]
    planted: list[ImportTransaction] = []

    def make(seller: Enterprise = sellers[0], lines: list[GoodsLine] | None = None) -> ImportTransaction:
        # Spread over the last day (a pattern the rules look for in 24 hours stays within it).
        at = start + dt.timedelta(minutes=13 * len(planted) + ctx.rng.randint(0, 9))
        tx = factory.make(at=at, trade_mode="9610")
        tx.seller = _party(seller)
        tx.agent = _party(seller)
        if lines is not None:
            tx.lines = lines
        planted.append(tx)
        return tx

    # 1. Seven buyers, one receiving phone (刷单: one phone behind many identities).
    phone = synth.phone(ctx.rng)
    for _ in range(7):
        make().buyer_phone = phone
    # 2. Ten buyers, one address (多人身份集中收货).
    address = "山西省运城市盐湖区解放南路188号菜鸟驿站"
    for _ in range(10):
        make(lines=[GoodsLine(diapers, Decimal("1"))]).address = address
    # 4. One buyer, six orders of about 4 100 CNY in a day (拆单 + 额度消耗).
    drain = make(sellers[1], [GoodsLine(cream, Decimal("3"))])
    for _ in range(5):
        tx = make(sellers[1], [GoodsLine(cream, Decimal("3"))])
        tx.buyer_name, tx.buyer_id, tx.buyer_phone, tx.address = (
            drain.buyer_name,
            drain.buyer_id,
            drain.buyer_phone,
            drain.address,
        )
    # 5. Mispriced goods against the filed unit price (低报 / 高开), after two ordinary orders.
    for _ in range(2):
        make(sellers[1], [GoodsLine(cream, Decimal("1"))])
    make(sellers[1], [GoodsLine(replace(milk, price=Decimal("58")), Decimal("2"))])
    make(sellers[1], [GoodsLine(replace(cream, price=Decimal("4600")), Decimal("1"))])
    # 6. One payer paying for six buyers of the same seller (集中付款、分散收货; payer ≠ buyer).
    payer_name, payer_id = synth.person_name(ctx.rng), synth.resident_id(ctx.rng)
    for _ in range(6):
        tx = make(sellers[1], [GoodsLine(milk, Decimal("2"))])
        tx.overrides["payment"] = {"payerName": payer_name, "payerIdNumber": payer_id}
    # 7. One identity used with four phones and addresses (身份信息被冒用).
    reused = make(sellers[2], [GoodsLine(milk, Decimal("1"))])
    for _ in range(3):
        tx = make(sellers[2], [GoodsLine(milk, Decimal("1"))])
        tx.buyer_name, tx.buyer_id = reused.buyer_name, reused.buyer_id
    # 8. Goods under the market-regulation safety alert (diapers, see load()).
    for _ in range(2):
        make(sellers[2], [GoodsLine(diapers, Decimal("2"))])
    # 9. A seller whose lists keep failing the identity check (申报违规反复发生).
    for _ in range(7):
        inject_fault(make(sellers[2], [GoodsLine(milk, Decimal("1"))]), "identity_mismatch", ctx.rng)
    # 10. An order pushed from a channel that is not a filed platform.
    rogue = make(sellers[2], [GoodsLine(milk, Decimal("1"))])
    rogue.platform = Party(
        f"{ctx.zone_code[:4]}96{ctx.rng.randrange(10000):04d}", "未接入本平台的境外购物网站"
    )
    for tx in planted:  # the enterprise's own tax estimate follows the goods it now declares
        tx.tax_total = estimate_retail_tax(tx)
    clean = [tx for tx in planted if "identity" not in tx.overrides]
    register_buyers(session, clean)
    for tx in planted:
        _send(ctx, tx)
    return len(planted)


STATUE = M.ExportGoods(
    "GG-STATUE-01",
    "树脂关公摆件",
    "3926400000",
    "树脂，工艺摆件",
    "011",
    "035",
    Decimal("1.2"),
    Decimal("35"),
)


def _plant_exports(ctx: DemoContext) -> int:
    """Export lists released 100 days ago whose goods never departed (rebate-fraud pattern)."""
    seller = _first(ctx, "seller", "关公故里")
    platform, logistics, payment = _first(ctx, "platform"), _first(ctx, "logistics"), _first(ctx, "payment")
    at = now_utc() - dt.timedelta(days=100)
    for n in range(3):
        when = at + dt.timedelta(minutes=10 * n)
        tx = M.ExportTransaction(
            seller=_party(seller),
            platform=_party(platform),
            logistics=_party(logistics),
            agent=_party(seller),
            payment=_party(payment),
            order_no=f"EX{at:%y%m%d}{n:06d}{seller.id}",
            logistics_no=f"EL{at:%y%m%d}{n:08d}{seller.id}",
            cop_no=f"EC{at:%y%m%d}{n:06d}{seller.id}"[:20],
            lines=[(STATUE, Decimal("40"))],
            declared_at=when,
        )
        arrival = M.arrival_xml(
            _party(logistics),
            _party(logistics),
            [tx.logistics_no],
            when + dt.timedelta(hours=2),
            tx.customs_code,
            f"A{tx.cop_no}"[:20],
        )
        for data in (
            M.order_xml(tx),
            M.collection_xml(tx, tx.goods_value, when + dt.timedelta(minutes=5)),
            M.waybill_xml(tx),
            M.inventory_xml(tx),
            arrival,
        ):
            ingest(ctx.session, data, sender=None, received_at=when + dt.timedelta(hours=3))
    return 3


def _plant_round_trip(ctx: DemoContext) -> int:
    """The exported statues come back as a retail import of the same seller (循环进出)."""
    seller = _first(ctx, "seller", "关公故里")
    back = Product(
        STATUE.item_no,
        STATUE.name,
        STATUE.hs_code,
        STATUE.model,
        "011",
        "035",
        Decimal("1.2"),
        Decimal("35"),
        "502",
    )
    file_commodities(ctx.session, seller, [back])
    parties = TradingParties(
        platforms=[_party(_first(ctx, "platform"))],
        sellers=[_party(seller)],
        payments=[_party(_first(ctx, "payment"))],
        logistics=[_party(_first(ctx, "logistics"))],
        brokers={},
        warehouses=[],
    )
    start = now_utc() - dt.timedelta(hours=5)
    factory = TransactionFactory(ctx.rng, parties, [back], fault_rate=0.0, bonded_share=0.0, start=start)
    tx = factory.make(trade_mode="9610")
    tx.lines = [GoodsLine(back, Decimal("40"))]
    tx.tax_total = estimate_retail_tax(tx)
    register_buyers(ctx.session, [tx])
    _send(ctx, tx)
    return 1


def load(ctx: DemoContext) -> str:
    session = ctx.session
    office = _agency(ctx, kinds.ZONE_OFFICE)
    market = _agency(ctx, kinds.MARKET_REGULATION)
    service.ensure_rules(session, ctx.zone_code)
    service.publish_safety_alert(
        session,
        market,
        title="进口纸尿裤甲醛含量超标风险警示",
        reason="抽检发现部分批次纸尿裤甲醛含量不符合GB/T 28004.1要求",
        hs_prefix="961900",
        keyword=None,
        active_from=ctx.today,
        active_until=ctx.today + dt.timedelta(days=180),
        notice_no="运市监质〔2026〕9号",
    )
    imports = _plant_imports(ctx)
    exports = _plant_exports(ctx)
    imports += _plant_round_trip(ctx)
    result = service.scan(session, ctx.zone_code)
    # Walk a few alerts through their handling so every state is on show.
    alerts = list(
        session.scalars(select(RiskAlert).where(RiskAlert.zone_code == ctx.zone_code).order_by(RiskAlert.id))
    )
    by_rule: dict[str, RiskAlert] = {}
    for a in alerts:
        by_rule.setdefault(a.rule_code, a)
    steps: dict[str, list[tuple[str, str, str | None]]] = {
        "BRUSH_SHARED_PHONE": [("assessed", "同一手机号关联7名购买人，调取平台订单日志核查", None)],
        "ORDER_SPLIT": [
            ("assessed", "同一购买人一日内6单化妆品，合计超过单次限值", None),
            ("disposed", "约谈电商企业，确认系拆单规避限值，责令整改", "confirmed"),
            ("followed_up", "企业已关闭该买家账户并提交整改报告", None),
            ("closed", "复查整改到位，规则阈值保持不变", None),
        ],
        "UNDERVALUED": [
            ("assessed", "申报单价不足备案价三成，调取支付凭证核对实付金额", None),
            ("disposed", "排除：系平台限时秒杀活动价，支付凭证与申报一致", "dismissed"),
            ("followed_up", "已要求企业今后在订单备注中标明促销活动编号", None),
        ],
    }
    walked = 0
    for code, plan in steps.items():
        alert = by_rule.get(code)
        if alert is None:
            continue
        for to_status, note, outcome in plan:
            service.advance_alert(session, office, alert.id, to_status=to_status, note=note, outcome=outcome)
        walked += 1
    hits = session.scalar(select(func.count(RiskHit.id)).where(RiskHit.zone_code == ctx.zone_code)) or 0
    rules_hit = session.scalar(
        select(func.count(func.distinct(RiskHit.rule_code))).where(RiskHit.zone_code == ctx.zone_code)
    )
    return (
        f"埋设风险交易：进口{imports}单、出口{exports}单；{hits}次命中（{rules_hit}条规则），"
        f"{len(alerts)}条预警，其中{walked}条已进入处置流程；扫描新增{result.hits}次"
    )
