"""Demo step `registry`: the zone's organisations and logins, ~40 filed enterprises of every role
(a few pending, one rejected) and ~150 filed goods, all through the registry services.

Logins (password `silkgate-demo`) for the default zone: zone_admin, customs, tax, forex, commerce,
market, bank, insurer, park, seller1..seller3, platform1, logistics1, payment1, broker1,
warehouse1, tradeservice1, and applicant1 (an enterprise whose filing awaits approval). Another zone's logins carry its short code: `zone_admin_hz`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.auth.service import create_organisation, create_user, principal_for_org
from silkgate.demo import DEFAULT_ZONE, DEMO_PASSWORD, DemoContext, synth, trading_start
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Commodity, Enterprise, EnterpriseChange, EnterpriseRole
from silkgate.models.zone import Zone
from silkgate.registry import service
from silkgate.registry.bootstrap import ensure_reference_data
from silkgate.registry.rules import gs1_check_digit

# (kind, login, name template; {city} is the city without 市)
ORGANISATIONS = (
    (kinds.ZONE_OFFICE, "zone_admin", "中国({city})跨境电子商务综合试验区建设工作领导小组办公室"),
    (kinds.CUSTOMS, "customs", "{city}海关"),
    (kinds.TAX, "tax", "国家税务总局{city}市税务局"),
    (kinds.FOREX, "forex", "国家外汇管理局{city}市分局"),
    (kinds.COMMERCE, "commerce", "{city}市商务局"),
    (kinds.MARKET_REGULATION, "market", "{city}市市场监督管理局"),
    (kinds.BANK, "bank", "中国银行股份有限公司{city}分行"),
    (kinds.INSURER, "insurer", "中国出口信用保险公司{city}营业部"),
    (kinds.PARK_OPERATOR, "park", "{city}跨境电子商务产业园运营管理有限公司"),
)

# (roles, name template, login or None, status); 40 enterprises.
ENTERPRISES: tuple[tuple[tuple[str, ...], str, str | None, str], ...] = (
    (("platform",), "{city}丝路云商网络科技有限公司", "platform1", "approved"),
    (("platform", "seller"), "{city}易贸通跨境电子商务有限公司", None, "approved"),
    (("platform",), "{city}优品汇国际电子商务平台有限公司", None, "approved"),
    (("seller",), "{city}盐湖美妆进出口贸易有限公司", "seller1", "approved"),
    (("seller",), "{city}晋果优品跨境电商有限公司", "seller2", "approved"),
    (("seller",), "{city}海淘宝贝母婴用品有限公司", "seller3", "approved"),
    (("seller",), "{city}金谷食品进出口有限公司", None, "approved"),
    (("seller",), "{city}澳新营养品贸易有限公司", None, "approved"),
    (("seller",), "{city}欧陆酒业跨境贸易有限公司", None, "approved"),
    (("seller",), "{city}潮品服饰电子商务有限公司", None, "approved"),
    (("seller",), "{city}步履鞋业进出口有限公司", None, "approved"),
    (("seller",), "{city}臻品箱包皮具贸易有限公司", None, "approved"),
    (("seller",), "{city}时光钟表珠宝贸易有限公司", None, "approved"),
    (("seller",), "{city}智联数码科技有限公司", None, "approved"),
    (("seller",), "{city}乐童玩具进出口有限公司", None, "approved"),
    (("seller",), "{city}厨艺家居用品有限公司", None, "approved"),
    (("seller",), "{city}关公故里文化创意有限公司", None, "approved"),
    (("seller",), "{city}黄河农产品跨境贸易有限公司", None, "approved"),
    (("seller",), "{city}东盟优选商贸有限公司", None, "approved"),
    (("seller",), "{city}日韩美妆个护贸易有限公司", None, "approved"),
    (("seller",), "{city}运动户外用品有限公司", None, "approved"),
    (("seller",), "{city}新锐家电电子商务有限公司", "applicant1", "pending"),
    (("seller",), "{city}悦享生活跨境电商有限公司", None, "pending"),
    (("seller",), "{city}鑫源进出口贸易有限公司", None, "pending"),
    (("seller",), "{city}速购国际贸易有限公司", None, "rejected"),
    (("logistics",), "{city}顺达国际物流有限公司", "logistics1", "approved"),
    (("logistics", "warehouse"), "{city}中欧班列供应链管理有限公司", None, "approved"),
    (("logistics",), "{city}空港国际快件有限公司", None, "approved"),
    (("logistics",), "{city}邮政跨境物流有限公司", None, "approved"),
    (("logistics",), "{city}捷运冷链物流有限公司", None, "pending"),
    (("payment",), "{city}汇付天成支付服务有限公司", "payment1", "approved"),
    (("payment",), "晋商通网络支付有限公司", None, "approved"),
    (("payment",), "{city}银通跨境支付有限公司", None, "approved"),
    (("broker",), "{city}诚信报关代理有限公司", "broker1", "approved"),
    (("broker",), "{city}关通供应链报关有限公司", None, "approved"),
    (("broker",), "{city}华通国际货运代理有限公司", None, "approved"),
    (("warehouse",), "{city}保税物流中心仓储有限公司", "warehouse1", "approved"),
    (("warehouse",), "{city}综保区公共保税仓储有限公司", None, "approved"),
    (("trade_service",), "{city}外贸综合服务有限公司", "tradeservice1", "approved"),
    (("trade_service", "broker"), "{city}一达通外贸服务有限公司", None, "approved"),
)
REJECTION_REASON = "营业执照经营范围不含进出口业务，且未上传海关报关单位备案回执，请补正后重新提交"
SHOP_PLATFORMS = ("亚马逊", "速卖通", "阿里巴巴国际站", "Shopee", "TikTok Shop", "Temu", "Lazada", "独立站")
BANKS = ("中国银行", "中国工商银行", "中国建设银行", "中国农业银行", "交通银行", "招商银行", "晋商银行")


@dataclass(frozen=True)
class Product:
    name: str
    brand: str
    hs_code: str
    origin: str  # customs country code
    unit: str
    unit2: str | None
    price: str  # CNY
    model: str
    elements: str


# Goods sellers file: names, brands and declared elements as an importer would write them.
# fmt: off
CATALOGUE = (
    Product("保湿修护面霜 50ml", "AUSPURE 澳纯", "3304990099", "601", "035", "011", "258", "50ml/瓶", "0|0|保湿|霜状|50ml"),
    Product("玻尿酸精华液 30ml", "Lumière 露美", "3304990099", "305", "035", "011", "420", "30ml/瓶", "0|0|补水|液状|30ml"),
    Product("哑光丝绒口红 3.5g", "Rouge Paris", "3304100000", "305", "035", "011", "310", "3.5g/支", "0|0|唇用|膏状|3.5g"),
    Product("持久防水睫毛膏 8ml", "K-Beauty 韩妍", "3304200000", "133", "035", "011", "145", "8ml/支", "0|0|眼用|膏状|8ml"),
    Product("淡香水 100ml", "Maison Fleur", "3303000000", "305", "035", "011", "890", "100ml/瓶", "0|0|香水|100ml"),
    Product("控油蓬松洗发水 500ml", "Sakura Care", "3305100000", "116", "035", None, "89", "500ml/瓶", "0|0|洗发|500ml"),
    Product("氨基酸洁面乳 120g", "Sakura Care", "3401300000", "116", "035", None, "95", "120g/支", "0|0|洁面|120g"),
    Product("美白牙膏 100g", "DentaPro", "3306101000", "304", "035", None, "49", "100g/支", "0|0|牙膏|100g"),
    Product("婴幼儿配方奶粉 1段 800g", "a-Pure 澳爱", "1901101000", "601", "035", None, "268", "800g/罐", "0|0|1段|0-6月|800g"),
    Product("婴幼儿配方奶粉 3段 800g", "NordBaby 诺贝", "1901101000", "309", "035", None, "238", "800g/罐", "0|0|3段|1-3岁|800g"),
    Product("全脂高钙奶粉 1kg", "Kiwi Farm 新牧", "0402210000", "609", "035", None, "129", "1kg/袋", "0|0|全脂|未加糖|1kg"),
    Product("婴儿纸尿裤 L码 54片", "Hoshi 星之", "9619001100", "116", "035", None, "139", "L*54片/包", "0|0|婴儿|L码|54片"),
    Product("宝宝有机米粉 225g", "NordBaby 诺贝", "1901109000", "309", "035", None, "69", "225g/盒", "0|0|6月以上|225g"),
    Product("鱼油软胶囊 200粒", "Swiss Vita 瑞维", "2106909090", "601", "035", None, "198", "200粒/瓶", "0|0|软胶囊|200粒"),
    Product("复合维生素片 60片", "Swiss Vita 瑞维", "2106909090", "502", "035", None, "159", "60片/瓶", "0|0|片剂|60片"),
    Product("乳清蛋白粉 2.27kg", "IronFit", "2106100000", "502", "035", None, "489", "2.27kg/桶", "0|0|乳清蛋白|2.27kg"),
    Product("麦卢卡蜂蜜 UMF10+ 250g", "Kiwi Farm 新牧", "0409000000", "609", "035", None, "238", "250g/瓶", "0|0|UMF10+|250g"),
    Product("西班牙特级初榨橄榄油 1L", "Oliva Sol", "1509200000", "312", "035", None, "118", "1L/瓶", "0|0|特级初榨|1L"),
    Product("法国波尔多干红葡萄酒 750ml", "Château Lune", "2204210000", "305", "095", "035", "268", "750ml/瓶", "0|0|干红|13.5%vol|750ml"),
    Product("智利赤霞珠红葡萄酒 750ml", "Andes Valle", "2204210000", "412", "095", "035", "128", "750ml/瓶", "0|0|干红|13%vol|750ml"),
    Product("意大利起泡酒 750ml", "Vivace", "2204100000", "307", "095", "035", "158", "750ml/瓶", "0|0|起泡|11%vol|750ml"),
    Product("黑巧克力 100g", "Alpen Choco", "1806320000", "331", "035", None, "39", "100g/块", "0|0|非夹心|100g"),
    Product("蓝山咖啡豆 500g", "Blue Ridge", "0901210000", "502", "035", None, "168", "500g/袋", "0|0|已焙炒|500g"),
    Product("新西兰猕猴桃 3kg", "Kiwi Farm 新牧", "0810500000", "609", "035", None, "128", "3kg/箱", "0|0|鲜|3kg"),
    Product("泰国金枕榴莲 约3kg", "Siam Fruit", "0810600000", "136", "035", None, "299", "约3kg/个", "0|0|鲜|金枕"),
    Product("纯棉圆领T恤", "Northline", "6109100000", "502", "011", "035", "129", "M/L/XL", "0|0|针织|棉100%|男式"),
    Product("羊绒针织开衫", "Highland", "6110120000", "303", "011", "035", "1280", "S/M/L", "0|0|针织|山羊绒100%|女式"),
    Product("女式棉质连衣裙", "Petit Jour", "6204420000", "305", "011", "035", "560", "S/M/L", "0|0|机织|棉100%|女式"),
    Product("男式羽绒服", "Nordkap", "6201301000", "330", "011", "035", "1890", "M/L/XL", "0|0|机织|棉面|羽绒"),
    Product("儿童纯棉连体衣", "Hoshi 星之", "6111200000", "116", "035", None, "129", "73/80/90", "0|0|针织|棉100%|婴儿"),
    Product("缓震跑步鞋", "StrideMax", "6404110000", "502", "035", "025", "699", "38-45码", "0|0|纺织鞋面|橡胶底|运动"),
    Product("真皮男士商务皮鞋", "Milano Passo", "6403990000", "307", "035", "025", "1380", "39-44码", "0|0|牛皮鞋面|橡胶底"),
    Product("小羊皮手提包", "Maison Fleur", "4202210000", "305", "035", "007", "3580", "25*18*10cm", "0|0|羊皮革|手提包"),
    Product("尼龙双肩背包", "Northline", "4202920000", "502", "035", "007", "499", "30*45*15cm", "0|0|尼龙|双肩包"),
    Product("真皮短款钱包", "Milano Passo", "4202310000", "307", "035", "007", "680", "11*9cm", "0|0|牛皮|钱包"),
    Product("偏光太阳镜", "SolVista", "9004100000", "307", "035", "019", "890", "58mm", "0|0|偏光|太阳镜"),
    Product("瑞士自动机械腕表", "Helvetia Time", "9102210000", "331", "008", "035", "6800", "40mm 钢表壳", "0|0|自动上弦|钢壳|机械显示"),
    Product("石英女士腕表", "Tokei 时计", "9102110000", "116", "008", "035", "1680", "32mm", "0|0|电子|指针显示"),
    Product("淡水珍珠项链", "Perle Mer", "7116100000", "601", "035", None, "1280", "45cm", "0|0|淡水养殖珍珠|项链"),
    Product("18K金钻石耳钉", "Lumière 露美", "7113191100", "305", "036", None, "4680", "0.1ct*2", "0|0|18K金|镶钻"),
    Product("真无线降噪耳机", "SonicWave", "8518300000", "116", "007", "035", "1499", "蓝牙5.3", "0|0|耳塞式|无线"),
    Product("便携蓝牙音箱", "SonicWave", "8518220000", "502", "007", "035", "899", "20W", "0|0|多喇叭|蓝牙"),
    Product("平板电脑 11英寸 128GB", "TabOne", "8471301000", "133", "001", "035", "3299", "11英寸/128GB", "0|0|平板电脑|11英寸|128GB"),
    Product("20000mAh 快充移动电源", "VoltGo", "8507600000", "133", "007", "035", "259", "20000mAh", "0|0|锂离子|20000mAh"),
    Product("高速负离子吹风机", "AeroBeauty", "8516310000", "116", "007", "035", "1299", "1600W", "0|0|电吹风|1600W"),
    Product("声波电动牙刷", "DentaPro", "8509809000", "304", "001", "035", "599", "充电式", "0|0|电动牙刷|家用"),
    Product("多功能料理机", "Küchen Meister", "8509409000", "304", "001", "035", "1680", "1.5L", "0|0|食品搅拌|家用"),
    Product("益智拼搭积木 1000片", "BrickLab", "9503006000", "309", "006", "035", "899", "1000片/盒", "0|0|塑料|拼搭积木"),
    Product("毛绒泰迪熊 40cm", "TeddyHaus", "9503002100", "304", "007", "035", "299", "40cm", "0|0|毛绒|动物玩具"),
    Product("遥控越野车 1:16", "RCMax", "9503008300", "116", "007", "035", "459", "1:16", "0|0|遥控|带动力"),
    Product("不锈钢保温杯 500ml", "Thermo Nippon", "9617001900", "116", "007", "035", "239", "500ml", "0|0|不锈钢|真空"),
    Product("骨瓷餐具 16件套", "Royal Bone", "6911101100", "303", "035", None, "1280", "16件/套", "0|0|骨瓷|餐具"),
    Product("不锈钢炒锅 32cm", "Küchen Meister", "7323930000", "304", "035", None, "899", "32cm", "0|0|不锈钢|炒锅"),
    Product("耐热玻璃保鲜盒 4件套", "GlassLock", "7013420000", "133", "035", None, "199", "4件/套", "0|0|耐热玻璃|厨房"),
    Product("高尔夫球 12粒装", "EagleTee", "9506320000", "502", "007", "035", "399", "12粒/盒", "0|0|高尔夫球|12粒"),
)
# fmt: on


def _city(zone: Zone) -> str:
    return zone.city.removesuffix("市")


def demo_accounts(session: Session, zone_code: str) -> list[tuple[str, list[str]]]:
    """The demo logins of a zone, grouped by what they are (综试办, 海关, …, 电商企业), in the order
    of ORGANISATIONS and ENTERPRISES: what `silkgate demo` prints last."""
    zone = session.get(Zone, zone_code)
    if zone is None:
        return []
    groups: dict[str, list[str]] = {}
    for kind, login, _template in ORGANISATIONS:
        groups.setdefault(kinds.KIND_LABELS[kind], []).append(_login(login, zone))
    for roles, _template, enterprise_login, status in ENTERPRISES:
        if enterprise_login is None:
            continue
        label = "待审核企业" if status == "pending" else kinds.ROLE_LABELS[roles[0]]
        groups.setdefault(label, []).append(_login(enterprise_login, zone))
    wanted = [name for names in groups.values() for name in names]
    existing = set(session.scalars(select(User.username).where(User.username.in_(wanted))))
    return [
        (label, [n for n in names if n in existing])
        for label, names in groups.items()
        if existing & set(names)
    ]


def _login(base: str, zone: Zone) -> str:
    if zone.code == DEFAULT_ZONE:
        return base
    return f"{base}_{zone.short.lower().replace('-', '_')}"


# GS1 company prefixes by origin, so the synthetic EAN-13 barcodes look like the real ones.
# fmt: off
GS1_PREFIX = {
    "601": "93", "609": "94", "305": "30", "304": "40", "307": "80", "312": "84", "309": "87", "303": "50",
    "331": "76", "330": "73", "116": "45", "133": "880", "136": "885", "502": "0", "412": "780",
}
# fmt: on


def _barcode(rng: random.Random, origin: str) -> str:
    body = GS1_PREFIX.get(origin, "69")
    body += "".join(str(rng.randrange(10)) for _ in range(12 - len(body)))
    return body + gs1_check_digit(body)


def working_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """Office hours (Beijing) on `day`, moved forward to a Monday–Friday: filings are handled on
    working days, not at the minute the demo was loaded."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    beijing = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.randint(0, 59)), beijing).astimezone(
        dt.UTC
    )


