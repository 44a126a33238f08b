"""Each shipped rule: data that must trigger it and data that must not (Order 282 aside, these are
the zone's own rules; FATF–Egmont TBML indicators for the money-laundering ones)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from credit.support import agency, declare
from factories import make_commodity, make_enterprise
from risk.support import codes, only, seller_and_platform
from silkgate.kit.cebtime import now_utc
from silkgate.risk import service


def test_shared_phone_triggers_at_threshold_and_not_below(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "BRUSH_SHARED_PHONE")
    for i in range(4):
        declare(session, seller, ebp=platform, buyer=f"11010119900101{i:04d}", phone="13911112222")
    below = declare(session, seller, ebp=platform, buyer="110101199001019998", phone="13911113333")
    assert codes(service.evaluate_declaration(session, below)) == set()
    fifth = declare(session, seller, ebp=platform, buyer="110101199001019999", phone="13911112222")
    hits = service.evaluate_declaration(session, fifth)
    assert codes(hits) == {"BRUSH_SHARED_PHONE"}
    assert hits[0].evidence["distinct_buyers"] == 5 and hits[0].rule_version == 1
    assert (
        fifth.business_no in hits[0].evidence["lists"] and below.business_no not in hits[0].evidence["lists"]
    )
    assert "13911112222" not in str(hits[0].evidence)  # evidence carries a shortened blind index only


def test_shared_address_triggers_with_many_buyers_at_one_address(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "BRUSH_SHARED_ADDRESS")
    addr = "山西省运城市盐湖区解放路88号3单元"
    last = None
    for i in range(8):
        last = declare(
            session,
            seller,
            ebp=platform,
            buyer=f"11010119900102{i:04d}",
            phone=f"1390000{i:04d}",
            address=addr,
        )
    other = declare(
        session, seller, ebp=platform, buyer="110101199001029999", address="北京市东城区和平街1号"
    )
    assert codes(service.evaluate_declaration(session, other)) == set()
    assert codes(service.evaluate_declaration(session, last)) == {"BRUSH_SHARED_ADDRESS"}


def test_shared_id_triggers_when_one_id_uses_many_phones(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "BRUSH_SHARED_ID")
    last = None
    for i in range(4):
        last = declare(session, seller, ebp=platform, buyer="110101199001031111", phone=f"1370000{i:04d}")
    assert codes(service.evaluate_declaration(session, last)) == {"BRUSH_SHARED_ID"}
    steady = [
        declare(session, seller, ebp=platform, buyer="110101199001032222", phone="13700009999")
        for _ in range(5)
    ]
    assert codes(service.evaluate_declaration(session, steady[-1])) == set()


def _paid(session, seller, platform, buyer, payer, order_no):
    declare(session, seller, kind="payment", status="declared", ebp=platform, buyer=payer, order_no=order_no)
    return declare(session, seller, ebp=platform, buyer=buyer, order_no=order_no)


def test_shared_payer_triggers_when_one_payer_pays_for_many_buyers(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "BRUSH_SHARED_PAYER")
    payer = "110101198001010011"
    last = None
    for i in range(5):
        last = _paid(session, seller, platform, f"11010119900104{i:04d}", payer, f"SP{i:08d}")
    assert codes(service.evaluate_declaration(session, last)) == {"BRUSH_SHARED_PAYER"}
    own = _paid(session, seller, platform, "110101199001049999", "110101199001049999", "SPOWN0001")
    assert codes(service.evaluate_declaration(session, own)) == set()


def test_payer_not_buyer_share_triggers_only_above_share(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "PAYER_NOT_BUYER")
    for i in range(7):
        b = f"11010119900105{i:04d}"
        _paid(session, seller, platform, b, b, f"PB{i:08d}")
    third = _paid(session, seller, platform, "110101199001059000", "110101198001059000", "PBX0000001")
    assert codes(service.evaluate_declaration(session, third)) == set()  # 1 of 8 below 30 %
    last = None
    for i in range(3):
        last = _paid(
            session, seller, platform, f"11010119900105{8000 + i}", f"11010119800105{8000 + i}", f"PBY{i:07d}"
        )
    assert codes(service.evaluate_declaration(session, last)) == {"PAYER_NOT_BUYER"}  # 4 of 11


def test_quota_drain_triggers_on_many_orders_near_annual_limit(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "QUOTA_DRAIN")
    buyer = "110101199001061111"
    last = None
    for _ in range(6):
        last = declare(session, seller, ebp=platform, buyer=buyer, value_cny=Decimal("3600"))
    assert codes(service.evaluate_declaration(session, last)) == {"QUOTA_DRAIN"}  # 21 600 >= 20 800
    modest = None
    for _ in range(6):
        modest = declare(session, seller, ebp=platform, buyer="110101199001062222", value_cny=Decimal("500"))
    assert codes(service.evaluate_declaration(session, modest)) == set()


def test_order_split_triggers_when_small_orders_add_up_over_single_limit(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "ORDER_SPLIT")
    buyer = "110101199001071111"
    last = None
    for _ in range(3):
        last = declare(session, seller, ebp=platform, buyer=buyer, value_cny=Decimal("1900"))
    assert codes(service.evaluate_declaration(session, last)) == {"ORDER_SPLIT"}
    small = None
    for _ in range(3):
        small = declare(session, seller, ebp=platform, buyer="110101199001072222", value_cny=Decimal("900"))
    assert codes(service.evaluate_declaration(session, small)) == set()


def test_undervalued_and_over_invoiced_against_filed_unit_price(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "UNDERVALUED", "OVER_INVOICED")
    goods = make_commodity(session, seller, unit_price=Decimal("200"))
    cheap = declare(
        session,
        seller,
        ebp=platform,
        lines=[{"item_no": goods.item_no, "commodity_id": goods.id, "price": Decimal("80")}],
    )
    fair = declare(
        session,
        seller,
        ebp=platform,
        lines=[{"item_no": goods.item_no, "commodity_id": goods.id, "price": Decimal("150")}],
    )
    dear = declare(
        session,
        seller,
        ebp=platform,
        lines=[{"item_no": goods.item_no, "commodity_id": goods.id, "price": Decimal("700")}],
    )
    assert codes(service.evaluate_declaration(session, cheap)) == {"UNDERVALUED"}
    assert codes(service.evaluate_declaration(session, fair)) == set()
    hits = service.evaluate_declaration(session, dear)
    assert codes(hits) == {"OVER_INVOICED"}
    assert hits[0].evidence["lines"][0]["reference"].startswith("200")


def test_price_outlier_against_zone_median(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "PRICE_OUTLIER")
    for p in ("100", "110", "95", "105", "98", "102", "99", "101"):
        declare(session, seller, ebp=platform, lines=[{"hs_code": "6403990090", "price": Decimal(p)}])
    outlier = declare(
        session, seller, ebp=platform, lines=[{"hs_code": "6403990090", "price": Decimal("900")}]
    )
    normal = declare(
        session, seller, ebp=platform, lines=[{"hs_code": "6403990090", "price": Decimal("120")}]
    )
    hits = service.evaluate_declaration(session, outlier)
    assert codes(hits) == {"PRICE_OUTLIER"} and hits[0].evidence["lines"][0]["direction"] == "high"
    assert codes(service.evaluate_declaration(session, normal)) == set()


def test_unconnected_channel_when_ebp_is_not_a_filed_platform(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "UNCONNECTED_CHANNEL")
    rogue = declare(session, seller, ebp_code="9999999999")
    hits = service.evaluate_declaration(session, rogue)
    assert codes(hits) == {"UNCONNECTED_CHANNEL"} and hits[0].subject_key == "ebp:9999999999"
    ok = declare(session, seller, ebp=platform)
    assert codes(service.evaluate_declaration(session, ok)) == set()


def test_round_trip_when_same_goods_exported_then_imported(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "ROUND_TRIP")
    line = {"item_no": "RT-001", "hs_code": "8517130000", "price": Decimal("1000")}
    declare(session, seller, direction="export", status="departed", ebp=platform, lines=[line])
    back = declare(session, seller, ebp=platform, lines=[line])
    assert codes(service.evaluate_declaration(session, back)) == {"ROUND_TRIP"}
    fresh = declare(session, seller, ebp=platform, lines=[{**line, "item_no": "RT-002"}])
    assert codes(service.evaluate_declaration(session, fresh)) == set()


def test_repeat_violations_when_many_lists_rejected(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "REPEAT_VIOLATIONS")
    for _ in range(4):
        declare(session, seller, ebp=platform, status="rejected")
    fine = declare(session, seller, ebp=platform)
    assert codes(service.evaluate_declaration(session, fine)) == set()  # 4 rejected < 5
    declare(session, seller, ebp=platform, status="rejected")
    nxt = declare(session, seller, ebp=platform)
    assert codes(service.evaluate_declaration(session, nxt)) == {"REPEAT_VIOLATIONS"}


def test_product_safety_alert_matches_hs_prefix_and_keyword_while_active(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "PRODUCT_SAFETY")
    market = agency(session, "market_regulation")
    today = service.credit_service.beijing_today()
    service.publish_safety_alert(
        session,
        market,
        title="儿童玩具磁力片吞食风险",
        reason="强磁体",
        hs_prefix="9503",
        keyword=None,
        active_from=today,
        active_until=None,
        notice_no="市监质监〔2026〕1号",
    )
    service.publish_safety_alert(
        session,
        market,
        title="过期预警",
        reason="已解除",
        hs_prefix="3304",
        keyword=None,
        active_from=today - dt.timedelta(days=30),
        active_until=today - dt.timedelta(days=1),
        notice_no=None,
    )
    toy = declare(session, seller, ebp=platform, lines=[{"hs_code": "9503008900", "price": Decimal("50")}])
    cream = declare(session, seller, ebp=platform, lines=[{"hs_code": "3304990099", "price": Decimal("50")}])
    assert codes(service.evaluate_declaration(session, toy)) == {"PRODUCT_SAFETY"}
    assert codes(service.evaluate_declaration(session, cream)) == set()


def test_export_no_fx_and_not_departed_found_by_scan(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "EXPORT_NO_FX", "EXPORT_NOT_DEPARTED")
    long_ago = now_utc() - dt.timedelta(days=120)
    for _ in range(3):
        declare(
            session,
            seller,
            direction="export",
            status="released",
            ebp=platform,
            created_at=long_ago,
            released_at=long_ago,
        )
    paid_seller = make_enterprise(session, roles=("seller",))
    for _i in range(3):
        d = declare(
            session,
            paid_seller,
            direction="export",
            status="departed",
            ebp=platform,
            created_at=long_ago,
            released_at=long_ago,
        )
        declare(
            session,
            paid_seller,
            kind="receipts",
            direction="export",
            status="declared",
            ebp=platform,
            order_no=d.order_no,
        )
    result = service.scan(session, seller.zone_code)
    assert result.by_rule == {"EXPORT_NO_FX": 1, "EXPORT_NOT_DEPARTED": 1}
    alerts = service.list_alerts(session, agency(session, "zone_office"))
    assert {a.enterprise_id for a in alerts} == {seller.id}
    again = service.scan(session, seller.zone_code)
    assert again.hits == 0  # nothing new since the last scan


def test_evaluation_is_idempotent_and_groups_hits_into_one_alert(session):
    seller, _platform = seller_and_platform(session)
    only(session, seller.zone_code, "UNCONNECTED_CHANNEL")
    first = declare(session, seller, ebp_code="8888888888")
    second = declare(session, seller, ebp_code="8888888888")
    h1 = service.evaluate_declaration(session, first)
    assert [h.id for h in service.evaluate_declaration(session, first)] == [h.id for h in h1]
    h2 = service.evaluate_declaration(session, second)
    assert h1[0].alert_id == h2[0].alert_id
    alert = service.get_alert(session, agency(session, "zone_office"), h1[0].alert_id)
    assert alert.hit_count == 2


def test_rules_never_decrypt_personal_data(session, monkeypatch):
    from silkgate.kit.crypto import FieldCipher

    def refuse(self, token):
        raise AssertionError("a rule decrypted personal data")

    monkeypatch.setattr(FieldCipher, "decrypt", refuse)
    seller, platform = seller_and_platform(session)
    for i in range(6):
        d = declare(session, seller, ebp=platform, buyer=f"11010119900109{i:04d}", phone="13955556666")
    assert "BRUSH_SHARED_PHONE" in codes(service.evaluate_declaration(session, d))
    service.scan(session, seller.zone_code)
