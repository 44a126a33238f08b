"""Demo step `credit`: agency reports for every approved enterprise (tax grades, forex classes, a
few customs certifications and one dishonest firm with overdue tax), penalties, a court judgement,
the negative list (one listed, one delisted), complaints in every state, a pending appeal and a
pending credit-repair application — all through the credit services, then every record rated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.credit import service
from silkgate.credit.service import ItemReport
from silkgate.demo import DemoContext
from silkgate.models.credit import CreditRecord
from silkgate.models.org import Organisation
from silkgate.models.registry import Enterprise
from silkgate.risk import complaints

TAX_WEIGHTS = (("A", 35), ("B", 45), ("M", 12), ("C", 6), ("D", 2))
FOREX_WEIGHTS = (("A", 92), ("B", 6), ("C", 2))


def _agency(ctx: DemoContext, kind: str) -> Principal:
    org_ids = ctx.shared.get("org_ids_by_kind", {}).get(kind) or []
    org = ctx.session.get(Organisation, org_ids[0]) if org_ids else None
    if org is None:
        raise RuntimeError(f"demo step credit needs the registry step's {kind} organisation")
    return principal_for_org(ctx.session, org)


def _own(ctx: DemoContext, ent: Enterprise) -> Principal:
    org = ctx.session.get(Organisation, ent.org_id)
    assert org is not None
    return principal_for_org(ctx.session, org)


def _approved(ctx: DemoContext) -> list[Enterprise]:
    return list(
        ctx.session.scalars(
            select(Enterprise)
            .where(Enterprise.zone_code == ctx.zone_code, Enterprise.status == "approved")
            .order_by(Enterprise.id)
        )
    )


def _pick(ctx: DemoContext, weights: tuple[tuple[str, int], ...]) -> str:
    values = [v for v, _ in weights]
    return ctx.rng.choices(values, weights=[w for _, w in weights])[0]


def _by_name(enterprises: list[Enterprise], fragment: str) -> Enterprise | None:
    return next((e for e in enterprises if fragment in e.name), None)


def load(ctx: DemoContext) -> str:
    session = ctx.session
    customs, tax, forex = _agency(ctx, kinds.CUSTOMS), _agency(ctx, kinds.TAX), _agency(ctx, kinds.FOREX)
    market, office = _agency(ctx, kinds.MARKET_REGULATION), _agency(ctx, kinds.ZONE_OFFICE)
    today = ctx.today
    enterprises = _approved(ctx)
    reports = 0
    for ent in enterprises:
        graded_on = today - dt.timedelta(days=ctx.rng.randint(30, 200))
        service.report_item(
            session,
            tax,
            ent.id,
            ItemReport("tax_grade", graded_on, value=_pick(ctx, TAX_WEIGHTS), summary="年度纳税信用评价"),
        )
        service.report_item(
            session,
            forex,
            ent.id,
            ItemReport(
                "forex_class", graded_on, value=_pick(ctx, FOREX_WEIGHTS), summary="货物贸易外汇管理分类"
            ),
        )
        reports += 2
    certified = {
        "丝路云商": "advanced_certified",
        "中欧班列": "advanced_certified",
        "盐湖美妆": "certified",
        "诚信报关": "certified",
        "海淘宝贝": "certified",
    }
    for fragment, level in certified.items():
        certified_ent = _by_name(enterprises, fragment)
        if certified_ent is not None:
            service.report_item(
                session,
                customs,
                certified_ent.id,
                ItemReport(
                    "customs_level", today - dt.timedelta(days=90), value=level, summary="海关认证（AEO）"
                ),
            )
            reports += 1
    # A dishonest firm: tax unpaid more than three months after it fell due (Order 251 Art. 22 (4)),
    # dishonest since 5 months; it has paid since and applies for credit repair.
    watches = _by_name(enterprises, "时光钟表")
    if watches is not None:
        due = today - dt.timedelta(days=260)
        service.report_item(
            session,
            customs,
            watches.id,
            ItemReport(
                "tax_arrears",
                due,
                amount=Decimal("86420.50"),
                document_no="运关税缴〔2025〕118号",
                summary="跨境电商进口税款逾期未缴",
            ),
        )
        service.report_item(
            session,
            customs,
            watches.id,
            ItemReport(
                "customs_level",
                today - dt.timedelta(days=150),
                value="dishonest",
                summary="自缴纳期限届满之日起超过3个月仍未缴纳税款",
            ),
        )
        service.report_item(
            session,
            customs,
            watches.id,
            ItemReport(
                "admin_penalty",
                today - dt.timedelta(days=170),
                amount=Decimal("120000"),
                document_no="运关缉违字〔2025〕0213号",
                summary="申报价格不实",
            ),
        )
        reports += 3
        service.apply_for_repair(
            session,
            _own(ctx, watches),
            ground="tax_overdue",
            corrective_action="已于上月缴清全部税款及滞纳金，并建立报关复核制度，附缴款书。",
            obligations_fulfilled=True,
        )
    toys = _by_name(enterprises, "乐童玩具")
    if toys is not None:
        service.report_item(
            session,
            market,
            toys.id,
            ItemReport(
                "admin_penalty",
                today - dt.timedelta(days=70),
                amount=Decimal("50000"),
                document_no="运市监处〔2026〕77号",
                summary="销售不符合安全标准的儿童玩具",
            ),
        )
        reports += 1
        service.list_on_negative_list(
            session,
            office,
            toys.id,
            reason_category="product_safety",
            reason="销售强磁体玩具被市场监管部门处罚且拒不召回",
            listed_on=today - dt.timedelta(days=60),
            basis_document="运综试办〔2026〕12号",
        )
    kitchen = _by_name(enterprises, "厨艺家居")
    if kitchen is not None:
        entry = service.list_on_negative_list(
            session,
            office,
            kitchen.id,
            reason_category="fake_trade",
            reason="组织刷单虚构交易",
            listed_on=today - dt.timedelta(days=240),
            basis_document="运综试办〔2025〕31号",
        )
        service.delist(
            session,
            office,
            entry.id,
            reason="整改验收合格，期满移出",
            delisted_on=today - dt.timedelta(days=50),
        )
        service.report_item(
            session,
            office,
            kitchen.id,
            ItemReport(
                "court_judgement",
                today - dt.timedelta(days=120),
                amount=Decimal("35000"),
                document_no="（2025）晋0802民初4417号",
                summary="买卖合同纠纷败诉",
            ),
        )
        reports += 1
    grain = _by_name(enterprises, "金谷食品")
    if grain is not None:  # a firm to watch (D): downgraded by tax and forex, fined by customs
        service.report_item(
            session,
            tax,
            grain.id,
            ItemReport("tax_grade", today - dt.timedelta(days=20), value="C", summary="年度纳税信用复评下调"),
        )
        service.report_item(
            session,
            forex,
            grain.id,
            ItemReport(
                "forex_class", today - dt.timedelta(days=15), value="B", summary="收汇异常，下调为B类"
            ),
        )
        service.report_item(
            session,
            customs,
            grain.id,
            ItemReport(
                "admin_penalty",
                today - dt.timedelta(days=40),
                amount=Decimal("20000"),
                document_no="运关缉违字〔2026〕0057号",
                summary="申报商品编码不实",
            ),
        )
        reports += 3
    fashion = _by_name(enterprises, "潮品服饰")
    filed = 0
    if fashion is not None:
        ip = complaints.file_complaint(
            session,
            ctx.zone_code,
            complaints.ComplaintForm(
                kind="ip",
                enterprise=fashion.uscc,
                complainant_name="某国际体育用品有限公司",
                contact="ipr@example.com",
                subject="销售假冒注册商标的运动服",
                description="店铺所售运动服使用我司第1234567号注册商标，经鉴定为假冒。",
                right_type="trademark",
                right_no="第1234567号",
            ),
        )
        complaints.respond(
            session, _own(ctx, fashion), ip.id, "已下架涉事商品，正在核查供货渠道，愿意协商赔偿。"
        )
        complaints.resolve(
            session, office, ip.id, outcome="upheld", resolution="经市场监管部门认定侵权成立，已下架并赔偿。"
        )
        filed += 1
    beauty = _by_name(enterprises, "盐湖美妆")
    if beauty is not None:
        for subject, text in (
            ("面霜疑似临期", "收到的面霜距离过期不足三个月，页面未标注，要求退货退款。"),
            ("物流超时未送达", "订单已付款20天仍未收到包裹，物流信息停止更新。"),
        ):
            complaints.file_complaint(
                session,
                ctx.zone_code,
                complaints.ComplaintForm(
                    kind="dispute",
                    enterprise=beauty.uscc,
                    complainant_name="张丽",
                    contact="13812345678",
                    subject=subject,
                    description=text,
                    order_no=f"SO{ctx.rng.randrange(10**9):09d}",
                ),
            )
            filed += 1
    baby = _by_name(enterprises, "海淘宝贝")
    if baby is not None:
        service.record_platform_item(session, baby.id, "late_summary", summary="2026年第二季度汇总申报逾期")
        service.file_appeal(
            session,
            _own(ctx, baby),
            grounds="汇总申报逾期系单一窗口系统故障所致，附系统故障通知截图。",
            factor_code="late_summary",
        )
    for ent in enterprises:
        service.recompute(session, ent.id, "demo")
    session.flush()
    ctx.shared["credit_demo"] = {"reports": reports, "complaints": filed}
    return final_summary(ctx)


def final_summary(ctx: DemoContext) -> str:
    """What the credit pages show once every step has run (the demo prints it after the last step:
    later steps' trade and risk findings re-rate enterprises, and the tiles show the result)."""
    session = ctx.session
    tiers = service.tier_distribution(session, ctx.zone_code)
    listed = session.scalar(
        select(func.count())
        .select_from(CreditRecord)
        .where(CreditRecord.zone_code == ctx.zone_code, CreditRecord.on_negative_list.is_(True))
    )
    counts = ctx.shared.get("credit_demo", {})
    spread = "，".join(f"{t}级{n}家" for t, n in tiers.items() if n)
    return (
        f"{sum(tiers.values())}家企业信用档案（{spread}），{counts.get('reports', 0)}条部门信用信息，"
        f"负面清单{listed or 0}家在列，投诉{counts.get('complaints', 0)}件"
    )