def _backdate_filing(
    session: Session, enterprise: Enterprise, filed: dt.datetime, decided: dt.datetime
) -> None:
    """The filing's own history at the days it happened (filed, then decided a few days later)."""
    enterprise.created_at = filed
    enterprise.updated_at = decided if enterprise.decided_at is not None else filed
    if enterprise.decided_at is not None:
        enterprise.decided_at = decided
    for change in session.scalars(
        select(EnterpriseChange).where(EnterpriseChange.enterprise_id == enterprise.id)
    ):
        change.at = filed if change.action == "filed" else decided
    session.flush()


class _DemoLogins:
    """Demo users share one password, so its Argon2id hash is computed once and reused (the demo
    password is public anyway); each login still goes through create_user's checks first time."""

    def __init__(self) -> None:
        self.password_hash: str | None = None

    def add(self, session: Session, org_id: int, username: str, display_name: str) -> None:
        if self.password_hash is None:
            user = create_user(
                session, org_id=org_id, username=username, password=DEMO_PASSWORD, display_name=display_name
            )
            self.password_hash = user.password_hash
            return
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ValueError(f"demo login {username} already exists")
        session.add(
            User(
                org_id=org_id, username=username, display_name=display_name, password_hash=self.password_hash
            )
        )
        session.flush()


