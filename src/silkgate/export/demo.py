"""Demo step "export": months of realistic export trade of the zone's sellers — 9610 parcels to the US,
UK, Germany and Japan, 9710 B2B shipments, 9810 stock to an overseas warehouse, returns, partial and
over-collections — sent as real CEB messages through the shared `ingest` pipeline with their own
clock; then summary declarations proposed per month, the older ones submitted and accepted.

Rates are approximate demo values (marked as such in the table's source), not official rates.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import Party
from silkgate.demo import TRADING_MONTHS, DemoContext, trading_start
from silkgate.export import filings, fx, summary
from silkgate.export import messages as M
from silkgate.export.rules import summary_due_date as summary_due
from silkgate.models.export import ExchangeRate, ExportList, ExportSummary, ExportZoneSetting
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Enterprise, EnterpriseRole

D = Decimal
BEIJING = dt.timezone(dt.timedelta(hours=8))
DEMO_CUSTOMS = "0509"
MONTHS = TRADING_MONTHS

GOODS = [
    M.ExportGoods(
        "YC-APL-01", "冻干苹果脆片", "0813300000", "100克/袋，非油炸", "136", "035", D("0.1"), D("3.2")
    ),
    M.ExportGoods(
        "YC-JUI-02", "浓缩苹果汁饮料", "2009790000", "1升/瓶，NFC", "142", "035", D("1.05"), D("4.5")
    ),
    M.ExportGoods(
        "YC-SHO-03", "手工千层底布鞋", "6404199000", "纯棉鞋面，橡胶底", "025", "025", D("1"), D("18")
    ),
    M.ExportGoods(
        "YC-PAP-04", "剪纸装饰画", "4823909000", "30×40厘米，宣纸", "011", "035", D("0.2"), D("9.5")
    ),
    M.ExportGoods(
        "YC-BIK-05", "镁合金自行车曲柄", "8714910000", "170毫米，镁合金", "006", "035", D("0.45"), D("26")
    ),
    M.ExportGoods(
        "YC-CER-06", "陶瓷马克杯", "6912001000", "350毫升，日用陶瓷", "011", "035", D("0.4"), D("6.8")
    ),
]
# Destination, currency, weight in the mix.
MARKETS = [("502", "502", 5), ("303", "303", 2), ("304", "300", 2), ("116", "116", 1)]
RATES = {"502": "7.1", "303": "9.0", "300": "7.7", "116": "0.048"}
RATES_SOURCE = "演示汇率（近似值，非官方折算率）"


def load_demo_rates(session: Session, zone: str, today: dt.date) -> None:
    """The demo zone's rate table, valid from the first month of its history (trade_stats imports
    three years back), so that every figure of the demo converts: the statistics in US dollars of
    imports and exports alike, the historical months and the finance records. The clearance step
    loads it before the first list is released; loading it again changes nothing."""
    if session.scalar(
        select(ExchangeRate.id).where(ExchangeRate.zone_code == zone, ExchangeRate.source == RATES_SOURCE)
    ):
        return
    since = dt.date(today.year - 3, 1, 1).isoformat()
    rows = [fx.RateRow(c, r, since, RATES_SOURCE) for c, r in RATES.items()]
    fx.load_rates(session, rows, zone_code=zone, default_source=RATES_SOURCE, actor=None)


def _enterprise_by_user(session: Session, username: str) -> Enterprise | None:
    return session.scalar(
        select(Enterprise).join(User, User.org_id == Enterprise.org_id).where(User.username == username)
    )


def _by_role(session: Session, zone: str, role: str) -> list[Enterprise]:
    q = (
        select(Enterprise)
        .join(EnterpriseRole, EnterpriseRole.enterprise_id == Enterprise.id)
        .where(EnterpriseRole.role == role, Enterprise.zone_code == zone, Enterprise.status == "approved")
        .order_by(Enterprise.id)
    )
    return list(session.scalars(q))


def enterprise_principal(session: Session, e: Enterprise) -> Principal:
    """The enterprise acting for itself (its organisation), as the demo and the bench file for it."""
    org = session.get(Organisation, e.org_id)
    return Principal(
        org_id=e.org_id,
        org_kind="enterprise",
        org_name=org.name if org else e.name,
        zone_code=e.zone_code,
        enterprise_id=e.id,
    )


WAREHOUSE_COUNTRY = "502"  # the rebate-path seller's overseas warehouse (Ontario, CA)


def file_seller_profile(
    session: Session, e: Enterprise, role: str, p: Principal, rng: random.Random, today: dt.date
) -> None:
    """One of the three export seller profiles, filed through the export services: `exempt` (9610 on
    汇总申报 without purchase invoices, 无票免税 and 核定征收 approved), `statistics` (汇总统计) and
    `rebate` (汇总申报 with invoices, also 9710 and 9810 with a US overseas warehouse)."""
    filings.update_seller_setting(
        session,
        e,
        {
            "declaration_path": "summary_statistics" if role == "statistics" else "summary_declaration",
            "purchase_invoices": "held" if role == "rebate" else "none",
            "employees": str(rng.randint(12, 80)),
            "total_assets": str(rng.randint(2, 30) * 1_000_000),
        },
        p,
    )
    if role == "exempt":
        filings.set_deemed_levy_approval(session, e, True, p)
    if role != "rebate":
        return
    for mode in ("9710", "9810"):
        filings.file_b2b(
            session,
            e,
            {
                "trade_mode": mode,
                "customs_code": DEMO_CUSTOMS,
                "business_scope": "自产农副产品及日用消费品跨境电商出口",
            },
            p,
        )
    filings.file_warehouse(
        session,
        e,
        {
            "name": "洛杉矶安大略公共海外仓",
            "country": WAREHOUSE_COUNTRY,
            "address": "1200 S Milliken Ave, Ontario, CA 91761",
            "area_m2": "12000",
            "operator": "Yuncheng Overseas Logistics LLC",
            "ownership": "leased",
            "contract_no": "LA-2025-0318",
            "contract_valid_until": (today + dt.timedelta(days=400)).isoformat(),
        },
        p,
    )


def prepare(ctx: DemoContext) -> None:
    ctx.shared["export_list_count"] = ctx.session.scalar(
        select(func.count()).select_from(ExportList).where(ExportList.zone_code == ctx.zone_code)
    )


def load(ctx: DemoContext) -> str:
    session, rng, zone = ctx.session, ctx.rng, ctx.zone_code
    sellers = [e for e in (_enterprise_by_user(session, f"seller{i}") for i in (1, 2, 3)) if e is not None]
    sellers = sellers or _by_role(session, zone, "seller")[:3]
    platform = _enterprise_by_user(session, "platform1") or next(
        iter(_by_role(session, zone, "platform")), None
    )
    logistics = _enterprise_by_user(session, "logistics1") or next(
        iter(_by_role(session, zone, "logistics")), None
    )
    payment = _enterprise_by_user(session, "payment1") or next(iter(_by_role(session, zone, "payment")), None)
    if not sellers or platform is None or logistics is None or payment is None:
        return "没有可用的卖家、平台、物流或支付企业，跳过出口演示"

    zs = session.get(ExportZoneSetting, zone)
    if zs is None:
        session.add(ExportZoneSetting(zone_code=zone, customs_codes=[DEMO_CUSTOMS]))
    load_demo_rates(session, zone, ctx.today)
    first_month = trading_start(ctx.today)

    # seller 1: 9610 on 汇总申报 without invoices (无票免税, 核定征收); seller 2: 汇总统计;
    # seller 3: 汇总申报 with invoices (rebate path), also 9710 and 9810 with a US warehouse.
    roles = ["exempt", "statistics", "rebate"]
    for e, role in zip(sellers, roles, strict=False):
        p = enterprise_principal(session, e)
        file_seller_profile(session, e, role, p, rng, ctx.today)

    parties = {
        "platform": Party(platform.customs_code, platform.name),
        "logistics": Party(logistics.customs_code, logistics.name),
        "payment": Party(payment.customs_code, payment.name),
    }
    txs: list[tuple[Enterprise, M.ExportTransaction, str]] = []
    n = 0
    today = ctx.today
    day = first_month
    per_day: dict[dt.date, list[tuple[Enterprise, M.ExportTransaction, str]]] = defaultdict(list)
    while day <= today:
        for e, role in zip(sellers, roles, strict=False):
            if rng.random() > 0.3:
                continue
            n += 1
            mode = "9610"
            if role == "rebate" and rng.random() < 0.25:
                mode = rng.choice(["9710", "9810"])
            dest, cur, _ = rng.choices(MARKETS, weights=[m[2] for m in MARKETS])[0]
            if mode == "9810":
                dest, cur = "502", "502"
            goods = rng.sample(GOODS, rng.randint(1, 3))
            if mode == "9610":
                lines = [(g, D(rng.randint(1, 4))) for g in goods]
            else:
                # 75号: a B2B shipment goes on a list only within 5,000 CNY (larger ones: H2018 declaration)
                budget = D(rng.randint(300, 650))
                lines = [(g, D(max(5, int(budget / len(goods) / g.price)))) for g in goods]
            if cur == "116":
                lines = [
                    (
                        M.ExportGoods(
                            g.item_no,
                            g.name,
                            g.hs_code,
                            g.model,
                            g.unit,
                            g.unit1,
                            g.qty1_per_unit,
                            (g.price * D("148")).quantize(D("1")),
                        ),
                        q,
                    )
                    for g, q in lines
                ]
            at = dt.datetime(
                day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59), tzinfo=BEIJING
            )
            tx = M.ExportTransaction(
                seller=Party(e.customs_code, e.name),
                platform=parties["platform"],
                logistics=parties["logistics"],
                agent=Party(e.customs_code, e.name),
                payment=parties["payment"],
                order_no=f"YC{at:%y%m%d}{n:06d}",
                logistics_no=f"YT{at:%y%m%d}{n:08d}",
                cop_no=f"C{e.id:04d}{n:08d}",
                lines=lines,
                declared_at=at,
                trade_mode=mode,
                statistics_flag="A" if role == "statistics" else "B",
                currency=cur,
                country=dest,
                customs_code=DEMO_CUSTOMS,
                port_code=DEMO_CUSTOMS,
            )
            per_day[day].append((e, tx, role))
            txs.append((e, tx, role))
        day += dt.timedelta(days=1)

    def send(data: bytes, at: dt.datetime) -> None:
        ingest(session, data, received_at=at.astimezone(dt.UTC))

    returns = 0
    for day, batch in sorted(per_day.items()):
        recent = (today - day).days
        for _e, tx, role in batch:
            at = tx.declared_at
            send(M.order_xml(tx), at)
            if role != "statistics" and tx.trade_mode != "9810":
                share = rng.choices([D("1"), D("0.6"), D("1.05")], weights=[88, 8, 4])[0]
                amount = (tx.goods_value * share).quantize(D("0.01"))
                if recent > 2 or rng.random() < 0.5:
                    send(M.collection_xml(tx, amount, at + dt.timedelta(hours=1)), at)
            send(M.waybill_xml(tx), at)
            send(M.inventory_xml(tx), at + dt.timedelta(minutes=20))
        # one arrival and one departure message per day, listing the day's parcels (the newest stay waiting)
        # the last two days' first parcel is still on its way to the supervised site: its list waits
        arriving = [tx for k, (_e, tx, _r) in enumerate(batch) if recent > 1 or k > 0]
        base = dt.datetime(day.year, day.month, day.day, 20, 0, tzinfo=BEIJING)
        if arriving:
            log = parties["logistics"]
            send(
                M.arrival_xml(
                    log, log, [t.logistics_no for t in arriving], base, DEMO_CUSTOMS, f"A{day:%Y%m%d}"
                ),
                base,
            )
            if recent > 1:
                leave = base + dt.timedelta(hours=10)
                send(
                    M.departure_xml(
                        log, [t.logistics_no for t in arriving], leave, DEMO_CUSTOMS, f"D{day:%Y%m%d}"
                    ),
                    leave,
                )
        for _e, tx, role in batch:
            if role != "statistics" and tx.trade_mode == "9610" and recent > 20 and rng.random() < 0.04:
                lst = session.scalar(select(ExportList).where(ExportList.order_no == tx.order_no))
                if lst is not None and lst.status == "departed":
                    back = tx.declared_at + dt.timedelta(days=rng.randint(10, 20))
                    qty = min(tx.lines[0][1], D(rng.randint(1, 2)))
                    send(
                        M.refund_xml(
                            tx,
                            lst.invt_no,
                            [(1, qty)],
                            rng.choice(["买家退货：尺码不合适", "运输破损退回", "海外仓滞销退运"]),
                            back,
                        ),
                        back,
                    )
                    returns += 1

    # summaries: every complete month proposed; all but the last one submitted and accepted
    customs_org = session.scalar(
        select(Organisation).where(Organisation.kind == "customs", Organisation.zone_code == zone)
    )
    customs = (
        Principal(org_id=customs_org.id, org_kind="customs", org_name=customs_org.name, zone_code=zone)
        if customs_org
        else None
    )
    proposed = accepted = 0
    last_complete = today.replace(day=1) - dt.timedelta(days=1)
    month = first_month
    seq = 0
    while month <= last_complete:
        period = f"{month:%Y-%m}"
        for e, role in zip(sellers, roles, strict=False):
            if role == "statistics":
                continue
            made = summary.propose(session, e.id, period, enterprise_principal(session, e))
            proposed += len(made)
            if month.year == last_complete.year and month.month == last_complete.month:
                continue
            filed = dt.datetime.combine(summary_due(period) - dt.timedelta(days=4), dt.time(10), BEIJING)
            for s in made:
                summary.submit(session, s.id, enterprise_principal(session, e), at=filed)
                if customs is not None:
                    seq += 1
                    summary.record_result(
                        session,
                        s.id,
                        customs,
                        accepted=True,
                        sum_no=f"{DEMO_CUSTOMS}{month:%Y}{seq:010d}",
                        entry_id=f"{DEMO_CUSTOMS}{month:%Y}0{seq:09d}",
                        info="海关已接受，报关单已生成",
                        at=filed + dt.timedelta(days=1),
                    )
                    accepted += 1
        month = (month + dt.timedelta(days=32)).replace(day=1)

    # netting of overseas costs for the rebate-path seller
    if len(sellers) >= 3:
        p = enterprise_principal(session, sellers[2])
        for k, (kind, who, cost) in enumerate(
            [
                ("storage", "Yuncheng Overseas Logistics LLC", "420"),
                ("logistics", "UPS Ground", "186.5"),
                ("platform_fee", "Amazon.com Services", "312.8"),
            ]
        ):
            fx.add_netting(
                session,
                seller_id=sellers[2].id,
                zone_code=zone,
                values={
                    "period": f"{last_complete:%Y-%m}",
                    "kind": kind,
                    "counterparty": who,
                    "reference": f"INV-{last_complete:%Y%m}-{k + 1:03d}",
                    "currency": "502",
                    "amount": cost,
                },
                actor=p,
            )
    session.flush()
    lists = (
        session.scalar(select(func.count()).select_from(ExportList).where(ExportList.zone_code == zone)) or 0
    )
    summaries_n = (
        session.scalar(
            select(func.count())
            .select_from(ExportSummary)
            .where(ExportSummary.zone_code == zone, ExportSummary.status != "cancelled")
        )
        or 0
    )
    ctx.shared["export_list_count"] = lists
    return f"{len(txs)}笔出口交易（9610/9710/9810），{lists}票清单，{returns}笔退货，{summaries_n}份汇总申请（{accepted}份已被海关接受）"
