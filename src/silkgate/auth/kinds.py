"""Organisation kinds and what each may see."""

from __future__ import annotations

ZONE_OFFICE = "zone_office"
ENTERPRISE = "enterprise"
CUSTOMS = "customs"
TAX = "tax"
FOREX = "forex"
COMMERCE = "commerce"
MARKET_REGULATION = "market_regulation"
BANK = "bank"
INSURER = "insurer"
PARK_OPERATOR = "park_operator"

AGENCY_KINDS = (CUSTOMS, TAX, FOREX, COMMERCE, MARKET_REGULATION)
FINANCE_KINDS = (BANK, INSURER)
ORG_KINDS = (ZONE_OFFICE, ENTERPRISE, *AGENCY_KINDS, BANK, INSURER, PARK_OPERATOR)

KIND_LABELS = {
    ZONE_OFFICE: "综试办",
    ENTERPRISE: "企业",
    CUSTOMS: "海关",
    TAX: "税务",
    FOREX: "外汇管理",
    COMMERCE: "商务",
    MARKET_REGULATION: "市场监管",
    BANK: "银行",
    INSURER: "保险机构",
    PARK_OPERATOR: "园区运营方",
}

ROLE_LABELS = {
    "platform": "电商平台",
    "seller": "电商企业",
    "logistics": "物流企业",
    "payment": "支付企业",
    "broker": "报关企业",
    "warehouse": "仓储企业",
    "trade_service": "外贸综合服务企业",
}

# Kinds whose reads of another organisation's data are written to the audit log.
AUDITED_KINDS = (*AGENCY_KINDS, BANK, INSURER)

# The enterprise-filing fields each agency's remit covers (一次备案、多主体共享: one record,
# a view per agency). The zone office and the enterprise itself see every field.
COMMON_FILING_FIELDS = (
    "id",
    "uscc",
    "customs_code",
    "name",
    "name_en",
    "roles",
    "status",
    "zone_code",
    "registered_address",
    "district",
    "legal_representative",
    "created_at",
    "decided_at",
)
AGENCY_FILING_FIELDS: dict[str, tuple[str, ...]] = {
    CUSTOMS: (*COMMON_FILING_FIELDS, "contact_name", "contact_phone", "shops"),
    TAX: (*COMMON_FILING_FIELDS, "contact_name", "contact_phone", "settlement_bank", "settlement_account"),
    FOREX: (*COMMON_FILING_FIELDS, "settlement_bank", "settlement_account"),
    COMMERCE: (*COMMON_FILING_FIELDS, "contact_name", "contact_email", "shops"),
    MARKET_REGULATION: (*COMMON_FILING_FIELDS, "contact_name", "contact_phone", "contact_email", "shops"),
}

# What an audit entry was about (AuditEntry.resource), in words: the audit page shows no raw code.
AUDIT_RESOURCE_LABELS = {
    "enterprise": "企业备案",
    "commodity": "商品备案",
    "declaration": "申报单证",
    "tax_bill": "税单",
    "bonded_stock": "保税账册",
    "credit_record": "信用档案",
    "export_list": "出口清单",
    "export_records": "出口申报记录",
    "export_fx": "出口收汇",
    "export_rebate": "出口退税",
    "export_tax_ledger": "出口税务台账",
    "export_deemed_income": "核定征收应税所得",
    "trade_stats": "统计监测",
    "trade_stats.page": "统计监测",
    "trade_stats.reconciliation": "三单对碰",
    "trade_stats.report": "统计报表",
    "finance": "金融服务数据",
    "finance.application": "融资申请",
    "finance.review": "授信审核数据",
    "logistics": "物流数据",
    "risk": "风险数据",
    "parks": "园区数据",
}
AUDIT_ACTION_LABELS = {
    "read": "查阅",
    "list": "查询列表",
    "export": "导出",
    "updated": "修改",
    "submitted": "提交",
    "accepted": "受理",
}


def audit_resource_label(resource: str | None) -> str:
    """The audited data in words: the exact code, else its domain (`finance.grants` -> 金融服务数据)."""
    if not resource:
        return "—"
    if resource in AUDIT_RESOURCE_LABELS:
        return AUDIT_RESOURCE_LABELS[resource]
    head = resource.split(".", 1)[0]
    if head in AUDIT_RESOURCE_LABELS:
        return AUDIT_RESOURCE_LABELS[head]
    return AUDIT_RESOURCE_LABELS.get(head.split("_", 1)[0], "其他数据")