def load(ctx: DemoContext) -> str:
    session, rng = ctx.session, ctx.rng
    zone = session.get(Zone, ctx.zone_code)
    if zone is None:
        raise ValueError(f"unknown zone {ctx.zone_code}")
    city = _city(zone)
    org_ids: dict[str, list[int]] = defaultdict(list)
    zone_office: Principal | None = None
    logins = _DemoLogins()
    for kind, login, template in ORGANISATIONS:
        # Banks and insurers serve many zones and belong to none (their reads are audited in the
        # zone of the data they read).
        org_zone = None if kind in kinds.FINANCE_KINDS else zone.code
        org = create_organisation(session, kind=kind, name=template.format(city=city), zone_code=org_zone)
        logins.add(session, org.id, _login(login, zone), f"{kinds.KIND_LABELS[kind]}演示用户")
        org_ids[kind].append(org.id)
        if kind == kinds.ZONE_OFFICE:
            zone_office = principal_for_org(session, org)
    assert zone_office is not None

    commodities = 0
    enterprises: list[Enterprise] = []
    first_trade = trading_start(ctx.today)
    for index, (roles, template, enterprise_login, status) in enumerate(ENTERPRISES):
        name = template.format(city=city)
        division = zone.code
        shops = []
        if "seller" in roles:
            for platform in rng.sample(SHOP_PLATFORMS, k=rng.randint(1, 3)):
                shop_name = (
                    f"{city}{name[len(city) : len(city) + 4]}{platform if platform != '独立站' else '官网'}店"
                )
                shops.append({"platform": platform, "shop": shop_name})
        legal = synth.person_name(rng)
        enterprise = service.file_enterprise(
            session,
            {
                "uscc": synth.uscc(rng, division),
                "customs_code": synth.customs_code(rng, division),
                "name": name,
                "name_en": None,
                "roles": list(roles),
                "legal_representative": legal,
                "contact_name": synth.person_name(rng),
                "contact_phone": synth.phone(rng),
                "contact_email": f"contact{index + 1:02d}@example.cn",
                "registered_address": f"{zone.province}{zone.city}{rng.choice(synth.STREETS)}{rng.randint(1, 399)}号",
                "district": rng.choice(zone.districts) if zone.districts else None,
                "settlement_bank": f"{rng.choice(BANKS)}{city}分行",
                "settlement_account": "".join(str(rng.randrange(10)) for _ in range(19)),
                "shops": shops,
            },
            zone_code=zone.code,
            actor=zone_office,
        )
        if status == "approved":
            service.approve_enterprise(session, enterprise.id, zone_office)
        elif status == "rejected":
            service.reject_enterprise(session, enterprise.id, zone_office, REJECTION_REASON)
        # Filed over the year before the zone's live trade (the pending ones in the last fortnight),
        # each decided two to six working days later.
        if status == "pending":
            filed = working_moment(rng, ctx.today - dt.timedelta(days=rng.randint(2, 14)))
        else:
            filed = working_moment(rng, first_trade - dt.timedelta(days=400 - index * 9 + rng.randint(0, 6)))
        _backdate_filing(session, enterprise, filed, filed + dt.timedelta(days=rng.randint(2, 6)))
        enterprises.append(enterprise)
        org_ids[kinds.ENTERPRISE].append(enterprise.org_id)
        if enterprise_login:
            logins.add(session, enterprise.org_id, _login(enterprise_login, zone), f"{name[:12]}演示用户")

    # Goods: each approved seller or platform files a slice of the catalogue (~150 in all).
    filers = [
        e
        for e, (roles, _t, _l, _s) in zip(enterprises, ENTERPRISES, strict=True)
        if e.status == "approved" and {"seller", "platform"} & set(roles)
    ]
    offset = 0
    for n, owner in enumerate(filers):
        count = 8 if n % 3 else 9
        for k in range(count):
            product = CATALOGUE[(offset + k) % len(CATALOGUE)]
            good = service.file_commodity(
                session,
                owner,
                {
                    "item_no": f"{zone.short.replace('-', '')}{owner.id:03d}-{k + 1:03d}",
                    "name": product.name,
                    "hs_code": product.hs_code,
                    "declared_elements": product.elements,
                    "brand": product.brand,
                    "model": product.model,
                    "origin_country": product.origin,
                    "unit": product.unit,
                    "unit2": product.unit2,
                    "unit_price": Decimal(product.price),
                    "barcode": _barcode(rng, product.origin),
                },
                actor=zone_office,
            )
            filed_on = (owner.decided_at or owner.created_at) + dt.timedelta(days=1 + (k * 5) % 40)
            good.created_at = good.updated_at = working_moment(rng, filed_on.date())
            commodities += 1
        offset += count
    prepare(ctx)
    pending = sum(1 for e in enterprises if e.status == "pending")
    return (
        f"{zone.name}：{sum(len(v) for v in org_ids.values())}个机构，{len(enterprises)}家企业备案"
        f"（待审核{pending}家、驳回1家），{commodities}个商品备案，演示账号密码 {DEMO_PASSWORD}"
    )


