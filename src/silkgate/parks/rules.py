"""Pure rules of the offline park platform: labels, occupancy and share. No I/O.

Basis: the zone plans' layout (YC 晋政办发〔2023〕58号「以运城开发区为核心…“1+N”的产业发展格局」, OFF-01..11)
and the registry of carriers (园区、孵化基地、保税物流中心(B型)、公共海外仓、实训基地).
"""

from __future__ import annotations

from decimal import Decimal

KIND_LABELS = {
    "industrial_park": "跨境电商产业园区",
    "incubator": "孵化基地",
    "bonded_logistics_centre": "保税物流中心(B型)",
    "public_overseas_warehouse": "公共海外仓",
    "training_base": "实训基地",
    "showroom": "进出口商品展示体验中心",
}
LAYOUT_LABELS = {"core": "核心区", "wing": "两翼", "featured": "特色园区", "hub": "枢纽", "park": "园区"}
STATUS_LABELS = {
    "planned": "规划中",
    "under_construction": "建设中",
    "operating": "运营中",
    "closed": "已关闭",
}
LEVEL_LABELS = {"none": "—", "city": "市级示范", "provincial": "省级示范", "national": "国家级示范"}
TENANT_ROLE_LABELS = {
    "manufacturer": "生产制造",
    "platform": "电商平台",
    "warehouse_logistics": "仓储物流",
    "finance": "金融服务",
    "trade_service": "外贸综合服务",
    "agency_operator": "代运营",
    "photography": "创意摄影",
    "promotion_training": "推广培训",
    "express": "快递物流",
    "seller": "跨境电商卖家",
}
SERVICE_LABELS = {
    "training": "人才培训",
    "brand_building": "品牌建设",
    "compliance": "合规辅导",
    "legal": "法律服务",
    "agency_operation": "代运营",
    "incubation": "创业孵化",
    "live_streaming": "直播基地",
    "clearance": "通关服务",
    "logistics": "物流服务",
    "finance": "金融服务",
}
REQUEST_STATUS_LABELS = {"requested": "已提交", "accepted": "已受理", "done": "已完成", "declined": "未受理"}
REQUEST_TRANSITIONS = {"requested": ("accepted", "declined"), "accepted": ("done",)}


def occupancy(active_tenants: int, capacity: int) -> Decimal | None:
    if capacity <= 0:
        return None
    return (Decimal(active_tenants) / Decimal(capacity)).quantize(Decimal("0.0001"))


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole == 0:
        return None
    return (part / whole).quantize(Decimal("0.0001"))