def prepare(ctx: DemoContext) -> None:
    """Make sure the reference data (zones, tariff) is in place, then re-read what this step made
    into ctx.shared (also when it was loaded by an earlier run)."""
    session = ctx.session
    ensure_reference_data(session)
    org_ids: dict[str, list[int]] = defaultdict(list)
    for org_id, kind in session.execute(
        select(Organisation.id, Organisation.kind)
        .where(Organisation.zone_code == ctx.zone_code)
        .order_by(Organisation.id)
    ).tuples():
        org_ids[kind].append(org_id)
    zone = session.get(Zone, ctx.zone_code)
    if zone is not None:
        finance_logins = [
            _login(login, zone) for kind, login, _ in ORGANISATIONS if kind in kinds.FINANCE_KINDS
        ]
        for org_id, kind in session.execute(
            select(Organisation.id, Organisation.kind)
            .join(User, User.org_id == Organisation.id)
            .where(User.username.in_(finance_logins))
            .order_by(Organisation.id)
        ).tuples():
            org_ids[kind].append(org_id)
    by_role: dict[str, list[int]] = defaultdict(list)
    for ent_id, role in session.execute(
        select(EnterpriseRole.enterprise_id, EnterpriseRole.role)
        .join(Enterprise, Enterprise.id == EnterpriseRole.enterprise_id)
        .where(Enterprise.zone_code == ctx.zone_code, Enterprise.status == "approved")
        .order_by(EnterpriseRole.enterprise_id)
    ).tuples():
        by_role[role].append(ent_id)
    goods: dict[int, list[int]] = defaultdict(list)
    for commodity_id, ent_id in session.execute(
        select(Commodity.id, Commodity.enterprise_id)
        .where(Commodity.zone_code == ctx.zone_code)
        .order_by(Commodity.id)
    ).tuples():
        goods[ent_id].append(commodity_id)
    offices = org_ids.get(kinds.ZONE_OFFICE) or []
    ctx.shared["zone_office_org_id"] = offices[0] if offices else None
    ctx.shared["org_ids_by_kind"] = dict(org_ids)
    ctx.shared["enterprise_ids_by_role"] = dict(by_role)  # approved filings only: they may trade
    ctx.shared["commodity_ids_by_enterprise"] = dict(goods)
